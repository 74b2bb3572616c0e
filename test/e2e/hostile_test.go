package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/passwd"
	"switchboard/test/peers"
)

// TestHostileClients plays hostile clients against the real binary and
// its embedded broker on loopback (issue 11; DESIGN.md §6): each probe
// asserts the fixed behaviour and logs its figures (docs/performance.md,
// "Hostile clients"). The hostile publishes go through Debian's
// mosquitto_pub and mosquitto_sub, a client that is not ours.
//
// Two probes wait on the gateway's own clocks: the outbox re-sends what
// nobody acknowledged after 30 s, the retained status is refreshed every
// 30 s, and a minute of line noise is summed up when the minute is over.
// They start first and are checked last, so that those waits overlap the
// other probes whatever -parallel says. SB_HOSTILE_PINGS sets the ping
// burst (default 3,000; 20,000 is the figure).
func TestHostileClients(t *testing.T) {
	t.Parallel() // beside the fault soak and the bridge test: its probes check answers, not speed
	for _, tool := range []string{"mosquitto_pub", "mosquitto_sub"} {
		mosquittoTool(t, tool)
	}
	start := time.Now()
	garbage := startGarbage(t)
	rogue := startRogueAcks(t)

	acl := startACLSite(t)
	t.Run("fake event and retained state", acl.forgeries)
	t.Run("takeover storm", acl.takeoverStorm)
	t.Run("ping burst", pingBurst)
	t.Run("rate limit", rateLimit)
	t.Run("oversized id and name", oversized)
	pbx := startPBXSite(t)
	t.Run("second PBX connection", pbx.secondConnection)
	t.Run("masked numbers", pbx.maskedNumbers)
	t.Run("rogue ack", rogue.check)
	t.Run("garbage SMDR", garbage.check)
	t.Logf("hostile clients: every probe in %s", time.Since(start).Round(time.Second))
}

// principal is who a hostile client logs in as: a user of the embedded
// broker, a name with a guessed password, or nobody (anonymous, which the
// broker takes from loopback only, as a reader).
type principal struct{ user, pass string }

// hostilePass is the password of the sites' users.
const hostilePass = "hostile-test-password"

var (
	asAnonymous  = principal{}
	asBackoffice = principal{"bo", hostilePass}
	asOperator   = principal{"op", hostilePass}
	asReadonly   = principal{"ro", hostilePass}
	// The daemon's own name, without its per-process credential.
	asGatewayGuess = principal{"switchboard-gateway", "guess"}
)

func (p principal) String() string {
	if p.user == "" {
		return "anonymous"
	}
	return p.user
}

// hostileHash is the users' password hash, cheap to check (a connect
// storm must not spend the test's time in argon2id).
var hostileHash = sync.OnceValue(func() string {
	h, err := passwd.HashWith(hostilePass, passwd.Params{MemoryKiB: 64, Passes: 1, Threads: 1})
	if err != nil {
		panic(err)
	}
	return h
})

// hostileSite is one `switchboard run` on loopback with its embedded
// broker, whose users are bo (backoffice), op (operator) and ro
// (readonly); anonymous loopback clients read, as by default.
type hostileSite struct {
	t      *testing.T
	dir    string
	db     string
	port   int
	topics events.Topics
	d      *daemon
	status *watcher // the retained status and its refreshes
}

// startHostileSite starts a site; broker is more of mqtt.embedded
// (indented four spaces), rest more of the config (billing, rooms,
// devices). The daemon is killed when t ends.
func startHostileSite(t *testing.T, broker, rest string) *hostileSite {
	t.Helper()
	dir := t.TempDir()
	s := &hostileSite{t: t, dir: dir, db: filepath.Join(dir, "sb.db"), port: peers.FreePort(t),
		topics: events.Topics{Group: "acme", Property: "h042", Gateway: "gw1"}}
	h := hostileHash()
	cfg := writeConfig(t, dir, fmt.Sprintf(`
site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s}
mqtt:
  embedded:
    listen: 127.0.0.1:%d
    users:
      - {username: bo, password_hash: %q, role: backoffice}
      - {username: op, password_hash: %q, role: operator}
      - {username: ro, password_hash: %q, role: readonly}
%s%s`, s.db, s.port, h, h, h, broker, rest))
	s.d = startDaemon(t, cfg)
	s.status = s.watch(asReadonly, s.topics.Status())
	s.waitStatus("online", 15*time.Second, func(st bus.Status) bool { return st.State == "online" })
	return s
}

// on is the site as seen from test t (a subtest of the one that started
// it): its helpers fail t.
func (s *hostileSite) on(t *testing.T) *hostileSite {
	c := *s
	c.t = t
	return &c
}

func (s *hostileSite) url() string { return fmt.Sprintf("tcp://127.0.0.1:%d", s.port) }

// root is the property's topic root, hotel/acme/h042/.
func (s *hostileSite) root() string { return "hotel/" + s.topics.Group + "/" + s.topics.Property + "/" }

// waitStatus waits for a retained status (or a refresh of it) that ok
// accepts.
func (s *hostileSite) waitStatus(what string, within time.Duration, ok func(bus.Status) bool) bus.Status {
	s.t.Helper()
	var st bus.Status
	s.status.wait(s.t, "status "+what, within, func(m bus.Message) bool {
		var found bool
		st, found = statusOf(m)
		return found && ok(st)
	})
	return st
}

// statusOf reads a status message.
func statusOf(m bus.Message) (bus.Status, bool) {
	var env events.Envelope
	var st bus.Status
	if json.Unmarshal(m.Payload, &env) != nil || env.Type != "hotel.edge.status" || json.Unmarshal(env.Data, &st) != nil {
		return st, false
	}
	return st, true
}

// memory is the daemon's resident memory and its peak so far, in KiB
// (VmRSS and VmHWM of /proc/PID/status, proc(5)).
func (s *hostileSite) memory() (rss, hwm int64) {
	s.t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.d.cmd.Process.Pid))
	if err != nil {
		s.t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	return rss, hwm
}

// cpuTicks is the CPU time the daemon has used, user and system, in clock
// ticks (fields 14 and 15 of /proc/PID/stat, proc(5)).
func (s *hostileSite) cpuTicks() int64 {
	s.t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.d.cmd.Process.Pid))
	if err != nil {
		s.t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), ") ") // the command name may hold blanks
	f := strings.Fields(rest)                  // f[0] is field 3
	if len(f) < 13 {
		s.t.Fatalf("/proc/PID/stat: %q", b)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return utime + stime
}

// settle waits until the daemon has used (almost) no CPU for half a
// second, at most a minute: by then what a hostile publish costs it (in
// memory, on disk, in its log) has been spent, even off the paths that
// answer commands. It returns how long that took.
func (s *hostileSite) settle() time.Duration {
	s.t.Helper()
	start := time.Now()
	last := s.cpuTicks()
	for time.Since(start) < time.Minute {
		time.Sleep(500 * time.Millisecond)
		now := s.cpuTicks()
		if now-last <= 1 {
			return time.Since(start)
		}
		last = now
	}
	s.t.Errorf("the daemon is still busy a minute later")
	return time.Since(start)
}

// storeSize is the store on disk: the SQLite file and its write-ahead log.
func (s *hostileSite) storeSize() int64 {
	var n int64
	for _, p := range []string{s.db, s.db + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// mosquittoTool is the path of a Debian mosquitto-clients program.
func mosquittoTool(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s not installed (Debian package mosquitto-clients; `make test` installs it): %v", tool, err)
	}
	return p
}

// mosquitto runs mosquitto_pub or mosquitto_sub against the site's broker
// as who, with stdin (nil: none), and returns its exit status and what it
// printed.
func (s *hostileSite) mosquitto(tool string, who principal, stdin io.Reader, args ...string) (int, string) {
	s.t.Helper()
	a := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.port)}
	if who.user != "" {
		a = append(a, "-u", who.user, "-P", who.pass)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, mosquittoTool(s.t, tool), append(a, args...)...)
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee) && ctx.Err() == nil:
		return ee.ExitCode(), strings.TrimSpace(string(out))
	}
	s.t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	return 0, ""
}

// pub is mosquitto_pub as who.
func (s *hostileSite) pub(who principal, args ...string) (int, string) {
	s.t.Helper()
	return s.mosquitto("mosquitto_pub", who, nil, args...)
}

// clientIDs numbers the test's own MQTT clients.
var clientIDs atomic.Int64

// watcher is a subscriber that keeps every message it receives and
// acknowledges nothing.
type watcher struct {
	cl   *bus.Client
	mu   sync.Mutex
	msgs []bus.Message
	kick chan struct{}
}

// watch subscribes to filters as who, once connected.
func (s *hostileSite) watch(who principal, filters ...string) *watcher {
	s.t.Helper()
	w := &watcher{kick: make(chan struct{}, 1)}
	cl, err := bus.NewClient(bus.ClientOptions{URLs: []string{s.url()}, ClientID: fmt.Sprintf("watch-%s-%d", who, clientIDs.Add(1)),
		Username: who.user, Password: who.pass, Ordered: true, Log: quiet})
	if err != nil {
		s.t.Fatal(err)
	}
	w.cl = cl
	for _, f := range filters {
		cl.Subscribe(f, w.add)
	}
	cl.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := cl.WaitConnected(ctx); err != nil {
		s.t.Fatalf("%s cannot connect: %v", who, err)
	}
	s.t.Cleanup(func() { cl.Disconnect(100 * time.Millisecond) })
	return w
}

func (w *watcher) add(m bus.Message) {
	w.mu.Lock()
	w.msgs = append(w.msgs, m)
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// messages is what arrived so far, in arrival order.
func (w *watcher) messages() []bus.Message {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]bus.Message(nil), w.msgs...)
}

// wait returns the first message that matches, waiting for it.
func (w *watcher) wait(t *testing.T, what string, within time.Duration, match func(bus.Message) bool) bus.Message {
	t.Helper()
	deadline := time.After(within)
	seen := 0
	for {
		w.mu.Lock()
		msgs := w.msgs[seen:]
		seen = len(w.msgs)
		w.mu.Unlock()
		for _, m := range msgs {
			if match(m) {
				return m
			}
		}
		select {
		case <-w.kick:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %s within %s", what, within)
		}
	}
}

// commandJSON is a command envelope as a back office sends it.
func commandJSON(id, typ, replyto string, data any) []byte {
	d, _ := json.Marshal(data)
	b, _ := json.Marshal(events.Envelope{SpecVersion: events.SpecVersion, ID: id, Source: "/hostile", Type: typ, Time: time.Now(),
		DataContentType: "application/json", DataSchema: events.SchemaURI(typ), ReplyTo: replyto, Data: d})
	return b
}

// requester sends commands as a principal and keeps each command's final
// reply (completed or failed). It subscribes to its own reply topic only,
// the one a requester that keeps up with its burst needs (a consumer of
// everything that validates each message falls behind, and the broker
// drops live messages beyond its in-flight quota; the outbox re-sends them
// within 30 s). With ack set it acknowledges, as a back office does, the
// highest seq up to which it has every reply.
type requester struct {
	s       *hostileSite
	cl      *bus.Client
	replyto string
	ack     bool

	mu    sync.Mutex
	final map[string]finalReply // command id -> final reply
	seqs  map[int64]bool
	epoch string
	acked int64
	dups  int
	kick  chan struct{}
}

// finalReply is a command's completed or failed reply, when the gateway
// made it (its envelope's time) and when it arrived, and its size.
type finalReply struct {
	bus.Reply
	Made, At time.Time
	Size     int
}

func (r finalReply) busy() bool { return r.Status == "failed" && strings.HasPrefix(r.Reason, "busy") }

func (s *hostileSite) requester(who principal, replyto string, ack bool) *requester {
	s.t.Helper()
	r := &requester{s: s, replyto: replyto, ack: ack, final: map[string]finalReply{}, seqs: map[int64]bool{}, kick: make(chan struct{}, 1)}
	cl, err := bus.NewClient(bus.ClientOptions{URLs: []string{s.url()}, ClientID: fmt.Sprintf("req-%s-%d", who, clientIDs.Add(1)),
		Username: who.user, Password: who.pass, Log: quiet})
	if err != nil {
		s.t.Fatal(err)
	}
	r.cl = cl
	cl.Subscribe(s.root()+"+/+/reply/"+replyto, r.onReply)
	cl.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := cl.WaitConnected(ctx); err != nil {
		s.t.Fatalf("%s cannot connect: %v", who, err)
	}
	s.t.Cleanup(func() { cl.Disconnect(100 * time.Millisecond) })
	if ack {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { defer close(done); r.acknowledge(stop) }()
		s.t.Cleanup(func() { close(stop); <-done })
	}
	return r
}

func (r *requester) onReply(m bus.Message) {
	var env events.Envelope
	var rep bus.Reply
	if json.Unmarshal(m.Payload, &env) != nil || json.Unmarshal(env.Data, &rep) != nil {
		return
	}
	r.mu.Lock()
	if r.seqs[env.Seq] {
		r.dups++
	}
	r.seqs[env.Seq], r.epoch = true, env.SeqEpoch
	if _, ok := r.final[rep.CommandID]; !ok && rep.Status != "accepted" {
		r.final[rep.CommandID] = finalReply{Reply: rep, Made: env.Time, At: time.Now(), Size: len(m.Payload)}
	}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// acknowledge sends the highest seq up to which the requester has every
// reply, every 200 ms while it moves, until stop.
func (r *requester) acknowledge(stop <-chan struct{}) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		r.mu.Lock()
		next := r.acked
		for r.seqs[next+1] {
			next++
		}
		moved, epoch := next > r.acked, r.epoch
		r.acked = next
		r.mu.Unlock()
		if moved {
			r.cl.PublishAsync(r.s.topics.Ack(), 1, false, fmt.Appendf(nil, `{"seq":%d,"seqepoch":%q}`, next, epoch))
		}
	}
}

// send publishes a command (QoS 1) on domain/device/cmd/name.
func (r *requester) send(domain, device, name, id string, data any) {
	r.cl.PublishAsync(r.s.topics.Command(domain, device, name), 1, false, commandJSON(id, "hotel."+domain+".cmd."+name, r.replyto, data))
}

// ping sends edge/gw1/cmd/ping.
func (r *requester) ping(id string) { r.send("edge", r.s.topics.Gateway, "ping", id, struct{}{}) }

// waitFinal waits for the final reply of command id.
func (r *requester) waitFinal(t *testing.T, id string, within time.Duration) finalReply {
	t.Helper()
	deadline := time.After(within)
	for {
		r.mu.Lock()
		f, ok := r.final[id]
		r.mu.Unlock()
		if ok {
			return f
		}
		select {
		case <-r.kick:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no final reply to command %s within %s", id, within)
		}
	}
}

// answered counts the commands with a final reply.
func (r *requester) answered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.final)
}

// finals is a copy of the final replies so far.
func (r *requester) finals() map[string]finalReply {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]finalReply, len(r.final))
	for k, v := range r.final {
		out[k] = v
	}
	return out
}

// countLines counts the daemon's log lines that contain every one of parts.
func (d *daemon) countLines(parts ...string) int {
	n := 0
	for _, line := range strings.Split(d.output(), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all && line != "" {
			n++
		}
	}
	return n
}
