package peers

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Printer-MIB objects the SNMP agent serves.
const (
	OIDMarkerLifeCount    = "1.3.6.1.2.1.43.10.2.1.4.1.1" // prtMarkerLifeCount.1.1
	OIDDetectedErrorState = "1.3.6.1.2.1.25.3.5.1.2.1"    // hrPrinterDetectedErrorState.1
	OIDAlertTable         = "1.3.6.1.2.1.43.18.1.1"       // prtAlertEntry
)

// SNMPD is a real net-snmp agent (Debian snmpd) on its own loopback UDP
// port, with its own config (-C: no system config) and a `pass` script
// serving Printer-MIB objects from a file the test edits: the lifetime
// counter a walk-up copy advances, hrPrinterDetectedErrorState and the
// alert table. The agent's own hr_print module is left out (-I -hr_print):
// it would answer hrPrinterDetectedErrorState for the host's printers.
type SNMPD struct {
	t         testing.TB
	Port      int
	Community string
	dir       string
	conf      string
	mu        sync.Mutex
	values    map[string][2]string // oid -> type, value
	cmd       *exec.Cmd
	done      chan struct{}
	log       string
}

// snmpPassScript is a net-snmp "pass_persist" script (snmpd.conf(5)): one
// long-running process answering PING, get and getnext from mib.txt beside
// it ("OID TYPE VALUE" a line), read afresh for every request. Plain
// "pass" is not usable here: snmpd caches a pass command's output for 30 s
// (EXCACHETIME), so an advancing counter would read stale.
const snmpPassScript = `#!/usr/bin/perl
use strict;
$| = 1;
(my $file = $0) =~ s/[^\/]*$/mib.txt/;
sub cmpoid { my @a = split /\./, $_[0]; my @b = split /\./, $_[1];
  for (my $i = 0; $i < @a && $i < @b; $i++) { return $a[$i] <=> $b[$i] if $a[$i] != $b[$i]; } return @a <=> @b; }
sub rows {
  my @rows;
  open(my $fh, '<', $file) or return ();
  while (<$fh>) { chomp; next if /^\s*(#|$)/; my ($o, $t, $v) = split(/\s+/, $_, 3); $o =~ s/^\.//; push @rows, [$o, $t, $v]; }
  close $fh;
  return sort { cmpoid($a->[0], $b->[0]) } @rows;
}
while (my $cmd = <STDIN>) {
  chomp $cmd;
  if ($cmd eq 'PING') { print "PONG\n"; next; }
  if ($cmd eq 'set') { <STDIN>; <STDIN>; print "not-writable\n"; next; }
  next unless $cmd eq 'get' || $cmd eq 'getnext';
  my $req = <STDIN>; last unless defined $req;
  chomp $req; $req =~ s/^\.//;
  my @rows = rows();
  my ($hit) = $cmd eq 'get' ? grep { $_->[0] eq $req } @rows : grep { cmpoid($_->[0], $req) > 0 } @rows;
  if ($hit) { print ".$hit->[0]\n$hit->[1]\n$hit->[2]\n"; } else { print "NONE\n"; }
}
`

// StartSNMPD starts an agent whose prtMarkerLifeCount is lifeCount; it is
// killed when the test ends.
func StartSNMPD(t testing.TB, lifeCount int64) *SNMPD {
	t.Helper()
	bin, err := lookSbin("snmpd")
	if err != nil {
		t.Fatalf("snmpd not installed (Debian package snmpd; run test/install-deps.sh): %v", err)
	}
	if _, err := exec.LookPath("perl"); err != nil {
		t.Fatalf("perl not found (the pass script needs it): %v", err)
	}
	dir := t.TempDir()
	s := &SNMPD{t: t, Port: freeUDPPort(t), Community: "public", dir: dir,
		conf: filepath.Join(dir, "snmpd.conf"), log: filepath.Join(dir, "snmpd.log"),
		values: map[string][2]string{}}
	pass := filepath.Join(dir, "pass.pl")
	if err := os.WriteFile(pass, []byte(snmpPassScript), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("agentaddress udp:127.0.0.1:%d\nrocommunity %s 127.0.0.1\npass_persist .1.3.6.1.2.1.43 %s\npass_persist .1.3.6.1.2.1.25.3.5 %s\n",
		s.Port, s.Community, pass, pass)
	if err := os.WriteFile(s.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s.values[OIDMarkerLifeCount] = [2]string{"counter", strconv.FormatInt(lifeCount, 10)}
	s.values[OIDDetectedErrorState] = [2]string{"octet", "00 00"}
	s.write()
	s.start(bin)
	t.Cleanup(s.Stop)
	return s
}

func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free udp port: %v", err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func (s *SNMPD) start(bin string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	// -f foreground, -C no default config files, -I -smux,hr_print leave
	// those modules out; MIBDIRS/MIBS: Debian ships no MIB files (they
	// are in the non-free snmp-mibs-downloader) and snmpd would log a
	// screenful about each; SNMP_PERSISTENT_DIR keeps /var/lib/snmp alone.
	cmd := exec.Command(bin, "-f", "-C", "-c", s.conf, "-Lf", s.log, "-p", filepath.Join(s.dir, "snmpd.pid"), "-I", "-smux,hr_print")
	cmd.Env = append(os.Environ(), "MIBDIRS="+filepath.Join(s.dir, "no-mibs"), "MIBS=", "SNMP_PERSISTENT_DIR="+filepath.Join(s.dir, "persist"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start snmpd: %v", err)
	}
	s.cmd = cmd
	done := make(chan struct{})
	s.done = done
	go func() { cmd.Wait(); close(done) }()
	// UDP has no connect: wait for the log line that says it listens.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			s.t.Fatalf("snmpd exited at start; its log:\n%s", s.Log())
		default:
		}
		if strings.Contains(s.Log(), "NET-SNMP version") {
			return
		}
		time.Sleep(30 * time.Millisecond)
	}
	s.t.Fatalf("snmpd did not start within 10 s; its log:\n%s", s.Log())
}

// Addr is host:port.
func (s *SNMPD) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// SetLifeCount sets prtMarkerLifeCount; Advance adds to it (a walk-up copy).
func (s *SNMPD) SetLifeCount(n int64) {
	s.set(OIDMarkerLifeCount, "counter", strconv.FormatInt(n, 10))
}

// Advance adds n impressions to prtMarkerLifeCount.
func (s *SNMPD) Advance(n int64) {
	s.mu.Lock()
	cur, _ := strconv.ParseInt(s.values[OIDMarkerLifeCount][1], 10, 64)
	s.mu.Unlock()
	s.SetLifeCount(cur + n)
}

// SetErrorState sets hrPrinterDetectedErrorState's octets.
func (s *SNMPD) SetErrorState(b ...byte) {
	hex := make([]string, len(b))
	for i, x := range b {
		hex[i] = fmt.Sprintf("%02x", x)
	}
	s.set(OIDDetectedErrorState, "octet", strings.Join(hex, " "))
}

// AddAlert adds a prtAlertTable row (severity 3 critical / 4 warning;
// group 8 input, 6 cover, 10 marker; code per RFC 3805 PrtAlertCodeTC).
func (s *SNMPD) AddAlert(index, severity, group, code int, description string) {
	i := strconv.Itoa(index)
	s.set(OIDAlertTable+".2.1."+i, "integer", strconv.Itoa(severity))
	s.set(OIDAlertTable+".4.1."+i, "integer", strconv.Itoa(group))
	s.set(OIDAlertTable+".7.1."+i, "integer", strconv.Itoa(code))
	s.set(OIDAlertTable+".8.1."+i, "string", description)
}

// Remove makes an object disappear (NoSuchInstance).
func (s *SNMPD) Remove(oid string) {
	s.mu.Lock()
	delete(s.values, oid)
	s.mu.Unlock()
	s.write()
}

func (s *SNMPD) set(oid, typ, val string) {
	s.mu.Lock()
	s.values[oid] = [2]string{typ, val}
	s.mu.Unlock()
	s.write()
}

// write replaces mib.txt atomically (the pass script may be reading it).
func (s *SNMPD) write() {
	s.mu.Lock()
	oids := make([]string, 0, len(s.values))
	for o := range s.values {
		oids = append(oids, o)
	}
	sort.Strings(oids)
	var b strings.Builder
	for _, o := range oids {
		v := s.values[o]
		fmt.Fprintf(&b, "%s %s %s\n", o, v[0], v[1])
	}
	s.mu.Unlock()
	tmp := filepath.Join(s.dir, "mib.txt.tmp")
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, "mib.txt")); err != nil {
		s.t.Fatal(err)
	}
}

// Stop kills the agent (an agent down).
func (s *SNMPD) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
	s.cmd = nil
}

// Log is what snmpd logged.
func (s *SNMPD) Log() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}
