package pbx

import (
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/profile"
)

// FuzzFramer feeds arbitrary bytes, split at an arbitrary point, to every
// framing: no panic, no frame longer than max_length, bounded buffering.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("a\r\nb\rc\n"), uint8(1))
	f.Add([]byte("\x02one\x03\x02tw\x02o\x03"), uint8(3))
	f.Add([]byte("\r\nrec\x00\x00x"), uint8(2))
	framings := []profile.Framing{
		{Type: profile.FrameLine, EOL: "any", MaxLength: 64},
		{Type: profile.FrameLine, EOL: "cr", MaxLength: 64},
		{Type: profile.FrameLine, EOL: "lf", MaxLength: 64},
		{Type: profile.FrameNUL, MaxLength: 64},
		{Type: profile.FrameSTXETX, MaxLength: 64},
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		for _, fr := range framings {
			fm := NewFramer(fr)
			k := int(cut) % (len(data) + 1)
			fm.Push(data[:k])
			fm.Push(data[k:])
			fm.Flush()
			n := 0
			for {
				x, ok := fm.Next()
				if !ok {
					break
				}
				n++
				if len(x.Data) > fr.MaxLength || len(x.Data) == 0 {
					t.Fatalf("%s: frame of %d bytes", fr.Type, len(x.Data))
				}
			}
			if n > len(data)+1 || fm.Buffered() > fr.MaxLength {
				t.Fatalf("%s: %d frames, %d buffered from %d bytes", fr.Type, n, fm.Buffered(), len(data))
			}
		}
	})
}

// FuzzParse runs every profile on arbitrary frames, seeded with the inline
// examples: no panic, and the record stays bounded by the input.
func FuzzParse(f *testing.F) {
	all, err := profile.All()
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range all {
		for _, ex := range p.Examples {
			f.Add([]byte(ex.Raw))
		}
	}
	recv := time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)
	parsers := make([]*Parser, len(all))
	for i, p := range all {
		parsers[i] = NewParser(p, time.UTC)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		for _, ps := range parsers {
			rec, err := ps.Parse(frame, recv)
			if err != nil {
				if len(err.Error()) > 512+len(frame) {
					t.Fatalf("%s: error of %d bytes", ps.p.ID, len(err.Error()))
				}
				continue
			}
			n := len(rec.Raw) + 64
			for _, s := range []string{rec.Dialed, rec.Caller, rec.Extension, rec.Trunk, rec.Account, rec.CallID, rec.Condition} {
				if len(s) > n {
					t.Fatalf("%s: field longer than the frame", ps.p.ID)
				}
			}
			if rec.DurationS < 0 || (rec.RingS != nil && *rec.RingS < 0) {
				t.Fatalf("%s: negative duration %d", ps.p.ID, rec.DurationS)
			}
		}
	})
}

// FuzzTaggedScan walks arbitrary records with NEC's flexible item table,
// with and without repair: no panic, a bounded error, and a record it
// accepts is a run of whole items from the start column to the end (blanks
// may follow), each within its table bounds, in ascending order, all but at
// most one (a repair) holding the data their printed length says.
func FuzzTaggedScan(f *testing.F) {
	p := mustProfile(f, "nec-neax")
	var l *profile.Layout
	for _, cand := range p.Layouts {
		if cand.Format == profile.Tagged {
			l = cand
			break
		}
	}
	if l == nil {
		f.Fatal("nec-neax has no tagged layout")
	}
	for _, ex := range p.Examples {
		if strings.HasPrefix(ex.Raw, "0!K") {
			f.Add(ex.Raw, true)
			f.Add(ex.Raw, false)
		}
	}
	f.Add("0!KK0112001001003001", true)
	f.Add("0!KK1000", true)
	f.Add("0!KK0699", false)
	f.Fuzz(func(t *testing.T, rec string, repair bool) {
		tt := *l.Tags
		tt.Repair = repair
		lr := *l
		lr.Tags = &tt
		var sc tagScan
		if err := scanRecord(&lr, rec, &sc); err != nil {
			if len(err.Error()) > 1024+len(rec) {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		if sc.n < 1 || sc.pos[0].at != tt.Start {
			t.Fatalf("%d items, first at %d", sc.n, sc.pos[0].at)
		}
		changed, at := 0, -1
		for k := 0; k < sc.n; k++ {
			ip := sc.pos[k]
			it := tt.Items[ip.item]
			n := ip.end - ip.data
			if ip.data != ip.at+tt.TagWidth+tt.LenWidth || rec[ip.at:ip.at+tt.TagWidth] != it.Tag {
				t.Fatalf("item %d (%s) misplaced: %+v", k, it.Tag, ip)
			}
			if n < it.Min || it.Max >= 0 && n > it.Max {
				t.Fatalf("item %s: %d characters, table %d-%d", it.Tag, n, it.Min, it.Max)
			}
			if n != ip.said-it.Bias {
				changed, at = changed+1, k
			}
			if k > 0 {
				if ip.at != sc.pos[k-1].end || it.Tag <= tt.Items[sc.pos[k-1].item].Tag {
					t.Fatalf("item %s does not follow item %d", it.Tag, k-1)
				}
			}
		}
		if strings.TrimRight(rec[sc.pos[sc.n-1].end:], " ") != "" {
			t.Fatalf("text after the last item: %q", rec[sc.pos[sc.n-1].end:])
		}
		if changed > 1 || changed == 1 && !repair {
			t.Fatalf("%d lengths changed (repair %v)", changed, repair)
		}
		if changed == 1 {
			// The repair rescans from the item it changes: a scan from the
			// start with the same change must read the same items.
			var whole tagScan
			if scanTagged(&tt, rec, &whole, 0, at, sc.pos[at].end-sc.pos[at].data, nil) >= 0 || whole.n != sc.n || !slices.Equal(whole.pos[:whole.n], sc.pos[:sc.n]) {
				t.Fatalf("repair at item %d differs from a whole rescan", at)
			}
		}
	})
}

// BenchmarkParse reports ns/op and allocs/op per record for each profile,
// cycling through its inline examples that parse.
func BenchmarkParse(b *testing.B) {
	all, err := profile.All()
	if err != nil {
		b.Fatal(err)
	}
	recv := time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)
	for _, p := range all {
		ps := NewParser(p, time.UTC)
		var frames [][]byte
		for _, ex := range p.Examples {
			if _, err := ps.Parse([]byte(ex.Raw), recv); err == nil {
				frames = append(frames, []byte(ex.Raw))
			}
		}
		b.Run(p.ID, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := ps.Parse(frames[i%len(frames)], recv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
