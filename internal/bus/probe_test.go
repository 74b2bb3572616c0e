package bus

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/test/peers"
)

// alerts records what a probe raised and cleared.
type alerts struct {
	mu  sync.Mutex
	got []events.Alert
}

func (a *alerts) record(_ context.Context, al events.Alert) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, al)
	return nil
}

func (a *alerts) first() events.Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.got[0]
}

func (a *alerts) states() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var s []string
	for _, al := range a.got {
		s = append(s, al.State)
	}
	return s
}

// aclBroker starts Mosquitto with acl for the user gw (password wg), who
// is also its client id.
func aclBroker(t *testing.T, acl string) *peers.Mosquitto {
	t.Helper()
	if _, err := exec.LookPath("mosquitto_passwd"); err != nil {
		t.Skip("mosquitto_passwd not installed")
	}
	dir := peers.SharedTempDir(t)
	aclFile, pwFile := filepath.Join(dir, "acl"), filepath.Join(dir, "passwd")
	if err := os.WriteFile(aclFile, []byte(acl), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mosquitto_passwd", "-c", "-b", pwFile, "gw", "wg").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
	}
	os.Chmod(pwFile, 0o644)
	return peers.StartMosquittoACL(t, pwFile, aclFile)
}

// runProbe starts a client as gw on url and a probe on it.
func runProbe(t *testing.T, url string, o ProbeOptions) (*Client, *Probe, *alerts) {
	t.Helper()
	cl, err := NewClient(ClientOptions{URLs: []string{url}, ClientID: "gw", Username: "gw", Password: "wg", Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	got := &alerts{}
	o.Topic, o.Device, o.Alert, o.Log = topics.Probe(), "gw1", got.record, quiet
	p := NewProbe(cl, o)
	cl.Start()
	t.Cleanup(func() { cl.Disconnect(0) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return cl, p, got
}

// waitProbe waits up to 20 s for cond.
func waitProbe(t *testing.T, what string, p *Probe, got *alerts, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20 s: stats %+v, alerts %v", what, p.Stats(), got.states())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A broker whose ACL predates the probe. Mosquitto as the tests run it
// (max_queued_messages set) closes the connection of a client whose
// publish it refuses, as MQTT 3.1.1 §3.3.5 allows: after three sessions
// ended with the probe out, the alert names the ACL and probing pauses,
// rather than costing a session every interval; no takeover is counted.
func TestProbePublishRefused(t *testing.T) {
	mq := aclBroker(t, "user gw\ntopic write hotel/acme/h042/+/+/event/+\ntopic read hotel/acme/h042/#\n")
	cl, p, got := runProbe(t, mq.URL(), ProbeOptions{Interval: 200 * time.Millisecond, Timeout: 500 * time.Millisecond})
	waitProbe(t, "alert", p, got, func() bool { return len(got.states()) > 0 })
	if s := got.states(); len(s) != 1 || s[0] != "raised" || !strings.Contains(got.first().Message, "write access") {
		t.Errorf("alerts %v (%+v), want one raised naming the ACL", s, got.first())
	}
	gen := cl.Generation()
	time.Sleep(time.Second) // probing paused for 2 s
	if cl.Generation() != gen {
		t.Errorf("sessions went on ending while probing was paused (%d, then %d)", gen, cl.Generation())
	}
	if st := p.Stats(); st.Lost < refusedInRow || st.TakenOver != 0 || st.Answered != 0 {
		t.Errorf("stats %+v: want %d lost, no takeover, none answered", st, refusedInRow)
	}
}

// An ACL that lets the gateway publish the probe but not read it: each
// probe vanishes while the session stays up. The probe replaces the
// session at the 1st, 2nd, 4th and 8th lost probe in a row, not at every
// one, and raises the alert once.
func TestProbeReadRefused(t *testing.T) {
	mq := aclBroker(t, "user gw\ntopic write hotel/acme/h042/edge/gw1/probe\ntopic read hotel/acme/h042/+/+/event/#\n")
	cl, p, got := runProbe(t, mq.URL(), ProbeOptions{Interval: 200 * time.Millisecond, Timeout: 400 * time.Millisecond})
	waitProbe(t, "9 lost probes", p, got, func() bool { return p.Lost() >= 9 })
	if gen := cl.Generation(); gen < 4 || gen > 5 {
		t.Errorf("%d sessions after %d lost probes, want 5 (reconnects at the 1st, 2nd, 4th and 8th)", gen, p.Lost())
	}
	if s := got.states(); len(s) != 1 || s[0] != "raised" {
		t.Errorf("alerts %v, want one raised and no clear", s)
	}
	if st := p.Stats(); st.Answered != 0 || st.TakenOver != 0 {
		t.Errorf("stats %+v: nothing may come back, no session was taken over", st)
	}
}

// Another client that connects with the probe's client id ends its session
// (MQTT 3.1.1 §3.1.4-2); the broker takes the client back at once: one
// takeover counted, the alert raised, then cleared by a probe on a session
// that lasted an interval.
func TestProbeTakeover(t *testing.T) {
	mq := peers.StartMosquitto(t)
	_, p, got := runProbe(t, mq.URL(), ProbeOptions{Interval: 300 * time.Millisecond})
	waitProbe(t, "probe answered", p, got, func() bool { return p.Stats().Answered > 0 })
	if !connects(t, mq.URL(), "gw", login{}) {
		t.Fatal("the intruder could not connect")
	}
	waitProbe(t, "raise and clear", p, got, func() bool { return len(got.states()) == 2 })
	if s := got.states(); s[0] != "raised" || s[1] != "cleared" {
		t.Errorf("alerts %v, want raised then cleared", s)
	}
	if st := p.Stats(); st.TakenOver != 1 || st.Lost != 0 {
		t.Errorf("stats %+v: want one takeover, no probe lost", st)
	}
}
