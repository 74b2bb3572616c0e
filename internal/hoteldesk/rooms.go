package hoteldesk

// A room's state beside its stay: do-not-disturb and the message-waiting
// lamp with when and by whom (免電話打擾: record the time and the
// requester), the class of service; its retained state on
// pbx/{device}/state/room/{room} (with occupancy and the next wake-up; no
// guest name in a topic or a retained message); and the snapshot a link
// resyncs from.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/desk"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio"
	"switchboard/internal/folio/stays"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

// roomStateNS is the kv namespace of the rooms' DND/MWL/COS.
const roomStateNS = "hotelink.room"

// roomRecord is what the store keeps of a room beside its stay.
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
	b, ok, err := tx.Get(roomStateNS, room)
	if err != nil || !ok {
		return rr, err
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

// RoomState is a room's state as it is published.
func (d *Desk) RoomState(ctx context.Context, room string) (hotel.RoomState, error) {
	st := d.host.Store()
	now := d.host.Now()
	rs := hotel.RoomState{Room: room, Updated: now.In(d.host.Location())}
	cur, err := stays.Current(ctx, st, room)
	if err != nil {
		return rs, fmt.Errorf("room %s stay: %w", room, err)
	}
	rs.Occupied = cur != nil
	if b, ok, err := st.Get(ctx, roomStateNS, room); err != nil {
		return rs, err
	} else if ok {
		var rr roomRecord
		if err := json.Unmarshal(b, &rr); err != nil {
			return rs, fmt.Errorf("room %s state: %w", room, err)
		}
		rs.DND, rs.MWL, rs.COS = rr.DND, rr.MWL, rr.COS
	}
	next, ok, err := d.sched.NextPBXAt(ctx, st, hotel.Room(room), now)
	if err != nil {
		return rs, fmt.Errorf("room %s next wake-up: %w", room, err)
	}
	if ok {
		rs.NextWakeup = &next
	}
	return rs, nil
}

// publishRoom stores and publishes a room's retained state on the wake-up
// link's topics, when it changed (a site without a hotel link has none).
func (d *Desk) publishRoom(ctx context.Context, room string) error {
	if d.primary == "" {
		return nil
	}
	rs, err := d.RoomState(ctx, room)
	if err != nil {
		return err
	}
	if last, ok := d.published[room]; ok && sameRoomState(last, rs) {
		return nil
	}
	if err := d.host.SetState(ctx, desk.State{Domain: "pbx", Device: d.primary, Aspect: "room/" + room, Subject: "room/" + room, Data: rs}); err != nil {
		return err
	}
	d.published[room] = rs
	return nil
}

func sameRoomState(a, b hotel.RoomState) bool {
	a.Updated, b.Updated = time.Time{}, time.Time{}
	an, bn := a.NextWakeup, b.NextWakeup
	a.NextWakeup, b.NextWakeup = nil, nil
	return a == b && (an == nil) == (bn == nil) && (an == nil || an.Equal(*bn))
}

// snapshot is the StateSource of a link: the occupied rooms with their
// DND/MWL/COS and, for the wake-up link, the wake-ups still to ring. The
// wake-ups it hands over count as held by the PBX: the driver sends them
// in a database swap, and if that fails the link restarts and swaps again.
func (d *Desk) snapshot(ctx context.Context, device string) (hotel.Snapshot, error) {
	st := d.host.Store()
	var snap hotel.Snapshot
	occupied, err := stays.Occupied(ctx, st)
	if err != nil {
		return snap, fmt.Errorf("snapshot stays: %w", err)
	}
	rooms, err := st.List(ctx, roomStateNS)
	if err != nil {
		return snap, err
	}
	for _, s := range occupied {
		rs := hotel.OccupiedRoom{Room: hotel.Room(s.Room), Reservation: s.Reservation, Guest: s.Guest, Language: s.Language, VIP: s.VIP}
		if b, ok := rooms[s.Room]; ok {
			var rr roomRecord
			if json.Unmarshal(b, &rr) == nil {
				rs.DND, rs.MWL, rs.COS = rr.DND, rr.MWL, hotel.COS(rr.COS)
			}
		}
		snap.Rooms = append(snap.Rooms, rs)
	}
	if device != d.primary {
		return snap, nil
	}
	now := d.host.Now()
	ws, err := d.sched.Pending(ctx, st, now)
	if err != nil {
		return snap, fmt.Errorf("snapshot wake-ups: %w", err)
	}
	snap.Wakeups = wakeup.PBXWakeups(ws)
	inSwap := map[int64]bool{}
	for _, w := range ws {
		inSwap[w.ID] = true
	}
	all, err := d.sched.UnconfirmedSets(ctx, st, now)
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
		err = d.host.InTx(ctx, func(tx *store.Tx) error {
			for _, r := range refs {
				if _, err := d.sched.Acked(tx, hotel.CommandAck{Ref: r.Ref, OK: true}, now); err != nil && !errors.Is(err, wakeup.ErrNotFound) {
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

// room checks that room is a guest room of the config, naming field.
func (d *Desk) room(field, room string) error {
	if room == "" {
		return &bus.FieldError{Field: field, Problem: "required"}
	}
	r, class, ok := d.opt.Billing().Dir.Lookup(room)
	switch {
	case !ok:
		return &bus.FieldError{Field: field, Problem: fmt.Sprintf("room %s unknown: not in the rooms of the config", room)}
	case class != folio.Guest:
		return &bus.FieldError{Field: field, Problem: fmt.Sprintf("extension %s is a %s extension, not a guest room", room, class)}
	case r != room:
		return &bus.FieldError{Field: field, Problem: fmt.Sprintf("extension %s is room %s: use the room number", room, r)}
	}
	return nil
}

func (d *Desk) occupied(room string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := stays.Current(ctx, d.host.Store(), room)
	return s != nil, err
}

// mustBe checks a room's occupancy, naming field.
func (d *Desk) mustBe(field, room string, occupied bool) error {
	occ, err := d.occupied(room)
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

func (d *Desk) checkCOS(device, field, cos string) error {
	if !slices.Contains(hotel.COSValues, cos) {
		return &bus.FieldError{Field: field, Problem: fmt.Sprintf("class of service %q: want one of %s", cos, strings.Join(hotel.COSValues, ", "))}
	}
	l := d.link(device)
	if l == nil {
		return nil
	}
	c := l.drv.Capabilities()
	if len(c.COS) == 0 {
		return nil // no COS over this link: an operator task
	}
	if !slices.Contains(c.COS, hotel.COS(cos)) {
		have := make([]string, len(c.COS))
		for i, v := range c.COS {
			have[i] = string(v)
		}
		return &bus.FieldError{Field: field, Problem: fmt.Sprintf("class of service %q is not in profile %s (it has %s)", cos, c.Profile, strings.Join(have, ", "))}
	}
	return nil
}

func noControl(field, v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == '|' }) {
		return &bus.FieldError{Field: field, Problem: "control characters or '|'"}
	}
	return nil
}

const keptForResync = "recorded; the PBX gets it when the link is back (resync)"

func (d *Desk) roomSwitch(ctx context.Context, c *bus.Command, name string, dt hotel.SwitchData) (any, error) {
	on := *dt.On
	var cmd hotel.Command = hotel.DND{Ref: c.ID, Room: hotel.Room(dt.Room), On: on}
	key := "dnd"
	if name == "mwl.set" {
		cmd, key = hotel.MWL{Ref: c.ID, Room: hotel.Room(dt.Room), On: on}, "mwl"
	}
	var j journaled
	err := d.host.InTx(ctx, func(tx *store.Tx) error {
		j = journaled{}
		err := updateRoom(tx, dt.Room, func(rr *roomRecord) {
			if name == "dnd.set" {
				rr.DND, rr.DNDAt, rr.DNDBy = on, d.host.Now(), c.Client
			} else {
				rr.MWL, rr.MWLAt, rr.MWLBy = on, d.host.Now(), c.Client
			}
		})
		if err != nil {
			return err
		}
		return d.journal(tx, j, c.Device, cmd)
	})
	if err != nil {
		return nil, fmt.Errorf("not recorded: %w", err)
	}
	d.markDirty(dt.Room)
	o := d.send(ctx, c.Device, cmd, j, d.opt.Retries)
	return d.finish(ctx, c, cmd, o, map[string]any{"room": dt.Room, key: on}, keptForResync)
}

// MessageLamp lights (or puts out) a room's message-waiting lamp for
// another desk's reasons (a fax waiting at the front desk). The lamp is
// recorded first, so a link that is down gets it at its next resync; it
// reports whether the PBX took it now. Without a hotel link it does
// nothing.
func (d *Desk) MessageLamp(ctx context.Context, room string, on bool, by string) bool {
	if d.primary == "" {
		return false
	}
	cmd := hotel.MWL{Ref: fmt.Sprintf("%s/mwl/%s/%d", by, room, d.host.Now().UnixNano()), Room: hotel.Room(room), On: on}
	var j journaled
	err := d.host.InTx(ctx, func(tx *store.Tx) error {
		j = journaled{}
		if err := updateRoom(tx, room, func(rr *roomRecord) { rr.MWL, rr.MWLAt, rr.MWLBy = on, d.host.Now(), by }); err != nil {
			return err
		}
		return d.journal(tx, j, d.primary, cmd)
	})
	if err != nil {
		d.host.Log().Warn("message lamp not recorded", "room", room, "err", err)
		return false
	}
	d.markDirty(room)
	o := d.send(ctx, d.primary, cmd, j, 0)
	if !o.ok() {
		d.host.Log().Warn("message lamp not taken by the PBX now; sent again at its next resync", "room", room, "on", on, "reason", o.reason())
	}
	return o.ok()
}

func (d *Desk) setCOS(ctx context.Context, c *bus.Command, dt hotel.COSData) (any, error) {
	cmd := hotel.SetCOS{Ref: c.ID, Room: hotel.Room(dt.Room), COS: hotel.COS(dt.COS)}
	var j journaled
	err := d.host.InTx(ctx, func(tx *store.Tx) error {
		j = journaled{}
		if err := updateRoom(tx, dt.Room, func(rr *roomRecord) { rr.COS, rr.COSAt = dt.COS, d.host.Now() }); err != nil {
			return err
		}
		return d.journal(tx, j, c.Device, cmd)
	})
	if err != nil {
		return nil, fmt.Errorf("not recorded: %w", err)
	}
	d.markDirty(dt.Room)
	o := d.send(ctx, c.Device, cmd, j, d.opt.Retries)
	return d.finish(ctx, c, cmd, o, map[string]any{"room": dt.Room, "cos": dt.COS}, keptForResync)
}
