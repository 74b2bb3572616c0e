package hotelink_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/drivers"
	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
	simfias "switchboard/internal/sim/fias"
	"switchboard/internal/transport"
	"switchboard/internal/transport/ptytest"
)

// restartBound is how soon after a PBX comes back its link must be up
// again. FIAS leaves the PBX's LS to be answered at once; before the fix a
// restarted PBX waited for the gateway's next keep-alive LS (60 s).
const restartBound = 5 * time.Second

// pbxLine is the PBX's end of a pty serial line. The line outlives the PBX
// on it: while no PBX runs, what the gateway sends is lost, as on a line
// whose PBX is rebooting.
type pbxLine struct {
	pair *ptytest.Pair
	mu   sync.Mutex
	cur  *io.PipeWriter // the running PBX's input; nil while none runs
	lost []byte         // what the gateway sent while no PBX ran
}

// lostFrames counts what was lost on the line: ENQs and frames of a type.
func (l *pbxLine) lostFrames(typ string) (frames, enqs int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Count(l.lost, []byte("\x02"+typ+"|")), bytes.Count(l.lost, []byte{hotelink.ENQ})
}

func newPBXLine(pair *ptytest.Pair) *pbxLine {
	l := &pbxLine{pair: pair}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := pair.Read(buf)
			if n > 0 {
				l.mu.Lock()
				w := l.cur
				if w == nil {
					l.lost = append(l.lost, buf[:n]...)
				}
				l.mu.Unlock()
				if w != nil {
					_, _ = w.Write(buf[:n]) // fails once that PBX is gone: the bytes are lost
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return l
}

// pbxPort is one run of a PBX on the line (its io.ReadWriteCloser).
type pbxPort struct {
	l *pbxLine
	r *io.PipeReader
	w *io.PipeWriter
}

func (p *pbxPort) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p *pbxPort) Write(b []byte) (int, error) { return p.l.pair.Write(b) }
func (p *pbxPort) Close() error {
	p.l.mu.Lock()
	if p.l.cur == p.w {
		p.l.cur = nil
	}
	p.l.mu.Unlock()
	p.w.Close()
	return p.r.Close()
}

// pbxRun is a simulated PBX serving a link until it is killed.
type pbxRun struct {
	pbx  *simfias.PBX
	kill func()
}

// run starts a fresh PBX (an empty database, as after a reboot) on the line.
func (l *pbxLine) run(t *testing.T, cfg simfias.Config) *pbxRun {
	t.Helper()
	r, w := io.Pipe()
	l.mu.Lock()
	l.cur = w
	l.mu.Unlock()
	return serveSim(t, cfg, &pbxPort{l: l, r: r, w: w})
}

func serveSim(t *testing.T, cfg simfias.Config, rw io.ReadWriteCloser) *pbxRun {
	t.Helper()
	p := simfias.New(simDefaults(cfg))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Serve(ctx, rw) }()
	var once sync.Once
	kill := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(kill)
	return &pbxRun{pbx: p, kill: kill}
}

func waitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func countLinkEvents(s *memSink, kind hotel.LinkEventKind) int {
	n := 0
	for _, e := range records[hotel.LinkEvent](s) {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// sentSince counts the frames of a record type the gateway sent after the
// first `mark` frames it sent.
func sentSince(s *memSink, mark int, typ string) int {
	n := 0
	for _, f := range s.sent()[mark:] {
		if strings.HasPrefix(f, "\x02"+typ+"|") {
			n++
		}
	}
	return n
}

// restartSnapshot is the gateway's state: what every link start swaps in.
func restartSnapshot() *snapSource {
	return &snapSource{snap: hotel.Snapshot{
		Rooms:   []hotel.OccupiedRoom{{Room: "101", Reservation: "1", Guest: "Ada", COS: hotel.COSLocal}},
		Wakeups: []hotel.Wakeup{{Room: "101", At: time.Date(2000, 10, 16, 6, 30, 0, 0, site)}},
	}}
}

// waitRestarted waits for the link start after a PBX came back at t0 and
// checks the swap that follows it happened once and reached the PBX.
func waitRestarted(t *testing.T, sink *memSink, p *simfias.PBX, t0 time.Time, ups, mark, swaps int) time.Duration {
	t.Helper()
	sink.waitLinkUp(t, ups)
	took := time.Since(t0)
	if took > restartBound {
		t.Errorf("link up %v after the PBX came back, want within %v", took, restartBound)
	}
	if err := p.WaitFor(ctxT(t), func(p *simfias.PBX) bool { return p.LinkUp() && p.Resyncs() == swaps }); err != nil {
		t.Fatalf("PBX after its restart: %v (link up %v, %d swaps)", err, p.LinkUp(), p.Resyncs())
	}
	time.Sleep(100 * time.Millisecond) // a second swap would be on the wire by now
	if n := sentSince(sink, mark, "DS"); n != 1 {
		t.Errorf("%d database swaps (DS) after the restart, want 1", n)
	}
	if n := p.Resyncs(); n != swaps {
		t.Errorf("PBX counts %d swaps, want %d", n, swaps)
	}
	if w := p.Wakeups(); len(w) != 1 || w[0].Room != "101" {
		t.Errorf("PBX wake-ups after the swap: %+v", w)
	}
	return took
}

// TestPBXRestartOverSerial kills the PBX on a pty serial line (the driver
// opens the pty through go.bug.st/serial) and starts a new one: the new
// PBX's LS is answered at once, the link is up within seconds and the
// database swap follows once. With production timers (keep-alive 60 s).
func TestPBXRestartOverSerial(t *testing.T) {
	for _, tc := range []struct {
		name   string
		notice bool // the gateway tried to send while the PBX was down
	}{
		{"gateway noticed the outage", true},
		{"back before the gateway noticed", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pair := ptytest.New(t, filepath.Join(t.TempDir(), "ttyFIAS"))
			ser, err := transport.NewSerial(transport.SerialOptions{Port: pair.Link(), Baud: 9600, ReadTimeout: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			sink := newSink()
			drv, err := hotelink.New(drivers.Device{ID: "pbx1", Driver: "hotelink", Profile: "fias-serial",
				Options: map[string]any{"ack_timeout": "100ms"}, Location: site},
				drivers.Deps{Link: linkOpener{transport.NewLink("pbx1", ser, transport.LinkOptions{}), ser.String()}, Sink: sink})
			if err != nil {
				t.Fatal(err)
			}
			drv.SetClock(fixedClock)
			drv.SetStateSource(restartSnapshot())
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = drv.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done })

			line := newPBXLine(pair)
			cfg := simfias.Config{LRC: true, AckNAK: true}
			first := line.run(t, cfg)
			sink.waitLinkUp(t, 1)
			if err := first.pbx.WaitFor(ctxT(t), func(p *simfias.PBX) bool { return p.LinkUp() && p.Resyncs() == 1 }); err != nil {
				t.Fatal(err)
			}

			first.kill()
			if tc.notice {
				// A command finds nobody: ENQ x3, the link restarts, and
				// the gateway's own LS goes unacknowledged.
				ack, err := drv.Send(ctxT(t), hotel.DND{Ref: "d", Room: "101", On: true})
				if ack.OK || err == nil {
					t.Fatalf("Send to a dead PBX = %+v, %v", ack, err)
				}
				sink.waitFor(t, "link down", func() bool { return countLinkEvents(sink, hotel.LinkDown) == 1 })
				// The gateway's LS is lost with the ENQs asking for its
				// ACK (3 for the command's frame, 3 for the LS).
				waitCond(t, "the gateway's LS lost on the line", func() bool {
					ls, enqs := line.lostFrames("LS")
					return ls == 1 && enqs == 6
				})
			}
			mark := len(sink.sent())
			t0 := time.Now()
			second := line.run(t, cfg)
			took := waitRestarted(t, sink, second.pbx, t0, 2, mark, 1)
			t.Logf("serial: PBX restart to link up in %v", took)
			if n := countLinkEvents(sink, hotel.LinkDown); n != 1 {
				t.Errorf("%d link-down events, want 1", n)
			}
			if ls := sentSince(sink, mark, "LS"); ls != 1 {
				t.Errorf("the new PBX's LS answered with %d LS, want 1", ls)
			}
		})
	}
}

// TestPBXRestartOverTCP: a PBX killed and started again (a new connection,
// through the gateway's reconnection backoff), and a PBX that ends its link
// with LE and starts it again on the same connection after the gateway's
// own LS went unanswered.
func TestPBXRestartOverTCP(t *testing.T) {
	const keepalive = 2 * time.Second
	for _, tc := range []struct {
		name    string
		restart func(t *testing.T, h *harness, old *simfias.PBX, done chan error) (*simfias.PBX, time.Time)
		swaps   int // the PBX's count once the restart's swap arrived
	}{
		{"killed, new connection", func(t *testing.T, h *harness, old *simfias.PBX, done chan error) (*simfias.PBX, time.Time) {
			old.Close()
			<-done
			h.sink.waitFor(t, "link down", func() bool { return countLinkEvents(h.sink, hotel.LinkDown) == 1 })
			p := simfias.New(simDefaults(simfias.Config{}))
			t0 := time.Now()
			go func() { done <- p.Dial(context.Background(), h.addr) }()
			t.Cleanup(func() { p.Close(); <-done })
			return p, t0
		}, 1},
		{"LE, then LS on the same connection", func(t *testing.T, h *harness, old *simfias.PBX, _ chan error) (*simfias.PBX, time.Time) {
			if err := old.EndLink(); err != nil {
				t.Fatal(err)
			}
			h.sink.waitFor(t, "link down", func() bool { return countLinkEvents(h.sink, hotel.LinkDown) == 1 })
			mark := len(h.sink.sent())
			h.sink.waitFor(t, "the gateway's own LS", func() bool { return sentSince(h.sink, mark, "LS") == 1 })
			t0 := time.Now()
			if err := old.StartLink(); err != nil {
				t.Fatal(err)
			}
			return old, t0
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startTCPLink(t, "fias", map[string]any{"keepalive": keepalive.String()}, transport.LinkOptions{})
			h.drv.SetStateSource(restartSnapshot())
			first, done := startSim(t, h, simfias.Config{}, 1)
			if err := first.WaitFor(ctxT(t), func(p *simfias.PBX) bool { return p.Resyncs() == 1 }); err != nil {
				t.Fatal(err)
			}
			mark := len(h.sink.sent())
			p, t0 := tc.restart(t, h, first, done)
			took := waitRestarted(t, h.sink, p, t0, 2, mark, tc.swaps)
			t.Logf("tcp (%s): PBX restart to link up in %v", tc.name, took)
			if took >= keepalive {
				t.Errorf("link up %v after the PBX's LS: it waited for the gateway's keep-alive LS (%v)", took, keepalive)
			}
		})
	}
}
