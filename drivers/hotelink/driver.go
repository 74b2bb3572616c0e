// Package hotelink drives the hotel interface of a PBX: the gateway plays
// the property-management (PMS) side and sends check-in/out, room moves,
// class of service, DND, message lamps and wake-ups to the PBX, and turns
// what the PBX reports (wake-up results, maid status, costed calls) into
// typed records. One driver, registered as "hotelink"; the device's profile
// (firmware-profiles/hotelink) picks the wire protocol: Oracle FIAS, Mitel
// SX-200 PMS, Shenou COS, or Panasonic (receive-only, commands become
// operator tasks).
//
// The core calls Send with a Command and gets a CommandAck; everything the
// PBX sends is journaled through the drivers.Sink first and then delivered
// as a drivers.Result whose Record is one of this package's model types.
package hotelink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/drivers"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
)

// Entry is this driver in the registry (drivers/all).
func Entry() drivers.Entry {
	return drivers.Entry{Name: "hotelink", Domain: "pbx", Kind: drivers.KindHotelLink, Transport: true, Profiled: true,
		CheckProfile: func(id, _ string) error {
			if _, err := LoadProfile(id); err != nil {
				return fmt.Errorf("no hotel-link profile %q (have %v)", id, ProfileIDs())
			}
			return nil
		},
		ProfileIDs: ProfileIDs,
		New:        func(dev drivers.Device, deps drivers.Deps) (drivers.Driver, error) { return New(dev, deps) }}
}

// Commander is what the core uses to send commands to a hotel link. The
// driver returned by drivers.New for "hotelink" implements it, and
// StateSetter; the core discovers both by type assertion.
type Commander interface {
	Send(ctx context.Context, cmd hotel.Command) (hotel.CommandAck, error)
}

// StateSetter takes the core's StateSource for database resyncs.
type StateSetter interface {
	SetStateSource(hotel.StateSource)
}

// Driver is one hotel link.
type Driver struct {
	dev  drivers.Device
	prof *Profile
	link drivers.Opener
	sink drivers.Sink
	log  *slog.Logger
	loc  *time.Location
	now  func() time.Time

	proto protocol

	mu    sync.Mutex
	cur   *conn
	state hotel.StateSource
}

var (
	_ drivers.Driver        = (*Driver)(nil)
	_ Commander             = (*Driver)(nil)
	_ StateSetter           = (*Driver)(nil)
	_ drivers.Reinterpreter = (*Driver)(nil)
	_ hotel.Preparer        = (*Driver)(nil)
)

// protocol is one wire protocol: it serves one connection until it ends.
type protocol interface {
	serve(ctx context.Context, d *Driver, c *conn, rw io.ReadWriteCloser) error
	// encode turns a command into the frames its send writes, as the
	// connection c stands now; it does no I/O and may run on any
	// goroutine (Prepare).
	encode(d *Driver, c *conn, cmd hotel.Command) ([][]byte, error)
}

// conn is the driver's handle on the current connection.
type conn struct {
	reqs chan request
	done chan struct{}
	up   atomic.Bool
	// lr is what the PBX asked for in its FIAS LR records since its last
	// LS (nil: none), as the session last published it: the session
	// replaces the map, never changes one it published, so Prepare reads
	// it from another goroutine.
	lr atomic.Pointer[linkRecords]
}

type request struct {
	cmd hotel.Command // nil: a resync request
	// prepared are cmd's frames as Prepare encoded them and the core
	// journaled them (SendPrepared); nil: the session journals them.
	prepared []hotel.Frame
	result   chan reply
}

type reply struct {
	ack hotel.CommandAck
	err error
}

// New builds a driver from the device's profile (dev.Profile, default
// "fias"). dev.Options may override framing (lrc, ack, describe) and
// timers (keepalive, link_timeout, ack_timeout as Go durations).
func New(dev drivers.Device, deps drivers.Deps) (*Driver, error) {
	id := dev.Profile
	if id == "" {
		id = "fias"
	}
	p, err := LoadProfile(id)
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", dev.ID, err)
	}
	if err := p.applyOptions(dev.Options); err != nil {
		return nil, fmt.Errorf("device %s: %w", dev.ID, err)
	}
	return NewWithProfile(dev, deps, p)
}

// NewWithProfile builds a driver from an already loaded profile.
func NewWithProfile(dev drivers.Device, deps drivers.Deps, p *Profile) (*Driver, error) {
	if deps.Sink == nil {
		return nil, fmt.Errorf("device %s: hotelink needs a sink", dev.ID)
	}
	d := &Driver{dev: dev, prof: p, link: deps.Link, sink: deps.Sink, log: deps.Log, loc: dev.Location, now: time.Now}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.log = d.log.With("device", dev.ID, "profile", p.ID)
	if d.loc == nil {
		d.loc = time.Local
	}
	switch p.Protocol {
	case ProtoFIAS:
		d.proto = fiasProto{}
	case ProtoSX200:
		d.proto = sx200Proto{}
	case ProtoShenou:
		d.proto = shenouProto{}
	case ProtoPanasonic:
		d.proto = nil // receive-only: no link of its own
	}
	if d.proto != nil && d.link == nil {
		return nil, fmt.Errorf("device %s: profile %s needs a link (serial or TCP)", dev.ID, p.ID)
	}
	return d, nil
}

// Profile returns the driver's profile.
func (d *Driver) Profile() *Profile { return d.prof }

// Capabilities are what the profile's PBX can do (hotel.Link).
func (d *Driver) Capabilities() hotel.Capabilities { return d.prof.HotelCapabilities() }

var _ hotel.Link = (*Driver)(nil)

// SetStateSource gives the driver the core's current state for resyncs.
func (d *Driver) SetStateSource(s hotel.StateSource) {
	d.mu.Lock()
	d.state = s
	d.mu.Unlock()
}

func (d *Driver) stateSource() hotel.StateSource {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state
}

// SetClock replaces time.Now for the timestamps the driver writes (LS/LA
// DA and TI fields, journal times). Tests use it for byte-exact transcripts.
func (d *Driver) SetClock(now func() time.Time) { d.now = now }

// Run serves the link until ctx ends.
func (d *Driver) Run(ctx context.Context) error {
	if d.proto == nil {
		<-ctx.Done()
		return nil
	}
	return d.link.Run(ctx, func(ctx context.Context, rw io.ReadWriteCloser) error {
		c := &conn{reqs: make(chan request), done: make(chan struct{})}
		d.mu.Lock()
		d.cur = c
		d.mu.Unlock()
		defer func() {
			d.mu.Lock()
			if d.cur == c {
				d.cur = nil
			}
			d.mu.Unlock()
			close(c.done)
		}()
		return d.proto.serve(ctx, d, c, rw)
	})
}

// LinkUp reports whether the application link is up (FIAS: after the
// LS/LA handshake; serial protocols: while the port is open).
func (d *Driver) LinkUp() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cur != nil && d.cur.up.Load()
}

// Send sends cmd to the PBX and returns the PBX's acknowledgement. With the
// link down it returns ErrLinkDown at once (retryable: resend on LinkEvent
// Up). A command the protocol cannot carry returns ErrUnsupported, with
// CommandAck.OperatorTask set when a person must do it at the console.
func (d *Driver) Send(ctx context.Context, cmd hotel.Command) (hotel.CommandAck, error) {
	if d.proto == nil {
		return operatorTask(cmd, d.prof), hotel.ErrUnsupported
	}
	return d.do(ctx, request{cmd: cmd, result: make(chan reply, 1)}, cmd.Reference())
}

// Prepare encodes cmd into the frames SendPrepared writes, with no I/O
// (hotel.Preparer), so the core journals them in the transaction that
// records the command. The encoding is the one the session would make now:
// FIAS filters the records and fields by the LR records of the current
// link start; SX-200 and Shenou messages depend on the profile only. No
// protocol numbers its frames (FIAS has no sequence numbers on the PMS
// side), so a prepared frame stays valid for as long as the link start it
// was encoded for. ErrLinkDown while the link is not up; ErrUnsupported on a
// receive-only link (Send answers with the operator task).
func (d *Driver) Prepare(cmd hotel.Command) (hotel.Prepared, error) {
	if d.proto == nil {
		return hotel.Prepared{}, hotel.ErrUnsupported
	}
	d.mu.Lock()
	c := d.cur
	d.mu.Unlock()
	if c == nil || !c.up.Load() {
		return hotel.Prepared{}, hotel.ErrLinkDown
	}
	msgs, err := d.proto.encode(d, c, cmd)
	if err != nil {
		return hotel.Prepared{}, fmt.Errorf("hotelink: prepare %s: %w", hotel.CommandName(cmd), err)
	}
	p := hotel.Prepared{Cmd: cmd, Frames: make([]hotel.Frame, len(msgs))}
	for i, m := range msgs {
		p.Frames[i] = hotel.Frame{Data: m}
	}
	return p, nil
}

// SendPrepared sends a command Prepare encoded and the core journaled:
// the session writes the journaled frames as they are, without another
// commit, when they are what it encodes now (hotel.Preparer); otherwise it
// journals and writes its own, as Send does.
func (d *Driver) SendPrepared(ctx context.Context, p hotel.Prepared) (hotel.CommandAck, error) {
	if d.proto == nil {
		return operatorTask(p.Cmd, d.prof), hotel.ErrUnsupported
	}
	return d.do(ctx, request{cmd: p.Cmd, prepared: p.Frames, result: make(chan reply, 1)}, p.Cmd.Reference())
}

// journaledAs reports whether prepared holds frames, byte for byte, each
// journaled already: then they are written without another commit. Any
// difference (the link encodes the command otherwise since Prepare) or a
// frame never journaled has the session journal what it writes itself.
func journaledAs(prepared []hotel.Frame, frames [][]byte) bool {
	if len(prepared) == 0 || len(prepared) != len(frames) {
		return false
	}
	for i, f := range prepared {
		if f.JournalID == 0 || !bytes.Equal(f.Data, frames[i]) {
			return false
		}
	}
	return true
}

// Resync sends the StateSource's snapshot to the PBX now (FIAS: DS, the
// records, DE). The core may call it after a long outage.
func (d *Driver) Resync(ctx context.Context) error {
	if d.proto == nil {
		return hotel.ErrUnsupported
	}
	_, err := d.do(ctx, request{result: make(chan reply, 1)}, "")
	return err
}

func (d *Driver) do(ctx context.Context, r request, ref string) (hotel.CommandAck, error) {
	d.mu.Lock()
	c := d.cur
	d.mu.Unlock()
	down := hotel.CommandAck{Ref: ref, Reason: "link down"}
	if c == nil || !c.up.Load() {
		return down, hotel.ErrLinkDown
	}
	select {
	case c.reqs <- r:
	case <-c.done:
		return down, hotel.ErrLinkDown
	case <-ctx.Done():
		return hotel.CommandAck{Ref: ref, Reason: ctx.Err().Error()}, ctx.Err()
	}
	select {
	case rep := <-r.result:
		return rep.ack, rep.err
	case <-ctx.Done():
		return hotel.CommandAck{Ref: ref, Reason: ctx.Err().Error()}, ctx.Err()
	}
}

// journal commits frames before anything else happens to them.
func (d *Driver) journal(ctx context.Context, dir drivers.Direction, frames ...[]byte) ([]int64, error) {
	return d.journalKeyed(ctx, dir, "", frames...)
}

// journalKeyed journals frames under a business key (FIAS PS: room and
// P#, so a posting the PBX sends again has the same identity).
func (d *Driver) journalKeyed(ctx context.Context, dir drivers.Direction, key string, frames ...[]byte) ([]int64, error) {
	jf := make([]drivers.Frame, len(frames))
	for i, f := range frames {
		jf[i] = drivers.Frame{Data: f, Key: key}
	}
	ids, err := d.sink.Journal(ctx, dir, jf, d.now())
	if err != nil {
		return nil, fmt.Errorf("hotelink: journal: %w", err)
	}
	return ids, nil
}

func (d *Driver) deliver(ctx context.Context, rs ...drivers.Result) error {
	if err := d.sink.Deliver(ctx, rs); err != nil {
		return fmt.Errorf("hotelink: deliver: %w", err)
	}
	return nil
}

// linkState reports the application link's state and delivers the event.
func (d *Driver) linkState(ctx context.Context, c *conn, ev hotel.LinkEvent, frameID int64) {
	c.up.Store(ev.Kind == hotel.LinkUp)
	st := events.DeviceState{Device: d.dev.ID, State: "connected", Since: ev.At, Endpoint: d.endpoint()}
	if ev.Kind == hotel.LinkDown {
		st.State, st.Error = "disconnected", ev.Detail
	}
	d.sink.LinkState(st)
	d.log.Info("hotel link "+string(ev.Kind), "detail", ev.Detail)
	if err := d.deliver(ctx, drivers.Result{FrameID: frameID, Record: ev}); err != nil {
		d.log.Warn("deliver link event", "err", err)
	}
}

func (d *Driver) endpoint() string {
	if d.link == nil {
		return ""
	}
	return d.link.String()
}

// errLink marks an error that ends the connection (the Opener reconnects).
var errLinkTimeout = errors.New("hotelink: nothing received from the PBX within link_timeout")

// Interpret reads a journaled inbound frame again (drivers.Reinterpreter):
// after a crash or a profile fix. Link records come back Skipped; nothing
// is sent to the PBX (a PA for a posting was or will be sent by the link).
func (d *Driver) Interpret(raw []byte, key string, received time.Time) drivers.Result {
	res := drivers.Result{Key: key}
	switch d.prof.Protocol {
	case ProtoFIAS:
		fr := NewFramer(d.prof.Framing.LRC)
		fr.Push(raw)
		ev, ok := fr.Next()
		if !ok || ev.Kind != EvRecord {
			res.Err = fmt.Errorf("fias: %q is not a complete frame", raw)
			return res
		}
		rec, err := ParseRecord(ev.Data)
		if err != nil {
			res.Err = err
			return res
		}
		switch rec.Type {
		case "PS":
			p, err := decodePosting(d.loc, rec, string(ev.Data))
			res.Record, res.Err = p, err
			if err != nil {
				res.Record = nil
			}
			return res
		case "LS", "LD", "LR", "LA", "LE", "DR":
			res.Skipped = true
			return res
		}
		recs, err := decodeFIAS(d.prof, d.loc, rec, string(ev.Data))
		switch {
		case err != nil:
			res.Err = err
		case len(recs) == 0:
			res.Skipped = true
		default:
			res.Record = recs[0]
		}
	case ProtoSX200:
		data := bytes.Trim(raw, "\x02\x03")
		res.Record, res.Err = ParseSX200(data, d.prof, received.In(d.loc))
	default:
		res.Skipped = true
	}
	return res
}
