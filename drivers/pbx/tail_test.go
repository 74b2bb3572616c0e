package pbx

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/internal/profile"
)

// cutAndResume frames data read whole, and framed by a process stopped
// after k bytes whose Tail is pushed into a fresh framer that reads the
// rest: the second must give the same frames (Data and Junk) as the first.
func cutAndResume(fr profile.Framing, data []byte, k int) (whole, resumed []Frame) {
	w := NewFramer(fr)
	w.Push(data)
	w.Flush()
	whole = frames(w)

	a := NewFramer(fr)
	a.Push(data[:k])
	resumed = frames(a)
	b := NewFramer(fr)
	b.Push(a.Tail())
	if got := frames(b); len(got) > 0 {
		// The tail holds no complete frame: it would be journaled twice.
		resumed = append(resumed, Frame{Data: []byte(fmt.Sprintf("tail gave %d frames", len(got))), Junk: "bug"})
	}
	b.Push(data[k:])
	b.Flush()
	return whole, append(resumed, frames(b)...)
}

func sameFrames(a, b []Frame) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].Data, b[i].Data) || a[i].Junk != b[i].Junk {
			return false
		}
	}
	return true
}

func hasOverlong(fs []Frame) bool {
	for _, f := range fs {
		if f.Junk == "overlong" {
			return true
		}
	}
	return false
}

var tailFramings = []profile.Framing{
	{Type: profile.FrameLine, EOL: "any", MaxLength: 64},
	{Type: profile.FrameLine, EOL: "cr", MaxLength: 64},
	{Type: profile.FrameLine, EOL: "lf", MaxLength: 64},
	{Type: profile.FrameLine, EOL: "crlf", MaxLength: 64},
	{Type: profile.FrameNUL, MaxLength: 64},
	{Type: profile.FrameSTXETX, MaxLength: 64},
}

// Cut at every byte of streams that mix records, blank lines, noise and
// unfinished records, in every framing: the resumed framer loses nothing
// and invents nothing.
func TestTailResumesAtEveryByte(t *testing.T) {
	streams := []string{
		"01/02 10:00 101 0312345678 00:01:00\r\n01/02 10:05 102 110 00:00:30\r\n\r\n01/02 10:07 103 8",
		"line one\rline two\nline three\r\n\n\rlast",
		"\r\nrec1\r\n\x00\x00\r\nrec2 with more\x00unfinished",
		"noise\x02one\x03\x16\x02two\x03\x02broken\x02three\x03 \x02part",
	}
	for _, fr := range tailFramings {
		for si, s := range streams {
			for k := 0; k <= len(s); k++ {
				whole, resumed := cutAndResume(fr, []byte(s), k)
				if hasOverlong(whole) {
					continue // see FuzzFramerTail
				}
				if !sameFrames(whole, resumed) {
					t.Errorf("%s/%s stream %d cut at %d:\n whole   %q\n resumed %q", fr.Type, fr.EOL, si, k, show(whole), show(resumed))
				}
			}
		}
	}
}

// A continuation profile holds a first line for its second: the tail
// carries the held line too.
func TestTailKeepsHeldContinuationLine(t *testing.T) {
	p := twoLine(t)
	s := "A1\n second\nB2\nA3\nA4\n next\nA5"
	for k := 0; k <= len(s); k++ {
		whole, resumed := cutAndResume(p.Framing, []byte(s), k)
		if !sameFrames(whole, resumed) {
			t.Errorf("cut at %d: whole %q, resumed %q", k, show(whole), show(resumed))
		}
	}
}

// A record being discarded for its length leaves no tail: its start was
// already reported as overlong junk.
func TestTailOfDiscardedRecordIsEmpty(t *testing.T) {
	f := NewFramer(profile.Framing{Type: profile.FrameLine, EOL: "lf", MaxLength: 8})
	f.Push([]byte("ok\n0123456789abc"))
	if got := f.Tail(); len(got) != 0 {
		t.Fatalf("tail %q", got)
	}
	f.Push([]byte("\npart"))
	if got := string(f.Tail()); got != "part" {
		t.Fatalf("tail %q, want part", got)
	}
}

func show(fs []Frame) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Junk + ":" + string(f.Data)
	}
	return out
}

// FuzzFramerTail: for any stream and any cut, a resumed framer gives the
// frames the whole stream gives, unless a record overran max_length (its
// remainder is discarded; a resumed framer cannot know how much was).
func FuzzFramerTail(f *testing.F) {
	f.Add([]byte("a\r\nb\rc\n"), uint8(1))
	f.Add([]byte("\x02one\x03\x02tw\x02o\x03"), uint8(3))
	f.Add([]byte("\r\nrec\x00\x00x"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		k := int(cut) % (len(data) + 1)
		for _, fr := range tailFramings {
			whole, resumed := cutAndResume(fr, data, k)
			if hasOverlong(whole) || hasOverlong(resumed) {
				continue
			}
			if !sameFrames(whole, resumed) {
				t.Fatalf("%s/%s cut at %d of %q:\n whole   %q\n resumed %q", fr.Type, fr.EOL, k, data, show(whole), show(resumed))
			}
		}
	})
}

// After a resume, the first frame is the kept head and what followed. A
// remainder joins the head; a whole record (the PBX went on, or started
// again at a record) stands alone and the head is reported as cut off, even
// where the layout would read head and record together as a call (Avaya's
// CSV allows missing trailing fields).
func TestResumedHeadSplit(t *testing.T) {
	d := &Driver{parser: NewParser(mustProfile(t, "avaya-ipoffice"), nil)}
	a := "2008/06/28 09:28:41,00:00:00,9,8004206,I,4324,4324,,0,1000014155,0,E4324,Joe Bloggs,T9161,LINE 5.1,0,0"
	b := "2008/06/26 10:27:44,00:00:44,4,4688,O,4207,4207,,1,1000013898,0,E4688,Joe Bloggs,E4207,John Smith,0,0"
	head := []byte(a[:37])
	at := time.Date(2008, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		data string
		want []string
	}{
		{"remainder", a, []string{":" + a}},
		{"next record", a[:37] + b, []string{"cut-off:" + a[:37], ":" + b}},
		{"fragment of something else", a[:37] + "xx,yy", []string{":" + a[:37] + "xx,yy"}},
	} {
		got := show(d.split(Frame{Data: []byte(tc.data)}, head, at))
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
