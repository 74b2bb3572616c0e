// Package fias simulates the vendor side of an Oracle FIAS hotel link: a
// PBX that connects to the gateway (the PMS side), runs the link start,
// answers database resyncs, stores the wake-ups it is sent and "rings"
// them when the injected clock reaches them, answering WA from a per-room
// script (answered, busy, no answer). It can send postings (PS) and maid
// status (RE RS) and inject faults: NAKs, garbage, a disconnect in the
// middle of a record. Tests use it; so does `switchboard sim pbx`.
package fias

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"sort"
	"sync"
	"time"

	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
)

// Config describes the simulated PBX.
type Config struct {
	LRC    bool // LRC after ETX
	AckNAK bool // serial link layer: ACK/NAK every frame received
	// GatewayDescribes: the gateway sends LD/LR/LA after LS and the PBX
	// answers LA (profile link.describe: gateway). Default: the PBX sends
	// LD, its LRs and LA, as the FIAS spec has the vendor do.
	GatewayDescribes bool
	// Records is the PBX's LR list: record id -> concatenated field ids.
	// Nil: DefaultRecords.
	Records map[string]string
	// Answers scripts the WA answer status per room, consumed in order
	// (OK answered, BY busy, NR no response); "OK" when empty.
	Answers map[hotel.Room][]string
	Now     func() time.Time // default time.Now
	Loc     *time.Location   // default time.Local
}

// DefaultRecords is what a typical FIAS PBX asks for.
var DefaultRecords = map[string]string{
	"GI": "RNG#GNGLGVSF",
	"GO": "RNG#SF",
	"GC": "RNROG#GNGL",
	"RE": "RNCSDNMLRS",
	"WR": "RNDATI",
	"WC": "RNDATI",
	"WA": "RNDATIAS",
	"PS": "RNP#DATIDDDUMPTACTPT",
	"PA": "RNASP#DATI",
}

// Guest is a checked-in room in the PBX's database.
type Guest struct {
	Room, Reservation, Name, Language string
	COS                               string
	DND, MWL                          bool
}

// Rung is one wake-up call the PBX made.
type Rung struct {
	Room   hotel.Room
	At     time.Time
	Answer string // AS code sent in WA
}

type db struct {
	guests  map[hotel.Room]*Guest
	wakeups map[string]hotel.Wakeup // key room|DA|TI
}

func newDB() *db {
	return &db{guests: map[hotel.Room]*Guest{}, wakeups: map[string]hotel.Wakeup{}}
}

// PBX is the simulated vendor system. Methods are safe for concurrent use.
type PBX struct {
	cfg Config

	wmu sync.Mutex // one writer at a time
	rw  io.ReadWriteCloser

	mu         sync.Mutex
	db         *db
	swap       *db // being built between DS and DE
	linkUp     bool
	ended      bool // EndLink: deaf until StartLink
	received   []hotelink.Record
	answers    map[hotel.Room][]string
	rung       []Rung
	nakNext    int
	lastAnswer byte
	changed    chan struct{}
	resyncs    int
}

// New returns a PBX with an empty database.
func New(cfg Config) *PBX {
	if cfg.Records == nil {
		cfg.Records = DefaultRecords
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Loc == nil {
		cfg.Loc = time.Local
	}
	ans := map[hotel.Room][]string{}
	for k, v := range cfg.Answers {
		ans[k] = slices.Clone(v)
	}
	return &PBX{cfg: cfg, db: newDB(), answers: ans, changed: make(chan struct{}), lastAnswer: hotelink.ACK}
}

// Dial connects to the gateway over TCP and serves the link until the
// connection ends or ctx does.
func (p *PBX) Dial(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("sim fias: %w", err)
	}
	return p.Serve(ctx, c)
}

// Serve runs the vendor side on rw: it sends LS and then handles what the
// gateway sends until rw fails or ctx ends.
func (p *PBX) Serve(ctx context.Context, rw io.ReadWriteCloser) error {
	p.wmu.Lock()
	p.rw = rw
	p.wmu.Unlock()
	stop := context.AfterFunc(ctx, func() { rw.Close() })
	defer stop()
	defer func() {
		p.mu.Lock()
		p.linkUp = false
		p.swap = nil
		p.notify()
		p.mu.Unlock()
		rw.Close()
	}()
	if err := p.send(p.linkRecord("LS")); err != nil {
		return err
	}
	fr := hotelink.NewFramer(p.cfg.LRC)
	buf := make([]byte, 4096)
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
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("sim fias: read: %w", err)
		}
	}
}

func (p *PBX) handle(ev hotelink.Event) error {
	p.mu.Lock()
	ended := p.ended
	p.mu.Unlock()
	if ended {
		return nil // the interface is stopped: nothing is read, nothing acknowledged
	}
	switch ev.Kind {
	case hotelink.EvENQ:
		p.mu.Lock()
		a := p.lastAnswer
		p.mu.Unlock()
		if p.cfg.AckNAK {
			return p.writeRaw([]byte{a})
		}
		return nil
	case hotelink.EvACK, hotelink.EvNAK, hotelink.EvGarbage:
		return nil
	case hotelink.EvBadLRC:
		if p.cfg.AckNAK {
			return p.answer(hotelink.NAK)
		}
		return nil
	}
	if p.cfg.AckNAK {
		p.mu.Lock()
		nak := p.nakNext > 0
		if nak {
			p.nakNext--
		}
		p.mu.Unlock()
		if nak {
			return p.answer(hotelink.NAK) // the frame is "lost": not processed
		}
		if err := p.answer(hotelink.ACK); err != nil {
			return err
		}
	}
	rec, err := hotelink.ParseRecord(ev.Data)
	if err != nil {
		return nil
	}
	return p.apply(rec)
}

func (p *PBX) answer(c byte) error {
	p.mu.Lock()
	p.lastAnswer = c
	p.mu.Unlock()
	return p.writeRaw([]byte{c})
}

func (p *PBX) apply(r hotelink.Record) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.notify()
	p.received = append(p.received, r)
	get := func(id string) string { v, _ := r.Get(id); return v }
	room := hotel.Room(get("RN"))
	target := p.db
	if p.swap != nil {
		target = p.swap
	}
	switch r.Type {
	case "LS":
		if !p.cfg.GatewayDescribes {
			out := []hotelink.Record{p.linkRecord("LD")}
			out[0].Add("V#", "1.01")
			out[0].Add("IF", "PB")
			for _, id := range slices.Sorted(maps.Keys(p.cfg.Records)) {
				lr := hotelink.Record{Type: "LR"}
				lr.Add("RI", id)
				lr.Add("FL", p.cfg.Records[id])
				out = append(out, lr)
			}
			out = append(out, p.linkRecord("LA"))
			return p.sendLocked(out...)
		}
	case "LA":
		if !p.linkUp {
			p.linkUp = true
			if p.cfg.GatewayDescribes {
				return p.sendLocked(p.linkRecord("LA"))
			}
		}
	case "LE":
		p.linkUp = false
	case "DS":
		// FIAS database swap: what arrives until DE replaces the database.
		p.swap = newDB()
	case "DE":
		if p.swap != nil {
			p.db, p.swap = p.swap, nil
			p.resyncs++
		}
	case "GI":
		target.guests[room] = &Guest{Room: string(room), Reservation: get("G#"), Name: get("GN"), Language: get("GL")}
	case "GO":
		delete(target.guests, room)
		for k, w := range target.wakeups {
			if w.Room == room {
				delete(target.wakeups, k)
			}
		}
	case "GC":
		g := target.guests[room]
		if from := hotel.Room(get("RO")); from != "" {
			g = target.guests[from]
			delete(target.guests, from)
		}
		if g == nil {
			g = &Guest{}
		}
		g.Room = string(room)
		if v := get("GN"); v != "" {
			g.Name = v
		}
		target.guests[room] = g
	case "RE":
		g := target.guests[room]
		if g == nil {
			g = &Guest{Room: string(room)}
			target.guests[room] = g
		}
		if v, ok := r.Get("CS"); ok {
			g.COS = v
		}
		if v, ok := r.Get("DN"); ok {
			g.DND = v == "Y"
		}
		if v, ok := r.Get("ML"); ok {
			g.MWL = v == "Y"
		}
	case "WR", "WC":
		at, err := time.ParseInLocation("060102150405", get("DA")+get("TI"), p.cfg.Loc)
		if err != nil {
			return nil
		}
		k := string(room) + "|" + get("DA") + "|" + get("TI")
		if r.Type == "WR" {
			target.wakeups[k] = hotel.Wakeup{Room: room, At: at} // same key: no duplicate
		} else {
			delete(target.wakeups, k)
		}
	}
	return nil
}

// notify wakes WaitFor callers; p.mu must be held.
func (p *PBX) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *PBX) linkRecord(typ string) hotelink.Record {
	r := hotelink.Record{Type: typ}
	now := p.cfg.Now().In(p.cfg.Loc)
	r.Add("DA", now.Format("060102"))
	r.Add("TI", now.Format("150405"))
	return r
}

func (p *PBX) send(recs ...hotelink.Record) error {
	var b []byte
	for _, r := range recs {
		b = hotelink.AppendFrame(b, r.AppendTo(nil), p.cfg.LRC)
	}
	return p.writeRaw(b)
}

// sendLocked sends from inside apply (p.mu held; the writer lock is separate).
func (p *PBX) sendLocked(recs ...hotelink.Record) error { return p.send(recs...) }

func (p *PBX) writeRaw(b []byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if p.rw == nil {
		return errors.New("sim fias: not connected")
	}
	_, err := p.rw.Write(b)
	return err
}

// Send sends records to the gateway as they are.
func (p *PBX) Send(recs ...hotelink.Record) error { return p.send(recs...) }

// SendRaw writes bytes as they are (garbage, a broken frame).
func (p *PBX) SendRaw(b []byte) error { return p.writeRaw(b) }

// CutMidRecord writes the first half of rec's frame and closes the
// connection, as a PBX reboot in the middle of a record does.
func (p *PBX) CutMidRecord(rec hotelink.Record) error {
	f := hotelink.AppendFrame(nil, rec.AppendTo(nil), p.cfg.LRC)
	if err := p.writeRaw(f[:len(f)/2]); err != nil {
		return err
	}
	return p.Close()
}

// Close drops the connection.
func (p *PBX) Close() error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if p.rw == nil {
		return nil
	}
	return p.rw.Close()
}

// NAKNext makes the PBX answer NAK to the next n frames (ack mode).
func (p *PBX) NAKNext(n int) {
	p.mu.Lock()
	p.nakNext = n
	p.mu.Unlock()
}

// EndLink sends LE (FIAS "Link End") and stops the PBX's interface while
// its line or connection stays: until StartLink it neither reads nor
// acknowledges what the gateway sends, as a PBX whose hotel interface is
// being restarted.
func (p *PBX) EndLink() error {
	if err := p.send(p.linkRecord("LE")); err != nil {
		return err
	}
	p.mu.Lock()
	p.ended, p.linkUp, p.swap = true, false, nil
	p.notify()
	p.mu.Unlock()
	return nil
}

// StartLink starts the interface again after EndLink: it sends LS (FIAS
// "Link Start") and waits for the gateway's answer, as at a connection.
func (p *PBX) StartLink() error {
	p.mu.Lock()
	p.ended = false
	p.notify()
	p.mu.Unlock()
	return p.send(p.linkRecord("LS"))
}

// RequestResync sends DR (FIAS "Database Resync Request").
func (p *PBX) RequestResync() error { return p.send(p.linkRecord("DR")) }

// RoomStatus sends a maid status dialed from the room phone (RE RS).
func (p *PBX) RoomStatus(room hotel.Room, code int) error {
	r := hotelink.Record{Type: "RE"}
	r.Add("RN", string(room))
	r.Add("RS", fmt.Sprint(code))
	return p.send(r)
}

// Posting is a costed call the PBX posts (PS).
type Posting struct {
	Number   string
	Room     hotel.Room
	At       time.Time
	Dialed   string
	Duration time.Duration
	Amount   int64
	CallType string
}

// Post sends a PS record.
func (p *PBX) Post(ps Posting) error {
	r := hotelink.Record{Type: "PS"}
	r.Add("RN", string(ps.Room))
	r.Add("PT", "C")
	r.Add("TA", fmt.Sprint(ps.Amount))
	at := ps.At.In(p.cfg.Loc)
	r.Add("DA", at.Format("060102"))
	r.Add("TI", at.Format("150405"))
	r.Add("P#", ps.Number)
	r.Add("DD", ps.Dialed)
	d := int(ps.Duration / time.Second)
	r.Add("DU", fmt.Sprintf("%02d%02d%02d", d/3600, d/60%60, d%60))
	r.Add("CT", ps.CallType)
	return p.send(r)
}

// Ring places every stored wake-up due at now: it answers WA with the
// next scripted answer status of the room and forgets the wake-up.
func (p *PBX) Ring(now time.Time) ([]Rung, error) {
	p.mu.Lock()
	var due []string
	for k, w := range p.db.wakeups {
		if !w.At.After(now) {
			due = append(due, k)
		}
	}
	sort.Strings(due)
	var out []Rung
	var recs []hotelink.Record
	for _, k := range due {
		w := p.db.wakeups[k]
		delete(p.db.wakeups, k)
		as := "OK"
		if q := p.answers[w.Room]; len(q) > 0 {
			as, p.answers[w.Room] = q[0], q[1:]
		}
		r := hotelink.Record{Type: "WA"}
		r.Add("RN", string(w.Room))
		at := w.At.In(p.cfg.Loc)
		r.Add("DA", at.Format("060102"))
		r.Add("TI", at.Format("150405"))
		r.Add("AS", as)
		recs = append(recs, r)
		out = append(out, Rung{Room: w.Room, At: w.At, Answer: as})
	}
	p.rung = append(p.rung, out...)
	p.notify()
	p.mu.Unlock()
	if len(recs) == 0 {
		return nil, nil
	}
	return out, p.send(recs...)
}

// RunClock rings due wake-ups every tick until ctx ends (for `sim pbx`).
func (p *PBX) RunClock(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = p.Ring(p.cfg.Now())
		}
	}
}

// Wakeups lists the stored wake-ups by room and time.
func (p *PBX) Wakeups() []hotel.Wakeup {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Collect(maps.Values(p.db.wakeups))
	sort.Slice(out, func(i, j int) bool {
		if out[i].Room != out[j].Room {
			return out[i].Room < out[j].Room
		}
		return out[i].At.Before(out[j].At)
	})
	return out
}

// Guest returns the PBX's record of a room.
func (p *PBX) Guest(room hotel.Room) (Guest, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g, ok := p.db.guests[room]
	if !ok {
		return Guest{}, false
	}
	return *g, true
}

// Received lists every record the PBX received, in order.
func (p *PBX) Received() []hotelink.Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.received)
}

// Count counts received records of a type.
func (p *PBX) Count(typ string) int {
	n := 0
	for _, r := range p.Received() {
		if r.Type == typ {
			n++
		}
	}
	return n
}

// Resyncs counts completed database swaps (DS..DE).
func (p *PBX) Resyncs() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resyncs
}

// LinkUp reports whether the link start completed.
func (p *PBX) LinkUp() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.linkUp
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
			return fmt.Errorf("sim fias: condition not met: %w", ctx.Err())
		}
	}
}
