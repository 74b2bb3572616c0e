// Package peers starts the real programs the tests talk to (Mosquitto, and
// later ippeveprinter, snmpd and the spandsp fax line) on loopback ports of
// their own, and stops them when the test ends.
package peers

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// FreePort returns a loopback TCP port that was free a moment ago and
// that no other test of this process was given.
//
// Not one the kernel picks (listening on port 0): those come from the
// ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by default),
// which every outgoing connection also draws its local port from, so in
// the moment between this call and the peer's own listen a client socket
// of a parallel test took the port (`bind: address already in use`, once
// in internal/gateway's 24 parallel tests). The ports here lie below that
// range, start at a random place, and are checked free by listening.
func FreePort(t testing.TB) int {
	t.Helper()
	ports.mu.Lock()
	defer ports.mu.Unlock()
	if ports.given == nil {
		ports.given = map[int]bool{}
		ports.next = lowPort + rand.IntN(highPort-lowPort)
	}
	for range highPort - lowPort {
		p := ports.next
		ports.next++
		if ports.next >= highPort {
			ports.next = lowPort
		}
		if ports.given[p] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		ports.given[p] = true
		return p
	}
	t.Fatalf("free port: none free in %d-%d", lowPort, highPort)
	return 0
}

// The ports FreePort gives: below the kernel's ephemeral range.
const lowPort, highPort = 20000, 32768

// ports is what FreePort gave in this test process: shared by every test
// of the process, as the ports themselves are.
var ports struct {
	mu    sync.Mutex
	given map[int]bool
	next  int
}

// Mosquitto is a real Mosquitto broker (Debian package mosquitto) run as a
// child process on its own loopback port.
type Mosquitto struct {
	t      testing.TB
	Port   int
	conf   string
	mu     sync.Mutex
	cmd    *exec.Cmd
	log    *os.File
	scheme string // tcp, or ssl with TLS
}

// StartMosquitto starts a broker; it is killed when the test ends.
func StartMosquitto(t testing.TB) *Mosquitto { return startMosquitto(t, nil, "", "") }

// StartMosquittoTLS starts a broker that speaks MQTT over TLS only, with the
// CA's server certificate, and requires passwordFile's users (when not "").
func StartMosquittoTLS(t testing.TB, ca TestCA, passwordFile string) *Mosquitto {
	return startMosquitto(t, &ca, passwordFile, "")
}

// StartMosquittoACL starts a plain-TCP broker that authenticates
// passwordFile's users and lets anonymous clients in, applies aclFile
// (Mosquitto's ACL syntax) and gives each client its user name as client
// id (use_username_as_clientid). Both files must be readable by the
// mosquitto user.
func StartMosquittoACL(t testing.TB, passwordFile, aclFile string) *Mosquitto {
	return startMosquitto(t, nil, "", fmt.Sprintf("allow_anonymous true\npassword_file %s\nacl_file %s\nuse_username_as_clientid true\n", passwordFile, aclFile))
}

// StartMosquittoConf starts a plain-TCP broker whose configuration ends
// with conf (after the listener line): e.g. a bridge's connection section.
// conf must say allow_anonymous (or name a password file) itself.
func StartMosquittoConf(t testing.TB, conf string) *Mosquitto {
	return startMosquitto(t, nil, "", conf)
}

func startMosquitto(t testing.TB, ca *TestCA, passwordFile, extra string) *Mosquitto {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if _, e := os.Stat("/usr/sbin/mosquitto"); e == nil {
			bin = "/usr/sbin/mosquitto"
		} else {
			t.Fatalf("mosquitto not installed (Debian package mosquitto; `make test` installs it): %v", err)
		}
	}
	dir := t.TempDir()
	// Mosquitto started as root drops privileges to user mosquitto: the
	// folder and its files must be readable by that user.
	_ = os.Chmod(dir, 0o755)
	m := &Mosquitto{t: t, Port: FreePort(t), conf: filepath.Join(dir, "mosquitto.conf")}
	conf := fmt.Sprintf("listener %d 127.0.0.1\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\nmax_queued_messages 0\nmax_inflight_messages 0\n", m.Port)
	if ca != nil {
		conf += fmt.Sprintf("cafile %s\ncertfile %s\nkeyfile %s\n", ca.CAFile, ca.CertFile, ca.KeyFile)
		m.scheme = "ssl"
	}
	switch {
	case extra != "":
		conf += extra
	case passwordFile != "":
		conf += "allow_anonymous false\npassword_file " + passwordFile + "\n"
	default:
		conf += "allow_anonymous true\n"
	}
	if err := os.WriteFile(m.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	lf, err := os.Create(filepath.Join(dir, "mosquitto.log"))
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(lf.Name(), 0o666)
	m.log = lf
	m.start(bin)
	t.Cleanup(func() {
		m.Kill()
		lf.Close()
	})
	return m
}

func (m *Mosquitto) start(bin string) {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	cmd := exec.Command(bin, "-c", m.conf)
	cmd.Stdout, cmd.Stderr = m.log, m.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		m.t.Fatalf("start mosquitto: %v", err)
	}
	m.cmd = cmd
	go cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", m.Addr(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.t.Fatalf("mosquitto did not listen on %s within 10 s; its log:\n%s", m.Addr(), m.Log())
}

// Addr is host:port; URL is tcp://host:port.
func (m *Mosquitto) Addr() string { return fmt.Sprintf("127.0.0.1:%d", m.Port) }
func (m *Mosquitto) URL() string {
	if m.scheme != "" {
		return m.scheme + "://" + m.Addr()
	}
	return "tcp://" + m.Addr()
}

// Kill stops the broker with SIGKILL (a crash, not a shutdown).
func (m *Mosquitto) Kill() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil && m.cmd.Process != nil {
		_ = m.cmd.Process.Kill()
		// wait until the port is released
		for i := 0; i < 100; i++ {
			c, err := net.DialTimeout("tcp", m.Addr(), 50*time.Millisecond)
			if err != nil {
				break
			}
			c.Close()
			time.Sleep(20 * time.Millisecond)
		}
		m.cmd = nil
	}
}

// Restart starts the broker again on the same port.
func (m *Mosquitto) Restart() {
	m.t.Helper()
	bin := "/usr/sbin/mosquitto"
	if p, err := exec.LookPath("mosquitto"); err == nil {
		bin = p
	}
	m.start(bin)
}

// Log is what the broker printed.
func (m *Mosquitto) Log() string {
	b, _ := os.ReadFile(m.log.Name())
	var out strings.Builder
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
	}
	return out.String()
}
