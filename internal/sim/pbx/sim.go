// Package pbxsim is a PBX that prints SMDR: it generates a hotel's calls
// (a seeded, deterministic call mix of guest rooms dialing local, mobile,
// long-distance, international and emergency numbers, incoming and internal
// calls, unanswered calls and hotel events), prints each call the way a
// firmware profile's `simulate:` section says the PBX prints it (templates,
// page headers, line endings, NUL or STX/ETX framing), and can inject the
// faults a real line has: garbage bytes, wrong-baud noise, a connection
// dropped mid-record and the replay of a PBX's record buffer after a
// reconnect. Every call carries its truth, the CallRecord the gateway must
// parse from the printed record, so the whole path can be tested end to end.
package pbxsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/profile"
)

// Options configure a simulated PBX.
type Options struct {
	Profile *profile.PBX // must have a simulate section
	Seed    uint64
	// Start is when the first call starts; zero means ten minutes ago.
	Start time.Time
	// Location is the zone the PBX clock runs in (nil: Start's zone).
	Location *time.Location
	// Rate is calls per second: how fast simulated time runs between call
	// starts and, in Run, how many records are written per second of wall
	// time. Zero means 1 call/s of simulated time and no pacing in Run.
	Rate float64
	// Count stops the simulation after Count calls (0: no end).
	Count int
	// FirstRoom and LastRoom bound the guest extensions (default 101-1299).
	FirstRoom, LastRoom int
	// AccessCode is the trunk access code a guest dials first (default "9");
	// it is printed where a template uses {keyed}.
	AccessCode string
	// DIDPrefix makes an incoming call's DDI number: prefix + room (default "6588").
	DIDPrefix string
	// Garbage is the probability that a burst of garbage bytes precedes a record.
	Garbage float64
	// Noise is the probability that a wrong-baud noise line precedes a record.
	Noise float64
	// DropAfter makes Run cut the connection in the middle of a record after
	// this many records (0: never).
	DropAfter int
	// ReplayBuffer is how many records of a dropped connection the PBX
	// resends after the next connect (Avaya IP Office keeps 3000). Negative
	// means the profile's simulate.replay_buffer; 0 none.
	ReplayBuffer int
	// COS is each room's class of service (nil: no barring). An outgoing
	// call beyond the room's class is refused by the PBX: it takes its
	// place in the arrival stream but prints no record and has no truth,
	// so a seed's printed calls are its unbarred calls minus the refused
	// ones. Called from the generator; a live table must be safe for
	// concurrent use.
	COS func(room string) COS
}

// Call is one simulated call (or hotel event) and its truth.
type Call struct {
	Seq      int64 // creation order, from 1
	Kind     Kind
	Category Category // outgoing calls
	Ext      string   // the guest room's extension
	Dialed   string   // number sent to the network; the called room for internal calls
	Keyed    string   // digits as the guest keyed them (access code + Dialed)
	Caller   string   // incoming caller id ("" withheld)
	DID      string   // number an incoming caller dialed
	Trunk    string
	Start    time.Time     // seizure (outgoing) or first ring (incoming); the event time of hotel events
	Ring     time.Duration // ring time before answer (or before the caller gave up)
	Duration time.Duration // talk time; 0 when not answered
	Answered bool
	CostFen  int64 // the synthetic charge the PBX prints, in fen (1/100 yuan)
	Units    int   // meter pulses
	// Replay is set on a record resent from the replay buffer after a
	// reconnect: the collector may have received it before.
	Replay bool
	// Truth is the CallRecord the gateway must parse from the printed record
	// (times cut to what the PBX prints; Raw is empty). Check compares.
	Truth events.CallRecord
	known truthFields
}

// Answer is when the call was answered (or gave up ringing).
func (c *Call) Answer() time.Time { return c.Start.Add(c.Ring) }

// End is when the call ended: when the PBX prints its record.
func (c *Call) End() time.Time { return c.Start.Add(c.Ring + c.Duration) }

// ErrDropped is returned by Run when it cut the connection mid-record (DropAfter).
var ErrDropped = errors.New("pbxsim: connection dropped mid-record (--drop-after)")

// Simulator prints one PBX's SMDR stream. It is not safe for concurrent use.
type Simulator struct {
	opts    Options
	p       *profile.PBX
	sim     *profile.SimulateDoc
	loc     *time.Location
	gen     *generator
	faults  *rand.Rand
	tpls    map[string]*template
	header  []*template
	classes map[string]string
	eol     string
	emitted int // calls handed out
	line    int // line on the current page (line framing) or records on it
	pages   int
	buf     []byte

	conn   []sent // records written on the current connection, for replay
	replay []sent // records to resend on the next connection
}

type sent struct {
	call  *Call
	bytes []byte
}

// New builds a simulator for opts.Profile.
func New(opts Options) (*Simulator, error) {
	p := opts.Profile
	if p == nil {
		return nil, errors.New("pbxsim: no profile")
	}
	if p.Doc == nil || p.Doc.Simulate == nil {
		return nil, fmt.Errorf("pbxsim: profile %s has no simulate section", p.ID)
	}
	sd := p.Doc.Simulate
	if opts.Rate < 0 || opts.Count < 0 || opts.Garbage < 0 || opts.Garbage > 1 || opts.Noise < 0 || opts.Noise > 1 || opts.DropAfter < 0 {
		return nil, errors.New("pbxsim: rate, count and drop-after must not be negative; garbage and noise are probabilities (0-1)")
	}
	if opts.FirstRoom == 0 && opts.LastRoom == 0 {
		opts.FirstRoom, opts.LastRoom = 101, 1299
	}
	if opts.FirstRoom < 1 || opts.LastRoom < opts.FirstRoom {
		return nil, fmt.Errorf("pbxsim: room range %d-%d", opts.FirstRoom, opts.LastRoom)
	}
	if opts.AccessCode == "" {
		opts.AccessCode = "9"
	}
	if opts.DIDPrefix == "" {
		opts.DIDPrefix = "6588"
	}
	if opts.ReplayBuffer < 0 {
		opts.ReplayBuffer = sd.ReplayBuffer
	}
	loc := opts.Location
	if loc == nil {
		loc = opts.Start.Location()
		if opts.Start.IsZero() {
			loc = time.Local
		}
	}
	start := opts.Start
	if start.IsZero() {
		start = time.Now().Add(-10 * time.Minute)
	}
	start = start.In(loc).Truncate(time.Second)
	s := &Simulator{opts: opts, p: p, sim: sd, loc: loc, tpls: map[string]*template{}, classes: sd.Classes}
	var errs []error
	for k, src := range sd.Templates {
		t, err := compileTemplate(src, p.Doc.Formats)
		if err != nil {
			errs = append(errs, fmt.Errorf("simulate.templates.%s: %w", k, err))
			continue
		}
		if _, ok := t.uses["now"]; ok {
			errs = append(errs, fmt.Errorf("simulate.templates.%s: {now} is for page headers; use {end}", k))
		}
		s.tpls[k] = t
	}
	if pg := sd.Page; pg != nil {
		for i, src := range pg.Header {
			t, err := compileTemplate(src, p.Doc.Formats)
			if err != nil {
				errs = append(errs, fmt.Errorf("simulate.page.header[%d]: %w", i, err))
				continue
			}
			s.header = append(s.header, t)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("pbxsim: profile %s: %w", p.ID, errors.Join(errs...))
	}
	switch {
	case p.Framing.Type == profile.FrameLine && p.Framing.EOL == "cr", sd.EOL == "cr":
		s.eol = "\r"
	case p.Framing.Type == profile.FrameLine && p.Framing.EOL == "lf", sd.EOL == "lf":
		s.eol = "\n"
	default:
		s.eol = "\r\n"
	}
	mix := map[string]int{}
	for k, v := range defaultMix {
		mix[k] = v
	}
	for k, v := range sd.Mix {
		mix[k] = v
	}
	g := &generator{
		rng: rand.New(rand.NewPCG(opts.Seed, 0x5b0a4d)), next: start, gap: 1,
		firstRoom: opts.FirstRoom, lastRoom: opts.LastRoom, accessCode: opts.AccessCode,
		trunks: sd.Trunks, didPrefix: opts.DIDPrefix, cos: opts.COS,
	}
	if opts.Rate > 0 {
		g.gap = 1 / opts.Rate
	}
	if len(g.trunks) == 0 {
		g.trunks = []string{"1", "2", "3", "4", "5", "6", "7", "8"}
	}
	for _, k := range callKinds {
		if s.template(k, "") != nil && mix[string(k)] > 0 {
			g.kinds = append(g.kinds, weighted[Kind]{k, mix[string(k)] * 100})
		}
	}
	var hotel []Kind
	for _, k := range hotelKinds {
		if s.tpls[string(k)] != nil {
			hotel = append(hotel, k)
		}
	}
	for _, k := range hotel {
		if w := mix["hotel"] * 100 / len(hotel); w > 0 {
			g.kinds = append(g.kinds, weighted[Kind]{k, w})
		}
	}
	for _, c := range categories {
		if mix[string(c)] > 0 {
			g.cats = append(g.cats, weighted[Category]{c, mix[string(c)]})
		}
	}
	if len(g.kinds) == 0 || len(g.cats) == 0 {
		return nil, fmt.Errorf("pbxsim: profile %s: the call mix leaves nothing to simulate", p.ID)
	}
	s.gen = g
	s.faults = rand.New(rand.NewPCG(opts.Seed, 0xfa17))
	return s, nil
}

// Refused is how many outgoing calls the PBX refused so far because they
// were beyond the room's class of service (Options.COS).
func (s *Simulator) Refused() int { return s.gen.refused }

// Location is the zone the simulated PBX prints its times in.
func (s *Simulator) Location() *time.Location { return s.loc }

// template finds the template for a kind (and outgoing category).
func (s *Simulator) template(k Kind, c Category) *template {
	if c != "" {
		if t := s.tpls[string(k)+"."+string(c)]; t != nil {
			return t
		}
	}
	return s.tpls[string(k)]
}

// Next returns the next call and the bytes the PBX prints for it (a page
// header and injected faults included), without pacing. It returns io.EOF
// once Count calls were handed out.
func (s *Simulator) Next() (*Call, []byte, error) {
	if s.opts.Count > 0 && s.emitted >= s.opts.Count {
		return nil, nil, io.EOF
	}
	c := s.gen.pop()
	if c == nil {
		return nil, nil, fmt.Errorf("pbxsim: %d calls in a row refused by the class of service: the mix leaves nothing the rooms may dial", maxRefusedInARow)
	}
	if !c.Kind.IsCall() {
		c.Duration, c.Ring = 0, 0
	}
	s.emitted++
	out, err := s.print(c, true)
	if err != nil {
		return nil, nil, err
	}
	return c, out, nil
}

// Print prints a call the caller made (a test's chosen call) as the PBX
// would on its port: framed, with the page header when a page starts, no
// faults. It sets c.Truth.
func (s *Simulator) Print(c *Call) ([]byte, error) {
	return s.print(c, false)
}

func (s *Simulator) print(c *Call, faults bool) ([]byte, error) {
	out := s.buf[:0]
	out = s.pageTop(out, c.End())
	if faults && s.opts.Garbage > 0 && s.faults.Float64() < s.opts.Garbage {
		out = s.garbage(out)
	}
	rec, err := s.Render(c)
	if err != nil {
		return nil, err
	}
	if faults && s.opts.Noise > 0 && s.faults.Float64() < s.opts.Noise {
		out = s.noise(out, rec)
	}
	out = s.frame(out, rec)
	s.line++
	out = s.pageBottom(out)
	s.buf = out
	return bytes.Clone(out), nil
}

// Render prints one call with the profile's template (no framing, no page
// header) and sets c.Truth.
func (s *Simulator) Render(c *Call) ([]byte, error) {
	t := s.template(c.Kind, c.Category)
	if t == nil {
		return nil, fmt.Errorf("pbxsim: profile %s has no template for %s calls", s.p.ID, c.Kind)
	}
	var texts [len(truthNames)]string
	rec := s.render(nil, t, c, c.End(), &texts)
	s.truth(c, t, &texts)
	return rec, nil
}

func (s *Simulator) render(dst []byte, t *template, c *Call, now time.Time, texts *[len(truthNames)]string) []byte {
	var tmp [64]byte
	group, at := (*counted)(nil), 0 // the counted group open, where its length goes
	for _, seg := range t.segs {
		if c := seg.cnt; c != nil {
			if c.close {
				closeCounted(dst, at, group)
			} else {
				group, at = c, len(dst)
				for range c.width {
					dst = append(dst, '0')
				}
			}
			continue
		}
		ph := seg.ph
		if ph == nil {
			dst = append(dst, seg.lit...)
			continue
		}
		v := tmp[:0]
		switch ph.name {
		case "start":
			v = ph.fmt.appendTime(v, c.Start.In(s.loc))
		case "answer":
			v = ph.fmt.appendTime(v, c.Answer().In(s.loc))
		case "end":
			v = ph.fmt.appendTime(v, c.End().In(s.loc))
		case "now":
			v = ph.fmt.appendTime(v, now.In(s.loc))
		case "duration":
			v = ph.fmt.appendDuration(v, c.Duration)
		case "ring":
			v = ph.fmt.appendDuration(v, c.Ring)
		case "total":
			v = ph.fmt.appendDuration(v, c.Ring+c.Duration)
		case "ext":
			v = append(v, c.Ext...)
		case "dialed":
			v = append(v, c.Dialed...)
		case "keyed":
			v = append(v, c.Keyed...)
		case "caller":
			v = append(v, c.Caller...)
		case "did":
			v = append(v, c.DID...)
		case "trunk":
			v = append(v, c.Trunk...)
		case "class":
			cat := string(c.Category)
			if cat == "" {
				cat = string(c.Kind)
			}
			v = append(v, s.classes[cat]...)
		case "cost":
			v = strconv.AppendInt(v, c.CostFen/100, 10)
			v = append(v, '.', byte('0'+c.CostFen%100/10), byte('0'+c.CostFen%10))
		case "units":
			v = strconv.AppendInt(v, int64(c.Units), 10)
		case "call_id":
			v = strconv.AppendInt(v, s.sim.CallIDBase+c.Seq, 10)
		case "seq":
			v = strconv.AppendInt(v, c.Seq, 10)
		case "account":
		case "epoch":
			v = strconv.AppendInt(v, c.Start.Unix(), 10)
		case "mark":
			for _, m := range s.sim.Marks {
				if c.Duration >= time.Duration(m.FromS)*time.Second {
					v = append(v[:0], m.Text...)
				}
			}
		}
		n := len(dst)
		dst = ph.pad(dst, string(v))
		if texts != nil && !ph.quiet {
			if i := truthIndex(ph.name); i >= 0 && texts[i] == "" {
				texts[i] = strings.TrimSpace(string(dst[n:]))
			}
		}
	}
	return dst
}

// frame wraps a record the way the profile's framing cuts it.
func (s *Simulator) frame(dst, rec []byte) []byte {
	switch s.p.Framing.Type {
	case profile.FrameSTXETX:
		dst = append(dst, 0x02)
		dst = append(dst, s.sim.Lead...)
		dst = append(dst, rec...)
		return append(dst, 0x03)
	case profile.FrameNUL:
		dst = append(dst, s.sim.Lead...)
		dst = append(dst, rec...)
		return append(dst, 0)
	}
	dst = append(dst, s.sim.Lead...)
	dst = append(dst, rec...)
	return append(dst, s.eol...)
}

// pageTop prints the page header when a page starts.
func (s *Simulator) pageTop(dst []byte, now time.Time) []byte {
	pg := s.sim.Page
	if pg == nil || s.line > 0 {
		return dst
	}
	s.pages++
	if pg.FormFeed {
		dst = append(dst, '\f')
	}
	for i, t := range s.header {
		dst = s.render(dst, t, &Call{}, now, nil)
		if i < len(s.header)-1 || s.p.Framing.Type == profile.FrameLine {
			dst = append(dst, s.eol...)
		}
	}
	s.line = len(s.header)
	return dst
}

// pageBottom ends a full page: skip-perforation blank lines.
func (s *Simulator) pageBottom(dst []byte) []byte {
	pg := s.sim.Page
	if pg == nil || s.line < pg.Length-pg.Skip {
		return dst
	}
	if s.p.Framing.Type == profile.FrameLine {
		for range pg.Skip {
			dst = append(dst, s.eol...)
		}
	}
	s.line = 0
	return dst
}

// garbage is a burst of line noise: bytes with the high bit set (what a
// UART reads from a glitch), never a delimiter of the framing, so it stays one
// junk frame and never swallows the record after it.
func (s *Simulator) garbage(dst []byte) []byte {
	n := 4 + s.faults.IntN(37)
	var b []byte
	for range n {
		b = append(b, byte(0x80+s.faults.IntN(0x7f)))
	}
	return s.junk(dst, b)
}

// noise is a record read at the wrong baud rate: as long as the record,
// every byte garbled into the high half.
func (s *Simulator) noise(dst, rec []byte) []byte {
	b := make([]byte, len(rec))
	for i, c := range rec {
		b[i] = 0x80 | (c<<1|c>>7)&0x7f ^ byte(s.faults.IntN(8))
	}
	return s.junk(dst, b)
}

// junk frames bytes that are not a record: a line of their own, a NUL
// record of their own, or bytes between ETX and STX.
func (s *Simulator) junk(dst, b []byte) []byte {
	switch s.p.Framing.Type {
	case profile.FrameSTXETX:
		return append(dst, b...)
	case profile.FrameNUL:
		dst = append(dst, b...)
		return append(dst, 0)
	}
	dst = append(dst, b...)
	s.line++
	return append(dst, s.eol...)
}

// Templates lists the template keys of the profile's simulate section.
func (s *Simulator) Templates() []string {
	keys := make([]string, 0, len(s.tpls))
	for k := range s.tpls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Run writes the stream to w, paced at Rate records per second, calling
// onCall (if not nil) after each record is written. It first resends the
// records a previous Run left for replay. It returns nil after Count calls,
// ctx's error when cancelled, ErrDropped after cutting a record (DropAfter),
// or the write error; in the last two cases the records of this connection
// (up to ReplayBuffer) are resent by the next Run.
func (s *Simulator) Run(ctx context.Context, w io.Writer, onCall func(*Call)) error {
	replay := s.replay
	s.replay, s.conn = nil, nil
	for i, r := range replay {
		if err := ctx.Err(); err != nil {
			s.replay = replay // nothing lost: all of it again next time
			return err
		}
		if _, err := w.Write(r.bytes); err != nil {
			s.dropConn(r)
			s.replay = append(s.replay, replay[i+1:]...)
			return err
		}
		s.keep(r)
		if onCall != nil {
			rc := *r.call
			rc.Replay = true
			onCall(&rc)
		}
	}
	var tick time.Duration
	if s.opts.Rate > 0 {
		tick = time.Duration(float64(time.Second) / s.opts.Rate)
	}
	t0 := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	written := 0
	for i := 0; ; i++ {
		if tick > 0 {
			if d := time.Until(t0.Add(time.Duration(i) * tick)); d > 0 {
				timer.Reset(d)
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-timer.C:
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		c, b, err := s.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		r := sent{c, b}
		if s.opts.DropAfter > 0 && written == s.opts.DropAfter {
			cut := len(b) / 2
			_, _ = w.Write(b[:cut])
			s.dropConn(r)
			return ErrDropped
		}
		if _, err := w.Write(b); err != nil {
			s.dropConn(r)
			return err
		}
		written++
		s.keep(r)
		if onCall != nil {
			onCall(c)
		}
	}
}

// keep remembers a record written on the current connection.
func (s *Simulator) keep(r sent) {
	if s.opts.ReplayBuffer <= 0 {
		return
	}
	if len(s.conn) >= s.opts.ReplayBuffer {
		s.conn = slices.Delete(s.conn, 0, 1)
	}
	s.conn = append(s.conn, r)
}

// dropConn ends the connection: its records (and the one cut) are resent next time.
func (s *Simulator) dropConn(cut sent) {
	if s.opts.ReplayBuffer > 0 {
		s.keep(cut)
		s.replay = s.conn
	}
	s.conn = nil
}

// Run simulates opts.Profile's PBX on w until Count calls were written or ctx
// ends (see Simulator.Run).
func Run(ctx context.Context, w io.Writer, opts Options, onCall func(*Call)) error {
	s, err := New(opts)
	if err != nil {
		return err
	}
	return s.Run(ctx, w, onCall)
}
