package console

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"switchboard/internal/events/printer"
	"switchboard/internal/pdf"
)

// TestPrintChineseText: a guest's Chinese text file is quoted and sent as
// a PDF drawn with the machine's Chinese font (Options.PDFFont); without
// the font it is refused, saying what to install.
func TestPrintChineseText(t *testing.T) {
	font, err := pdf.LoadTrueType(cjkFont)
	for _, tc := range []struct {
		name string
		font bool
	}{
		{"with the font", true},
		{"without a font", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.font && err != nil {
				t.Skipf("no Chinese font on this machine (%v): install fonts-droid-fallback; without it the text is refused, as the other case checks", err)
			}
			f, _ := printFixture(t)
			if tc.font {
				f.c.o.PDFFont = font
			}
			b := f.browser(t)
			_, tok := b.signIn("0002", "1234")
			res := b.uploadFields("/print/confirm", printFields(tok, nil), "note.txt", []byte("致前台：請將此文件交給1203房張偉先生。\n"))
			if !tc.font {
				msg := template.HTMLEscapeString(translate(langEN, "print.document"))
				if res.code != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="problem">`+msg) ||
					!strings.Contains(res.body, "install Debian&#39;s fonts-droid-fallback") {
					t.Fatalf("%d, want 422 saying to install the font\n%s", res.code, res.body)
				}
				return
			}
			if res.code != http.StatusOK {
				t.Fatalf("confirm: %d\n%s", res.code, res.body)
			}
			token := regexpToken.FindStringSubmatch(res.body)
			if token == nil {
				t.Fatalf("no token on the confirm page\n%s", res.body)
			}
			if res = b.do("POST", "/print/submit", url.Values{"csrf": {tok}, "token": {token[1]}}); res.code != http.StatusSeeOther {
				t.Fatalf("submit: %d\n%s", res.code, res.body)
			}
			sent := f.c.o.Host.(*fakeHost).sent
			if len(sent) != 1 {
				t.Fatalf("sent %+v", sent)
			}
			d := sent[0].data.(printer.SubmitData)
			doc, _ := base64.StdEncoding.DecodeString(d.Document)
			if d.Format != "application/pdf" || pdfObjects(t, doc) != 1 {
				t.Fatalf("sent %s", d.Format)
			}
			drawn := toUnicode(t, string(doc))
			for _, r := range "致前台請將此文件交給房張偉先生" {
				if !strings.ContainsRune(drawn, r) {
					t.Errorf("%q is not drawn (drawn: %s)", r, drawn)
				}
			}
		})
	}
}
