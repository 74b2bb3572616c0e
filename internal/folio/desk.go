package folio

import (
	"fmt"

	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/store"
)

// Desk is call billing, the desk of the calls a PBX reports: each call is
// recorded (hotel.pbx.call.recorded), rated and posted to the guest's stay
// in the transaction that journaled it, once; the hotel events some PBXs
// print in their SMDR stream are published as they come.
type Desk struct {
	host    desk.Host
	billing func() *Biller
}

// NewDesk makes the call-billing desk; billing is the rating engine and
// room map in force (reloaded on SIGHUP).
func NewDesk(h desk.Host, billing func() *Biller) *Desk { return &Desk{host: h, billing: billing} }

// Takes the records of a PBX's SMDR stream.
func (d *Desk) Takes(r desk.Record) bool {
	_, ok := r.Value.(events.CallRecord)
	return ok
}

// HandleRecord records one CallRecord.
func (d *Desk) HandleRecord(tx *store.Tx, r desk.Record) (desk.Outcome, error) {
	rec := r.Value.(events.CallRecord)
	if rec.Kind != events.KindCall && rec.Kind != "" {
		return d.hotelEvent(tx, r, rec)
	}
	return d.PostCall(tx, r, rec)
}

// callKey is a record's business identity on its device: a PBX that
// resends a call (a buffer replay after a reconnect) gives the same key.
func callKey(r desk.Record) string {
	if r.Key == "" {
		return fmt.Sprintf("%s/journal/%d", r.Device.ID, r.FrameID)
	}
	return r.Device.ID + "/" + r.Key
}

// stableKey says whether callKey is the record's own data (its bytes), so
// that its events keep their ids on any database (events.EventID); a key
// made of a journal id is this database's numbering.
func stableKey(r desk.Record) bool { return r.Key != "" }

// PostCall records a call, rates it and posts it, in tx: from the SMDR
// stream, or a call the PBX costed and posted itself (FIAS PS). A call the
// PBX sent before is a duplicate and adds nothing.
func (d *Desk) PostCall(tx *store.Tx, r desk.Record, rec events.CallRecord) (desk.Outcome, error) {
	key := callKey(r)
	at := rec.End
	if at.IsZero() {
		at = rec.Start
	}
	ev := desk.Event{Domain: "pbx", Device: r.Device.ID, Type: "hotel.pbx.call.recorded", IdemKey: key, Stable: stableKey(r), Time: at,
		Data: events.CallRecorded{Device: r.Device.ID, JournalID: r.FrameID, CallRecord: d.billing().MaskRecord(rec)}}
	if rec.Extension != "" {
		ev.Subject = "extension/" + rec.Extension
	}
	seq, dup, err := d.host.Enqueue(tx, ev)
	if err != nil || dup {
		return desk.Duplicate, err
	}
	// Rated and posted in the same transaction as the call itself.
	if _, err := d.billing().ForDevice(r.Device.ID).Bill(tx, r.Device.ID, r.FrameID, key, stableKey(r), seq, rec); err != nil {
		return desk.Outcome{}, err
	}
	return desk.Parsed, nil
}

// hotelEvent publishes a hotel event printed in the SMDR stream.
func (d *Desk) hotelEvent(tx *store.Tx, r desk.Record, rec events.CallRecord) (desk.Outcome, error) {
	typ, ok := events.HotelEventTypes[rec.Kind]
	if !ok {
		return desk.Refused(fmt.Sprintf("record kind %q has no event type", rec.Kind)), nil
	}
	_, dup, err := d.host.Enqueue(tx, HotelEvent(r, rec, typ))
	if err != nil || dup {
		return desk.Duplicate, err
	}
	return desk.Parsed, nil
}

// HotelEvent is the event of a hotel event printed in the SMDR stream.
func HotelEvent(r desk.Record, rec events.CallRecord, typ string) desk.Event {
	at := rec.Start
	if at.IsZero() {
		at = rec.End
	}
	return desk.Event{Domain: "pbx", Device: r.Device.ID, Type: typ, Subject: "room/" + rec.Extension, IdemKey: callKey(r), Stable: stableKey(r), Time: at,
		Data: events.HotelEvent{Device: r.Device.ID, Kind: rec.Kind, Room: rec.Extension, At: at, Source: "smdr", JournalID: r.FrameID, Raw: rec.Raw}}
}
