package ipp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/drivers"
	"switchboard/internal/events/printer"
	"switchboard/test/peers"
)

type rig struct {
	peer *peers.IPPPrinter
	p    *Printer
	sink *recSink
}

// startRig starts an ippeveprinter and a driver polling it fast.
func startRig(t *testing.T, o peers.IPPOptions, opts map[string]any) *rig {
	t.Helper()
	peer := peers.StartIPPEvePrinter(t, o)
	options := map[string]any{"uri": peer.URI(), "poll": "150ms", "job_poll": "80ms", "timeout": "2s"}
	for k, v := range opts {
		options[k] = v
	}
	sink := &recSink{}
	p, err := New(drivers.Device{ID: "prn1", Driver: "ipp", Profile: "ippeveprinter", Options: options}, drivers.Deps{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("ippeveprinter log:\n%s", tail(peer.Log(), 40))
		}
	})
	waitFor(t, 10*time.Second, "first poll", func() bool { return p.Status().State == "idle" })
	return &rig{peer: peer, p: p, sink: sink}
}

func tail(s string, n int) string {
	l := strings.Split(s, "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

func TestPrintThreePagesTwoCopies(t *testing.T) {
	r := startRig(t, peers.IPPOptions{PageDelay: 50 * time.Millisecond}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pdf := peers.PDF(3)
	id, err := r.p.Submit(ctx, printer.Job{Document: bytes.NewReader(pdf), Copies: 2, Name: "menu.pdf", User: "room1203", Media: "iso_a4_210x297mm"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.p.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != printer.JobCompleted || d.Impressions != 6 || d.Sheets != 6 || d.Copies != 2 || d.Size != "A4" || d.Color {
		t.Fatalf("JobDone = %+v, want completed, 6 impressions, 6 sheets, A4, mono", d)
	}
	// The printer got the whole document (go-ipp sends none without FileSize).
	if got := r.peer.Document(int(id)); !bytes.Equal(got, pdf) {
		t.Fatalf("printer received %d bytes, want the %d-byte PDF", len(got), len(pdf))
	}
	if j := r.peer.Jobs(); !strings.Contains(j, "copies=2") || !strings.Contains(j, "color=monochrome") || !strings.Contains(j, "user=room1203") {
		t.Fatalf("engine saw: %s", j)
	}
	// Journal first: the JobDone's frame is the IPP answer that shows it.
	dones := 0
	r.sink.mu.Lock()
	defer r.sink.mu.Unlock()
	for _, res := range r.sink.results {
		if jd, ok := res.Record.(printer.JobDone); ok && jd.JobID == id {
			dones++
			f := r.sink.frames[res.FrameID-1]
			if !bytes.Contains(f.Data, []byte(`"job-impressions-completed":[6]`)) || f.Key == "" || res.Key != f.Key {
				t.Fatalf("JobDone frame %q key %q", f.Data, f.Key)
			}
		}
	}
	if dones != 1 {
		t.Fatalf("%d JobDone records, want 1", dones)
	}
}

func TestPrintDuplexSheets(t *testing.T) {
	r := startRig(t, peers.IPPOptions{PageDelay: 30 * time.Millisecond}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := r.p.Submit(ctx, printer.Job{Document: bytes.NewReader(peers.PDF(3)), Copies: 2, Sides: "two-sided-long-edge", ColorMode: "color"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.p.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// 3 pages two-sided: 2 sheets a copy.
	if d.Impressions != 6 || d.Sheets != 4 || !d.Color || d.Sides != "two-sided-long-edge" {
		t.Fatalf("JobDone = %+v", d)
	}
}

func TestCancelMidJobBillsCompletedOnly(t *testing.T) {
	r := startRig(t, peers.IPPOptions{PageDelay: 250 * time.Millisecond}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := r.p.Submit(ctx, printer.Job{Document: bytes.NewReader(peers.PDF(3)), Copies: 3})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "2 impressions", func() bool {
		for _, u := range records[printer.JobUpdate](r.sink) {
			if u.JobID == id && u.Impressions >= 2 {
				return true
			}
		}
		return false
	})
	if err := r.p.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	d, err := r.p.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != printer.JobCanceled || d.Impressions < 2 || d.Impressions >= 9 {
		t.Fatalf("JobDone = %+v, want canceled with 2..8 impressions", d)
	}
	// The job asked for 9 (job-impressions); billing has only what came out.
	last := records[printer.JobUpdate](r.sink)
	if u := last[len(last)-1]; u.Total != 9 || u.Impressions != d.Impressions {
		t.Fatalf("last JobUpdate %+v, JobDone %d impressions", u, d.Impressions)
	}
}

func TestMediaEmptyAlertJobWaitsAndResumes(t *testing.T) {
	r := startRig(t, peers.IPPOptions{PageDelay: 50 * time.Millisecond}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.peer.SetMediaEmpty(true)
	id, err := r.p.Submit(ctx, printer.Job{Document: bytes.NewReader(peers.PDF(3))})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "media-empty raised", func() bool { return hasAlert(r.sink, printer.AlertMediaEmpty, printer.Raised) })
	time.Sleep(400 * time.Millisecond)
	r.p.mu.Lock()
	_, done := r.p.done[id]
	r.p.mu.Unlock()
	if done {
		t.Fatal("job ended while out of paper")
	}
	if st := r.p.Status(); !containsStr(st.Reasons, "media-empty") {
		t.Fatalf("status reasons %v", st.Reasons)
	}
	// Refill: the engine resumes, the web form reloads tray 1.
	r.peer.SetMediaEmpty(false)
	r.peer.SetMedia("iso_a4_210x297mm", 250)
	d, err := r.p.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != printer.JobCompleted || d.Impressions != 3 {
		t.Fatalf("JobDone = %+v", d)
	}
	waitFor(t, 10*time.Second, "media-empty cleared", func() bool { return hasAlert(r.sink, printer.AlertMediaEmpty, printer.Cleared) })
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestPrinterKilledGoesOfflineAndBack(t *testing.T) {
	r := startRig(t, peers.IPPOptions{}, nil)
	r.peer.Kill()
	waitFor(t, 10*time.Second, "offline alert", func() bool { return hasAlert(r.sink, printer.AlertOffline, printer.Raised) })
	if st := r.p.Status(); st.State != "offline" || st.Error == "" {
		t.Fatalf("status %+v", st)
	}
	// Repeated failed polls do not journal again.
	r.sink.mu.Lock()
	n := len(r.sink.frames)
	r.sink.mu.Unlock()
	time.Sleep(500 * time.Millisecond)
	r.sink.mu.Lock()
	m := len(r.sink.frames)
	r.sink.mu.Unlock()
	if m != n {
		t.Fatalf("offline polls journaled %d more frames", m-n)
	}
	r.peer.Restart()
	waitFor(t, 10*time.Second, "offline cleared", func() bool { return hasAlert(r.sink, printer.AlertOffline, printer.Cleared) })
	if st := r.p.Status(); st.State != "idle" {
		t.Fatalf("status after restart %+v", st)
	}
	r.sink.mu.Lock()
	defer r.sink.mu.Unlock()
	var states []string
	for _, l := range r.sink.links {
		states = append(states, l.State)
	}
	if strings.Join(states, ",") != "connected,disconnected,connected" {
		t.Fatalf("link states %v", states)
	}
}

func TestSuppliesAndTraysFromWebForms(t *testing.T) {
	r := startRig(t, peers.IPPOptions{}, nil)
	r.peer.SetSupplies(20, 5, 50, 50, 50) // black at 5%
	r.peer.SetMedia("iso_a4_210x297mm", 0)
	waitFor(t, 10*time.Second, "toner-low/media-empty", func() bool {
		st := r.p.Status()
		for _, s := range st.Supplies {
			if s.Color == "black" && s.Level == 5 && s.Low {
				return containsStr(st.MediaReady, "iso_a4_210x297mm") && hasAlert(r.sink, printer.AlertMediaEmpty, printer.Raised)
			}
		}
		return false
	})
}

func TestCopySessionFromSNMPCounter(t *testing.T) {
	agent := peers.StartSNMPD(t, 41230)
	r := startRig(t, peers.IPPOptions{PageDelay: 20 * time.Millisecond}, map[string]any{
		"snmp": map[string]any{"address": agent.Addr(), "community": "public", "timeout": "1s"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start, err := r.p.Counters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if start.Source != printer.FromSNMP || start.Impressions != 41230 {
		t.Fatalf("start %+v", start)
	}
	agent.Advance(10) // walk-up copies
	id, err := r.p.Submit(ctx, printer.Job{Document: bytes.NewReader(peers.PDF(3))})
	if err != nil {
		t.Fatal(err)
	}
	job, err := r.p.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	agent.Advance(int64(job.CounterImpressions)) // the engine counted the print job
	agent.Advance(7)                             // more copies
	end, err := r.p.Counters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := printer.CopyPages(start, end, []printer.JobDone{job})
	if err != nil || pages != 17 {
		t.Fatalf("CopyPages = %d, %v; want 17", pages, err)
	}
	if got := records[printer.CounterReading](r.sink); len(got) != 2 {
		t.Fatalf("%d CounterReading records, want 2", len(got))
	}
}

func TestSNMPErrorsAreClear(t *testing.T) {
	agent := peers.StartSNMPD(t, 5)
	r := startRig(t, peers.IPPOptions{}, map[string]any{
		"snmp": map[string]any{"address": agent.Addr(), "timeout": "300ms", "retries": 0},
	})
	ctx := context.Background()
	agent.Remove(peers.OIDMarkerLifeCount)
	_, err := r.p.Counters(ctx)
	if !errors.Is(err, ErrSNMPNoObject) || !strings.Contains(err.Error(), "1.3.6.1.2.1.43.10.2.1.4.1.1") {
		t.Fatalf("missing object: %v", err)
	}
	agent.Stop()
	t0 := time.Now()
	_, err = r.p.Counters(ctx)
	if !errors.Is(err, ErrSNMPNoAnswer) || !strings.Contains(err.Error(), agent.Addr()) {
		t.Fatalf("agent down: %v", err)
	}
	if time.Since(t0) > 3*time.Second {
		t.Fatalf("agent down took %v", time.Since(t0))
	}
	t.Log(err)
}

func TestSNMPConditionsAndAlertTable(t *testing.T) {
	agent := peers.StartSNMPD(t, 5)
	agent.SetErrorState(0x40|0x08, 0x00) // noPaper, doorOpen
	agent.AddAlert(1, 3, 8, 808, "Tray 1 empty")
	agent.AddAlert(2, 4, 6, 3, "Front cover open")
	r := startRig(t, peers.IPPOptions{}, map[string]any{"snmp": map[string]any{"address": agent.Addr()}})
	conds, alerts, kinds, err := r.p.SNMPConditions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(conds, ",") != "noPaper,doorOpen" || len(kinds) != 2 || kinds[0] != printer.AlertMediaEmpty || kinds[1] != printer.AlertCoverOpen {
		t.Fatalf("conditions %v kinds %v", conds, kinds)
	}
	if len(alerts) != 2 || alerts[0].Code != 808 || alerts[0].Group != 8 || alerts[1].Description != "Front cover open" {
		t.Fatalf("alerts %+v", alerts)
	}
}

func TestIPPSVerifiesCertificate(t *testing.T) {
	peer := peers.StartIPPEvePrinter(t, peers.IPPOptions{TLS: true})
	wrongCA := filepath.Join(t.TempDir(), "wrong-ca.pem")
	if err := os.WriteFile(wrongCA, selfSignedPEM(t), 0o644); err != nil {
		t.Fatal(err)
	}
	try := func(opts map[string]any) error {
		o := map[string]any{"uri": peer.IPPSURI(), "timeout": "2s"}
		for k, v := range opts {
			o[k] = v
		}
		p, err := New(drivers.Device{ID: "prn1", Profile: "ippeveprinter", Options: o}, drivers.Deps{Sink: &recSink{}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Poll(context.Background())
		return err
	}
	err := try(map[string]any{"ca": wrongCA})
	var uae x509.UnknownAuthorityError
	if err == nil || !errors.As(err, &uae) {
		t.Fatalf("wrong CA: err = %v, want x509 unknown authority", err)
	}
	if err := try(nil); err == nil {
		t.Fatal("no CA: a self-signed printer was accepted with the system roots")
	}
	der := readCertDER(t, peer.CertFile())
	sum := sha256.Sum256(der)
	if err := try(map[string]any{"pin": hex.EncodeToString(sum[:])}); err != nil {
		t.Fatalf("pinned: %v", err)
	}
	if err := try(map[string]any{"ca": peer.CertFile()}); err != nil {
		t.Fatalf("ca = printer's certificate: %v", err)
	}
	wrongPin := sha256.Sum256([]byte("x"))
	if err := try(map[string]any{"pin": hex.EncodeToString(wrongPin[:])}); err == nil || !strings.Contains(err.Error(), "pinned") {
		t.Fatalf("wrong pin: %v", err)
	}
}

func readCertDER(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("printer certificate: %v", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", file)
	}
	return blk.Bytes
}

func TestPostScriptConvertedWhenPrinterTakesPDFOnly(t *testing.T) {
	r := startRig(t, peers.IPPOptions{Formats: []string{"application/pdf"}, PageDelay: 20 * time.Millisecond}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ps := "%!PS-Adobe-3.0\n/Helvetica findfont 24 scalefont setfont\n1 1 2 { 72 720 moveto (Page ) show 3 string cvs show showpage } for\n"
	id, err := r.p.Submit(ctx, printer.Job{Document: strings.NewReader(ps)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.p.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Impressions != 2 || !bytes.HasPrefix(r.peer.Document(int(id)), []byte("%PDF-")) {
		t.Fatalf("JobDone %+v; document starts %q", d, r.peer.Document(int(id))[:8])
	}
	_, err = r.p.Submit(ctx, printer.Job{Document: bytes.NewReader([]byte{0xff, 0xd8, 0xff, 0xe0, 0, 0})})
	if !errors.Is(err, printer.ErrFormat) {
		t.Fatalf("jpeg to a PDF-only printer: %v", err)
	}
}
