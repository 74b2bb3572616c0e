package faxmodem

import (
	"bufio"
	"context"
	"net"
	"runtime"
	"slices"
	"testing"
	"time"
)

// BenchmarkReaction measures the host's reaction to a modem event: from
// the moment the modem writes a final result code to the moment the host's
// next command arrives (the AT layer's parsing, the T.30 step and the
// write). T.30 gives the host 75 ± 20 ms between signals.
func BenchmarkReaction(b *testing.B) {
	host, modem := net.Pipe()
	m := NewModem(host, DefaultProfile(), nil)
	defer m.Close()
	r := bufio.NewReader(modem)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < b.N; i++ {
			if _, err := m.Expect(ctx, "AT+FTS=1", "OK", 5*time.Second); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.ReadString('\r'); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if _, err := modem.Write([]byte("\r\nOK\r\n")); err != nil {
			b.Fatal(err)
		}
		if i == b.N-1 {
			break
		}
		// the host's next command
		if _, err := r.Peek(1); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	<-done
	if len(lat) > 10 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	}
}

// BenchmarkSendSession runs a whole one-page send against the scripted
// modem: memory per session (B/op) and host CPU per call.
func BenchmarkSendSession(b *testing.B) {
	script := initScript + phaseB + trainV29 + pageEOPMCF + initScript
	job := smallJob(1)
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for i := 0; i < b.N; i++ {
		host, fake := runTranscript(b, script)
		sink := &memSink{}
		d, err := New(devFor(), depsFor(sink))
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan struct{})
		go func() { _ = d.Serve(ctx, host); close(served) }()
		res, err := d.Send(ctx, job)
		if err != nil || res.PagesConfirmed != 1 {
			b.Fatalf("%v %+v", err, res)
		}
		if err := <-fake; err != nil {
			b.Fatal(err)
		}
		cancel()
		<-served
	}
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(b.N)/1024, "KiB/session")
}
