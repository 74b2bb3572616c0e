package hotel

import "time"

// The published side of the hotel desk: the data of its commands and
// events (docs/events.md, schemas/). Guest names go to the PBX and the
// store, never into an event or a topic.

// COSValues are the classes of service a command may name; a PBX's
// profile maps the ones it knows.
var COSValues = []string{"barred", "internal", "local", "national", "international"}

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

// MaidStatus is the data of hotel.pbx.room.status: a maid status dialed on
// the room phone.
type MaidStatus struct {
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
	Device      string    `json:"device,omitempty"` // the hotel link; none for the back office's folio.move
	From        string    `json:"from"`
	To          string    `json:"to"`
	Reservation string    `json:"reservation,omitempty"`
	StayID      int64     `json:"stay_id"`     // the stay closed in From
	NewStayID   int64     `json:"new_stay_id"` // the stay opened in To
	At          time.Time `json:"at"`
	Wakeups     int       `json:"wakeups"` // wake-ups that moved with the guest
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
