package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/store"
	"switchboard/test/peers"
)

// avayaBurst writes n distinct Avaya IP Office SMDR records.
func avayaBurst(t *testing.T, path string, n int) {
	t.Helper()
	var b strings.Builder
	start := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * 7 * time.Second)
		fmt.Fprintf(&b, "%s,00:%02d:%02d,%d,%d,O,00%d,00%d,,0,%d,0,E%d,Room %d,T9001,LINE 1.%d,0,0\r\n",
			at.Format("2006/01/02 15:04:05"), i%60, (i*7)%60, i%20, 1000+i%300, 8613800000000+i, 8613800000000+i,
			1000000+i, 1000+i%300, 1000+i%300, i%8)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A burst of 10,000 calls; the daemon is killed -9 in the middle of it and
// started again. The back office ends with seq 1..10000, each seq one
// event, no event twice under two seqs, and the journal holds every frame.
func TestKill9DuringBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000-event burst")
	}
	const n = 10000
	mq := peers.StartMosquitto(t)
	dir := t.TempDir()
	avayaBurst(t, filepath.Join(dir, "calls.txt"), n)
	cfg := writeConfig(t, dir, fmt.Sprintf(`
site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s/sb.db}
mqtt:
  external: {urls: [%s], client_id: gw1-under-test}
devices:
  - {id: pbx1, driver: pbx, profile: avaya-ipoffice, transport: {file: {path: calls.txt}}}
`, dir, mq.URL()))
	topics := events.Topics{Group: "acme", Property: "h042", Gateway: "gw1"}
	bo := newBackOffice(t, mq.URL(), topics)

	d := startDaemon(t, cfg)
	// Kill it once a part of the burst is through.
	deadline := time.Now().Add(60 * time.Second)
	for bo.count("hotel.pbx.call.recorded") < 1500 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d calls within 60 s", bo.count("hotel.pbx.call.recorded"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	d.kill9()
	before := bo.count("hotel.pbx.call.recorded")
	if before >= n {
		t.Fatalf("the burst was over (%d) before the kill: the test proves nothing", before)
	}
	t.Logf("killed -9 after %d calls reached the back office", before)

	d = startDaemon(t, cfg)
	// Every call, then every event (calls from extensions outside the room
	// map are flagged too) acknowledged.
	deadline = time.Now().Add(120 * time.Second)
	for bo.count("hotel.pbx.call.recorded") < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls of %d after the restart", bo.count("hotel.pbx.call.recorded"), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	bo.mu.Lock()
	var last int64
	for seq := range bo.bySeq {
		last = max(last, seq)
	}
	bo.mu.Unlock()
	bo.waitAcked(last, 60*time.Second)
	st, err := store.Open(context.Background(), filepath.Join(dir, "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for deadline = time.Now().Add(10 * time.Second); ; {
		if acked, _ := st.AckedSeq(context.Background()); acked == last || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.stop()

	if got := bo.count("hotel.pbx.call.recorded"); got != n {
		t.Errorf("%d distinct call events, want %d", got, n)
	}
	ids := map[string]int64{}
	bo.mu.Lock()
	for seq, id := range bo.bySeq {
		if other, ok := ids[id]; ok {
			t.Errorf("event %s under seq %d and seq %d", id, other, seq)
		}
		ids[id] = seq
	}
	t.Logf("%d events, %d duplicate deliveries before acknowledgement", len(bo.bySeq), bo.dups)
	bo.mu.Unlock()

	// Every frame the daemon read is in the journal: each of the n lines at
	// least once, and those read twice (after the restart) marked duplicate.
	c, err := st.CountFrames(context.Background(), "pbx1")
	if err != nil {
		t.Fatal(err)
	}
	if c[store.FrameParsed] != n || c[store.FrameNew] != 0 || c[store.FrameUnparsed] != 0 {
		t.Errorf("journal = %v; want %d parsed, none new or unparsed", c, n)
	}
	stats, _ := st.Stats(context.Background())
	if stats.LastSeq != last || stats.AckedSeq != last || int64(len(ids)) != last {
		t.Errorf("outbox = %+v, %d distinct events; want seq 1..%d all acknowledged", stats, len(ids), last)
	}
}
