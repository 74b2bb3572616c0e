package gateway

// Glue of the PBX hotel link (drivers/hotelink) and the wake-up schedule
// (internal/wakeup): the front office's commands to the PBX, what the PBX
// reports back, and the wake-up watchdog.
//
// Commands on pbx/{device}/cmd/ (device: a hotelink device of the config):
// wakeup.set, wakeup.cancel, dnd.set, mwl.set, cos.set, guest.checkin,
// guest.checkout, guest.move (docs/events.md, docs/hotelink.md). Each is
// recorded in the store first (stay, wake-up, room state), then sent to the
// PBX; a link that is down is retried hotelinkRetries times, and whatever
// the PBX did not get reaches it on the next link start (FIAS: the driver
// sends a database swap built from snapshot(), so nothing doubles).
//
// Records (inside the device's delivery transaction, journal first):
//   - WakeupResult: wakeup.Schedule.Result; its notices become
//     hotel.pbx.wakeup.answered|unanswered|escalated|at-risk|unmatched in
//     the same transaction; a retry (SendToPBX) is sent after the commit by
//     the glue's worker: the driver delivers from its own session goroutine,
//     which must not wait for itself.
//   - RoomStatus: hotel.pbx.room.status (maid status).
//   - Posting: a PBX-costed call, as an events.CallRecord through the SMDR
//     call path (call.recorded and folio.Biller.Bill in one transaction,
//     keyed by room and FIAS P#: a resent posting is posted once).
//   - DND, MWL set on the room phone: the room's state.
//   - WakeupSet, WakeupCancel dialed on the room phone: the schedule.
//   - LinkEvent: wakes commands waiting for the link; on profiles without a
//     database swap, re-sends the wake-ups the PBX has not confirmed.
//
// Room state (DND, MWL, class of service, with when and by whom) is kept in
// the store's kv area (namespace hotelink.room) and published retained on
// pbx/{device}/state/room/{room} with occupancy and the next wake-up; no
// guest names in topics or retained state.
//
// The schedule is the site's: rooms are the site's, so wake-ups go to one
// hotel link, the first hotelink device of the config (its options tune
// the schedule: wakeup_retry_after, wakeup_attempts, wakeup_grace,
// wakeup_preflight, wakeup_escalate).

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"switchboard/drivers"
	"switchboard/drivers/hotelink"
	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

func init() {
	deviceHooks = append(deviceHooks, hotelinkHook)
	recordHandlers = append(recordHandlers, hotelinkRecords)
}

// Tunables, read when a gateway's glue is made (tests shrink them).
var (
	// hotelinkRetries is how many times a command is sent again while the
	// link is down, hotelinkRetryWait apart (or as soon as it comes up).
	hotelinkRetries   = 3
	hotelinkRetryWait = time.Second
	// hotelinkWatchEvery is the wake-up watchdog's period.
	hotelinkWatchEvery = 30 * time.Second
	// hotelinkSendTimeout bounds one Send to the PBX.
	hotelinkSendTimeout = 10 * time.Second
	// roomStateQuiet and roomStateDelay pace the retained room states.
	roomStateQuiet = 50 * time.Millisecond
	roomStateDelay = time.Second
)

// roomStateNS is the kv namespace of the rooms' DND/MWL/COS.
const roomStateNS = "hotelink.room"

// sourceHotelLink marks wake-up events that come from the hotel link (the
// same types carry Panasonic SMDR hotel events with source "smdr").
const sourceHotelLink = "hotel-link"

// COS values a command may name; a profile maps the ones its PBX knows.
var cosValues = []string{"barred", "internal", "local", "national", "international"}

// hotelGlue is the hotel-link glue of one gateway.
type hotelGlue struct {
	g       *Gateway
	sched   *wakeup.Schedule
	primary string // the device wake-ups go to
	created time.Time

	mu    sync.Mutex
	links map[string]*hotelLink
	order []string
	dirty map[string]bool // rooms whose retained state is to be published
	sends []queuedSend    // schedule actions to send after their transaction
	acks  []queuedAck     // the PBX took these wake-up commands: recorded in one batch
	ups   []string        // devices whose link came up
	// after are the sinks whose delivery transaction queued work: the
	// worker waits for each to finish (commit or roll back) first.
	after map[*deviceSink]bool
	kick  chan struct{}
	// sending counts the wake-up commands (by reference) on their way to
	// the PBX: sent and not answered yet, or acknowledged and not recorded
	// yet. The watchdog and the link-start resend leave them alone, so the
	// PBX does not get a command twice.
	sending map[string]int

	parsed    sync.Map             // *bus.Command -> its request, from Validate to Execute
	published map[string]RoomState // last retained state per room (worker only)
}

// hotelLink is one hotelink device.
type hotelLink struct {
	id  string
	drv *hotelink.Driver

	mu        sync.Mutex
	upCh      chan struct{} // closed when the link comes up
	downSince time.Time     // when the link was last seen going down (or the glue started)
}

// queuedSend is a SendToPBX or CancelAtPBX for the worker.
type queuedSend struct {
	device string
	act    wakeup.Action
}

// queuedAck is a wake-up command the PBX acknowledged, for the worker to
// record (a lost one is harmless: the next link start sends the wake-up
// again and counts it as held).
type queuedAck struct {
	device string
	ack    hotel.CommandAck
}

var (
	hotelGluesMu sync.Mutex
	hotelGlues   = map[*Gateway]*hotelGlue{}
)

func hotelGlueFor(g *Gateway) *hotelGlue {
	hotelGluesMu.Lock()
	defer hotelGluesMu.Unlock()
	return hotelGlues[g]
}

// hotelGlueOf returns the gateway's glue, making it for the first hotelink
// device d (whose options tune the schedule).
func hotelGlueOf(g *Gateway, d config.Device) (*hotelGlue, error) {
	hotelGluesMu.Lock()
	defer hotelGluesMu.Unlock()
	if hg := hotelGlues[g]; hg != nil {
		return hg, nil
	}
	cfg, err := scheduleConfig(d.Options)
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", d.ID, err)
	}
	cfg.Location = g.loc
	sched, err := wakeup.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", d.ID, err)
	}
	hg := &hotelGlue{g: g, sched: sched, primary: d.ID, created: g.Now(), links: map[string]*hotelLink{},
		dirty: map[string]bool{}, after: map[*deviceSink]bool{}, kick: make(chan struct{}, 1), published: map[string]RoomState{},
		sending: map[string]int{}}
	hotelGlues[g] = hg
	if g.router != nil {
		for _, name := range []string{"wakeup.set", "wakeup.cancel", "dnd.set", "mwl.set", "cos.set", "guest.checkin", "guest.checkout", "guest.move"} {
			g.Handle("pbx", name, hotelCmd{hg: hg, name: name})
		}
		g.Worker(hg.run)
		g.Worker(hg.watchdog)
	}
	return hg, nil
}

// scheduleConfig reads the wake-up options of the first hotelink device.
func scheduleConfig(opts map[string]any) (wakeup.Config, error) {
	var cfg wakeup.Config
	dur := func(k string, dst *time.Duration) error {
		v, ok := opts[k]
		if !ok {
			return nil
		}
		s, _ := v.(string)
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return fmt.Errorf("option %s: want a Go duration such as 5m, got %v", k, v)
		}
		*dst = d
		return nil
	}
	for k, dst := range map[string]*time.Duration{"wakeup_retry_after": &cfg.RetryAfter, "wakeup_grace": &cfg.Grace, "wakeup_preflight": &cfg.Preflight} {
		if err := dur(k, dst); err != nil {
			return cfg, err
		}
	}
	if v, ok := opts["wakeup_attempts"]; ok {
		n, ok := v.(int)
		if !ok || n < 1 {
			return cfg, fmt.Errorf("option wakeup_attempts: want a number of calls (1 or more), got %v", v)
		}
		cfg.Attempts = n
	}
	if v, ok := opts["wakeup_escalate"]; ok {
		b, ok := v.(bool)
		if !ok {
			return cfg, fmt.Errorf("option wakeup_escalate: want true or false, got %v", v)
		}
		cfg.NoEscalation = !b
	}
	return cfg, nil
}

// hotelinkHook keeps each hotel link for the commands and gives it the
// front office's state for its resyncs.
func hotelinkHook(g *Gateway, d config.Device, drv drivers.Driver) error {
	if d.Driver != "hotelink" {
		return nil
	}
	hd, ok := drv.(*hotelink.Driver)
	if !ok {
		return fmt.Errorf("device %s: driver hotelink made a %T, not a *hotelink.Driver", d.ID, drv)
	}
	// The link dates what the PBX reports without a date (an SX-200 wake-up
	// result carries HH:MM only) with the gateway's clock.
	hd.SetClock(g.Now)
	hg, err := hotelGlueOf(g, d)
	if err != nil {
		return err
	}
	hg.mu.Lock()
	hg.links[d.ID] = &hotelLink{id: d.ID, drv: hd, upCh: make(chan struct{}), downSince: hg.created}
	hg.order = append(hg.order, d.ID)
	hg.mu.Unlock()
	dev := d.ID
	hd.SetStateSource(hotel.StateSourceFunc(func(ctx context.Context) (hotel.Snapshot, error) {
		return hg.snapshot(ctx, dev)
	}))
	return nil
}

func (hg *hotelGlue) link(device string) *hotelLink {
	hg.mu.Lock()
	defer hg.mu.Unlock()
	return hg.links[device]
}

func (hg *hotelGlue) devices() []string {
	hg.mu.Lock()
	defer hg.mu.Unlock()
	return slices.Clone(hg.order)
}

func (hg *hotelGlue) poke() {
	select {
	case hg.kick <- struct{}{}:
	default:
	}
}

func (hg *hotelGlue) markDirty(rooms ...string) {
	hg.mu.Lock()
	for _, r := range rooms {
		if r != "" {
			hg.dirty[r] = true
		}
	}
	hg.mu.Unlock()
	hg.poke()
}

func (hg *hotelGlue) queueSends(device string, acts []wakeup.Action) {
	hg.mu.Lock()
	n := 0
	for _, a := range acts {
		switch a.(type) {
		case wakeup.SendToPBX, wakeup.CancelAtPBX:
			hg.sends = append(hg.sends, queuedSend{device: device, act: a})
			n++
		}
	}
	hg.mu.Unlock()
	if n > 0 {
		hg.poke()
	}
}

// claim counts a wake-up command as on its way to the PBX; it reports
// whether nothing else was sending it.
func (hg *hotelGlue) claim(ref string) bool {
	hg.mu.Lock()
	defer hg.mu.Unlock()
	hg.sending[ref]++
	return hg.sending[ref] == 1
}

// release undoes a claim.
func (hg *hotelGlue) release(ref string) {
	hg.mu.Lock()
	defer hg.mu.Unlock()
	if hg.sending[ref]--; hg.sending[ref] <= 0 {
		delete(hg.sending, ref)
	}
}

// linkUp records a link start: commands waiting for it go on, and the
// worker re-sends what the PBX has not confirmed.
func (l *hotelLink) linkUp() {
	l.mu.Lock()
	close(l.upCh)
	l.upCh = make(chan struct{})
	l.mu.Unlock()
}

func (l *hotelLink) linkDown(at time.Time) {
	l.mu.Lock()
	l.downSince = at
	l.mu.Unlock()
}

func (l *hotelLink) waitUp() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.upCh
}

func (l *hotelLink) since() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.downSince
}

// --- state -----------------------------------------------------------------

// roomRecord is what the store keeps of a room beside its stay: DND and the
// message lamp with when and by whom (免電話打擾: record the time and the
// requester), and the class of service.
type roomRecord struct {
	DND   bool      `json:"dnd"`
	DNDAt time.Time `json:"dnd_at,omitzero"`
	DNDBy string    `json:"dnd_by,omitempty"`
	MWL   bool      `json:"mwl"`
	MWLAt time.Time `json:"mwl_at,omitzero"`
	MWLBy string    `json:"mwl_by,omitempty"`
	COS   string    `json:"cos,omitempty"`
	COSAt time.Time `json:"cos_at,omitzero"`
}

func getRoom(tx *store.Tx, room string) (roomRecord, error) {
	var rr roomRecord
	var b []byte
	err := tx.QueryRow(`SELECT value FROM kv WHERE ns=? AND key=?`, roomStateNS, room).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return rr, nil
	}
	if err != nil {
		return rr, fmt.Errorf("room %s state: %w", room, err)
	}
	if err := json.Unmarshal(b, &rr); err != nil {
		return rr, fmt.Errorf("room %s state: %w", room, err)
	}
	return rr, nil
}

func putRoom(tx *store.Tx, room string, rr roomRecord) error {
	b, err := json.Marshal(rr)
	if err != nil {
		return err
	}
	return tx.Put(roomStateNS, room, b)
}

func updateRoom(tx *store.Tx, room string, fn func(*roomRecord)) error {
	rr, err := getRoom(tx, room)
	if err != nil {
		return err
	}
	fn(&rr)
	return putRoom(tx, room, rr)
}

// RoomState is the data of the retained hotel.pbx.state.room on
// pbx/{device}/state/room/{room}.
type RoomState struct {
	Room       string     `json:"room"`
	Occupied   bool       `json:"occupied"`
	DND        bool       `json:"dnd"`
	MWL        bool       `json:"mwl"`
	COS        string     `json:"cos,omitempty"`
	NextWakeup *time.Time `json:"next_wakeup"` // null: none
	Updated    time.Time  `json:"updated"`
}

func (hg *hotelGlue) roomState(ctx context.Context, room string) (RoomState, error) {
	g := hg.g
	now := g.Now()
	rs := RoomState{Room: room, Updated: now.In(g.loc)}
	var n int
	if err := g.st.QueryRow(ctx, `SELECT COUNT(*) FROM stays WHERE room=? AND checkout IS NULL`, room).Scan(&n); err != nil {
		return rs, fmt.Errorf("room %s stay: %w", room, err)
	}
	rs.Occupied = n > 0
	if b, ok, err := g.st.Get(ctx, roomStateNS, room); err != nil {
		return rs, err
	} else if ok {
		var rr roomRecord
		if err := json.Unmarshal(b, &rr); err != nil {
			return rs, fmt.Errorf("room %s state: %w", room, err)
		}
		rs.DND, rs.MWL, rs.COS = rr.DND, rr.MWL, rr.COS
	}
	next, ok, err := hg.sched.NextPBXAt(ctx, g.st, hotel.Room(room), now)
	if err != nil {
		return rs, fmt.Errorf("room %s next wake-up: %w", room, err)
	}
	if ok {
		rs.NextWakeup = &next
	}
	return rs, nil
}

// publishRoom stores and publishes a room's retained state.
func (hg *hotelGlue) publishRoom(ctx context.Context, room string) error {
	g := hg.g
	rs, err := hg.roomState(ctx, room)
	if err != nil {
		return err
	}
	if last, ok := hg.published[room]; ok && sameRoomState(last, rs) {
		return nil
	}
	const typ = "hotel.pbx.state.room"
	payload, err := json.Marshal(events.Envelope{
		SpecVersion:     events.SpecVersion,
		ID:              events.EventID(typ, hg.primary+"/"+room+"/"+strconv.FormatInt(time.Now().UnixNano(), 10)),
		Source:          g.topics.Source("pbx", hg.primary),
		Type:            typ,
		Time:            rs.Updated,
		Subject:         "room/" + room,
		DataContentType: "application/json",
		DataSchema:      events.SchemaURI(typ),
		Data:            mustJSON(rs),
	})
	if err != nil {
		return err
	}
	if err := g.retained.Set(ctx, g.topics.State("pbx", hg.primary, "room/"+room), payload); err != nil {
		return err
	}
	hg.published[room] = rs
	return nil
}

func sameRoomState(a, b RoomState) bool {
	a.Updated, b.Updated = time.Time{}, time.Time{}
	an, bn := a.NextWakeup, b.NextWakeup
	a.NextWakeup, b.NextWakeup = nil, nil
	return a == b && (an == nil) == (bn == nil) && (an == nil || an.Equal(*bn))
}

// snapshot is the StateSource of a device: the occupied rooms with their
// DND/MWL/COS and, for the wake-up device, the wake-ups still to ring. The
// wake-ups it hands over count as held by the PBX: the driver sends them
// in a database swap, and if that fails the link restarts and swaps again.
func (hg *hotelGlue) snapshot(ctx context.Context, device string) (hotel.Snapshot, error) {
	g := hg.g
	var snap hotel.Snapshot
	stays, err := folio.Occupied(ctx, g.st)
	if err != nil {
		return snap, fmt.Errorf("snapshot stays: %w", err)
	}
	rooms, err := g.st.List(ctx, roomStateNS)
	if err != nil {
		return snap, err
	}
	for _, s := range stays {
		rs := hotel.RoomState{Room: hotel.Room(s.Room), Reservation: s.Reservation, Guest: s.Guest, Language: s.Language, VIP: s.VIP}
		if b, ok := rooms[s.Room]; ok {
			var rr roomRecord
			if json.Unmarshal(b, &rr) == nil {
				rs.DND, rs.MWL, rs.COS = rr.DND, rr.MWL, hotel.COS(rr.COS)
			}
		}
		snap.Rooms = append(snap.Rooms, rs)
	}
	if device != hg.primary {
		return snap, nil
	}
	now := g.Now()
	ws, err := hg.sched.Pending(ctx, g.st, now)
	if err != nil {
		return snap, fmt.Errorf("snapshot wake-ups: %w", err)
	}
	snap.Wakeups = wakeup.PBXWakeups(ws)
	inSwap := map[int64]bool{}
	for _, w := range ws {
		inSwap[w.ID] = true
	}
	all, err := hg.sched.UnconfirmedSets(ctx, g.st, now)
	if err != nil {
		return snap, err
	}
	var refs []wakeup.Unconfirmed
	for _, u := range all {
		if inSwap[u.ID] { // not one set after Pending read the schedule
			refs = append(refs, u)
		}
	}
	if len(refs) > 0 {
		err = g.st.InTx(ctx, func(tx *store.Tx) error {
			for _, r := range refs {
				if _, err := hg.sched.Acked(tx, hotel.CommandAck{Ref: r.Ref, OK: true}, now); err != nil && !errors.Is(err, wakeup.ErrNotFound) {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return snap, fmt.Errorf("snapshot wake-ups: %w", err)
		}
	}
	return snap, nil
}

// --- sending ---------------------------------------------------------------

// sendOutcome is what became of one command to the PBX.
type sendOutcome struct {
	Ack     hotel.CommandAck
	Err     error
	Retries int
}

func (o sendOutcome) ok() bool { return o.Err == nil && o.Ack.OK }

// operatorTask: the PBX cannot take it over its link; a person sets it at
// the console (Panasonic).
func (o sendOutcome) operatorTask() bool { return o.Ack.OperatorTask }

// reason says why the PBX did not take the command, as the reply names it.
func (o sendOutcome) reason() string {
	switch {
	case o.ok():
		return ""
	case errors.Is(o.Err, hotel.ErrLinkDown):
		return fmt.Sprintf("link down after %d retries", o.Retries)
	case o.Ack.OperatorTask:
		return "set at the console: " + o.Ack.Reason
	case errors.Is(o.Err, hotel.ErrNotAccepted) || (o.Err == nil && !o.Ack.OK):
		// FIAS: the reason carries the PBX's answer status (AS code).
		return "PBX refused: " + o.Ack.Reason
	case errors.Is(o.Err, hotel.ErrUnsupported):
		return "not supported by this PBX: " + o.Ack.Reason
	}
	return "not sent: " + o.Err.Error()
}

// pbxStatus is the outcome in a command's result.
func (o sendOutcome) pbxStatus() string {
	switch {
	case o.ok():
		return "sent"
	case o.Ack.OperatorTask:
		return "operator-task"
	case errors.Is(o.Err, hotel.ErrLinkDown):
		return "pending: sent when the link is back"
	}
	return "failed"
}

// send sends cmd on device, trying again up to retries times while the
// link is down (at once when it comes up).
func (hg *hotelGlue) send(ctx context.Context, device string, cmd hotel.Command, retries int) sendOutcome {
	l := hg.link(device)
	if l == nil {
		return sendOutcome{Ack: hotel.CommandAck{Ref: cmd.Reference(), Reason: "no such hotel link"}, Err: fmt.Errorf("device %s is not a hotel link", device)}
	}
	if ws, ok := cmd.(hotel.WakeupSet); ok && !datedWakeups(l.drv) && ws.At.Sub(hg.g.Now()) > undatedWindow {
		// The PBX's wake-up record has a time and no date (Mitel SX-200
		// PMS: function WAK, HHMM): it rings at the next such time. A
		// wake-up for a later day waits in the schedule and goes to the PBX
		// within the last day before it is due (the watchdog sends it).
		return sendOutcome{Ack: hotel.CommandAck{Ref: cmd.Reference()}, Err: errHeldUndated}
	}
	for try := 0; ; try++ {
		up := l.waitUp()
		sctx, cancel := context.WithTimeout(ctx, hotelinkSendTimeout)
		ack, err := l.drv.Send(sctx, cmd)
		cancel()
		ack.Ref = cmd.Reference()
		if !errors.Is(err, hotel.ErrLinkDown) || try >= retries {
			return sendOutcome{Ack: ack, Err: err, Retries: try}
		}
		t := time.NewTimer(hotelinkRetryWait)
		select {
		case <-up:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return sendOutcome{Ack: ack, Err: err, Retries: try}
		}
		t.Stop()
	}
}

// undatedWindow is how far ahead a wake-up goes to a PBX whose wake-up
// record carries no date.
const undatedWindow = 23 * time.Hour

// errHeldUndated: the wake-up waits in the schedule (see send).
var errHeldUndated = errors.New("held: this PBX's wake-up has no date, so it is sent on the day before it is due")

// datedWakeups reports whether the link's protocol dates a wake-up (FIAS
// WR carries DA and TI) or only times it (SX-200 WAK HHMM).
func datedWakeups(d *hotelink.Driver) bool {
	return d.Profile().Protocol != hotelink.ProtoSX200
}

// sendUndatedDue sends the held wake-ups that entered the last day before
// they are due, on a PBX whose wake-ups carry no date.
func (hg *hotelGlue) sendUndatedDue(ctx context.Context) {
	l := hg.link(hg.primary)
	if l == nil || datedWakeups(l.drv) || !l.drv.LinkUp() {
		return
	}
	now := hg.g.Now()
	us, err := hg.sched.UnconfirmedSets(ctx, hg.g.st, now)
	if err != nil {
		hg.g.log.Warn("held wake-ups not sent", "err", err)
		return
	}
	for _, u := range us {
		if u.At.Sub(now) > undatedWindow {
			break // in time order: the rest are later still
		}
		hg.resend(ctx, hg.primary, hotel.WakeupSet{Ref: u.Ref, Room: u.Room, At: u.At})
	}
}

// dispatch sends the schedule's SendToPBX and CancelAtPBX actions (in
// order) and applies the PBX's answers to the schedule; the notices that
// come of them are published in the same transaction. It returns the
// outcome of each, by wake-up command reference.
func (hg *hotelGlue) dispatch(ctx context.Context, device string, acts []wakeup.Action, retries int) map[string]sendOutcome {
	out := map[string]sendOutcome{}
	for i := 0; i < len(acts); i++ {
		var cmd hotel.Command
		switch a := acts[i].(type) {
		case wakeup.SendToPBX:
			cmd = a.Command()
		case wakeup.CancelAtPBX:
			cmd = a.Command()
		default:
			continue
		}
		hg.claim(cmd.Reference()) // released once the answer is recorded
		o := hg.send(ctx, device, cmd, retries)
		out[cmd.Reference()] = o
		if o.ok() {
			// An acknowledgement changes no more than the wake-up's PBX
			// state: recorded by the worker, many in one transaction.
			hg.mu.Lock()
			hg.acks = append(hg.acks, queuedAck{device: device, ack: o.Ack})
			hg.mu.Unlock()
			hg.poke()
			continue
		}
		more, err := hg.applyAck(ctx, device, cmd, o)
		hg.release(cmd.Reference())
		if err != nil {
			hg.g.log.Error("wake-up answer of the PBX not recorded", "device", device, "ref", cmd.Reference(), "err", err)
		}
		acts = append(acts, more...)
	}
	return out
}

// applyAck records the PBX's answer to a wake-up command. A link that is
// down changes nothing: the wake-up stays unconfirmed and goes to the PBX
// on the next link start.
func (hg *hotelGlue) applyAck(ctx context.Context, device string, cmd hotel.Command, o sendOutcome) ([]wakeup.Action, error) {
	if errors.Is(o.Err, hotel.ErrLinkDown) || errors.Is(o.Err, errHeldUndated) || errors.Is(o.Err, context.Canceled) || errors.Is(o.Err, context.DeadlineExceeded) {
		return nil, nil
	}
	ack := o.Ack
	if !o.ok() && ack.Reason == "" && o.Err != nil {
		ack.Reason = o.Err.Error()
	}
	var more []wakeup.Action
	err := hg.g.st.InTx(ctx, func(tx *store.Tx) error {
		acts, err := hg.sched.Acked(tx, ack, hg.g.Now())
		if err != nil {
			if errors.Is(err, wakeup.ErrNotFound) {
				return nil
			}
			return err
		}
		if o.operatorTask() {
			if err := hg.operatorTaskEvent(tx, device, cmd, "", o); err != nil {
				return err
			}
		}
		if err := hg.publishInTx(tx, device, acts); err != nil {
			return err
		}
		more = acts
		return nil
	})
	if err != nil {
		return nil, err
	}
	hg.g.notify()
	hg.markDirty(string(cmd.Target()))
	return more, nil
}

// --- events ----------------------------------------------------------------

// WakeupEvent is the data of the hotel-link wake-up events:
// hotel.pbx.wakeup.answered, .unanswered, .escalated, .at-risk, .unmatched.
type WakeupEvent struct {
	Device    string     `json:"device"`
	Source    string     `json:"source"` // hotel-link
	Room      string     `json:"room,omitempty"`
	Rooms     []string   `json:"rooms,omitempty"` // at-risk before the day's first wake-up: every room still to ring
	WakeupID  int64      `json:"wakeup_id,omitempty"`
	Scheduled *time.Time `json:"scheduled,omitempty"` // the requested time
	Call      *time.Time `json:"call,omitempty"`      // the call concerned at the PBX (a retry's time)
	Attempt   int        `json:"attempt,omitempty"`
	Reason    string     `json:"reason,omitempty"` // busy, no_answer; why at risk
	Retry     bool       `json:"retry,omitempty"`  // unanswered: another call is armed
	Code      string     `json:"code,omitempty"`   // the PBX's own code (FIAS AS)
	Daily     bool       `json:"daily,omitempty"`
	Operator  string     `json:"operator,omitempty"` // who recorded the wake-up
	Priority  string     `json:"priority,omitempty"` // high: a person must act now
}

// WakeupScheduled is the data of hotel.pbx.wakeup.scheduled for a wake-up
// recorded through the hotel link's commands (叫醒服務 b: date, room, time,
// time of recording, operator's number).
type WakeupScheduled struct {
	Device      string    `json:"device"`
	Source      string    `json:"source"` // hotel-link
	Room        string    `json:"room"`
	WakeupID    int64     `json:"wakeup_id"`
	Date        string    `json:"date"`
	Time        string    `json:"time"`
	At          time.Time `json:"at"`
	Daily       bool      `json:"daily,omitempty"`
	Until       string    `json:"until,omitempty"`
	RequestedBy string    `json:"requested_by"`
	Operator    string    `json:"operator,omitempty"`
	RecordedAt  time.Time `json:"recorded_at"`
}

// RoomStatusEvent is the data of hotel.pbx.room.status: a maid status
// dialed on the room phone.
type RoomStatusEvent struct {
	Device    string    `json:"device"`
	Room      string    `json:"room"`
	Code      int       `json:"code"`
	Label     string    `json:"label,omitempty"`
	At        time.Time `json:"at"`
	JournalID int64     `json:"journal_id"`
}

// OperatorTask is the data of hotel.pbx.operator.task: the PBX cannot take
// a command over its link and a person must do it at the console.
type OperatorTask struct {
	Device    string `json:"device"`
	Command   string `json:"command"` // WakeupSet, DND, CheckIn, ...
	CommandID string `json:"command_id,omitempty"`
	Room      string `json:"room"`
	Task      string `json:"task"`
	Priority  string `json:"priority"`
}

// GuestMoved is the data of hotel.pbx.guest.moved.
type GuestMoved struct {
	Device      string    `json:"device"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	Reservation string    `json:"reservation,omitempty"`
	StayID      int64     `json:"stay_id"`     // the stay closed in From
	NewStayID   int64     `json:"new_stay_id"` // the stay opened in To
	At          time.Time `json:"at"`
	Wakeups     int       `json:"wakeups"` // wake-ups that moved with the guest
}

var noticeTypes = map[wakeup.Notice]string{
	wakeup.NoticeAnswered:   "hotel.pbx.wakeup.answered",
	wakeup.NoticeUnanswered: "hotel.pbx.wakeup.unanswered",
	wakeup.NoticeEscalated:  "hotel.pbx.wakeup.escalated",
	wakeup.NoticeAtRisk:     "hotel.pbx.wakeup.at-risk",
	wakeup.NoticeUnmatched:  "hotel.pbx.wakeup.unmatched",
}

func (hg *hotelGlue) event(device, typ, subject, idemkey string, data any) store.Event {
	g := hg.g
	return store.Event{Type: typ, Topic: g.topics.Event("pbx", device, typ), Source: g.topics.Source("pbx", device),
		Subject: subject, IdemKey: idemkey, Time: g.Now().In(g.loc), Data: data}
}

func timePtr(t time.Time, loc *time.Location) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.In(loc)
	return &t
}

// publishInTx turns the schedule's Publish and Preflight actions into
// events in tx. A Preflight with the wake-up link down is an at-risk alert
// listing the rooms (叫醒服務: check the machine before the earliest
// wake-up of the day).
func (hg *hotelGlue) publishInTx(tx *store.Tx, device string, acts []wakeup.Action) error {
	loc := hg.g.loc
	for _, a := range acts {
		switch a := a.(type) {
		case wakeup.Publish:
			typ := noticeTypes[a.Notice]
			if typ == "" {
				continue
			}
			ev := WakeupEvent{Device: device, Source: sourceHotelLink, Room: string(a.Room), WakeupID: a.Wakeup.ID,
				Scheduled: timePtr(a.Wakeup.At, loc), Call: timePtr(a.At, loc), Attempt: a.Attempt, Reason: a.Reason,
				Retry: a.Retry, Code: a.Code, Daily: a.Wakeup.Daily, Operator: a.Wakeup.Operator}
			if ev.Scheduled == nil {
				ev.Scheduled = ev.Call
			}
			if a.Notice == wakeup.NoticeAtRisk || a.Notice == wakeup.NoticeEscalated {
				ev.Priority = "high"
			}
			if _, _, err := tx.Enqueue(hg.event(device, typ, "room/"+string(a.Room), a.IdemKey, ev)); err != nil {
				return err
			}
			hg.g.log.Info("wake-up "+string(a.Notice), "device", device, "room", a.Room, "reason", a.Reason)
		case wakeup.Preflight:
			if hg.linkUpOrNone() {
				hg.g.log.Info("wake-up preflight: hotel link up", "device", hg.primary, "date", a.Date.String(), "first", a.First, "rooms", len(a.Rooms))
				continue
			}
			if err := hg.linkDownAtRisk(tx, a.Date, a.First, a.Rooms); err != nil {
				return err
			}
		}
	}
	return nil
}

// linkUpOrNone reports whether the wake-up device's link is up, or it has
// none to watch (Panasonic: wake-ups are set at the console, and each one
// is an operator task and an at-risk notice already).
func (hg *hotelGlue) linkUpOrNone() bool {
	l := hg.link(hg.primary)
	return l == nil || l.drv.Profile().Protocol == hotelink.ProtoPanasonic || l.drv.LinkUp()
}

// linkDownAtRisk raises the at-risk alert for a day's wake-ups while the
// hotel link is down, once per outage and day.
func (hg *hotelGlue) linkDownAtRisk(tx *store.Tx, date wakeup.Date, first time.Time, rooms []hotel.Room) error {
	l := hg.link(hg.primary)
	since := hg.created
	if l != nil {
		since = l.since()
	}
	rs := make([]string, len(rooms))
	for i, r := range rooms {
		rs[i] = string(r)
	}
	ev := WakeupEvent{Device: hg.primary, Source: sourceHotelLink, Rooms: rs, Call: timePtr(first, hg.g.loc), Priority: "high",
		Reason: fmt.Sprintf("hotel link %s is down (since %s) and %d wake-up(s) are due from %s: check the PBX link, or ring the rooms by hand",
			hg.primary, since.In(hg.g.loc).Format("2006-01-02 15:04"), len(rooms), first.In(hg.g.loc).Format("15:04"))}
	key := fmt.Sprintf("wakeup/link-down/%s/%d/%s", hg.primary, since.UnixNano(), date)
	if _, dup, err := tx.Enqueue(hg.event(hg.primary, "hotel.pbx.wakeup.at-risk", "date/"+date.String(), key, ev)); err != nil {
		return err
	} else if !dup {
		hg.g.log.Warn("wake-ups at risk: hotel link down", "device", hg.primary, "date", date.String(), "rooms", len(rooms))
	}
	return nil
}

func (hg *hotelGlue) operatorTaskEvent(tx *store.Tx, device string, cmd hotel.Command, commandID string, o sendOutcome) error {
	what := hotel.CommandName(cmd)
	key := "operator-task/" + device + "/" + cmd.Reference()
	if commandID != "" {
		key = "operator-task/" + device + "/command/" + commandID
	}
	_, _, err := tx.Enqueue(hg.event(device, "hotel.pbx.operator.task", "room/"+string(cmd.Target()), key,
		OperatorTask{Device: device, Command: what, CommandID: commandID, Room: string(cmd.Target()), Task: o.Ack.Reason, Priority: "high"}))
	return err
}

// --- workers ---------------------------------------------------------------

// run sends the schedule's actions that came out of a delivery, re-sends
// unconfirmed wake-ups after a link start, and publishes room states.
func (hg *hotelGlue) run(ctx context.Context) {
	defer func() {
		hotelGluesMu.Lock()
		delete(hotelGlues, hg.g)
		hotelGluesMu.Unlock()
	}()
	// Room states are published once the burst that changed them is over
	// (roomStateQuiet without a change, at most roomStateDelay late): a
	// morning's 300 wake-ups then do not queue their retained writes in
	// front of the commands.
	pending := map[string]bool{}
	var first time.Time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		fired := false
		select {
		case <-ctx.Done():
			return
		case <-hg.kick:
		case <-timer.C:
			fired = true
		}
		hg.mu.Lock()
		sends, ups, dirty, after, acks := hg.sends, hg.ups, hg.dirty, hg.after, hg.acks
		hg.sends, hg.ups, hg.dirty, hg.after, hg.acks = nil, nil, map[string]bool{}, map[*deviceSink]bool{}, nil
		hg.mu.Unlock()
		// Deliver holds the sink's lock for its whole transaction: once we
		// get it, what the transaction queued is committed (or rolled back,
		// which stillWanted notices). A handler marks its sink before it
		// queues anything, so the work taken above has its sinks here.
		for s := range after {
			s.mu.Lock()
			s.mu.Unlock() //nolint:staticcheck // the empty section is the barrier
		}
		hg.recordAcks(ctx, acks)
		for _, dev := range ups {
			hg.resendUnconfirmed(ctx, dev)
		}
		for _, s := range sends {
			if hg.stillWanted(ctx, s.act) {
				hg.dispatch(ctx, s.device, []wakeup.Action{s.act}, 0)
			}
		}
		for r := range dirty {
			pending[r] = true
		}
		if len(pending) == 0 {
			continue
		}
		if first.IsZero() {
			first = time.Now()
		}
		if !(fired && len(dirty) == 0) && time.Since(first) < roomStateDelay {
			timer.Reset(roomStateQuiet)
			continue
		}
		rooms := make([]string, 0, len(pending))
		for r := range pending {
			rooms = append(rooms, r)
		}
		slices.Sort(rooms)
		pending, first = map[string]bool{}, time.Time{}
		for _, r := range rooms {
			if ctx.Err() != nil {
				return
			}
			if err := hg.publishRoom(ctx, r); err != nil {
				hg.g.log.Warn("room state not published", "room", r, "err", err)
			}
		}
	}
}

// recordAcks records acknowledged wake-up commands in one transaction.
func (hg *hotelGlue) recordAcks(ctx context.Context, acks []queuedAck) {
	if len(acks) == 0 {
		return
	}
	defer func() {
		for _, a := range acks {
			hg.release(a.ack.Ref)
		}
	}()
	err := hg.g.st.InTx(ctx, func(tx *store.Tx) error {
		for _, a := range acks {
			if _, err := hg.sched.Acked(tx, a.ack, hg.g.Now()); err != nil && !errors.Is(err, wakeup.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		hg.g.log.Warn("wake-up acknowledgements not recorded; the next link start sends them again", "n", len(acks), "err", err)
	}
}

// stillWanted checks a queued action against the stored wake-up: the
// delivery transaction that produced it may have rolled back.
func (hg *hotelGlue) stillWanted(ctx context.Context, a wakeup.Action) bool {
	switch a := a.(type) {
	case wakeup.SendToPBX:
		w, err := hg.sched.Get(ctx, hg.g.st, a.Wakeup.ID)
		return err == nil && w.Status.Active() && w.PBX == wakeup.PBXSending && w.Room == a.Room && w.PBXAt.Equal(a.At)
	case wakeup.CancelAtPBX:
		w, err := hg.sched.Get(ctx, hg.g.st, a.Wakeup.ID)
		return err == nil && w.PBX == wakeup.PBXCancelling
	}
	return false
}

// resendUnconfirmed sends the wake-ups the PBX has not confirmed after a
// link start on profiles that do not swap the database (FIAS does: the
// driver sent them in its resync, and snapshot counted them as held).
func (hg *hotelGlue) resendUnconfirmed(ctx context.Context, device string) {
	l := hg.link(device)
	if l == nil || device != hg.primary || l.drv.Profile().Link.ResyncOnLinkStart {
		return
	}
	us, err := hg.sched.UnconfirmedSets(ctx, hg.g.st, hg.g.Now())
	if err != nil {
		hg.g.log.Warn("wake-ups not re-sent after link start", "device", device, "err", err)
		return
	}
	for _, u := range us {
		hg.resend(ctx, device, hotel.WakeupSet{Ref: u.Ref, Room: u.Room, At: u.At})
	}
	// Cancels the PBX never confirmed (the link was down): without a
	// database swap, nothing else would stop the PBX ringing the room.
	cs, err := hg.sched.UnconfirmedCancels(ctx, hg.g.st, hg.g.Now())
	if err != nil {
		hg.g.log.Warn("wake-up cancels not re-sent after link start", "device", device, "err", err)
		return
	}
	for _, u := range cs {
		hg.resend(ctx, device, hotel.WakeupCancel{Ref: u.Ref, Room: u.Room, At: u.At})
	}
}

// resend sends a wake-up command the PBX has not confirmed again, unless
// it is on its way already (a command or the other worker sending it), and
// records the answer.
func (hg *hotelGlue) resend(ctx context.Context, device string, cmd hotel.Command) {
	defer hg.release(cmd.Reference())
	if !hg.claim(cmd.Reference()) {
		return
	}
	o := hg.send(ctx, device, cmd, 0)
	if _, err := hg.applyAck(ctx, device, cmd, o); err != nil {
		hg.g.log.Warn("wake-up answer not recorded", "device", device, "ref", cmd.Reference(), "err", err)
	}
}

// watchdog runs the schedule's watchdog every hotelinkWatchEvery: wake-ups
// overdue without a result, and the check of the link before each day's
// first wake-up; while the link is down it raises at-risk for the wake-ups
// due within the preflight window.
func (hg *hotelGlue) watchdog(ctx context.Context) {
	t := time.NewTicker(hotelinkWatchEvery)
	defer t.Stop()
	for {
		hg.watch(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (hg *hotelGlue) watch(ctx context.Context) {
	g := hg.g
	now := g.Now()
	var acts []wakeup.Action
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if acts, err = hg.sched.Due(tx, now); err != nil {
			return err
		}
		return hg.publishInTx(tx, hg.primary, acts)
	})
	if err != nil {
		if ctx.Err() == nil {
			g.log.Error("wake-up watchdog", "err", err)
		}
		return
	}
	g.notify()
	hg.queueSends(hg.primary, acts)
	for _, a := range acts {
		if p, ok := a.(wakeup.Publish); ok {
			hg.markDirty(string(p.Room))
		}
	}
	if !hg.linkUpOrNone() {
		hg.linkDownCheck(ctx, now)
	}
	hg.sendUndatedDue(ctx)
}

// linkDownCheck: the link is down and wake-ups are due within the
// preflight window.
func (hg *hotelGlue) linkDownCheck(ctx context.Context, now time.Time) {
	g := hg.g
	ws, err := hg.sched.Pending(ctx, g.st, now)
	if err != nil {
		g.log.Warn("wake-up link check", "err", err)
		return
	}
	horizon := now.Add(hg.sched.Config().Preflight)
	byDate := map[wakeup.Date][]wakeup.Wakeup{}
	var dates []wakeup.Date
	for _, w := range ws {
		if w.PBXAt.After(horizon) {
			break
		}
		if _, ok := byDate[w.Date]; !ok {
			dates = append(dates, w.Date)
		}
		byDate[w.Date] = append(byDate[w.Date], w)
	}
	if len(dates) == 0 {
		return
	}
	err = g.st.InTx(ctx, func(tx *store.Tx) error {
		for _, d := range dates {
			var rooms []hotel.Room
			for _, w := range byDate[d] {
				rooms = append(rooms, w.Room)
			}
			if err := hg.linkDownAtRisk(tx, d, byDate[d][0].PBXAt, rooms); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		g.log.Warn("wake-up link check", "err", err)
		return
	}
	g.notify()
}

// --- records ---------------------------------------------------------------

// hotelinkRecords handles what a hotel link delivers, inside the delivery
// transaction. Domain refusals (a result for a room without a wake-up, a
// time that has passed) mark the frame; only store failures are errors.
func hotelinkRecords(s *deviceSink, tx *store.Tx, r drivers.Result) (bool, error) {
	if s.driver != "hotelink" {
		return false, nil
	}
	hg := hotelGlueFor(s.g)
	if hg == nil {
		return false, nil
	}
	hg.mu.Lock()
	hg.after[s] = true
	hg.mu.Unlock()
	switch rec := r.Record.(type) {
	case hotel.WakeupResult:
		return true, hg.onWakeupResult(s, tx, r, rec)
	case hotel.RoomStatus:
		return true, hg.onRoomStatus(s, tx, r, rec)
	case hotel.Posting:
		return true, s.deliverCall(tx, r, hg.postingCall(s, rec))
	case hotel.DND:
		hg.markDirty(string(rec.Room))
		if err := updateRoom(tx, string(rec.Room), func(rr *roomRecord) { rr.DND, rr.DNDAt, rr.DNDBy = rec.On, hg.g.Now(), "room-phone" }); err != nil {
			return true, err
		}
		return true, markFrame(tx, r.FrameID, store.FrameParsed, "")
	case hotel.MWL:
		hg.markDirty(string(rec.Room))
		if err := updateRoom(tx, string(rec.Room), func(rr *roomRecord) { rr.MWL, rr.MWLAt, rr.MWLBy = rec.On, hg.g.Now(), "room-phone" }); err != nil {
			return true, err
		}
		return true, markFrame(tx, r.FrameID, store.FrameParsed, "")
	case hotel.WakeupSet:
		return true, hg.onPhoneWakeup(s, tx, r, rec)
	case hotel.WakeupCancel:
		return true, hg.onPhoneCancel(s, tx, r, rec)
	case hotel.LinkEvent:
		if l := hg.link(s.device); l != nil {
			switch rec.Kind {
			case hotel.LinkUp:
				l.linkUp()
				hg.mu.Lock()
				hg.ups = append(hg.ups, s.device)
				hg.mu.Unlock()
				hg.poke()
			case hotel.LinkDown:
				l.linkDown(hg.g.Now())
			}
		}
		return true, markFrame(tx, r.FrameID, store.FrameSkipped, "")
	}
	return false, nil
}

// markFrame marks a journaled frame; link events of serial protocols come
// with no frame (id 0).
func markFrame(tx *store.Tx, id int64, status, reason string) error {
	if id == 0 {
		return nil
	}
	return tx.MarkFrame(id, status, reason)
}

func (hg *hotelGlue) onWakeupResult(s *deviceSink, tx *store.Tx, r drivers.Result, rec hotel.WakeupResult) error {
	tr, acts, err := hg.sched.Result(tx, rec, hg.g.Now())
	if errors.Is(err, wakeup.ErrRequest) {
		return markFrame(tx, r.FrameID, store.FrameUnparsed, err.Error())
	}
	if err != nil {
		return err
	}
	if err := hg.publishInTx(tx, s.device, acts); err != nil {
		return err
	}
	hg.queueSends(s.device, acts)
	hg.markDirty(string(rec.Room))
	status := store.FrameParsed
	if tr.Duplicate {
		status = store.FrameDuplicate
	}
	return markFrame(tx, r.FrameID, status, tr.Note)
}

func (hg *hotelGlue) onRoomStatus(s *deviceSink, tx *store.Tx, r drivers.Result, rec hotel.RoomStatus) error {
	ev := RoomStatusEvent{Device: s.device, Room: string(rec.Room), Code: rec.Code, Label: rec.Label, At: hg.g.Now().In(hg.g.loc), JournalID: r.FrameID}
	if _, _, err := tx.Enqueue(hg.event(s.device, "hotel.pbx.room.status", "room/"+string(rec.Room),
		fmt.Sprintf("%s/journal/%d", s.device, r.FrameID), ev)); err != nil {
		return err
	}
	return markFrame(tx, r.FrameID, store.FrameParsed, "")
}

// postingCall turns a PBX-costed call (FIAS PS) into the CallRecord the
// SMDR call path rates and posts. The posting's time is taken as the
// call's start; TA is the PBX's cost in minor units of the tariff's
// currency.
func (hg *hotelGlue) postingCall(s *deviceSink, p hotel.Posting) events.CallRecord {
	answered := true
	at := p.At.In(hg.g.loc)
	return events.CallRecord{
		Profile: s.profile, Kind: events.KindCall, Direction: events.Outgoing,
		Start: at, End: at.Add(p.Duration), DurationS: int(p.Duration / time.Second), Answered: &answered,
		Extension: string(p.Room), Dialed: p.Dialed, CallID: p.Number, PBXClass: p.CallType,
		PBXCost: minorToDecimal(p.Amount, currencyDigits(hg.g.Biller().Engine.Tariff.Currency())), Raw: p.Raw,
	}
}

func currencyDigits(cur string) int {
	switch cur {
	case "JPY", "KRW", "VND":
		return 0
	}
	return 2
}

// minorToDecimal writes an amount in minor units as a decimal string.
func minorToDecimal(n int64, digits int) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	if digits > 0 {
		for len(s) <= digits {
			s = "0" + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// onPhoneWakeup records a wake-up the guest dialed on the room phone (the
// PBX already holds it).
func (hg *hotelGlue) onPhoneWakeup(s *deviceSink, tx *store.Tx, r drivers.Result, rec hotel.WakeupSet) error {
	at := rec.At.In(hg.g.loc)
	req := wakeup.Request{Room: rec.Room, Date: wakeup.DateOf(at), Clock: wakeup.Clock{Hour: at.Hour(), Minute: at.Minute()}, By: wakeup.ByRoomPhone}
	w, acts, err := hg.sched.Set(tx, req, hg.g.Now())
	if errors.Is(err, wakeup.ErrPast) || errors.Is(err, wakeup.ErrRequest) {
		return markFrame(tx, r.FrameID, store.FrameParsed, "not recorded: "+err.Error())
	}
	if err != nil {
		return err
	}
	// A wake-up of the same day it replaced is cancelled at the PBX by the
	// schedule; the PBX has already replaced it itself.
	for _, a := range acts {
		if c, ok := a.(wakeup.CancelAtPBX); ok {
			if _, err := hg.sched.Acked(tx, hotel.CommandAck{Ref: c.Ref, OK: true}, hg.g.Now()); err != nil {
				return err
			}
		}
	}
	if err := hg.scheduledEvent(tx, s.device, w); err != nil {
		return err
	}
	hg.markDirty(string(rec.Room))
	return markFrame(tx, r.FrameID, store.FrameParsed, "")
}

// onPhoneCancel cancels the wake-up the guest cleared on the room phone.
func (hg *hotelGlue) onPhoneCancel(s *deviceSink, tx *store.Tx, r drivers.Result, rec hotel.WakeupCancel) error {
	at := rec.At.In(hg.g.loc)
	ws, err := hg.sched.ListDay(context.Background(), hg.g.st, wakeup.DateOf(at))
	if err != nil {
		return err
	}
	var id int64
	for _, w := range ws {
		if w.Room == rec.Room && w.Status.Active() && w.PBXAt.In(hg.g.loc).Format("15:04") == at.Format("15:04") {
			id = w.ID
		}
	}
	if id == 0 {
		return markFrame(tx, r.FrameID, store.FrameParsed, "no such wake-up: nothing cancelled")
	}
	_, acts, err := hg.sched.Cancel(tx, rec.Room, id, hg.g.Now())
	if err != nil && !errors.Is(err, wakeup.ErrNotFound) {
		return err
	}
	for _, a := range acts {
		if c, ok := a.(wakeup.CancelAtPBX); ok {
			if _, err := hg.sched.Acked(tx, hotel.CommandAck{Ref: c.Ref, OK: true}, hg.g.Now()); err != nil {
				return err
			}
		}
	}
	hg.markDirty(string(rec.Room))
	return markFrame(tx, r.FrameID, store.FrameParsed, "")
}

func (hg *hotelGlue) scheduledEvent(tx *store.Tx, device string, w wakeup.Wakeup) error {
	ev := WakeupScheduled{Device: device, Source: sourceHotelLink, Room: string(w.Room), WakeupID: w.ID, Date: w.Date.String(),
		Time: w.Clock.String(), At: w.At.In(hg.g.loc), Daily: w.Daily, Until: w.Until.String(), RequestedBy: string(w.RequestedBy),
		Operator: w.Operator, RecordedAt: w.RecordedAt.In(hg.g.loc)}
	_, _, err := tx.Enqueue(hg.event(device, "hotel.pbx.wakeup.scheduled", "room/"+string(w.Room), fmt.Sprintf("wakeup/%d/scheduled", w.ID), ev))
	return err
}

// --- commands --------------------------------------------------------------

// WakeupSetData is the data of pbx/{device}/cmd/wakeup.set.
type WakeupSetData struct {
	Room string `json:"room"`
	// Time is "06:30" (the next time the site's clock reads it, or on
	// Date) or an RFC 3339 instant.
	Time        string `json:"time"`
	Date        string `json:"date,omitempty"` // YYYY-MM-DD
	Daily       bool   `json:"daily,omitempty"`
	Until       string `json:"until,omitempty"`        // daily: last day (YYYY-MM-DD)
	RequestedBy string `json:"requested_by,omitempty"` // guest (default), operator
	Operator    string `json:"operator"`               // the operator's number (工號)
}

// WakeupCancelData is the data of pbx/{device}/cmd/wakeup.cancel: the
// room's wake-up id, or every active wake-up of the room.
type WakeupCancelData struct {
	Room string `json:"room"`
	ID   int64  `json:"id,omitempty"`
}

// SwitchData is the data of dnd.set and mwl.set.
type SwitchData struct {
	Room string `json:"room"`
	On   *bool  `json:"on"`
}

// COSData is the data of cos.set.
type COSData struct {
	Room string `json:"room"`
	COS  string `json:"cos"` // barred, internal, local, national, international
}

// GuestCheckInData is the data of guest.checkin. The name goes to the PBX
// (the room phone's display) and the store, never into an event.
type GuestCheckInData struct {
	Room        string `json:"room"`
	Reservation string `json:"reservation,omitempty"`
	Name        string `json:"name,omitempty"`
	Language    string `json:"language,omitempty"`
	VIP         bool   `json:"vip,omitempty"`
	COS         string `json:"cos,omitempty"`
}

// GuestCheckOutData is the data of guest.checkout.
type GuestCheckOutData struct {
	Room string `json:"room"`
}

// GuestMoveData is the data of guest.move.
type GuestMoveData struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// hotelCmd handles one command of a hotel link.
type hotelCmd struct {
	hg   *hotelGlue
	name string
}

func (h hotelCmd) Validate(c *bus.Command) error {
	if err := h.hg.checkDevice(c.Device, h.name); err != nil {
		return err
	}
	req, err := h.parse(c, h.hg.g.Now())
	if err == nil {
		// The router executes the command it validated, right after the
		// accepted reply: keep what was read for it.
		h.hg.parsed.Store(c, req)
	}
	return err
}

func (h hotelCmd) Execute(ctx context.Context, c *bus.Command) (any, error) {
	req, ok := h.hg.parsed.LoadAndDelete(c)
	if !ok {
		var err error
		if req, err = h.parse(c, h.hg.g.Now()); err != nil {
			return nil, err
		}
	}
	switch d := req.(type) {
	case wakeup.Request:
		return h.hg.wakeupSet(ctx, c, d)
	case WakeupCancelData:
		return h.hg.wakeupCancel(ctx, c, d)
	case SwitchData:
		return h.hg.roomSwitch(ctx, c, h.name, d)
	case COSData:
		return h.hg.setCOS(ctx, c, d)
	case GuestCheckInData:
		return h.hg.checkIn(ctx, c, d)
	case GuestCheckOutData:
		return h.hg.checkOut(ctx, c, d)
	case GuestMoveData:
		return h.hg.move(ctx, c, d)
	}
	return nil, fmt.Errorf("command %s not handled", h.name)
}

func (hg *hotelGlue) checkDevice(device, command string) error {
	if hg.link(device) == nil {
		return &bus.FieldError{Field: "topic", Problem: fmt.Sprintf("device %s is not a hotel link (hotel links: %s)", device, strings.Join(hg.devices(), ", "))}
	}
	if strings.HasPrefix(command, "wakeup.") && device != hg.primary {
		return &bus.FieldError{Field: "topic", Problem: fmt.Sprintf("wake-ups go through hotel link %s, not %s", hg.primary, device)}
	}
	return nil
}

// room checks that room is a guest room of the config, naming field.
func (hg *hotelGlue) room(field, room string) error {
	err := folioHandler{g: hg.g}.guestRoom(room)
	var fe *bus.FieldError
	if errors.As(err, &fe) {
		return &bus.FieldError{Field: field, Problem: fe.Problem}
	}
	return err
}

func (hg *hotelGlue) occupied(room string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var n int
	if err := hg.g.st.QueryRow(ctx, `SELECT COUNT(*) FROM stays WHERE room=? AND checkout IS NULL`, room).Scan(&n); err != nil {
		return false, fmt.Errorf("room %s: %w", room, err)
	}
	return n > 0, nil
}

// mustBe checks a room's occupancy, naming field.
func (hg *hotelGlue) mustBe(field, room string, occupied bool) error {
	occ, err := hg.occupied(room)
	if err != nil {
		return err
	}
	switch {
	case occupied && !occ:
		return &bus.FieldError{Field: field, Problem: fmt.Sprintf("room %s is vacant: no guest is checked in", room)}
	case !occupied && occ:
		return &bus.FieldError{Field: field, Problem: fmt.Sprintf("room %s is occupied: check the guest out or move them first", room)}
	}
	return nil
}

func (hg *hotelGlue) checkCOS(device, field, cos string) error {
	if !slices.Contains(cosValues, cos) {
		return &bus.FieldError{Field: field, Problem: fmt.Sprintf("class of service %q: want one of %s", cos, strings.Join(cosValues, ", "))}
	}
	l := hg.link(device)
	if l == nil {
		return nil
	}
	p := l.drv.Profile()
	if len(p.COS) == 0 {
		return nil // no COS over this link: an operator task
	}
	if _, ok := p.COS[hotel.COS(cos)]; !ok {
		var have []string
		for k := range p.COS {
			have = append(have, string(k))
		}
		slices.Sort(have)
		return &bus.FieldError{Field: field, Problem: fmt.Sprintf("class of service %q is not in profile %s (it has %s)", cos, p.ID, strings.Join(have, ", "))}
	}
	return nil
}

func noControl(field, v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == '|' }) {
		return &bus.FieldError{Field: field, Problem: "control characters or '|'"}
	}
	return nil
}

// parse decodes and checks a command's data; now decides "in the past".
func (h hotelCmd) parse(c *bus.Command, now time.Time) (any, error) {
	hg := h.hg
	switch h.name {
	case "wakeup.set":
		var d WakeupSetData
		if err := bus.DecodeData(c, &d); err != nil {
			return nil, err
		}
		return hg.wakeupRequest(d, now)
	case "wakeup.cancel":
		var d WakeupCancelData
		if err := bus.DecodeData(c, &d); err != nil {
			return nil, err
		}
		if d.ID < 0 {
			return nil, &bus.FieldError{Field: "data.id", Problem: "not a wake-up id"}
		}
		return d, hg.room("data.room", d.Room)
	case "dnd.set", "mwl.set":
		var d SwitchData
		if err := bus.DecodeData(c, &d); err != nil {
			return nil, err
		}
		if d.On == nil {
			return nil, &bus.FieldError{Field: "data.on", Problem: "required: true or false"}
		}
		return d, hg.room("data.room", d.Room)
	case "cos.set":
		var d COSData
		if err := bus.DecodeData(c, &d); err != nil {
			return nil, err
		}
		if err := hg.room("data.room", d.Room); err != nil {
			return nil, err
		}
		return d, hg.checkCOS(c.Device, "data.cos", d.COS)
	case "guest.checkin":
		var d GuestCheckInData
		if err := bus.DecodeData(c, &d); err != nil {
			return nil, err
		}
		if err := hg.room("data.room", d.Room); err != nil {
			return nil, err
		}
		for f, v := range map[string]string{"data.name": d.Name, "data.reservation": d.Reservation, "data.language": d.Language} {
			if err := noControl(f, v); err != nil {
				return nil, err
			}
		}
		if d.COS != "" {
			if err := hg.checkCOS(c.Device, "data.cos", d.COS); err != nil {
				return nil, err
			}
		}
		return d, hg.mustBe("data.room", d.Room, false)
	case "guest.checkout":
		var d GuestCheckOutData
		if err := bus.DecodeData(c, &d); err != nil {
			return nil, err
		}
		if err := hg.room("data.room", d.Room); err != nil {
			return nil, err
		}
		return d, hg.mustBe("data.room", d.Room, true)
	case "guest.move":
		var d GuestMoveData
		if err := bus.DecodeData(c, &d); err != nil {
			return nil, err
		}
		if err := hg.room("data.from", d.From); err != nil {
			return nil, err
		}
		if err := hg.room("data.to", d.To); err != nil {
			return nil, err
		}
		if d.From == d.To {
			return nil, &bus.FieldError{Field: "data.to", Problem: "the same room as data.from"}
		}
		if err := hg.mustBe("data.from", d.From, true); err != nil {
			return nil, err
		}
		return d, hg.mustBe("data.to", d.To, false)
	}
	return nil, fmt.Errorf("unknown command %s", h.name)
}

// wakeupRequest checks a wakeup.set: a guest room with a guest in it, a
// time of day (the next one) or an instant, not in the past, and the
// operator's number (叫醒服務 b).
func (hg *hotelGlue) wakeupRequest(d WakeupSetData, now time.Time) (wakeup.Request, error) {
	loc := hg.g.loc
	var req wakeup.Request
	if err := hg.room("data.room", d.Room); err != nil {
		return req, err
	}
	if err := hg.mustBe("data.room", d.Room, true); err != nil {
		return req, err
	}
	req.Room = hotel.Room(d.Room)
	switch d.RequestedBy {
	case "", "guest":
		req.By = wakeup.ByGuest
	case "operator":
		req.By = wakeup.ByOperator
	default:
		return req, &bus.FieldError{Field: "data.requested_by", Problem: fmt.Sprintf("%q: want guest or operator", d.RequestedBy)}
	}
	if strings.TrimSpace(d.Operator) == "" {
		return req, &bus.FieldError{Field: "data.operator", Problem: "required: the number of the operator who took the request"}
	}
	if err := noControl("data.operator", d.Operator); err != nil {
		return req, err
	}
	req.Operator = d.Operator
	if d.Time == "" {
		return req, &bus.FieldError{Field: "data.time", Problem: "required: HH:MM or an RFC 3339 time"}
	}
	if t, err := time.Parse(time.RFC3339, d.Time); err == nil {
		if d.Date != "" {
			return req, &bus.FieldError{Field: "data.date", Problem: "give the date either here or in data.time, not both"}
		}
		t = t.In(loc)
		if t.Second() != 0 || t.Nanosecond() != 0 {
			return req, &bus.FieldError{Field: "data.time", Problem: "wake-ups are to the minute"}
		}
		req.Date, req.Clock = wakeup.DateOf(t), wakeup.Clock{Hour: t.Hour(), Minute: t.Minute()}
	} else {
		clock, err := wakeup.ParseClock(d.Time)
		if err != nil {
			return req, &bus.FieldError{Field: "data.time", Problem: fmt.Sprintf("%q: want HH:MM or an RFC 3339 time", d.Time)}
		}
		req.Clock = clock
		if d.Date != "" {
			if req.Date, err = wakeup.ParseDate(d.Date); err != nil {
				return req, &bus.FieldError{Field: "data.date", Problem: fmt.Sprintf("%q: want YYYY-MM-DD", d.Date)}
			}
		} else {
			// The next time the clock reads it: tonight's request for 06:30
			// is tomorrow's.
			req.Date = wakeup.DateOf(now.In(loc))
			if at, _ := wakeup.Resolve(req.Date, clock, loc); !at.After(now) {
				req.Date = req.Date.AddDays(1)
			}
		}
	}
	if at, _ := wakeup.Resolve(req.Date, req.Clock, loc); !at.After(now) {
		return req, &bus.FieldError{Field: "data.time", Problem: fmt.Sprintf("%s %s is in the past (it is %s)", req.Date, req.Clock, now.In(loc).Format("2006-01-02 15:04"))}
	}
	req.Daily = d.Daily
	if d.Until != "" {
		if !d.Daily {
			return req, &bus.FieldError{Field: "data.until", Problem: "an end date is for daily wake-ups only"}
		}
		u, err := wakeup.ParseDate(d.Until)
		if err != nil || u.Before(req.Date) {
			return req, &bus.FieldError{Field: "data.until", Problem: fmt.Sprintf("%q: want YYYY-MM-DD, not before %s", d.Until, req.Date)}
		}
		req.Until = u
	}
	return req, nil
}

// scheduleError names the field a schedule refusal is about.
func scheduleError(err error) error {
	switch {
	case errors.Is(err, wakeup.ErrPast):
		return &bus.FieldError{Field: "data.time", Problem: err.Error()}
	case errors.Is(err, wakeup.ErrRequest):
		return &bus.FieldError{Field: "data", Problem: err.Error()}
	}
	return fmt.Errorf("not recorded: %w", err)
}

func wakeupResult(w wakeup.Wakeup, loc *time.Location) map[string]any {
	res := map[string]any{"wakeup_id": w.ID, "room": string(w.Room), "date": w.Date.String(), "time": w.Clock.String(),
		"at": w.At.In(loc), "status": string(w.Status), "pbx_state": string(w.PBX), "operator": w.Operator}
	if w.Daily {
		res["daily"] = true
		if !w.Until.IsZero() {
			res["until"] = w.Until.String()
		}
	}
	return res
}

func (hg *hotelGlue) wakeupSet(ctx context.Context, c *bus.Command, req wakeup.Request) (any, error) {
	g := hg.g
	now := g.Now()
	var w wakeup.Wakeup
	var acts []wakeup.Action
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if w, acts, err = hg.sched.Set(tx, req, now); err != nil {
			return err
		}
		if len(acts) > 0 {
			if err := hg.scheduledEvent(tx, c.Device, w); err != nil {
				return err
			}
		}
		return hg.publishInTx(tx, c.Device, acts)
	})
	if err != nil {
		return nil, scheduleError(err)
	}
	g.notify()
	setRef := fmt.Sprintf("wakeup/%d/set/", w.ID)
	if len(acts) == 0 && w.PBX == wakeup.PBXSending {
		// The same request again while the PBX has not confirmed it yet
		// (the link was down): send it again.
		us, err := hg.sched.UnconfirmedSets(ctx, g.st, now)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			if u.ID == w.ID {
				acts = append(acts, wakeup.SendToPBX{Ref: u.Ref, Wakeup: w, Room: u.Room, At: u.At})
			}
		}
	}
	outs := hg.dispatch(ctx, c.Device, acts, hotelinkRetries)
	hg.markDirty(string(w.Room))
	for _, o := range outs {
		if !o.ok() {
			if cur, err := hg.sched.Get(ctx, g.st, w.ID); err == nil {
				w = cur // a refusal changed it
			}
			break
		}
	}
	res := wakeupResult(w, g.loc)
	for ref, o := range outs {
		if !strings.HasPrefix(ref, setRef) {
			continue
		}
		res["pbx"] = o.pbxStatus()
		switch {
		case o.ok():
			// What recordAcks is about to store.
			res["pbx_state"] = string(wakeup.PBXHeld)
			if res["status"] == string(wakeup.Pending) {
				res["status"] = string(wakeup.Sent)
			}
		case o.operatorTask():
			res["operator_task"] = o.Ack.Reason
		case errors.Is(o.Err, errHeldUndated):
			res["pbx"] = "held"
			res["note"] = errHeldUndated.Error()
		case errors.Is(o.Err, hotel.ErrLinkDown):
			return res, fmt.Errorf("%s: wake-up %d is recorded and goes to the PBX when the link is back", o.reason(), w.ID)
		default:
			return res, errors.New(o.reason())
		}
	}
	if _, ok := res["pbx"]; !ok && len(acts) == 0 {
		res["note"] = "already recorded"
	}
	return res, nil
}

func (hg *hotelGlue) wakeupCancel(ctx context.Context, c *bus.Command, d WakeupCancelData) (any, error) {
	g := hg.g
	var ws []wakeup.Wakeup
	var acts []wakeup.Action
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		ws, acts, err = hg.sched.Cancel(tx, hotel.Room(d.Room), d.ID, g.Now())
		return err
	})
	if errors.Is(err, wakeup.ErrNotFound) {
		field := "data.room"
		if d.ID != 0 {
			field = "data.id"
		}
		return nil, &bus.FieldError{Field: field, Problem: err.Error()}
	}
	if err != nil {
		return nil, fmt.Errorf("not cancelled: %w", err)
	}
	outs := hg.dispatch(ctx, c.Device, acts, hotelinkRetries)
	hg.markDirty(d.Room)
	ids := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.ID
	}
	res := map[string]any{"room": d.Room, "cancelled": ids, "pbx": "sent"}
	for _, o := range outs {
		if o.ok() {
			continue
		}
		res["pbx"] = o.pbxStatus()
		if errors.Is(o.Err, hotel.ErrLinkDown) {
			return res, fmt.Errorf("%s: cancelled in the schedule; the PBX forgets it at the next link start (resync)", o.reason())
		}
		if !o.operatorTask() {
			return res, errors.New(o.reason())
		}
		res["operator_task"] = o.Ack.Reason
	}
	return res, nil
}

// finish turns the PBX's answer to a room command into its reply: an
// operator task completes (with hotel.pbx.operator.task), a link that
// stayed down or a refusal fails, saying what the store kept.
func (hg *hotelGlue) finish(ctx context.Context, c *bus.Command, cmd hotel.Command, o sendOutcome, res map[string]any, kept string) (any, error) {
	res["pbx"] = o.pbxStatus()
	switch {
	case o.ok():
		return res, nil
	case o.operatorTask():
		res["operator_task"] = o.Ack.Reason
		err := hg.g.st.InTx(ctx, func(tx *store.Tx) error { return hg.operatorTaskEvent(tx, c.Device, cmd, c.ID, o) })
		if err != nil {
			return res, fmt.Errorf("operator task not recorded: %w", err)
		}
		hg.g.notify()
		return res, nil
	}
	return res, fmt.Errorf("%s: %s", o.reason(), kept)
}

const keptForResync = "recorded; the PBX gets it when the link is back (resync)"

func (hg *hotelGlue) roomSwitch(ctx context.Context, c *bus.Command, name string, d SwitchData) (any, error) {
	g := hg.g
	on := *d.On
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		return updateRoom(tx, d.Room, func(rr *roomRecord) {
			if name == "dnd.set" {
				rr.DND, rr.DNDAt, rr.DNDBy = on, g.Now(), c.Client
			} else {
				rr.MWL, rr.MWLAt, rr.MWLBy = on, g.Now(), c.Client
			}
		})
	})
	if err != nil {
		return nil, fmt.Errorf("not recorded: %w", err)
	}
	hg.markDirty(d.Room)
	var cmd hotel.Command = hotel.DND{Ref: c.ID, Room: hotel.Room(d.Room), On: on}
	key := "dnd"
	if name == "mwl.set" {
		cmd, key = hotel.MWL{Ref: c.ID, Room: hotel.Room(d.Room), On: on}, "mwl"
	}
	o := hg.send(ctx, c.Device, cmd, hotelinkRetries)
	return hg.finish(ctx, c, cmd, o, map[string]any{"room": d.Room, key: on}, keptForResync)
}

// MessageLamp lights (or puts out) a room's message-waiting lamp through
// the hotel link, for the gateway's own reasons (a fax waiting at the front
// desk). Without a hotel link it does nothing. The lamp is recorded first,
// so a link that is down gets it at its next resync; it reports whether the
// PBX took it now.
func (g *Gateway) MessageLamp(ctx context.Context, room string, on bool, by string) bool {
	hg := hotelGlueFor(g)
	if hg == nil || hg.primary == "" {
		return false
	}
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		return updateRoom(tx, room, func(rr *roomRecord) { rr.MWL, rr.MWLAt, rr.MWLBy = on, g.Now(), by })
	})
	if err != nil {
		g.log.Warn("message lamp not recorded", "room", room, "err", err)
		return false
	}
	hg.markDirty(room)
	cmd := hotel.MWL{Ref: fmt.Sprintf("%s/mwl/%s/%d", by, room, g.Now().UnixNano()), Room: hotel.Room(room), On: on}
	o := hg.send(ctx, hg.primary, cmd, 0)
	if !o.ok() {
		g.log.Warn("message lamp not taken by the PBX now; sent again at its next resync", "room", room, "on", on, "reason", o.reason())
	}
	return o.ok()
}

func (hg *hotelGlue) setCOS(ctx context.Context, c *bus.Command, d COSData) (any, error) {
	g := hg.g
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		return updateRoom(tx, d.Room, func(rr *roomRecord) { rr.COS, rr.COSAt = d.COS, g.Now() })
	})
	if err != nil {
		return nil, fmt.Errorf("not recorded: %w", err)
	}
	hg.markDirty(d.Room)
	cmd := hotel.SetCOS{Ref: c.ID, Room: hotel.Room(d.Room), COS: hotel.COS(d.COS)}
	o := hg.send(ctx, c.Device, cmd, hotelinkRetries)
	return hg.finish(ctx, c, cmd, o, map[string]any{"room": d.Room, "cos": d.COS}, keptForResync)
}

// stayEvent enqueues hotel.edge.folio.checked-in/-out, as the edge folio
// commands do.
func (hg *hotelGlue) stayEvent(tx *store.Tx, evType string, s *folio.Stay) (int64, error) {
	g := hg.g
	ev := StayEvent{Room: s.Room, Reservation: s.Reservation, StayID: s.ID, Language: s.Language, VIP: s.VIP, CheckedIn: s.CheckIn.In(g.loc)}
	if s.CheckOut != nil {
		ev.CheckedOut = ptrTime(s.CheckOut.In(g.loc))
	}
	seq, _, err := tx.Enqueue(store.Event{Type: evType, Topic: g.topics.Event("edge", g.cfg.Site.Gateway, evType),
		Source: g.topics.Source("edge", g.cfg.Site.Gateway), Subject: "room/" + s.Room,
		IdemKey: fmt.Sprintf("stay/%d/%s", s.ID, evType), Data: ev})
	return seq, err
}

func stayError(err error) error {
	if errors.Is(err, folio.ErrOccupied) || errors.Is(err, folio.ErrVacant) {
		return &bus.FieldError{Field: "data.room", Problem: err.Error()}
	}
	return fmt.Errorf("not recorded: %w", err)
}

func (hg *hotelGlue) checkIn(ctx context.Context, c *bus.Command, d GuestCheckInData) (any, error) {
	g := hg.g
	var s *folio.Stay
	var seq int64
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		s, err = folio.CheckIn(tx, folio.Stay{Room: d.Room, Reservation: d.Reservation, Guest: d.Name, Language: d.Language, VIP: d.VIP, CheckIn: g.Now()})
		if err != nil {
			return err
		}
		// A new guest starts with the lamp off and no DND.
		if err := putRoom(tx, d.Room, roomRecord{COS: d.COS, COSAt: g.Now()}); err != nil {
			return err
		}
		seq, err = hg.stayEvent(tx, "hotel.edge.folio.checked-in", s)
		return err
	})
	if err != nil {
		return nil, stayError(err)
	}
	g.notify()
	hg.markDirty(d.Room)
	cmd := hotel.CheckIn{Ref: c.ID, Room: hotel.Room(d.Room), Reservation: d.Reservation, Guest: d.Name, Language: d.Language,
		VIP: d.VIP, COS: hotel.COS(d.COS)}
	o := hg.send(ctx, c.Device, cmd, hotelinkRetries)
	return hg.finish(ctx, c, cmd, o, map[string]any{"room": d.Room, "stay_id": s.ID, "event_seq": seq},
		"the stay is open; the PBX gets the check-in when the link is back (resync)")
}

func (hg *hotelGlue) checkOut(ctx context.Context, c *bus.Command, d GuestCheckOutData) (any, error) {
	g := hg.g
	var s *folio.Stay
	var seq int64
	var ws []wakeup.Wakeup
	var acts []wakeup.Action
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if s, err = folio.CheckOut(tx, d.Room, g.Now()); err != nil {
			return err
		}
		if ws, acts, err = hg.sched.CancelForCheckout(tx, hotel.Room(d.Room), g.Now()); err != nil {
			return err
		}
		if err := putRoom(tx, d.Room, roomRecord{}); err != nil {
			return err
		}
		seq, err = hg.stayEvent(tx, "hotel.edge.folio.checked-out", s)
		return err
	})
	if err != nil {
		return nil, stayError(err)
	}
	g.notify()
	// The wake-ups first: a PBX may refuse to clear one for a vacant room.
	wouts := hg.dispatch(ctx, hg.primary, acts, hotelinkRetries)
	hg.markDirty(d.Room)
	cmd := hotel.CheckOut{Ref: c.ID, Room: hotel.Room(d.Room), Reservation: s.Reservation}
	o := hg.send(ctx, c.Device, cmd, hotelinkRetries)
	res := map[string]any{"room": d.Room, "stay_id": s.ID, "event_seq": seq, "cancelled_wakeups": len(ws)}
	for _, wo := range wouts {
		if !wo.ok() && o.ok() {
			res["wakeups_pbx"] = wo.reason()
		}
	}
	return hg.finish(ctx, c, cmd, o, res, "the stay is closed and its wake-ups cancelled; the PBX gets the check-out when the link is back (resync)")
}

func (hg *hotelGlue) move(ctx context.Context, c *bus.Command, d GuestMoveData) (any, error) {
	g := hg.g
	var old, nw *folio.Stay
	var ws []wakeup.Wakeup
	var acts []wakeup.Action
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		now := g.Now()
		var err error
		if old, err = folio.CheckOut(tx, d.From, now); err != nil {
			return err
		}
		if nw, err = folio.CheckIn(tx, folio.Stay{Room: d.To, Reservation: old.Reservation, Guest: old.Guest, Language: old.Language, VIP: old.VIP, CheckIn: now}); err != nil {
			return err
		}
		if ws, acts, err = hg.sched.Move(tx, hotel.Room(d.From), hotel.Room(d.To), now); err != nil {
			return err
		}
		rr, err := getRoom(tx, d.From)
		if err != nil {
			return err
		}
		if err := putRoom(tx, d.To, rr); err != nil {
			return err
		}
		if err := putRoom(tx, d.From, roomRecord{}); err != nil {
			return err
		}
		_, _, err = tx.Enqueue(hg.event(c.Device, "hotel.pbx.guest.moved", "room/"+d.To, fmt.Sprintf("stay/%d/moved", old.ID),
			GuestMoved{Device: c.Device, From: d.From, To: d.To, Reservation: old.Reservation, StayID: old.ID, NewStayID: nw.ID, At: now.In(g.loc), Wakeups: len(ws)}))
		return err
	})
	if err != nil {
		var fe *bus.FieldError
		if err = stayError(err); errors.As(err, &fe) {
			fe.Field = "data.to"
		}
		return nil, err
	}
	g.notify()
	hg.markDirty(d.From, d.To)
	cmd := hotel.RoomMove{Ref: c.ID, From: hotel.Room(d.From), To: hotel.Room(d.To), Reservation: old.Reservation, Guest: old.Guest, Language: old.Language}
	o := hg.send(ctx, c.Device, cmd, hotelinkRetries)
	wouts := hg.dispatch(ctx, hg.primary, acts, hotelinkRetries)
	hg.markDirty(d.From, d.To)
	res := map[string]any{"from": d.From, "to": d.To, "stay_id": nw.ID, "wakeups": len(ws)}
	for _, wo := range wouts {
		if !wo.ok() && o.ok() {
			res["wakeups_pbx"] = wo.reason()
		}
	}
	return hg.finish(ctx, c, cmd, o, res, "the stay and its wake-ups moved; the PBX gets the move when the link is back (resync)")
}
