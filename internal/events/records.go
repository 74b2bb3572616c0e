// Package events holds the typed records that flow from drivers to the core
// (CallRecord, hotel events, device state) and the CloudEvents envelope in
// which the gateway publishes them. It has no I/O: drivers build these values,
// the core rates, stores and publishes them.
package events

import "time"

// Direction of a call as the PBX reported it.
type Direction string

const (
	Outgoing   Direction = "outgoing"
	Incoming   Direction = "incoming"
	Internal   Direction = "internal"
	Transfer   Direction = "transfer"
	Unanswered Direction = "unanswered"
)

// Record kinds. A PBX's SMDR stream mostly carries calls, but some PBXs
// (Panasonic KX-TDA/NS) print hotel events in the same stream.
const (
	KindCall           = "call"
	KindCheckIn        = "checkin"
	KindCheckOut       = "checkout"
	KindWakeupSet      = "wakeup.set"
	KindWakeupAnswered = "wakeup.answered"
	KindWakeupNoAnswer = "wakeup.noanswer"
	KindLogIn          = "login"
	KindLogOut         = "logout"
)

// CallRecord is one call (or hotel event) read from a PBX's SMDR/CDR output,
// normalized by a firmware profile. JSON field names are the contract of
// `switchboard smdr parse` and of the hotel.pbx.call.recorded event.
type CallRecord struct {
	Profile      string    `json:"profile"`
	Line         int       `json:"line"`
	Kind         string    `json:"kind"`
	Direction    Direction `json:"direction,omitempty"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	DurationS    int       `json:"duration_s"`
	RingS        *int      `json:"ring_s,omitempty"`
	Answered     *bool     `json:"answered,omitempty"`
	Extension    string    `json:"extension,omitempty"`
	Trunk        string    `json:"trunk,omitempty"`
	Dialed       string    `json:"dialed,omitempty"`
	Caller       string    `json:"caller,omitempty"`
	Account      string    `json:"account,omitempty"`
	CallID       string    `json:"call_id,omitempty"`
	Continuation bool      `json:"continuation,omitempty"`
	PBXCost      string    `json:"pbx_cost,omitempty"`
	PBXClass     string    `json:"pbx_class,omitempty"`
	Condition    string    `json:"condition,omitempty"`
	// TimeResolutionS: the PBX prints its times to the minute (60): the
	// call really started up to this many seconds after Start (Panasonic
	// prints the end's minute only). 0: to the second.
	TimeResolutionS int    `json:"time_resolution_s,omitempty"`
	Raw             string `json:"raw"`
}

// DeviceState is what the gateway knows of a device's link. It is
// published retained on {domain}/{device}/state/link.
type DeviceState struct {
	Device   string    `json:"device"`
	State    string    `json:"state"` // connecting, connected, disconnected, failed
	Endpoint string    `json:"endpoint,omitempty"`
	Attempt  int       `json:"attempt,omitempty"`
	Error    string    `json:"error,omitempty"`
	Since    time.Time `json:"since"`
}
