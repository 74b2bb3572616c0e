package console

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/business"
	"switchboard/internal/events/fax"
	"switchboard/internal/events/printer"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/store"
)

// endedJob queues a fax job whose pages are doc (a TIFF file) and records
// its end in state, with per-page results, as the desk does.
func endedJob(t *testing.T, f *fixture, command, doc, state string, pages []fax.Page) int64 {
	t.Helper()
	now := f.clock.now()
	res, _ := json.Marshal(pages)
	confirmed := 0
	for _, p := range pages {
		if p.Confirmed {
			confirmed++
		}
	}
	var id int64
	if err := f.st.InTx(context.Background(), func(tx *store.Tx) (err error) {
		if id, err = faxjobs.Enqueue(tx, faxjobs.Job{CommandID: command, Device: "fax1", Number: "010 6512 3456", Canonical: "861065123456",
			Destination: "Beijing", Room: "1203", Operator: "0002", Document: doc, Pages: len(pages), Fine: true}, faxjobs.DefaultPolicy(), now); err != nil {
			return err
		}
		if state == faxjobs.Queued {
			return nil
		}
		return faxjobs.Finish(tx, id, faxjobs.Attempt{Outcome: faxjobs.Outcome{Pages: len(pages), Confirmed: confirmed, Error: "NO CARRIER"},
			RemoteID: "+86 10 6512 3456", Start: now, Duration: 40 * time.Second, Result: string(res), Total: confirmed}, state, now, now)
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestFaxResend: a failed fax is re-sent from its page, quoted first, as
// a new fax.send of the same stored pages, number, room and resolution by
// the clerk; the two job pages link each other and the first is not
// re-sent twice. A fax that went through, or one still being sent, is
// refused with why and nothing is sent.
func TestFaxResend(t *testing.T) {
	f, h, _ := newFaxFixture(t)
	tif := filepath.Join(t.TempDir(), "out.tif")
	writeChartTIFF(t, tif)
	tiff, err := os.ReadFile(tif)
	if err != nil {
		t.Fatal(err)
	}
	one := []fax.Page{{Page: 1, Code: "RTN", Tries: 3, Attempt: 1}}
	b, tok := signedIn(t, f, "0002")
	for _, tc := range []struct {
		name, state string
		status      int
		says        string
	}{
		{name: "sent", state: faxjobs.Sent, status: http.StatusConflict, says: "went through"},
		{name: "queued", state: faxjobs.Queued, status: http.StatusConflict, says: "still queued"},
		{name: "failed", state: faxjobs.Failed, status: http.StatusOK, says: `id="resend-confirm"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := endedJob(t, f, "c-"+tc.name, tif, tc.state, one)
			page := b.do("GET", fmt.Sprintf("/fax/jobs/%d", id), nil)
			if offered := strings.Contains(page.body, `id="resend"`); offered != (tc.state == faxjobs.Failed) {
				t.Errorf("re-send offered: %v for a %s job", offered, tc.state)
			}
			before := len(h.commands())
			res := b.do("POST", fmt.Sprintf("/fax/jobs/%d/resend", id), url.Values{"csrf": {tok}})
			if res.code != tc.status || !strings.Contains(res.body, tc.says) {
				t.Fatalf("re-send: %d, want %d saying %q:\n%s", res.code, tc.status, tc.says, res.body)
			}
			if n := len(h.commands()); n != before {
				t.Fatalf("the quote step sent %d commands", n-before)
			}
			if tc.state != faxjobs.Failed {
				if res := b.do("POST", fmt.Sprintf("/fax/jobs/%d/resend", id), url.Values{"csrf": {tok}, "confirm": {"yes"}}); res.code != tc.status {
					t.Errorf("confirmed re-send: %d, want %d", res.code, tc.status)
				}
				if n := len(h.commands()); n != before {
					t.Errorf("a %s fax was re-sent", tc.state)
				}
				return
			}
			if !strings.Contains(res.body, `id="resend-pages">1 (fine)`) || !strings.Contains(res.body, "CNY") {
				t.Errorf("the confirm step does not quote 1 fine page with its price:\n%s", res.body)
			}
			res = b.do("POST", fmt.Sprintf("/fax/jobs/%d/resend", id), url.Values{"csrf": {tok}, "confirm": {"yes"}})
			cmds := h.commands()
			if len(cmds) != before+1 {
				t.Fatalf("%d commands sent, want 1", len(cmds)-before)
			}
			c := cmds[before]
			d, _ := c.data.(fax.SendData)
			if c.name != "fax.send" || c.device != "fax1" || d.To != "010 6512 3456" || d.Room != "1203" || d.Operator != "0002" || d.Resolution != "fine" ||
				d.Format != "image/tiff" || d.Document != base64.StdEncoding.EncodeToString(tiff) || c.by.Username != "0002" {
				t.Errorf("sent %s to %s as %s: %+v", c.name, c.device, c.by.Username, d)
			}
			loc := res.header.Get("Location")
			m := regexp.MustCompile(`^/fax/jobs/(\d+)$`).FindStringSubmatch(loc)
			if res.code != http.StatusSeeOther || m == nil || m[1] == strconv.FormatInt(id, 10) {
				t.Fatalf("after the re-send: %d to %q, want the new job's page", res.code, loc)
			}
			newPage := b.do("GET", loc, nil)
			if want := fmt.Sprintf(`<a href="/fax/jobs/%d">#%d</a>`, id, id); !strings.Contains(newPage.body, `id="resend-of"`) || !strings.Contains(newPage.body, want) {
				t.Errorf("the new job does not say it re-sends #%d:\n%s", id, newPage.body)
			}
			old := b.do("GET", fmt.Sprintf("/fax/jobs/%d", id), nil)
			if want := fmt.Sprintf(`<a href="%s">#%s</a>`, loc, m[1]); !strings.Contains(old.body, `id="resent-as"`) || !strings.Contains(old.body, want) || strings.Contains(old.body, `id="resend"`) {
				t.Errorf("the first job does not say it was re-sent as #%s (or still offers a re-send):\n%s", m[1], old.body)
			}
			again := b.do("POST", fmt.Sprintf("/fax/jobs/%d/resend", id), url.Values{"csrf": {tok}, "confirm": {"yes"}})
			if again.code != http.StatusConflict || !strings.Contains(again.body, "re-sent already") || len(h.commands()) != before+1 {
				t.Errorf("second re-send: %d, %d commands:\n%s", again.code, len(h.commands())-before, again.body)
			}
		})
	}
}

// TestFaxResendRefusedByDesk: a re-send the desk refuses is not linked:
// the page says why and the job can be re-sent again.
func TestFaxResendRefusedByDesk(t *testing.T) {
	f, h, _ := newFaxFixture(t)
	tif := filepath.Join(t.TempDir(), "out.tif")
	writeChartTIFF(t, tif)
	id := endedJob(t, f, "c1", tif, faxjobs.Failed, []fax.Page{{Page: 1, Code: "RTN"}})
	b, tok := signedIn(t, f, "0002")
	h.failWith = "data.to: the line is barred"
	res := b.do("POST", fmt.Sprintf("/fax/jobs/%d/resend", id), url.Values{"csrf": {tok}, "confirm": {"yes"}})
	if res.code != http.StatusUnprocessableEntity || !strings.Contains(res.body, "the line is barred") {
		t.Fatalf("refused re-send: %d\n%s", res.code, res.body)
	}
	h.failWith = ""
	if page := b.do("GET", fmt.Sprintf("/fax/jobs/%d", id), nil); !strings.Contains(page.body, `id="resend"`) || strings.Contains(page.body, `id="resent-as"`) {
		t.Errorf("after a refused re-send the job is not offered again:\n%s", page.body)
	}
	if res := b.do("POST", fmt.Sprintf("/fax/jobs/%d/resend", id), url.Values{"csrf": {tok}, "confirm": {"yes"}}); res.code != http.StatusSeeOther {
		t.Errorf("re-send after the refusal: %d", res.code)
	}
}

// withPrinters rebuilds the fixture's console with these configured
// devices (the print domain's are the printers).
func withPrinters(t *testing.T, f *fixture, h *faxHost, fo *FaxOptions, devices ...DeviceInfo) {
	t.Helper()
	var err error
	f.c, err = New(Options{Host: h, Location: site, Operators: f.ops, Now: f.clock.now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Fax: fo, Devices: devices})
	if err != nil {
		t.Fatal(err)
	}
}

// pdfObjects checks that b is a PDF whose cross-reference table points at
// each of its objects (what a reader follows) and returns the page count
// its page tree declares.
func pdfObjects(t *testing.T, b []byte) int {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("%%EOF")) {
		t.Fatalf("not a PDF: %.40q", b)
	}
	m := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no startxref")
	}
	at, _ := strconv.Atoi(string(m[1]))
	if at >= len(b) || !bytes.HasPrefix(b[at:], []byte("xref\n")) {
		t.Fatalf("startxref %d does not point at the xref table", at)
	}
	var first, n int
	if _, err := fmt.Sscanf(string(b[at:]), "xref\n%d %d\n", &first, &n); err != nil || first != 0 || n < 2 {
		t.Fatalf("xref header: %v (%d %d)", err, first, n)
	}
	rows := strings.Split(string(b[at:]), "\n")[2 : 2+n]
	for obj := 1; obj < n; obj++ {
		var off, gen int
		var kind string
		if _, err := fmt.Sscanf(rows[obj], "%d %d %s", &off, &gen, &kind); err != nil || kind != "n" {
			t.Fatalf("xref row %d %q: %v", obj, rows[obj], err)
		}
		if want := fmt.Sprintf("%d 0 obj", obj); off >= len(b) || !bytes.HasPrefix(b[off:], []byte(want)) {
			t.Fatalf("object %d is not at %d", obj, off)
		}
	}
	c := regexp.MustCompile(`/Type /Pages /Kids \[[^\]]*\] /Count (\d+)`).FindSubmatch(b)
	if c == nil {
		t.Fatal("no page tree")
	}
	pages, _ := strconv.Atoi(string(c[1]))
	return pages
}

// TestFaxPrintReport: an ended job's transmission report goes to the
// business centre's printer as print.submit for the house (not billed to
// the guest): a PDF with the number, each page's result, the remote
// station, the operator and who printed it, continued on a second sheet
// when the pages do not fit one. Without a printer the button is absent
// with a note; a job still running has no report to print.
func TestFaxPrintReport(t *testing.T) {
	f, h, pv := newFaxFixture(t)
	fo := &FaxOptions{Desk: pv, Devices: []string{"fax1"}, MaxUpload: testUpload, SendWait: 100 * time.Millisecond}
	var many []fax.Page
	for i := 1; i <= 50; i++ {
		many = append(many, fax.Page{Page: i, Confirmed: i != 2, Code: map[bool]string{true: "MCF", false: "RTN"}[i != 2], Tries: 1, Attempt: 1, DurationS: 9.5})
	}
	for _, tc := range []struct {
		name     string
		printers []DeviceInfo
		pages    []fax.Page
		state    string
		form     url.Values
		status   int
		device   string
		sheets   int
		says     string
	}{
		{name: "one printer", printers: []DeviceInfo{{ID: "prn1", Domain: "print"}, {ID: "fax1", Domain: "fax"}}, pages: many[:3], state: faxjobs.Failed,
			status: http.StatusSeeOther, device: "prn1", sheets: 1},
		{name: "the second printer", printers: []DeviceInfo{{ID: "prn1", Domain: "print"}, {ID: "prn2", Domain: "print"}}, pages: many, state: faxjobs.Sent,
			form: url.Values{"printer": {"prn2"}}, status: http.StatusSeeOther, device: "prn2", sheets: 2},
		{name: "unknown printer", printers: []DeviceInfo{{ID: "prn1", Domain: "print"}}, pages: many[:1], state: faxjobs.Sent,
			form: url.Values{"printer": {"fax1"}}, status: http.StatusUnprocessableEntity, says: "not configured"},
		{name: "no printer", pages: many[:1], state: faxjobs.Sent, status: http.StatusServiceUnavailable, says: "no printer is configured"},
		{name: "still queued", printers: []DeviceInfo{{ID: "prn1", Domain: "print"}}, pages: many[:1], state: faxjobs.Queued,
			status: http.StatusConflict, says: "still queued"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withPrinters(t, f, h, fo, tc.printers...)
			id := endedJob(t, f, "c-"+tc.name, "x.tif", tc.state, tc.pages)
			b, tok := signedIn(t, f, "0002")
			page := b.do("GET", fmt.Sprintf("/fax/jobs/%d", id), nil)
			offered, note := strings.Contains(page.body, `id="print-report"`), strings.Contains(page.body, `id="no-printer"`)
			if final := tc.state != faxjobs.Queued; offered != (final && len(tc.printers) > 0 && tc.printers[0].Domain == "print") || note != (final && tc.printers == nil) {
				t.Errorf("print button %v, note %v", offered, note)
			}
			before := len(h.commands())
			form := url.Values{"csrf": {tok}}
			for k, v := range tc.form {
				form[k] = v
			}
			res := b.do("POST", fmt.Sprintf("/fax/jobs/%d/print", id), form)
			if res.code != tc.status || !strings.Contains(res.body, tc.says) {
				t.Fatalf("print: %d, want %d saying %q\n%s", res.code, tc.status, tc.says, res.body)
			}
			cmds := h.commands()[before:]
			if tc.device == "" {
				if len(cmds) != 0 {
					t.Errorf("%d commands sent", len(cmds))
				}
				return
			}
			if len(cmds) != 1 || cmds[0].name != "print.submit" || cmds[0].domain != "print" || cmds[0].device != tc.device {
				t.Fatalf("sent %+v", cmds)
			}
			d := cmds[0].data.(printer.SubmitData)
			if d.Room != business.House || d.Operator != "0002" || d.Format != "application/pdf" {
				t.Errorf("print.submit for room %q by %q as %q, want the house's PDF by 0002", d.Room, d.Operator, d.Format)
			}
			pdf, err := base64.StdEncoding.DecodeString(d.Document)
			if err != nil {
				t.Fatal(err)
			}
			if n := pdfObjects(t, pdf); n != tc.sheets {
				t.Errorf("%d pages in the report, want %d", n, tc.sheets)
			}
			// A real reader, where the machine has one (poppler-utils).
			if _, err := exec.LookPath("pdftotext"); err == nil {
				file := filepath.Join(t.TempDir(), "report.pdf")
				if err := os.WriteFile(file, pdf, 0o600); err != nil {
					t.Fatal(err)
				}
				out, err := exec.Command("pdftotext", "-layout", file, "-").CombinedOutput()
				if last := fmt.Sprintf("Page %d: ", len(tc.pages)); err != nil || !strings.Contains(string(out), last) || !strings.Contains(string(out), "Remote station") {
					t.Errorf("pdftotext: %v\n%s", err, out)
				}
			}
			for _, w := range []string{fmt.Sprintf("job %d", id), "010 6512 3456 \\(Beijing\\)", "Page 2: not confirmed \\(RTN\\), attempt 1",
				fmt.Sprintf("Page %d: ", len(tc.pages)), "Remote station:   +86 10 6512 3456", "Operator: 0002", "by 0002"} {
				if !bytes.Contains(pdf, []byte(w)) && !(len(tc.pages) < 2 && strings.HasPrefix(w, "Page 2")) {
					t.Errorf("the report does not say %q", w)
				}
			}
			after := b.do("GET", res.header.Get("Location"), nil)
			if !strings.Contains(after.body, `id="flash"`) || !strings.Contains(after.body, "print.submit "+tc.device) {
				t.Errorf("the job page does not say the report was sent:\n%s", after.body)
			}
		})
	}
}

// TestFaxResendPrintGuards: only the business centre, supervisors and
// admins may re-send or print, and only with the form's token; nothing is
// sent otherwise.
func TestFaxResendPrintGuards(t *testing.T) {
	f, h, pv := newFaxFixture(t)
	withPrinters(t, f, h, &FaxOptions{Desk: pv, Devices: []string{"fax1"}, SendWait: 100 * time.Millisecond}, DeviceInfo{ID: "prn1", Domain: "print"})
	tif := filepath.Join(t.TempDir(), "out.tif")
	writeChartTIFF(t, tif)
	id := endedJob(t, f, "c1", tif, faxjobs.Failed, []fax.Page{{Page: 1, Code: "RTN"}})
	op, opTok := signedIn(t, f, "0001") // a switchboard operator
	clerk, _ := signedIn(t, f, "0002")
	for _, action := range []string{"resend", "print"} {
		path := fmt.Sprintf("/fax/jobs/%d/%s", id, action)
		for _, tc := range []struct {
			who  string
			res  response
			want int
		}{
			{"operator", op.do("POST", path, url.Values{"csrf": {opTok}, "confirm": {"yes"}}), http.StatusForbidden},
			{"no token", clerk.do("POST", path, url.Values{"confirm": {"yes"}}), http.StatusForbidden},
			{"wrong token", clerk.do("POST", path, url.Values{"csrf": {"stale"}, "confirm": {"yes"}}), http.StatusForbidden},
		} {
			if tc.res.code != tc.want {
				t.Errorf("%s %s: %d, want %d", action, tc.who, tc.res.code, tc.want)
			}
		}
	}
	if n := len(h.commands()); n != 0 {
		t.Errorf("%d commands sent", n)
	}
}

// TestFaxResendPagesTranslated: the failed job's page (re-send and print
// offered, the re-send's confirm step, no printer's note), the register
// search and the shift page render in both languages with no key left
// untranslated.
func TestFaxResendPagesTranslated(t *testing.T) {
	f, h, pv := newFaxFixture(t)
	tif := filepath.Join(t.TempDir(), "out.tif")
	writeChartTIFF(t, tif)
	id := endedJob(t, f, "c1", tif, faxjobs.Failed, []fax.Page{{Page: 1, Code: "RTN"}})
	for _, printers := range [][]DeviceInfo{nil, {{ID: "prn1", Domain: "print"}, {ID: "prn2", Domain: "print"}}} {
		withPrinters(t, f, h, &FaxOptions{Desk: pv, Devices: []string{"fax1"}, SendWait: 100 * time.Millisecond}, printers...)
		b, tok := signedIn(t, f, "0002")
		for _, lang := range []string{"en", "zh-Hant"} {
			for _, r := range []struct {
				method, path string
				form         url.Values
			}{
				{"GET", fmt.Sprintf("/fax/jobs/%d", id), nil},
				{"POST", fmt.Sprintf("/fax/jobs/%d/resend", id), url.Values{"csrf": {tok}}},
				{"GET", "/fax/inbox?name=x&stand=waiting", nil},
				{"GET", "/shift", nil},
			} {
				res := b.do(r.method, r.path+map[bool]string{true: "&", false: "?"}[strings.Contains(r.path, "?")]+"lang="+lang, r.form)
				if res.code != http.StatusOK {
					t.Errorf("%s %s: %d", lang, r.path, res.code)
					continue
				}
				if m := regexp.MustCompile(`[>" ](?:fax|upload|shift|col)\.[a-z][a-z.-]*`).FindAllString(res.body, -1); m != nil {
					t.Errorf("%s %s: untranslated %v", lang, r.path, m)
				}
			}
		}
	}
}
