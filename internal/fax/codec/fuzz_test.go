package codec

import (
	"testing"
)

func addSeeds(f *testing.F) {
	b := TestChart(256, 24)
	for _, p := range []Params{{Scheme: MH}, {Scheme: MR, K: 4}, {Scheme: MMR}, {Scheme: MH, AlignEOL: true, MinLineBytes: 20}} {
		data, err := Encode(b, p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(p.Scheme), uint16(0))
	}
	f.Add([]byte{0, 1, 0xff, 0x80}, uint8(0), uint16(17))
}

// FuzzDecode: arbitrary data never panics, memory stays bounded by
// MaxLines, and whatever decodes strictly re-encodes to the same bitmap.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, scheme uint8, width uint16) {
		p := Params{Scheme: Scheme(scheme % 3), Width: int(width % 3000), MaxLines: 2048}
		if p.Width == 0 {
			p.Width = WidthA4
		}
		pg, err := DecodePage(data, p)
		if err != nil {
			t.Fatal(err)
		}
		if pg.Bitmap.Height > 2048 {
			t.Fatalf("height %d beyond MaxLines", pg.Bitmap.Height)
		}
		b, err := Decode(data, p)
		if err != nil || b.Height == 0 {
			return
		}
		enc, err := Encode(b, p)
		if err != nil {
			t.Fatal(err)
		}
		b2, err := Decode(enc, p)
		if err != nil {
			t.Fatalf("re-encoded page does not decode: %v", err)
		}
		if !b.Equal(b2) {
			t.Fatal("re-encoded page differs")
		}
	})
}
