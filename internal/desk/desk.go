// Package desk is the seam between the gateway and the front-office desks.
//
// A desk owns one workflow of the front office end to end (the hotel desk:
// stays, wake-ups and room state; the fax desk; the print desk; call
// billing). The gateway builds each desk explicitly and hands it a Host:
// the few things a desk needs from the daemon (a transaction, the outbox,
// retained state, command registration, workers, a clock and a logger).
// A desk keeps its state in its own struct, so two gateways in one process
// share nothing, and it never sees a port, a socket or the MQTT client.
//
// What a desk offers the gateway is optional and declared by the interfaces
// it implements, the way an MQTT broker's hooks declare what they provide:
// RecordHandler (records drivers made of journaled frames) and DeviceUser
// (the devices it drives).
package desk

import (
	"context"
	"log/slog"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/store"
)

// Host is what the gateway gives a desk.
type Host interface {
	// InTx runs fn in one write transaction of the store; the events fn
	// enqueued are published once it has committed.
	InTx(ctx context.Context, fn func(tx *store.Tx) error) error
	// Store is the ledger, for reads and for typed stores that open their
	// own transactions.
	Store() *store.Store
	// Enqueue adds an event to the outbox in tx (its topic and source
	// from its domain and device). dup is true when an event with the same
	// type and idemkey was enqueued before: nothing was added.
	Enqueue(tx *store.Tx, ev Event) (seq int64, dup bool, err error)
	// SetState stores and publishes retained state.
	SetState(ctx context.Context, s State) error
	// Handle registers the handler of {domain}/{command} commands.
	Handle(domain, command string, h bus.Handler)
	// Go runs w once the gateway runs, until it stops (ctx ends). An
	// offline gateway (a CLI tool on the store) runs no worker.
	Go(w func(ctx context.Context))
	// Now is the gateway's clock; Location the site's time zone.
	Now() time.Time
	Location() *time.Location
	Log() *slog.Logger
}

// Event is an event a desk publishes.
type Event struct {
	Domain  string // pbx, fax, print, edge
	Device  string // the device; "" on edge: the gateway
	Type    string // hotel.fax.sent
	Subject string // room/1203
	IdemKey string // the business identity: the same act gives the same key
	// Stable: IdemKey is the device's own data (a call's record, by its
	// bytes), not the gateway's numbering: the event keeps its id on a new
	// database (store.Event.Stable).
	Stable bool
	Time   time.Time
	Data   any
}

// State is retained state: the latest value of one aspect of a device
// (a printer's status, a room's DND and lamp).
type State struct {
	Domain, Device string
	Aspect         string // status, room/1203
	Subject        string
	Data           any
}

// Device is one configured device as a desk sees it.
type Device struct {
	ID      string
	Driver  string
	Profile string
	Domain  string
	Options map[string]any
}

// Record is what a driver made of one journaled frame.
type Record struct {
	Device  Device
	FrameID int64 // 0: a record with no frame of its own (a link event)
	Key     string
	Value   any
}

// Outcome is what became of a record, as its frame's journal status
// (store.FrameParsed when Status is empty) and a note for the journal.
type Outcome struct {
	Status string
	Note   string
}

// Parsed, Duplicate and Skipped are the common outcomes.
var (
	Parsed    = Outcome{Status: store.FrameParsed}
	Duplicate = Outcome{Status: store.FrameDuplicate}
	Skipped   = Outcome{Status: store.FrameSkipped}
)

// Refused is a record that was read but that the desk cannot apply (a
// wake-up result for a room without a wake-up): the frame is kept as
// unparsed with why, for a person to look at.
func Refused(why string) Outcome { return Outcome{Status: store.FrameUnparsed, Note: why} }

// Noted is a record applied with a remark for the journal.
func Noted(note string) Outcome { return Outcome{Status: store.FrameParsed, Note: note} }

// RecordHandler is a desk that takes records from drivers. Takes says
// whether it takes a record; HandleRecord applies it inside the delivery
// transaction, journal first (the frame is committed before). Only store
// failures are errors; a record the desk refuses is an Outcome.
type RecordHandler interface {
	Takes(r Record) bool
	HandleRecord(tx *store.Tx, r Record) (Outcome, error)
}

// DeviceUser is a desk that drives devices. AttachDevice is offered every
// device the gateway builds, with its driver; the desk keeps the ones it
// can use (by the interface the driver implements: hotel.Link, fax.Modem,
// printer.Printer) and reports whether it took it.
type DeviceUser interface {
	AttachDevice(d Device, driver any) (bool, error)
}
