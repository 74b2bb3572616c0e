package faxdesk

import (
	"compress/zlib"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/font/gofont/goregular"

	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/folio/stays"
	"switchboard/internal/pdf"
	"switchboard/internal/store"
)

// cjkFont is the Chinese TrueType font of Debian's fonts-droid-fallback,
// the first switchboard looks for (cmd/switchboard/console_pdf.go).
const cjkFont = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"

// reportResult is a call that confirmed every page of n but the second.
func reportResult(n int, at time.Time) fax.SendResult {
	res := fax.SendResult{Pages: n, BitRate: 9600, Start: at, Duration: time.Duration(n) * 30 * time.Second, RemoteID: "+86 10 6512 3456"}
	for i := 1; i <= n; i++ {
		p := fax.PageResult{Page: i, Confirmed: i != 2, Code: fax.MCF, Tries: 1, BitRate: 9600, Duration: 30 * time.Second}
		if i == 2 {
			p.Code, p.Tries = fax.RTN, 3
		} else {
			res.PagesConfirmed++
		}
		res.PerPage = append(res.PerPage, p)
	}
	return res
}

// pageLine is the report's line of page i of reportResult.
func pageLine(i int) string {
	if i == 2 {
		return "Page 2: not confirmed (RTN), 9600 bit/s, 3 tries, 30.0 s"
	}
	return fmt.Sprintf("Page %d: confirmed (MCF), 9600 bit/s, 1 tries, 30.0 s", i)
}

// TestTransmissionReportPages: a long fax's report runs on over A4 pages
// (it used to run off its one page after 35 fax pages), the title on
// every page, page n / m at every foot, and each fax page's line once.
func TestTransmissionReportPages(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	checkIn(t, r, "1203", "Zhang Wei")
	for _, tc := range []struct {
		faxPages, pdfPages int
	}{
		// 13 lines before the pages' (results, guest, job, remote
		// station, blanks), 53 lines a page.
		{1, 1}, {40, 1}, {41, 2}, {300, 6},
	} {
		t.Run(fmt.Sprintf("%d fax pages", tc.faxPages), func(t *testing.T) {
			j := faxjobs.Job{ID: 7, Number: "010 6512 3456", Dial: "01065123456", Destination: "Beijing", Kind: "national", Room: "1203",
				Operator: "op07", Pages: tc.faxPages, Attempts: 1, MaxAttempts: 3, Created: r.h.Now()}
			res := reportResult(tc.faxPages, r.h.Now())
			b, n := r.d.reportPDF(context.Background(), j, res, faxjobs.Sent, res.PagesConfirmed)
			s := string(b)
			if n != tc.pdfPages || strings.Count(s, "/Type /Page /Parent") != n {
				t.Fatalf("%d pages (%d page objects), want %d", n, strings.Count(s, "/Type /Page /Parent"), tc.pdfPages)
			}
			for p := 1; p <= n; p++ {
				if !strings.Contains(s, fmt.Sprintf("(Page %d / %d) Tj", p, n)) {
					t.Errorf("no page number on page %d", p)
				}
			}
			if c := strings.Count(s, "(Fax transmission report"); c != n {
				t.Errorf("the title is on %d pages of %d", c, n)
			}
			var lines []string
			for i := 1; i <= tc.faxPages; i++ {
				lines = append(lines, pageLine(i))
				if c := strings.Count(s, pdf.Literal([]byte(pageLine(i)))); c != 1 {
					t.Errorf("%q is in the file %d times", pageLine(i), c)
				}
			}
			for _, want := range []string{"(Guest:            Zhang Wei) Tj", "(Remote station: +86 10 6512 3456) Tj", "(Pages confirmed:  " + fmt.Sprint(res.PagesConfirmed) + ") Tj"} {
				if !strings.Contains(s, want) {
					t.Errorf("no %q", want)
				}
			}
			readBack(t, b, lines)
		})
	}
}

// TestTransmissionReportChinese: the guest's name and the remote station's
// id are drawn with the gateway's font, which only the report's glyphs
// are embedded of; without a font they print as '?'. Go Regular stands in
// for a Chinese font where the machine has none (its Greek is outside the
// standard fonts as Chinese is).
func TestTransmissionReportChinese(t *testing.T) {
	t.Parallel()
	greek, err := pdf.ParseTrueType(goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	zh, zhErr := pdf.LoadTrueType(cjkFont)
	for _, tc := range []struct {
		name, guest, remote string
		font                *pdf.TrueType
		drawn               string // the characters the embedded font maps back
		text                []string
	}{
		{name: "no font", guest: "王小明", remote: "北京飯店", text: []string{"Guest: ???", "Remote station: ????"}},
		{name: "Greek font", guest: "Αλέξης", remote: "ΑΘΗΝΑ", font: greek, drawn: "ΑΘΗΝλ", text: []string{"Guest: Αλέξης", "Remote station: ΑΘΗΝΑ"}},
		{name: "Chinese font", guest: "王小明", remote: "北京飯店", font: zh, drawn: "王小明北京飯店", text: []string{"Guest: 王小明", "Remote station: 北京飯店"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "Chinese font" && zhErr != nil {
				t.Skipf("no Chinese font on this machine (%v): install fonts-droid-fallback; the Greek case covers the drawing", zhErr)
			}
			r := newRig(t, Options{PDFFont: tc.font})
			checkIn(t, r, "1203", tc.guest)
			res := reportResult(3, r.h.Now())
			res.RemoteID = tc.remote
			j := faxjobs.Job{ID: 9, Number: "010 6512 3456", Room: "1203", Pages: 3, Attempts: 1, MaxAttempts: 1, Created: r.h.Now()}
			b, n := r.d.reportPDF(context.Background(), j, res, faxjobs.Failed, 2)
			s := string(b)
			if n != 1 {
				t.Fatalf("%d pages", n)
			}
			if embedded := strings.Contains(s, "/Subtype /Type0"); embedded != (tc.font != nil) {
				t.Errorf("font embedded: %v", embedded)
			}
			mapped := toUnicode(t, s)
			for _, c := range tc.drawn {
				if !strings.ContainsRune(mapped, c) {
					t.Errorf("%q is not drawn with the embedded font (it maps %q)", c, mapped)
				}
			}
			readBack(t, b, tc.text)
		})
	}
}

// TestTransmissionReportWritten: an attempt through the queue leaves its
// report beside the job's pages.
func TestTransmissionReportWritten(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	id := r.queue("010 6512 3456", pagesOfText(2))
	r.attemptDue()
	j, err := faxjobs.GetJob(context.Background(), r.h.Store(), id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(j.Report)
	if err != nil {
		t.Fatalf("report %q: %v", j.Report, err)
	}
	if !strings.HasPrefix(string(b), "%PDF-1.4") || !strings.Contains(string(b), `(Page 2: confirmed \(MCF\)`) {
		t.Errorf("report:\n%s", b)
	}
	readBack(t, b, []string{"Page 1: confirmed (MCF), 14400 bit/s, 1 tries, 20.0 s", "Page 2: confirmed (MCF), 14400 bit/s, 1 tries, 20.0 s"})
}

func checkIn(t *testing.T, r *rig, room, guest string) {
	t.Helper()
	if err := r.h.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := stays.CheckIn(tx, stays.Stay{Room: room, Guest: guest, CheckIn: r.h.Now().Add(-24 * time.Hour)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// readBack checks, where poppler-utils is installed, that a PDF reader
// opens the file and finds each of lines exactly once (spaces aside: a
// reader may read the gap of a glyph set on two columns as one).
func readBack(t *testing.T, b []byte, lines []string) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		return
	}
	file := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	got := map[string]int{}
	for _, l := range strings.Split(string(out), "\n") {
		got[strings.Join(strings.Fields(l), "")]++
	}
	for _, l := range lines {
		if c := got[strings.Join(strings.Fields(l), "")]; c != 1 {
			t.Errorf("pdftotext reads %q %d times:\n%s", l, c, out)
		}
	}
}

// toUnicode is the characters a PDF's ToUnicode maps (its embedded font's
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
