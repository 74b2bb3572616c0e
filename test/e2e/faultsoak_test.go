package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/profile"
	pbxsim "switchboard/internal/sim/pbx"
	"switchboard/internal/store"
	"switchboard/internal/transport/ptytest"
	"switchboard/test/peers"

	"golang.org/x/sys/unix"
)

// TestFaultSoak is `make soak` (SOAK=10m, or SOAK=2h) and its 60-second
// version in `make test`: the real binary reads a simulated Avaya IP
// Office printing 5 calls a second on a pty (go.bug.st/serial on the
// gateway's side) and publishes to a real Mosquitto, while a fault driver
// at random intervals kills the daemon with -9, restarts Mosquitto, pulls
// the serial adapter out and plugs it back, makes the PBX print its last
// records again, and injects garbage. At the end every simulated call is
// in the ledger exactly once and charged at most once, the back office has
// every seq (each once after dedupe), `report reconcile` explains every
// journal row, and the faults and recovery times are printed.
func TestFaultSoak(t *testing.T) {
	t.Parallel() // beside the bridge test: both mostly wait
	if testing.Short() {
		t.Skip("fault soak")
	}
	soak := 60 * time.Second
	if v := os.Getenv("SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("SOAK=%q: want a duration such as 10m", v)
		}
		soak = d
	}
	mq := peers.StartMosquitto(t)
	dir := t.TempDir()
	link := filepath.Join(dir, "ttyPBX")
	pty := ptytest.New(t, link)
	// The store on a small file system of its own, which the disk fault
	// fills to its last 40 MB (under store.min_free_mb, 64).
	kinds := []string{"kill9", "broker", "unplug", "resend", "garbage"}
	storeDir := dir
	disk, err := mountSmallDisk(t, 512<<20)
	if err != nil {
		t.Logf("the disk-full fault is skipped: %v", err)
	} else {
		storeDir, kinds = disk, append(kinds, "disk")
	}
	db := filepath.Join(storeDir, "sb.db")
	linkAddr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	cfg := writeConfig(t, dir, fmt.Sprintf(`
site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s}
mqtt: {external: {urls: [%s], client_id: gw1-soak}}
rooms:
  - {extensions: "8001-8009", class: guest}
devices:
  - id: pbx1
    driver: pbx
    profile: avaya-ipoffice
    transport: {serial: {port: %s, baud: 9600, data_bits: 8, parity: none, stop_bits: 1, flow: none}}
  - {id: link1, driver: hotelink, profile: fias, transport: {tcp: {listen: %s}}}
`, db, mq.URL(), link, linkAddr))
	topics := events.Topics{Group: "acme", Property: "h042", Gateway: "gw1"}
	bo := newBackOffice(t, mq.URL(), topics)
	stopGaps := make(chan struct{})
	defer close(stopGaps)
	go bo.replayGaps(stopGaps, 2*time.Second)
	d := startDaemon(t, cfg)
	pbx := newSoakPBX(t, pty)
	go pbx.run()
	bo.waitAny(30 * time.Second)
	// Wake-ups are to the minute, and a lost result turns into an at-risk
	// notice only 3 minutes after the call: they take part in soaks of 5
	// minutes and more (make soak), not in make test's minute.
	var wake *soakWakeups
	if soak >= 5*time.Minute {
		loc, _ := time.LoadLocation("Asia/Shanghai")
		wake = startSoakWakeups(t, linkAddr, bo, loc)
		wake.schedule([]string{"8001", "8002", "8003"}, time.Now().Add(soak-time.Minute), 20*time.Second)
	} else {
		t.Logf("wake-ups take part in soaks of 5 minutes and more (SOAK=%s)", soak)
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 42))
	faults := map[string]int{}
	recovery := map[string][]time.Duration{}
	end := time.Now().Add(soak)
	// Every kind of fault in each round, in a random order.
	var round []string
	for time.Now().Before(end) {
		time.Sleep(time.Duration(2000+r.IntN(4000)) * time.Millisecond)
		if len(round) == 0 {
			round = slices.Clone(kinds)
			r.Shuffle(len(round), func(i, j int) { round[i], round[j] = round[j], round[i] })
		}
		kind := round[0]
		round = round[1:]
		switch kind {
		case "kill9":
			d.kill9()
			time.Sleep(time.Duration(r.IntN(1500)) * time.Millisecond)
			d = startDaemon(t, cfg)
		case "broker":
			mq.Kill()
			time.Sleep(time.Duration(500+r.IntN(2500)) * time.Millisecond)
			mq.Restart()
		case "unplug":
			pbx.unplug()
			time.Sleep(time.Duration(500+r.IntN(2500)) * time.Millisecond)
			pbx.replug()
		case "resend":
			pbx.resend(20)
		case "garbage":
			pbx.garbage(r)
		case "disk":
			fillDisk(t, disk, 50<<20)
			time.Sleep(time.Duration(3000+r.IntN(3000)) * time.Millisecond)
			unfillDisk(t, disk)
		}
		faults[kind]++
		recovery[kind] = append(recovery[kind], bo.nextNew(60*time.Second))
	}
	// Every wake-up ended with exactly one outcome.
	var wakeAnswered, wakeAtRisk int
	if wake != nil {
		var problems []string
		wakeAnswered, wakeAtRisk, problems = wake.outcomes(time.Until(wake.last.Add(4 * time.Minute)))
		for _, p := range problems {
			t.Error(p)
		}
	}

	pbx.stop()
	calls := pbx.calls()
	// What a back office missed while Mosquitto was down comes again: the
	// gateway re-sends what is not acknowledged after 30 s, and a lasting
	// gap is asked for with replay (docs/events.md).
	bo.settle(3*time.Second, 120*time.Second)
	last, err := liveMaxSeq(db)
	if err != nil {
		t.Fatal(err)
	}
	bo.waitAcked(last, 120*time.Second)
	d.stop()
	// Events the gateway made at its stop (a window of line noise it
	// summarises, closed by the shutdown) go out at its next start.
	for range 3 {
		more, err := liveMaxSeq(db)
		if err != nil {
			t.Fatal(err)
		}
		if more == last {
			break
		}
		last = more
		d = startDaemon(t, cfg)
		bo.waitAcked(last, 120*time.Second)
		d.stop()
	}

	// The store came through kill -9 and a full disk whole.
	if _, err := store.Inspect(context.Background(), db); err != nil {
		t.Fatalf("the store after the soak: %v", err)
	}

	// The ledger: every simulated call once, each charged at most once.
	ledger, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	var rows, charged, chargedDistinct, maxSeq int64
	if err := ledger.QueryRow(`SELECT COUNT(*), COUNT(charged_seq), COUNT(DISTINCT charged_seq) FROM calls`).Scan(&rows, &charged, &chargedDistinct); err != nil {
		t.Fatal(err)
	}
	if err := ledger.QueryRow(`SELECT COALESCE(MAX(seq),0) FROM outbox`).Scan(&maxSeq); err != nil {
		t.Fatal(err)
	}
	if rows != int64(calls) {
		t.Errorf("the ledger holds %d calls; the PBX printed %d (every call once: none lost, none twice)", rows, calls)
		twice, _ := ledger.Query(`SELECT c.extension, c.dialed, c.duration_s, c.start, j.raw FROM calls c JOIN journal j ON j.id = c.journal_id
			WHERE (c.extension, c.dialed, c.duration_s) IN (SELECT extension, dialed, duration_s FROM calls GROUP BY 1, 2, 3 HAVING COUNT(*) > 1)
			ORDER BY 1, 2, 3 LIMIT 12`)
		for twice != nil && twice.Next() {
			var ext, dialed string
			var dur, start int64
			var raw []byte
			_ = twice.Scan(&ext, &dialed, &dur, &start, &raw)
			t.Logf("  twice? %s %s %ds %s %q", ext, dialed, dur, time.Unix(0, start).UTC().Format(time.RFC3339), raw)
		}
	}
	if charged != chargedDistinct {
		t.Errorf("%d charges for %d charge events: a call was charged twice", charged, chargedDistinct)
	}
	if got := int64(bo.count("hotel.pbx.call.recorded")); got != rows {
		t.Errorf("the back office has %d hotel.pbx.call.recorded events for %d calls", got, rows)
	}
	if last != maxSeq {
		var late []string
		if rows, err := ledger.Query(`SELECT seq, type, subject FROM outbox WHERE seq > ? ORDER BY seq`, last); err == nil {
			for rows.Next() {
				var seq int64
				var typ, subject string
				_ = rows.Scan(&seq, &typ, &subject)
				late = append(late, fmt.Sprintf("%d %s %s", seq, typ, subject))
			}
			rows.Close()
		}
		t.Errorf("the back office has every seq up to %d; the outbox's last is %d: %v", last, maxSeq, late)
	}

	// The journal is explained, day by day.
	dates, err := callDates(ledger)
	if err != nil {
		t.Fatal(err)
	}
	for _, date := range dates {
		out, err := exec.Command(bin, "report", "reconcile", "--date", date, "--config", cfg).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "zero unexplained") {
			t.Errorf("report reconcile --date %s: %v\n%s", date, err, out)
		}
	}

	if disk != "" && faults["disk"] > 0 {
		if raised := bo.alerts("disk-low", "raised"); raised != faults["disk"] || bo.alerts("disk-low", "cleared") != raised {
			t.Errorf("disk-low raised %d times and cleared %d times for %d disk faults", raised, bo.alerts("disk-low", "cleared"), faults["disk"])
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "fault soak %s: %d calls printed (%d resent, %d garbage bursts), %d events, each once at the back office (%d duplicates dropped)\n",
		soak, calls, pbx.resent, pbx.bursts, last, bo.duplicates())
	if wake != nil {
		fmt.Fprintf(&b, "  wake-ups: %d set, %d answered, %d at risk (the result lost with the link: a person sent)\n", len(wake.set), wakeAnswered, wakeAtRisk)
	}
	done := slices.Sorted(func(yield func(string) bool) {
		for k := range faults {
			if !yield(k) {
				return
			}
		}
	})
	var all []time.Duration
	for _, k := range done {
		p50, p99 := percentiles(recovery[k])
		all = append(all, recovery[k]...)
		fmt.Fprintf(&b, "  %-8s %3d  recovery p50 %s, p99 %s\n", k, faults[k], p50, p99)
	}
	p50, p99 := percentiles(all)
	fmt.Fprintf(&b, "  all      %3d  recovery p50 %s, p99 %s (from the fault's end to the next new event at the back office)", len(all), p50, p99)
	t.Log(b.String())
}

func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2].Round(time.Millisecond), s[(len(s)*99)/100].Round(time.Millisecond)
}

func callDates(db *sql.DB) ([]string, error) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return nil, err
	}
	var lo, hi int64
	if err := db.QueryRow(`SELECT COALESCE(MIN(start),0), COALESCE(MAX(start),0) FROM calls`).Scan(&lo, &hi); err != nil {
		return nil, err
	}
	var out []string
	for d := time.Unix(0, lo).In(loc); !d.After(time.Unix(0, hi).In(loc).Add(24 * time.Hour)); d = d.Add(24 * time.Hour) {
		if day := d.Format("2006-01-02"); !slices.Contains(out, day) {
			out = append(out, day)
		}
	}
	return out, nil
}

// soakPBX is the PBX on the pty: 5 calls a second, held while the adapter
// is out (a PBX buffers its call records while the printer port is down)
// and printed when it is back.
type soakPBX struct {
	t      *testing.T
	pty    *ptytest.Pair
	sim    *pbxsim.Simulator
	mu     sync.Mutex
	out    bool     // the adapter is pulled out
	queue  [][]byte // records held while out
	sent   [][]byte // the last records printed, for resend
	n      int      // calls printed (first time)
	resent int
	bursts int
	done   chan struct{}
	exited chan struct{}
}

func newSoakPBX(t *testing.T, pty *ptytest.Pair) *soakPBX {
	t.Helper()
	p, err := profile.Lookup("avaya-ipoffice")
	if err != nil {
		t.Fatal(err)
	}
	sim, err := pbxsim.New(pbxsim.Options{Profile: p, Seed: uint64(time.Now().UnixNano()), Rate: 5})
	if err != nil {
		t.Fatal(err)
	}
	return &soakPBX{t: t, pty: pty, sim: sim, done: make(chan struct{}), exited: make(chan struct{})}
}

func (p *soakPBX) run() {
	defer close(p.exited)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.done:
			p.flush()
			return
		case <-tick.C:
		}
		c, rec, err := p.sim.Next()
		if err != nil {
			p.t.Error(err)
			return
		}
		if !c.Kind.IsCall() {
			continue
		}
		p.mu.Lock()
		p.n++
		p.queue = append(p.queue, slices.Clone(rec))
		p.mu.Unlock()
		p.flush()
	}
}

// flush prints what is held, unless the adapter is out.
func (p *soakPBX) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for !p.out && len(p.queue) > 0 {
		if _, err := p.pty.Write(p.queue[0]); err != nil {
			return
		}
		p.sent = append(p.sent, p.queue[0])
		if len(p.sent) > 100 {
			p.sent = p.sent[1:]
		}
		p.queue = p.queue[1:]
	}
}

func (p *soakPBX) unplug() {
	p.mu.Lock()
	p.out = true
	p.mu.Unlock()
	p.pty.Unplug()
}

// replug plugs the adapter back; what the PBX printed just before it was
// pulled may have been lost in the pty, so it prints its last records
// again (the gateway's dedupe drops what it had), then what it held.
func (p *soakPBX) replug() {
	p.pty.Replug()
	p.mu.Lock()
	p.out = false
	p.mu.Unlock()
	p.resend(10)
}

// resend prints the last n records again, as a PBX told to replay its
// buffer does.
func (p *soakPBX) resend(n int) {
	p.mu.Lock()
	again := slices.Clone(p.sent[max(0, len(p.sent)-n):])
	p.queue = append(again, p.queue...)
	p.resent += len(again)
	p.mu.Unlock()
	p.flush()
}

// garbage prints a burst of line noise between two records.
func (p *soakPBX) garbage(r *rand.Rand) {
	b := make([]byte, 20+r.IntN(200))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.out {
		_, _ = p.pty.Write(append(b, '\r', '\n'))
		p.bursts++
	}
}

func (p *soakPBX) stop() {
	close(p.done)
	<-p.exited
}

func (p *soakPBX) calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// waitAny waits for the first event.
func (b *backOffice) waitAny(within time.Duration) {
	b.t.Helper()
	if b.nextNew(within) < 0 {
		b.t.Fatalf("no event within %s", within)
	}
}

// nextNew waits for an event the back office has not seen yet and
// returns how long that took (-1: none within).
func (b *backOffice) nextNew(within time.Duration) time.Duration {
	start := time.Now()
	b.mu.Lock()
	n := len(b.envs)
	b.mu.Unlock()
	for time.Since(start) < within {
		b.mu.Lock()
		got := len(b.envs)
		b.mu.Unlock()
		if got > n {
			return time.Since(start)
		}
		select {
		case <-b.kick:
		case <-time.After(20 * time.Millisecond):
		}
	}
	return -1
}

// settle waits until no new event came for quiet and returns the highest
// contiguous seq.
func (b *backOffice) settle(quiet, within time.Duration) int64 {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if b.nextNew(quiet) < 0 {
			b.mu.Lock()
			defer b.mu.Unlock()
			return b.acked
		}
	}
	b.t.Fatalf("events still arriving after %s", within)
	return 0
}

// mountSmallDisk mounts a tmpfs of size bytes for the store (root only: the
// test machine's tests run as root; elsewhere the disk fault is skipped).
func mountSmallDisk(t *testing.T, size int) (string, error) {
	if os.Geteuid() != 0 {
		return "", fmt.Errorf("not root: no file system of its own to fill")
	}
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir, nil
}

// fillDisk leaves only leave bytes free on dir's file system.
func fillDisk(t *testing.T, dir string, leave uint64) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	avail := st.Bavail * uint64(st.Bsize)
	if avail <= leave {
		return
	}
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for n := avail - leave; n > 0; {
		w := min(n, uint64(len(chunk)))
		if _, err := f.Write(chunk[:w]); err != nil {
			t.Fatalf("filling the disk: %v", err)
		}
		n -= w
	}
}

func unfillDisk(t *testing.T, dir string) {
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
}

// alerts counts the hotel.edge.device.alert events of one alert and state.
func (b *backOffice) alerts(alert, state string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, e := range b.envs {
		if e.Type != "hotel.edge.device.alert" {
			continue
		}
		var a events.Alert
		if json.Unmarshal(e.Data, &a) == nil && a.Alert == alert && a.State == state {
			n++
		}
	}
	return n
}

// liveMaxSeq is the outbox's last seq, read beside the running daemon.
func liveMaxSeq(path string) (int64, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRow(`SELECT COALESCE(MAX(seq),0) FROM outbox`).Scan(&n)
	return n, err
}
