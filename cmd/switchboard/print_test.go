package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/test/peers"
)

// TestPrintCopyAndBusinessReports drives the CLI against a running
// gateway with a real ippeveprinter and snmpd: print a file, a copy
// session, then the day's business-center report and the device check.
func TestPrintCopyAndBusinessReports(t *testing.T) {
	peer := peers.StartIPPEvePrinter(t, peers.IPPOptions{PageDelay: 20 * time.Millisecond})
	agent := peers.StartSNMPD(t, 1000)
	dir := t.TempDir()
	yaml := fmt.Sprintf(`site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s}
mqtt: {embedded: {listen: 127.0.0.1:%d}}
rooms:
  - {extensions: 1101-1299, class: guest}
devices:
  - id: prn1
    driver: ipp
    profile: ippeveprinter
    options: {uri: %q, poll: 150ms, job_poll: 80ms, timeout: 2s, snmp: {address: %q, community: public, timeout: 300ms, retries: 0}}
`, filepath.Join(dir, "sb.db"), peers.FreePort(t), peer.URI(), agent.Addr())
	cfgPath, cfg, _, start := gatewayOn(t, dir, yaml)
	start()
	run := func(args ...string) (int, string, string) {
		var out, errw bytes.Buffer
		code := dispatch(append(args, "--config", cfgPath), &out, &errw)
		return code, out.String(), errw.String()
	}
	// The devices check until the printer has reported.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, out, _ := run("report", "devices", "--json")
		if strings.Contains(out, `"state": "idle"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("printer never reported idle:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}

	pdf := filepath.Join(dir, "menu.pdf")
	if err := os.WriteFile(pdf, peers.PDF(3), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run("print", pdf, "--printer", "prn1", "--room", "1203", "--operator", "op07", "--copies", "2")
	if code != 0 || !strings.Contains(out, `"amount":"6.00"`) || !strings.Contains(out, `"impressions":6`) || !strings.Contains(errs, "accepted") {
		t.Fatalf("print: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := run("print", pdf, "--printer", "prn1", "--room", "9999", "--operator", "op07"); code != 1 || !strings.Contains(errs, "data.room") {
		t.Fatalf("print to an unknown room: exit %d %s", code, errs)
	}
	if code, _, errs := run("print", pdf, "--room", "1203"); code != 2 || !strings.Contains(errs, "--printer") {
		t.Fatalf("print without --printer: exit %d %s", code, errs)
	}
	if code, out, errs := run("copy", "start", "--device", "prn1", "--room", "1205", "--operator", "op09"); code != 0 || !strings.Contains(out, `"counter":1000`) {
		t.Fatalf("copy start: exit %d\n%s%s", code, out, errs)
	}
	agent.Advance(17)
	if code, out, errs := run("copy", "stop", "--device", "prn1", "--room", "1205"); code != 0 || !strings.Contains(out, `"pages":17`) || !strings.Contains(out, `"amount":"8.50"`) {
		t.Fatalf("copy stop: exit %d\n%s%s", code, out, errs)
	}

	today := time.Now().In(cfg.Site.Location()).Format(time.DateOnly)
	code, out, errs = run("report", "business-center", "--date", today)
	if code != 0 || !strings.Contains(out, "2 items, 14.50 CNY") || !strings.Contains(out, "op09") {
		t.Fatalf("report business-center: exit %d\n%s%s", code, out, errs)
	}
	t.Log("\n" + out)
	code, out, _ = run("report", "business-center", "--date", today, "--json")
	var rev struct {
		ByService []struct {
			Key    string `json:"key"`
			Amount string `json:"amount"`
		} `json:"by_service"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rev) != nil || len(rev.ByService) != 2 || rev.ByService[0].Amount != "8.50" || rev.ByService[1].Amount != "6.00" {
		t.Fatalf("report business-center --json: exit %d\n%s", code, out)
	}
	if code, out, _ := run("report", "business-center", "--date", today, "--csv"); code != 0 || !strings.HasPrefix(out, "service,items,pages,amount,unbilled\n") {
		t.Fatalf("csv: %s", out)
	}
	code, out, errs = run("report", "devices")
	if code != 0 || !strings.Contains(out, "all devices ready") || !strings.Contains(out, "prn1") {
		t.Fatalf("report devices: exit %d\n%s%s", code, out, errs)
	}
	t.Log("\n" + out)
	// Plain text is laid out as a PDF: 61 lines are two pages.
	txt := filepath.Join(dir, "note.txt")
	if err := os.WriteFile(txt, []byte(strings.Repeat("Late check-out agreed.\n", 61)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run("print", txt, "--printer", "prn1", "--room", "1203", "--operator", "op07"); code != 0 ||
		!strings.Contains(out, `"impressions":2`) || !strings.Contains(errs, "text/plain converted to application/pdf (2 pages)") {
		t.Fatalf("print text: exit %d\n%s%s", code, out, errs)
	}
	// Chinese text prints with the machine's Chinese font, and is refused
	// saying what to install without one; a character no font has is
	// refused either way.
	if err := os.WriteFile(txt, []byte("房間 1203\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = run("print", txt, "--printer", "prn1", "--room", "1203", "--operator", "op07")
	if font := loadPDFFont(pdfFontPaths(), discardLogger()); font != nil {
		if code != 0 || !strings.Contains(errs, "text/plain converted to application/pdf (1 pages)") {
			t.Fatalf("print Chinese text with the font: exit %d %s", code, errs)
		}
	} else if code != 2 || !strings.Contains(errs, "install Debian's fonts-droid-fallback") {
		t.Fatalf("print Chinese text without a font: exit %d %s", code, errs)
	}
	if err := os.WriteFile(txt, []byte("房間 \U0010FFFD\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run("print", txt, "--printer", "prn1", "--room", "1203", "--operator", "op07"); code != 2 || !strings.Contains(errs, "save the text as PDF") {
		t.Fatalf("print text no font has: exit %d %s", code, errs)
	}
	// Out of paper: the check says so and exits 1.
	peer.SetMedia("iso_a4_210x297mm", 0)
	deadline = time.Now().Add(10 * time.Second)
	for {
		code, out, _ = run("report", "devices")
		if code == 1 && strings.Contains(out, "load A4 paper in tray main") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("media-empty not in the devices check: exit %d\n%s", code, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The other report kinds still reach report.go.
	if code, _, errs := run("report", "calls"); code != 2 || !strings.Contains(errs, "--date is required") {
		t.Fatalf("report calls: exit %d %s", code, errs)
	}
}
