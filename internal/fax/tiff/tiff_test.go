package tifff

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	xtiff "golang.org/x/image/tiff"

	"switchboard/internal/fax/codec"
)

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (test/install-deps.sh)", tool)
		}
	}
}

// run runs a command and fails on a non-zero exit or any stderr output.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil || strings.TrimSpace(stderr.String()) != "" {
		t.Fatalf("%s %s: %v\nstderr: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

var pageParams = []codec.Params{
	{Scheme: codec.MH},
	{Scheme: codec.MR, K: 4},
	{Scheme: codec.MMR},
	{Scheme: codec.MH, Order: codec.LSBFirst},
	{Scheme: codec.MR, K: 2, Order: codec.LSBFirst},
	{Scheme: codec.MMR, Order: codec.LSBFirst},
}

func testDoc(t *testing.T) ([]*codec.Bitmap, []*Page) {
	t.Helper()
	var bms []*codec.Bitmap
	var pages []*Page
	for i, p := range pageParams {
		b := codec.TestChart(codec.WidthA4, 300+50*i)
		pg, err := NewPage(b, p, YResFine)
		if err != nil {
			t.Fatal(err)
		}
		pg.Software = "switchboard test"
		bms = append(bms, b)
		pages = append(pages, pg)
	}
	return bms, pages
}

func writeFile(t *testing.T, pages []*Page) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, pages); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fax.tif")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) []*Page {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

func TestRoundTrip(t *testing.T) {
	bms, pages := testDoc(t)
	pages[1].BadFaxLines, pages[1].ConsecutiveBadFaxLines, pages[1].CleanFaxData = 3, 2, Regenerated
	got := readFile(t, writeFile(t, pages))
	if len(got) != len(pages) {
		t.Fatalf("%d pages, want %d", len(got), len(pages))
	}
	for i, pg := range got {
		if pg.Params.Scheme != pages[i].Params.Scheme || pg.Params.Order != pages[i].Params.Order ||
			pg.YRes != YResFine || pg.XRes != XRes || pg.PageNumber != i || pg.PageCount != len(pages) ||
			pg.Software != "switchboard test" {
			t.Errorf("page %d: fields %+v", i, pg)
		}
		b, err := pg.Decode()
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if !b.Equal(bms[i]) {
			t.Errorf("page %d: bitmap differs", i)
		}
	}
	if got[1].BadFaxLines != 3 || got[1].ConsecutiveBadFaxLines != 2 || got[1].CleanFaxData != Regenerated {
		t.Errorf("fax quality tags: %+v", got[1])
	}
}

// libtiff decodes our pages without a complaint, and re-encodes them into
// G3 1-D, G3 2-D and G4 that our decoders read back identically.
func TestLibtiff(t *testing.T) {
	need(t, "tiffinfo", "tiffcp")
	bms, pages := testDoc(t)
	path := writeFile(t, pages)
	out := run(t, "tiffinfo", "-D", path)
	if n := strings.Count(out, "TIFF Directory"); n != len(pages) {
		t.Fatalf("tiffinfo saw %d directories:\n%s", n, out)
	}
	dir := t.TempDir()
	// uncompressed copy, read with x/image/tiff
	raw := filepath.Join(dir, "raw.tif")
	run(t, "tiffcp", "-c", "none", path, raw)
	for _, c := range []string{"g3", "g3:2d", "g3:2d:fill", "g4"} {
		dst := filepath.Join(dir, strings.ReplaceAll(c, ":", "_")+".tif")
		run(t, "tiffcp", "-c", c, path, dst)
		for i, pg := range readFile(t, dst) {
			b, err := pg.Decode()
			if err != nil {
				t.Fatalf("tiffcp -c %s page %d: %v", c, i, err)
			}
			if pt := b.FirstDiff(bms[i]); pt != nil {
				t.Errorf("tiffcp -c %s page %d: differs at %v", c, i, *pt)
			}
		}
	}
	f, err := os.Open(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := xtiff.Decode(f) // first page
	if err != nil {
		t.Fatal(err)
	}
	b, err := codec.FromImage(img, codec.ScaleOptions{Width: codec.WidthA4})
	if err != nil {
		t.Fatal(err)
	}
	if pt := b.FirstDiff(bms[0]); pt != nil {
		t.Errorf("libtiff decode of page 0 differs at %v", *pt)
	}
}

// fax2tiff (libtiff's raw fax reader) accepts our line data, RTC included.
func TestFax2tiff(t *testing.T) {
	need(t, "fax2tiff")
	b := codec.TestChart(codec.WidthA4, 400)
	dir := t.TempDir()
	for _, tc := range []struct {
		p    codec.Params
		flag []string
	}{
		{codec.Params{Scheme: codec.MH, Order: codec.LSBFirst, MinLineBytes: 30}, []string{"-1", "-L"}},
		{codec.Params{Scheme: codec.MR, K: 4, Order: codec.LSBFirst}, []string{"-2", "-L"}},
		{codec.Params{Scheme: codec.MMR, Order: codec.MSBFirst}, []string{"-4", "-M"}},
	} {
		data, err := codec.Encode(b, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		in := filepath.Join(dir, tc.p.Scheme.String()+".raw")
		out := filepath.Join(dir, tc.p.Scheme.String()+".tif")
		if err := os.WriteFile(in, data, 0o644); err != nil {
			t.Fatal(err)
		}
		args := append(append([]string{}, tc.flag...), "-R", "196", "-o", out, in)
		cmd := exec.Command("fax2tiff", args...)
		msg, err := cmd.CombinedOutput()
		if err != nil || strings.Contains(strings.ToLower(string(msg)), "bad") {
			t.Fatalf("fax2tiff %v: %v\n%s", args, err, msg)
		}
		pages := readFile(t, out)
		got, err := pages[0].Decode()
		if err != nil {
			t.Fatal(err)
		}
		// fax2tiff turns the EOLs of RTC (and EOFB) into blank rows: up to
		// 5 trailing white rows are its quirk, not ours.
		if got.Height < b.Height || got.Height > b.Height+5 {
			t.Fatalf("%s: fax2tiff made %d rows, want %d", tc.p.Scheme, got.Height, b.Height)
		}
		for y := b.Height; y < got.Height; y++ {
			if bytes.ContainsFunc(got.Row(y), func(r rune) bool { return r != 0 }) {
				t.Errorf("%s: extra row %d is not white", tc.p.Scheme, y)
			}
		}
		got.Height = b.Height
		if pt := got.FirstDiff(b); pt != nil {
			t.Errorf("%s: fax2tiff page differs at %v", tc.p.Scheme, *pt)
		}
	}
}

// Ghostscript's own G3/G4 writers (independent encoders) produce pages
// that our decoders turn into exactly what gs renders as pngmono.
func TestGhostscriptReference(t *testing.T) {
	need(t, "gs")
	dir := t.TempDir()
	ps := filepath.Join(dir, "page.ps")
	src := `%!PS
/Helvetica findfont 28 scalefont setfont
72 700 moveto (Switchboard fax reference page 0123456789) show
/Times-Roman findfont 14 scalefont setfont
0 1 30 { /i exch def 72 650 i 14 mul sub moveto (The quick brown fox jumps over the lazy dog. WAVE ~!@#$%^&*) show } for
4 setlinewidth 72 150 moveto 540 300 lineto stroke
0.5 setgray 300 100 200 100 rectfill
0 setgray 1 setlinewidth 50 50 moveto 560 50 lineto 560 780 lineto 50 780 lineto closepath stroke
showpage
`
	if err := os.WriteFile(ps, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	gs := func(dev, out string) {
		run(t, "gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE="+dev, "-r204x196", "-g1728x2156",
			"-sOutputFile="+out, ps)
	}
	pngPath := filepath.Join(dir, "ref.png")
	gs("pngmono", pngPath)
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	want, err := codec.FromImage(img, codec.ScaleOptions{Width: codec.WidthA4})
	if err != nil {
		t.Fatal(err)
	}
	for _, dev := range []string{"tiffg3", "tiffg32d", "tiffg4"} {
		out := filepath.Join(dir, dev+".tif")
		gs(dev, out)
		pages := readFile(t, out)
		if len(pages) != 1 {
			t.Fatalf("%s: %d pages", dev, len(pages))
		}
		pg := pages[0]
		got, err := pg.Decode()
		if err != nil {
			t.Fatalf("%s (%v, %d strips): %v", dev, pg.Params.Scheme, len(pg.Strips), err)
		}
		if pt := got.FirstDiff(want); pt != nil {
			t.Errorf("%s: differs from pngmono at %v", dev, *pt)
		}
		t.Logf("%s: %v order=%d align=%v strips=%d rows/strip=%d bytes=%d", dev, pg.Params.Scheme, pg.Params.Order,
			pg.Params.AlignEOL, len(pg.Strips), pg.RowsPerStrip, len(pg.Strips[0]))
	}
}
