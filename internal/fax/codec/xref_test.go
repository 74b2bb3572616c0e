package codec

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/ccitt"
)

var update = flag.Bool("update", false, "rewrite golden files")

// decodeX decodes with golang.org/x/image/ccitt, an independent decoder
// (MH with EOLs, and MMR).
func decodeX(t *testing.T, data []byte, p Params, w, h int) *Bitmap {
	t.Helper()
	sf := ccitt.Group4
	if p.Scheme == MH {
		sf = ccitt.Group3
	}
	order := ccitt.MSB
	if p.Order == LSBFirst {
		order = ccitt.LSB
	}
	r := ccitt.NewReader(bytes.NewReader(data), order, sf, w, h, &ccitt.Options{Invert: true})
	out := NewBitmap(w, h)
	if _, err := io.ReadFull(r, out.Bits); err != nil {
		t.Fatalf("x/image/ccitt: %v", err)
	}
	return out
}

func TestAgainstXImage(t *testing.T) {
	pages := []*Bitmap{TestChart(WidthA4, 400), TestChart(WidthA3, 150), NewBitmap(WidthA4, 3)}
	full := NewBitmap(WidthB4, 5)
	full.FillRect(0, 0, WidthB4, 5)
	pages = append(pages, full)
	for _, b := range pages {
		for _, p := range []Params{{Scheme: MH}, {Scheme: MH, Order: LSBFirst}, {Scheme: MMR}, {Scheme: MMR, Order: LSBFirst}} {
			p.Width = b.Width
			data, err := Encode(b, p)
			if err != nil {
				t.Fatal(err)
			}
			got := decodeX(t, data, p, b.Width, b.Height)
			if pt := b.FirstDiff(got); pt != nil {
				t.Errorf("%s %dx%d: x/image decodes differently at %v", name(p), b.Width, b.Height, *pt)
			}
		}
	}
}

// Golden encodings of a fixed page guard against accidental changes of
// the coded output (run with -update after a deliberate change).
func TestGolden(t *testing.T) {
	b := TestChart(WidthA4, 256)
	for _, p := range []Params{
		{Scheme: MH, AlignEOL: true},
		{Scheme: MR, K: 2},
		{Scheme: MR, K: 4, AlignEOL: true},
		{Scheme: MMR},
		{Scheme: MH, Order: LSBFirst, MinLineBytes: 36},
	} {
		data, err := Encode(b, p)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "golden", name(p)+".fax")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if !bytes.Equal(data, want) {
			t.Errorf("%s: encoding differs from %s", name(p), path)
		}
	}
}
