package console

import (
	"bytes"
	"context"
	"encoding/base64"
	"html/template"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/business"
	"switchboard/internal/events/printer"
	printjobs "switchboard/internal/print/jobs"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// printFixture is the console with a printer prn1 (A4 and A3 known to its
// profile), the embedded business tariff and rooms 1203 and 1205.
func printFixture(t *testing.T) (*fixture, *rating.BusinessTariff) {
	t.Helper()
	f := newFixture(t, false, nil)
	tariff, err := business.LoadTariff("")
	if err != nil {
		t.Fatal(err)
	}
	f.c.o.Devices = []DeviceInfo{{ID: "pbx1", Domain: "pbx"}, {ID: "prn1", Driver: "ipp", Domain: "print"}}
	f.c.o.BusinessTariff, f.c.o.Rooms = tariff, []string{"1203", "1205"}
	f.c.o.MediaSize = func(device, media string) string {
		if device != "prn1" {
			return ""
		}
		return map[string]string{"iso_a4_210x297mm": "A4", "iso_a3_297x420mm": "A3"}[media]
	}
	return f, tariff
}

// uploadFields posts the print form as a browser does: the fields in order (csrf
// first, as the form puts it), then the document.
func (b *browser) uploadFields(path string, fields [][2]string, file string, doc []byte) response {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, kv := range fields {
		if kv[0] == "document" {
			fw, _ := mw.CreateFormFile("document", file)
			fw.Write(doc)
			continue
		}
		mw.WriteField(kv[0], kv[1])
	}
	_ = mw.Close()
	return b.postMultipart(path, &body, mw.FormDataContentType())
}

// printFields is a valid print form; set overrides fields.
func printFields(csrf string, set map[string]string) [][2]string {
	out := [][2]string{{"csrf", csrf}}
	for _, k := range []string{"device", "room", "copies", "sides", "color", "media", "name", "keep", "keep_until", "pages"} {
		v := map[string]string{"device": "prn1", "room": "1203", "copies": "1", "sides": "one-sided", "color": "monochrome",
			"media": "iso_a4_210x297mm", "keep": "no"}[k]
		if s, ok := set[k]; ok {
			v = s
		}
		out = append(out, [2]string{k, v})
	}
	return append(out, [2]string{"document", ""})
}

// twoPages is a PDF of two pages.
const twoPages = "%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n2 0 obj << /Type /Page >> endobj\n%%EOF\n"

func TestPrintPagesRoles(t *testing.T) {
	f, _ := printFixture(t)
	for _, tc := range []struct {
		code string
		want int
		nav  bool
	}{
		{"0001", http.StatusForbidden, false}, // switchboard operator
		{"0002", http.StatusOK, true},         // business centre
		{"0003", http.StatusOK, true},         // supervisor
		{"0004", http.StatusOK, true},         // admin
	} {
		b := f.browser(t)
		_, tok := b.signIn(tc.code, "1234")
		home := b.do("GET", "/", nil)
		if got := strings.Contains(home.body, `href="/print"`); got != tc.nav {
			t.Errorf("%s: print link on the nav %v, want %v", tc.code, got, tc.nav)
		}
		for _, path := range []string{"/print", "/copy", "/print/jobs/x", "/copy/sessions/1"} {
			res := b.do("GET", path, nil)
			want := tc.want
			if want == http.StatusOK && (path == "/print/jobs/x" || path == "/copy/sessions/1") {
				want = http.StatusNotFound // the role's page, with nothing there
			}
			if res.code != want {
				t.Errorf("%s GET %s: %d, want %d", tc.code, path, res.code, want)
			}
		}
		if tc.want == http.StatusForbidden {
			for _, path := range []string{"/print/submit", "/copy/start", "/copy/stop", "/print/jobs/x/cancel"} {
				if res := b.do("POST", path, url.Values{"csrf": {tok}}); res.code != http.StatusForbidden {
					t.Errorf("%s POST %s: %d, want 403", tc.code, path, res.code)
				}
			}
			if res := b.uploadFields("/print/confirm", printFields(tok, nil), "a.pdf", []byte(twoPages)); res.code != http.StatusForbidden {
				t.Errorf("%s upload: %d, want 403", tc.code, res.code)
			}
		}
	}
	anon := f.browser(t)
	for _, path := range []string{"/print", "/copy", "/print/jobs/x"} {
		if res := anon.do("GET", path, nil); res.code != http.StatusSeeOther || res.header.Get("Location") != "/signin" {
			t.Errorf("no session, GET %s: %d %s", path, res.code, res.header.Get("Location"))
		}
	}
	if res := anon.uploadFields("/print/confirm", printFields("x", nil), "a.pdf", []byte(twoPages)); res.code != http.StatusSeeOther ||
		res.header.Get("Location") != "/signin" {
		t.Errorf("no session, upload: %d %s", res.code, res.header.Get("Location"))
	}
	f.c.o.Devices = nil
	b := f.browser(t)
	b.signIn("0002", "1234")
	if res := b.do("GET", "/print", nil); !strings.Contains(res.body, translate(langEN, "print.noprinters")) {
		t.Errorf("no printer configured: the page does not say so\n%s", res.body)
	}
	if sent := f.c.o.Host.(*fakeHost).sent; len(sent) != 0 {
		t.Errorf("commands sent: %+v", sent)
	}
}

func TestPrintPagesCSRF(t *testing.T) {
	f, _ := printFixture(t)
	b := f.browser(t)
	_, tok := b.signIn("0002", "1234")
	for _, tc := range []struct {
		name   string
		fields [][2]string
	}{
		{"no token", printFields("", nil)[1:]},
		{"wrong token", printFields("forged", nil)},
		{"token after the document", append(printFields("", nil)[1:], [2]string{"csrf", tok})},
	} {
		if res := b.uploadFields("/print/confirm", tc.fields, "a.pdf", []byte(twoPages)); res.code != http.StatusForbidden {
			t.Errorf("upload, %s: %d, want 403", tc.name, res.code)
		}
	}
	for _, path := range []string{"/print/submit", "/copy/start", "/copy/stop", "/print/jobs/x/cancel"} {
		if res := b.do("POST", path, url.Values{"room": {"1203"}}); res.code != http.StatusForbidden {
			t.Errorf("POST %s without the token: %d, want 403", path, res.code)
		}
	}
	if sent := f.c.o.Host.(*fakeHost).sent; len(sent) != 0 {
		t.Errorf("commands sent: %+v", sent)
	}
}

// TestPrintQuoteAndSubmit: the confirm step shows the desk's price for the
// document's pages × copies, and confirming sends print.submit with the
// form's values and the operator's code.
func TestPrintQuoteAndSubmit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		set       map[string]string
		file      string
		doc       string
		item      rating.BusinessItem
		format    string
		keepUntil string
	}{
		{"two pages two copies", map[string]string{"copies": "2"}, "a.pdf", twoPages,
			rating.BusinessItem{Size: "A4", Impressions: 4}, "application/pdf", ""},
		{"A3 colour duplex", map[string]string{"media": "iso_a3_297x420mm", "color": "color", "sides": "two-sided-long-edge", "copies": "3"}, "a.pdf", twoPages,
			rating.BusinessItem{Size: "A3", Color: true, Duplex: true, Impressions: 6}, "application/pdf", ""},
		{"text kept until Sunday", map[string]string{"keep": "until", "keep_until": "2026-12-06T18:00"}, "note.txt", strings.Repeat("line\n", 61),
			rating.BusinessItem{Size: "A4", Impressions: 2}, "application/pdf", "2026-12-06T18:00:00+08:00"},
		{"postscript of uncounted pages", map[string]string{"pages": "7", "room": "walk-in"}, "a.ps", "%!PS\nshowpage\n",
			rating.BusinessItem{Size: "A4", Impressions: 7}, "application/postscript", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, tariff := printFixture(t)
			b := f.browser(t)
			_, tok := b.signIn("0002", "1234")
			res := b.uploadFields("/print/confirm", printFields(tok, tc.set), tc.file, []byte(tc.doc))
			if res.code != http.StatusOK {
				t.Fatalf("confirm: %d\n%s", res.code, res.body)
			}
			it := tc.item
			it.Service = rating.ServicePrint
			want := business.PriceOf(tariff, it)
			if want.Unbilled != "" || !strings.Contains(res.body, `<strong id="quote">`+want.Price.String()+" "+want.Currency+"</strong>") {
				t.Fatalf("quote: want %s %s (%s)\n%s", want.Price, want.Currency, want.Unbilled, res.body)
			}
			if len(f.c.o.Host.(*fakeHost).sent) != 0 {
				t.Fatal("sent before the confirm")
			}
			token := regexpToken.FindStringSubmatch(res.body)
			if token == nil {
				t.Fatalf("no token on the confirm page\n%s", res.body)
			}
			res = b.do("POST", "/print/submit", url.Values{"csrf": {tok}, "token": {token[1]}})
			if res.code != http.StatusSeeOther || res.header.Get("Location") != "/print/jobs/cmd-print.submit" {
				t.Fatalf("submit: %d %s\n%s", res.code, res.header.Get("Location"), res.body)
			}
			sent := f.c.o.Host.(*fakeHost).sent
			if len(sent) != 1 {
				t.Fatalf("sent %+v", sent)
			}
			d, ok := sent[0].data.(printer.SubmitData)
			fields := map[string]string{"room": "1203", "copies": "1", "sides": "one-sided", "color": "monochrome", "media": "iso_a4_210x297mm"}
			for k, v := range tc.set {
				fields[k] = v
			}
			doc, _ := base64.StdEncoding.DecodeString(d.Document)
			if !ok || sent[0].domain != "print" || sent[0].device != "prn1" || sent[0].name != "print.submit" || sent[0].by.Username != "0002" ||
				d.Operator != "0002" || d.Room != fields["room"] || d.Sides != fields["sides"] || d.Color != fields["color"] || d.Media != fields["media"] ||
				d.Format != tc.format || d.Name != tc.file || d.KeepUntil != tc.keepUntil || len(doc) == 0 {
				t.Errorf("sent %s/%s %s by %+v: %+v", sent[0].domain, sent[0].device, sent[0].name, sent[0].by, d)
			}
			if tc.format == "application/pdf" && tc.file == "a.pdf" && string(doc) != tc.doc {
				t.Errorf("the document sent is not the one uploaded")
			}
			// The token is spent: a second confirm prints nothing.
			if res := b.do("POST", "/print/submit", url.Values{"csrf": {tok}, "token": {token[1]}}); res.code != http.StatusUnprocessableEntity ||
				len(f.c.o.Host.(*fakeHost).sent) != 1 {
				t.Errorf("second submit: %d, %d sent", res.code, len(f.c.o.Host.(*fakeHost).sent))
			}
		})
	}
}

func TestPrintRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		max     int
		set     map[string]string
		file    string
		doc     string
		status  int
		problem string
	}{
		{"over the limit", 1000, nil, "big.pdf", "%PDF-1.4\n" + strings.Repeat("x", 1000), http.StatusRequestEntityTooLarge, "print.toolarge"},
		{"room unknown", 0, map[string]string{"room": "9999"}, "a.pdf", twoPages, http.StatusUnprocessableEntity, "print.room"},
		{"printer unknown", 0, map[string]string{"device": "pbx1"}, "a.pdf", twoPages, http.StatusUnprocessableEntity, "print.noprinter"},
		{"copies", 0, map[string]string{"copies": "0"}, "a.pdf", twoPages, http.StatusUnprocessableEntity, "print.badcopies"},
		{"keep in the past", 0, map[string]string{"keep": "until", "keep_until": "2026-12-01T10:00"}, "a.pdf", twoPages, http.StatusUnprocessableEntity, "print.keeppast"},
		{"keep without a date", 0, map[string]string{"keep": "until"}, "a.pdf", twoPages, http.StatusUnprocessableEntity, "print.keepwhen"},
		{"keep too long", 0, map[string]string{"keep": "until", "keep_until": "2027-06-01T10:00"}, "a.pdf", twoPages, http.StatusUnprocessableEntity, "print.keepfar"},
		{"no file", 0, nil, "", "", http.StatusUnprocessableEntity, "print.nofile"},
		{"not a document", 0, nil, "a.bin", "\x00\x01\x02", http.StatusUnprocessableEntity, "print.document"},
		{"chinese text", 0, nil, "a.txt", "房間\n", http.StatusUnprocessableEntity, "print.document"},
		{"pages unknown", 0, nil, "a.ps", "%!PS\n", http.StatusUnprocessableEntity, "print.pagesunknown"},
		{"size the printer lacks", 0, map[string]string{"media": "na_letter_8.5x11in"}, "a.pdf", twoPages, http.StatusUnprocessableEntity, "print.noprice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := printFixture(t)
			f.c.o.MaxDocument = tc.max
			b := f.browser(t)
			_, tok := b.signIn("0002", "1234")
			res := b.uploadFields("/print/confirm", printFields(tok, tc.set), tc.file, []byte(tc.doc))
			msg := template.HTMLEscapeString(translate(langEN, tc.problem))
			if res.code != tc.status || !strings.Contains(res.body, `id="problem">`+msg) {
				t.Errorf("%d, want %d saying %q\n%s", res.code, tc.status, msg, res.body)
			}
			if tc.problem == "print.toolarge" && !strings.Contains(res.body, msg+": big.pdf: at most 1000 bytes") {
				t.Errorf("the limit is not said\n%s", res.body)
			}
			if len(f.c.o.Host.(*fakeHost).sent) != 0 {
				t.Error("a refused upload sent a command")
			}
		})
	}
}

// seedJob records a print job as the desk does: submitted, ended and
// billed with the tariff.
func seedJob(t *testing.T, st *store.Store, tariff *rating.BusinessTariff, cmd, name string, at time.Time, ended bool) {
	t.Helper()
	err := st.InTx(context.Background(), func(tx *store.Tx) error {
		keep := at.Add(48 * time.Hour)
		row, err := printjobs.Submitting(tx, printjobs.Job{Device: "prn1", CommandID: cmd, Room: "1203", Operator: "0002", Name: name,
			Format: "application/pdf", Copies: 2, Sides: "one-sided", Color: "monochrome", Media: "iso_a4_210x297mm", Bytes: 10, Spool: "/spool/x",
			KeepUntil: &keep, Submitted: at})
		if err != nil || !ended {
			return err
		}
		if err := printjobs.Accepted(tx, row, 17); err != nil {
			return err
		}
		price := business.PriceOf(tariff, rating.BusinessItem{Service: rating.ServicePrint, Size: "A4", Impressions: 4})
		if err := business.Record(tx, business.Entry{IdemKey: "prn1/print/" + cmd, Service: rating.ServicePrint, Device: "prn1", Room: "1203",
			Operator: "0002", At: at.Add(time.Minute), Units: 4, Size: "A4", State: "completed", Price: price, Tariff: tariff.Name()}); err != nil {
			return err
		}
		return printjobs.Ended(tx, "prn1", row, printjobs.End{JobID: 17, State: "completed", Impressions: 4, Sheets: 4, At: at.Add(time.Minute),
			Charge: "prn1/print/" + cmd})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPrintJobPage: the job's result and bill; a job name a guest chose
// is text, never markup.
func TestPrintJobPage(t *testing.T) {
	f, tariff := printFixture(t)
	now := f.clock.now()
	seedJob(t, f.st, tariff, "cmd-done", "<script>alert(1)</script>", now.Add(-time.Hour), true)
	seedJob(t, f.st, tariff, "cmd-run", "running.pdf", now.Add(-time.Minute), false)
	b := f.browser(t)
	b.signIn("0002", "1234")
	want := business.PriceOf(tariff, rating.BusinessItem{Service: rating.ServicePrint, Size: "A4", Impressions: 4})
	for _, tc := range []struct {
		path     string
		has, not []string
	}{
		{"/print/jobs/cmd-done", []string{`id="job-state">completed<`, `id="job-impressions">4`, `<strong id="bill">` + want.Price.String() + " " + want.Currency,
			"&lt;script&gt;alert(1)&lt;/script&gt;", "job 17", `data-command="cmd-done"`, translate(langEN, "print.keep.until") + " 2026-12-06 21:00"},
			[]string{"<script>alert", "/cancel", "data-running"}},
		{"/print/jobs/cmd-run", []string{`id="job-state">being sent`, "refresh", `data-live="print-job" data-command="cmd-run" data-running="1"`},
			[]string{`id="bill"`, "/cancel"}},
		{"/print", []string{`href="/print/jobs/cmd-done">&lt;script&gt;`, `href="/print/jobs/cmd-run">running.pdf`}, []string{"<script>alert"}},
	} {
		res := b.do("GET", tc.path, nil)
		if res.code != http.StatusOK {
			t.Fatalf("%s: %d\n%s", tc.path, res.code, res.body)
		}
		for _, h := range tc.has {
			if !strings.Contains(res.body, h) {
				t.Errorf("%s: no %q\n%s", tc.path, h, res.body)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(res.body, n) {
				t.Errorf("%s: has %q", tc.path, n)
			}
		}
	}
}

func TestCopyPages(t *testing.T) {
	f, tariff := printFixture(t)
	now := f.clock.now()
	var open, billed int64
	err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		if billed, err = printjobs.StartSession(tx, printjobs.Session{Device: "prn1", Room: "1205", Operator: "0002", Media: "iso_a4_210x297mm",
			Color: "color", CommandID: "c1", Start: printer.Counters{At: now.Add(-2 * time.Hour), Source: printer.FromIPP, Impressions: 100}}); err != nil {
			return err
		}
		price := business.PriceOf(tariff, rating.BusinessItem{Service: rating.ServiceCopy, Size: "A4", Color: true, Impressions: 12})
		if err := business.Record(tx, business.Entry{IdemKey: "prn1/copy-session/1", Service: rating.ServiceCopy, Device: "prn1", Room: "1205",
			Operator: "0002", At: now.Add(-time.Hour), Units: 12, Size: "A4", Color: true, State: "completed", Price: price, Tariff: tariff.Name()}); err != nil {
			return err
		}
		if err := printjobs.BillSession(tx, billed, printer.Counters{At: now.Add(-time.Hour), Impressions: 115}, 3, 12, "prn1/copy-session/1"); err != nil {
			return err
		}
		open, err = printjobs.StartSession(tx, printjobs.Session{Device: "prn1", Room: "<b>1203</b>", Operator: "0002", Media: "iso_a4_210x297mm",
			Color: "monochrome", CommandID: "c2", Start: printer.Counters{At: now.Add(-10 * time.Minute), Source: printer.FromIPP, Impressions: 115}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b := f.browser(t)
	_, tok := b.signIn("0002", "1234")
	page := b.do("GET", "/copy", nil)
	if page.code != http.StatusOK || !strings.Contains(page.body, `name="session" value="`+itoa(open)+`"`) ||
		!strings.Contains(page.body, `href="/copy/sessions/`+itoa(billed)+`"`) || !strings.Contains(page.body, "&lt;b&gt;1203&lt;/b&gt;") {
		t.Fatalf("copy page: %d\n%s", page.code, page.body)
	}
	want := business.PriceOf(tariff, rating.BusinessItem{Service: rating.ServiceCopy, Size: "A4", Color: true, Impressions: 12})
	bill := b.do("GET", "/copy/sessions/"+itoa(billed), nil)
	for _, h := range []string{`id="session-pages">12`, `<strong id="bill">` + want.Price.String() + " " + want.Currency, "A4", "100", "115"} {
		if !strings.Contains(bill.body, h) {
			t.Errorf("bill: no %q\n%s", h, bill.body)
		}
	}

	for _, tc := range []struct {
		name   string
		path   string
		form   url.Values
		status int
		cmd    string
		data   any
	}{
		{"start", "/copy/start", url.Values{"device": {"prn1"}, "room": {"1203"}, "media": {"iso_a3_297x420mm"}, "color": {"color"}}, http.StatusOK,
			"copy.start", printer.CopyStartData{Room: "1203", Operator: "0002", Media: "iso_a3_297x420mm", Color: "color"}},
		{"start, room unknown", "/copy/start", url.Values{"device": {"prn1"}, "room": {"9"}, "media": {"iso_a4_210x297mm"}, "color": {"color"}},
			http.StatusUnprocessableEntity, "", nil},
		{"start, not a printer", "/copy/start", url.Values{"device": {"pbx1"}, "room": {"1203"}, "media": {"iso_a4_210x297mm"}, "color": {"color"}},
			http.StatusUnprocessableEntity, "", nil},
		{"stop", "/copy/stop", url.Values{"session": {itoa(open)}}, http.StatusSeeOther, "copy.stop", printer.CopyStopData{Room: "<b>1203</b>"}},
		{"void without a reason", "/copy/stop", url.Values{"session": {itoa(open)}, "void": {"1"}}, http.StatusUnprocessableEntity, "", nil},
		{"void", "/copy/stop", url.Values{"session": {itoa(open)}, "void": {"1"}, "reason": {"board replaced"}}, http.StatusSeeOther, "copy.stop",
			printer.CopyStopData{Room: "<b>1203</b>", Void: true, Reason: "board replaced"}},
		{"stop a billed session", "/copy/stop", url.Values{"session": {itoa(billed)}}, http.StatusUnprocessableEntity, "", nil},
	} {
		host := f.c.o.Host.(*fakeHost)
		host.sent = nil
		tc.form.Set("csrf", tok)
		res := b.do("POST", tc.path, tc.form)
		if res.code != tc.status {
			t.Errorf("%s: %d, want %d\n%s", tc.name, res.code, tc.status, res.body)
		}
		switch {
		case tc.cmd == "" && len(host.sent) != 0:
			t.Errorf("%s: sent %+v", tc.name, host.sent)
		case tc.cmd != "" && (len(host.sent) != 1 || host.sent[0].name != tc.cmd || host.sent[0].device != "prn1" || host.sent[0].data != tc.data ||
			host.sent[0].by.Username != "0002"):
			t.Errorf("%s: sent %+v, want %s %+v", tc.name, host.sent, tc.cmd, tc.data)
		}
		if tc.name == "stop" && res.header.Get("Location") != "/copy/sessions/"+itoa(open) {
			t.Errorf("stop: to %q, want the session's bill", res.header.Get("Location"))
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var regexpToken = regexp.MustCompile(`name="token" value="([^"]+)"`)

// refusingHost refuses print.submit as the desk does a job it cannot take.
type refusingHost struct{ *fakeHost }

func (h refusingHost) Command(ctx context.Context, domain, device, name string, data any, by bus.Principal) (bus.Reply, error) {
	rep, err := h.fakeHost.Command(ctx, domain, device, name, data, by)
	rep.Status, rep.Field, rep.Reason = "failed", "data.media", `"iso_a4_210x297mm": <not> a media size the printer's profile knows`
	return rep, err
}

// TestPrintSubmitRefusals: the desk's refusal is shown with its reason
// (as text); a confirm token is the session's only, and used once.
func TestPrintSubmitRefusals(t *testing.T) {
	f, _ := printFixture(t)
	host := refusingHost{&fakeHost{st: f.st}}
	f.c.o.Host = host
	clerk, other := f.browser(t), f.browser(t)
	_, tok := clerk.signIn("0002", "1234")
	_, otherTok := other.signIn("0003", "1234")
	res := clerk.uploadFields("/print/confirm", printFields(tok, nil), "a.pdf", []byte(twoPages))
	token := regexpToken.FindStringSubmatch(res.body)
	if res.code != http.StatusOK || token == nil {
		t.Fatalf("confirm: %d\n%s", res.code, res.body)
	}
	if res := other.do("POST", "/print/submit", url.Values{"csrf": {otherTok}, "token": {token[1]}}); res.code != http.StatusUnprocessableEntity ||
		!strings.Contains(res.body, template.HTMLEscapeString(translate(langEN, "print.expired"))) || len(host.sent) != 0 {
		t.Fatalf("another session's token: %d, %d sent\n%s", res.code, len(host.sent), res.body)
	}
	res = clerk.do("POST", "/print/submit", url.Values{"csrf": {tok}, "token": {token[1]}})
	if res.code != http.StatusUnprocessableEntity || len(host.sent) != 1 ||
		!strings.Contains(res.body, translate(langEN, "print.failed")+": &#34;iso_a4_210x297mm&#34;: &lt;not&gt; a media size") {
		t.Errorf("refused: %d, %d sent\n%s", res.code, len(host.sent), res.body)
	}
}
