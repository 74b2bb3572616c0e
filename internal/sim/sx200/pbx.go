// Package sx200 simulates the PBX side of a Mitel SX-200 PMS link (the
// Lodgistix protocol) on a serial line: it answers every <STX>FC S RRRRR<ETX>
// message of the gateway with ACK when it understood it (NAK when it did
// not, or on request), keeps each room's state (check-in, message lamp,
// DND, restriction, wake-ups) as the profile's function codes define them,
// rings wake-ups when the injected clock reaches them and reports the
// result (WKR) from a per-room script, and sends maid status (MDS) on
// request. Tests use it over a pty; so does `switchboard sim sx200`.
package sx200

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
)

// Config describes the simulated PBX.
type Config struct {
	// Profile gives the function codes, the room width and the restriction
	// digits (nil: the embedded mitel-sx200).
	Profile *hotelink.Profile
	// Answers scripts the outcome of each room's wake-up calls, consumed in
	// order; WakeupAnswered is reported as WKR status 1, anything else as
	// 0 (the SX-200 reports no more than answered / not answered). A room
	// with nothing scripted answers.
	Answers map[hotel.Room][]hotel.WakeupStatus
	Now     func() time.Time // default time.Now
	Loc     *time.Location   // default time.Local
}

// Room is the PBX's record of a room.
type Room struct {
	Room        hotel.Room
	CheckedIn   bool
	MWL, DND    bool
	Restriction string   // the digit last set with the cos function ("" never set)
	Wakeups     []string // HHMM, sorted
}

// Message is one message the PBX received, with how it answered it.
type Message struct {
	Raw    string // between STX and ETX
	Func   string // the profile's name of the function code ("" unknown)
	Status string
	Room   hotel.Room
	Time   string // HHMM of a wake-up message
	Answer byte   // ACK, NAK, or 0 when left unanswered
}

// Rung is one wake-up call the PBX made.
type Rung struct {
	Room   hotel.Room
	At     time.Time
	Status hotel.WakeupStatus
}

type wake struct {
	room hotel.Room
	hhmm string
	due  time.Time
}

// PBX is the simulated SX-200. Methods are safe for concurrent use.
type PBX struct {
	cfg   Config
	prof  *hotelink.Profile
	funcs map[string]string // code -> function name

	wmu sync.Mutex // one writer at a time
	rw  io.ReadWriteCloser

	mu       sync.Mutex
	rooms    map[hotel.Room]*Room
	wakeups  map[string]wake // room|HHMM
	answers  map[hotel.Room][]hotel.WakeupStatus
	received []Message
	rung     []Rung
	nakNext  int
	deafNext int
	acks     int // ACKs the gateway sent for the PBX's messages
	naks     int
	changed  chan struct{}
}

// New returns a PBX with no room checked in.
func New(cfg Config) (*PBX, error) {
	if cfg.Profile == nil {
		p, err := hotelink.LoadProfile("mitel-sx200")
		if err != nil {
			return nil, fmt.Errorf("sim sx200: %w", err)
		}
		cfg.Profile = p
	}
	if cfg.Profile.Protocol != hotelink.ProtoSX200 {
		return nil, fmt.Errorf("sim sx200: profile %s speaks %s, not sx200", cfg.Profile.ID, cfg.Profile.Protocol)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Loc == nil {
		cfg.Loc = time.Local
	}
	funcs := map[string]string{}
	for name, code := range cfg.Profile.SX200.Functions {
		funcs[code] = name
	}
	ans := map[hotel.Room][]hotel.WakeupStatus{}
	for k, v := range cfg.Answers {
		ans[k] = slices.Clone(v)
	}
	return &PBX{cfg: cfg, prof: cfg.Profile, funcs: funcs, rooms: map[hotel.Room]*Room{},
		wakeups: map[string]wake{}, answers: ans, changed: make(chan struct{})}, nil
}

// Serve plays the PBX on rw (the master of a pty, a serial port) until rw
// fails or ctx ends; rw is closed then. The SX-200 PMS link has no link
// start: it is up while the line is.
func (p *PBX) Serve(ctx context.Context, rw io.ReadWriteCloser) error {
	p.wmu.Lock()
	p.rw = rw
	p.wmu.Unlock()
	stop := context.AfterFunc(ctx, func() { rw.Close() })
	defer stop()
	defer rw.Close()
	fr := hotelink.NewFramer(false)
	buf := make([]byte, 1024)
	for {
		n, err := rw.Read(buf)
		fr.Push(buf[:n])
		for ev, ok := fr.Next(); ok; ev, ok = fr.Next() {
			if herr := p.handle(ev); herr != nil {
				return herr
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) || errors.Is(err, io.ErrClosedPipe) {
				return nil
			}
			return fmt.Errorf("sim sx200: read: %w", err)
		}
	}
}

func (p *PBX) handle(ev hotelink.Event) error {
	switch ev.Kind {
	case hotelink.EvACK, hotelink.EvNAK:
		p.mu.Lock()
		if ev.Kind == hotelink.EvACK {
			p.acks++
		} else {
			p.naks++
		}
		p.notify()
		p.mu.Unlock()
		return nil
	case hotelink.EvRecord:
	default:
		return nil // ENQ is no part of this protocol; garbage is ignored
	}
	m := p.parse(string(ev.Data))
	p.mu.Lock()
	switch {
	case p.deafNext > 0:
		p.deafNext-- // lost on the line: no answer at all
	case p.nakNext > 0:
		p.nakNext--
		m.Answer = hotelink.NAK // not processed
	case m.Func == "":
		m.Answer = hotelink.NAK // handbook p.274: ACK only what was understood
	default:
		m.Answer = hotelink.ACK
		p.apply(m)
	}
	p.received = append(p.received, m)
	p.notify()
	p.mu.Unlock()
	if m.Answer == 0 {
		return nil
	}
	return p.write([]byte{m.Answer})
}

// parse reads `FC S RRRRR[ HHMM]` strictly (the room right-aligned in the
// profile's width); Func is left empty when the message is not one the
// PBX understands.
func (p *PBX) parse(s string) Message {
	m := Message{Raw: s}
	code, rest, ok1 := strings.Cut(s, " ")
	status, rest, ok2 := strings.Cut(rest, " ")
	w := p.prof.SX200.RoomWidth
	if !ok1 || !ok2 || len(rest) < w {
		return m
	}
	room := strings.TrimLeft(rest[:w], " ")
	extra := rest[w:]
	if room == "" || strings.Trim(room, "0123456789") != "" {
		return m
	}
	m.Status, m.Room = status, hotel.Room(room)
	name := p.funcs[code]
	switch name {
	case "mwl", "dnd", "checkin":
		if extra != "" || (status != "0" && status != "1") {
			return m
		}
	case "cos":
		if extra != "" || !slices.Contains(slices.Collect(maps.Values(p.prof.COS)), status) {
			return m
		}
	case "wakeup":
		hhmm, ok := strings.CutPrefix(extra, " ")
		if (status != "0" && status != "1") || (!ok && status == "1") {
			return m
		}
		if ok {
			if _, err := time.Parse("1504", hhmm); err != nil || len(hhmm) != 4 {
				return m
			}
			m.Time = hhmm
		}
	default:
		return m // maid and wakeup_result go the other way
	}
	m.Func = name
	return m
}

// apply changes the room's state; p.mu is held.
func (p *PBX) apply(m Message) {
	r := p.rooms[m.Room]
	if r == nil {
		r = &Room{Room: m.Room}
		p.rooms[m.Room] = r
	}
	on := m.Status == "1"
	switch m.Func {
	case "mwl":
		r.MWL = on
	case "dnd":
		r.DND = on
	case "cos":
		r.Restriction = m.Status
	case "checkin":
		r.CheckedIn = on
		if !on {
			// Check-out: the PBX clears the lamp, DND and wake-ups, and
			// bars the phone (the profile's barred restriction).
			r.MWL, r.DND = false, false
			if v, ok := p.prof.COS[hotel.COSBarred]; ok {
				r.Restriction = v
			}
			for k, w := range p.wakeups {
				if w.room == m.Room {
					delete(p.wakeups, k)
				}
			}
		}
	case "wakeup":
		switch {
		case on:
			// The message carries no date: the PBX rings at the next HHMM.
			now := p.cfg.Now().In(p.cfg.Loc)
			t, _ := time.ParseInLocation("1504", m.Time, p.cfg.Loc)
			due := time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), 0, 0, p.cfg.Loc)
			if !due.After(now) {
				due = due.AddDate(0, 0, 1)
			}
			p.wakeups[string(m.Room)+"|"+m.Time] = wake{room: m.Room, hhmm: m.Time, due: due}
		case m.Time != "":
			delete(p.wakeups, string(m.Room)+"|"+m.Time)
		default:
			for k, w := range p.wakeups {
				if w.room == m.Room {
					delete(p.wakeups, k)
				}
			}
		}
	}
}

// notify wakes WaitFor callers; p.mu must be held.
func (p *PBX) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *PBX) write(b []byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if p.rw == nil {
		return errors.New("sim sx200: not connected")
	}
	_, err := p.rw.Write(b)
	return err
}

// message frames a PBX -> PMS message: code, status, room right-aligned.
func (p *PBX) message(fn, status string, room hotel.Room, extra string) ([]byte, error) {
	code, ok := p.prof.SX200.Functions[fn]
	if !ok {
		return nil, fmt.Errorf("sim sx200: profile %s has no function %s", p.prof.ID, fn)
	}
	w := p.prof.SX200.RoomWidth
	if len(room) > w {
		return nil, fmt.Errorf("sim sx200: room %q is wider than %d", room, w)
	}
	rec := code + " " + status + " " + strings.Repeat(" ", w-len(room)) + string(room) + extra
	return hotelink.AppendFrame(nil, []byte(rec), false), nil
}

// RoomStatus sends a maid status dialed on the room phone (MDS code).
func (p *PBX) RoomStatus(room hotel.Room, code int) error {
	b, err := p.message("maid", fmt.Sprint(code), room, "")
	if err != nil {
		return err
	}
	return p.write(b)
}

// SendRaw writes bytes as they are (garbage, a broken frame).
func (p *PBX) SendRaw(b []byte) error { return p.write(b) }

// NAKNext makes the PBX answer NAK to the next n messages (not processed).
func (p *PBX) NAKNext(n int) {
	p.mu.Lock()
	p.nakNext = n
	p.mu.Unlock()
}

// IgnoreNext makes the PBX leave the next n messages unanswered (lost on
// the line): the gateway times out and sends again.
func (p *PBX) IgnoreNext(n int) {
	p.mu.Lock()
	p.deafNext = n
	p.mu.Unlock()
}

// Ring places every wake-up due at now: it reports WKR with the room's
// next scripted answer and the wake-up's HHMM, and forgets the wake-up.
func (p *PBX) Ring(now time.Time) ([]Rung, error) {
	p.mu.Lock()
	var due []wake
	for k, w := range p.wakeups {
		if !w.due.After(now) {
			due = append(due, w)
			delete(p.wakeups, k)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].due.Equal(due[j].due) {
			return due[i].due.Before(due[j].due)
		}
		return due[i].room < due[j].room
	})
	var out []Rung
	var b []byte
	var err error
	for _, w := range due {
		st := hotel.WakeupAnswered
		if q := p.answers[w.room]; len(q) > 0 {
			st, p.answers[w.room] = q[0], q[1:]
		}
		code := "0"
		if st == hotel.WakeupAnswered {
			code = "1"
		}
		m, merr := p.message("wakeup_result", code, w.room, " "+w.hhmm)
		if merr != nil {
			err = merr
			continue
		}
		b = append(b, m...)
		out = append(out, Rung{Room: w.room, At: w.due, Status: st})
	}
	p.rung = append(p.rung, out...)
	p.notify()
	p.mu.Unlock()
	if len(b) > 0 {
		if werr := p.write(b); werr != nil {
			return out, werr
		}
	}
	return out, err
}

// RunClock rings due wake-ups every tick until ctx ends, calling report
// (if not nil) with what it rang.
func (p *PBX) RunClock(ctx context.Context, tick time.Duration, report func([]Rung, error)) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rung, err := p.Ring(p.cfg.Now())
			if report != nil && (len(rung) > 0 || err != nil) {
				report(rung, err)
			}
		}
	}
}

// Room returns the PBX's record of a room.
func (p *PBX) Room(room hotel.Room) (Room, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.rooms[room]
	if !ok {
		return Room{}, false
	}
	out := *r
	for _, w := range p.wakeups {
		if w.room == room {
			out.Wakeups = append(out.Wakeups, w.hhmm)
		}
	}
	sort.Strings(out.Wakeups)
	return out, true
}

// Wakeups lists the held wake-ups as room and the time they will ring.
func (p *PBX) Wakeups() []hotel.Wakeup {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []hotel.Wakeup
	for _, w := range p.wakeups {
		out = append(out, hotel.Wakeup{Room: w.room, At: w.due})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Room != out[j].Room {
			return out[i].Room < out[j].Room
		}
		return out[i].At.Before(out[j].At)
	})
	return out
}

// Received lists every message the PBX received, in order.
func (p *PBX) Received() []Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.received)
}

// Rung lists the wake-up calls made so far.
func (p *PBX) Rung() []Rung {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.rung)
}

// Acks counts the ACKs and NAKs the gateway sent for the PBX's messages.
func (p *PBX) Acks() (acks, naks int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.acks, p.naks
}

// WaitFor blocks until cond holds (checked after every change) or ctx ends.
func (p *PBX) WaitFor(ctx context.Context, cond func(p *PBX) bool) error {
	for {
		p.mu.Lock()
		ch := p.changed
		p.mu.Unlock()
		if cond(p) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("sim sx200: condition not met: %w", ctx.Err())
		}
	}
}
