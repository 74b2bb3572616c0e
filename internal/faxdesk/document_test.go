package faxdesk

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"switchboard/internal/fax/codec"
	"switchboard/internal/fax/textpage"
)

// A guest's Chinese text becomes fax pages (drawn with the system's CJK
// TrueType font); without that font, only ASCII text could be sent.
func TestFaxChineseTextPages(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(textpage.DefaultFont); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: `make test` installs fonts-droid-fallback", textpage.DefaultFont)
		}
		t.Skip("no CJK font")
	}
	pages, err := toPages(context.Background(), []byte("致前台：请将此传真转交1203房张伟先生。谢谢！\nTo the front desk: please hand this to Mr Zhang, room 1203.\n"), "text/plain", true, 10, time.Minute)
	if err != nil || len(pages) != 1 {
		t.Fatalf("pages = %d, %v", len(pages), err)
	}
	black := 0
	for y := 0; y < pages[0].Height; y++ {
		for x := 0; x < pages[0].Width; x++ {
			if pages[0].Black(x, y) {
				black++
			}
		}
	}
	if black < 2000 {
		t.Fatalf("%d black pels: the text was not drawn", black)
	}
}

// TestToPages: every format fax.send takes becomes A4 pages 1728 pels
// wide (T.4 §2.2); what is not a document, or has too many pages, is
// refused with why.
func TestToPages(t *testing.T) {
	t.Parallel()
	wide := codec.NewBitmap(1734, 300) // US Letter from Ghostscript
	wide.FillRect(0, 0, 1734, 10)
	tif := tiffOf(t, []*codec.Bitmap{wide, wide})
	for _, tc := range []struct {
		name, format string
		doc          []byte
		max, pages   int
		problem      string
	}{
		{"text", "text/plain", []byte("hello\n"), 5, 1, ""},
		{"two text pages", "text/plain", []byte(pagesOfText(2)), 5, 2, ""},
		{"over the limit", "text/plain", []byte(pagesOfText(3)), 2, 0, "more than 2 pages"},
		{"TIFF wider than A4", "image/tiff", tif, 5, 2, ""},
		{"not a TIFF", "image/tiff", []byte("II*\x00 broken"), 5, 0, "TIFF"},
		{"not a PNG", "image/png", []byte("\x89PNG\r\n\x1a\n broken"), 5, 0, "image"},
		{"unknown format", "image/gif", []byte("GIF89a"), 5, 0, "want one of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sniffFormat(tc.doc); tc.problem == "" && got != tc.format {
				t.Errorf("sniffFormat = %q, want %q", got, tc.format)
			}
			pages, err := toPages(context.Background(), tc.doc, tc.format, true, tc.max, time.Minute)
			if tc.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tc.problem) {
					t.Fatalf("%d pages, %v; want an error saying %q", len(pages), err, tc.problem)
				}
				return
			}
			if err != nil || len(pages) != tc.pages {
				t.Fatalf("%d pages, %v; want %d", len(pages), err, tc.pages)
			}
			for _, p := range pages {
				if p.Width != codec.WidthA4 {
					t.Fatalf("page %d pels wide", p.Width)
				}
			}
		})
	}
}

func tiffOf(t *testing.T, pages []*codec.Bitmap) []byte {
	t.Helper()
	path := t.TempDir() + "/doc.tif"
	if err := writeTIFF(path, pages, false, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
