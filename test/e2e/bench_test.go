package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/test/peers"
)

// procStats reads a process's resident set (KiB) and CPU time (clock ticks).
func procStats(pid int) (rssKiB int64, ticks int64, err error) {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(st), "\n") {
		if f, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rssKiB, _ = strconv.ParseInt(strings.Fields(f)[0], 10, 64)
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the ")" of the command name: utime is 14th, stime 15th overall.
	rest := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	ut, _ := strconv.ParseInt(rest[11], 10, 64)
	stt, _ := strconv.ParseInt(rest[12], 10, 64)
	return rssKiB, ut + stt, nil
}

// BenchmarkIdleDaemon: the daemon with its embedded broker and no devices,
// measured over 60 s after a 5 s settle: RSS and share of one core.
// Target (issue 2): under 40 MiB RSS, under 1% of one core.
func BenchmarkIdleDaemon(b *testing.B) {
	settle, window := 5*time.Second, 60*time.Second
	if s := os.Getenv("IDLE_WINDOW"); s != "" {
		window, _ = time.ParseDuration(s)
	}
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		cfg := fmt.Sprintf("site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}\nstore: {path: %s/sb.db}\nmqtt: {embedded: {listen: 127.0.0.1:%d}}\n", dir, peers.FreePort(b))
		os.WriteFile(dir+"/switchboard.yaml", []byte(cfg), 0o644)
		d := startDaemonB(b, dir+"/switchboard.yaml")
		time.Sleep(settle)
		_, t0, err := procStats(d.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		time.Sleep(window)
		rss, t1, err := procStats(d.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		d.Process.Kill()
		d.Wait()
		const ticksPerSecond = 100 // USER_HZ on Linux
		cpu := float64(t1-t0) / ticksPerSecond / elapsed.Seconds() * 100
		b.ReportMetric(float64(rss)/1024, "MiB-RSS")
		b.ReportMetric(cpu, "%-of-one-core")
	}
}
