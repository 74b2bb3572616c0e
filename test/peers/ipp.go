package peers

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// IPPOptions shape an ippeveprinter instance.
type IPPOptions struct {
	// Formats is the -f list (document-format-supported); default
	// application/pdf,image/jpeg.
	Formats []string
	// TLS enables ipps (-K): ippeveprinter makes a self-signed certificate
	// for "localhost" in its key folder (CertFile).
	TLS bool
	// PageDelay is how long the simulated engine takes per impression
	// (default 150 ms).
	PageDelay time.Duration
}

// IPPPrinter is a real CUPS ippeveprinter (Debian cups-ipp-utils) run on its
// own loopback port with a print command (-c) that simulates a print engine:
// it counts the PDF's pages with pdfinfo, multiplies by copies and reports
// one impression every PageDelay on stderr ("ATTR:
// job-impressions-completed=N"), stops before the next impression while the
// MediaEmpty flag is set ("STATE: +media-empty"), and stops at the next
// impression when the job is being cancelled (ippeveprinter 2.4 does not
// signal the command on Cancel-Job: it only sets processing-to-stop-point,
// which the script checks with ipptool). A cancelled engine exits 0: on a
// non-zero exit ippeveprinter's process_job first sets job-state aborted and
// only afterwards turns it into canceled (job->cancel), so a poll landing in
// between would read a transient "aborted" that no real printer reports.
//
// ippeveprinter refuses to start without a D-Bus system bus ("Unable to
// initialize DNS-SD."); avahi-daemon itself is optional when the printer
// runs with "-r off" (no advertising), which is how it runs here.
// EnsureDNSSD starts both when they are missing.
type IPPPrinter struct {
	t      testing.TB
	Port   int
	Dir    string // spool, control files, the command and its log
	KeyDir string // -K folder when TLS is on
	args   []string
	bin    string
	delay  time.Duration
	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	log    *os.File
}

const ippEngineScript = `#!/bin/sh
# Print command for ippeveprinter -c: a print engine simulated for tests.
ctl=${SB_CTL:?SB_CTL not set}
doc=$1
delay=${SB_PAGE_DELAY:-0.15}
case "$CONTENT_TYPE" in
application/pdf) pages=$(pdfinfo "$doc" 2>/dev/null | awk '/^Pages:/{print $2}') ;;
*) pages=1 ;;
esac
[ -n "$pages" ] || pages=1
copies=${IPP_COPIES:-1}
total=$((pages * copies))
echo "job=$IPP_JOB_ID format=$CONTENT_TYPE pages=$pages copies=$copies sides=${IPP_SIDES:-} color=${IPP_PRINT_COLOR_MODE:-} media=${IPP_MEDIA:-} user=${IPP_JOB_ORIGINATING_USER_NAME:-} name=${IPP_JOB_NAME:-}" >> "$ctl/jobs.log"
cp "$doc" "$ctl/job-$IPP_JOB_ID.doc"
canceling() {
  ipptool -q -d job="$IPP_JOB_ID" "$IPP_JOB_PRINTER_URI" "$ctl/canceling.test" >/dev/null 2>&1
}
echo "ATTR: job-impressions=$total" >&2
n=0
while [ "$n" -lt "$total" ]; do
  if [ -e "$ctl/media-empty" ]; then
    echo "STATE: +media-empty" >&2
    while [ -e "$ctl/media-empty" ]; do
      sleep 0.1
      if canceling; then echo "INFO: cancelled while out of paper" >&2; exit 0; fi
    done
    echo "STATE: -media-empty" >&2
  fi
  sleep "$delay"
  if canceling; then echo "INFO: cancelled after $n impressions" >&2; exit 0; fi
  n=$((n + 1))
  echo "ATTR: job-impressions-completed=$n" >&2
done
exit 0
`

// ipptool test: passes (exit 0) only while the job is being cancelled.
const ippCancelingTest = `{
OPERATION Get-Job-Attributes
GROUP operation-attributes-tag
ATTR charset attributes-charset utf-8
ATTR naturalLanguage attributes-natural-language en
ATTR uri printer-uri $uri
ATTR integer job-id $job
ATTR name requesting-user-name engine
EXPECT job-state-reasons WITH-VALUE "/^processing-to-stop-point|job-canceled-by-user$/"
}
`

// EnsureDNSSD starts the D-Bus system bus and avahi-daemon when they are
// not running (as root; no systemd in the test container). ippeveprinter
// needs the bus; avahi-daemon is started best-effort.
func EnsureDNSSD(t testing.TB) {
	t.Helper()
	dnssdOnce.Do(func() { dnssdErr = ensureDNSSD() })
	if dnssdErr != nil {
		t.Fatalf("ippeveprinter needs a D-Bus system bus: %v", dnssdErr)
	}
}

var (
	dnssdOnce sync.Once
	dnssdErr  error
)

func ensureDNSSD() error {
	const sock = "/run/dbus/system_bus_socket"
	if !socketAlive(sock) {
		bin, err := exec.LookPath("dbus-daemon")
		if err != nil {
			return fmt.Errorf("dbus-daemon not installed (Debian package dbus): %w", err)
		}
		_ = os.MkdirAll("/run/dbus", 0o755)
		_ = os.Remove("/run/dbus/pid") // stale after a crash: dbus-daemon refuses to start
		_ = os.Remove(sock)
		if out, err := exec.Command(bin, "--system", "--fork").CombinedOutput(); err != nil {
			return fmt.Errorf("dbus-daemon --system --fork: %v: %s", err, out)
		}
		for i := 0; i < 50 && !socketAlive(sock); i++ {
			time.Sleep(20 * time.Millisecond)
		}
		if !socketAlive(sock) {
			return fmt.Errorf("dbus-daemon started but %s does not answer", sock)
		}
	}
	if bin, err := lookSbin("avahi-daemon"); err == nil {
		if exec.Command(bin, "--check").Run() != nil {
			_ = exec.Command(bin, "--no-drop-root", "--no-rlimits", "-D").Run()
		}
	}
	return nil
}

func socketAlive(path string) bool {
	c, err := net.DialTimeout("unix", path, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func lookSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// StartIPPEvePrinter starts a printer; it is killed when the test ends.
func StartIPPEvePrinter(t testing.TB, o IPPOptions) *IPPPrinter {
	t.Helper()
	bin, err := lookSbin("ippeveprinter")
	if err != nil {
		t.Fatalf("ippeveprinter not installed (Debian package cups-ipp-utils; run test/install-deps.sh): %v", err)
	}
	for _, tool := range []string{"ipptool", "pdfinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (run test/install-deps.sh): %v", tool, err)
		}
	}
	EnsureDNSSD(t)
	dir := t.TempDir()
	p := &IPPPrinter{t: t, Dir: dir, Port: FreePort(t)}
	script := filepath.Join(dir, "engine.sh")
	if err := os.WriteFile(script, []byte(ippEngineScript), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "canceling.test"), []byte(ippCancelingTest), 0o644); err != nil {
		t.Fatal(err)
	}
	formats := o.Formats
	if len(formats) == 0 {
		formats = []string{"application/pdf", "image/jpeg"}
	}
	spool := filepath.Join(dir, "spool")
	_ = os.Mkdir(spool, 0o755)
	// -n localhost: ippeveprinter binds IPv4 and IPv6 listeners for that
	// name; a bare IP such as 127.0.0.1 fails ("Unable to create IPv6
	// listener"). -s 20,10: colour capable. -2: duplex.
	p.args = []string{"-p", strconv.Itoa(p.Port), "-n", "localhost", "-r", "off", "-2", "-s", "20,10",
		"-c", script, "-d", spool, "-f", strings.Join(formats, ","), "-v"}
	if o.TLS {
		p.KeyDir = filepath.Join(dir, "keys")
		_ = os.Mkdir(p.KeyDir, 0o700)
		p.args = append(p.args, "-K", p.KeyDir)
	}
	p.args = append(p.args, "switchboard-test")
	delay := o.PageDelay
	if delay == 0 {
		delay = 150 * time.Millisecond
	}
	lf, err := os.Create(filepath.Join(dir, "ippeveprinter.log"))
	if err != nil {
		t.Fatal(err)
	}
	p.log = lf
	p.bin, p.delay = bin, delay
	p.start()
	t.Cleanup(func() {
		p.Kill()
		lf.Close()
	})
	return p
}

func (p *IPPPrinter) start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = append(os.Environ(),
		"SB_CTL="+p.Dir,
		"SB_PAGE_DELAY="+strconv.FormatFloat(p.delay.Seconds(), 'f', 3, 64))
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start ippeveprinter: %v", err)
	}
	p.cmd = cmd
	done := make(chan struct{})
	p.done = done
	go func() { cmd.Wait(); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			p.t.Fatalf("ippeveprinter exited at start; its log:\n%s", p.Log())
		default:
		}
		c, err := net.DialTimeout("tcp", p.Addr(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("ippeveprinter did not listen on %s within 10 s; its log:\n%s", p.Addr(), p.Log())
}

// Addr is host:port (127.0.0.1); URI is the printer's ipp:// URI and
// IPPSURI its ipps:// URI (host localhost: the name in its certificate).
func (p *IPPPrinter) Addr() string    { return fmt.Sprintf("127.0.0.1:%d", p.Port) }
func (p *IPPPrinter) URI() string     { return fmt.Sprintf("ipp://127.0.0.1:%d/ipp/print", p.Port) }
func (p *IPPPrinter) IPPSURI() string { return fmt.Sprintf("ipps://localhost:%d/ipp/print", p.Port) }

// CertFile is the self-signed certificate ippeveprinter made for ipps. It
// exists once a TLS connection has been made.
func (p *IPPPrinter) CertFile() string { return filepath.Join(p.KeyDir, "localhost.crt") }

// Kill stops the printer with SIGKILL (a crash or a power cut), together
// with a running print command.
func (p *IPPPrinter) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
	p.cmd = nil
}

// Restart starts the printer again on the same port (its jobs are gone).
func (p *IPPPrinter) Restart() {
	p.t.Helper()
	p.start()
}

// SetMediaEmpty sets or clears the engine's out-of-paper condition: while
// it is set the engine stops before its next impression and reports
// media-empty.
func (p *IPPPrinter) SetMediaEmpty(empty bool) {
	p.t.Helper()
	f := filepath.Join(p.Dir, "media-empty")
	if empty {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			p.t.Fatal(err)
		}
		return
	}
	_ = os.Remove(f)
}

// SetMedia loads tray 1 ("main") through the printer's web form: size is
// a PWG media name, level the sheets in the tray (0 = empty).
func (p *IPPPrinter) SetMedia(size string, level int) {
	p.t.Helper()
	q := url.Values{"size1": {size}, "type1": {"stationery"}, "level1": {strconv.Itoa(level)},
		"size2": {""}, "type2": {""}, "level2": {"-2"}}
	p.get("/media?" + q.Encode())
}

// SetSupplies sets the supply levels (percent) through the web form, in
// the printer's order (waste, black, cyan, magenta, yellow).
func (p *IPPPrinter) SetSupplies(levels ...int) {
	p.t.Helper()
	q := url.Values{}
	for i, l := range levels {
		q.Set("supply"+strconv.Itoa(i), strconv.Itoa(l))
	}
	p.get("/supplies?" + q.Encode())
}

func (p *IPPPrinter) get(path string) {
	p.t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", p.Port, path))
	if err != nil {
		p.t.Fatalf("ippeveprinter web form %s: %v", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		p.t.Fatalf("ippeveprinter web form %s: HTTP %d", path, resp.StatusCode)
	}
}

// Jobs is what the engine printed, one line a job (job=, format=, pages=,
// copies=, sides=, color=, media=).
func (p *IPPPrinter) Jobs() string {
	b, _ := os.ReadFile(filepath.Join(p.Dir, "jobs.log"))
	return string(b)
}

// Document is the document the engine received for a job.
func (p *IPPPrinter) Document(jobID int) []byte {
	b, _ := os.ReadFile(filepath.Join(p.Dir, fmt.Sprintf("job-%d.doc", jobID)))
	return b
}

// Log is what ippeveprinter printed.
func (p *IPPPrinter) Log() string {
	b, _ := os.ReadFile(p.log.Name())
	return string(b)
}
