package console

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/events/fax"
	"switchboard/internal/events/printer"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/folio/stays"
	"switchboard/internal/pdf"
	"switchboard/internal/store"
)

// TestFaxPrintReportLanguages: with the machine's Chinese font the
// printed transmission report is in the page's language and draws the
// guest's Chinese name; in English only the name is Chinese; without the
// font it is in English whatever the page's language, the name as '?'. A
// fax of 120 pages runs on over three sheets, each page's line once.
func TestFaxPrintReportLanguages(t *testing.T) {
	zh, zhErr := pdf.LoadTrueType(cjkFont)
	f, h, pv := newFaxFixture(t)
	fo := &FaxOptions{Desk: pv, Devices: []string{"fax1"}, MaxUpload: testUpload, SendWait: 100 * time.Millisecond}
	if err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := stays.CheckIn(tx, stays.Stay{Room: "1203", Guest: "王小明", CheckIn: f.clock.now().Add(-24 * time.Hour)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var pages []fax.Page
	for i := 1; i <= 120; i++ {
		pages = append(pages, fax.Page{Page: i, Confirmed: true, Code: "MCF", Tries: 1, Attempt: 1, DurationS: 9.5})
	}
	for _, tc := range []struct {
		name, lang string
		font       bool
		drawn      string   // characters the embedded font draws
		notDrawn   string   // characters it must not (English labels)
		texts      []string // as a PDF reader reads them, spaces aside
	}{
		{name: "Chinese page, font", lang: "zh-Hant", font: true, drawn: "王小明傳真號碼客人結果第頁共已確認",
			texts: []string{"傳真傳送報告-第%d號工作", "客人：王小明", "傳真號碼：01065123456(Beijing)", "第120頁：已確認（MCF），第1次嘗試，試1次，9.5秒", "第3頁，共3頁", "結果：已發送"}},
		{name: "English page, font", lang: "en", font: true, drawn: "王小明", notDrawn: "傳客第",
			texts: []string{"Faxtransmissionreport-job%d", "Guest:王小明", "Page120:confirmed(MCF),attempt1,1tries,9.5s", "Page3/3"}},
		{name: "Chinese page, no font", lang: "zh-Hant",
			texts: []string{"Faxtransmissionreport-job%d", "Guest:???", "Page3/3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.font && zhErr != nil {
				t.Skipf("no Chinese font on this machine (%v): install fonts-droid-fallback; the report is then in English, as the last case checks", zhErr)
			}
			withPrinters(t, f, h, fo, DeviceInfo{ID: "prn1", Domain: "print"})
			if tc.font {
				f.c.o.PDFFont = zh
			}
			id := endedJob(t, f, "c-"+tc.name, "x.tif", faxjobs.Sent, pages)
			b, tok := signedIn(t, f, "0002")
			before := len(h.commands())
			res := b.do("POST", fmt.Sprintf("/fax/jobs/%d/print?lang=%s", id, tc.lang), url.Values{"csrf": {tok}})
			cmds := h.commands()[before:]
			if len(cmds) != 1 {
				t.Fatalf("%d commands sent: %d %.300s", len(cmds), res.code, res.body)
			}
			doc, err := base64.StdEncoding.DecodeString(cmds[0].data.(printer.SubmitData).Document)
			if err != nil {
				t.Fatal(err)
			}
			if n := pdfObjects(t, doc); n != 3 {
				t.Errorf("%d pages, want 3 (13 lines and 120 pages' lines, 53 a page)", n)
			}
			drawn := toUnicode(t, string(doc))
			for _, r := range tc.drawn {
				if !strings.ContainsRune(drawn, r) {
					t.Errorf("%q is not drawn (drawn: %s)", r, drawn)
				}
			}
			for _, r := range tc.notDrawn {
				if strings.ContainsRune(drawn, r) {
					t.Errorf("%q drawn in English", r)
				}
			}
			if !tc.font && strings.Contains(string(doc), "/Type0") {
				t.Error("a font embedded without one")
			}
			if _, err := exec.LookPath("pdftotext"); err != nil {
				return
			}
			file := filepath.Join(t.TempDir(), "report.pdf")
			if err := os.WriteFile(file, doc, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("pdftotext", "-layout", file, "-").CombinedOutput()
			if err != nil {
				t.Fatalf("pdftotext: %v\n%s", err, out)
			}
			read := map[string]int{}
			for _, l := range strings.Split(string(out), "\n") {
				read[strings.Join(strings.Fields(l), "")]++
			}
			for _, w := range tc.texts {
				if strings.Contains(w, "%d") {
					w = fmt.Sprintf(w, id)
				}
				if !strings.Contains(strings.Join(strings.Fields(string(out)), ""), w) {
					t.Errorf("pdftotext does not read %q:\n%s", w, out)
				}
			}
			for i := 1; i <= len(pages); i++ {
				n := 0
				for l, c := range read {
					if strings.HasPrefix(l, fmt.Sprintf("Page%d:", i)) || strings.HasPrefix(l, fmt.Sprintf("第%d頁：", i)) {
						n += c
					}
				}
				if n != 1 {
					t.Errorf("page %d's line is read %d times", i, n)
				}
			}
		})
	}
}
