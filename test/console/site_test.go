package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/test/peers"
)

// site is one `switchboard run` with its peers, all child processes.
type site struct {
	t       *testing.T
	dir     string
	config  string
	console string // http://127.0.0.1:PORT/
	broker  string // tcp://127.0.0.1:PORT
	logs    map[string]*lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// siteOptions are the peers' addresses written into the config.
type siteOptions struct {
	printerURI string // ippeveprinter
	faxLine    string // the spandsp line's pty
	fiasRooms  string // the FIAS simulator's --script
}

// startSite writes the config, starts the daemon and the FIAS simulator
// dialing its hotel link, and waits for the console and the link.
func startSite(t *testing.T, o siteOptions) *site {
	t.Helper()
	s := &site{t: t, dir: t.TempDir(), logs: map[string]*lockedBuffer{}}
	link := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	consolePort, brokerPort := peers.FreePort(t), peers.FreePort(t)
	s.console = fmt.Sprintf("http://127.0.0.1:%d/", consolePort)
	s.broker = fmt.Sprintf("tcp://127.0.0.1:%d", brokerPort)
	// The site's zone is the sim's (--tz): the PBX rings a wake-up at the
	// wall-clock minute the gateway gave it.
	yaml := fmt.Sprintf(`site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s}
mqtt: {embedded: {listen: "127.0.0.1:%d"}}
console: {listen: "127.0.0.1:%d"}
billing: {numbering: {home_area: "21", trunk_access: ["9"]}}
rooms: [{extensions: "1201-1216", class: guest}]
devices:
  - {id: pbx1, driver: hotelink, profile: fias, transport: {tcp: {listen: "%s"}}}
  - {id: prn1, driver: ipp, profile: ippeveprinter, options: {uri: "%s", poll: 200ms, job_poll: 100ms, timeout: 2s}}
  - {id: fax1, driver: faxmodem, profile: spandsp, options: {rings: 1, ident: "+86 21 5555 0199"},
     transport: {serial: {port: "%s", baud: 115200, flow: none}}}
`, filepath.Join(s.dir, "sb.db"), brokerPort, consolePort, link, o.printerURI, o.faxLine)
	s.config = filepath.Join(s.dir, "switchboard.yaml")
	if err := os.WriteFile(s.config, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", "--config", s.config).CombinedOutput(); err != nil {
		t.Fatalf("switchboard check: %v\n%s", err, out)
	}
	s.child("daemon", "run", "--config", s.config)
	s.child("sim", "sim", "fias", "--connect", link, "--tz", "Asia/Shanghai", "--script", o.fiasRooms)
	s.waitFor("the console", 20*time.Second, func() bool {
		res, err := http.Get(s.console + "signin")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return s
}

// child starts bin with args; it is killed when the test ends, and its
// output logged if the test failed.
func (s *site) child(name string, args ...string) {
	s.t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.dir
	buf := &lockedBuffer{}
	s.logs[name] = buf
	cmd.Stdout, cmd.Stderr = buf, buf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start switchboard %s: %v", strings.Join(args, " "), err)
	}
	s.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if s.t.Failed() {
			s.t.Logf("%s output:\n%s", name, buf.String())
		}
	})
}

// operator adds a console operator with the CLI, the PIN on stdin.
func (s *site) operator(code, name, role, pin string) {
	s.t.Helper()
	cmd := exec.Command(bin, "operator", "add", code, "--name", name, "--role", role, "--config", s.config)
	cmd.Stdin = strings.NewReader(pin + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("switchboard operator add %s: %v\n%s", code, err, out)
	}
}

func (s *site) waitFor(what string, within time.Duration, ok func() bool) {
	s.t.Helper()
	end := time.Now().Add(within)
	for !ok() {
		if time.Now().After(end) {
			s.t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// seen is one event as the back office received it.
type seen struct {
	env     events.Envelope
	payload string
	arrived time.Time
}

// backOffice listens to the site's events on the embedded broker, to
// time the browser against the gateway.
type backOffice struct {
	mu     sync.Mutex
	events []seen
}

func (s *site) backOffice() *backOffice {
	s.t.Helper()
	b := &backOffice{}
	cl, err := bus.NewClient(bus.ClientOptions{URLs: []string{s.broker}, ClientID: fmt.Sprintf("day-%d", time.Now().UnixNano()),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		s.t.Fatalf("back office: %v", err)
	}
	keep := func(m bus.Message) {
		var env events.Envelope
		if json.Unmarshal(m.Payload, &env) != nil {
			return
		}
		b.mu.Lock()
		b.events = append(b.events, seen{env: env, payload: string(m.Payload), arrived: time.Now()})
		b.mu.Unlock()
	}
	cl.Subscribe("hotel/acme/h042/+/+/event/#", keep)
	cl.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.WaitConnected(ctx); err != nil {
		s.t.Fatalf("back office: %v", err)
	}
	s.t.Cleanup(func() { cl.Disconnect(100 * time.Millisecond) })
	return b
}

// first is the first event of type typ whose payload holds has.
func (b *backOffice) first(typ, has string) (seen, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.events {
		if e.env.Type == typ && strings.Contains(e.payload, has) {
			return e, true
		}
	}
	return seen{}, false
}
