// Package ptytest gives tests a pseudo-terminal that stands in for a serial
// device: the code under test opens the slave side through a stable symlink
// with go.bug.st/serial exactly as it would open /dev/ttyUSB0, and the test
// plays the device on the master side. Unplug and Replug imitate a USB-serial
// adapter pulled out and plugged back in under the same udev name.
package ptytest

import (
	"errors"
	"io"
	"os"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// Pair is a pty pair reachable through a symlink. The master side is the
// "device"; Read and Write on the Pair go to the current master.
type Pair struct {
	t    testing.TB
	link string

	mu     sync.Mutex
	master *os.File
	slave  *os.File // held open so the master never sees EIO between opens of the slave
}

var _ io.ReadWriter = (*Pair)(nil)

// ErrUnplugged is returned by Read and Write while the pair is unplugged.
var ErrUnplugged = errors.New("ptytest: unplugged")

// New opens a pty pair, puts the slave in raw mode and points link at the
// slave device. Everything is released with t.Cleanup.
func New(t testing.TB, link string) *Pair {
	t.Helper()
	p := &Pair{t: t, link: link}
	if err := p.plug(); err != nil {
		t.Fatalf("ptytest: %v", err)
	}
	t.Cleanup(p.Unplug)
	return p
}

func (p *Pair) plug() error {
	master, slave, err := openPTY()
	if err != nil {
		return err
	}
	_ = os.Remove(p.link)
	if err := os.Symlink(slave.Name(), p.link); err != nil {
		master.Close()
		slave.Close()
		return err
	}
	p.mu.Lock()
	p.master, p.slave = master, slave
	p.mu.Unlock()
	return nil
}

// openPTY is posix_openpt(3) + grantpt + unlockpt + ptsname, done with
// x/sys so the master is opened non-blocking and lands in Go's poller:
// deadlines then work on it and Close unblocks a pending Read.
// (github.com/creack/pty v1.1.24 calls (*os.File).Fd on the master for its
// ioctls, which switches the descriptor to blocking mode for good, so a test
// reading the master with a deadline would hang instead of timing out.)
func openPTY() (master, slave *os.File, err error) {
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(mfd)
		return nil, nil, err
	}
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(mfd)
		return nil, nil, err
	}
	name := "/dev/pts/" + strconv.Itoa(int(n))
	sfd, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(mfd)
		return nil, nil, err
	}
	if err := makeRaw(sfd); err != nil {
		unix.Close(mfd)
		unix.Close(sfd)
		return nil, nil, err
	}
	return os.NewFile(uintptr(mfd), "/dev/ptmx"), os.NewFile(uintptr(sfd), name), nil
}

// makeRaw is cfmakeraw(3): no echo, no line editing, no CR/NL mapping, no
// signals, 8-bit characters, and no kernel IXON (XON/XOFF must reach the
// reader untouched so software flow control can be tested).
func makeRaw(fd int) error {
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag &^= unix.CSIZE | unix.PARENB
	tio.Cflag |= unix.CS8
	tio.Cc[unix.VMIN] = 1
	tio.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, tio)
}

// Link is the symlink path the code under test opens.
func (p *Pair) Link() string { return p.link }

// SlaveName is the /dev/pts/N path the link currently points at ("" if unplugged).
func (p *Pair) SlaveName() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.slave == nil {
		return ""
	}
	return p.slave.Name()
}

// Master returns the current master file (nil while unplugged), for
// deadlines or direct use.
func (p *Pair) Master() *os.File {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.master
}

// Read reads what the code under test wrote to the serial port.
func (p *Pair) Read(b []byte) (int, error) {
	m := p.Master()
	if m == nil {
		return 0, ErrUnplugged
	}
	return m.Read(b)
}

// Write sends bytes "from the device" to the code under test.
func (p *Pair) Write(b []byte) (int, error) {
	m := p.Master()
	if m == nil {
		return 0, ErrUnplugged
	}
	return m.Write(b)
}

// Unplug closes the master (the slave side hangs up: reads return EIO) and
// removes the symlink, as udev does when a USB adapter is pulled out.
func (p *Pair) Unplug() {
	p.mu.Lock()
	master, slave := p.master, p.slave
	p.master, p.slave = nil, nil
	p.mu.Unlock()
	if master == nil {
		return
	}
	_ = os.Remove(p.link)
	master.Close()
	slave.Close()
}

// Replug opens a fresh pty pair and points the same symlink at it.
func (p *Pair) Replug() {
	p.t.Helper()
	p.Unplug()
	if err := p.plug(); err != nil {
		p.t.Fatalf("ptytest: replug: %v", err)
	}
}
