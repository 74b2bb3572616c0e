package console

import (
	"compress/zlib"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"switchboard/internal/pdf"
)

// cjkFont is the Chinese TrueType font Debian's fonts-droid-fallback
// installs; switchboard run looks for it (and others) the same way.
const cjkFont = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"

// toUnicode is the characters a PDF's ToUnicode maps (its wide font's
// glyphs), read from its compressed streams.
func toUnicode(t *testing.T, s string) string {
	t.Helper()
	var out strings.Builder
	for _, m := range regexp.MustCompile(`(?s)/Filter /FlateDecode >>\nstream\n(.*?)\nendstream`).FindAllStringSubmatch(s, -1) {
		z, err := zlib.NewReader(strings.NewReader(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(z)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range regexp.MustCompile(`<[0-9A-F]{4}> <([0-9A-F]{4})>`).FindAllStringSubmatch(string(b), -1) {
			var r rune
			fmt.Sscanf(u[1], "%X", &r)
			out.WriteRune(r)
		}
	}
	return out.String()
}

// TestReportPDFChinese: with a Chinese font, a report's PDF is in the
// page's language (titles, columns, cells, header and footer) and draws
// Chinese data; in English only the data is Chinese.
func TestReportPDFChinese(t *testing.T) {
	font, err := pdf.LoadTrueType(cjkFont)
	if err != nil {
		t.Skipf("no Chinese font on this machine (%v): the PDFs are in English, as TestReportPDF checks", err)
	}
	f := newFixture(t, false, nil)
	f.c.o.PDFFont, f.c.o.Hotel = font, "Grand"
	addCharge(t, f.st, "k1", "王小明", "0002", time.Date(2026, 12, 4, 10, 0, 0, 0, site), 1250)
	b := f.browser(t)
	_, tok := b.signIn("0003", "1234")
	for _, tc := range []struct {
		lang     string
		drawn    []string // characters the wide font drew
		notDrawn []string
		texts    []string // in the page streams
	}{
		{"zh-Hant", []string{"王小明", "商務中心營收", "收費明細", "合計", "第頁共", "主管", "核准人", "依服務"}, nil, []string{"(Grand \xb7 ) Tj"}},
		{"en", []string{"王小明"}, []string{"商", "第"}, []string{"(Grand \xb7 Business centre revenue) Tj", "(Charges) Tj", "(Page 1 / 1) Tj"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			res := b.do("POST", "/reports/business/pdf?lang="+tc.lang, url.Values{"csrf": {tok}, "date": {"2026-12-04"}, "approved_by": {"經理 Wang"}})
			if res.code != 200 || !strings.HasPrefix(res.body, "%PDF-") {
				t.Fatalf("%d %.200s", res.code, res.body)
			}
			drawn := toUnicode(t, res.body)
			for _, w := range tc.drawn {
				for _, r := range w {
					if !strings.ContainsRune(drawn, r) {
						t.Errorf("%q is not drawn (drawn: %s)", r, drawn)
					}
				}
			}
			for _, w := range tc.notDrawn {
				if strings.Contains(drawn, w) {
					t.Errorf("%q drawn in English", w)
				}
			}
			for _, w := range tc.texts {
				if !strings.Contains(res.body, w) {
					t.Errorf("no %q", w)
				}
			}
			if strings.Contains(res.body, "fonts cannot show") {
				t.Error("characters marked lost")
			}
		})
	}
}
