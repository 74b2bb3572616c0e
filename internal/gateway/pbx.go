package gateway

import (
	"fmt"
	"time"

	"switchboard/drivers"
	"switchboard/internal/events"
	"switchboard/internal/store"
)

// CallRecorded is the data of hotel.pbx.call.recorded: the CallRecord as
// the profile read it, with where it came from.
type CallRecorded struct {
	Device    string `json:"device"`
	JournalID int64  `json:"journal_id"`
	events.CallRecord
}

// HotelEvent is the data of the hotel events some PBXs print in their SMDR
// stream (Panasonic KX-TDA/NS: Check in, Check out, Timed Reminder).
type HotelEvent struct {
	Device    string    `json:"device"`
	Kind      string    `json:"kind"`
	Room      string    `json:"room"`
	At        time.Time `json:"at"`
	Source    string    `json:"source"` // smdr
	JournalID int64     `json:"journal_id"`
	Raw       string    `json:"raw"`
}

// hotelEventTypes maps SMDR hotel-event kinds to event types.
var hotelEventTypes = map[string]string{
	events.KindCheckIn:        "hotel.pbx.guest.checked-in",
	events.KindCheckOut:       "hotel.pbx.guest.checked-out",
	events.KindWakeupSet:      "hotel.pbx.wakeup.scheduled",
	events.KindWakeupAnswered: "hotel.pbx.wakeup.answered",
	events.KindWakeupNoAnswer: "hotel.pbx.wakeup.unanswered",
	events.KindLogIn:          "hotel.pbx.operator.login",
	events.KindLogOut:         "hotel.pbx.operator.logout",
}

// deliverCall records one CallRecord. A record the PBX sent before (same
// key: a buffer replay after a reconnect) marks its frame duplicate and adds
// nothing.
func (s *deviceSink) deliverCall(tx *store.Tx, r drivers.Result, rec events.CallRecord) error {
	key := s.device + "/" + r.Key
	if r.Key == "" {
		key = fmt.Sprintf("%s/journal/%d", s.device, r.FrameID)
	}
	var ev store.Event
	if rec.Kind == events.KindCall || rec.Kind == "" {
		ev = store.Event{Type: "hotel.pbx.call.recorded", Data: CallRecorded{Device: s.device, JournalID: r.FrameID, CallRecord: rec}}
		if rec.Extension != "" {
			ev.Subject = "extension/" + rec.Extension
		}
		ev.Time = rec.End
		if ev.Time.IsZero() {
			ev.Time = rec.Start
		}
	} else {
		typ, ok := hotelEventTypes[rec.Kind]
		if !ok {
			return tx.MarkFrame(r.FrameID, store.FrameUnparsed, fmt.Sprintf("record kind %q has no event type", rec.Kind))
		}
		at := rec.Start
		if at.IsZero() {
			at = rec.End
		}
		ev = store.Event{Type: typ, Subject: "room/" + rec.Extension, Time: at,
			Data: HotelEvent{Device: s.device, Kind: rec.Kind, Room: rec.Extension, At: at, Source: "smdr", JournalID: r.FrameID, Raw: rec.Raw}}
	}
	ev.Topic = s.g.topics.Event("pbx", s.device, ev.Type)
	ev.Source = s.g.topics.Source("pbx", s.device)
	ev.IdemKey = key
	if !ev.Time.IsZero() {
		ev.Time = ev.Time.In(s.g.loc)
	}
	seq, dup, err := tx.Enqueue(ev)
	if err != nil {
		return err
	}
	status := store.FrameParsed
	if dup {
		status = store.FrameDuplicate
	} else if ev.Type == "hotel.pbx.call.recorded" {
		// Rated and posted in the same transaction as the call itself.
		if _, err := s.g.Biller().ForDevice(s.device).Bill(tx, s.device, r.FrameID, key, seq, rec); err != nil {
			return err
		}
	}
	return tx.MarkFrame(r.FrameID, status, "")
}
