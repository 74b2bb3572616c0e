package printdesk

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/goregular"

	"switchboard/internal/pdf"
)

// cjkFont is the Chinese TrueType font of Debian's fonts-droid-fallback,
// the first switchboard looks for (cmd/switchboard/console_pdf.go).
const cjkFont = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"

// TestTextPDFWide: with a font for what Courier cannot show, such a text
// prints, those characters drawn in it two columns wide (40 a line); a
// character neither font has is refused, and so is any without a font,
// saying what to install. Go Regular stands in for a Chinese font: its
// Greek is outside WinAnsiEncoding as Chinese is, and it has no Chinese.
func TestTextPDFWide(t *testing.T) {
	t.Parallel()
	greek, err := pdf.ParseTrueType(goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	alpha, _ := greek.Glyph('Α')
	a := pdf.Hex([]uint16{alpha})
	for _, tc := range []struct {
		name    string
		font    *pdf.TrueType
		text    string
		pages   int
		has     []string
		refused string
	}{
		{"Greek with the font", greek, "room 1203 Α", 1, []string{"(room 1203 ) Tj /F2 10 Tf [" + a}, ""},
		{"41 wide characters on two lines", greek, strings.Repeat("Α", 41), 1, []string{"Tm /F2 10 Tf [" + a}, ""},
		{"no font", nil, "room 1203 Α", 0, nil, "install Debian's fonts-droid-fallback"},
		{"Chinese the font lacks", greek, "ok\n房間", 0, nil, `line 2 has '房', which neither Courier nor the gateway's Chinese font has`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, n, err := TextPDF(tc.text, tc.font)
			if tc.refused != "" {
				if !errors.Is(err, ErrDocument) || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("error %v, want ErrDocument saying %q", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			if n != tc.pages || pdfPages(b) != tc.pages {
				t.Errorf("%d pages (%d page objects), want %d", n, pdfPages(b), tc.pages)
			}
			for _, h := range tc.has {
				if !strings.Contains(s, h) {
					t.Errorf("no %q in\n%s", h, s)
				}
			}
			if !strings.Contains(s, "/Subtype /Type0") || !strings.Contains(s, "/BaseFont /Courier ") {
				t.Error("the fonts are not Courier and the embedded one")
			}
			if strings.Count(s, "BT 1 0 0 1") != strings.Count(tc.text, "\n")+1+len([]rune(tc.text))/41 {
				t.Errorf("%d lines drawn", strings.Count(s, "BT 1 0 0 1"))
			}
		})
	}
}

// TestTextPDFChinese: a guest's Chinese text file prints with the
// machine's Chinese font, and a PDF reader (pdftotext, where installed)
// reads the text back.
func TestTextPDFChinese(t *testing.T) {
	t.Parallel()
	font, err := pdf.LoadTrueType(cjkFont)
	if err != nil {
		t.Skipf("no Chinese font on this machine (%v): install fonts-droid-fallback; without it the text is refused, as TestTextPDFWide checks", err)
	}
	text := "致前台：請將此文件交給1203房張偉先生。\nTo the front desk: room 1203, Mr Zhang.\n\t價格 NT$ 120\n"
	d, err := PrepareDocument([]byte(text), 0, font)
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != "application/pdf" || d.Converted != "text/plain" || d.Pages != 1 {
		t.Fatalf("%s from %q, %d pages", d.Format, d.Converted, d.Pages)
	}
	s := string(d.Data)
	for _, want := range []string{"/Subtype /CIDFontType2", "/FontFile2", "/ToUnicode", "(To the front desk: room 1203, Mr Zhang.) Tj"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q", want)
		}
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Log("pdftotext not installed: the text is not read back")
		return
	}
	file := filepath.Join(t.TempDir(), "zh.pdf")
	if err := os.WriteFile(file, d.Data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	got := strings.Join(strings.Fields(string(out)), "")
	for _, want := range []string{"致前台：請將此文件交給1203房張偉先生。", "價格NT$120"} {
		if !strings.Contains(got, want) {
			t.Errorf("pdftotext does not read %q:\n%s", want, out)
		}
	}
}
