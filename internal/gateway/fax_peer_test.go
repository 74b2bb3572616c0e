package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/events/fax"
	"switchboard/internal/fax/codec"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/faxdesk"
	"switchboard/test/peers"
)

// TestFaxPeerSendOnePageThroughCommand: fax.send over MQTT -> queue ->
// driver -> the spandsp line confirms the page -> hotel.fax.sent billed.
// Real time (about a minute): skipped with -short; run with the fax line
// packages (Makefile FAXLINE_PKGS).
func TestFaxPeerSendOnePageThroughCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("faxpeer test: real-time fax line (-short)")
	}
	if err := peers.FaxPeerToolchain(); err != nil {
		t.Skip(err)
	}
	t.Parallel()
	fp := peers.StartFaxPeer(t, peers.FaxPeerOptions{Mode: "receive", MaxRate: 9600})
	s := newFaxSiteWith(t, &config.Serial{Port: fp.Link(), Baud: 115200, Flow: "none"}, config.Fax{},
		Tuning{Fax: faxdesk.Options{SendWait: 3 * time.Minute}})
	rep := s.bo.commandWait(s.g.topics.Command("fax", "fax1", "fax.send"), "peer-send-1", "hotel.fax.cmd.fax.send",
		fax.SendData{To: "6512 3456", Room: "1203", Operator: "op07", Document: textDoc("One page to the spandsp line.\n")}, 4*time.Minute)
	pr, err := fp.WaitTimeout(30 * time.Second)
	t.Logf("faxpeer %s", pr.Line)
	if err != nil || !pr.OK() || pr.Pages != 1 {
		t.Fatalf("faxpeer: %v %s\n%s", err, pr.Line, fp.Log())
	}
	if rep.Status != "completed" {
		t.Fatalf("fax.send: %+v", rep)
	}
	var res fax.SendReply
	b, _ := json.Marshal(rep.Result)
	json.Unmarshal(b, &res)
	if res.State != faxjobs.Sent || res.Sent == nil || res.Sent.PagesConfirmed != 1 || !res.Sent.Billed {
		t.Fatalf("result %s", b)
	}
	sent := s.bo.event("hotel.fax.sent", func(d map[string]any) bool { return true })
	if sent["pages_confirmed"] != float64(1) || sent["amount_minor"].(float64) < 500 {
		t.Fatalf("sent %v", sent)
	}
}

// TestFaxPeerReceiveTwoPages: the spandsp far end sends two pages; the
// register shows them and the stored TIFF decodes with tiffinfo -D.
func TestFaxPeerReceiveTwoPages(t *testing.T) {
	if testing.Short() {
		t.Skip("faxpeer test: real-time fax line (-short)")
	}
	if err := peers.FaxPeerToolchain(); err != nil {
		t.Skip(err)
	}
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "in.tif")
	var bms []*codec.Bitmap
	for i := 0; i < 2; i++ {
		b := codec.NewBitmap(1728, 2287)
		b.FillRect(100, 100, 1628, 110)
		b.FillRect(300+i*60, 400, 330+i*60, 700)
		bms = append(bms, b)
	}
	writeTIFF(t, src, bms, true)
	fp := peers.StartFaxPeer(t, peers.FaxPeerOptions{Mode: "send", TIFF: src, Ident: "+86 10 1234", RingInterval: 3 * time.Second})
	s := newFaxSite(t, &config.Serial{Port: fp.Link(), Baud: 115200, Flow: "none"})
	pr, err := fp.WaitTimeout(3 * time.Minute)
	t.Logf("faxpeer %s", pr.Line)
	if err != nil || !pr.OK() {
		t.Fatalf("faxpeer: %v\n%s", err, fp.Log())
	}
	s.bo.event("hotel.fax.received", func(d map[string]any) bool { return d["pages"] == float64(2) })
	list, err := faxjobs.List(context.Background(), s.g.st, faxjobs.Filter{Unassigned: true})
	if err != nil || len(list) != 1 || list[0].Pages != 2 || list[0].RemoteID != "+86 10 1234" {
		t.Fatalf("register %+v %v", list, err)
	}
	if out, err := exec.Command("tiffinfo", "-D", list[0].TIFF).CombinedOutput(); err != nil || strings.Contains(string(out), "Error") {
		t.Fatalf("tiffinfo -D: %v\n%s", err, out)
	}
}

// threePagePDF makes a 3-page A4 PDF with Ghostscript (the hotel's guests
// bring PDFs; they are rasterized with gs -dSAFER).
func threePagePDF(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	ps := filepath.Join(dir, "doc.ps")
	var b strings.Builder
	b.WriteString("%!PS\n/Helvetica findfont 28 scalefont setfont\n")
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&b, "72 720 moveto (Page %d of 3: reservation confirmation) show\n72 100 moveto 450 0 rlineto 0 %d rlineto -450 0 rlineto closepath fill\nshowpage\n", i, 40*i)
	}
	os.WriteFile(ps, []byte(b.String()), 0o644)
	out := filepath.Join(dir, "doc.pdf")
	if o, err := exec.Command("gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sPAPERSIZE=a4", "-sDEVICE=pdfwrite", "-sOutputFile="+out, ps).CombinedOutput(); err != nil {
		t.Fatalf("gs: %v\n%s", err, o)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A 3-page A4 PDF sent through fax.send to a far end that offers ECM: the
// line runs ECM with MMR, the far end reports 3 pages OK, its TIFF decodes
// cleanly, and the charge covers 3 confirmed pages.
func TestFaxPeerSendThreePagePDFWithECM(t *testing.T) {
	if testing.Short() {
		t.Skip("faxpeer test: real-time fax line (-short)")
	}
	if err := peers.FaxPeerToolchain(); err != nil {
		t.Skip(err)
	}
	t.Parallel()
	fp := peers.StartFaxPeer(t, peers.FaxPeerOptions{Mode: "receive", ECM: true})
	s := newFaxSiteWith(t, &config.Serial{Port: fp.Link(), Baud: 115200, Flow: "none"}, config.Fax{},
		Tuning{Fax: faxdesk.Options{SendWait: 4 * time.Minute}})
	doc := base64.StdEncoding.EncodeToString(threePagePDF(t))
	rep := s.bo.commandWait(s.g.topics.Command("fax", "fax1", "fax.send"), "peer-send-pdf", "hotel.fax.cmd.fax.send",
		fax.SendData{To: "6512 3456", Room: "1203", Operator: "op07", Document: doc, Format: "application/pdf"}, 5*time.Minute)
	pr, err := fp.WaitTimeout(30 * time.Second)
	t.Logf("faxpeer %s", pr.Line)
	if err != nil || !pr.OK() || pr.Pages != 3 || !strings.Contains(pr.Line, "ecm=1") {
		t.Fatalf("faxpeer: %v %s\n%s", err, pr.Line, fp.Log())
	}
	if out, err := exec.Command("tiffinfo", "-D", fp.TIFF()).CombinedOutput(); err != nil || strings.Contains(strings.ToLower(string(out)), "error") {
		t.Fatalf("the far end's TIFF: %v\n%s", err, out)
	}
	if rep.Status != "completed" {
		t.Fatalf("fax.send: %+v", rep)
	}
	sent := s.bo.event("hotel.fax.sent", func(d map[string]any) bool { return true })
	if sent["pages_confirmed"] != float64(3) || sent["billed"] != true {
		t.Fatalf("sent %v", sent)
	}
}

// The line is cut during page 2: the first page (confirmed) and that call
// are billed at once, and the job is retried for the rest.
func TestFaxPeerLineCutOnPageTwo(t *testing.T) {
	if testing.Short() {
		t.Skip("faxpeer test: real-time fax line (-short)")
	}
	if err := peers.FaxPeerToolchain(); err != nil {
		t.Skip(err)
	}
	t.Parallel()
	fp := peers.StartFaxPeer(t, peers.FaxPeerOptions{Mode: "receive", MaxRate: 4800, CutAfter: 38 * time.Second})
	s := newFaxSiteWith(t, &config.Serial{Port: fp.Link(), Baud: 115200, Flow: "none"}, config.Fax{}, retrying(3, time.Hour))
	doc := base64.StdEncoding.EncodeToString(threePagePDF(t))
	s.bo.cl.PublishAsync(s.g.topics.Command("fax", "fax1", "fax.send"), 1, false,
		[]byte(command("peer-cut", "hotel.fax.cmd.fax.send", "frontdesk", mustJSONString(t, fax.SendData{To: "6512 3456", Room: "1203", Operator: "op07", Document: doc, Format: "application/pdf"}))))
	pr, _ := fp.WaitTimeout(3 * time.Minute)
	t.Logf("faxpeer %s", pr.Line)
	if !strings.Contains(pr.Line, "end=cut") || pr.Pages < 1 {
		t.Fatalf("the line was not cut after a page: %s\n%s", pr.Line, fp.Log())
	}
	att := s.bo.event("hotel.fax.attempt", func(d map[string]any) bool { return true })
	if att["pages_confirmed"] != float64(pr.Pages) || att["amount_minor"] == float64(0) {
		t.Fatalf("attempt %v (far end confirmed %d)", att, pr.Pages)
	}
	if n := s.bo.count(func(env events.Envelope) bool { return env.Type == "hotel.fax.sent" || env.Type == "hotel.fax.failed" }); n != 0 {
		t.Fatalf("the job ended (%d events) instead of waiting for its retry", n)
	}
}
