package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"switchboard/drivers/ipp"
	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/events/printer"
	printjobs "switchboard/internal/print/jobs"
	"switchboard/internal/rating"
	"switchboard/internal/report"
	"switchboard/test/peers"
)

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// printGateway runs a gateway on cfg with a back office; stop shuts it
// down (a restart test starts another one on the same store).
type printGateway struct {
	g    *Gateway
	bo   *backOffice
	stop func()
}

func startPrintGateway(t *testing.T, cfg *config.Config, tn Tuning) *printGateway {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g, err := NewTuned(ctx, cfg, quiet, tn)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	var once sync.Once
	pgw := &printGateway{g: g}
	pgw.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
	t.Cleanup(pgw.stop)
	pgw.bo = newBackOffice(t, g.BrokerURL())
	pgw.bo.waitOnline(g)
	waitUntil(t, "the printer", func() bool { return g.Driver("prn1") != nil }) // attached when the device starts
	return pgw
}

func restartCfg(t *testing.T, uri, db string) *config.Config {
	return &config.Config{
		Site:  config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store: config.Store{Path: db},
		MQTT:  config.MQTT{Embedded: testBroker(peers.FreePort(t))},
		Rooms: []config.Rooms{{Extensions: "1101-1299", Class: "guest"}},
		Devices: []config.Device{{ID: "prn1", Driver: "ipp", Profile: "ippeveprinter", Options: map[string]any{
			"uri": uri, "poll": "150ms", "job_poll": "80ms", "timeout": "2s"}}},
	}
}

func (pgw *printGateway) submit(t *testing.T, i int, data printer.SubmitData) printer.SubmitResult {
	t.Helper()
	id := fmt.Sprintf("restart-%d-%d", i, time.Now().UnixNano())
	d, _ := json.Marshal(data)
	pgw.bo.cl.PublishAsync(pgw.g.topics.Command("print", "prn1", "print.submit"), 1, false, []byte(command(id, "hotel.print.cmd.print.submit", "frontdesk", string(d))))
	rep := replyData(t, pgw.bo.waitFor("reply to "+id, func(m bus.Message, env events.Envelope) bool {
		return (env.Type == "hotel.command.completed" || env.Type == "hotel.command.failed") && strings.Contains(string(env.Data), `"`+id+`"`)
	}))
	var res printer.SubmitResult
	b, _ := json.Marshal(rep.Result)
	json.Unmarshal(b, &res)
	if rep.Status != "completed" || res.JobID < 1 {
		t.Fatalf("print.submit: %+v", rep)
	}
	return res
}

// followedUUID is the job-uuid the print desk kept for a job (print.follow).
func followedUUID(t *testing.T, g *Gateway, jobID int) string {
	var row int64
	if err := g.Store().QueryRow(context.Background(), `SELECT id FROM print_jobs WHERE job_id=? AND ended IS NULL`, jobID).Scan(&row); err != nil {
		return ""
	}
	f, _, _ := printjobs.FollowedOf(context.Background(), g.Store(), "prn1", row)
	return f.UUID
}

// A job still printing when the gateway stops is followed again by the
// next gateway on the same store and billed once, with the idemkey an
// uninterrupted job has.
func TestPrintJobResumedAfterGatewayRestart(t *testing.T) {
	tn := knobs(200*time.Millisecond, time.Second, printer.MaxDocument)
	peer := peers.StartIPPEvePrinter(t, peers.IPPOptions{PageDelay: 250 * time.Millisecond})
	db := filepath.Join(t.TempDir(), "sb.db")
	gw1 := startPrintGateway(t, restartCfg(t, peer.URI(), db), tn)
	res := gw1.submit(t, 1, printer.SubmitData{Room: "1203", Operator: "op07", Copies: 3, Document: doc64(3)})
	var uuid string
	waitUntil(t, "2 impressions and the job's uuid kept", func() bool {
		var n int
		gw1.g.Store().QueryRow(context.Background(), `SELECT impressions FROM print_jobs WHERE job_id=?`, res.JobID).Scan(&n)
		uuid = followedUUID(t, gw1.g, res.JobID)
		return n >= 2 && uuid != ""
	})
	gw1.stop()
	if n := gw1.bo.count(func(e events.Envelope) bool { return e.Type == "hotel.print.job.completed" }); n != 0 {
		t.Fatalf("the first gateway billed the job before it ended (%d events)", n)
	}

	gw2 := startPrintGateway(t, restartCfg(t, peer.URI(), db), tn)
	ev := gw2.bo.event("hotel.print.job.completed", func(d map[string]any) bool { return d["job_id"] == float64(res.JobID) })
	want := tariffPrice(t, rating.BusinessItem{Service: rating.ServicePrint, Size: "A4", Impressions: 9})
	if ev["state"] != "completed" || ev["impressions"] != float64(9) || ev["amount"] != want.Price.String() || ev["room"] != "1203" || ev["operator"] != "op07" {
		t.Fatalf("resumed job %v, want completed, 9 impressions, %s, room 1203", ev, want.Price)
	}
	st := gw2.g.Store()
	var n int
	var idem, state string
	if err := st.QueryRow(context.Background(), `SELECT COUNT(*), MAX(idemkey) FROM business_charges WHERE service='print'`).Scan(&n, &idem); err != nil || n != 1 {
		t.Fatalf("ledger: %d print charges, %v", n, err)
	}
	if idem != "prn1/print/"+uuid {
		t.Fatalf("idemkey %q, want prn1/print/%s (an uninterrupted job's)", idem, uuid)
	}
	st.QueryRow(context.Background(), `SELECT state FROM print_jobs WHERE job_id=?`, res.JobID).Scan(&state)
	if state != "completed" {
		t.Fatalf("print_jobs state %q", state)
	}
	if left, _ := st.List(context.Background(), "print.follow"); len(left) != 0 {
		t.Fatalf("identities of ended jobs kept: %v", left)
	}
	time.Sleep(300 * time.Millisecond) // a second JobDone would be here by now
	if n := gw2.bo.count(func(e events.Envelope) bool { return e.Type == "hotel.print.job.completed" }); n != 1 {
		t.Fatalf("%d job.completed events, want 1", n)
	}
}

// A job the printer forgot while the gateway was down (it restarted: the
// job-id is gone, or names a later job) ends aborted with
// job-lost-by-printer, billed for what was seen, and is listed by the
// device report with the reason.
func TestPrintJobLostByPrinterAcrossRestarts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		other bool // someone prints after the printer's restart: job-id 1 again
		why   string
	}{
		{"id gone", false, "no longer knows job 1 (client-error-not-found)"},
		{"id reused", true, "job 1 on the printer is another job (job-uuid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := knobs(200*time.Millisecond, time.Second, printer.MaxDocument)
			peer := peers.StartIPPEvePrinter(t, peers.IPPOptions{PageDelay: 250 * time.Millisecond})
			db := filepath.Join(t.TempDir(), "sb.db")
			gw1 := startPrintGateway(t, restartCfg(t, peer.URI(), db), tn)
			j := gw1.submit(t, 1, printer.SubmitData{Room: "1203", Operator: "op07", Copies: 3, Document: doc64(3)})
			var seen int
			waitUntil(t, "job printing, its uuid kept", func() bool {
				gw1.g.Store().QueryRow(context.Background(), `SELECT impressions FROM print_jobs WHERE job_id=?`, j.JobID).Scan(&seen)
				return seen >= 1 && followedUUID(t, gw1.g, j.JobID) != ""
			})
			gw1.stop()
			if j.JobID != 1 {
				t.Fatalf("job id %d: the test expects the printer's first job", j.JobID)
			}
			peer.Kill()
			peer.Restart()
			if tc.other {
				doc := filepath.Join(t.TempDir(), "other.pdf")
				os.WriteFile(doc, peers.PDF(1), 0o644)
				if out, err := exec.Command("ipptool", "-f", doc, "-d", "filetype=application/pdf", peer.URI(), "print-job.test").CombinedOutput(); err != nil {
					t.Fatalf("ipptool print-job: %v\n%s", err, out)
				}
			}

			gw2 := startPrintGateway(t, restartCfg(t, peer.URI(), db), tn)
			st := gw2.g.Store()
			st.QueryRow(context.Background(), `SELECT impressions FROM print_jobs WHERE job_id=1`).Scan(&seen)
			ev := gw2.bo.event("hotel.print.job.completed", func(d map[string]any) bool { return d["job_id"] == float64(1) })
			rs, _ := ev["reasons"].([]any)
			want := tariffPrice(t, rating.BusinessItem{Service: rating.ServicePrint, Size: "A4", Impressions: int64(seen)})
			if ev["state"] != "aborted" || !slices.Contains(rs, any("job-lost-by-printer")) || ev["impressions"] != float64(seen) || ev["amount"] != want.Price.String() {
				t.Fatalf("lost job: %v, want aborted, job-lost-by-printer, the %d impressions seen for %s", ev, seen, want.Price)
			}
			var state, reasons string
			st.QueryRow(context.Background(), `SELECT state, reasons FROM print_jobs WHERE job_id=1`).Scan(&state, &reasons)
			if state != "orphaned" || !strings.Contains(reasons, tc.why) || !strings.Contains(reasons, "check the printer's job history") {
				t.Fatalf("lost job row: %s %q, want orphaned: %s", state, reasons, tc.why)
			}
			rep, err := report.LoadDevices(context.Background(), st, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Jobs) != 1 || rep.Jobs[0].Reason != reasons || !rep.NeedsAttention() {
				t.Fatalf("device report lists %+v, want the lost job with its reason", rep.Jobs)
			}
			t.Logf("report devices: job %d %s: %s", rep.Jobs[0].JobID, rep.Jobs[0].State, rep.Jobs[0].Reason)
			time.Sleep(300 * time.Millisecond) // the printer's new job 1 is not ours: not billed
			if n := gw2.bo.count(func(e events.Envelope) bool { return e.Type == "hotel.print.job.completed" }); n != 1 {
				t.Fatalf("%d job.completed events, want 1", n)
			}
		})
	}
}

// BenchmarkPoll20Printers measures what polling printers costs a running
// gateway: SB_PRINTERS (default 20) real ippeveprinters (separate
// processes, not counted), polled every 10 s by an in-process gateway for
// SB_POLL_WINDOW (default 60 s). Reported: the gateway process's CPU over
// the window as a share of one core (getrusage, user + system), the same
// for a gateway without devices (idle), and the live heap (after a GC)
// and RSS compared with that idle gateway and over the window. One run
// takes about window + 25 s: use -benchtime 1x.
func BenchmarkPoll20Printers(b *testing.B) {
	if testing.Short() {
		b.Skip("-short")
	}
	printers := 20
	if v, err := strconv.Atoi(os.Getenv("SB_PRINTERS")); err == nil && v > 0 {
		printers = v
	}
	window := 60 * time.Second
	if v, err := time.ParseDuration(os.Getenv("SB_POLL_WINDOW")); err == nil && v > 0 {
		window = v
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
	}
	heap := func() float64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return float64(ms.HeapAlloc) / (1 << 20)
	}
	rss := func() float64 {
		s, _ := os.ReadFile("/proc/self/status")
		for _, l := range strings.Split(string(s), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
		return 0
	}
	var uris []string
	for range printers {
		uris = append(uris, peers.StartIPPEvePrinter(b, peers.IPPOptions{}).URI())
	}
	cfg := func(devices bool) *config.Config {
		c := &config.Config{
			Site:  config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
			Store: config.Store{Path: filepath.Join(b.TempDir(), "sb.db")},
			MQTT:  config.MQTT{Embedded: testBroker(peers.FreePort(b))},
		}
		for i, u := range uris {
			if devices {
				c.Devices = append(c.Devices, config.Device{ID: fmt.Sprintf("prn%02d", i+1), Driver: "ipp", Profile: "ippeveprinter",
					Options: map[string]any{"uri": u, "poll": "10s", "timeout": "5s"}})
			}
		}
		return c
	}
	run := func(c *config.Config) (*Gateway, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		g, err := New(ctx, c, quiet)
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- g.Run(ctx) }()
		return g, func() { cancel(); <-done }
	}
	b.ResetTimer()
	for range b.N {
		// The idle gateway: the baseline.
		_, stop := run(cfg(false))
		time.Sleep(3 * time.Second)
		idleHeap, idleRSS := heap(), rss()
		c0 := cpu()
		time.Sleep(10 * time.Second)
		idleCPU := float64(cpu()-c0) / float64(10*time.Second) * 100
		stop()

		g, stop := run(cfg(true))
		waitFor := time.Now().Add(30 * time.Second)
		for {
			up := 0
			for i := range printers {
				if p, _ := g.Driver(fmt.Sprintf("prn%02d", i+1)).(*ipp.Printer); p != nil && p.Status().State == "idle" {
					up++
				}
			}
			if up == printers {
				break
			}
			if time.Now().After(waitFor) {
				b.Fatalf("%d of %d printers idle after 30 s", up, printers)
			}
			time.Sleep(100 * time.Millisecond)
		}
		heap0, rss0 := heap(), rss()
		c0 = cpu()
		time.Sleep(window)
		used := cpu() - c0
		heap1, rss1 := heap(), rss()
		var frames int
		g.Store().QueryRow(context.Background(), `SELECT COUNT(*) FROM journal`).Scan(&frames)
		stop()
		b.ReportMetric(float64(used)/float64(window)*100, "cpu-%core")
		b.ReportMetric(idleCPU, "idle-cpu-%core")
		b.ReportMetric(heap1-idleHeap, "heap-extra-MiB")
		b.ReportMetric(heap1-heap0, "heap-growth-MiB")
		b.ReportMetric(rss1-idleRSS, "rss-extra-MiB")
		b.ReportMetric(rss1-rss0, "rss-growth-MiB")
		b.ReportMetric(float64(printers), "printers")
		b.Logf("%d printers, %v window: cpu %v (%.2f%% of a core; idle gateway %.2f%%), heap %.2f MiB (idle %.2f, start of window %.2f), RSS %.1f MiB (idle %.1f, start of window %.1f), %d journal frames",
			printers, window, used, float64(used)/float64(window)*100, idleCPU, heap1, idleHeap, heap0, rss1, idleRSS, rss0, frames)
	}
}
