package events

import (
	"encoding/hex"
	"time"
	"unicode/utf8"
)

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
	// A summary of the frames held back in a minute of noise (the first few
	// are published one by one): how many, which journal ids, the last
	// one's arrival; JournalID, Raw and Reason are a sample.
	Count          int       `json:"count,omitempty"`
	FirstJournalID int64     `json:"first_journal_id,omitempty"`
	LastJournalID  int64     `json:"last_journal_id,omitempty"`
	Last           time.Time `json:"last,omitzero"`
}

// SetRaw puts a frame's bytes in u: as text, and in hex as well when they
// are not UTF-8.
func SetRaw(u *Unparsed, raw []byte) {
	u.Raw = string(raw)
	if !utf8.Valid(raw) {
		u.RawHex = hex.EncodeToString(raw)
	}
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
