// Package sdnotify tells systemd how the daemon is doing, the sd_notify(3)
// protocol spoken with the standard library: newline-separated VAR=value
// assignments in one datagram to the unix socket named by $NOTIFY_SOCKET
// (READY=1, STATUS=..., WATCHDOG=1, STOPPING=1), and the watchdog interval
// systemd asks for in $WATCHDOG_USEC (sd_watchdog_enabled(3)). Outside
// systemd (no $NOTIFY_SOCKET) every send does nothing, so the daemon runs the
// same way from a terminal.
package sdnotify

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"
)

// Names of the assignments this package sends, from sd_notify(3).
const (
	Ready    = "READY=1"
	Stopping = "STOPPING=1"
	Watchdog = "WATCHDOG=1"
)

// Notifier sends to one notification socket; the zero value (and a nil
// *Notifier) is disabled and sends nothing.
type Notifier struct {
	addr *net.UnixAddr
}

// New returns a notifier for the socket named socket, as $NOTIFY_SOCKET
// gives it: a file system path ("/run/systemd/notify") or, starting with
// '@', a name in Linux's abstract namespace. An empty name gives a disabled
// notifier.
func New(socket string) (*Notifier, error) {
	switch {
	case socket == "":
		return &Notifier{}, nil
	case socket[0] == '/':
		return &Notifier{addr: &net.UnixAddr{Name: socket, Net: "unixgram"}}, nil
	case socket[0] == '@':
		// sd_notify(3): a leading '@' names an abstract socket, whose address
		// starts with a NUL byte. Go's syscall package makes that conversion
		// itself for a name starting with '@' (SockaddrUnix on Linux), so
		// the name is passed on as it is; the test dials a real abstract
		// socket to keep that true.
		if len(socket) == 1 {
			return nil, errors.New("sdnotify: NOTIFY_SOCKET is \"@\" with no name after it")
		}
		return &Notifier{addr: &net.UnixAddr{Name: socket, Net: "unixgram"}}, nil
	default:
		// systemd 254 added vsock: addresses (for virtual machines); a
		// gateway on a front-desk PC is not in one.
		return nil, fmt.Errorf("sdnotify: NOTIFY_SOCKET %q is neither an absolute path nor an abstract name (@...): unsupported", socket)
	}
}

// FromEnv is New with $NOTIFY_SOCKET read through getenv (os.Getenv).
func FromEnv(getenv func(string) string) (*Notifier, error) {
	return New(getenv("NOTIFY_SOCKET"))
}

// Enabled reports whether sends go anywhere.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != nil }

// Send sends the assignments in one datagram, as sd_notify(3) requires for
// them to be taken together (READY=1 with its STATUS=, say). A value may not
// hold a newline: the protocol separates assignments with them.
func (n *Notifier) Send(assignments ...string) error {
	if !n.Enabled() || len(assignments) == 0 {
		return nil
	}
	for _, a := range assignments {
		if !strings.Contains(a, "=") || strings.ContainsAny(a, "\n\x00") {
			return fmt.Errorf("sdnotify: %q is not one VAR=value assignment", a)
		}
	}
	// A new socket per message, as libsystemd's sd_notify does: nothing to
	// keep open or reconnect, and messages are a few a minute.
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sdnotify: dial %s: %w", n.addr.Name, err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(strings.Join(assignments, "\n"))); err != nil {
		return fmt.Errorf("sdnotify: send to %s: %w", n.addr.Name, err)
	}
	return nil
}

// Status is a STATUS= assignment: one line that `systemctl status` shows.
// Newlines in s become spaces, so a multi-line error still fits.
func Status(s string) string {
	return "STATUS=" + strings.NewReplacer("\n", " ", "\x00", " ").Replace(s)
}

// WatchdogInterval is the watchdog timeout systemd set for this process
// (WatchdogSec= of the unit, passed as $WATCHDOG_USEC in microseconds), and
// false when there is none. As sd_watchdog_enabled(3) says, $WATCHDOG_PID,
// when set, must be this process's pid: otherwise the variables were meant
// for another process (a parent that passed its environment on).
func WatchdogInterval(getenv func(string) string, pid int) (time.Duration, bool, error) {
	us := getenv("WATCHDOG_USEC")
	if us == "" {
		return 0, false, nil
	}
	if p := getenv("WATCHDOG_PID"); p != "" {
		wp, err := strconv.Atoi(p)
		if err != nil || wp <= 0 {
			return 0, false, fmt.Errorf("sdnotify: WATCHDOG_PID %q is not a process id", p)
		}
		if wp != pid {
			return 0, false, nil
		}
	}
	v, err := strconv.ParseUint(us, 10, 63)
	if err != nil || v == 0 || v > math.MaxInt64/uint64(time.Microsecond) {
		return 0, false, fmt.Errorf("sdnotify: WATCHDOG_USEC %q is not a positive count of microseconds", us)
	}
	return time.Duration(v) * time.Microsecond, true, nil
}
