package bus

import (
	"encoding/json"
	"strconv"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/store"
)

// Status is the data of the retained edge/{gateway}/status message.
type Status struct {
	State    string             `json:"state"` // online, offline
	Gateway  string             `json:"gateway"`
	Version  string             `json:"version"`
	BootID   string             `json:"boot_id"`
	Started  time.Time          `json:"started"`
	Reason   string             `json:"reason,omitempty"`
	Outbox   *store.OutboxStats `json:"outbox,omitempty"`
	SeqEpoch string             `json:"seqepoch,omitempty"`
	// AcksRefused counts the acks refused since the start (wrong role,
	// epoch or form, or beyond the last published seq).
	AcksRefused int64 `json:"acks_refused,omitempty"`
}

// StatusMessage is the retained status's envelope (hotel.edge.status), made
// at now. Its id is unique to the process (boot id) and the moment: a
// status is a snapshot, never the same event twice.
func StatusMessage(t events.Topics, s Status, now time.Time) []byte {
	src := t.Source("edge", t.Gateway)
	data, _ := json.Marshal(s)
	b, _ := json.Marshal(events.Envelope{
		SpecVersion:     events.SpecVersion,
		ID:              events.EventID(src, "hotel.edge.status", s.BootID+"/"+s.State+"/"+strconv.FormatInt(now.UnixNano(), 10), ""),
		Source:          src,
		Type:            "hotel.edge.status",
		Time:            now,
		DataContentType: "application/json",
		DataSchema:      events.SchemaURI("hotel.edge.status"),
		Data:            data,
	})
	return b
}
