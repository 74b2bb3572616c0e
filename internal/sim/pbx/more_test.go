package pbxsim

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/drivers/pbx"
	"switchboard/internal/profile"
)

func TestTemplateErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"{room}", `unknown placeholder "room"`},
		{"{start}", "needs a format"},
		{"{ext:hh}", "only times and durations"},
		{"{ring:MM/DD}", "date units"},
		{"{end:seconds}", "is a duration format"},
		{"{ext|x}", "not a number of columns"},
		{"{ext", "unclosed {"},
		{"ext}", "unmatched }"},
		{"{start:YYY}", "year must be"},
		{"10{len:2}{dialed}", "without its {/len}"},
		{"{dialed}{/len}", "pair up and do not nest"},
		{"{len:2}{len:2}{ext}{/len}{/len}", "pair up and do not nest"},
		{"{len:5}{ext}{/len}", "1 to 4 digits"},
		{"{len:2+x}{ext}{/len}", "bias is 0 to 9"},
	}
	for _, c := range cases {
		if _, err := compileTemplate(c.src, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
	tp, err := compileTemplate("{{{ext|-5}}}{ring:m'ss|05}{_did}", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Simulator{loc: time.UTC, sim: &profile.SimulateDoc{}}
	got := string(s.render(nil, tp, &Call{Ext: "101", Ring: 75 * time.Second, DID: "6588"}, time.Time{}, nil))
	if got != "{101  }01'156588" {
		t.Errorf("render = %q", got)
	}
	if _, ok := tp.uses["did"]; ok {
		t.Error("{_did} must not be part of the truth")
	}
}

// TestCountedGroups: {len:W[+B]}...{/len} prints the group's length before
// it (NEC flexible items), and the placeholders inside keep their truth.
func TestCountedGroups(t *testing.T) {
	tp, err := compileTemplate("KK02{len:2}0001{ext|-6}{/len}10{len:2+1}{dialed}{/len}07{len:2+1}{account}{/len}13{len:1}{dialed}{/len}", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Simulator{loc: time.UTC, sim: &profile.SimulateDoc{}}
	var texts [len(truthNames)]string
	got := string(s.render(nil, tp, &Call{Ext: "1203", Dialed: "0312345678"}, time.Time{}, &texts))
	if want := "KK0210" + "00011203  " + "1011" + "0312345678" + "0701" + "13" + "9" + "0312345678"; got != want {
		t.Errorf("render = %q, want %q", got, want)
	}
	if texts[truthIndex("dialed")] != "0312345678" || texts[truthIndex("ext")] != "1203" {
		t.Errorf("truth texts %q", texts)
	}
}

func TestDurationFormats(t *testing.T) {
	cases := []struct {
		f    string
		d    time.Duration
		want string
	}{
		{"hh:mm:ss", 3723 * time.Second, "01:02:03"},
		{"h:mm:ss", 3723 * time.Second, "1:02:03"},
		{"m'ss", 75 * time.Second, "1'15"},
		{"mm:ss", 2 * time.Hour, "120:00"},
		{"hhhh:mm:ss", 59 * time.Second, "0000:00:59"},
		{"hhmmss", 204 * time.Second, "000324"},
		{"seconds", 127 * time.Second, "127"},
		{"tenths", 750 * time.Second, "12.5"},
	}
	for _, c := range cases {
		f, err := compileTimeFormat(c.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(f.appendDuration(nil, c.d)); got != c.want {
			t.Errorf("%s of %v = %q, want %q", c.f, c.d, got, c.want)
		}
	}
	f, _ := compileTimeFormat("hh:mmAM")
	for h, want := range map[int]string{0: "12:05AM", 9: "09:05AM", 12: "12:05PM", 23: "11:05PM"} {
		if got := string(f.appendTime(nil, time.Date(2024, 1, 1, h, 5, 0, 0, time.UTC))); got != want {
			t.Errorf("hh:mmAM at %d = %q, want %q", h, got, want)
		}
	}
}

// TestChildProfile: a hotel engineer's profile that extends a shipped one
// (here: Panasonic with the date programmed DD/MM/YY) simulates without Go:
// it inherits the templates, and {end:date} follows its own date format.
func TestChildProfile(t *testing.T) {
	dir := t.TempDir()
	child := "id: panasonic-ddmm\nkind: pbx\nextends: panasonic-kx-tda\nformats: {date: DD/MM/YY}\n" +
		"examples: [{raw: \"15/06/24 10:03AM 1200  01 <I>0312345678               0'05 00:01'00\", expect: {end: \"2024-06-15T10:03:00Z\"}}]\n"
	if err := os.WriteFile(filepath.Join(dir, "child.yaml"), []byte(child), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := profile.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Lookup("panasonic-ddmm")
	if err != nil {
		t.Fatal(err)
	}
	s := newSim(t, p, func(o *Options) { o.Count = 500 })
	rt := &roundTrip{t: t, p: p, fr: pbx.NewFramer(p.Framing), ps: pbx.NewParser(p, site)}
	for {
		c, b, err := s.Next()
		if err != nil {
			break
		}
		if c.Seq == 1 && !strings.Contains(string(b), "15/06/24") {
			t.Errorf("date not DD/MM/YY: %q", b)
		}
		rt.feed(c, b)
	}
}

// TestRunReplay: a dropped connection's records come back first on the next
// Run, at most ReplayBuffer of them, flagged Replay.
func TestRunReplay(t *testing.T) {
	p, err := profile.Lookup("avaya-ipoffice")
	if err != nil {
		t.Fatal(err)
	}
	s := newSim(t, p, func(o *Options) { o.Count, o.Rate, o.DropAfter, o.ReplayBuffer = 12, 0, 5, 3 })
	var seen []int64
	var replays int
	on := func(c *Call) {
		seen = append(seen, c.Seq)
		if c.Replay {
			replays++
		}
	}
	var w bytes.Buffer
	if err := s.Run(context.Background(), &w, on); !errors.Is(err, ErrDropped) {
		t.Fatalf("first run: %v", err)
	}
	if len(seen) != 5 {
		t.Fatalf("first run wrote %d records", len(seen))
	}
	if err := s.Run(context.Background(), &w, on); !errors.Is(err, ErrDropped) {
		t.Fatalf("second run: %v", err)
	}
	// Buffer of 3: the last 2 written and the cut one come back.
	if replays != 3 || len(seen) != 5+3+5 {
		t.Fatalf("replays %d, records %d: %v", replays, len(seen), seen)
	}
	if err := s.Run(context.Background(), &w, on); err != nil {
		t.Fatalf("third run: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, &w, Options{Profile: p, Rate: 1}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Run: %v", err)
	}
}

func BenchmarkNext(b *testing.B) {
	for _, p := range simulated(b) {
		b.Run(p.ID, func(b *testing.B) {
			s := newSim(b, p, func(o *Options) { o.Count = 0 })
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				_, rec, err := s.Next()
				if err != nil {
					b.Fatal(err)
				}
				n += len(rec)
			}
			b.SetBytes(int64(n / max(b.N, 1)))
		})
	}
}

// FuzzTemplate: a profile's template text never panics the compiler or the renderer.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"{end:date} {end:hh:mmAM} {ext|-5}", "{ring:m'ss|04}{{x}}", "{_did|-21}", "{start:YYYY}{mark|1}", "10{len:2+1}{dialed}{/len}06{len:2}{start:YYYY}{/len}"} {
		f.Add(s)
	}
	s := &Simulator{loc: time.UTC, sim: &profile.SimulateDoc{Marks: []profile.SimMarkDoc{{FromS: 1, Text: "+"}}}}
	c := &Call{Ext: "101", Start: time.Date(2024, 6, 15, 8, 0, 0, 0, time.UTC), Ring: time.Second, Duration: time.Hour}
	f.Fuzz(func(t *testing.T, src string) {
		tp, err := compileTemplate(src, map[string]string{"date": "MM/DD/YY"})
		if err != nil {
			return
		}
		s.render(nil, tp, c, c.End(), nil)
	})
}
