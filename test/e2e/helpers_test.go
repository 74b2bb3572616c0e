package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/schemas"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// daemon is one `switchboard run` child process.
type daemon struct {
	t   *testing.T
	cmd *exec.Cmd
	log *bytes.Buffer
	mu  sync.Mutex
}

type lockedBuffer struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func startDaemon(t *testing.T, configPath string) *daemon {
	t.Helper()
	d := &daemon{t: t, log: &bytes.Buffer{}}
	d.cmd = exec.Command(bin, "run", "--config", configPath)
	d.cmd.Dir = filepath.Dir(configPath)
	w := lockedBuffer{&d.mu, d.log}
	d.cmd.Stdout, d.cmd.Stderr = w, w
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			d.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.output())
		}
	})
	return d
}

func (d *daemon) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

// kill9 kills the daemon without a chance to clean up.
func (d *daemon) kill9() {
	d.cmd.Process.Signal(syscall.SIGKILL)
	d.cmd.Wait()
}

// stop asks the daemon to shut down cleanly and waits.
func (d *daemon) stop() {
	d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		d.t.Errorf("daemon did not stop within 15 s of SIGTERM")
		d.kill9()
	}
}

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "switchboard.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// backOffice is an MQTT consumer that validates every event against its
// schema and acknowledges the highest seq up to which it has everything.
type backOffice struct {
	t      *testing.T
	cl     *bus.Client
	topics events.Topics
	mu     sync.Mutex
	bySeq  map[int64]string // seq -> event id
	byType map[string]int   // first arrivals per type
	envs   []events.Envelope
	acked  int64
	dups   int
	kick   chan struct{}
	// firstAt and lastAt: the first and the latest new event's arrival.
	firstAt, lastAt time.Time
}

func newBackOffice(t *testing.T, url string, topics events.Topics) *backOffice {
	t.Helper()
	return newBackOfficeAs(t, url, topics, "", "")
}

// newBackOfficeAs is a back office that logs in as user (a backoffice
// principal of the embedded broker).
func newBackOfficeAs(t *testing.T, url string, topics events.Topics, user, pass string) *backOffice {
	t.Helper()
	cl, err := bus.NewClient(bus.ClientOptions{URLs: []string{url}, ClientID: fmt.Sprintf("backoffice-%d", time.Now().UnixNano()), Ordered: true, Log: quiet,
		Username: user, Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	b := &backOffice{t: t, cl: cl, topics: topics, bySeq: map[int64]string{}, byType: map[string]int{}, kick: make(chan struct{}, 1)}
	cl.Subscribe("hotel/"+topics.Group+"/"+topics.Property+"/+/+/event/#", b.onEvent)
	cl.Subscribe("hotel/"+topics.Group+"/"+topics.Property+"/+/+/reply/#", b.onEvent)
	cl.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Disconnect(100 * time.Millisecond) })
	return b
}

func (b *backOffice) onEvent(m bus.Message) {
	if err := schemas.Validate(m.Payload); err != nil {
		b.t.Errorf("event on %s does not match its schema: %v", m.Topic, err)
	}
	var env events.Envelope
	if err := json.Unmarshal(m.Payload, &env); err != nil {
		b.t.Errorf("event on %s: %v", m.Topic, err)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if id, ok := b.bySeq[env.Seq]; ok {
		b.dups++
		if id != env.ID {
			b.t.Errorf("seq %d reused: event %s and event %s", env.Seq, id, env.ID)
		}
	} else {
		b.bySeq[env.Seq] = env.ID
		b.byType[env.Type]++
		if b.firstAt.IsZero() {
			b.firstAt = time.Now()
		}
		b.lastAt = time.Now()
		b.envs = append(b.envs, env)
	}
	next := b.acked
	for {
		if _, ok := b.bySeq[next+1]; !ok {
			break
		}
		next++
	}
	if next > b.acked {
		b.acked = next
		b.cl.PublishAsync(b.topics.Ack(), 1, false, fmt.Appendf(nil, `{"seq":%d,"seqepoch":%q}`, next, env.SeqEpoch))
	}
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// waitAcked waits until the consumer has every seq up to n.
func (b *backOffice) waitAcked(n int64, within time.Duration) {
	b.t.Helper()
	deadline := time.After(within)
	for {
		b.mu.Lock()
		got := b.acked
		b.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-b.kick:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			b.t.Fatalf("back office has everything up to seq %d only, want %d, after %s", got, n, within)
		}
	}
}

func (b *backOffice) count(typ string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.byType[typ]
}

// startDaemonB starts `switchboard run` for a benchmark.
func startDaemonB(b *testing.B, configPath string) *exec.Cmd {
	b.Helper()
	cmd := exec.Command(bin, "run", "--config", configPath)
	cmd.Dir = filepath.Dir(configPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}
