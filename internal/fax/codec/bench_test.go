package codec

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A4 fine page: 1728 x 2287 (297 mm at 7.7 lines/mm).
func benchPage() *Bitmap { return TestChart(WidthA4, 2287) }

var benchSchemes = []Params{{Scheme: MH}, {Scheme: MR, K: 4}, {Scheme: MMR}}

func BenchmarkEncode(b *testing.B) {
	page := benchPage()
	for _, p := range benchSchemes {
		b.Run(name(p), func(b *testing.B) {
			var n int
			for b.Loop() {
				data, err := Encode(page, p)
				if err != nil {
					b.Fatal(err)
				}
				n = len(data)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(n), "bytes/page")
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	page := benchPage()
	for _, p := range benchSchemes {
		data, err := Encode(page, p)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name(p), func(b *testing.B) {
			for b.Loop() {
				if _, err := Decode(data, p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

// BenchmarkLibtiff times `tiffcp -c g3|g3:2d|g4` on the same page stored
// uncompressed, for comparison (process start-up included; compare with
// the "none" baseline, which is start-up plus I/O only).
func BenchmarkLibtiff(b *testing.B) {
	if _, err := exec.LookPath("tiffcp"); err != nil {
		b.Skip("tiffcp not installed")
	}
	dir := b.TempDir()
	src := filepath.Join(dir, "page.tif")
	if err := os.WriteFile(src, uncompressedTIFF(benchPage()), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, c := range []string{"none", "g3", "g3:2d", "g4"} {
		b.Run(c, func(b *testing.B) {
			dst := filepath.Join(dir, "out.tif")
			for b.Loop() {
				if out, err := exec.Command("tiffcp", "-c", c, src, dst).CombinedOutput(); err != nil {
					b.Fatalf("%v %s", err, out)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

// uncompressedTIFF writes a minimal single-strip bilevel TIFF.
func uncompressedTIFF(bm *Bitmap) []byte {
	type ent struct{ tag, typ, count, val uint32 }
	data := make([]byte, 0, len(bm.Bits)+256)
	data = append(data, 'I', 'I', 42, 0, 8, 0, 0, 0)
	ents := []ent{
		{256, 4, 1, uint32(bm.Width)}, {257, 4, 1, uint32(bm.Height)}, {258, 3, 1, 1}, {259, 3, 1, 1},
		{262, 3, 1, 0}, {273, 4, 1, 0}, {277, 3, 1, 1}, {278, 4, 1, uint32(bm.Height)},
		{279, 4, 1, uint32(len(bm.Bits))},
	}
	ifdLen := 2 + 12*len(ents) + 4
	ents[5].val = uint32(8 + ifdLen)
	put16 := func(v uint32) { data = append(data, byte(v), byte(v>>8)) }
	put32 := func(v uint32) { data = append(data, byte(v), byte(v>>8), byte(v>>16), byte(v>>24)) }
	put16(uint32(len(ents)))
	for _, e := range ents {
		put16(e.tag)
		put16(e.typ)
		put32(e.count)
		if e.typ == 3 {
			put16(e.val)
			put16(0)
		} else {
			put32(e.val)
		}
	}
	put32(0)
	return append(data, bm.Bits...)
}
