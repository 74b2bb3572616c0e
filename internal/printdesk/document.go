package printdesk

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"switchboard/internal/events/printer"
	"switchboard/internal/pdf"
)

// Document is a file a clerk brought to print, made ready for
// print.submit: in a format the printers take (printer.Formats), with its
// page count for the quote.
type Document struct {
	Data   []byte
	Format string // a printer.Formats MIME type
	// Pages is the document's page count; 0 when it cannot be told (a PDF
	// whose page objects are compressed in a way not read here, a
	// PostScript file without its %%Pages comment): the clerk says it.
	Pages int
	// Converted names what the document was before ("text/plain",
	// "image/png"), "" when it is printed as it came.
	Converted string
}

// ErrDocument is wrapped by PrepareDocument's refusals: the file cannot be
// printed as it is (the clerk can do something about it).
var ErrDocument = errors.New("document not printable")

// PrepareDocument reads a file a clerk uploaded: PDF, PostScript and JPEG
// go to the printer as they are; PNG becomes JPEG and plain text a PDF
// (the printers' formats, printer.Formats, have neither). max bounds the
// result (printer.MaxDocument when 0). font draws the Chinese of a plain
// text (TextPDF); nil refuses such a text.
func PrepareDocument(data []byte, max int, font *pdf.TrueType) (Document, error) {
	if max <= 0 {
		max = printer.MaxDocument
	}
	if len(data) == 0 {
		return Document{}, fmt.Errorf("%w: the file is empty", ErrDocument)
	}
	if len(data) > max {
		return Document{}, fmt.Errorf("%w: %.1f MiB: the limit is %.1f MiB", ErrDocument, mib(len(data)), mib(max))
	}
	var d Document
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		d = Document{Data: data, Format: "application/pdf", Pages: pdfPages(data)}
	case bytes.HasPrefix(data, []byte("%!")):
		d = Document{Data: data, Format: "application/postscript", Pages: psPages(data)}
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		d = Document{Data: data, Format: "image/jpeg", Pages: 1}
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		// A few KiB of PNG can declare gigapixels: the size is checked
		// before the pixels are decoded.
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return Document{}, fmt.Errorf("%w: PNG image unreadable: %v", ErrDocument, err)
		}
		if px := int64(cfg.Width) * int64(cfg.Height); px > maxImagePixels {
			return Document{}, fmt.Errorf("%w: PNG image of %d × %d pixels: at most %d megapixels (A4 at 600 dpi); save it as PDF or JPEG",
				ErrDocument, cfg.Width, cfg.Height, maxImagePixels/1_000_000)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return Document{}, fmt.Errorf("%w: PNG image unreadable: %v", ErrDocument, err)
		}
		var b bytes.Buffer
		// Quality 92 keeps scanned text sharp at a fraction of PNG's size.
		if err := jpeg.Encode(&b, flatten(img), &jpeg.Options{Quality: 92}); err != nil {
			return Document{}, fmt.Errorf("PNG image not converted: %w", err)
		}
		d = Document{Data: b.Bytes(), Format: "image/jpeg", Pages: 1, Converted: "image/png"}
	case isText(data):
		file, pages, err := TextPDF(string(data), font)
		if err != nil {
			return Document{}, err
		}
		d = Document{Data: file, Format: "application/pdf", Pages: pages, Converted: "text/plain"}
	default:
		return Document{}, fmt.Errorf("%w: %s is not a PDF, PostScript, JPEG, PNG or plain text file: save it as PDF first",
			ErrDocument, http.DetectContentType(data))
	}
	if len(d.Data) > max {
		return Document{}, fmt.Errorf("%w: %.1f MiB once converted from %s: the limit is %.1f MiB", ErrDocument, mib(len(d.Data)), d.Converted, mib(max))
	}
	return d, nil
}

// maxImagePixels bounds a PNG converted to JPEG (A4 at 600 dpi is 35
// megapixels): decoded, each pixel takes 4 to 8 bytes of memory.
const maxImagePixels = 36_000_000

func mib(n int) float64 { return float64(n) / (1 << 20) }

// flatten puts an image with transparency on white paper (JPEG has no
// alpha; a transparent area would otherwise print black).
func flatten(img image.Image) image.Image {
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		return img
	}
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			// Over white: c + (1-a) for each premultiplied channel.
			w := 0xffff - a
			out.Pix[out.PixOffset(x, y)+0] = uint8((r + w) >> 8)
			out.Pix[out.PixOffset(x, y)+1] = uint8((g + w) >> 8)
			out.Pix[out.PixOffset(x, y)+2] = uint8((bl + w) >> 8)
			out.Pix[out.PixOffset(x, y)+3] = 0xff
		}
	}
	return out
}

// isText: valid UTF-8 without control characters other than tab, line
// feed, carriage return and form feed.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f {
			return false
		}
	}
	return true
}

// ISO 32000-1 §7.7.3.3: a page object's dictionary has /Type /Page (the
// page tree's nodes have /Type /Pages, which \b keeps out).
var pageType = regexp.MustCompile(`/Type\s*/Page\b`)

// pdfPages counts the page objects of a PDF, in the file and in its
// Flate-compressed object streams (ISO 32000-1 §7.5.7); 0 when none is
// found.
func pdfPages(b []byte) int {
	n := len(pageType.FindAllIndex(b, -1))
	rest := b
	for {
		i := bytes.Index(rest, []byte("/ObjStm"))
		if i < 0 {
			break
		}
		rest = rest[i:]
		s := bytes.Index(rest, []byte("stream"))
		if s < 0 {
			break
		}
		dict := rest[:s]
		body := rest[s+len("stream"):]
		// §7.3.8.1: the keyword stream is followed by CRLF or LF.
		body = bytes.TrimPrefix(body, []byte("\r"))
		body = bytes.TrimPrefix(body, []byte("\n"))
		e := bytes.Index(body, []byte("endstream"))
		if e < 0 {
			break
		}
		rest = body[e:]
		if !bytes.Contains(dict, []byte("/FlateDecode")) {
			continue
		}
		zr, err := zlib.NewReader(bytes.NewReader(body[:e]))
		if err != nil {
			continue
		}
		// An object stream holds objects, not images: 16 MiB is plenty,
		// and bounds a zip bomb.
		plain, _ := io.ReadAll(io.LimitReader(zr, 16<<20))
		zr.Close()
		n += len(pageType.FindAllIndex(plain, -1))
	}
	return n
}

// psPages reads a PostScript file's DSC page count (Adobe's Document
// Structuring Conventions 3.0, %%Pages:); 0 when absent or deferred.
func psPages(b []byte) int {
	// The comment is in the header, or "(atend)" there and in the trailer.
	const window = 64 << 10
	for _, part := range [][]byte{b[:min(len(b), window)], b[max(0, len(b)-window):]} {
		for line := range strings.Lines(string(part)) {
			if v, ok := strings.CutPrefix(line, "%%Pages:"); ok {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
					return n
				}
			}
		}
	}
	return 0
}
