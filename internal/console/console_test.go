package console

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/operators"
	"switchboard/internal/passwd"
	"switchboard/internal/store"
)

// fakeHost records the commands the console sends and completes them.
type fakeHost struct {
	st   *store.Store
	mu   sync.Mutex
	sent []sentCommand
}

type sentCommand struct {
	domain, device, name string
	data                 any
	by                   bus.Principal
}

func (h *fakeHost) Store() *store.Store { return h.st }

func (h *fakeHost) Command(ctx context.Context, domain, device, name string, data any, by bus.Principal) (bus.Reply, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent = append(h.sent, sentCommand{domain, device, name, data, by})
	return bus.Reply{CommandID: "cmd-" + name, Command: name, Device: device, Status: "completed"}, nil
}

// clock is a test clock the console reads.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var site = time.FixedZone("CST", 8*3600)

type fixture struct {
	c     *Console
	st    *store.Store
	ops   *operators.Store
	clock *clock
}

// cheap argon2id costs: the tests verify many PINs.
var cheap = passwd.Params{MemoryKiB: 64, Passes: 1, Threads: 1}

// newFixture is a console on a store in t's temporary folder with one
// operator of each role: 0001 operator, 0002 business, 0003 supervisor,
// 0004 admin, all with PIN 1234. host nil: a fakeHost.
func newFixture(t testing.TB, secure bool, host func(*store.Store) Host) *fixture {
	t.Helper()
	st := openStore(t, filepath.Join(t.TempDir(), "sb.db"))
	ops := operators.NewWithParams(st, cheap)
	clk := &clock{t: time.Date(2026, 12, 4, 22, 0, 0, 0, site)}
	if err := addOperators(ops, clk.now()); err != nil {
		t.Fatal(err)
	}
	return fixtureOn(t, st, clk, Options{Secure: secure}, host)
}

// openStore opens the store at path for t's duration.
func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// addOperators adds the fixture's operators: one of each role, PIN 1234.
func addOperators(ops *operators.Store, at time.Time) error {
	for i, role := range []operators.Role{operators.RoleOperator, operators.RoleBusiness, operators.RoleSupervisor, operators.RoleAdmin} {
		op := operators.Operator{Code: "000" + string(rune('1'+i)), Name: "Op " + string(role), Role: role}
		if err := ops.Add(context.Background(), op, "1234", at); err != nil {
			return err
		}
	}
	return nil
}

// fixtureOn is a console on st (its operators already added) with the
// options o adds to the fixture's host, zone, clock and log.
func fixtureOn(t testing.TB, st *store.Store, clk *clock, o Options, host func(*store.Store) Host) *fixture {
	t.Helper()
	ops := operators.NewWithParams(st, cheap)
	var h Host = &fakeHost{st: st}
	if host != nil {
		h = host(st)
	}
	o.Host, o.Location, o.Operators, o.Now = h, site, ops, clk.now
	if o.HotelLink == "" {
		o.HotelLink = "link1"
	}
	o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{c: c, st: st, ops: ops, clock: clk}
}

// browser keeps cookies as a browser does for one site, and the page's
// form token.
type browser struct {
	t       testing.TB
	f       *fixture
	cookies map[string]*http.Cookie
	remote  string // the request's remote address; "" httptest's 192.0.2.1:1234
}

func (f *fixture) browser(t testing.TB) *browser {
	return &browser{t: t, f: f, cookies: map[string]*http.Cookie{}}
}

type response struct {
	code    int
	body    string
	header  http.Header
	cookies []*http.Cookie
}

func (b *browser) do(method, path string, form url.Values) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if b.remote != "" {
		req.RemoteAddr = b.remote
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, ck := range b.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	b.f.c.ServeHTTP(rec, req)
	res := rec.Result()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 {
			delete(b.cookies, ck.Name)
		} else {
			b.cookies[ck.Name] = ck
		}
	}
	out, _ := io.ReadAll(res.Body)
	return response{code: res.StatusCode, body: string(out), header: res.Header, cookies: res.Cookies()}
}

// postMultipart posts a multipart body (a form with a file) with the
// browser's cookies.
func (b *browser) postMultipart(path string, body *bytes.Buffer, contentType string) response {
	b.t.Helper()
	req := httptest.NewRequest("POST", path, body)
	req.Header.Set("Content-Type", contentType)
	for _, ck := range b.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	b.f.c.ServeHTTP(rec, req)
	res := rec.Result()
	out, _ := io.ReadAll(res.Body)
	return response{code: res.StatusCode, body: string(out), header: res.Header, cookies: res.Cookies()}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// formToken is the form token of a page.
func formToken(t testing.TB, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in the page:\n%s", page)
	}
	return m[1]
}

// signIn signs in with code and pin and returns the home page's form token.
func (b *browser) signIn(code, pin string) (response, string) {
	b.t.Helper()
	page := b.do("GET", "/signin", nil)
	res := b.do("POST", "/signin", url.Values{"csrf": {formToken(b.t, page.body)}, "code": {code}, "pin": {pin}})
	if res.code != http.StatusSeeOther {
		return res, ""
	}
	home := b.do("GET", "/", nil)
	if home.code != http.StatusOK {
		b.t.Fatalf("home after sign-in: %d\n%s", home.code, home.body)
	}
	return res, formToken(b.t, home.body)
}

// session is the browser's session cookie value.
func (b *browser) session() string {
	if ck, ok := b.cookies[sessionCookie]; ok {
		return ck.Value
	}
	return ""
}

func newTopics() events.Topics { return events.Topics{Group: "acme", Property: "h042", Gateway: "gw1"} }
