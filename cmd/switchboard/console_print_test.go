package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"switchboard/internal/business"
	"switchboard/internal/gateway"
	"switchboard/internal/operators"
	"switchboard/internal/printdesk"
	"switchboard/internal/rating"
	"switchboard/test/peers"
)

// TestConsolePrintsToIPPEvePrinter: a business-centre clerk prints a
// two-page PDF twice from the console to a real ippeveprinter, through the
// real gateway (its print desk, router and store): the confirm step's
// price is the tariff's, the job's page reaches completed with that bill,
// and the file, not kept, is deleted. Then a copy session on the same
// device, metered by its SNMP agent: started, 10 copies, stopped, billed.
func TestConsolePrintsToIPPEvePrinter(t *testing.T) {
	peer := peers.StartIPPEvePrinter(t, peers.IPPOptions{})
	agent := peers.StartSNMPD(t, 5000) // the copier's lifetime counter (Printer-MIB)
	dir := t.TempDir()
	yaml := fmt.Sprintf(`site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s}
mqtt: {embedded: {listen: "127.0.0.1:%d"}}
console: {listen: "127.0.0.1:%d"}
rooms: [{extensions: "1101-1299", class: guest}]
devices:
  - {id: prn1, driver: ipp, profile: ippeveprinter, options: {uri: "%s", poll: 150ms, job_poll: 100ms, timeout: 2s,
      snmp: {address: "%s", community: %s, timeout: 300ms, retries: 0}}}
`, filepath.Join(dir, "sb.db"), peers.FreePort(t), peers.FreePort(t), peer.URI(), agent.Addr(), agent.Community)
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, ok := loadConfig(cfgPath, os.Stderr)
	if !ok {
		t.Fatal("config")
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, err := gateway.NewTuned(ctx, cfg, discardLogger(), gateway.Tuning{Print: printdesk.Options{SweepEvery: 200 * time.Millisecond}})
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
	if err := operators.New(g.Store()).Add(ctx, operators.Operator{Code: "0002", Name: "Clerk", Role: operators.RoleBusiness}, "1234", time.Now()); err != nil {
		t.Fatal(err)
	}
	base, err := serveConsole(ctx, cfg, g, nil, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the printer's driver", 15*time.Second, func() bool {
		p, ok := g.Driver("prn1").(interface{ SizeOf(string) string })
		return ok && p.SizeOf("iso_a4_210x297mm") == "A4"
	})

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	get := func(path string) string {
		t.Helper()
		res, err := client.Get(base + strings.TrimPrefix(path, "/"))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, res.StatusCode, b)
		}
		return string(b)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	signin := get("/signin")
	res, err := client.PostForm(base+"signin", url.Values{"csrf": {csrf.FindStringSubmatch(signin)[1]}, "code": {"0002"}, "pin": {"1234"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	tok := csrf.FindStringSubmatch(get("/print"))[1]

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, kv := range [][2]string{{"csrf", tok}, {"device", "prn1"}, {"room", "1203"}, {"copies", "2"}, {"sides", "one-sided"},
		{"color", "monochrome"}, {"media", "iso_a4_210x297mm"}, {"keep", "no"}} {
		mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("document", "menu.pdf")
	fw.Write(peers.PDF(2))
	mw.Close()
	res, err = client.Post(base+"print/confirm", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	confirm, _ := io.ReadAll(res.Body)
	res.Body.Close()
	tariff, err := business.LoadTariff("")
	if err != nil {
		t.Fatal(err)
	}
	want := business.PriceOf(tariff, rating.BusinessItem{Service: rating.ServicePrint, Size: "A4", Impressions: 4})
	price := want.Price.String() + " " + want.Currency
	if res.StatusCode != http.StatusOK || !strings.Contains(string(confirm), `<strong id="quote">`+price+`</strong>`) {
		t.Fatalf("confirm: %d, want the price %s\n%s", res.StatusCode, price, confirm)
	}
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(string(confirm))[1]
	res, err = client.PostForm(base+"print/submit", url.Values{"csrf": {tok}, "token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	jobPath := res.Request.URL.Path // the redirect followed: the job's page
	if !strings.HasPrefix(jobPath, "/print/jobs/") {
		t.Fatalf("after the confirm: %s (%d)", jobPath, res.StatusCode)
	}
	var page string
	waitFor(t, "the job completed, billed and its file deleted", 30*time.Second, func() bool {
		page = get(jobPath)
		return strings.Contains(page, `id="job-state">completed<`) && strings.Contains(page, `id="bill"`) && strings.Contains(page, "File deleted at")
	})
	for _, h := range []string{`<strong id="bill">` + price + `</strong>`, `id="job-impressions">4`, `id="job-room">1203`, `id="job-name">menu.pdf`} {
		if !strings.Contains(page, h) {
			t.Errorf("job page: no %q\n%s", h, page)
		}
	}

	// The copy session.
	res, page = postForm(t, client, base+"copy/start", url.Values{"csrf": {tok}, "device": {"prn1"}, "room": {"1205"},
		"media": {"iso_a4_210x297mm"}, "color": {"monochrome"}})
	open := regexp.MustCompile(`name="session" value="(\d+)"`).FindStringSubmatch(page)
	if res.StatusCode != http.StatusOK || open == nil || !strings.Contains(page, "5000") {
		t.Fatalf("copy.start: %d\n%s", res.StatusCode, page)
	}
	agent.Advance(10)
	res, page = postForm(t, client, base+"copy/stop", url.Values{"csrf": {tok}, "session": {open[1]}})
	if res.Request.URL.Path != "/copy/sessions/"+open[1] {
		t.Fatalf("copy.stop: %d %s\n%s", res.StatusCode, res.Request.URL.Path, page)
	}
	copyPrice := business.PriceOf(tariff, rating.BusinessItem{Service: rating.ServiceCopy, Size: "A4", Impressions: 10})
	for _, h := range []string{`id="session-pages">10`, `<strong id="bill">` + copyPrice.Price.String() + " " + copyPrice.Currency + `</strong>`, "5010"} {
		if !strings.Contains(page, h) {
			t.Errorf("copy bill: no %q\n%s", h, page)
		}
	}
}

func postForm(t *testing.T, client *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	res, err := client.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func waitFor(t *testing.T, what string, within time.Duration, ok func() bool) {
	t.Helper()
	end := time.Now().Add(within)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
