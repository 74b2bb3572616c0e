package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/events/hotel"
	"switchboard/internal/gateway"
	"switchboard/internal/operators"
	"switchboard/test/peers"
)

// capsLink is a hotel-link driver as cosNames sees it.
type capsLink struct{ cos []hotel.COS }

func (l capsLink) Capabilities() hotel.Capabilities {
	return hotel.Capabilities{Profile: "test", Commands: true, COS: l.cos}
}

// The console's class-of-service choices are the running hotel link's
// profile's, and none (every class) for anything else.
func TestConsoleCOSNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		drv  any
		want []string
	}{
		{"profile with classes", capsLink{cos: []hotel.COS{"barred", "local"}}, []string{"barred", "local"}},
		{"profile without classes", capsLink{}, []string{}},
		{"not a hotel link", struct{}{}, nil},
		{"not running", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cosNames(tc.drv); !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
				t.Fatalf("cosNames = %#v, want %#v", got, tc.want)
			}
		})
	}
	if consoleCOS(nil, "") != nil {
		t.Fatal("without a hotel link the console gets no list (every class)")
	}
}

// A site with neither a hotel link nor a PMS: the console's check-in and
// check-out go through the real gateway's folio.checkin and
// folio.checkout (the hotel desk's one stay path) as the operator; the
// business centre is refused.
func TestConsoleStaysWithoutHotelLink(t *testing.T) {
	dir := t.TempDir()
	yaml := fmt.Sprintf(`site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s}
mqtt: {embedded: {listen: "127.0.0.1:%d"}}
console: {listen: "127.0.0.1:%d"}
rooms: [{extensions: "1201-1210", class: guest}]
`, filepath.Join(dir, "sb.db"), peers.FreePort(t), peers.FreePort(t))
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, ok := loadConfig(cfgPath, os.Stderr)
	if !ok {
		t.Fatal("config")
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, err := gateway.New(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		g.Close()
	})
	ops := operators.New(g.Store())
	for _, op := range []operators.Operator{{Code: "0001", Name: "Lin", Role: operators.RoleOperator}, {Code: "0002", Name: "Clerk", Role: operators.RoleBusiness}} {
		if err := ops.Add(ctx, op, "1234", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	base, err := serveConsole(ctx, cfg, g, nil, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	signIn := func(code string) (*http.Client, string) {
		t.Helper()
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
		_, page := getPage(t, client, base+"signin")
		res, page := postForm(t, client, base+"signin", url.Values{"csrf": {csrf.FindStringSubmatch(page)[1]}, "code": {code}, "pin": {"1234"}})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("sign-in %s: %d\n%s", code, res.StatusCode, page)
		}
		return client, csrf.FindStringSubmatch(page)[1]
	}
	op, tok := signIn("0001")
	_, card := getPage(t, op, base+"rooms/1203")
	if !strings.Contains(card, "recorded at the gateway") || strings.Contains(card, `id="dnd-toggle"`) {
		t.Fatalf("the card without a hotel link:\n%s", card)
	}
	res, page := postForm(t, op, base+"rooms/1203/checkin", url.Values{"csrf": {tok}, "name": {"Chen Wei"}, "reservation": {"R-1"}})
	if res.Request.URL.Path != "/rooms/1203" || !strings.Contains(page, "folio.checkin 1203: done (completed)") || !strings.Contains(page, `<span id="guest">Chen Wei</span>`) {
		t.Fatalf("check-in: %d %s\n%s", res.StatusCode, res.Request.URL.Path, page)
	}
	res, page = postForm(t, op, base+"rooms/1203/checkin/confirm", url.Values{"csrf": {tok}, "name": {"Another"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(page, "Room 1203 is occupied") {
		t.Fatalf("a second check-in: %d\n%s", res.StatusCode, page)
	}
	clerk, ctok := signIn("0002")
	if res, _ := postForm(t, clerk, base+"rooms/1203/checkout", url.Values{"csrf": {ctok}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("the business centre's check-out: %d", res.StatusCode)
	}
	res, page = postForm(t, op, base+"rooms/1203/checkout", url.Values{"csrf": {tok}})
	if !strings.Contains(page, "folio.checkout 1203: done (completed)") || !strings.Contains(page, `<td id="stay">vacant</td>`) {
		t.Fatalf("check-out: %d\n%s", res.StatusCode, page)
	}
	var n int
	if err := g.Store().QueryRow(ctx, `SELECT COUNT(*) FROM commands WHERE principal='0001' AND role='operator' AND status='completed'
		AND topic IN ('edge/gw1/folio.checkin', 'edge/gw1/folio.checkout')`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("the command log has %d of the operator's folio commands (%v), want 2", n, err)
	}
}

func getPage(t *testing.T, client *http.Client, u string) (*http.Response, string) {
	t.Helper()
	res, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}
