package console

import (
	"context"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium is the headless browser the browser tests drive ("": none).
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// A person signs in as a browser does: types the code and PIN, presses
// the button, and sees the desk with their name; then signs out.
func TestBrowserSignIn(t *testing.T) {
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian package chromium; make deps installs it): the browser test is skipped")
	}
	f := newFixture(t, false, nil)
	srv := httptest.NewServer(f.c)
	defer srv.Close()
	actx, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox)...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Steps(
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible("#code"),
		chromedp.SendKeys("#code", "0001"),
		chromedp.SendKeys("#pin", "1234"),
		chromedp.Click("#signin"),
		chromedp.WaitVisible("ul.tiles"),
	))
	if err != nil {
		t.Fatal(err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text("main h1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.Click(`form[action="/signout"] button`), chromedp.WaitVisible("#code")))
	if err != nil {
		t.Fatal(err)
	}
	after, err := chromedp.Run(ctx, chromedp.Text("main h1"))
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Op operator" || !strings.Contains(after, "Sign in") {
		t.Fatalf("after sign-in %q, after sign-out %q", heading, after)
	}
}
