package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.bug.st/serial"
)

// Serial flow-control modes accepted in SerialOptions.Flow.
const (
	FlowNone    = "none"
	FlowRTSCTS  = "rtscts"
	FlowXonXoff = "xonxoff"
)

// Software flow control characters (ASCII DC1/DC3, ITU-T T.50; V.250 §6.2.2
// calls them XON/XOFF for in-band DCE-DTE flow control).
const (
	xon  = 0x11
	xoff = 0x13
)

const (
	defaultBaud = 9600
	// defaultSerialPoll is how long a Read waits for data before it checks
	// that the device behind the path is still there.
	defaultSerialPoll = time.Second
	// flowChunk bounds how many bytes are handed to the kernel between two
	// checks of XOFF/CTS. Smaller reacts faster; larger costs fewer syscalls.
	flowChunk = 64
	// ctsPoll is how often a write held by a low CTS re-reads the modem lines.
	ctsPoll = 10 * time.Millisecond
)

// SerialOptions describes a serial port. Zero values take the defaults noted.
type SerialOptions struct {
	Port     string // device path, e.g. /dev/ttyUSB0 or a udev symlink /dev/serial/by-id/...
	Baud     int    // default 9600
	DataBits int    // 5..8, default 8
	Parity   string // none (default), odd, even, mark, space
	StopBits string // 1 (default), 1.5 (only with 5 data bits), 2
	Flow     string // none (default), rtscts, xonxoff
	// ReadTimeout is how long a Read waits for data before it checks that
	// the device is still present; Read itself keeps waiting. Default 1s.
	ReadTimeout time.Duration
}

// Serial is a Transport over a local serial port opened with go.bug.st/serial.
type Serial struct {
	opts SerialOptions
	mode serial.Mode
}

var _ Transport = (*Serial)(nil)

// NewSerial validates opts, applies defaults and returns the transport.
// Options errors are marked Fatal.
func NewSerial(opts SerialOptions) (*Serial, error) {
	bad := func(format string, a ...any) error {
		return Fatal(fmt.Errorf("transport: serial %q: "+format, append([]any{opts.Port}, a...)...))
	}
	if opts.Port == "" {
		return nil, Fatal(errors.New("transport: serial: port path is empty"))
	}
	if opts.Baud == 0 {
		opts.Baud = defaultBaud
	}
	if opts.Baud < 0 {
		return nil, bad("baud %d must be positive", opts.Baud)
	}
	if opts.DataBits == 0 {
		opts.DataBits = 8
	}
	if opts.DataBits < 5 || opts.DataBits > 8 {
		return nil, bad("data bits %d not in 5..8", opts.DataBits)
	}
	mode := serial.Mode{BaudRate: opts.Baud, DataBits: opts.DataBits}

	opts.Parity = strings.ToLower(strings.TrimSpace(opts.Parity))
	switch opts.Parity {
	case "", "none":
		opts.Parity, mode.Parity = "none", serial.NoParity
	case "odd":
		mode.Parity = serial.OddParity
	case "even":
		mode.Parity = serial.EvenParity
	case "mark":
		mode.Parity = serial.MarkParity
	case "space":
		mode.Parity = serial.SpaceParity
	default:
		return nil, bad("parity %q: want none, odd, even, mark or space", opts.Parity)
	}

	switch strings.TrimSpace(opts.StopBits) {
	case "", "1":
		opts.StopBits, mode.StopBits = "1", serial.OneStopBit
	case "2":
		opts.StopBits, mode.StopBits = "2", serial.TwoStopBits
	case "1.5":
		// termios has no 1.5 stop bits and go.bug.st/serial rejects it on
		// Linux. A 16550-style UART sends 1.5 stop bits when CSTOPB is set
		// with 5-bit characters (16550 datasheet, LCR bit 2), so that is
		// the only combination we can honour.
		if opts.DataBits != 5 {
			return nil, bad("1.5 stop bits exist only with 5 data bits (UART rule), got %d data bits", opts.DataBits)
		}
		mode.StopBits = serial.TwoStopBits
	default:
		return nil, bad("stop bits %q: want 1, 1.5 or 2", opts.StopBits)
	}

	opts.Flow = strings.ToLower(strings.TrimSpace(opts.Flow))
	switch opts.Flow {
	case "", FlowNone:
		opts.Flow = FlowNone
	case FlowRTSCTS, FlowXonXoff:
	default:
		return nil, bad("flow %q: want none, rtscts or xonxoff", opts.Flow)
	}

	if opts.ReadTimeout < 0 {
		return nil, bad("read timeout %v is negative", opts.ReadTimeout)
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = defaultSerialPoll
	}
	return &Serial{opts: opts, mode: mode}, nil
}

// String describes the port, e.g. "serial /dev/ttyUSB0 9600 8N1 flow=none".
func (s *Serial) String() string {
	return fmt.Sprintf("serial %s %d %d%c%s flow=%s", s.opts.Port, s.opts.Baud,
		s.opts.DataBits, strings.ToUpper(s.opts.Parity)[0], s.opts.StopBits, s.opts.Flow)
}

// Open opens the port. It fails fast (retryably) when the path is missing,
// which is what a pulled USB adapter looks like; Link retries it.
func (s *Serial) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rdev, err := deviceID(s.opts.Port)
	if err != nil {
		return nil, fmt.Errorf("transport: serial %s: %w", s.opts.Port, err)
	}
	mode := s.mode
	port, err := serial.Open(s.opts.Port, &mode)
	if err != nil {
		return nil, fmt.Errorf("transport: serial %s: open: %w", s.opts.Port, err)
	}
	c := &serialConn{
		port:   port,
		path:   s.opts.Port,
		rdev:   rdev,
		flow:   s.opts.Flow,
		closed: make(chan struct{}),
	}
	if err := port.SetReadTimeout(s.opts.ReadTimeout); err != nil {
		port.Close()
		return nil, fmt.Errorf("transport: serial %s: set read timeout: %w", s.opts.Port, err)
	}
	if s.opts.Flow == FlowRTSCTS {
		// go.bug.st/serial clears CRTSCTS at open and offers no switch for
		// it, so RTS/CTS is done here: assert RTS (we can always receive,
		// Read drains the kernel buffer continuously) and hold writes while
		// CTS is low. Devices without modem lines (a pty answers ENOTTY to
		// TIOCMGET) cannot be gated; writes then go out unhindered.
		_ = port.SetRTS(true)
		if _, err := port.GetModemStatusBits(); err == nil {
			c.ctsGate = true
		}
	}
	return c, nil
}

// deviceID returns the device number of the character device at path
// (following symlinks), so a Read can tell the device is gone or replaced.
func deviceID(path string) (uint64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if fi.Mode()&os.ModeCharDevice == 0 {
		return 0, fmt.Errorf("%s is not a character device (mode %v)", path, fi.Mode())
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, nil
	}
	return uint64(st.Rdev), nil
}

type serialConn struct {
	port    serial.Port
	path    string
	rdev    uint64
	flow    string
	ctsGate bool

	wmu sync.Mutex // one writer at a time, so flow-control chunks do not interleave

	fmu      sync.Mutex
	xoffWait chan struct{} // non-nil while the peer has sent XOFF; closed on XON

	closeOnce sync.Once
	closed    chan struct{}
	closeErr  error
}

func (c *serialConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// Read returns the bytes that have arrived, blocking until at least one
// does. It wakes every ReadTimeout to check that the device is still at its
// path, and it turns a hang-up (EIO, or the zero-byte read Linux gives on a
// disconnected USB-serial adapter, which go.bug.st/serial reports as
// PortClosed) into ErrDeviceGone so the supervisor reconnects.
func (c *serialConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if c.isClosed() {
			return 0, net.ErrClosed
		}
		n, err := c.port.Read(p)
		if err != nil {
			if c.isClosed() {
				return 0, net.ErrClosed
			}
			var pe *serial.PortError
			if errors.Is(err, syscall.EIO) || errors.Is(err, syscall.ENXIO) ||
				errors.Is(err, syscall.ENODEV) || (errors.As(err, &pe) && pe.Code() == serial.PortClosed) {
				return 0, fmt.Errorf("transport: serial %s: read: %w (%v)", c.path, ErrDeviceGone, err)
			}
			return 0, fmt.Errorf("transport: serial %s: read: %w", c.path, err)
		}
		if n == 0 {
			// Read timeout with no data: a good moment to notice a device
			// that vanished without hanging up the tty.
			if err := c.checkPresent(); err != nil {
				return 0, err
			}
			continue
		}
		if c.flow == FlowXonXoff {
			n = c.filterXonXoff(p[:n])
			if n == 0 {
				continue
			}
		}
		return n, nil
	}
}

func (c *serialConn) checkPresent() error {
	if c.isClosed() {
		return net.ErrClosed
	}
	rdev, err := deviceID(c.path)
	if err != nil {
		return fmt.Errorf("transport: serial %s: %w: %v", c.path, ErrDeviceGone, err)
	}
	if rdev != c.rdev {
		return fmt.Errorf("transport: serial %s: %w: device number changed from %#x to %#x", c.path, ErrDeviceGone, c.rdev, rdev)
	}
	return nil
}

// filterXonXoff removes DC1/DC3 from b in place, updates the pause state
// and returns the length of the data left.
func (c *serialConn) filterXonXoff(b []byte) int {
	w := 0
	for _, ch := range b {
		switch ch {
		case xoff:
			c.fmu.Lock()
			if c.xoffWait == nil {
				c.xoffWait = make(chan struct{})
			}
			c.fmu.Unlock()
		case xon:
			c.fmu.Lock()
			if c.xoffWait != nil {
				close(c.xoffWait)
				c.xoffWait = nil
			}
			c.fmu.Unlock()
		default:
			b[w] = ch
			w++
		}
	}
	return w
}

// waitClearToSend blocks while the peer holds us off (XOFF received, or CTS
// low), until it lets go or the stream is closed.
func (c *serialConn) waitClearToSend() error {
	switch c.flow {
	case FlowXonXoff:
		c.fmu.Lock()
		wait := c.xoffWait
		c.fmu.Unlock()
		if wait == nil {
			return nil
		}
		select {
		case <-wait:
			return nil
		case <-c.closed:
			return net.ErrClosed
		}
	case FlowRTSCTS:
		if !c.ctsGate {
			return nil
		}
		for {
			bits, err := c.port.GetModemStatusBits()
			if err != nil {
				return fmt.Errorf("transport: serial %s: read CTS: %w", c.path, err)
			}
			if bits.CTS {
				return nil
			}
			select {
			case <-time.After(ctsPoll):
			case <-c.closed:
				return net.ErrClosed
			}
		}
	}
	return nil
}

// Write sends p. With software flow control it is sent in flowChunk pieces
// and held between pieces while the peer has said stop.
func (c *serialConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	total := 0
	for len(p) > 0 {
		if c.isClosed() {
			return total, net.ErrClosed
		}
		if err := c.waitClearToSend(); err != nil {
			return total, err
		}
		chunk := p
		if c.flow != FlowNone && len(chunk) > flowChunk {
			chunk = chunk[:flowChunk]
		}
		n, err := c.port.Write(chunk)
		total += n
		p = p[n:]
		if err != nil {
			if c.isClosed() {
				return total, net.ErrClosed
			}
			if errors.Is(err, syscall.EIO) || errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.ENODEV) {
				return total, fmt.Errorf("transport: serial %s: write: %w (%v)", c.path, ErrDeviceGone, err)
			}
			return total, fmt.Errorf("transport: serial %s: write: %w", c.path, err)
		}
		if n == 0 {
			return total, fmt.Errorf("transport: serial %s: write: %w", c.path, io.ErrShortWrite)
		}
	}
	return total, nil
}

// Close closes the port and unblocks a pending Read and a write held by
// flow control. It is safe to call more than once.
func (c *serialConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.closeErr = c.port.Close()
	})
	return c.closeErr
}
