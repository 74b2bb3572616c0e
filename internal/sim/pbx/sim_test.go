package pbxsim

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/drivers/pbx"
	"switchboard/internal/events"
	"switchboard/internal/profile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var site = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// simulated lists the embedded profiles that have a simulate section.
func simulated(t testing.TB) []*profile.PBX {
	t.Helper()
	all, err := profile.All()
	if err != nil {
		t.Fatal(err)
	}
	var out []*profile.PBX
	for _, p := range all {
		if p.Doc.Simulate != nil {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		t.Fatal("no profile has a simulate section")
	}
	return out
}

func newSim(t testing.TB, p *profile.PBX, mod func(*Options)) *Simulator {
	t.Helper()
	o := Options{Profile: p, Seed: 42, Start: time.Date(2024, 6, 15, 7, 55, 0, 0, site), Rate: 0.05, Count: 2000}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// layoutOf is the layout the parser picks for a frame (the parser's own rule:
// first layout whose match holds, or that has none).
func layoutOf(p *profile.PBX, frame []byte) string {
	s := strings.Trim(string(frame), "\r\n\f\x00")
	if m := p.Framing.HeaderThrough; m != "" {
		if i := strings.LastIndex(s, m); i >= 0 {
			s = strings.TrimLeft(s[i+len(m):], "\r\n\f\x00")
		}
	}
	s = strings.TrimRight(s, " \t\r\n\f\x00")
	for _, l := range p.Layouts {
		if l.Match == nil {
			return l.Name
		}
		if ok, _ := l.Match.MatchValue(s, nil); ok {
			return l.Name
		}
	}
	return ""
}

type roundTrip struct {
	t       *testing.T
	p       *profile.PBX
	fr      *pbx.Framer
	ps      *pbx.Parser
	records int
	bad     int // frames that did not parse
	skipped int
}

// feed pushes one call's bytes and checks that exactly one record comes out
// and that it is the call's truth.
func (rt *roundTrip) feed(c *Call, b []byte) {
	rt.t.Helper()
	rt.fr.Push(b)
	var got []events.CallRecord
	for {
		f, ok := rt.fr.Next()
		if !ok {
			break
		}
		if f.Junk != "" {
			rt.bad++
			continue
		}
		rec, err := rt.ps.Parse(f.Data, c.End().Add(time.Second))
		if errors.Is(err, pbx.ErrSkip) {
			rt.skipped++
			continue
		}
		if err != nil {
			rt.bad++
			continue
		}
		if want := rt.p.Doc.Simulate.Layout; want != "" {
			if l := layoutOf(rt.p, f.Data); l != want {
				rt.t.Errorf("call %d: %q parsed as layout %s, simulate.layout says %s", c.Seq, f.Data, l, want)
			}
		}
		got = append(got, rec)
	}
	if len(got) != 1 {
		rt.t.Fatalf("call %d (%s): %d records from %q", c.Seq, c.Kind, len(got), b)
	}
	rt.records++
	if d := c.Check(got[0]); len(d) > 0 {
		rt.t.Errorf("call %d %s/%s %q:\n  %s", c.Seq, c.Kind, c.Category, got[0].Raw, strings.Join(d, "\n  "))
	}
}

func TestRoundTrip(t *testing.T) {
	for _, p := range simulated(t) {
		t.Run(p.ID, func(t *testing.T) {
			s := newSim(t, p, nil)
			rt := &roundTrip{t: t, p: p, fr: pbx.NewFramer(p.Framing), ps: pbx.NewParser(p, site)}
			kinds := map[Kind]int{}
			cats := map[Category]int{}
			for {
				c, b, err := s.Next()
				if err != nil {
					break
				}
				kinds[c.Kind]++
				cats[c.Category]++
				rt.feed(c, b)
				if t.Failed() && rt.records > 50 {
					t.FailNow()
				}
			}
			if rt.records != 2000 || rt.bad != 0 {
				t.Errorf("%d records, %d bad frames; want 2000 and 0", rt.records, rt.bad)
			}
			for _, k := range callKinds {
				if s.template(k, "") != nil && kinds[k] == 0 {
					t.Errorf("no %s call in 2000", k)
				}
			}
			t.Logf("kinds %v categories %v skipped %d", kinds, cats, rt.skipped)
		})
	}
}

// TestFaults: garbage and noise give frames that do not parse, and every
// record after them still parses to its truth.
func TestFaults(t *testing.T) {
	for _, p := range simulated(t) {
		t.Run(p.ID, func(t *testing.T) {
			s := newSim(t, p, func(o *Options) { o.Garbage, o.Noise, o.Count = 0.2, 0.2, 1000 })
			rt := &roundTrip{t: t, p: p, fr: pbx.NewFramer(p.Framing), ps: pbx.NewParser(p, site)}
			for {
				c, b, err := s.Next()
				if err != nil {
					break
				}
				rt.feed(c, b)
				if t.Failed() {
					t.FailNow()
				}
			}
			if rt.bad < 300 {
				t.Errorf("%d bad frames from 20%% garbage + 20%% noise over 1000 records", rt.bad)
			}
		})
	}
}

// TestFaultsKeepCalls: injecting faults does not change the calls.
func TestFaultsKeepCalls(t *testing.T) {
	p := simulated(t)[0]
	a := newSim(t, p, func(o *Options) { o.Count = 200 })
	b := newSim(t, p, func(o *Options) { o.Count = 200; o.Garbage, o.Noise = 0.5, 0.5 })
	for {
		ca, _, ea := a.Next()
		cb, _, eb := b.Next()
		if ea != nil || eb != nil {
			break
		}
		if ca.Truth.Raw != cb.Truth.Raw || ca.Seq != cb.Seq || !ca.Truth.Start.Equal(cb.Truth.Start) {
			t.Fatalf("call differs with faults: %+v vs %+v", ca, cb)
		}
	}
}

// TestGolden pins the first 20 records each profile prints for seed 42.
func TestGolden(t *testing.T) {
	for _, p := range simulated(t) {
		t.Run(p.ID, func(t *testing.T) {
			s := newSim(t, p, nil)
			// One record (with what precedes it) a line, control bytes
			// escaped, so the golden file is plain text.
			var g strings.Builder
			for i := 0; i < 20; i++ {
				_, b, err := s.Next()
				if err != nil {
					t.Fatal(err)
				}
				g.WriteString(escape(b))
				g.WriteByte('\n')
			}
			path := filepath.Join("testdata", p.ID+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(g.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if g.String() != string(want) {
				t.Errorf("output differs from %s (go test -update to accept):\n%s", path, g.String())
			}
		})
	}
}

// escape shows control and non-ASCII bytes as \r, \n, \f, \xNN.
func escape(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\f':
			sb.WriteString(`\f`)
		case c == '\\':
			sb.WriteString(`\\`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&sb, `\x%02x`, c)
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}
