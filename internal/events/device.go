package events

import "time"

// Unparsed is the data of hotel.{domain}.smdr.unparsed (and the other
// drivers' unreadable frames, hotel.{domain}.frame.unparsed).
type Unparsed struct {
	Device    string    `json:"device"`
	Profile   string    `json:"profile"`
	JournalID int64     `json:"journal_id"`
	Received  time.Time `json:"received"`
	Raw       string    `json:"raw"`
	RawHex    string    `json:"raw_hex,omitempty"` // when the bytes are not text
	Reason    string    `json:"reason"`
	Action    string    `json:"action"`
}

// Alert is the data of hotel.{domain}.device.alert: what a person at the
// front desk must do about a device (load paper, check the SMDR port).
type Alert struct {
	Device   string `json:"device"`
	Alert    string `json:"alert"`
	State    string `json:"state"` // raised, cleared
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Detail   string `json:"detail,omitempty"`
}
