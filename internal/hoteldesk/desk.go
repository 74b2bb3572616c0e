// Package hoteldesk is the hotel desk: the guests' stays and everything
// the PBX does for a room (總機 and 接待 work): check-in, check-out and room
// moves, wake-up calls with the PBX's hotel interface (set, cancel,
// answered, unanswered, retried, escalated), do-not-disturb, the
// message-waiting lamp, the class of service, and the room's retained state.
//
// Every way into or out of a stay goes through one path (stays.go): the
// edge folio commands, the hotel link's guest commands, a check-in or
// check-out the PBX reports itself (printed in its SMDR stream, or a FIAS
// GI/GO from its side). That path opens or closes the stay, cancels or
// moves the room's wake-ups (at the PBX before the check-out), resets the
// room's DND, lamp and class of service, publishes the stay's events and
// the room's state, and tells every hotel link that did not report it.
//
// Commands on pbx/{device}/cmd/ (device: a hotel link of the config):
// wakeup.set, wakeup.cancel, dnd.set, mwl.set, cos.set, guest.checkin,
// guest.checkout, guest.move; on edge/{gateway}/cmd/: folio.checkin,
// folio.checkout (docs/events.md, docs/hotelink.md). Each is recorded in
// the store first, with the frames that tell the PBX when the link can
// prepare them (hotel.Preparer: one commit, journal first), then sent to
// the PBX; a link that is down is retried
// Options.Retries times, and what the PBX did not get reaches it on the
// next link start (FIAS: the driver sends a database swap built from the
// desk's snapshot, so nothing doubles).
//
// The wake-up schedule is the site's: wake-ups go to one hotel link, the
// first of the config (its options tune the schedule: wakeup_retry_after,
// wakeup_attempts, wakeup_grace, wakeup_preflight, wakeup_escalate).
package hoteldesk

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

// CallPoster posts a call the PBX costed itself (FIAS PS) through call
// billing, in the transaction of its frame.
type CallPoster interface {
	PostCall(tx *store.Tx, r desk.Record, rec events.CallRecord) (desk.Outcome, error)
}

// Options configure a hotel desk.
type Options struct {
	// Billing is the room map in force (which extensions are guest rooms)
	// and the tariff's currency (PBX-costed calls).
	Billing func() *folio.Biller
	// Calls posts the calls the PBX costed (FIAS PS).
	Calls CallPoster
	// Links are the hotel links of the config, in its order: the first
	// takes the wake-ups and its options tune the schedule.
	Links []desk.Device

	// Retries is how many times a command is sent again while the link is
	// down, RetryWait apart (or as soon as it comes up). Default 3, 1 s.
	Retries   int
	RetryWait time.Duration
	// WatchEvery is the wake-up watchdog's period (default 30 s).
	WatchEvery time.Duration
	// SendTimeout bounds one command to the PBX (default 10 s).
	SendTimeout time.Duration
	// RoomStateQuiet and RoomStateDelay pace the retained room states and
	// the recording of the PBX's acknowledgements: a morning's 300
	// wake-ups do not queue their writes in front of the commands
	// (defaults 50 ms, 1 s).
	RoomStateQuiet, RoomStateDelay time.Duration
}

// Desk is the hotel desk of one gateway.
type Desk struct {
	host    desk.Host
	opt     Options
	sched   *wakeup.Schedule
	primary string // the link wake-ups go to

	// created is when the desk first saw a link (the gateway's clock when
	// its devices started): a link never up has been down since then.
	created time.Time

	mu    sync.Mutex
	links map[string]*link
	dirty map[string]bool             // rooms whose retained state is to be published
	sends []queuedSend                // schedule actions to send once their transaction committed
	acks  []queuedAck                 // the PBX took these wake-up commands: recorded in one batch
	ups   []string                    // links that came up
	jobs  []func(ctx context.Context) // work for the PBX once a transaction committed
	kick  chan struct{}
	// sending counts the wake-up commands (by reference) on their way to
	// the PBX: sent and not answered yet, or acknowledged and not recorded
	// yet. The watchdog and the link-start resend leave them alone, so the
	// PBX does not get a command twice.
	sending map[string]int

	parsed    sync.Map                   // *bus.Command -> its request, from Validate to Execute
	published map[string]hotel.RoomState // last retained state per room (worker only)
}

// link is one hotel link the desk drives.
type link struct {
	id      string
	profile string // the device's profile, as its journal rows name it
	drv     hotel.Link

	mu        sync.Mutex
	upCh      chan struct{} // closed when the link comes up
	downSince time.Time     // when the link was last seen going down (or the desk started)
}

// queuedSend is a SendToPBX or CancelAtPBX for the worker.
type queuedSend struct {
	device string
	act    wakeup.Action
}

// queuedAck is a wake-up command the PBX acknowledged, for the worker to
// record once the burst is over (a lost one is harmless: the next link
// start sends the wake-up again and counts it as held).
type queuedAck struct {
	device string
	ack    hotel.CommandAck
}

// New makes the hotel desk, its wake-up schedule (tuned by the first
// link's options), and registers its commands and workers.
func New(h desk.Host, o Options) (*Desk, error) {
	if o.Retries == 0 {
		o.Retries = 3
	}
	o.RetryWait = orDefault(o.RetryWait, time.Second)
	o.WatchEvery = orDefault(o.WatchEvery, 30*time.Second)
	o.SendTimeout = orDefault(o.SendTimeout, 10*time.Second)
	o.RoomStateQuiet = orDefault(o.RoomStateQuiet, 50*time.Millisecond)
	o.RoomStateDelay = orDefault(o.RoomStateDelay, time.Second)
	var cfg wakeup.Config
	if len(o.Links) > 0 {
		var err error
		if cfg, err = scheduleConfig(o.Links[0].Options); err != nil {
			return nil, fmt.Errorf("device %s: %w", o.Links[0].ID, err)
		}
	}
	cfg.Location = h.Location()
	sched, err := wakeup.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("wake-up schedule: %w", err)
	}
	d := &Desk{host: h, opt: o, sched: sched, links: map[string]*link{}, dirty: map[string]bool{},
		kick: make(chan struct{}, 1), sending: map[string]int{}, published: map[string]hotel.RoomState{}}
	if len(o.Links) > 0 {
		d.primary = o.Links[0].ID
		for _, name := range []string{"wakeup.set", "wakeup.cancel", "dnd.set", "mwl.set", "cos.set", "guest.checkin", "guest.checkout", "guest.move"} {
			h.Handle("pbx", name, linkCmd{d: d, name: name})
		}
	}
	h.Handle("edge", "folio.checkin", folioCmd{d: d})
	h.Handle("edge", "folio.checkout", folioCmd{d: d, out: true})
	h.Handle("edge", "folio.move", folioMove{d: d})
	h.Go(d.run)
	if d.primary != "" {
		h.Go(d.watchdog)
	}
	return d, nil
}

func orDefault(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

// scheduleConfig reads the wake-up options of the first hotel link.
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

// AttachDevice keeps each hotel link of the config for the commands and
// gives it the front office's state for its resyncs.
func (d *Desk) AttachDevice(dev desk.Device, drv any) (bool, error) {
	hl, ok := drv.(hotel.Link)
	if !ok || !slices.ContainsFunc(d.opt.Links, func(l desk.Device) bool { return l.ID == dev.ID }) {
		return false, nil
	}
	// The link dates what the PBX reports without a date (an SX-200 wake-up
	// result carries HH:MM only) with the gateway's clock.
	hl.SetClock(d.host.Now)
	d.mu.Lock()
	if d.created.IsZero() {
		d.created = d.host.Now()
	}
	d.links[dev.ID] = &link{id: dev.ID, profile: dev.Profile, drv: hl, upCh: make(chan struct{}), downSince: d.created}
	d.mu.Unlock()
	id := dev.ID
	hl.SetStateSource(hotel.StateSourceFunc(func(ctx context.Context) (hotel.Snapshot, error) { return d.snapshot(ctx, id) }))
	return true, nil
}

func (d *Desk) link(device string) *link {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.links[device]
}

// devices lists the attached links in the config's order.
func (d *Desk) devices() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, l := range d.opt.Links {
		if d.links[l.ID] != nil {
			out = append(out, l.ID)
		}
	}
	return out
}

// LinkUp reports whether a hotel link's application link is up.
func (d *Desk) LinkUp(device string) bool {
	l := d.link(device)
	return l != nil && l.drv.LinkUp()
}

// Schedule is the site's wake-up schedule.
func (d *Desk) Schedule() *wakeup.Schedule { return d.sched }

func (d *Desk) poke() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// markDirty has the worker publish the rooms' retained state.
func (d *Desk) markDirty(rooms ...string) {
	d.mu.Lock()
	for _, r := range rooms {
		if r != "" {
			d.dirty[r] = true
		}
	}
	d.mu.Unlock()
	d.poke()
}

// queueSends has the worker send the schedule's SendToPBX and CancelAtPBX.
func (d *Desk) queueSends(device string, acts []wakeup.Action) {
	d.mu.Lock()
	n := 0
	for _, a := range acts {
		switch a.(type) {
		case wakeup.SendToPBX, wakeup.CancelAtPBX:
			d.sends = append(d.sends, queuedSend{device: device, act: a})
			n++
		}
	}
	d.mu.Unlock()
	if n > 0 {
		d.poke()
	}
}

// later has the worker do job once tx has committed: what a record
// applied inside its delivery transaction asks of the PBX (the driver
// delivers from its own session, which must not wait for itself).
func (d *Desk) later(tx *store.Tx, job func(ctx context.Context)) {
	tx.AfterCommit(func() {
		d.mu.Lock()
		d.jobs = append(d.jobs, job)
		d.mu.Unlock()
		d.poke()
	})
}

// claim counts a wake-up command as on its way to the PBX; it reports
// whether nothing else was sending it.
func (d *Desk) claim(ref string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sending[ref]++
	return d.sending[ref] == 1
}

// release undoes a claim.
func (d *Desk) release(ref string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sending[ref]--; d.sending[ref] <= 0 {
		delete(d.sending, ref)
	}
}

// up records a link start: commands waiting for it go on.
func (l *link) up() {
	l.mu.Lock()
	close(l.upCh)
	l.upCh = make(chan struct{})
	l.mu.Unlock()
}

func (l *link) down(at time.Time) {
	l.mu.Lock()
	l.downSince = at
	l.mu.Unlock()
}

func (l *link) waitUp() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.upCh
}

func (l *link) since() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.downSince
}
