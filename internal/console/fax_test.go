package console

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/desk/desktest"
	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/faxdesk"
	"switchboard/internal/folio"
	"switchboard/internal/store"
)

// faxHost stands in for the gateway's fax desk behind the router: it
// records the commands and, for fax.send, queues the job as the desk's
// Prepare does (the job page reads it back), or refuses with failWith.
type faxHost struct {
	st       *store.Store
	now      func() time.Time
	mu       sync.Mutex
	sent     []sentCommand
	failWith string
	hang     bool // no reply until the caller gives up, as a desk still converting
}

func (h *faxHost) Store() *store.Store { return h.st }

func (h *faxHost) Command(ctx context.Context, domain, device, name string, data any, by bus.Principal) (bus.Reply, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent = append(h.sent, sentCommand{domain, device, name, data, by})
	id := fmt.Sprintf("cmd-%d", len(h.sent))
	if h.hang {
		<-ctx.Done()
		return bus.Reply{CommandID: id}, fmt.Errorf("command %s: no reply: %w", name, ctx.Err())
	}
	if h.failWith != "" {
		return bus.Reply{CommandID: id, Command: name, Device: device, Status: "failed", Reason: h.failWith}, nil
	}
	if name == "fax.send" {
		d := data.(fax.SendData)
		err := h.st.InTx(ctx, func(tx *store.Tx) error {
			_, err := faxjobs.Enqueue(tx, faxjobs.Job{CommandID: id, Device: device, Number: d.To, Canonical: "862165123456", Room: d.Room,
				Operator: d.Operator, Document: "out.tif", Pages: 1}, faxjobs.DefaultPolicy(), h.now())
			return err
		})
		if err != nil {
			return bus.Reply{}, err
		}
		return bus.Reply{CommandID: id, Command: name, Device: device, Status: "accepted"}, nil
	}
	return bus.Reply{CommandID: id, Command: name, Device: device, Status: "completed"}, nil
}

func (h *faxHost) commands() []sentCommand {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sentCommand(nil), h.sent...)
}

// Limits of the fax fixture: small, so the tests need no large bodies.
const (
	testUpload   = 2 << 20 // the send form's body
	testDocument = 1 << 20 // the desk's document limit (fax.max_document_mib)
)

// newFaxFixture is a console whose fax pages quote with the real fax desk
// checks (faxdesk.Preview on the example's Shanghai dialing plan and the
// embedded business tariff, guest rooms 1101-1299) and send to a faxHost.
func newFaxFixture(t testing.TB) (*fixture, *faxHost, *faxdesk.Preview) {
	t.Helper()
	var h *faxHost
	f := newFixture(t, false, func(st *store.Store) Host { h = &faxHost{st: st}; return h })
	h.now = f.clock.now
	bl := desktest.Biller(t, "1101", "1299")
	pv, err := faxdesk.NewPreview(faxdesk.Options{Tariff: desktest.BusinessTariff(t, ""), Billing: func() *folio.Biller { return bl },
		MaxDocument: testDocument}, site, f.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	f.c, err = New(Options{Host: h, Location: site, Operators: f.ops, Now: f.clock.now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Fax: &FaxOptions{Desk: pv, Devices: []string{"fax1", "fax2"}, MaxUpload: testUpload, SendWait: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return f, h, pv
}

// upload posts a multipart form with a file, as the send form does.
func (b *browser) upload(path string, fields url.Values, filename string, doc []byte) response {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if filename != "" {
		fw, _ := mw.CreateFormFile("document", filename)
		_, _ = fw.Write(doc)
	}
	_ = mw.Close()
	return b.postMultipart(path, &body, mw.FormDataContentType())
}

// signedIn is a browser signed in as code (PIN 1234) and its form token.
func signedIn(t testing.TB, f *fixture, code string) (*browser, string) {
	t.Helper()
	b := f.browser(t)
	if res, tok := b.signIn(code, "1234"); tok == "" {
		t.Fatalf("sign-in %s: %d", code, res.code)
	}
	home := b.do("GET", "/", nil)
	return b, formToken(t, home.body)
}

// registerFax enters a received fax in the register as the desk does.
func registerFax(t *testing.T, st *store.Store, f faxjobs.Fax) int64 {
	t.Helper()
	var id int64
	err := st.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		id, _, err = faxjobs.Register(tx, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestFaxRoles: the fax pages are the business centre's, supervisors' and
// admins'; a switchboard operator is refused every one (403) and is not
// shown the link.
func TestFaxRoles(t *testing.T) {
	f, h, _ := newFaxFixture(t)
	id := registerFax(t, f.st, faxjobs.Fax{Key: "k1", Device: "fax1", Received: f.clock.now(), Pages: 1})
	for _, tc := range []struct {
		code string
		want int
		link bool
	}{
		{code: "0001", want: http.StatusForbidden}, // operator
		{code: "0002", want: http.StatusOK, link: true},
		{code: "0003", want: http.StatusOK, link: true},
		{code: "0004", want: http.StatusOK, link: true},
	} {
		t.Run(tc.code, func(t *testing.T) {
			b, tok := signedIn(t, f, tc.code)
			home := b.do("GET", "/", nil)
			if got := strings.Contains(home.body, `href="/fax"`); got != tc.link {
				t.Errorf("fax link shown: %v, want %v", got, tc.link)
			}
			for _, path := range []string{"/fax", "/fax/inbox", fmt.Sprintf("/fax/inbox/%d", id), "/api/fax/number?to=65123456"} {
				if res := b.do("GET", path, nil); res.code != tc.want {
					t.Errorf("GET %s: %d, want %d", path, res.code, tc.want)
				}
			}
			if tc.want == http.StatusForbidden {
				before := len(h.commands())
				posted := []response{
					b.do("POST", fmt.Sprintf("/fax/inbox/%d/deliver", id), url.Values{"csrf": {tok}, "signed_by": {"Zhang"}}),
					b.do("POST", fmt.Sprintf("/fax/inbox/%d/assign", id), url.Values{"csrf": {tok}, "room": {"1203"}}),
					b.upload("/fax/quote", url.Values{"csrf": {tok}, "device": {"fax1"}, "room": {"1203"}, "to": {"65123456"}}, "a.txt", []byte("hello")),
				}
				for i, res := range posted {
					if res.code != http.StatusForbidden {
						t.Errorf("POST %d by an operator: %d, want 403", i, res.code)
					}
				}
				if n := len(h.commands()); n != before {
					t.Errorf("an operator's POST sent %d commands", n-before)
				}
			}
		})
	}
}

// TestFaxCSRF: every fax POST without the session's token is refused and
// sends nothing.
func TestFaxCSRF(t *testing.T) {
	f, h, _ := newFaxFixture(t)
	id := registerFax(t, f.st, faxjobs.Fax{Key: "k1", Device: "fax1", Received: f.clock.now(), Pages: 1})
	b, _ := signedIn(t, f, "0002")
	for _, tc := range []struct {
		name string
		post func(csrf string) response
	}{
		{"quote", func(csrf string) response {
			return b.upload("/fax/quote", url.Values{"csrf": {csrf}, "device": {"fax1"}, "room": {"1203"}, "to": {"65123456"}}, "a.txt", []byte("hello"))
		}},
		{"send", func(csrf string) response {
			return b.do("POST", "/fax/send", url.Values{"csrf": {csrf}, "token": {"x"}})
		}},
		{"assign", func(csrf string) response {
			return b.do("POST", fmt.Sprintf("/fax/inbox/%d/assign", id), url.Values{"csrf": {csrf}, "room": {"1203"}})
		}},
		{"deliver", func(csrf string) response {
			return b.do("POST", fmt.Sprintf("/fax/inbox/%d/deliver", id), url.Values{"csrf": {csrf}, "signed_by": {"Zhang"}})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, csrf := range []string{"", "not-the-token"} {
				if res := tc.post(csrf); res.code != http.StatusForbidden || !strings.Contains(res.body, "stale") {
					t.Errorf("csrf %q: %d, want 403 saying the form was stale", csrf, res.code)
				}
			}
		})
	}
	if n := len(h.commands()); n != 0 {
		t.Errorf("%d commands sent without a token", n)
	}
}

// TestFaxNumberAPI: the number is checked as typed with the desk's rule:
// a fax number says its kind and destination, anything else why not.
func TestFaxNumberAPI(t *testing.T) {
	f, _, _ := newFaxFixture(t)
	b, _ := signedIn(t, f, "0002")
	for _, tc := range []struct {
		to      string
		ok      bool
		kind    string
		problem string
	}{
		{to: "6512 3456", ok: true, kind: "local"},
		{to: "010 6512 3456", ok: true, kind: "national"},
		{to: "+81 3 1234 5678", ok: true, kind: "international"},
		{to: "1203", problem: "extension"},
		{to: "119", problem: "emergency"},
		{to: "6512", problem: "fits no rule"},
		{to: "abc", problem: "not a fax number"},
		{to: strings.Repeat("1", 41), problem: "at most 40"},
	} {
		t.Run(tc.to, func(t *testing.T) {
			res := b.do("GET", "/api/fax/number?to="+url.QueryEscape(tc.to), nil)
			var got struct {
				OK                    bool
				Kind, Problem, Number string
			}
			if err := json.Unmarshal([]byte(res.body), &got); err != nil || res.code != http.StatusOK {
				t.Fatalf("%d %q: %v", res.code, res.body, err)
			}
			if got.OK != tc.ok || got.Kind != tc.kind || !strings.Contains(got.Problem, tc.problem) {
				t.Errorf("%+v; want ok %v kind %q problem %q", got, tc.ok, tc.kind, tc.problem)
			}
		})
	}
}

var tokenField = regexp.MustCompile(`name="token" value="([^"]+)"`)

// TestFaxQuoteThenSend: the upload is quoted on a confirm step (nothing is
// sent), the confirmation sends fax.send as the clerk, with the document,
// and leads to the job's page; the confirmation cannot be sent twice.
func TestFaxQuoteThenSend(t *testing.T) {
	f, h, pv := newFaxFixture(t)
	b, tok := signedIn(t, f, "0002")
	doc := []byte("Dear Mr Zhang,\nthe meeting moves to 10:00.\n")
	res := b.upload("/fax/quote", url.Values{"csrf": {tok}, "device": {"fax2"}, "room": {"1203"}, "to": {"6512 3456"}, "resolution": {"standard"}}, "note.txt", doc)
	if res.code != http.StatusOK {
		t.Fatalf("quote: %d\n%s", res.code, res.body)
	}
	want, err := pv.Quote(context.Background(), "fax2", fax.SendData{To: "6512 3456", Room: "1203", Operator: "0002", Resolution: "standard"}, doc)
	if err != nil {
		t.Fatal(err)
	}
	amount := fmt.Sprintf("%d.%02d %s", want.AmountMinor/100, want.AmountMinor%100, want.Currency)
	if want.AmountMinor <= 0 || !strings.Contains(res.body, amount) || !strings.Contains(res.body, `id="quote-pages">1 (`) {
		t.Errorf("the confirm step does not show the quote %s for 1 page:\n%s", amount, res.body)
	}
	if n := len(h.commands()); n != 0 {
		t.Fatalf("the quote step sent %d commands", n)
	}
	m := tokenField.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no confirmation token:\n%s", res.body)
	}
	sent := b.do("POST", "/fax/send", url.Values{"csrf": {tok}, "token": {m[1]}})
	if sent.code != http.StatusSeeOther || !strings.HasPrefix(sent.header.Get("Location"), "/fax/jobs/") {
		t.Fatalf("send: %d %s\n%s", sent.code, sent.header.Get("Location"), sent.body)
	}
	cmds := h.commands()
	if len(cmds) != 1 {
		t.Fatalf("%d commands, want 1", len(cmds))
	}
	c := cmds[0]
	d, _ := c.data.(fax.SendData)
	got, _ := base64.StdEncoding.DecodeString(d.Document)
	if c.domain != "fax" || c.device != "fax2" || c.name != "fax.send" || c.by.Username != "0002" || d.Operator != "0002" ||
		d.To != "6512 3456" || d.Room != "1203" || d.Resolution != "standard" || !bytes.Equal(got, doc) {
		t.Errorf("command %s %s %s by %s: %+v", c.domain, c.device, c.name, c.by.Username, d)
	}
	job := b.do("GET", sent.header.Get("Location"), nil)
	if job.code != http.StatusOK || !strings.Contains(job.body, `data-live="faxjob"`) || !strings.Contains(job.body, "queued") {
		t.Errorf("job page: %d\n%s", job.code, job.body)
	}
	again := b.do("POST", "/fax/send", url.Values{"csrf": {tok}, "token": {m[1]}})
	if again.code != http.StatusUnprocessableEntity || len(h.commands()) != 1 {
		t.Errorf("a second confirmation: %d, %d commands; want 422 and still 1", again.code, len(h.commands()))
	}
}

// TestFaxRefused: a number, a room or a document the desk would refuse is
// refused on the form with its reason, before anything is sent; so is a
// refusal by the desk itself at sending.
func TestFaxRefused(t *testing.T) {
	f, h, _ := newFaxFixture(t)
	b, tok := signedIn(t, f, "0002")
	for _, tc := range []struct {
		name, device, room, to string
		doc                    []byte
		code                   int
		problem                string
	}{
		{name: "extension", device: "fax1", room: "1203", to: "1203", doc: []byte("hi"), code: 422, problem: "an extension of the hotel"},
		{name: "emergency", device: "fax1", room: "1203", to: "119", doc: []byte("hi"), code: 422, problem: "emergency"},
		{name: "too short", device: "fax1", room: "1203", to: "6512", doc: []byte("hi"), code: 422, problem: "a local number has"},
		{name: "not a room", device: "fax1", room: "9999", to: "65123456", doc: []byte("hi"), code: 422, problem: "room"},
		{name: "unknown modem", device: "fax9", room: "1203", to: "65123456", doc: []byte("hi"), code: 422, problem: "want one of fax1, fax2"},
		{name: "no file", device: "fax1", room: "1203", to: "65123456", code: 422, problem: "choose the file"},
		{name: "not a document", device: "fax1", room: "1203", to: "65123456", doc: []byte{0, 1, 2, 0xff}, code: 422, problem: "not PDF, TIFF, PNG, JPEG or plain text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := ""
			if tc.doc != nil {
				name = "doc.bin"
			}
			res := b.upload("/fax/quote", url.Values{"csrf": {tok}, "device": {tc.device}, "room": {tc.room}, "to": {tc.to}}, name, tc.doc)
			if res.code != tc.code || !strings.Contains(res.body, tc.problem) || !strings.Contains(res.body, `id="problem"`) {
				t.Errorf("%d, want %d saying %q:\n%s", res.code, tc.code, tc.problem, res.body)
			}
			if strings.Contains(res.body, `name="token"`) {
				t.Error("a refused fax reached the confirm step")
			}
		})
	}
	// The desk refuses at sending (a modem went away): the reason is shown.
	res := b.upload("/fax/quote", url.Values{"csrf": {tok}, "device": {"fax1"}, "room": {"1203"}, "to": {"65123456"}}, "a.txt", []byte("hello"))
	m := tokenField.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no confirm step: %d\n%s", res.code, res.body)
	}
	h.failWith = `device "fax1" is not a fax modem of this gateway`
	sent := b.do("POST", "/fax/send", url.Values{"csrf": {tok}, "token": {m[1]}})
	if sent.code != http.StatusUnprocessableEntity || !strings.Contains(sent.body, "not sent: device &#34;fax1&#34; is not a fax modem") {
		t.Errorf("desk refusal: %d\n%s", sent.code, sent.body)
	}
	// No answer within the page's wait: not called a failure (the desk may
	// still queue it); the clerk is told to check the list first.
	h.failWith, h.hang = "", true
	res = b.upload("/fax/quote", url.Values{"csrf": {tok}, "device": {"fax1"}, "room": {"1203"}, "to": {"65123456"}}, "a.txt", []byte("hello"))
	if m = tokenField.FindStringSubmatch(res.body); m == nil {
		t.Fatalf("no confirm step: %d\n%s", res.code, res.body)
	}
	sent = b.do("POST", "/fax/send", url.Values{"csrf": {tok}, "token": {m[1]}})
	if sent.code != http.StatusAccepted || !strings.Contains(sent.body, `id="sent"`) || !strings.Contains(sent.body, "Check the list before sending it again") ||
		strings.Contains(sent.body, "not sent") {
		t.Errorf("no answer in time: %d\n%s", sent.code, sent.body)
	}
}

// TestFaxUploadTooLarge: a body over the route's limit is refused with 413
// and a page saying the limit; a document over the desk's limit but within
// the body's is refused with the desk's limit; neither sends anything.
func TestFaxUploadTooLarge(t *testing.T) {
	f, h, _ := newFaxFixture(t)
	b, tok := signedIn(t, f, "0002")
	fields := url.Values{"csrf": {tok}, "device": {"fax1"}, "room": {"1203"}, "to": {"65123456"}}
	for _, tc := range []struct {
		name string
		size int
		want []string
	}{
		{name: "over the body limit", size: testUpload + 1, want: []string{"over the limit of 2 MiB", "Nothing was sent"}},
		{name: "over the document limit", size: testDocument + 10, want: []string{"over the fax limit of 1 MiB", "fax.max_document_mib"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := b.upload("/fax/quote", fields, "big.txt", bytes.Repeat([]byte("a"), tc.size))
			if res.code != http.StatusRequestEntityTooLarge {
				t.Errorf("%d, want 413", res.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.body, w) {
					t.Errorf("the page does not say %q:\n%s", w, res.body)
				}
			}
		})
	}
	// A body of unknown length (chunked) is cut at the limit as it is read.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v[0])
	}
	fw, _ := mw.CreateFormFile("document", "big.txt")
	_, _ = fw.Write(bytes.Repeat([]byte("a"), testUpload+1))
	_ = mw.Close()
	req := httptest.NewRequest("POST", "/fax/quote", io.MultiReader(&body)) // no length known
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for _, ck := range b.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	f.c.ServeHTTP(rec, req)
	if req.ContentLength != -1 || rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "over the limit of 2 MiB") {
		t.Errorf("chunked body over the limit (length %d): %d\n%s", req.ContentLength, rec.Code, rec.Body.String())
	}
	if n := len(h.commands()); n != 0 {
		t.Errorf("%d commands sent", n)
	}
}

// TestFaxJobPage: a job being sent shows each page's result so far, and
// once done its outcome and the transmission report.
func TestFaxJobPage(t *testing.T) {
	f, _, _ := newFaxFixture(t)
	now := f.clock.now()
	report := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(report, []byte("%PDF-1.4 report"), 0o600); err != nil {
		t.Fatal(err)
	}
	perPage, _ := json.Marshal([]fax.Page{{Page: 1, Confirmed: true, Code: "MCF", Tries: 1, Attempt: 1}, {Page: 2, Code: "RTN", Tries: 3, Attempt: 1}})
	var id int64
	if err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		if id, err = faxjobs.Enqueue(tx, faxjobs.Job{CommandID: "c1", Device: "fax1", Number: "65123456", Room: "1203", Operator: "0002",
			Document: "x.tif", Pages: 3}, faxjobs.DefaultPolicy(), now); err != nil {
			return err
		}
		return faxjobs.Finish(tx, id, faxjobs.Attempt{Outcome: faxjobs.Outcome{Pages: 3, Confirmed: 1, Retryable: true, Error: "NO CARRIER"},
			Start: now, Result: string(perPage), Report: report, Total: 1}, faxjobs.Retry, now.Add(3*time.Minute), now)
	}); err != nil {
		t.Fatal(err)
	}
	b, _ := signedIn(t, f, "0002")
	res := b.do("GET", fmt.Sprintf("/fax/jobs/%d", id), nil)
	for _, w := range []string{`<tr class="page-confirmed"><td>1</td>`, `<tr class="page-refused"><td>2</td>`, `<tr class="page-waiting"><td>3</td>`,
		"waiting to try again", "NO CARRIER", `value="1"`} {
		if !strings.Contains(res.body, w) {
			t.Errorf("the job page does not show %q:\n%s", w, res.body)
		}
	}
	if strings.Contains(res.body, `id="report-pdf"`) {
		t.Error("the report is offered before the job ended")
	}
	if err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		return faxjobs.Finish(tx, id, faxjobs.Attempt{Outcome: faxjobs.Outcome{Pages: 2, Confirmed: 2}, Start: now, Result: string(perPage), Report: report, Total: 3},
			faxjobs.Sent, now, now)
	}); err != nil {
		t.Fatal(err)
	}
	res = b.do("GET", fmt.Sprintf("/fax/jobs/%d", id), nil)
	if !strings.Contains(res.body, `id="report-pdf"`) || !strings.Contains(res.body, ">sent<") {
		t.Errorf("the ended job does not offer its report:\n%s", res.body)
	}
	pdf := b.do("GET", fmt.Sprintf("/fax/jobs/%d/report", id), nil)
	if pdf.code != http.StatusOK || pdf.header.Get("Content-Type") != "application/pdf" || pdf.body != "%PDF-1.4 report" {
		t.Errorf("report: %d %s %q", pdf.code, pdf.header.Get("Content-Type"), pdf.body)
	}
	if res := b.do("GET", "/fax/jobs/999", nil); res.code != http.StatusNotFound {
		t.Errorf("unknown job: %d", res.code)
	}
}

var untranslated = regexp.MustCompile(`[>" ](?:fax|upload)\.[a-z][a-z.-]*`)

// TestFaxPagesTranslated: every fax page renders in both languages with
// no message key left untranslated (a missing key shows as itself).
func TestFaxPagesTranslated(t *testing.T) {
	f, _, _ := newFaxFixture(t)
	now := f.clock.now()
	id := registerFax(t, f.st, faxjobs.Fax{Key: "k1", Device: "fax1", Received: now, Pages: 1, RemoteID: "+86 10 1234"})
	var job int64
	if err := f.st.InTx(context.Background(), func(tx *store.Tx) (err error) {
		job, err = faxjobs.Enqueue(tx, faxjobs.Job{CommandID: "c1", Device: "fax1", Number: "65123456", Room: "1203", Operator: "0002",
			Document: "x.tif", Pages: 2}, faxjobs.DefaultPolicy(), now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	b, _ := signedIn(t, f, "0002")
	for _, lang := range []string{"en", "zh-Hant"} {
		for _, path := range []string{"/fax", "/fax/inbox", "/fax/inbox?unassigned=1", fmt.Sprintf("/fax/inbox/%d", id), fmt.Sprintf("/fax/jobs/%d", job), "/"} {
			res := b.do("GET", path+map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")]+"lang="+lang, nil)
			if res.code != http.StatusOK {
				t.Errorf("%s %s: %d", lang, path, res.code)
				continue
			}
			if m := untranslated.FindAllString(res.body, -1); m != nil {
				t.Errorf("%s %s: untranslated %v", lang, path, m)
			}
			if lang == "zh-Hant" && !strings.Contains(res.body, "傳真") {
				t.Errorf("%s %s: not in Chinese", lang, path)
			}
		}
	}
}
