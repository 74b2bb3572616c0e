package tifff

import (
	"bytes"
	"testing"

	"switchboard/internal/fax/codec"
)

// FuzzRead: hostile TIFF files never panic; pages that parse decode
// without panicking either.
func FuzzRead(f *testing.F) {
	b := codec.TestChart(256, 24)
	var pages []*Page
	for _, p := range []codec.Params{{Scheme: codec.MH}, {Scheme: codec.MR, K: 2}, {Scheme: codec.MMR, Order: codec.LSBFirst}} {
		pg, err := NewPage(b, p, YResStandard)
		if err != nil {
			f.Fatal(err)
		}
		pages = append(pages, pg)
	}
	var buf bytes.Buffer
	if err := Write(&buf, pages); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("MM\x00\x2a\x00\x00\x00\x08\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pages, err := Read(data)
		if err != nil {
			return
		}
		for _, pg := range pages {
			if pg.Height > 4096 {
				continue // bounded by Read, but keep fuzzing fast
			}
			_, _ = pg.DecodeReceived()
		}
	})
}
