// Package shenou simulates the class-of-service port of a Shenou (申瓯)
// USO/SOC PBX: it answers each `Q10*P*XXXX#` query (set extension XXXX to
// level P) with `R10*P*XXXX` and keeps every room's level. Nothing else of
// a hotel link exists on this PBX. Class reports a room's level as the
// SMDR simulator's class of service, so a simulated PBX can bar the calls
// the gateway barred. Tests use it over a pty; so does `switchboard sim
// shenou`.
package shenou

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
	pbxsim "switchboard/internal/sim/pbx"
)

// Config describes the simulated PBX.
type Config struct {
	// Profile gives the levels (nil: the embedded shenou profile). A query
	// with a level the profile does not name is not answered.
	Profile *hotelink.Profile
	// Default is the class of rooms never set (default international:
	// extensions are open until the front desk bars them).
	Default hotel.COS
	// EOL follows each answer (default "\r\n").
	EOL string
}

// Query is one query the PBX received, with whether it answered it.
type Query struct {
	Raw      string
	Level    string
	Room     hotel.Room
	Answered bool
}

// maxQuery bounds what the PBX buffers while waiting for a query's '#'.
const maxQuery = 64

// PBX is the simulated Shenou. Methods are safe for concurrent use.
type PBX struct {
	cfg    Config
	levels map[string]hotel.COS // level digit -> the widest class with that level

	wmu sync.Mutex
	rw  io.ReadWriteCloser

	mu       sync.Mutex
	rooms    map[hotel.Room]string // room -> level
	received []Query
	deafNext int
	changed  chan struct{}
}

// New returns a PBX whose rooms are all at the Default class.
func New(cfg Config) (*PBX, error) {
	if cfg.Profile == nil {
		p, err := hotelink.LoadProfile("shenou")
		if err != nil {
			return nil, fmt.Errorf("sim shenou: %w", err)
		}
		cfg.Profile = p
	}
	if cfg.Profile.Protocol != hotelink.ProtoShenou {
		return nil, fmt.Errorf("sim shenou: profile %s speaks %s, not shenou", cfg.Profile.ID, cfg.Profile.Protocol)
	}
	if cfg.Default == "" {
		cfg.Default = hotel.COSInternational
	}
	if cfg.EOL == "" {
		cfg.EOL = "\r\n"
	}
	levels := map[string]hotel.COS{}
	// From the most to the least barred: a level two classes share means the wider.
	for _, c := range []hotel.COS{hotel.COSBarred, hotel.COSLocal, hotel.COSNational, hotel.COSInternational} {
		if v, ok := cfg.Profile.COS[c]; ok {
			levels[v] = c
		}
	}
	return &PBX{cfg: cfg, levels: levels, rooms: map[hotel.Room]string{}, changed: make(chan struct{})}, nil
}

// Serve plays the PBX on rw until rw fails or ctx ends; rw is closed then.
func (p *PBX) Serve(ctx context.Context, rw io.ReadWriteCloser) error {
	p.wmu.Lock()
	p.rw = rw
	p.wmu.Unlock()
	stop := context.AfterFunc(ctx, func() { rw.Close() })
	defer stop()
	defer rw.Close()
	var pending []byte
	buf := make([]byte, 256)
	for {
		n, err := rw.Read(buf)
		pending = append(pending, buf[:n]...)
		for {
			q, rest, ok := nextQuery(pending)
			pending = rest
			if !ok {
				break
			}
			if werr := p.handle(q); werr != nil {
				return werr
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) || errors.Is(err, io.ErrClosedPipe) {
				return nil
			}
			return fmt.Errorf("sim shenou: read: %w", err)
		}
	}
}

// nextQuery cuts the next `Q10*...#` out of b; bytes before it are line
// noise and dropped, an unfinished query is kept.
func nextQuery(b []byte) (q, rest []byte, ok bool) {
	i := bytes.Index(b, []byte("Q10*"))
	if i < 0 {
		// Keep a tail that may be the start of "Q10*".
		if k := bytes.LastIndexByte(b, 'Q'); k >= 0 && len(b)-k < 4 {
			return nil, b[k:], false
		}
		return nil, b[:0], false
	}
	b = b[i:]
	j := bytes.IndexByte(b, '#')
	if j < 0 {
		if len(b) > maxQuery {
			return nil, b[1:], false // no '#' in sight: not a query
		}
		return nil, b, false
	}
	return b[:j+1], b[j+1:], true
}

func (p *PBX) handle(raw []byte) error {
	q := Query{Raw: string(raw)}
	// Q10*P*XXXX#
	parts := bytes.Split(bytes.TrimSuffix(raw, []byte("#")), []byte("*"))
	if len(parts) == 3 {
		q.Level, q.Room = string(parts[1]), hotel.Room(parts[2])
	}
	_, known := p.levels[q.Level]
	digits := q.Room != "" && len(q.Room) <= 8 && len(bytes.Trim([]byte(q.Room), "0123456789")) == 0
	p.mu.Lock()
	switch {
	case p.deafNext > 0:
		p.deafNext--
	case known && digits:
		q.Answered = true
		p.rooms[q.Room] = q.Level
	}
	p.received = append(p.received, q)
	p.notify()
	p.mu.Unlock()
	if !q.Answered {
		return nil // the PBX ignores what it does not take; the gateway times out
	}
	return p.write([]byte("R10*" + q.Level + "*" + string(q.Room) + p.cfg.EOL))
}

func (p *PBX) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *PBX) write(b []byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if p.rw == nil {
		return errors.New("sim shenou: not connected")
	}
	_, err := p.rw.Write(b)
	return err
}

// IgnoreNext leaves the next n queries unanswered and not applied.
func (p *PBX) IgnoreNext(n int) {
	p.mu.Lock()
	p.deafNext = n
	p.mu.Unlock()
}

// Level is a room's level digit ("" when never set).
func (p *PBX) Level(room hotel.Room) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rooms[room]
}

// COS is a room's class of service: its level's class, or Default.
func (p *PBX) COS(room hotel.Room) hotel.COS {
	p.mu.Lock()
	lv, ok := p.rooms[room]
	p.mu.Unlock()
	if !ok {
		return p.cfg.Default
	}
	return p.levels[lv]
}

// Class is a room's class as the SMDR simulator bars calls
// (pbxsim.Options.COS): barred is internal only.
func (p *PBX) Class(room string) pbxsim.COS {
	c := p.COS(hotel.Room(room))
	if c == hotel.COSBarred {
		return pbxsim.COSInternal
	}
	return pbxsim.COS(c)
}

// Received lists every query the PBX received, in order.
func (p *PBX) Received() []Query {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.received)
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
			return fmt.Errorf("sim shenou: condition not met: %w", ctx.Err())
		}
	}
}
