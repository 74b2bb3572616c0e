// Package drivers holds what every device driver shares: the Device a
// driver is given, the Sink it hands its output to, and the registry that
// maps a config's `driver:` name to a constructor.
//
// A driver turns device bytes into typed records and typed results. It
// never rates, stores or publishes: it journals raw frames through the Sink
// (journal first), then delivers what it made of them. The gateway
// implements the Sink; tests implement it with a slice.
package drivers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"switchboard/internal/events"
)

// Device is one configured device as its driver sees it.
type Device struct {
	ID       string
	Driver   string
	Profile  string
	Options  map[string]any
	Location *time.Location // the site's time zone
	// ProfileDir adds or overrides embedded firmware profiles ("" = none).
	ProfileDir string
	// Stream is the kind of byte stream the device is on: serial, tcp or
	// file ("" for a device with no stream, e.g. an IPP printer).
	Stream string
}

// Streams a device can be on.
const (
	StreamSerial = "serial"
	StreamTCP    = "tcp"
	StreamFile   = "file"
)

// Direction of a journaled frame.
type Direction string

const (
	FromDevice Direction = "in"
	ToDevice   Direction = "out"
)

// Result is what a driver made of one journaled frame.
type Result struct {
	FrameID int64
	// Record is the typed record (events.CallRecord, a hotel-link result,
	// ...) or nil when the frame was skipped or could not be read.
	Record any
	// Skipped: a header, a rule, a keep-alive: nothing to record.
	Skipped bool
	// Err says why the frame could not be read (the frame stays journaled).
	Err error
	// Key is the record's business identity (the frame's key).
	Key string
	// Lines is how many of the device's lines the frame holds when it is
	// more than one (a run of line noise journaled as one frame).
	Lines int
}

// Frame is one raw unit a device sent, with its business key: stable when
// the device sends the same record again (a PBX replaying its buffer after
// a reconnect), different for two genuinely identical records. The key is
// journaled with the frame so that re-reading the journal (after a crash,
// or a profile fix) gives the same identity.
type Frame struct {
	Data []byte
	Key  string
}

// Reinterpreter is a driver that can read a journaled frame again: the
// gateway uses it at start for frames a crash left uninterpreted, and
// `switchboard reprocess` after a profile fix.
type Reinterpreter interface {
	Interpret(raw []byte, key string, received time.Time) Result
}

// Sink is the core's side of a driver.
type Sink interface {
	// Journal commits raw frames before anything interprets them and
	// returns their journal ids, in order.
	Journal(ctx context.Context, dir Direction, frames []Frame, at time.Time) ([]int64, error)
	// Deliver hands the results of journaled frames to the core, which
	// commits them (ledger and events) before returning.
	Deliver(ctx context.Context, results []Result) error
	// LinkState reports a change of the device link.
	LinkState(s events.DeviceState)
}

// Committer is a Sink that journals a read's frames and delivers what the
// driver made of them in one transaction: one commit (one fsync) a read
// instead of two. The frames are journaled first inside it, so a failure
// to read them is still a frame kept (as unparsed), never a frame lost.
// interpret is called inside the transaction with the frames' journal ids
// (again if the transaction is retried); it must only parse. With keepTail
// the tail (the start of a record still being received) is kept in the
// same transaction (TailKeeper).
type Committer interface {
	Commit(ctx context.Context, dir Direction, frames []Frame, tail []byte, keepTail bool, at time.Time, interpret func(ids []int64) []Result) error
}

// TailKeeper is a Sink that also keeps the start of a record still being
// received (the bytes after the last complete frame), so that a kill -9 or
// a power cut in the middle of a record loses nothing already read from the
// port: a serial line does not send those bytes again.
type TailKeeper interface {
	// JournalTail is Journal that also replaces the device's kept tail
	// with tail (nil: none), in the same transaction as the frames, so
	// the tail never overlaps a journaled frame.
	JournalTail(ctx context.Context, dir Direction, frames []Frame, tail []byte, at time.Time) ([]int64, error)
	// KeptTail returns the tail kept when the process stopped and when it
	// was kept (nil when there is none).
	KeptTail(ctx context.Context) ([]byte, time.Time, error)
}

// Opener gives a driver its byte stream: a transport.Link in the daemon, a
// pty or a pipe in tests. session runs once per connection; when it
// returns, the link reconnects (Run ends when ctx does).
type Opener interface {
	Run(ctx context.Context, session func(ctx context.Context, rw io.ReadWriteCloser) error) error
	String() string
}

// Deps are what the gateway hands a driver's constructor.
type Deps struct {
	Link Opener // nil for drivers that reach their device otherwise (IPP over HTTP)
	Sink Sink
	Log  *slog.Logger
}

// Driver runs one device until ctx ends.
type Driver interface {
	Run(ctx context.Context) error
}

// Factory builds a driver for a device.
type Factory func(dev Device, deps Deps) (Driver, error)

// What a driver's devices are, for the desk that uses them.
const (
	KindSMDR      = "smdr"       // a PBX's call records (call billing; hotel events in the stream)
	KindHotelLink = "hotel-link" // a PBX's hotel interface (the hotel desk)
	KindFaxModem  = "fax-modem"  // a fax modem (the fax desk)
	KindPrinter   = "printer"    // a printer or copier (the print desk)
)

// Entry is one driver: all the rest of the gateway asks of it by name.
// Config validation, `switchboard profiles`, the topic tree and the
// gateway's wiring read it; a driver registers one from its own folder.
type Entry struct {
	Name   string // the config's driver: name
	Domain string // the topic domain of its devices: pbx, fax, print
	Kind   string // KindSMDR, KindHotelLink, KindFaxModem, KindPrinter
	// Transport: the driver reads a byte stream the gateway opens (serial,
	// TCP, file). Without, it reaches its device itself at options.uri,
	// whose URISchemes it takes.
	Transport  bool
	URISchemes []string
	// Profiled: a device must name its model's firmware profile.
	Profiled bool
	// CheckProfile says whether a profile id can be used (dir: the
	// config's profiles.dir, "" for the embedded ones only); ProfileIDs
	// lists the embedded ones.
	CheckProfile func(id, dir string) error
	ProfileIDs   func() []string
	New          Factory
}

// Registry maps a config's `driver:` names to their entries. It is built
// once, explicitly (switchboard/drivers/all), and only read afterwards.
type Registry struct {
	entries map[string]Entry
}

// NewRegistry makes a registry of es; a name given twice, or an entry
// without a name or a constructor, is an error (a programming one: the
// list is the code's).
func NewRegistry(es ...Entry) (*Registry, error) {
	r := &Registry{entries: map[string]Entry{}}
	for _, e := range es {
		if _, dup := r.entries[e.Name]; dup || e.Name == "" || e.New == nil {
			return nil, fmt.Errorf("drivers: %q registered twice or without a name or constructor", e.Name)
		}
		r.entries[e.Name] = e
	}
	return r, nil
}

// Lookup is the entry of a driver name.
func (r *Registry) Lookup(name string) (Entry, bool) {
	e, ok := r.entries[name]
	return e, ok
}

// Entries lists the registered drivers by name.
func (r *Registry) Entries() []Entry {
	out := make([]Entry, 0, len(r.entries))
	for _, e := range r.entries {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// New builds the driver named by dev.Driver.
func (r *Registry) New(dev Device, deps Deps) (Driver, error) {
	e, ok := r.Lookup(dev.Driver)
	if !ok {
		return nil, fmt.Errorf("device %s: no driver %q (have %v)", dev.ID, dev.Driver, r.Names())
	}
	return e.New(dev, deps)
}

// Names lists the registered drivers.
func (r *Registry) Names() []string {
	var out []string
	for _, e := range r.Entries() {
		out = append(out, e.Name)
	}
	return out
}
