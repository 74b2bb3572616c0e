package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/events/fax"
	"switchboard/internal/fax/codec"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/test/peers"
)

// TestFaxPeerModemDiesMidJobRetriedWhenBack: the fax modem (the faxpeer
// process: a spandsp T.31 modem on a pty) dies twice in one send job, as a
// modem that loses its power: SIGKILL, no hang-up, the pty vanishes under
// the gateway's port. Each time the modem comes back (a new faxpeer on the
// same port path) the job scheduler goes on with the job:
//
//  1. killed while dialling: no page, nothing billed, no hotel.fax.attempt;
//     fax.send's reply says retry, naming the modem, its port and what to do;
//  2. the modem stays away longer than the retry interval: the job is not
//     failed nor its attempts used up meanwhile;
//  3. back: page 1 confirmed, killed during page 2: hotel.fax.attempt bills
//     page 1 and that call only (one business charge, 1 unit);
//  4. back again: the third attempt sends pages 2 and 3 only; hotel.fax.sent
//     with the two billed attempts' charges, each charged once.
func TestFaxPeerModemDiesMidJobRetriedWhenBack(t *testing.T) {
	needFaxLine(t)
	t.Parallel()
	start := time.Now()
	ctx := context.Background()
	// The gateway's port is a symlink to the running line's pty, as udev's
	// /dev/serial/by-id/... follows a modem that comes back on a new ttyACM.
	port := filepath.Join(t.TempDir(), "ttyFAX0")
	line := peers.FaxPeerOptions{Mode: "receive", MaxRate: 9600, AnswerDelay: 200 * time.Millisecond, Timeout: 60 * time.Second}
	fp := peers.StartFaxPeer(t, line)
	relink(t, port, fp.Link())
	s := newFaxSiteWith(t, &config.Serial{Port: port, Baud: 115200, Flow: "none"}, config.Fax{}, retrying(3, 300*time.Millisecond))
	logf := func(format string, args ...any) {
		t.Logf("%5.1f s: %s", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}

	// 1. The modem dies while dialling.
	s.bo.cl.PublishAsync(s.g.topics.Command("fax", "fax1", "fax.send"), 1, false, []byte(command("peer-modem-dies", "hotel.fax.cmd.fax.send", "frontdesk",
		mustJSONString(t, fax.SendData{To: "6512 3456", Room: "1203", Operator: "op07", Document: shortPagesTIFF(t, 3), Format: "image/tiff", Resolution: "standard"}))))
	awaitLog(t, fp, 20*time.Second, `host->modem "ATDT65123456`)
	crash(t, fp)
	logf("modem killed while dialling")
	rep := replyData(t, s.bo.waitFor("fax.send's reply", func(_ bus.Message, env events.Envelope) bool {
		return (env.Type == "hotel.command.completed" || env.Type == "hotel.command.failed") && strings.Contains(string(env.Data), `"peer-modem-dies"`)
	}))
	var res fax.SendReply
	b, _ := json.Marshal(rep.Result)
	json.Unmarshal(b, &res)
	if rep.Status != "completed" || res.State != faxjobs.Retry || res.NextAt == nil || res.Quote.Pages != 3 {
		t.Fatalf("fax.send after the modem died: %s %s", rep.Status, b)
	}
	mentionsModem(t, "fax.send's note", res.Note, port)
	j, _ := faxjobs.GetJob(ctx, s.g.st, res.JobID)
	if j.Attempts != 1 || j.Confirmed != 0 || j.Charge != "" {
		t.Fatalf("job after attempt 1: %+v", j)
	}
	mentionsModem(t, "the job's last error", j.LastError, port)

	// 2. Away for a few retry intervals (until the port has failed to
	// reopen twice): the job waits for the modem, its attempts not spent.
	s.bo.waitFor("the modem's port failing to reopen twice", func(_ bus.Message, env events.Envelope) bool {
		var st events.DeviceState
		return env.Type == "hotel.fax.state.link" && json.Unmarshal(env.Data, &st) == nil && st.State == "connecting" &&
			st.Attempt >= 2 && strings.Contains(st.Error, port)
	})
	if j, _ = faxjobs.GetJob(ctx, s.g.st, res.JobID); j.Final() || j.Attempts > 2 {
		t.Fatalf("the job gave up while the modem was away: %+v", j)
	}
	if c := chargeUnits(t, s); c != "" {
		t.Fatalf("business charges before any page was confirmed: %s", c)
	}

	// 3. Back: page 1 goes through, the modem dies during page 2.
	fp = peers.StartFaxPeer(t, line)
	relink(t, port, fp.Link())
	logf("modem back")
	awaitLog(t, fp, 40*time.Second, `far end phase D .*pages_rx=1`, `host->modem "AT\+FTM=`, `host->modem `)
	crash(t, fp)
	logf("modem killed during page 2")
	att := s.bo.event("hotel.fax.attempt", func(map[string]any) bool { return true })
	charges, _ := att["charges"].([]any)
	if att["attempts"] != float64(2) || att["pages"] != float64(3) || att["pages_confirmed"] != float64(1) || att["billed"] != true ||
		att["next_attempt"] == nil || len(charges) != 1 || charges[0].(map[string]any)["pages"] != float64(1) ||
		charges[0].(map[string]any)["idemkey"] != "fax1/fax-job/1/attempt/2" {
		t.Fatalf("attempt %v", att)
	}
	mentionsModem(t, "hotel.fax.attempt's result", att["result"].(string), port)
	if out, err := exec.Command("pdftotext", "-raw", att["report"].(string), "-").Output(); err == nil &&
		!(strings.Contains(string(out), "fax modem fax1 stopped answering") && strings.Contains(string(out), "Page 1: confirmed") &&
			strings.Contains(string(out), "Page 2: not confirmed")) {
		t.Errorf("transmission report of attempt 2:\n%s", out)
	}
	checkPages(t, att, []pageWant{{true, 2}, {false, 2}, {false, 0}})
	if units := chargeUnits(t, s); units != "fax1/fax-job/1/attempt/2:1" {
		t.Fatalf("ledger after attempt 2: %v (want page 1 only)", units)
	}
	if j, _ = faxjobs.GetJob(ctx, s.g.st, res.JobID); j.Final() || j.Confirmed != 1 {
		t.Fatalf("job after attempt 2: %+v", j)
	}

	// 4. Back again: the rest goes through.
	fp = peers.StartFaxPeer(t, line)
	relink(t, port, fp.Link())
	logf("modem back again")
	pr, err := fp.WaitTimeout(45 * time.Second)
	logf("the far end got %d pages", pr.Pages)
	if err != nil || !pr.OK() || pr.Pages != 2 {
		t.Fatalf("the far end of attempt 3: %v %s\n%s", err, pr.Line, fp.Log())
	}
	sent := s.bo.event("hotel.fax.sent", func(map[string]any) bool { return true })
	charges, _ = sent["charges"].([]any)
	if sent["attempts"] != float64(3) || sent["pages"] != float64(3) || sent["pages_confirmed"] != float64(3) || sent["billed"] != true ||
		sent["result"] != "OK" || len(charges) != 2 {
		t.Fatalf("sent %v", sent)
	}
	checkPages(t, sent, []pageWant{{true, 2}, {true, 3}, {true, 3}})
	if units := chargeUnits(t, s); units != "fax1/fax-job/1/attempt/2:1 fax1/fax-job/1/attempt/3:2" {
		t.Fatalf("ledger %v: want attempt 2 billed for 1 page and attempt 3 for 2, nothing for attempt 1", units)
	}
	var total int64
	if err := s.g.st.QueryRow(ctx, `SELECT SUM(amount_minor) FROM business_charges WHERE service='fax-send'`).Scan(&total); err != nil ||
		sent["amount_minor"] != float64(total) {
		t.Fatalf("hotel.fax.sent amount %v, ledger %d (%v)", sent["amount_minor"], total, err)
	}
	if n := s.bo.count(func(env events.Envelope) bool { return env.Type == "hotel.fax.failed" }); n != 0 {
		t.Fatalf("%d hotel.fax.failed", n)
	}
	if n := s.bo.count(func(env events.Envelope) bool { return env.Type == "hotel.fax.attempt" }); n != 1 {
		t.Fatalf("%d hotel.fax.attempt: want one (attempt 2, the only cut one with a confirmed page)", n)
	}
	if n := s.bo.count(func(env events.Envelope) bool { return env.Type == "hotel.fax.sent" }); n != 1 {
		t.Fatalf("%d hotel.fax.sent", n)
	}
	j, _ = faxjobs.GetJob(ctx, s.g.st, res.JobID)
	if j.State != faxjobs.Sent || j.Attempts != 3 || j.Confirmed != 3 || j.LastError != "" || j.Charge != "fax1/fax-job/1/attempt/3" {
		t.Fatalf("job %+v", j)
	}
	if jobs, _ := faxjobs.Jobs(ctx, s.g.st, time.Time{}, time.Time{}); len(jobs) != 1 {
		t.Fatalf("%d jobs", len(jobs))
	}
}

// needFaxLine skips a test that needs faxpeer: with -short (a real-time
// fax line) or without its toolchain.
func needFaxLine(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("faxpeer test: real-time fax line (-short)")
	}
	if err := peers.FaxPeerToolchain(); err != nil {
		t.Skip(err)
	}
}

// shortPagesTIFF is an n-page TIFF Class F document of short standard
// pages (a rule and as many bars as the page's number), so that a page
// takes about a second on the line.
func shortPagesTIFF(t *testing.T, n int) string {
	t.Helper()
	var pages []*codec.Bitmap
	for i := 0; i < n; i++ {
		b := codec.NewBitmap(codec.WidthA4, 250)
		b.FillRect(100, 40, 1628, 50)
		for k := 0; k <= i; k++ {
			b.FillRect(200+k*80, 80, 240+k*80, 200)
		}
		pages = append(pages, b)
	}
	path := filepath.Join(t.TempDir(), "doc.tif")
	writeTIFF(t, path, pages, false)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(data)
}

// crash kills the fax line as a modem losing its power: SIGKILL.
func crash(t *testing.T, fp *peers.FaxPeer) {
	t.Helper()
	if err := fp.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill faxpeer: %v", err)
	}
	<-fp.Done()
}

// mentionsModem checks an error the front desk reads: which modem, on
// which port, what to do about it and that the fax is not given up.
func mentionsModem(t *testing.T, what, msg, port string) {
	t.Helper()
	for _, want := range []string{"fax1", port, "check", "tried again"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("%s does not say %q: %s", what, want, msg)
		}
	}
}

type pageWant struct {
	confirmed bool
	attempt   int // 0: no attempt sent it
}

func checkPages(t *testing.T, ev map[string]any, want []pageWant) {
	t.Helper()
	pp, _ := ev["per_page"].([]any)
	if len(pp) != len(want) {
		t.Fatalf("per_page %v", pp)
	}
	for i, w := range want {
		p := pp[i].(map[string]any)
		a, _ := p["attempt"].(float64)
		if p["page"] != float64(i+1) || p["confirmed"] != w.confirmed || int(a) != w.attempt {
			t.Fatalf("page %d: %v, want confirmed %v by attempt %d", i+1, p, w.confirmed, w.attempt)
		}
	}
}

// chargeUnits lists the fax-send business charges as "idemkey:units",
// by idemkey.
func chargeUnits(t *testing.T, s *faxSite) string {
	t.Helper()
	var out string
	if err := s.g.st.QueryRow(context.Background(), `SELECT COALESCE(group_concat(c, ' '), '') FROM
		(SELECT idemkey || ':' || units AS c FROM business_charges WHERE service='fax-send' ORDER BY idemkey)`).Scan(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// relink points the gateway's port path at a fax line's pty (atomically).
func relink(t *testing.T, port, target string) {
	t.Helper()
	tmp := port + ".new"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, port); err != nil {
		t.Fatal(err)
	}
}

// awaitLog waits until the fax line's log matches each pattern in turn,
// each after the previous one's match.
func awaitLog(t *testing.T, fp *peers.FaxPeer, within time.Duration, patterns ...string) {
	t.Helper()
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		res[i] = regexp.MustCompile(p)
	}
	deadline := time.Now().Add(within)
	for {
		log := fp.Log()
		rest, ok := log, true
		for _, re := range res {
			loc := re.FindStringIndex(rest)
			if loc == nil {
				ok = false
				break
			}
			rest = rest[loc[1]:]
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fax line's log has no %q within %v:\n%s", patterns, within, log)
		}
		select {
		case <-fp.Done():
			t.Fatalf("the fax line ended before %q:\n%s", patterns, log)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
