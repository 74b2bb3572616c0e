package faxpdf

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"switchboard/internal/fax/codec"
	tifff "switchboard/internal/fax/tiff"
)

var variants = []codec.Params{
	{Scheme: codec.MH},
	{Scheme: codec.MR, K: 2, Order: codec.LSBFirst},
	{Scheme: codec.MR, K: 4},
	{Scheme: codec.MMR},
	{Scheme: codec.MMR, Order: codec.LSBFirst},
	{Scheme: codec.MH, Order: codec.LSBFirst, MinLineBytes: 30},
}

// doc builds a PDF from Class F pages (via a TIFF round trip, the
// production path) and raw line data, plus a report page.
func doc(t *testing.T) ([]byte, []*codec.Bitmap) {
	t.Helper()
	d := New()
	var bms []*codec.Bitmap
	var tpages []*tifff.Page
	for i, p := range variants {
		b := codec.TestChart(codec.WidthA4, 1100+100*i)
		bms = append(bms, b)
		if i%2 == 0 {
			pg, err := tifff.NewPage(b, p, tifff.YResFine)
			if err != nil {
				t.Fatal(err)
			}
			tpages = append(tpages, pg)
			continue
		}
		// raw line data with RTC/EOFB, as received from the modem
		p.Width = b.Width
		data, err := codec.Encode(b, p)
		if err != nil {
			t.Fatal(err)
		}
		tpages = append(tpages, &tifff.Page{Width: b.Width, Height: b.Height, Params: p, XRes: 204, YRes: 196,
			Strips: [][]byte{data}, RowsPerStrip: b.Height})
	}
	var buf bytes.Buffer
	if err := tifff.Write(&buf, tpages); err != nil {
		t.Fatal(err)
	}
	pages, err := tifff.Read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, pg := range pages {
		img, err := ImageFromTIFF(pg)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.AddFax(img); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if _, err := d.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), bms
}

func readPGM(t *testing.T, path string) *image.Gray {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var w, h, maxv int
	var magic string
	if _, err := fmt.Fscan(r, &magic, &w, &h, &maxv); err != nil || magic != "P5" || maxv != 255 {
		t.Fatalf("%s: not an 8-bit PGM (%v)", path, err)
	}
	r.ReadByte()
	g := image.NewGray(image.Rect(0, 0, w, h))
	if _, err := io.ReadFull(r, g.Pix); err != nil {
		t.Fatal(err)
	}
	return g
}

// compare box-filters the bitmap to the rendered image's grid (the fax
// image fills the page width and starts at the top) and checks the mean
// absolute difference and the share of clearly wrong pixels.
func compare(t *testing.T, page int, g *image.Gray, b *codec.Bitmap) {
	t.Helper()
	W := g.Rect.Dx()
	// rendered height of the image: same scale as the width, corrected for 196 lpi
	H := int(float64(b.Height) / 196 * 204 * float64(W) / float64(b.Width))
	H = min(H, g.Rect.Dy())
	var sum, bad, n int
	for y := 0; y < H; y++ {
		sy0, sy1 := y*b.Height/H, max((y+1)*b.Height/H, y*b.Height/H+1)
		for x := 0; x < W; x++ {
			sx0, sx1 := x*b.Width/W, max((x+1)*b.Width/W, x*b.Width/W+1)
			blk, cnt := 0, 0
			for yy := sy0; yy < sy1; yy++ {
				for xx := sx0; xx < sx1; xx++ {
					if b.Black(xx, yy) {
						blk++
					}
					cnt++
				}
			}
			want := 255 - 255*blk/cnt
			d := int(g.Pix[y*g.Stride+x]) - want
			if d < 0 {
				d = -d
			}
			sum += d
			if d > 160 {
				bad++
			}
			n++
		}
	}
	// below the image the page is blank
	for y := H + 2; y < g.Rect.Dy(); y++ {
		for x := 0; x < W; x++ {
			if g.Pix[y*g.Stride+x] < 128 {
				t.Fatalf("page %d: ink at (%d,%d) below the image (ends at row %d)", page, x, y, H)
			}
		}
	}
	mean := float64(sum) / float64(n)
	if mean > 12 || float64(bad)/float64(n) > 0.03 {
		t.Errorf("page %d: rendered image differs: mean |diff| %.1f, %.2f%% pixels off", page, mean, 100*float64(bad)/float64(n))
	}
	t.Logf("page %d: %dx%d mean |diff| %.2f, %.3f%% off", page, W, H, mean, 100*float64(bad)/float64(n))
}

func TestRenderPdftoppm(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm not installed")
	}
	pdf, bms := doc(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "fax.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("pdftoppm", "-r", "100", "-gray", path, filepath.Join(dir, "p"))
	if msg, err := cmd.CombinedOutput(); err != nil || len(msg) > 0 {
		t.Fatalf("pdftoppm: %v\n%s", err, msg)
	}
	for i, b := range bms {
		compare(t, i+1, readPGM(t, filepath.Join(dir, fmt.Sprintf("p-%d.pgm", i+1))), b)
	}
}

func TestRenderGhostscript(t *testing.T) {
	if _, err := exec.LookPath("gs"); err != nil {
		t.Skip("gs not installed")
	}
	pdf, bms := doc(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "fax.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pnggray", "-r300",
		"-sOutputFile="+filepath.Join(dir, "g-%d.png"), path)
	if msg, err := cmd.CombinedOutput(); err != nil || len(msg) > 0 {
		t.Fatalf("gs: %v\n%s", err, msg)
	}
	for i, b := range bms {
		f, err := os.Open(filepath.Join(dir, fmt.Sprintf("g-%d.png", i+1)))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		g, ok := img.(*image.Gray)
		if !ok {
			t.Fatalf("gs page %d: %T", i+1, img)
		}
		compare(t, i+1, g, b)
	}
}
