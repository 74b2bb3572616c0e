// Package faxpeer_test proves the spandsp fax line (faxpeer) with a
// third-party Class 1 host, Debian's efax, before any switchboard code is
// tested against it: efax sends to faxpeer, faxpeer sends to efax.
package faxpeer_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/test/peers"
)

// need skips when a tool is missing on a developer machine; under CI (where
// `make test` installs everything first) a missing tool is a failure.
func need(t *testing.T) {
	t.Helper()
	var missing []string
	if err := peers.FaxPeerToolchain(); err != nil {
		missing = append(missing, err.Error())
	}
	for _, c := range []string{"efax", "gs", "tiffinfo"} {
		if _, err := exec.LookPath(c); err != nil {
			missing = append(missing, c+" not found")
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "faxpeer proof needs: " + strings.Join(missing, "; ") +
		" (Debian: libspandsp-dev libtiff-dev pkg-config efax ghostscript libtiff-tools; run test/install-deps.sh)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// pagesPS draws n simple pages, each with its number on it.
func pagesPS(n int) string {
	return fmt.Sprintf(`%%!PS
/Helvetica findfont 36 scalefont setfont
1 1 %d { /p exch def
  72 700 moveto (switchboard faxpeer test) show
  72 650 moveto (page ) show p 3 string cvs show
  72 600 moveto (Hotel front office, room 1203) show
  4 setlinewidth 72 500 moveto 540 500 lineto stroke
  showpage } for
`, n)
}

// makeTIFF writes an n-page TIFF/G3 fax file (204x196 dpi, 1728 wide, one
// strip per page so efax can read it too) with Ghostscript.
func makeTIFF(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	ps := filepath.Join(dir, "pages.ps")
	tif := filepath.Join(dir, fmt.Sprintf("pages%d.tif", n))
	if err := os.WriteFile(ps, []byte(pagesPS(n)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffg3",
		"-dMaxStripSize=0", "-sPAPERSIZE=a4", "-sOutputFile="+tif, ps).CombinedOutput()
	if err != nil {
		t.Fatalf("gs: %v\n%s", err, out)
	}
	if got := tiffPages(t, tif); got != n {
		t.Fatalf("gs made %d pages, want %d", got, n)
	}
	return tif
}

// tiffPages decodes every strip of a TIFF (tiffinfo -D) and counts its
// pages; any decoding complaint fails the test.
func tiffPages(t *testing.T, path string) int {
	t.Helper()
	cmd := exec.Command("tiffinfo", "-D", path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || strings.TrimSpace(stderr.String()) != "" {
		t.Fatalf("tiffinfo -D %s: %v\n%s%s", path, err, stderr.String(), out)
	}
	if !strings.Contains(string(out), "Image Width: 1728") {
		t.Fatalf("tiffinfo -D %s: not a 1728-pixel fax page:\n%s", path, out)
	}
	return strings.Count(string(out), "TIFF Directory at offset")
}

type efaxRun struct {
	rc   int
	log  string
	took time.Duration
}

// runEfax runs efax against the pty and waits (at most limit).
func runEfax(t *testing.T, limit time.Duration, args ...string) efaxRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "efax", args...)
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	r := efaxRun{log: string(out), took: time.Since(start)}
	if cmd.ProcessState != nil {
		r.rc = cmd.ProcessState.ExitCode()
	}
	if ctx.Err() != nil {
		r.rc = -1
	}
	if err != nil && r.rc == 0 {
		r.rc = -1
	}
	return r
}

const (
	efaxID = "+1 212 555 0199"
	farID  = "+86 10 1234"
)

// efax dials (ATD) and sends one page; faxpeer answers and receives it.
func TestEfaxSendsToFaxPeer(t *testing.T) {
	need(t)
	t.Parallel()
	page := makeTIFF(t, 1)
	fp := peers.StartFaxPeer(t, peers.FaxPeerOptions{Mode: "receive", Ident: farID, Timeout: 150 * time.Second})
	e := runEfax(t, 160*time.Second, "-d", fp.Link(), "-l", efaxID, "-v", "ewinchrt", "-t", "5551234", page)
	res, err := fp.WaitTimeout(30 * time.Second)
	t.Logf("efax rc=%d in %v; %s", e.rc, e.took.Round(100*time.Millisecond), res.Line)
	if err != nil || e.rc != 0 || !res.OK() || res.Pages != 1 || res.PagesRx != 1 {
		t.Fatalf("efax -> faxpeer failed: efax rc=%d, result %+v, err %v\nefax log:\n%s\n%s", e.rc, res, err, e.log, fp.Log())
	}
	if res.Remote != efaxID {
		t.Errorf("far end saw TSI %q, want %q", res.Remote, efaxID)
	}
	if res.BitRate != 14400 {
		t.Errorf("bit rate %d, want 14400 (V.17 both sides)", res.BitRate)
	}
	if !strings.Contains(e.log, farID) {
		t.Errorf("efax did not report the far end's CSI %q:\n%s", farID, e.log)
	}
	if n := tiffPages(t, fp.TIFF()); n != 1 {
		t.Errorf("received TIFF has %d pages, want 1", n)
	}
	if res.MaxLateMs > 100 {
		t.Logf("warning: a 20 ms tick ran %.0f ms late (%d late ticks): the machine is loaded", res.MaxLateMs, res.LateTicks)
	}
}

// faxpeer rings; efax answers on the second ring (-w -iS0=2) and receives
// three pages.
func TestFaxPeerSendsToEfax(t *testing.T) {
	need(t)
	t.Parallel()
	doc := makeTIFF(t, 3)
	fp := peers.StartFaxPeer(t, peers.FaxPeerOptions{Mode: "send", TIFF: doc, Ident: farID, Timeout: 170 * time.Second})
	rx := filepath.Join(t.TempDir(), "rcv")
	e := runEfax(t, 180*time.Second, "-d", fp.Link(), "-l", efaxID, "-v", "ewinchrt", "-w", "-iS0=2", "-r", rx)
	res, err := fp.WaitTimeout(30 * time.Second)
	t.Logf("efax rc=%d in %v; %s", e.rc, e.took.Round(100*time.Millisecond), res.Line)
	if err != nil || e.rc != 0 || !res.OK() || res.Pages != 3 || res.PagesTx != 3 {
		t.Fatalf("faxpeer -> efax failed: efax rc=%d, result %+v, err %v\nefax log:\n%s\n%s", e.rc, res, err, e.log, fp.Log())
	}
	if res.Remote != efaxID {
		t.Errorf("far end saw CSI %q, want %q", res.Remote, efaxID)
	}
	if !strings.Contains(fp.Log(), "RING 2") {
		t.Errorf("faxpeer did not ring twice before efax answered (S0=2):\n%s", fp.Log())
	}
	for i := 1; i <= 3; i++ {
		f := fmt.Sprintf("%s.%03d", rx, i)
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("efax did not write page %d: %v\n%s", i, err, e.log)
		}
		if n := tiffPages(t, f); n != 1 {
			t.Errorf("%s has %d pages, want 1", f, n)
		}
	}
	if _, err := os.Stat(rx + ".004"); err == nil {
		t.Errorf("efax wrote a fourth page")
	}
}

// The far end limited to V.27ter, offering ECM (efax has none) on a noisy
// line: the page still arrives, at 4800 bit/s, without ECM.
func TestEfaxToFaxPeerV27terNoisy(t *testing.T) {
	need(t)
	if testing.Short() {
		t.Skip("about 45 s at 4800 bit/s")
	}
	t.Parallel()
	page := makeTIFF(t, 1)
	fp := peers.StartFaxPeer(t, peers.FaxPeerOptions{Mode: "receive", Ident: farID, MaxRate: 4800, ECM: true,
		Noise: true, NoiseDB: -50, Timeout: 170 * time.Second})
	e := runEfax(t, 180*time.Second, "-d", fp.Link(), "-l", efaxID, "-v", "ewinchrt", "-t", "5551234", page)
	res, err := fp.WaitTimeout(30 * time.Second)
	t.Logf("efax rc=%d in %v; %s", e.rc, e.took.Round(100*time.Millisecond), res.Line)
	if err != nil || e.rc != 0 || !res.OK() || res.Pages != 1 {
		t.Fatalf("V.27ter transfer failed: efax rc=%d, result %+v, err %v\nefax log:\n%s\n%s", e.rc, res, err, e.log, fp.Log())
	}
	if res.BitRate != 4800 || res.ECM {
		t.Errorf("negotiated %d bit/s ecm=%v, want 4800 without ECM", res.BitRate, res.ECM)
	}
	tiffPages(t, fp.TIFF())
}

// The line drops in the middle of the first of three pages (18 s: the page
// data starts at about 13 s): efax gets NO CARRIER and fails; faxpeer
// reports end=cut and a non-OK T.30 status. (Cutting right at the start of
// the page data makes efax 0.9a die of SIGFPE: it divides by the whole
// seconds the page took.)
func TestFaxPeerCutsTheLine(t *testing.T) {
	need(t)
	t.Parallel()
	doc := makeTIFF(t, 3)
	fp := peers.StartFaxPeer(t, peers.FaxPeerOptions{Mode: "receive", Ident: farID, CutAfter: 18 * time.Second, Timeout: 120 * time.Second})
	e := runEfax(t, 130*time.Second, "-d", fp.Link(), "-l", efaxID, "-v", "ewinchrt", "-t", "5551234", doc)
	res, err := fp.WaitTimeout(30 * time.Second)
	t.Logf("efax rc=%d in %v; %s", e.rc, e.took.Round(100*time.Millisecond), res.Line)
	if err != nil {
		t.Fatalf("%v\n%s", err, fp.Log())
	}
	if res.End != "cut" || res.OK() || res.Pages >= 3 {
		t.Errorf("want end=cut, a failed status and fewer than 3 pages; got %s\n%s", res.Line, fp.Log())
	}
	if e.rc == 0 {
		t.Errorf("efax reported success on a cut line:\n%s", e.log)
	}
	if !strings.Contains(e.log, `response "NO CARRIER"`) {
		t.Errorf("efax did not see NO CARRIER:\n%s", e.log)
	}
	if !strings.Contains(fp.Log(), "NO CARRIER") {
		t.Errorf("faxpeer did not send NO CARRIER to the host:\n%s", fp.Log())
	}
}

func TestParseFaxResult(t *testing.T) {
	r, err := peers.ParseFaxResult(`RESULT status=0 (OK) pages=3 bitrate=14400 ecm=1 remote="+86 10 \"1234\"" pages_rx=0 pages_tx=3 mode=send end=done duration=41.2 late_ticks=0 max_late_ms=2`)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Pages != 3 || r.BitRate != 14400 || !r.ECM || r.Remote != `+86 10 "1234"` || r.PagesTx != 3 || r.End != "done" || r.Mode != "send" {
		t.Errorf("parsed %+v", r)
	}
	if _, err := peers.ParseFaxResult("RESULT garbage"); err == nil {
		t.Error("garbage parsed")
	}
	r, err = peers.ParseFaxResult(`RESULT status=-1 (???) pages=0 bitrate=0 ecm=0 remote="" pages_rx=0 pages_tx=0 mode=receive end=timeout duration=0.0 late_ticks=3 max_late_ms=45`)
	if err != nil || r.OK() || r.End != "timeout" {
		t.Errorf("parsed %+v, %v", r, err)
	}
}
