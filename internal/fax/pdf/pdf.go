// Package faxpdf writes minimal PDF files for fax: each fax page becomes
// an image XObject that carries the page's T.4/T.6 data unchanged under
// /Filter /CCITTFaxDecode (PDF 1.7 §7.4.6). Transmission reports and other
// text are internal/pdf's (a TrueType font, Chinese included).
package faxpdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"switchboard/internal/fax/codec"
	tifff "switchboard/internal/fax/tiff"
)

// A4 in points (ISO 216: 210 x 297 mm).
const (
	a4W = 595.28
	a4H = 841.89
)

// Image is a coded fax page ready to embed.
type Image struct {
	// Data is the coded page (any bit order: Params.Order says which).
	Data []byte
	// Params: Scheme, K, Order, Width. Height is taken from Height below.
	Params        codec.Params
	Width, Height int
	// XRes, YRes in pels per inch (204 x 98 or 196 for fax).
	XRes, YRes float64
}

// ImageFromTIFF takes a Class F page as is; only a multi-strip MMR page
// (which cannot be joined) is re-encoded.
func ImageFromTIFF(p *tifff.Page) (Image, error) {
	img := Image{Params: p.Params, Width: p.Width, Height: p.Height, XRes: p.XRes, YRes: p.YRes}
	if data, ok := p.Coded(); ok && !p.BlackIsZero {
		img.Data = data
		return img, nil
	}
	b, err := p.Decode()
	if err != nil {
		return Image{}, err
	}
	q := codec.Params{Scheme: codec.MMR, Width: b.Width}
	img.Params = q
	img.Data, err = codec.Encode(b, q)
	return img, err
}

// Document collects pages and writes them as one PDF.
type Document struct {
	objs  [][]byte // object bodies, object n is objs[n-1]
	pages []int    // page object numbers
}

// New returns an empty document.
func New() *Document {
	d := &Document{}
	d.add(nil) // 1: catalog, filled in by WriteTo
	d.add(nil) // 2: page tree
	return d
}

func (d *Document) add(body []byte) int {
	d.objs = append(d.objs, body)
	return len(d.objs)
}

func stream(dict string, data []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<< %s /Length %d >>\nstream\n", dict, len(data))
	b.Write(data)
	b.WriteString("\nendstream")
	return b.Bytes()
}

// AddFax adds one page showing the fax image at its physical size,
// scaled to the A4 width (the 215 mm fax line on a 210 mm page).
func (d *Document) AddFax(img Image) error {
	if img.Width <= 0 || img.Height <= 0 || len(img.Data) == 0 {
		return errors.New("faxpdf: empty image")
	}
	xres, yres := img.XRes, img.YRes
	if xres <= 0 {
		xres = tifff.XRes
	}
	if yres <= 0 {
		yres = tifff.YResStandard
	}
	data := img.Data
	if img.Params.Order == codec.LSBFirst {
		// PDF CCITTFaxDecode reads bits most significant first.
		data = codec.ReverseBits(data)
	}
	k := 0
	switch img.Params.Scheme {
	case codec.MR:
		k = max(img.Params.K, 2)
	case codec.MMR:
		k = -1
	}
	// PDF 1.7 Table 11: EOLs are present in G3 data (EndOfLine); the
	// end-of-block code may be missing in Class F data, so Rows decides.
	parms := fmt.Sprintf("<< /K %d /Columns %d /Rows %d /BlackIs1 false /EncodedByteAlign false /EndOfLine %t /EndOfBlock false >>",
		k, img.Width, img.Height, k >= 0)
	im := d.add(stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms %s",
		img.Width, img.Height, parms), data))

	wPt := float64(img.Width) / xres * 72
	hPt := float64(img.Height) / yres * 72
	scale := a4W / wPt
	w, h := a4W, hPt*scale
	pageH := max(a4H, h)
	content := fmt.Sprintf("q %.4f 0 0 %.4f 0 %.4f cm /Im0 Do Q", w, h, pageH-h)
	c := d.add(stream("", []byte(content)))
	d.pages = append(d.pages, d.add([]byte(fmt.Sprintf(
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>",
		a4W, pageH, im, c))))
	return nil
}

// WriteTo writes the PDF.
func (d *Document) WriteTo(w io.Writer) (int64, error) {
	if len(d.pages) == 0 {
		return 0, errors.New("faxpdf: no pages")
	}
	d.objs[0] = []byte("<< /Type /Catalog /Pages 2 0 R >>")
	var kids strings.Builder
	for i, p := range d.pages {
		if i > 0 {
			kids.WriteByte(' ')
		}
		fmt.Fprintf(&kids, "%d 0 R", p)
	}
	d.objs[1] = []byte(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids.String(), len(d.pages)))
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(d.objs))
	for i, body := range d.objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n", i+1)
		b.Write(body)
		b.WriteString("\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(d.objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(d.objs)+1, xref)
	n, err := w.Write(b.Bytes())
	return int64(n), err
}
