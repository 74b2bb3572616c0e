package faxmodem

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/drivers"
	"switchboard/internal/events/fax"
	"switchboard/internal/fax/codec"
	tifff "switchboard/internal/fax/tiff"
	"switchboard/test/peers"
)

func needFaxPeer(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("faxpeer tests take a minute each (-short)")
	}
	if err := peers.FaxPeerToolchain(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// startDriver runs a faxmodem driver on the peer's pty. faults disturbs
// its ECM (ecm.go); it is set before the driver runs.
func startDriver(t *testing.T, fp *peers.FaxPeer, profile string, opts map[string]any, faults ecmFaults) (*Driver, *memSink, context.CancelFunc) {
	t.Helper()
	sink := &memSink{}
	d, err := New(drivers.Device{ID: "fax1", Driver: "faxmodem", Profile: profile, Options: opts},
		drivers.Deps{Link: ptyOpener{fp.Link()}, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	d.ecmFaults = faults
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return d, sink, cancel
}

func tiffDecodes(t *testing.T, path string) string {
	t.Helper()
	if _, err := exec.LookPath("tiffinfo"); err != nil {
		t.Log("tiffinfo missing: not checked")
		return ""
	}
	out, err := exec.Command("tiffinfo", "-D", path).CombinedOutput()
	if err != nil {
		t.Errorf("tiffinfo -D %s: %v\n%s", path, err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "Warning") || strings.Contains(l, "Error") || strings.Contains(l, "Bad code") {
			t.Errorf("tiffinfo -D: %s", l)
		}
	}
	return string(out)
}

func chartPages(n int) []*codec.Bitmap {
	var ps []*codec.Bitmap
	for i := 0; i < n; i++ {
		b := codec.TestChart(1728, 2287)
		b.FillRect(200+i*150, 1200, 300+i*150, 1300) // pages differ
		ps = append(ps, b)
	}
	return ps
}

func sendThroughPeer(t *testing.T, popts peers.FaxPeerOptions, job fax.SendJob, faults ecmFaults) (fax.SendResult, peers.FaxResult, error) {
	t.Helper()
	popts.Mode = "receive"
	fp := peers.StartFaxPeer(t, popts)
	d, _, _ := startDriver(t, fp, "spandsp", nil, faults)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	res, err := d.Send(ctx, job)
	pr, perr := fp.WaitTimeout(30 * time.Second)
	if perr != nil {
		t.Errorf("faxpeer: %v", perr)
	}
	t.Logf("faxpeer %s", pr.Line)
	t.Logf("reaction times: %+v", d.Reactions())
	if t.Failed() || err != nil || testing.Verbose() {
		t.Logf("trace:\n%s", res.Trace)
		if t.Failed() || err != nil {
			t.Logf("peer log:\n%s", lastLines(fp.Log(), 80))
		}
	}
	if pr.End != "" && popts.CutAfter == 0 {
		tiffDecodes(t, fp.TIFF())
	}
	return res, pr, err
}

func lastLines(s string, n int) string {
	l := strings.Split(s, "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

func TestFaxPeerSendOnePageMH9600(t *testing.T) {
	needFaxPeer(t)
	t.Parallel()
	res, pr, err := sendThroughPeer(t, peers.FaxPeerOptions{MaxRate: 9600},
		fax.SendJob{Number: "5551234", Pages: chartPages(1), Resolution: fax.Fine, Ident: "+1 212 555 0199", NoMR: true}, ecmFaults{})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if res.PagesConfirmed != 1 || res.BitRate != 9600 || !pr.OK() || pr.Pages != 1 {
		t.Errorf("result %+v, peer %s", res, pr.Line)
	}
	if strings.TrimSpace(pr.Remote) != "+1 212 555 0199" {
		t.Errorf("far end saw TSI %q", pr.Remote)
	}
}

// lightPages are mostly white pages (a frame, a few bars, the page number
// as bars): a few KB each in MH, so a test call lasts seconds per page.
func lightPages(n int) []*codec.Bitmap {
	var ps []*codec.Bitmap
	for i := 0; i < n; i++ {
		b := codec.NewBitmap(1728, 2287)
		b.FillRect(100, 100, 1628, 110)
		b.FillRect(100, 2177, 1628, 2187)
		b.FillRect(100, 100, 110, 2187)
		b.FillRect(1618, 100, 1628, 2187)
		for k := 0; k <= i; k++ {
			b.FillRect(300+k*60, 400, 330+k*60, 700)
		}
		b.FillRect(300, 1000, 1400, 1040)
		ps = append(ps, b)
	}
	return ps
}

func writeTIFF(t *testing.T, pages []*codec.Bitmap) string {
	t.Helper()
	var tp []*tifff.Page
	for i, b := range pages {
		p, err := tifff.NewPage(b, codec.Params{Scheme: codec.MH}, tifff.YResFine)
		if err != nil {
			t.Fatal(err)
		}
		p.PageNumber, p.PageCount = i, len(pages)
		tp = append(tp, p)
	}
	path := filepath.Join(t.TempDir(), "doc.tif")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := tifff.Write(f, tp); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFaxPeerReceiveTwoPages(t *testing.T) {
	needFaxPeer(t)
	t.Parallel()
	src := lightPages(2)
	fp := peers.StartFaxPeer(t, peers.FaxPeerOptions{Mode: "send", TIFF: writeTIFF(t, src), Ident: "+86 10 1234", RingInterval: 3 * time.Second})
	_, sink, _ := startDriver(t, fp, "spandsp", map[string]any{"rings": 1, "ident": "+1 212 555 0199"}, ecmFaults{})
	pr, err := fp.WaitTimeout(3 * time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("faxpeer %s", pr.Line)
	var recs []fax.Received
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if recs = sink.received(); len(recs) > 0 {
			break
		}
	}
	if len(recs) != 1 {
		t.Fatalf("%d Received records; peer log:\n%s", len(recs), lastLines(fp.Log(), 60))
	}
	rec := recs[0]
	if testing.Verbose() || !pr.OK() {
		t.Logf("trace:\n%s", rec.Trace)
	}
	if !pr.OK() || pr.Pages != 2 || len(rec.Pages) != 2 || !rec.Complete || rec.RemoteID != "+86 10 1234" {
		t.Fatalf("peer %s; record: %d pages, complete %v, remote %q, err %q", pr.Line, len(rec.Pages), rec.Complete, rec.RemoteID, rec.Error)
	}
	for i, p := range rec.Pages {
		bm, err := codec.Decode(p.Data, p.Params)
		if err != nil {
			t.Errorf("page %d: %v", i+1, err)
			continue
		}
		if p.BadLines != 0 || p.Response != fax.MCF || p.Partial {
			t.Errorf("page %d: %+v", i+1, p)
		}
		if bm.Height != src[i].Height || !bm.Equal(src[i]) {
			t.Errorf("page %d: decoded %dx%d differs from what the far end sent", i+1, bm.Width, bm.Height)
		}
	}
}

func TestFaxPeerSendThreePagesFine(t *testing.T) {
	needFaxPeer(t)
	t.Parallel()
	res, pr, err := sendThroughPeer(t, peers.FaxPeerOptions{},
		fax.SendJob{Number: "5551234", Pages: lightPages(3), Resolution: fax.Fine, Ident: "+1 212 555 0199"}, ecmFaults{})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if res.PagesConfirmed != 3 || !pr.OK() || pr.Pages != 3 {
		t.Errorf("result %+v, peer %s", res, pr.Line)
	}
	for _, p := range res.PerPage {
		if !p.Confirmed || p.Code != fax.MCF {
			t.Errorf("page %+v", p)
		}
	}
}

func TestFaxPeerFarEnd4800(t *testing.T) {
	needFaxPeer(t)
	t.Parallel()
	res, pr, err := sendThroughPeer(t, peers.FaxPeerOptions{MaxRate: 4800},
		fax.SendJob{Number: "5551234", Pages: lightPages(1), Resolution: fax.Fine, Ident: "+1 212 555 0199"}, ecmFaults{})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if res.PagesConfirmed != 1 || res.BitRate != 4800 || !pr.OK() || pr.BitRate != 4800 {
		t.Errorf("result %+v, peer %s", res, pr.Line)
	}
}

// The line is cut during page 2 (V.27ter 4800: page 1 is confirmed about
// 29 s after the call is up, page 2 runs until about 47 s).
func TestFaxPeerCutOnPageTwo(t *testing.T) {
	needFaxPeer(t)
	t.Parallel()
	res, pr, err := sendThroughPeer(t, peers.FaxPeerOptions{MaxRate: 4800, CutAfter: 38 * time.Second},
		fax.SendJob{Number: "5551234", Pages: lightPages(3), Resolution: fax.Fine, Ident: "+1 212 555 0199"}, ecmFaults{})
	if err == nil {
		t.Fatalf("send succeeded over a cut line: %+v", res)
	}
	t.Logf("send error: %v", err)
	if !res.Retryable || res.PagesConfirmed != 1 || pr.End != "cut" || pr.Pages != 1 {
		t.Errorf("result %+v, peer %s", res, pr.Line)
	}
}
