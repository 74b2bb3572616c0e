package codec

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// The code tables must be prefix-free and, with EOL, fill the code space
// the way T.4 lays it out (Kraft sum checks catch typos in a code word).
func TestTablesPrefixFree(t *testing.T) {
	for _, tc := range []struct {
		name   string
		term   *[64]code
		makeup *[27]code
	}{{"white", &whiteTerm, &whiteMakeup}, {"black", &blackTerm, &blackMakeup}} {
		var all []code
		all = append(all, tc.term[:]...)
		all = append(all, tc.makeup[:]...)
		all = append(all, extMakeup[:]...)
		all = append(all, codeEOL)
		for i, a := range all {
			for j, b := range all {
				if i == j {
					continue
				}
				if a.n <= b.n && b.v>>(b.n-a.n) == a.v {
					t.Errorf("%s: code %d is a prefix of code %d", tc.name, i, j)
				}
			}
		}
	}
	modes := []code{codePass, codeHoriz}
	modes = append(modes, codeVert[:]...)
	for i, a := range modes {
		for j, b := range modes {
			if i != j && a.n <= b.n && b.v>>(b.n-a.n) == a.v {
				t.Errorf("mode code %d is a prefix of %d", i, j)
			}
		}
	}
}

var schemes = []Params{
	{Scheme: MH},
	{Scheme: MR, K: 2},
	{Scheme: MR, K: 4},
	{Scheme: MMR},
}

func name(p Params) string {
	s := p.Scheme.String()
	if p.Scheme == MR {
		s += fmt.Sprintf("-K%d", p.K)
	}
	if p.Order == LSBFirst {
		s += "-lsb"
	}
	if p.AlignEOL {
		s += "-align"
	}
	if p.MinLineBytes > 0 {
		s += fmt.Sprintf("-min%d", p.MinLineBytes)
	}
	if p.NoRTC {
		s += "-nortc"
	}
	return s
}

func roundTrip(t *testing.T, b *Bitmap, p Params) []byte {
	t.Helper()
	p.Width = b.Width
	data, err := Encode(b, p)
	if err != nil {
		t.Fatalf("%s: encode: %v", name(p), err)
	}
	dp := p
	if p.NoRTC {
		dp.Height = b.Height
	}
	got, err := Decode(data, dp)
	if err != nil {
		t.Fatalf("%s: decode: %v", name(p), err)
	}
	if pt := b.FirstDiff(got); pt != nil {
		t.Fatalf("%s %dx%d: decoded page differs at %v (got %dx%d)", name(p), b.Width, b.Height, *pt, got.Width, got.Height)
	}
	return data
}

func variants() []Params {
	var out []Params
	for _, s := range schemes {
		for _, order := range []BitOrder{MSBFirst, LSBFirst} {
			p := s
			p.Order = order
			out = append(out, p)
			if s.Scheme != MMR {
				q := p
				q.AlignEOL = true
				out = append(out, q)
				q.MinLineBytes = 40
				out = append(out, q)
				q.NoRTC = true
				out = append(out, q)
			} else {
				q := p
				q.NoRTC = true
				out = append(out, q)
			}
		}
	}
	return out
}

func TestRoundTripPatterns(t *testing.T) {
	pages := map[string]*Bitmap{}
	for _, w := range []int{WidthA4, WidthB4, WidthA3, 17, 5200} {
		white := NewBitmap(w, 7)
		pages[fmt.Sprintf("white-%d", w)] = white
		black := NewBitmap(w, 7)
		black.FillRect(0, 0, w, 7)
		pages[fmt.Sprintf("black-%d", w)] = black
		pages[fmt.Sprintf("chart-%d", w)] = TestChart(w, 300)
		// runs alternating around the 64 and 2560 make-up boundaries
		runs := NewBitmap(w, 12)
		lens := []int{63, 64, 65, 127, 128, 129, 1727, 1728, 1729, 2559, 2560, 2561, 2623, 2624, 1, 0, 2}
		for y := 0; y < 12; y++ {
			x, black := 0, y%2 == 1
			for i := y; x < w; i++ {
				l := lens[i%len(lens)]
				if black {
					runs.FillRect(x, y, x+l, y+1)
				}
				x += l
				black = !black
			}
		}
		pages[fmt.Sprintf("runs-%d", w)] = runs
		// first and last pel black only
		edge := NewBitmap(w, 3)
		edge.Set(0, 0, true)
		edge.Set(w-1, 1, true)
		edge.Set(0, 2, true)
		edge.Set(w-1, 2, true)
		pages[fmt.Sprintf("edge-%d", w)] = edge
	}
	for n, b := range pages {
		for _, p := range variants() {
			t.Run(n+"/"+name(p), func(t *testing.T) { roundTrip(t, b, p) })
		}
	}
}

func TestRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 60; i++ {
		w := []int{WidthA4, WidthB4, WidthA3, 1 + r.IntN(300)}[i%4]
		h := 1 + r.IntN(40)
		b := NewBitmap(w, h)
		density := r.IntN(4)
		for y := 0; y < h; y++ {
			switch {
			case density == 0: // noise
				for x := 0; x < w; x++ {
					b.Set(x, y, r.IntN(2) == 0)
				}
			default: // random runs, correlated with the row above
				if y > 0 && r.IntN(3) > 0 {
					copy(b.Row(y), b.Row(y-1))
					for k := 0; k < density*3; k++ {
						x := r.IntN(w)
						b.Set(x, y, !b.Black(x, y))
					}
					continue
				}
				x, black := 0, r.IntN(2) == 0
				for x < w {
					l := 1 + r.IntN([]int{1, 8, 80, 3000}[density])
					if black {
						b.FillRect(x, y, x+l, y+1)
					}
					x += l
					black = !black
				}
			}
		}
		for _, p := range variants() {
			roundTrip(t, b, p)
		}
	}
}

// T.4 §4.1.3: every coded line, EOL included, spans at least MinLineBytes.
func TestMinLineBytes(t *testing.T) {
	b := NewBitmap(WidthA4, 20) // white lines code to a few bits only
	b.FillRect(100, 10, 200, 11)
	for _, s := range []Scheme{MH, MR} {
		p := Params{Scheme: s, MinLineBytes: 24}
		data, err := Encode(b, p)
		if err != nil {
			t.Fatal(err)
		}
		// find EOL start positions
		br := newBitReader(data)
		var eols []int64
		zeros := 0
		for p := int64(0); p < br.end; p++ {
			if data[p>>3]&(0x80>>uint(p&7)) == 0 {
				zeros++
				continue
			}
			if zeros >= 11 {
				eols = append(eols, p-11)
			}
			zeros = 0
		}
		if len(eols) != 21+5 {
			t.Fatalf("%v: %d EOLs, want 26", s, len(eols))
		}
		for i := 1; i <= 20; i++ { // line i-1 spans eols[i-1]..eols[i] minus leading fill
			if d := eols[i] - eols[i-1]; d < 24*8 {
				t.Errorf("%v: line %d is %d bits, want >= %d", s, i-1, d, 24*8)
			}
		}
	}
	if got := MinLineBytes(14400, 20e6); got != 36 {
		t.Errorf("MinLineBytes(14400, 20ms) = %d, want 36", got)
	}
}

func TestErrorLocation(t *testing.T) {
	b := TestChart(WidthA4, 100)
	data, err := Encode(b, Params{Scheme: MH})
	if err != nil {
		t.Fatal(err)
	}
	// Damage a byte in the middle of the page.
	bad := bytes.Clone(data)
	pos := len(bad) / 2
	bad[pos] ^= 0x5a
	_, err = Decode(bad, Params{Scheme: MH})
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("want DecodeError, got %v", err)
	}
	if de.Line < 10 || de.Line > 90 || de.Bit < int64(pos-40)*8 || de.Bit > int64(pos+40)*8 {
		t.Errorf("error at line %d bit %d, damage at byte %d", de.Line, de.Bit, pos)
	}
}

func TestConcealment(t *testing.T) {
	b := TestChart(WidthA4, 200)
	for _, p := range []Params{{Scheme: MH}, {Scheme: MR, K: 4}, {Scheme: MMR, Height: 200}} {
		t.Run(name(p), func(t *testing.T) {
			data, err := Encode(b, p)
			if err != nil {
				t.Fatal(err)
			}
			bad := bytes.Clone(data)
			for i := len(bad) / 2; i < len(bad)/2+3; i++ {
				bad[i] = ^bad[i]
			}
			pg, err := DecodePage(bad, p)
			if err != nil {
				t.Fatal(err)
			}
			if pg.BadLines == 0 || len(pg.Errors) == 0 {
				t.Fatalf("no bad lines reported")
			}
			// A destroyed EOL merges two lines into one bad line: without
			// a known height the page may come out a row or two short.
			if h := pg.Bitmap.Height; h > 200 || h < 196 || (p.Height > 0 && h != 200) {
				t.Fatalf("height %d, want 200", h)
			}
			diff := 0
			for y := 0; y < pg.Bitmap.Height; y++ {
				if !bytes.Equal(pg.Bitmap.Row(y), b.Row(y)) {
					diff++
				}
			}
			if p.Scheme != MMR && pg.BadLines > 6 {
				t.Errorf("G3 page: %d bad lines for 3 damaged bytes", pg.BadLines)
			}
			if pg.Bitmap.Height == 200 && diff > pg.BadLines+2 {
				t.Errorf("%d rows differ but only %d reported bad", diff, pg.BadLines)
			}
			if p.Scheme != MMR && !pg.EndMark {
				t.Errorf("RTC not found after resynchronisation")
			}
			t.Logf("bad=%d consecutive=%d differ=%d first=%v", pg.BadLines, pg.MaxConsecutiveBad, diff, pg.Errors[0])
		})
	}
}
