package printdesk

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	"switchboard/internal/desk/desktest"
	"switchboard/internal/events/printer"
)

// TestQuoteIsWhatTheDeskBills: the price told before printing is the
// price the desk bills once the printer reports every impression of the
// job (the fake printer prints the document's pages per copy).
func TestQuoteIsWhatTheDeskBills(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		pages        int
		copies       int
		sides, color string
		media, size  string
		want         string
	}{
		{"one page mono: the minimum per job", 1, 1, "one-sided", "monochrome", "iso_a4_210x297mm", "A4", "2.00"},
		{"two pages two copies duplex", 2, 2, "two-sided-long-edge", "monochrome", "iso_a4_210x297mm", "A4", "3.20"},
		{"A3 colour", 3, 1, "one-sided", "color", "iso_a3_297x420mm", "A3", "30.00"},
		{"A4 colour duplex", 5, 3, "two-sided-short-edge", "color", "iso_a4_210x297mm", "A4", "67.50"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			r.prn.end = pages(tc.pages)
			q, err := QuoteJob(desktest.BusinessTariff(t, ""), r.d.sizeOf("prn1", tc.media), tc.pages, tc.copies, tc.sides, tc.color)
			if err != nil {
				t.Fatal(err)
			}
			if q.Size != tc.size || q.Impressions != int64(tc.pages*tc.copies) || q.Price.Price.String() != tc.want {
				t.Errorf("quote %s %d impressions %s, want %s %d impressions %s", q.Size, q.Impressions, q.Price.Price, tc.size, tc.pages*tc.copies, tc.want)
			}
			res, err := r.run("print.submit", printer.SubmitData{Room: "1203", Operator: "op07", Copies: tc.copies, Sides: tc.sides,
				Color: tc.color, Media: tc.media, Document: doc("x")})
			if err != nil {
				t.Fatal(err)
			}
			sr := res.(printer.SubmitResult)
			if sr.Amount == nil || sr.Amount.String() != q.Price.Price.String() || *sr.AmountMinor != q.Minor {
				t.Errorf("billed %v (%v minor), quoted %s (%d)", sr.Amount, sr.AmountMinor, q.Price.Price, q.Minor)
			}
		})
	}
}

func TestQuoteRefusals(t *testing.T) {
	t.Parallel()
	tariff := desktest.BusinessTariff(t, "")
	for _, tc := range []struct {
		name          string
		size          string
		pages, copies int
		color, want   string
	}{
		{"no pages", "A4", 0, 1, "monochrome", "at least 1"},
		{"no copies", "A4", 3, 0, "monochrome", "at least 1"},
		{"unknown size", "", 1, 1, "monochrome", "does not know the media"},
		{"size the tariff lacks", "B5", 1, 1, "monochrome", `no price for size "B5"`},
		{"Legal colour has a price", "Legal", 1, 1, "color", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := QuoteJob(tariff, tc.size, tc.pages, tc.copies, "one-sided", tc.color)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v, want a price", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestPrepareDocument(t *testing.T) {
	t.Parallel()
	// An uncompressed two-page PDF, and one whose pages sit in a
	// Flate-compressed object stream.
	plain := "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Count 2 >> endobj\n" +
		"3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n4 0 obj << /Type/Page /Parent 2 0 R >> endobj\n%%EOF\n"
	// zlib of "5 0 6 26 7 52 << /Type /Page >> << /Type /Page >> << /Type /Page >>"
	objStm, _ := base64.StdEncoding.DecodeString("eJwzVTBQMFMwMlMwVzA1UrCxUdAPqSxIVdAPSExPVbCzI0YEABsLERU=")
	compressed := "%PDF-1.5\n8 0 obj << /Type /ObjStm /N 3 /First 14 /Filter /FlateDecode /Length 41 >>\nstream\n" + string(objStm) + "\nendstream\nendobj\n%%EOF\n"
	pngDoc, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAEUlEQVR4nGP4z8DQAMIMMAYAOOgF/REzMMkAAAAASUVORK5CYII=")
	for _, tc := range []struct {
		name      string
		data      []byte
		max       int
		format    string
		pages     int
		converted string
		refused   string
	}{
		{"pdf", []byte(plain), 0, "application/pdf", 2, "", ""},
		{"pdf object stream", []byte(compressed), 0, "application/pdf", 3, "", ""},
		{"postscript atend", []byte("%!PS-Adobe-3.0\n%%Pages: (atend)\nshowpage\n%%Trailer\n%%Pages: 4\n%%EOF\n"), 0, "application/postscript", 4, "", ""},
		{"postscript no count", []byte("%!PS\nshowpage\n"), 0, "application/postscript", 0, "", ""},
		{"jpeg", []byte("\xff\xd8\xff\xe0rest"), 0, "image/jpeg", 1, "", ""},
		{"png to jpeg", pngDoc, 0, "image/jpeg", 1, "image/png", ""},
		{"text", []byte(strings.Repeat("a line\n", 61)), 0, "application/pdf", 2, "text/plain", ""},
		{"empty", nil, 0, "", 0, "", "empty"},
		{"over the limit", make([]byte, 101), 100, "", 0, "", "the limit is"},
		{"chinese text without a font", []byte("房間 1203\n"), 0, "", 0, "", "install Debian's fonts-droid-fallback"},
		{"binary", []byte{0, 1, 2, 3, 0xfe}, 0, "", 0, "", "not a PDF"},
		{"broken png", []byte("\x89PNG\r\n\x1a\nxx"), 0, "", 0, "", "PNG image unreadable"},
		{"png of gigapixels", hugePNG(), 0, "", 0, "", "at most 36 megapixels"},
		{"text of too many pages", []byte(strings.Repeat("x\n", 60*maxTextPages+1)), 0, "", 0, "", "over 500 pages"},
		{"text of as many pages as allowed", []byte(strings.Repeat("x\n", 60*maxTextPages)), 0, "application/pdf", maxTextPages, "text/plain", ""},
		{"form feeds of too many pages", []byte(strings.Repeat("x\f", maxTextPages+1)), 0, "", 0, "", "over 500 pages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := PrepareDocument(tc.data, tc.max, nil)
			if tc.refused != "" {
				if err == nil || !errors.Is(err, ErrDocument) || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("error %v, want ErrDocument saying %q", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Format != tc.format || d.Pages != tc.pages || d.Converted != tc.converted {
				t.Errorf("got %s %d pages (from %q), want %s %d pages (from %q)", d.Format, d.Pages, d.Converted, tc.format, tc.pages, tc.converted)
			}
			if tc.converted == "text/plain" && pdfPages(d.Data) != tc.pages {
				t.Errorf("the text's PDF has %d page objects, want %d", pdfPages(d.Data), tc.pages)
			}
		})
	}
}

// TestTextPDF: lines wrap at 80 columns, 60 lines a page, a form feed
// starts a page, tabs expand, and PDF string delimiters are escaped.
func TestTextPDF(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		text  string
		pages int
		has   []string
	}{
		{"one line", "hello (world) \\ ok", 1, []string{`(hello \(world\) \\ ok) Tj`}},
		{"wrapped", strings.Repeat("x", 85), 1, []string{"(" + strings.Repeat("x", 80) + ") Tj", "(xxxxx) Tj"}},
		{"sixty lines", strings.Repeat("l\n", 60), 1, nil},
		{"sixty-one lines", strings.Repeat("l\n", 61), 2, nil},
		{"form feed", "page one\fpage two", 2, []string{"(page one) Tj", "(page two) Tj"}},
		{"tab", "a\tb", 1, []string{"(a       b) Tj"}},
		{"euro", "5 €", 1, []string{"(5 \x80) Tj"}},
		{"crlf", "a\r\nb\r\n", 1, []string{"56.0 776 Tm /F1 10 Tf (a) Tj ET\nBT 1 0 0 1 56.0 764 Tm /F1 10 Tf (b) Tj ET"}},
		{"tab at the edge", strings.Repeat("x", 78) + "\ty", 1, []string{"(" + strings.Repeat("x", 78) + "  ) Tj", "(y) Tj"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdf, n, err := TextPDF(tc.text, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.pages || pdfPages(pdf) != tc.pages {
				t.Errorf("%d pages (%d page objects), want %d", n, pdfPages(pdf), tc.pages)
			}
			for _, h := range tc.has {
				if !strings.Contains(string(pdf), h) {
					t.Errorf("no %q in\n%s", h, pdf)
				}
			}
			// startxref points at the table, and each entry at its object.
			s := string(pdf)
			start := s[strings.LastIndex(s, "startxref\n")+len("startxref\n"):]
			at := atoi(t, start[:strings.IndexByte(start, '\n')])
			if !strings.HasPrefix(s[at:], "xref\n") {
				t.Fatalf("startxref %d does not point at the table", at)
			}
			entries := strings.Split(s[at:], "\n")[3:] // xref, "0 N", the free entry
			for i := 1; i < 4+2*n; i++ {
				if off := atoi(t, entries[i-1][:10]); !strings.HasPrefix(s[off:], fmt.Sprintf("%d 0 obj", i)) {
					t.Errorf("xref entry %d: offset %d is not the object", i, off)
				}
			}
		})
	}
}

// hugePNG is the header of a PNG of 100,000 × 100,000 pixels (no pixel
// data: the size must be refused before any is decoded).
func hugePNG() []byte {
	ihdr := []byte("IHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x02\x00\x00\x00")
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d")
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}
