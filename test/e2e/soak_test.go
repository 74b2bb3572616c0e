package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/passwd"
	"switchboard/test/peers"
)

// TestKill9SoakEveryEventAcknowledged: the daemon, with its broker inside
// it, is killed -9 again and again while a PBX file plays calls; after each
// restart the backlog goes out the moment the daemon reaches its own broker,
// before the back office is back. The back office acknowledges only the
// highest contiguous seq and asks for a lasting gap with replay (as
// docs/events.md says): at the end it has every seq, each acknowledged.
func TestKill9SoakEveryEventAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 soak")
	}
	const kills = 6
	dir := t.TempDir()
	avayaBurst(t, filepath.Join(dir, "calls.txt"), 3000)
	hash, err := passwd.HashWith("bo-secret", passwd.Params{MemoryKiB: 64, Passes: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	port := peers.FreePort(t)
	cfg := writeConfig(t, dir, fmt.Sprintf(`
site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s/sb.db}
mqtt:
  embedded:
    listen: 127.0.0.1:%d
    users: [{username: backoffice, password_hash: %q, role: backoffice}]
devices:
  - {id: pbx1, driver: pbx, profile: avaya-ipoffice, transport: {file: {path: calls.txt, follow: true}}}
`, dir, port, hash))
	topics := events.Topics{Group: "acme", Property: "h042", Gateway: "gw1"}
	d := startDaemon(t, cfg)
	bo := newBackOfficeAs(t, fmt.Sprintf("tcp://127.0.0.1:%d", port), topics, "backoffice", "bo-secret")
	stopGaps := make(chan struct{})
	defer close(stopGaps)
	go bo.replayGaps(stopGaps, 2*time.Second)

	for i := range kills {
		time.Sleep(time.Duration(300+150*i) * time.Millisecond)
		d.kill9()
		d = startDaemon(t, cfg)
	}
	defer d.stop()
	// Every call of the file, then every event up to the last, acknowledged.
	deadline := time.Now().Add(120 * time.Second)
	for bo.count("hotel.pbx.call.recorded") < 3000 {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls of 3000 reached the back office", bo.count("hotel.pbx.call.recorded"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	bo.mu.Lock()
	var last int64
	for seq := range bo.bySeq {
		last = max(last, seq)
	}
	bo.mu.Unlock()
	bo.waitAcked(last, 60*time.Second)
	bo.mu.Lock()
	defer bo.mu.Unlock()
	for s := int64(1); s <= last; s++ {
		if _, ok := bo.bySeq[s]; !ok {
			t.Errorf("seq %d never reached the back office", s)
		}
	}
	t.Logf("%d kills: seq 1..%d all delivered and acknowledged, %d deliveries of an event already had", kills, last, bo.dups)
}

// replayGaps asks the gateway to send again from the first missing seq
// when later events have waited longer than wait for it.
func (b *backOffice) replayGaps(stop <-chan struct{}, wait time.Duration) {
	t := time.NewTicker(wait / 2)
	defer t.Stop()
	var since time.Time
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		b.mu.Lock()
		acked, ahead := b.acked, false
		for seq := range b.bySeq {
			if seq > acked+1 {
				ahead = true
				break
			}
		}
		b.mu.Unlock()
		switch {
		case !ahead:
			since = time.Time{}
		case since.IsZero():
			since = time.Now()
		case time.Since(since) >= wait:
			since = time.Now()
			data, _ := json.Marshal(map[string]int64{"from": acked + 1})
			b.cl.PublishAsync(b.topics.Command("edge", b.topics.Gateway, "replay"), 1, false,
				fmt.Appendf(nil, `{"specversion":"1.0","id":"replay-%d","type":"hotel.edge.cmd.replay","source":"/backoffice","replyto":"bo","data":%s}`,
					time.Now().UnixNano(), data))
		}
	}
}
