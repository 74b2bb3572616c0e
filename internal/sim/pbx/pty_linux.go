package pbxsim

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// PTY is a pseudo-terminal that stands in for the PBX's serial port: the
// simulator writes to Master, the gateway opens Link (a symlink to the slave
// device) with go.bug.st/serial as it would open /dev/ttyUSB0.
type PTY struct {
	Master *os.File
	Link   string // the symlink, "" when none was asked for
	Slave  string // /dev/pts/N
	slave  *os.File
}

// OpenPTY opens a pty pair (posix_openpt, grantpt, unlockpt, ptsname), puts
// the slave in raw mode and, when link is not empty, points link at the slave.
// The slave stays open so the master never sees EIO between the gateway's
// opens. The master is non-blocking, in Go's poller.
func OpenPTY(link string) (*PTY, error) {
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("pbxsim: pty: %w", err)
	}
	fail := func(err error, fds ...int) (*PTY, error) {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, fmt.Errorf("pbxsim: pty: %w", err)
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		return fail(err, mfd)
	}
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		return fail(err, mfd)
	}
	name := "/dev/pts/" + strconv.Itoa(int(n))
	sfd, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail(err, mfd)
	}
	if err := makeRaw(sfd); err != nil {
		return fail(err, mfd, sfd)
	}
	p := &PTY{Master: os.NewFile(uintptr(mfd), "/dev/ptmx"), Slave: name, slave: os.NewFile(uintptr(sfd), name)}
	if link != "" {
		_ = os.Remove(link)
		if err := os.Symlink(name, link); err != nil {
			p.Close()
			return nil, fmt.Errorf("pbxsim: pty: %w", err)
		}
		p.Link = link
	}
	return p, nil
}

// makeRaw is cfmakeraw(3) on the slave: SMDR bytes pass untouched (no CR/NL
// mapping, no echo, no XON/XOFF taken by the kernel).
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

// Close removes the link and closes both sides.
func (p *PTY) Close() error {
	if p.Link != "" {
		_ = os.Remove(p.Link)
	}
	p.slave.Close()
	return p.Master.Close()
}

// Pending is the number of bytes written to the master that the reader of
// the slave has not read yet.
func (p *PTY) Pending() (int, error) {
	return unix.IoctlGetInt(int(p.slave.Fd()), unix.TIOCINQ)
}
