package console

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The page width the front desk's screens have (1366×768 laptops).
const (
	screenW = 1366
	screenH = 768
)

// chromium is the browser's path, "" when none is installed.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artifacts is where the screenshots go: the test's artifact folder
// (go test -artifacts keeps it), or $SB_ARTIFACTS when set.
func artifacts(t *testing.T) string {
	dir := t.ArtifactDir()
	if env := os.Getenv("SB_ARTIFACTS"); env != "" {
		dir = env
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("SB_ARTIFACTS: %v", err)
		}
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// person is one browser tab of someone at the desk.
type person struct {
	t    *testing.T
	name string
	ctx  context.Context
	base string
	dir  string
	shot *int // screenshots taken, for their file names' order
}

// run runs actions in the person's tab, failing the test with what was being done.
func (p *person) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, what, err)
	}
}

// get runs one action that reads something from the person's tab.
func get[T any](p *person, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, a)
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, what, err)
	}
	return v
}

// signIn types the operator code and PIN on the sign-in page.
func (p *person) signIn(code, pin string) {
	p.t.Helper()
	p.run("sign in", chromedp.EmulateViewport(screenW, screenH),
		chromedp.Navigate(p.base+"signin"),
		chromedp.WaitVisible("#code"),
		chromedp.SendKeys("#code", code),
		chromedp.SendKeys("#pin", pin),
		chromedp.Click("#signin"),
		chromedp.WaitVisible("ul.tiles"))
}

// look checks the page now shown: it does not overflow a 1366-pixel
// screen, and it is saved as a PNG. A page reached by GET is looked at in
// English and in Traditional Chinese (then set back to English); one that
// is the answer to a POST (a confirm step) only as it is.
func (p *person) look(name string) {
	p.t.Helper()
	loc := get(p, "read the address", chromedp.Location())
	p.check(name + "-en")
	if strings.HasSuffix(name, "-posted") {
		return
	}
	u, err := url.Parse(loc)
	if err != nil {
		p.t.Fatalf("%s: the page's address %q: %v", p.name, loc, err)
	}
	q := u.Query()
	for _, lang := range []string{"zh-Hant", "en"} {
		q.Set("lang", lang)
		u.RawQuery = q.Encode()
		p.run("open "+name+" in "+lang, chromedp.Navigate(u.String()), chromedp.WaitReady("body"))
		if lang != "en" {
			p.check(name + "-" + lang)
		}
	}
}

// check measures the page's width and takes its full screenshot.
func (p *person) check(name string) {
	p.t.Helper()
	// A tab behind another draws no frames, and a screenshot of it waits
	// for one (seen: the scripted day hung on a background tab): the tab
	// is brought to the front first, and the whole look is bounded.
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.BringToFront, cdp.Empty{}); err != nil {
		p.t.Fatalf("%s: bring %s to the front: %v", p.name, name, err)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		p.t.Fatalf("%s: measure %s: %v", p.name, name, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("%s: screenshot %s: %v", p.name, name, err)
	}
	if width > screenW {
		p.t.Errorf("%s: %s is %d px wide, wider than a %d px screen", p.name, name, width, screenW)
	}
	*p.shot++
	file := filepath.Join(p.dir, fmt.Sprintf("%02d-%s-%s.png", *p.shot, p.name, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Fatalf("screenshot %s: %v", file, err)
	}
}

// text is the text of the first element matching sel.
func (p *person) text(sel string) string {
	p.t.Helper()
	return get(p, "read "+sel, chromedp.Text(sel))
}

// step times one step of the day and logs it.
func step(t *testing.T, name string, times *[]stepTime, fn func()) {
	t.Helper()
	start := time.Now()
	fn()
	d := time.Since(start)
	*times = append(*times, stepTime{name, d})
	t.Logf("step %q: %s", name, d.Round(10*time.Millisecond))
}

type stepTime struct {
	name string
	took time.Duration
}
