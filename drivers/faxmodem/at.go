package faxmodem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"switchboard/internal/events/fax"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of the AT layer. ErrTimeout and fax.ErrModemGone are retryable:
// the modem stopped answering or the port went away.
var (
	ErrTimeout   = errors.New("faxmodem: modem did not answer in time")
	ErrNoCarrier = errors.New("faxmodem: NO CARRIER")
)

// ResultError is a final result code other than the one expected (ERROR,
// NO CARRIER, BUSY, +FCERROR ...).
type ResultError struct {
	Cmd, Code string
}

func (e *ResultError) Error() string { return fmt.Sprintf("faxmodem: %s: %s", e.Cmd, e.Code) }

// final result codes (V.250 §5.7, T.31 §8.3 adds +FCERROR).
var finalCodes = []string{"OK", "CONNECT", "ERROR", "NO CARRIER", "BUSY", "NO DIALTONE", "NO DIAL TONE", "NO ANSWER", "+FCERROR", "FCERROR"}

func isFinal(line string) bool {
	for _, c := range finalCodes {
		if line == c || (c == "CONNECT" && strings.HasPrefix(line, "CONNECT ")) {
			return true
		}
	}
	return false
}

// tracer receives every AT exchange and data summary (the journal).
type tracer interface {
	trace(dir byte, text string, data []byte)
}

// Modem is the AT side of a Class 1 modem over a byte stream: command and
// response with timeouts, unsolicited result codes, DLE-shielded data in
// both directions and software XON/XOFF while the host transmits.
type Modem struct {
	rw   io.ReadWriteCloser
	tr   tracer
	prof *Profile

	in      chan []byte
	readErr error // set before in is closed
	pending []byte

	// software flow control, honoured only while transmitting data (T.31
	// §8.3.3 leaves 0x11/0x13 unshielded in received data, so they cannot
	// be filtered at other times).
	txMode atomic.Bool
	xoffMu sync.Mutex
	xoff   bool
	xonC   chan struct{}

	// rings counts RING codes seen since the last reset (unsolicited).
	rings    atomic.Int32
	lastRing atomic.Int64

	// lastRx is when the last bytes arrived; the next write measures the
	// host's reaction time from it.
	lastRx time.Time
	react  *reactionStats

	// skipLF: the last line ended with CR; a LF that follows belongs to it
	// and not to the data after CONNECT.
	skipLF bool
}

func (m *Modem) skipPendingLF() {
	if m.skipLF && len(m.pending) > 0 {
		if m.pending[0] == '\n' {
			m.pending = m.pending[1:]
		}
		m.skipLF = false
	}
}

// NewModem starts reading rw. Close the Modem (or rw) to stop.
func NewModem(rw io.ReadWriteCloser, prof *Profile, tr tracer) *Modem {
	if prof == nil {
		prof = DefaultProfile()
	}
	m := &Modem{rw: rw, tr: tr, prof: prof, in: make(chan []byte, 256), xonC: make(chan struct{})}
	go m.readLoop()
	return m
}

func (m *Modem) readLoop() {
	buf := make([]byte, 4096)
	for {
		n, err := m.rw.Read(buf)
		if n > 0 {
			chunk := append([]byte(nil), buf[:n]...)
			if m.prof.Flow == "xonxoff" && m.txMode.Load() {
				chunk = m.filterFlow(chunk)
			}
			if len(chunk) > 0 {
				m.in <- chunk
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, io.ErrUnexpectedEOF) {
				err = fax.ErrModemGone
			}
			m.readErr = fmt.Errorf("%w: %v", fax.ErrModemGone, err)
			close(m.in)
			m.setXoff(false)
			return
		}
	}
}

func (m *Modem) filterFlow(b []byte) []byte {
	out := b[:0]
	for _, c := range b {
		switch c {
		case xof:
			m.setXoff(true)
		case xon:
			m.setXoff(false)
		default:
			out = append(out, c)
		}
	}
	return out
}

func (m *Modem) setXoff(v bool) {
	m.xoffMu.Lock()
	defer m.xoffMu.Unlock()
	if m.xoff == v {
		return
	}
	m.xoff = v
	if !v {
		close(m.xonC)
	} else {
		m.xonC = make(chan struct{})
	}
}

// waitXon blocks while the DCE has sent XOFF.
func (m *Modem) waitXon(ctx context.Context, limit time.Duration) error {
	m.xoffMu.Lock()
	off, c := m.xoff, m.xonC
	m.xoffMu.Unlock()
	if !off {
		return nil
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-c:
		return nil
	case <-t.C:
		return fmt.Errorf("%w: XOFF held for %v", ErrTimeout, limit)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close closes the port.
func (m *Modem) Close() error { return m.rw.Close() }

// fill waits for more input until deadline.
func (m *Modem) fill(ctx context.Context, deadline time.Time) error {
	d := time.Until(deadline)
	if d <= 0 {
		return ErrTimeout
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case b, ok := <-m.in:
		if !ok {
			return m.readErr
		}
		m.pending = append(m.pending, b...)
		m.lastRx = time.Now()
		return nil
	case <-t.C:
		return ErrTimeout
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readLine returns the next non-empty line (CR/LF stripped). RING codes are
// counted and skipped unless wantRing.
func (m *Modem) readLine(ctx context.Context, deadline time.Time, wantRing bool) (string, error) {
	for {
		m.skipPendingLF()
		if i := bytes.IndexAny(m.pending, "\r\n"); i >= 0 {
			line := strings.TrimSpace(string(m.pending[:i]))
			m.skipLF = m.pending[i] == '\r'
			m.pending = m.pending[i+1:]
			if line == "" {
				continue
			}
			m.trace('<', line, nil)
			if line == "RING" || strings.HasPrefix(line, "RING ") {
				m.rings.Add(1)
				m.lastRing.Store(time.Now().UnixNano())
				m.lastRx = time.Time{} // answering after N rings is not a reaction
				if !wantRing {
					continue
				}
			}
			return line, nil
		}
		if err := m.fill(ctx, deadline); err != nil {
			return "", err
		}
	}
}

func (m *Modem) trace(dir byte, text string, data []byte) {
	if m.tr != nil {
		m.tr.trace(dir, text, data)
	}
}

// write sends raw bytes.
func (m *Modem) write(b []byte) error {
	if !m.lastRx.IsZero() {
		m.react.add(time.Since(m.lastRx))
		m.lastRx = time.Time{}
	}
	_, err := m.rw.Write(b)
	if err != nil {
		return fmt.Errorf("%w: %v", fax.ErrModemGone, err)
	}
	return nil
}

// Command sends an AT command and waits for a final result code within
// timeout. Information lines before it are returned; the command's echo
// (E1) is skipped.
func (m *Modem) Command(ctx context.Context, cmd string, timeout time.Duration) (info []string, final string, err error) {
	m.trace('>', cmd, nil)
	if err := m.write([]byte(cmd + "\r")); err != nil {
		return nil, "", err
	}
	return m.response(ctx, cmd, timeout)
}

func (m *Modem) response(ctx context.Context, cmd string, timeout time.Duration) (info []string, final string, err error) {
	deadline := time.Now().Add(timeout)
	for {
		line, err := m.readLine(ctx, deadline, false)
		if err != nil {
			return info, "", fmt.Errorf("%s: %w", cmd, err)
		}
		if strings.EqualFold(line, cmd) {
			continue // echo
		}
		if isFinal(line) {
			return info, line, nil
		}
		info = append(info, line)
	}
}

// Expect sends cmd and requires the final result want (e.g. "OK").
func (m *Modem) Expect(ctx context.Context, cmd, want string, timeout time.Duration) ([]string, error) {
	info, final, err := m.Command(ctx, cmd, timeout)
	if err != nil {
		return info, err
	}
	if final != want && !(want == "CONNECT" && strings.HasPrefix(final, "CONNECT")) {
		return info, &ResultError{Cmd: cmd, Code: final}
	}
	return info, nil
}

// SendData transmits data after CONNECT (of +FTH or +FTM), DLE-shielded
// and ended by DLE ETX (T.31 §8.3.3), honouring XOFF. It does not wait for
// the result code.
func (m *Modem) SendData(ctx context.Context, data []byte) error {
	const piece = 256
	buf := make([]byte, 0, piece*2+2)
	for len(data) > 0 {
		n := min(piece, len(data))
		buf = stuffDLE(buf[:0], data[:n])
		data = data[n:]
		if len(data) == 0 {
			buf = append(buf, dle, etx)
		}
		if err := m.waitXon(ctx, 10*time.Second); err != nil {
			return err
		}
		if err := m.write(buf); err != nil {
			return err
		}
	}
	if len(buf) == 0 { // empty data: still end it
		return m.write([]byte{dle, etx})
	}
	return nil
}

// ReceiveData reads DLE-shielded data after CONNECT until DLE ETX, then
// the result code that follows (OK, ERROR, NO CARRIER). idle bounds the
// wait for each byte; limit bounds the whole.
func (m *Modem) ReceiveData(ctx context.Context, idle, limit time.Duration) (data []byte, final string, err error) {
	var dec dleDecoder
	end := time.Now().Add(limit)
	for !dec.done {
		m.skipPendingLF()
		if len(m.pending) > 0 {
			used := dec.feed(&data, m.pending)
			m.pending = m.pending[used:]
			continue
		}
		dl := time.Now().Add(idle)
		if dl.After(end) {
			dl = end
		}
		if err := m.fill(ctx, dl); err != nil {
			return data, "", fmt.Errorf("receiving data: %w", err)
		}
	}
	line, err := m.readLine(ctx, time.Now().Add(5*time.Second), false)
	if err != nil {
		return data, "", fmt.Errorf("after data: %w", err)
	}
	return data, line, nil
}

// Abort cancels a pending +FRH/+FRM/+FRS with a character (T.31 §8.3.4.2:
// any character from the DTE stops the receive command) and eats the OK.
func (m *Modem) Abort(ctx context.Context) error {
	m.trace('>', "<CAN>", nil)
	if err := m.write([]byte{can}); err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		line, err := m.readLine(ctx, deadline, false)
		if err != nil {
			return err
		}
		if isFinal(line) && !strings.HasPrefix(line, "CONNECT") {
			return nil
		}
	}
}

// drain discards whatever the modem has sent so far.
func (m *Modem) drain(wait time.Duration) {
	deadline := time.Now().Add(wait)
	for {
		m.pending = m.pending[:0]
		if err := m.fill(context.Background(), deadline); err != nil {
			m.pending = m.pending[:0]
			return
		}
	}
}

// Rings returns and clears the RING count.
func (m *Modem) Rings() int { return int(m.rings.Swap(0)) }
