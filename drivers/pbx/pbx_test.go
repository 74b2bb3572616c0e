package pbx

import (
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/internal/profile"
)

func mustProfile(tb testing.TB, id string) *profile.PBX {
	tb.Helper()
	p, err := profile.Lookup(id)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func frames(f *Framer) []Frame {
	var out []Frame
	for {
		fr, ok := f.Next()
		if !ok {
			return out
		}
		out = append(out, fr)
	}
}

func TestFramerLineSplitAcrossReads(t *testing.T) {
	f := NewFramer(profile.Framing{Type: profile.FrameLine, EOL: "any", MaxLength: 64})
	for _, chunk := range []string{"ab", "c\r", "\nde", "f\n\n", "gh\r", "ij"} {
		f.Push([]byte(chunk))
	}
	f.Flush()
	got := frames(f)
	want := []struct {
		s    string
		line int
	}{{"abc", 1}, {"def", 2}, {"gh", 4}, {"ij", 5}}
	if len(got) != len(want) {
		t.Fatalf("got %d frames %v", len(got), got)
	}
	for i, w := range want {
		if string(got[i].Data) != w.s || got[i].Line != w.line {
			t.Errorf("frame %d = %q line %d, want %q line %d", i, got[i].Data, got[i].Line, w.s, w.line)
		}
	}
}

func TestFramerMaxLength(t *testing.T) {
	f := NewFramer(profile.Framing{Type: profile.FrameLine, EOL: "lf", MaxLength: 16})
	f.Push([]byte(strings.Repeat("x", 1000)))
	if f.Buffered() > 16 {
		t.Fatalf("buffered %d bytes past max_length", f.Buffered())
	}
	f.Push([]byte("\nok\n"))
	got := frames(f)
	// The record that never ended is kept (its first max_length bytes) as junk.
	if len(got) != 2 || got[0].Junk != "overlong" || string(got[0].Data) != strings.Repeat("x", 16) ||
		string(got[1].Data) != "ok" || got[1].Junk != "" || f.Dropped() != 1 {
		t.Fatalf("got %v, dropped %d", got, f.Dropped())
	}
}

func TestFramerSTXETX(t *testing.T) {
	f := NewFramer(profile.Framing{Type: profile.FrameSTXETX, MaxLength: 32})
	in := "noise\x02one\x03\x16\x02tw" + "o\x03\x02broken\x02three\x03\x02" + strings.Repeat("y", 100) + "\x03\x02four\x03\x02partial"
	for i := 0; i < len(in); i += 3 {
		f.Push([]byte(in[i:min(i+3, len(in))]))
	}
	f.Flush()
	var got []string
	for _, fr := range frames(f) {
		s := string(fr.Data)
		if fr.Junk != "" {
			s = fr.Junk + ":" + s[:min(len(s), 6)]
		}
		got = append(got, s)
	}
	// Records come out; everything else is kept as junk, marked why.
	if strings.Join(got, ",") != "outside-frame:noise,one,two,interrupted:broken,three,overlong:yyyyyy,four,incomplete:partia" || f.Dropped() != 1 {
		t.Fatalf("got %q dropped %d", got, f.Dropped())
	}
}

func TestFramerNUL(t *testing.T) {
	f := NewFramer(profile.Framing{Type: profile.FrameNUL, MaxLength: 64})
	f.Push([]byte("\r\nrec1\r\n\x00\x00\r\nre"))
	f.Push([]byte("c2\x00tail"))
	f.Flush()
	got := frames(f)
	if len(got) != 3 || string(got[0].Data) != "\r\nrec1\r\n" || string(got[1].Data) != "\r\nrec2" || string(got[2].Data) != "tail" {
		t.Fatalf("got %v", got)
	}
}

// twoLine is a profile whose records take two lines: "A..." then " ...".
func twoLine(t *testing.T) *profile.PBX {
	t.Helper()
	reg, err := profile.LoadBytes([]byte(`
id: two-line
kind: pbx
framing: {type: line, continuation: {first: '^A', next: '^ ', separator: "|"}}
layouts:
  - {name: x, format: regex, pattern: '^(?P<d>\S+)', fields: [{name: d, group: d, to: start, format: YYYYMMDD}]}
examples: []
`))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := reg.Lookup("two-line")
	return p
}

func TestFramerContinuation(t *testing.T) {
	f := NewFramer(twoLine(t).Framing)
	f.Push([]byte("A1\n second\nB2\nA3\nA4\n next\nA5"))
	f.Flush()
	var got []string
	for _, fr := range frames(f) {
		got = append(got, string(fr.Data))
	}
	if strings.Join(got, ",") != "A1| second,B2,A3,A4| next,A5" {
		t.Fatalf("got %v", got)
	}
}

func TestParseErrors(t *testing.T) {
	recv := time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		profile, raw, want string
	}{
		{"panasonic-kx-tda", "\x00\xff\xfe garbage \x01\x02", "truncated record|no layout"},
		{"panasonic-kx-tda", "01/02/02 10:15AM 1200  01 1234567890123456               00:0x'05", `field duration "00:0x'05": not a hh:mm'ss duration`},
		{"panasonic-kx-tda", "01/02/02 10:1", "truncated record"},
		{"panasonic-kx-tda", "2008/06/28 09:28:41,00:00:00,9,8004206,I,4324,4324,,0,1000014155,0,E4324,Joe Bloggs,T9161,LINE 5.1,0,0", `field date "2008/06/": not a MM/DD/YY date`},
		{"avaya-ipoffice", "01/02/02 10:07AM 1200  01 <I>                       0'05 00:01'05 9876543210", "truncated record: 1 fields"},
		{"asterisk-csv", `"","101","0312345678,"from-internal"`, "unterminated quoted field|text after closing quote"},
		{"nec-neax", "garbage", "not a NEC SMDR record"},
		{"mitel-mivb", " 02/30 13:14:13  0000:00:21 9999         9999999999           00000A", "does not exist"},
		{"asterisk-csv", `"","1","2","from-internal","x","c","d","Dial","","2024-03-01 10:00:00","","2024-03-01 09:00:00",5,5,"ANSWERED","X"`, "before it starts"},
	}
	for _, c := range cases {
		_, err := NewParser(mustProfile(t, c.profile), time.UTC).Parse([]byte(c.raw), recv)
		if err == nil || errors.Is(err, ErrSkip) {
			t.Errorf("%s %q: err = %v, want a parse error", c.profile, c.raw, err)
			continue
		}
		ok := false
		for _, w := range strings.Split(c.want, "|") {
			ok = ok || strings.Contains(err.Error(), w)
		}
		if !ok {
			t.Errorf("%s %q: err = %q, want %q", c.profile, c.raw, err, c.want)
		}
	}
	for _, raw := range []string{"", "\r\n", "\f", "   ", "--------------------"} {
		if _, err := NewParser(mustProfile(t, "panasonic-kx-tda"), time.UTC).Parse([]byte(raw), recv); !errors.Is(err, ErrSkip) {
			t.Errorf("%q: err = %v, want ErrSkip", raw, err)
		}
	}
}

// TestYearInference: a date without a year is the latest one not after the
// reference (a day of clock skew allowed), so a January reading of December
// calls lands in the previous year.
func TestYearInference(t *testing.T) {
	p := NewParser(mustProfile(t, "mitel-mivb"), time.UTC)
	raw := []byte(" 12/31 23:59:00  0000:00:21 9999         9999999999           00000A")
	rec, err := p.Parse(raw, time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC))
	if err != nil || rec.Start.Year() != 2024 {
		t.Fatalf("start %v err %v, want 2024", rec.Start, err)
	}
	rec, err = p.Parse(raw, time.Date(2024, 12, 31, 23, 30, 0, 0, time.UTC))
	if err != nil || rec.Start.Year() != 2024 {
		t.Fatalf("start %v err %v, want 2024 (skew)", rec.Start, err)
	}
	leap := []byte(" 02/29 10:00:00  0000:00:21 9999         9999999999           00000A")
	rec, err = p.Parse(leap, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || rec.Start.Year() != 2024 {
		t.Fatalf("leap day: start %v err %v, want 2024", rec.Start, err)
	}
}

func TestSiteTimeZone(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip(err)
	}
	rec, err := NewParser(mustProfile(t, "shenou-uso"), loc).Parse(
		[]byte("T20050920083428 000324 8012            8012    02134567890             02 0.50    "), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.Start.Format(time.RFC3339); got != "2005-09-20T08:34:28+08:00" {
		t.Fatalf("start %s", got)
	}
}
