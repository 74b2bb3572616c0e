package faxdesk

// Documents: what a guest brings (PDF, TIFF, PNG, JPEG, text) becomes A4
// fax pages 1728 pels wide, stored as TIFF Class F; a received fax is
// stored the same way, with its PDF.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // fax.send documents
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"switchboard/internal/events/fax"
	"switchboard/internal/fax/codec"
	faxpdf "switchboard/internal/fax/pdf"
	"switchboard/internal/fax/textpage"
	tifff "switchboard/internal/fax/tiff"
)

// Fine and standard page heights of an A4 page (297 mm at 7.7 and 3.85 lines/mm).
const (
	a4RowsFine     = 2287
	a4RowsStandard = 1143
)

// sniffFormat names a document's format from its first bytes.
func sniffFormat(doc []byte) string {
	switch {
	case bytes.HasPrefix(doc, []byte("%PDF-")):
		return "application/pdf"
	case bytes.HasPrefix(doc, []byte("II*\x00")), bytes.HasPrefix(doc, []byte("MM\x00*")):
		return "image/tiff"
	case bytes.HasPrefix(doc, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(doc, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case utf8.Valid(doc) && !bytes.ContainsAny(doc, "\x00"):
		return "text/plain"
	}
	return ""
}

// toPages converts a document to A4 fax pages 1728 pels wide, at most
// maxPages of them; Ghostscript gets gsTimeout for a PDF.
func toPages(ctx context.Context, doc []byte, format string, fine bool, maxPages int, gsTimeout time.Duration) ([]*codec.Bitmap, error) {
	rows := a4RowsStandard
	if fine {
		rows = a4RowsFine
	}
	var pages []*codec.Bitmap
	switch format {
	case "application/pdf":
		tif, err := ghostscriptTIFF(ctx, doc, fine, maxPages, gsTimeout)
		if err != nil {
			return nil, err
		}
		if pages, err = tiffBitmaps(tif); err != nil {
			return nil, fmt.Errorf("ghostscript's pages: %w", err)
		}
	case "image/tiff":
		var err error
		if pages, err = tiffBitmaps(doc); err != nil {
			return nil, err
		}
	case "image/png", "image/jpeg":
		img, _, err := image.Decode(bytes.NewReader(doc))
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		ys := 0.5 // 98 lpi against 204 dpi
		if fine {
			ys = 196.0 / 204
		}
		b, err := codec.FromImage(img, codec.ScaleOptions{YScale: ys, Filter: codec.Box})
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		pages = splitRows(b, rows)
	case "text/plain":
		// Chinese (any UTF-8) through a system TrueType font; plain ASCII
		// still goes out if that font is missing.
		var terr error
		if pages, terr = textpage.Render(string(doc), textpage.Options{Fine: fine}); terr != nil {
			if !isASCII(doc) {
				return nil, fmt.Errorf("text: %w", terr)
			}
			pages = textPages(string(doc), fine)
		}
	default:
		return nil, fmt.Errorf("format %q: want one of %s", format, strings.Join(fax.Formats, ", "))
	}
	if len(pages) == 0 {
		return nil, errors.New("no page in the document")
	}
	if len(pages) > maxPages {
		return nil, fmt.Errorf("more than %d pages", maxPages)
	}
	for i, p := range pages {
		pages[i] = fitWidth(p)
	}
	return pages, nil
}

// ghostscriptTIFF renders a PDF to G3 TIFF at fax resolution, with a
// timeout and a page limit (one page over the limit is rendered to know).
func ghostscriptTIFF(ctx context.Context, pdf []byte, fine bool, maxPages int, timeout time.Duration) ([]byte, error) {
	gs, err := exec.LookPath("gs")
	if err != nil {
		return nil, errors.New("PDF needs Ghostscript (gs), which is not installed on the gateway")
	}
	dir, err := os.MkdirTemp("", "switchboard-fax-")
	if err != nil {
		return nil, fmt.Errorf("Ghostscript's folder: %w", err)
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.tif")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		return nil, fmt.Errorf("Ghostscript's input: %w", err)
	}
	r := "-r204x196"
	if !fine {
		r = "-r204x98"
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gs, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffg3", r,
		"-sPAPERSIZE=a4", "-dFIXEDMEDIA", "-dPDFFitPage", "-dFirstPage=1", fmt.Sprintf("-dLastPage=%d", maxPages+1),
		"-sOutputFile="+out, in)
	cmd.Dir = dir
	msg, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("Ghostscript took more than %s", timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("not a PDF Ghostscript can render: %v: %s", err, strings.TrimSpace(string(msg)))
	}
	tif, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("Ghostscript's pages: %w", err)
	}
	return tif, nil
}

func tiffBitmaps(data []byte) ([]*codec.Bitmap, error) {
	tp, err := tifff.Read(data)
	if err != nil {
		return nil, fmt.Errorf("TIFF: %w", err)
	}
	var out []*codec.Bitmap
	for i, p := range tp {
		b, err := p.Decode()
		if err != nil {
			return nil, fmt.Errorf("TIFF page %d: %w", i+1, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// fitWidth centres a page on the 1728-pel A4 line (T.4 §2.2), cropping a
// wider one (US Letter from Ghostscript is 1734 pels).
func fitWidth(b *codec.Bitmap) *codec.Bitmap {
	if b.Width == codec.WidthA4 {
		return b
	}
	out := codec.NewBitmap(codec.WidthA4, b.Height)
	off := (codec.WidthA4 - b.Width) / 2
	for y := 0; y < b.Height; y++ {
		for x := 0; x < b.Width; x++ {
			if nx := x + off; nx >= 0 && nx < codec.WidthA4 && b.Black(x, y) {
				out.Set(nx, y, true)
			}
		}
	}
	return out
}

// splitRows cuts a tall bitmap into pages of at most rows rows.
func splitRows(b *codec.Bitmap, rows int) []*codec.Bitmap {
	if b.Height <= rows {
		return []*codec.Bitmap{b}
	}
	var out []*codec.Bitmap
	for y0 := 0; y0 < b.Height; y0 += rows {
		h := min(rows, b.Height-y0)
		p := codec.NewBitmap(b.Width, h)
		for y := 0; y < h; y++ {
			copy(p.Row(y), b.Row(y0+y))
		}
		out = append(out, p)
	}
	return out
}

// textPages sets plain text in the 7x13 fixed font scaled 3x (80 columns
// on the A4 line), 3x vertically at fine and 1.5x at standard resolution.
func textPages(text string, fine bool) []*codec.Bitmap {
	const cols, scale = 80, 3
	face := basicfont.Face7x13
	ys := 3.0
	rowsPerPage := a4RowsFine
	if !fine {
		ys, rowsPerPage = 1.5, a4RowsStandard
	}
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		l = strings.ReplaceAll(l, "\t", "    ")
		for utf8.RuneCountInString(l) > cols {
			r := []rune(l)
			lines, l = append(lines, string(r[:cols])), string(r[cols:])
		}
		lines = append(lines, l)
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	lineH := int(13 * ys)
	margin := int(40 * ys)
	perPage := (rowsPerPage - 2*margin) / lineH
	var pages []*codec.Bitmap
	for start := 0; start < len(lines) || start == 0; start += perPage {
		src := image.NewGray(image.Rect(0, 0, cols*7, perPage*13))
		draw.Draw(src, src.Bounds(), image.White, image.Point{}, draw.Src)
		d := font.Drawer{Dst: src, Src: image.Black, Face: face}
		for i := 0; i < perPage && start+i < len(lines); i++ {
			d.Dot = fixed.P(0, i*13+face.Ascent)
			d.DrawString(lines[start+i])
		}
		b := codec.NewBitmap(codec.WidthA4, rowsPerPage)
		left := (codec.WidthA4 - cols*7*scale) / 2
		for y := 0; y < perPage*lineH; y++ {
			sy := int(float64(y) / ys)
			for x := 0; x < cols*7*scale; x++ {
				if src.GrayAt(x/scale, sy).Y < 128 {
					b.Set(left+x, margin+y, true)
				}
			}
		}
		pages = append(pages, b)
		if len(lines) == 0 {
			break
		}
	}
	return pages
}

// writeTIFF stores pages as TIFF Class F (MR, K 4 fine / 2 standard).
func writeTIFF(path string, pages []*codec.Bitmap, fine bool, quality []tiffQuality) error {
	yres, k := float64(tifff.YResStandard), 2
	if fine {
		yres, k = tifff.YResFine, 4
	}
	var tp []*tifff.Page
	for i, b := range pages {
		p, err := tifff.NewPage(b, codec.Params{Scheme: codec.MR, K: k}, yres)
		if err != nil {
			return fmt.Errorf("page %d: %w", i+1, err)
		}
		p.PageNumber, p.PageCount = i, len(pages)
		if i < len(quality) {
			p.BadFaxLines, p.ConsecutiveBadFaxLines = quality[i].bad, quality[i].consecutive
			if quality[i].bad > 0 {
				p.CleanFaxData = tifff.Regenerated
			}
		}
		tp = append(tp, p)
	}
	var buf bytes.Buffer
	if err := tifff.Write(&buf, tp); err != nil {
		return fmt.Errorf("TIFF: %w", err)
	}
	return writeFileSync(path, buf.Bytes())
}

// tiffQuality is a received page's bad lines, kept in its TIFF tags.
type tiffQuality struct{ bad, consecutive int }

// writeFileSync writes a file whole or not at all: a crash leaves the old
// one or none, never half a fax.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// loadTIFFPages reads a stored fax's pages.
func loadTIFFPages(path string) ([]*codec.Bitmap, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fax pages: %w", err)
	}
	return tiffBitmaps(data)
}

// pdfOfTIFF writes the PDF of a TIFF Class F file (no re-encoding).
func pdfOfTIFF(tiffPath, pdfPath string) error {
	data, err := os.ReadFile(tiffPath)
	if err != nil {
		return err
	}
	tp, err := tifff.Read(data)
	if err != nil {
		return fmt.Errorf("%s: %w", tiffPath, err)
	}
	d := faxpdf.New()
	for i, p := range tp {
		img, err := faxpdf.ImageFromTIFF(p)
		if err == nil {
			err = d.AddFax(img)
		}
		if err != nil {
			return fmt.Errorf("page %d: %w", i+1, err)
		}
	}
	var b bytes.Buffer
	if _, err := d.WriteTo(&b); err != nil {
		return fmt.Errorf("PDF: %w", err)
	}
	return writeFileSync(pdfPath, b.Bytes())
}

// estimate is the call time a quote assumes: T.30 phase B and C set-up, each
// page's coded size at the quote's bit rate, and per-page phase D.
func estimate(pages []*codec.Bitmap, fine bool, bitrate int) time.Duration {
	k := 2
	if fine {
		k = 4
	}
	d := 25 * time.Second // dialling, answer, DIS/DCS, TCF, CFR
	for _, p := range pages {
		data, err := codec.Encode(p, codec.Params{Scheme: codec.MR, K: k, Width: p.Width})
		n := len(data)
		if err != nil {
			n = p.Width * p.Height / 8 / 10
		}
		d += time.Duration(float64(n*8)/float64(bitrate)*float64(time.Second)) + 3*time.Second // + MPS/MCF, retrain
	}
	return d
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
