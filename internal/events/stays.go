package events

import "time"

// CheckInData is the data of edge/{gateway}/cmd/folio.checkin.
type CheckInData struct {
	Room        string     `json:"room"`
	Reservation string     `json:"reservation,omitempty"`
	Name        string     `json:"name,omitempty"` // kept in the store, never published
	Language    string     `json:"language,omitempty"`
	VIP         bool       `json:"vip,omitempty"`
	At          *time.Time `json:"at,omitempty"` // default: when the command arrives
}

// CheckOutData is the data of edge/{gateway}/cmd/folio.checkout.
type CheckOutData struct {
	Room string     `json:"room"`
	At   *time.Time `json:"at,omitempty"`
}

// StayEvent is the data of hotel.edge.folio.checked-in / checked-out,
// whichever way the stay opened or closed.
type StayEvent struct {
	Room        string     `json:"room"`
	Reservation string     `json:"reservation,omitempty"`
	StayID      int64      `json:"stay_id"`
	Language    string     `json:"language,omitempty"`
	VIP         bool       `json:"vip,omitempty"`
	CheckedIn   time.Time  `json:"checked_in"`
	CheckedOut  *time.Time `json:"checked_out,omitempty"`
}

// CallRecorded is the data of hotel.pbx.call.recorded: the CallRecord as
// the profile read it, with where it came from.
type CallRecorded struct {
	Device    string `json:"device"`
	JournalID int64  `json:"journal_id"`
	CallRecord
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

// HotelEventTypes maps the kinds of SMDR hotel events to their event types.
var HotelEventTypes = map[string]string{
	KindCheckIn:        "hotel.pbx.guest.checked-in",
	KindCheckOut:       "hotel.pbx.guest.checked-out",
	KindWakeupSet:      "hotel.pbx.wakeup.scheduled",
	KindWakeupAnswered: "hotel.pbx.wakeup.answered",
	KindWakeupNoAnswer: "hotel.pbx.wakeup.unanswered",
	KindLogIn:          "hotel.pbx.operator.login",
	KindLogOut:         "hotel.pbx.operator.logout",
}
