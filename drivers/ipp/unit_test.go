package ipp

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goipp "github.com/phin1x/go-ipp"

	"switchboard/drivers"
	"switchboard/internal/events"
	"switchboard/internal/events/printer"
)

func recorded(t testing.TB) []byte {
	b, err := os.ReadFile("testdata/ippeveprinter-gpa.bin")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRecordedIPPEveStatus(t *testing.T) {
	resp, err := decodeResponse(recorded(t))
	if err != nil {
		t.Fatal(err)
	}
	st := parseStatus("prn1", time.Time{}, convertAttrs(resp.PrinterAttributes[0]))
	if st.State != "idle" || !st.Accepting {
		t.Fatalf("%+v", st)
	}
	var black *printer.Supply
	for i := range st.Supplies {
		if st.Supplies[i].Color == "black" {
			black = &st.Supplies[i]
		}
	}
	if black == nil || black.Level != 8 || !black.Low || black.Name != "Black Ink" {
		t.Fatalf("supplies %+v", st.Supplies)
	}
	if len(st.Trays) != 3 || st.Trays[1].Name != "main" || st.Trays[1].Capacity != 250 {
		t.Fatalf("trays %+v", st.Trays)
	}
	if len(st.MediaReady) == 0 {
		t.Fatal("no media-ready")
	}
}

func TestNormalizeReasonsAndAlerts(t *testing.T) {
	got := NormalizeReasons([]string{"none", "media-empty-error", "toner-low-report", "media-empty-warning", "cover-open", "spool-area-full"})
	if strings.Join(got, ",") != "cover-open,media-empty,spool-area-full,toner-low" {
		t.Fatal(got)
	}
	prev := activeAlerts(printer.PrinterStatus{Reasons: []string{"media-low", "toner-low"}})
	cur := activeAlerts(printer.PrinterStatus{Reasons: got})
	var out []string
	for _, a := range diffAlerts("p", time.Time{}, prev, cur) {
		out = append(out, string(a.Change)+":"+string(a.Kind))
	}
	if strings.Join(out, " ") != "raised:cover-open raised:media-empty cleared:media-low" {
		t.Fatal(out)
	}
	off := activeAlerts(printer.PrinterStatus{State: "offline"})
	if _, ok := off[printer.AlertOffline]; !ok || len(off) != 1 {
		t.Fatal(off)
	}
}

func TestSheets(t *testing.T) {
	for _, tt := range []struct {
		impr, perCopy int
		sides         string
		want          int
	}{
		{6, 3, "one-sided", 6},
		{6, 3, "two-sided-long-edge", 4},
		{4, 3, "two-sided-long-edge", 3}, // one copy + first page of the next
		{5, 0, "two-sided-short-edge", 3},
		{0, 3, "two-sided-long-edge", 0},
		{8, 4, "two-sided-long-edge", 4},
	} {
		if got := Sheets(tt.impr, tt.perCopy, tt.sides); got != tt.want {
			t.Errorf("Sheets(%d, %d, %s) = %d, want %d", tt.impr, tt.perCopy, tt.sides, got, tt.want)
		}
	}
}

func TestCopyPages(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	c := func(n int64, m int) printer.Counters {
		return printer.Counters{At: t0.Add(time.Duration(m) * time.Minute), Source: printer.FromSNMP, Impressions: n}
	}
	job := func(n, m int) printer.JobDone {
		return printer.JobDone{At: t0.Add(time.Duration(m) * time.Minute), CounterImpressions: n}
	}
	for _, tt := range []struct {
		name       string
		start, end printer.Counters
		jobs       []printer.JobDone
		want       int64
		err        string
	}{
		{"copies only", c(100, 0), c(117, 5), nil, 17, ""},
		{"minus a print job in between", c(100, 0), c(123, 5), []printer.JobDone{job(6, 2)}, 17, ""},
		{"jobs outside the window ignored", c(100, 0), c(117, 5), []printer.JobDone{job(6, -1), job(3, 6)}, 17, ""},
		{"counter reset", c(100, 0), c(3, 5), nil, 0, "went back"},
		{"jobs exceed the counter", c(100, 0), c(102, 5), []printer.JobDone{job(6, 2)}, 0, "counter moved 2"},
		{"mixed sources", c(100, 0), printer.Counters{At: t0.Add(time.Minute), Source: printer.FromIPP, Impressions: 120}, nil, 0, "cannot be compared"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := printer.CopyPages(tt.start, tt.end, tt.jobs)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CopyPages = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestIPPCountersFromCollection(t *testing.T) {
	// printer-impressions-completed-col only (PWG 5100.13), as an MFP sends it.
	member := func(b *bytes.Buffer, name string, v int32) {
		b.WriteByte(byte(goipp.TagMemberName))
		writeStr(b, "")
		writeStr(b, name)
		b.WriteByte(byte(goipp.TagInteger))
		writeStr(b, "")
		binary.Write(b, binary.BigEndian, int16(4))
		binary.Write(b, binary.BigEndian, v)
	}
	raw := rawResponse(t, func(b *bytes.Buffer) {
		b.WriteByte(byte(goipp.TagBeginCollection))
		writeStr(b, "printer-impressions-completed-col")
		writeStr(b, "")
		member(b, "monochrome", 900)
		member(b, "full-color", 100)
		b.WriteByte(byte(goipp.TagEndCollection))
		writeStr(b, "")
		writeStr(b, "")
	})
	srv := httptest.NewServer(&ippResponder{raw: raw})
	defer srv.Close()
	sink := &recSink{}
	p, err := New(drivers.Device{ID: "mfp", Profile: "duplex-blank-counting-mfp", Options: map[string]any{"uri": strings.Replace(srv.URL, "http", "ipp", 1)}}, drivers.Deps{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Counters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != printer.FromIPP || c.Impressions != 1000 || c.Mono != 900 || c.Color != 100 {
		t.Fatalf("%+v", c)
	}
	// The profile's engine counts blank duplex backs: a 3-page two-sided
	// job adds 4 to the counter.
	d := p.jobDone(&jobTrack{job: printer.Job{Sides: "two-sided-long-edge", Copies: 1}, perCopy: 3}, printer.JobUpdate{Impressions: 3, State: printer.JobCompleted}, nil)
	if d.CounterImpressions != 4 || d.Sheets != 2 {
		t.Fatalf("%+v", d)
	}
}

func TestProfiles(t *testing.T) {
	ids := ProfileIDs()
	if !slices.Contains(ids, "ipp-everywhere") || !slices.Contains(ids, "ippeveprinter") {
		t.Fatal(ids)
	}
	for _, id := range ids {
		p, err := LoadProfile(id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.CheckExamples(); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	p, _ := LoadProfile("ippeveprinter", nil)
	if p.Counters.Source != "snmp" || p.SizeOf("iso_a4_210x297mm_main_stationery") != "A4" || p.PostScript != "convert" || p.Vendor != "CUPS" {
		t.Fatalf("%+v", p)
	}
	dir := t.TempDir()
	os.WriteFile(dir+"/typo.yaml", []byte("id: typo\nkind: printer\nextends: ipp-everywhere\ncounter: {source: ipp}\n"), 0o644)
	os.WriteFile(dir+"/loop.yaml", []byte("id: loop\nkind: printer\nextends: loop\n"), 0o644)
	for _, id := range []string{"typo", "loop", "nope", "../x"} {
		if _, err := LoadProfile(id, os.DirFS(dir)); err == nil {
			t.Errorf("%s loaded", id)
		}
	}
}

func TestParseOptions(t *testing.T) {
	o, err := ParseOptions(map[string]any{"uri": "ipp://127.0.0.1:8631/ipp/print", "poll": "10s",
		"snmp": map[string]any{"address": "127.0.0.1:161", "community": "public"}, "username": "u", "password": "p", "ca": "/x.pem"})
	if err != nil || o.Poll != 10*time.Second || o.SNMP.Address != "127.0.0.1:161" || o.TLS.CAFile != "/x.pem" {
		t.Fatalf("%+v %v", o, err)
	}
	for _, bad := range []map[string]any{
		{},
		{"uri": "ipp://x", "pol": "1s"},
		{"uri": "ipp://x", "poll": "soon"},
		{"uri": "ipp://x", "snmp": map[string]any{"community": "public"}},
	} {
		if _, err := ParseOptions(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, err := newClient("lpd://x/q", "", "", TLSOptions{}, 0); err == nil {
		t.Error("lpd accepted")
	}
	if _, err := newClient("ipps://x/q", "", "", TLSOptions{Pin: "abc"}, 0); err == nil {
		t.Error("short pin accepted")
	}
}

// BenchmarkPoll20PrintersRecorded polls 20 printers answering with a recorded
// ippeveprinter response (httptest), as one 10 s round of the gateway
// does: ns/op, B/op and cpu-us/poll are per printer poll.
func BenchmarkPoll20PrintersRecorded(b *testing.B) {
	raw := recorded(b)
	var printers []*Printer
	for i := 0; i < 20; i++ {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/ipp")
			w.Write(raw)
		}))
		b.Cleanup(srv.Close)
		p, err := New(drivers.Device{ID: "prn", Profile: "ippeveprinter", Options: map[string]any{"uri": strings.Replace(srv.URL, "http", "ipp", 1)}}, drivers.Deps{Sink: &nullSink{}})
		if err != nil {
			b.Fatal(err)
		}
		printers = append(printers, p)
	}
	ctx := context.Background()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for _, p := range printers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.mu.Lock()
				p.last = nil // every poll counts as a change: journal + deliver
				p.mu.Unlock()
				if _, err := p.Poll(ctx); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(syscall.TimevalToNsec(ru1.Utime)-syscall.TimevalToNsec(ru0.Utime)) +
		time.Duration(syscall.TimevalToNsec(ru1.Stime)-syscall.TimevalToNsec(ru0.Stime))
	polls := float64(b.N * len(printers))
	b.ReportMetric(float64(cpu.Microseconds())/polls, "cpu-us/poll")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/polls, "ns/poll")
}

type nullSink struct{ n int64 }

func (s *nullSink) Journal(_ context.Context, _ drivers.Direction, fs []drivers.Frame, _ time.Time) ([]int64, error) {
	ids := make([]int64, len(fs))
	for i := range ids {
		ids[i] = 1
	}
	return ids, nil
}
func (s *nullSink) Deliver(context.Context, []drivers.Result) error { return nil }
func (s *nullSink) LinkState(events.DeviceState)                    {}

// A sink that fails must not lose an alert: the next poll raises it again.
func TestAlertNotLostWhenJournalFails(t *testing.T) {
	raw := rawResponse(t, func(b *bytes.Buffer) {
		b.WriteByte(byte(goipp.TagEnum))
		writeStr(b, "printer-state")
		writeStr(b, "\x00\x00\x00\x03")
		b.WriteByte(byte(goipp.TagKeyword))
		writeStr(b, "printer-state-reasons")
		writeStr(b, "media-jam-error")
	})
	srv := httptest.NewServer(&ippResponder{raw: raw})
	defer srv.Close()
	sink := &recSink{failJ: context.DeadlineExceeded}
	p, err := New(drivers.Device{ID: "p", Options: map[string]any{"uri": strings.Replace(srv.URL, "http", "ipp", 1)}}, drivers.Deps{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	p.Poll(context.Background())
	if len(records[printer.Alert](sink)) != 0 {
		t.Fatal("delivered without a journal")
	}
	sink.mu.Lock()
	sink.failJ = nil
	sink.mu.Unlock()
	p.Poll(context.Background())
	p.Poll(context.Background())
	if a := records[printer.Alert](sink); len(a) != 1 || a[0].Kind != printer.AlertMediaJam || a[0].Change != printer.Raised {
		t.Fatalf("alerts %+v", a)
	}
	if st := p.Status(); st.State != "idle" || st.Reasons[0] != "media-jam" {
		t.Fatalf("%+v", st)
	}
}
