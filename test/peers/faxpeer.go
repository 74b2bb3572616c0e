package peers

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// FaxPeerOptions configures a fax line (test/faxpeer): a spandsp T.31
// Class 1 modem on a pty whose audio goes, in-process, to a spandsp T.30
// terminal playing the remote fax machine. Zero values give faxpeer's
// defaults.
type FaxPeerOptions struct {
	// Mode is "receive" (the host dials with ATD, the far end answers and
	// receives into TIFF) or "send" (the far end calls: RING, the host
	// answers with ATA or S0, the far end sends TIFF).
	Mode string
	// TIFF is the page file: the input in send mode (required), the output
	// in receive mode (default: rx.tif in the peer's temporary folder).
	TIFF string
	// ECM makes the far end offer error correction mode.
	ECM bool
	// MaxRate limits the far end's modems: 4800 (V.27ter only), 7200 or
	// 9600 (+V.29), 12000 or 14400 (+V.17, the default).
	MaxRate int
	// CutAfter drops the line that long after the call is up; the host
	// sees NO CARRIER.
	CutAfter time.Duration
	// Noise adds white noise at NoiseDB dBm0 (e.g. -30) both ways.
	Noise   bool
	NoiseDB float64
	// Timeout ends the whole run (default 180 s).
	Timeout time.Duration
	// Ident is the far end's TSI/CSI.
	Ident string
	// RingInterval is the RING cadence in send mode (default 6 s);
	// MaxRings how many before the caller gives up (default 10).
	RingInterval time.Duration
	MaxRings     int
	// AnswerDelay: in receive mode the far end answers this long after ATD
	// (default 1 s).
	AnswerDelay time.Duration
	// Linger: after the far end's phase E, how long to wait for the host's
	// ATH before reporting NO CARRIER (default 3 s).
	Linger time.Duration
	// Flow is "xonxoff" (default: XOFF/XON to the host when the modem's
	// transmit buffer fills) or "none" (only stop reading the pty).
	Flow string
	// Args are appended to faxpeer's command line as they are.
	Args []string
}

// FaxResult is faxpeer's RESULT line.
type FaxResult struct {
	Status     int    // T.30 completion code (0 is OK); -1 if phase E never came
	StatusText string // t30_completion_code_to_str
	Pages      int    // pages the far end received (receive) or sent (send)
	BitRate    int
	ECM        bool
	Remote     string // the host's TSI/CSI as the far end saw it
	PagesRx    int
	PagesTx    int
	Mode       string
	End        string // done, host-hangup, far-hangup, cut, timeout, no-answer, signal, none
	Duration   float64
	LateTicks  int     // 20 ms ticks that started more than 10 ms late
	MaxLateMs  float64 // the worst lateness
	Line       string  // the line as printed
}

// OK is true when the far end finished phase E with T30_ERR_OK.
func (r FaxResult) OK() bool { return r.Status == 0 && r.StatusText == "OK" }

var resultRE = regexp.MustCompile(`^RESULT status=(-?\d+) \((.*?)\) pages=(\d+) bitrate=(\d+) ecm=([01]) remote="((?:[^"\\]|\\.)*)" pages_rx=(\d+) pages_tx=(\d+) mode=(\w+) end=([\w-]+) duration=([\d.]+) late_ticks=(\d+) max_late_ms=([\d.]+)$`)

// ParseFaxResult parses a RESULT line.
func ParseFaxResult(line string) (FaxResult, error) {
	line = strings.TrimSpace(line)
	m := resultRE.FindStringSubmatch(line)
	if m == nil {
		return FaxResult{}, fmt.Errorf("not a faxpeer RESULT line: %q", line)
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	atof := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
	remote := strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(m[6])
	return FaxResult{
		Status: atoi(m[1]), StatusText: m[2], Pages: atoi(m[3]), BitRate: atoi(m[4]), ECM: m[5] == "1",
		Remote: remote, PagesRx: atoi(m[7]), PagesTx: atoi(m[8]), Mode: m[9], End: m[10],
		Duration: atof(m[11]), LateTicks: atoi(m[12]), MaxLateMs: atof(m[13]), Line: line,
	}, nil
}

var (
	faxPeerOnce sync.Once
	faxPeerBin  string
	faxPeerErr  error
)

// faxPeerDir is test/faxpeer, found from this source file so that any test
// package can use the harness.
func faxPeerDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "faxpeer")
}

// FaxPeerToolchain says what is missing to build faxpeer (nil: nothing).
func FaxPeerToolchain() error {
	for _, c := range []string{"make", "cc", "pkg-config"} {
		if _, err := exec.LookPath(c); err != nil {
			return fmt.Errorf("%s not found (run test/install-deps.sh)", c)
		}
	}
	if err := exec.Command("pkg-config", "--exists", "spandsp").Run(); err != nil {
		return errors.New("libspandsp-dev not installed (pkg-config spandsp; run test/install-deps.sh)")
	}
	for _, h := range []string{"/usr/include/tiffio.h", "/usr/include/x86_64-linux-gnu/tiffio.h", "/usr/include/aarch64-linux-gnu/tiffio.h"} {
		if _, err := os.Stat(h); err == nil {
			return nil
		}
	}
	if exec.Command("pkg-config", "--exists", "libtiff-4").Run() == nil {
		return nil
	}
	return errors.New("libtiff-dev not installed (run test/install-deps.sh)")
}

// BuildFaxPeer builds test/faxpeer/faxpeer once per test binary (make -C
// test/faxpeer) and returns its path.
func BuildFaxPeer(t testing.TB) string {
	t.Helper()
	faxPeerOnce.Do(func() {
		dir := faxPeerDir()
		if err := FaxPeerToolchain(); err != nil {
			faxPeerErr = err
			return
		}
		cmd := exec.Command("make", "-C", dir, "faxpeer")
		out, err := cmd.CombinedOutput()
		if err != nil {
			faxPeerErr = fmt.Errorf("make -C %s: %v\n%s", dir, err, out)
			return
		}
		faxPeerBin = filepath.Join(dir, "faxpeer")
	})
	if faxPeerErr != nil {
		t.Fatalf("cannot build faxpeer: %v", faxPeerErr)
	}
	return faxPeerBin
}

// FaxPeer is one running fax line.
type FaxPeer struct {
	t       testing.TB
	cmd     *exec.Cmd
	dir     string
	link    string
	tiff    string
	logPath string
	errPath string
	out     *bytes.Buffer
	outMu   *sync.Mutex
	done    chan struct{}
	waitErr error
	mu      sync.Mutex
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

// args is faxpeer's command line for opts, without the binary, the pty
// link and the log.
func (opts FaxPeerOptions) args() []string {
	a := []string{"--mode", opts.Mode, "--tiff", opts.TIFF}
	if opts.ECM {
		a = append(a, "--ecm")
	} else {
		a = append(a, "--no-ecm")
	}
	if opts.MaxRate != 0 {
		a = append(a, "--max-rate", strconv.Itoa(opts.MaxRate))
	}
	if opts.CutAfter > 0 {
		a = append(a, "--cut-after", secs(opts.CutAfter))
	}
	if opts.Noise {
		a = append(a, "--noise", strconv.FormatFloat(opts.NoiseDB, 'f', -1, 64))
	}
	if opts.Timeout > 0 {
		a = append(a, "--timeout", secs(opts.Timeout))
	}
	if opts.Ident != "" {
		a = append(a, "--ident", opts.Ident)
	}
	if opts.RingInterval > 0 {
		a = append(a, "--ring-interval", secs(opts.RingInterval))
	}
	if opts.MaxRings > 0 {
		a = append(a, "--max-rings", strconv.Itoa(opts.MaxRings))
	}
	if opts.AnswerDelay > 0 {
		a = append(a, "--answer-delay", secs(opts.AnswerDelay))
	}
	if opts.Linger > 0 {
		a = append(a, "--linger", secs(opts.Linger))
	}
	if opts.Flow != "" {
		a = append(a, "--flow", opts.Flow)
	}
	return append(a, opts.Args...)
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// StartFaxPeer builds faxpeer if needed and starts it with its pty link in
// a temporary folder; it returns once the link exists. The process is
// stopped when the test ends.
func StartFaxPeer(t testing.TB, opts FaxPeerOptions) *FaxPeer {
	t.Helper()
	bin := BuildFaxPeer(t)
	if opts.Mode != "receive" && opts.Mode != "send" {
		t.Fatalf("StartFaxPeer: Mode must be \"receive\" or \"send\", not %q", opts.Mode)
	}
	dir := t.TempDir()
	if opts.TIFF == "" {
		if opts.Mode == "send" {
			t.Fatalf("StartFaxPeer: send mode needs a TIFF to send")
		}
		opts.TIFF = filepath.Join(dir, "rx.tif")
	}
	p := &FaxPeer{t: t, dir: dir, link: filepath.Join(dir, "modem"), tiff: opts.TIFF,
		logPath: filepath.Join(dir, "faxpeer.log"), errPath: filepath.Join(dir, "faxpeer.stderr"),
		out: &bytes.Buffer{}, outMu: &sync.Mutex{}, done: make(chan struct{})}
	args := append(opts.args(), "--pty-link", p.link, "--log", p.logPath)
	ef, err := os.Create(p.errPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = lockedBuffer{p.outMu, p.out}
	cmd.Stderr = ef
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		ef.Close()
		t.Fatalf("start faxpeer: %v", err)
	}
	p.cmd = cmd
	go func() {
		p.waitErr = cmd.Wait()
		ef.Close()
		// A killed faxpeer leaves its link pointing at /dev/pts/N, and the
		// kernel hands that number to the next pty opened: another test's
		// line. A host still reopening the link would talk to that line
		// (seen: a retrying gateway initialised and hung up a parallel
		// test's call). A modem that loses power loses its device node too.
		os.Remove(p.link)
		close(p.done)
	}()
	t.Cleanup(p.Kill)
	// a backstop beyond faxpeer's own --timeout
	limit := opts.Timeout
	if limit <= 0 {
		limit = 180 * time.Second
	}
	go func() {
		select {
		case <-p.done:
		case <-time.After(limit + 30*time.Second):
			_ = cmd.Process.Kill()
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("faxpeer %s exited at start (%v); its output:\n%s", strings.Join(args, " "), p.waitErr, p.Log())
		default:
		}
		if _, err := os.Lstat(p.link); err == nil {
			return p
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("faxpeer did not create its pty link %s within 10 s; its output:\n%s", p.link, p.Log())
	return nil
}

// Link is the pty path the host opens (a symlink to /dev/pts/N).
func (p *FaxPeer) Link() string { return p.link }

// TIFF is the file the far end sends or receives into.
func (p *FaxPeer) TIFF() string { return p.tiff }

// Dir is the peer's temporary folder.
func (p *FaxPeer) Dir() string { return p.dir }

// Done is closed when faxpeer has exited.
func (p *FaxPeer) Done() <-chan struct{} { return p.done }

// Wait waits for faxpeer to exit and parses its RESULT line. A failed fax
// is not an error here (see FaxResult.OK); a missing or garbled RESULT is.
func (p *FaxPeer) Wait() (FaxResult, error) {
	<-p.done
	p.outMu.Lock()
	out := p.out.String()
	p.outMu.Unlock()
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "RESULT ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		return FaxResult{}, fmt.Errorf("faxpeer printed %d RESULT lines (exit: %v); stdout:\n%s", len(lines), p.waitErr, out)
	}
	return ParseFaxResult(lines[0])
}

// WaitTimeout is Wait with a limit; on timeout faxpeer is stopped.
func (p *FaxPeer) WaitTimeout(d time.Duration) (FaxResult, error) {
	select {
	case <-p.done:
	case <-time.After(d):
		p.Kill()
		r, err := p.Wait()
		if err == nil {
			err = fmt.Errorf("faxpeer still running after %v", d)
		}
		return r, err
	}
	return p.Wait()
}

// Log is faxpeer's stderr and its log (spandsp's T.31/T.30 flow messages
// and faxpeer's own events, with seconds since start).
func (p *FaxPeer) Log() string {
	var b strings.Builder
	if e, _ := os.ReadFile(p.errPath); len(e) > 0 {
		b.WriteString("--- faxpeer stderr\n")
		b.Write(e)
	}
	if l, _ := os.ReadFile(p.logPath); len(l) > 0 {
		b.WriteString("--- faxpeer log\n")
		b.Write(l)
	}
	return b.String()
}

// Signal sends sig to faxpeer, e.g. SIGKILL for a modem that loses its
// power in the middle of a call: no hang-up, no RESULT line, its pty
// vanishes under the host (reads fail) and, once the process is reaped,
// its link is gone. After SIGKILL, Done is closed once it is reaped.
func (p *FaxPeer) Signal(sig os.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		return os.ErrProcessDone
	default:
	}
	return p.cmd.Process.Signal(sig)
}

// Kill stops faxpeer: SIGTERM (it then prints its RESULT and removes its
// link), SIGKILL if it is still there after 3 s.
func (p *FaxPeer) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		return
	default:
	}
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}
