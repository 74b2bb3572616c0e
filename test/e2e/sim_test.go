package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/profile"
	pbxsim "switchboard/internal/sim/pbx"
	"switchboard/test/peers"
)

// truths collects what the simulator generated, keyed the way a back
// office can find it again in a call.recorded event.
type truths struct {
	mu    sync.Mutex
	calls map[string]*pbxsim.Call
	n     int
}

func callKey(r events.CallRecord) string {
	// Only an incoming call's caller is part of the key: for the others a
	// PBX may print the extension there, which the simulator's truth does
	// not claim.
	caller := ""
	if r.Direction == events.Incoming {
		caller = r.Caller
	}
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s", r.Kind, r.Direction, r.Extension, r.Start.UTC().Format(time.RFC3339), r.End.UTC().Format(time.RFC3339), r.Dialed, caller)
}

func (tr *truths) add(c *pbxsim.Call) {
	if !c.Kind.IsCall() {
		return
	}
	// A replayed record is the same call again (the PBX resends its
	// buffer): one truth per call, whichever send reached the wire.
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.calls[callKey(c.Truth)] = c
	tr.n = len(tr.calls)
}

// check compares every call.recorded the back office received with the
// simulator's truth: every call arrived once, exactly as generated.
func (tr *truths) check(t *testing.T, bo *backOffice) {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	bo.mu.Lock()
	defer bo.mu.Unlock()
	seen := map[string]bool{}
	for _, env := range bo.envs {
		if env.Type != "hotel.pbx.call.recorded" {
			continue
		}
		var rec events.CallRecord
		if err := json.Unmarshal(env.Data, &rec); err != nil {
			t.Fatal(err)
		}
		k := callKey(rec)
		c, ok := tr.calls[k]
		if !ok {
			t.Errorf("call.recorded that the simulator never generated: %s", rec.Raw)
			continue
		}
		if seen[k] {
			t.Errorf("call recorded twice: %s", rec.Raw)
		}
		seen[k] = true
		for _, d := range c.Check(rec) {
			t.Errorf("call %d (%s): %s", c.Seq, rec.Raw, d)
		}
	}
	if len(seen) != len(tr.calls) {
		t.Errorf("%d of %d generated calls arrived", len(seen), len(tr.calls))
	}
}

// serialPBXRig is a Mosquitto, a back office on it, a pty standing for
// the PBX's serial port, and the config of a daemon reading that port with
// profile; it returns the pty, the config path and the store path.
func serialPBXRig(t *testing.T, profile string) (*pbxsim.PTY, string, string, *backOffice) {
	t.Helper()
	mq := peers.StartMosquitto(t)
	dir := t.TempDir()
	link := filepath.Join(dir, "ttyPBX")
	pty, err := pbxsim.OpenPTY(link)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pty.Close() })
	db := filepath.Join(dir, "sb.db")
	cfg := writeConfig(t, dir, fmt.Sprintf(`
site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s}
mqtt: {external: {urls: [%s]}}
devices:
  - id: pbx1
    driver: pbx
    profile: %s
    transport: {serial: {port: %s, baud: 9600, data_bits: 8, parity: none, stop_bits: 1, flow: none}}
`, db, mq.URL(), profile, link))
	bo := newBackOffice(t, mq.URL(), events.Topics{Group: "acme", Property: "h042", Gateway: "gw1"})
	return pty, cfg, db, bo
}

func waitCount(t *testing.T, bo *backOffice, typ string, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for bo.count(typ) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d %s of %d within %s", bo.count(typ), typ, n, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The simulated Panasonic prints on a pty; the daemon reads it through
// go.bug.st/serial; every call reaches the back office exactly as generated.
func TestSimulatorPtyToBackOffice(t *testing.T) {
	pty, cfg, _, bo := serialPBXRig(t, "panasonic-kx-tda")
	d := startDaemon(t, cfg)
	defer d.stop()
	p, _ := profile.Lookup("panasonic-kx-tda")
	loc, _ := time.LoadLocation("Asia/Shanghai")
	tr := &truths{calls: map[string]*pbxsim.Call{}}
	sim, err := pbxsim.New(pbxsim.Options{Profile: p, Seed: 42, Start: time.Date(2026, 11, 27, 7, 0, 0, 0, loc), Location: loc,
		Rate: 200, Count: 400, FirstRoom: 101, LastRoom: 1299, AccessCode: "9"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // the daemon opens the port
	if err := sim.Run(context.Background(), pty.Master, tr.add); err != nil {
		t.Fatal(err)
	}
	waitCount(t, bo, "hotel.pbx.call.recorded", tr.n, 60*time.Second)
	time.Sleep(300 * time.Millisecond)
	tr.check(t, bo)
}

// The simulated Avaya IP Office pushes SMDR over TCP; the daemon is killed
// -9 in the middle; the PBX reconnects and replays its buffer; every call
// reaches the back office once, exactly as generated.
func TestAvayaReplayAfterKill9(t *testing.T) {
	mq := peers.StartMosquitto(t)
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	cfg := writeConfig(t, dir, fmt.Sprintf(`
site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s/sb.db}
mqtt: {external: {urls: [%s]}}
devices:
  - {id: pbx1, driver: pbx, profile: avaya-ipoffice, transport: {tcp: {listen: %s}}}
`, dir, mq.URL(), addr))
	bo := newBackOffice(t, mq.URL(), events.Topics{Group: "acme", Property: "h042", Gateway: "gw1"})
	d := startDaemon(t, cfg)
	p, _ := profile.Lookup("avaya-ipoffice")
	loc, _ := time.LoadLocation("Asia/Shanghai")
	tr := &truths{calls: map[string]*pbxsim.Call{}}
	const n = 600
	sim, err := pbxsim.New(pbxsim.Options{Profile: p, Seed: 7, Start: time.Date(2026, 11, 27, 7, 0, 0, 0, loc), Location: loc,
		Rate: 150, Count: n, FirstRoom: 101, LastRoom: 1299, AccessCode: "9", ReplayBuffer: 3000})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	simDone := make(chan error, 1)
	go func() { simDone <- sim.DialTCP(ctx, addr, 200*time.Millisecond, tr.add) }()
	waitCount(t, bo, "hotel.pbx.call.recorded", 150, 30*time.Second)
	d.kill9()
	t.Logf("killed -9 after %d calls", bo.count("hotel.pbx.call.recorded"))
	time.Sleep(time.Second) // the PBX notices and keeps trying to reconnect
	d = startDaemon(t, cfg)
	defer d.stop()
	select {
	case err := <-simDone:
		if err != nil {
			t.Fatalf("simulator: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("simulator did not finish")
	}
	waitCount(t, bo, "hotel.pbx.call.recorded", tr.n, 60*time.Second)
	time.Sleep(500 * time.Millisecond)
	tr.check(t, bo)
}
