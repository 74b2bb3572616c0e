package faxmodem

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"switchboard/internal/events/fax"
	"time"
)

// call is one T.30 session over a Class 1 modem.
type call struct {
	m    *Modem
	prof *Profile
	j    *journal
	// x is the X bit of the FCFs this station sends: 1 for the station that
	// received a valid DIS, 0 for the one that sent it (T.30 §5.3.6.1).
	x byte
	// timing: T4 may be lengthened by the caller's options.
	t4 time.Duration
	// faults: the driver's ECM test hook (zero in production).
	faults ecmFaults
}

// errors of the protocol (T.30) level.
var (
	ErrDCN        = errors.New("faxmodem: far end disconnected (DCN)")
	ErrNoResponse = errors.New("faxmodem: no response after three tries")
	ErrBadFrame   = errors.New("faxmodem: HDLC frame received with a bad FCS")
	ErrTrainFail  = errors.New("faxmodem: training failed at every rate")
	ErrProtocol   = errors.New("faxmodem: unexpected T.30 signal")
)

// retryable says whether a failed call may be tried again later: line
// trouble, a modem that stopped answering, a busy or unanswered number.
func retryable(err error) bool {
	var re *ResultError
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrTimeout), errors.Is(err, fax.ErrModemGone), errors.Is(err, ErrNoCarrier),
		errors.Is(err, ErrNoResponse), errors.Is(err, ErrBadFrame), errors.Is(err, ErrTrainFail),
		errors.Is(err, ErrDCN), errors.Is(err, ErrProtocol), errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &re):
		return re.Code != "ERROR" || strings.HasPrefix(re.Cmd, "AT+F")
	}
	return false
}

func (c *call) frame(fcf FCF, fif []byte, final bool) Frame {
	b := byte(fcf)
	switch fcf {
	case FcfDIS, FcfCSI, FcfNSF, FcfDTC, FcfCIG, FcfNSC:
	default:
		b |= c.x
	}
	return Frame{FCF: b, FIF: fif, Final: final}
}

// sendFrames transmits frames in one V.21 transmission: AT+FTH=3 then each
// frame ended by DLE ETX; the DCE answers CONNECT after a non-final frame
// and OK once the final one is out (T.31 §8.3.5.1). connected is true when
// the DCE already said CONNECT (after ATA, T.31 §8.3.1: answering implies
// +FTH=3).
func (c *call) sendFrames(ctx context.Context, connected bool, frames ...Frame) error {
	if !connected {
		if _, err := c.m.Expect(ctx, "AT+FTH=3", "CONNECT", 5*time.Second); err != nil {
			return err
		}
	}
	for i, f := range frames {
		if i == len(frames)-1 {
			f.Final = true
		}
		b := f.Bytes()
		c.j.t30("tx %s", describe(f))
		c.m.trace('>', "HDLC", b)
		c.m.txMode.Store(true)
		err := c.m.SendData(ctx, b)
		if err == nil {
			want := "CONNECT"
			if f.Final {
				want = "OK"
			}
			// 300 bit/s: a 40-octet frame with flags is about 1.3 s.
			var final string
			_, final, err = c.m.response(ctx, "HDLC", 5*time.Second+time.Duration(len(b))*30*time.Millisecond)
			if err == nil && final != want {
				err = &ResultError{Cmd: "HDLC " + FCF(f.FCF).Name(), Code: final}
			}
		}
		c.m.txMode.Store(false)
		if err != nil {
			return err
		}
	}
	return nil
}

// recvFrame issues AT+FRH=3 and reads one frame. wait bounds the wait for
// the carrier (CONNECT); it is aborted with a character when it runs out
// (T.31 §8.3.5.2). connected: the DCE already said CONNECT (after ATD).
func (c *call) recvFrame(ctx context.Context, connected bool, wait time.Duration) (Frame, error) {
	if !connected {
		c.m.trace('>', "AT+FRH=3", nil)
		if err := c.m.write([]byte("AT+FRH=3\r")); err != nil {
			return Frame{}, err
		}
		_, final, err := c.m.response(ctx, "AT+FRH=3", wait)
		if errors.Is(err, ErrTimeout) {
			if aerr := c.m.Abort(ctx); aerr != nil {
				return Frame{}, fmt.Errorf("%w (abort: %v)", err, aerr)
			}
			return Frame{}, err
		}
		if err != nil {
			return Frame{}, err
		}
		switch {
		case strings.HasPrefix(final, "CONNECT"):
		case final == "NO CARRIER":
			return Frame{}, ErrNoCarrier
		default:
			return Frame{}, &ResultError{Cmd: "AT+FRH=3", Code: final}
		}
	}
	// V.21 channel 2 at 300 bit/s: 37.5 octets/s; a frame is < 260 octets.
	data, final, err := c.m.ReceiveData(ctx, 3*time.Second, 12*time.Second)
	if err != nil {
		return Frame{}, err
	}
	c.m.trace('<', "HDLC "+final, data)
	switch final {
	case "OK":
	case "ERROR":
		c.j.t30("rx frame with bad FCS")
		return Frame{}, ErrBadFrame
	case "NO CARRIER":
		if len(data) == 0 {
			return Frame{}, ErrNoCarrier
		}
		// a frame followed by loss of carrier: T.31 says OK then NO
		// CARRIER; some DCEs send only the latter. Check it ourselves.
	default:
		return Frame{}, &ResultError{Cmd: "HDLC rx", Code: final}
	}
	f, err := ParseFrame(data)
	if err != nil {
		return Frame{}, err
	}
	c.j.t30("rx %s", describe(f))
	return f, nil
}

// recvFrames reads frames until a final one (T.30 §5.3.5: the P/F bit
// closes a transmission). A bad frame in between is skipped; the caller
// sees only frames with good FCS.
func (c *call) recvFrames(ctx context.Context, connected bool, wait time.Duration) ([]Frame, error) {
	var out []Frame
	for n := 0; n < 8; n++ {
		f, err := c.recvFrame(ctx, connected, wait)
		connected = false
		if errors.Is(err, ErrBadFrame) {
			if len(out) > 0 {
				continue
			}
			return out, err
		}
		if err != nil {
			if len(out) > 0 && (errors.Is(err, ErrNoCarrier) || errors.Is(err, ErrTimeout)) {
				return out, nil
			}
			return out, err
		}
		out = append(out, f)
		if f.Final {
			return out, nil
		}
		// the next frame follows at once: the carrier is on
		wait = 3 * time.Second
	}
	return out, nil
}

// switchToTx is run between receiving and transmitting: wait for silence
// so our V.21 does not collide with the end of theirs (T.30 §5.3.2.4
// requires 75 ± 20 ms between signals; the profile's command, e.g.
// AT+FRS=7, does it in the DCE).
func (c *call) switchToTx(ctx context.Context) {
	if cmd := c.prof.Quirks.Switching; cmd != "" {
		if _, final, err := c.m.Command(ctx, cmd, 2*time.Second); err != nil || final != "OK" {
			if errors.Is(err, ErrTimeout) {
				_ = c.m.Abort(ctx)
			}
		}
	}
}

// pause sends silence (AT+FTS=n, n in 10 ms) — T.30 §5.3.2.4 spacing
// between a message and the post-message command.
func (c *call) pause(ctx context.Context, tens int) error {
	_, err := c.m.Expect(ctx, "AT+FTS="+strconv.Itoa(tens), "OK", 3*time.Second)
	return err
}

func describe(f Frame) string {
	name := FCF(f.FCF).Name()
	switch {
	case f.FCF == byte(FcfDIS) || f.FCF == byte(FcfDTC):
		if caps, err := ParseDIS(f.FIF); err == nil {
			return fmt.Sprintf("%s %s [% x]", name, caps, f.FIF)
		}
	case f.FCF == byte(FcfCSI) || f.FCF == byte(FcfCIG) || f.Type() == FcfTSI:
		return fmt.Sprintf("%s %q", name, DecodeIdent(f.FIF))
	case f.Type() == FcfDCS:
		if s, err := ParseDCS(f.FIF); err == nil {
			return fmt.Sprintf("%s %s [% x]", name, s, f.FIF)
		}
	}
	if len(f.FIF) > 0 {
		return fmt.Sprintf("%s [% x]", name, f.FIF)
	}
	return name
}

func (c Caps) String() string {
	var m []string
	if c.V17 {
		m = append(m, "V.17")
	}
	if c.V29 {
		m = append(m, "V.29")
	}
	if c.V27 {
		m = append(m, "V.27ter")
	}
	s := strings.Join(m, "/")
	if c.Fine {
		s += " fine"
	}
	if c.MR {
		s += " MR"
	}
	if c.ECM {
		s += " ECM"
	}
	if c.MMR {
		s += " MMR"
	}
	return fmt.Sprintf("%s scan %v", s, c.ScanTime)
}

func (c Caps) families() family {
	var f family
	if c.V17 {
		f |= famV17
	}
	if c.V29 {
		f |= famV29
	}
	if c.V27 {
		f |= famV27
	}
	return f
}

// hangup puts the modem on hook; a modem that does not answer is reset
// as its profile says.
func (c *call) hangup(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if _, err := c.m.Expect(ctx, "ATH0", "OK", 5*time.Second); err != nil {
		c.j.t30("ATH0 failed (%v): resetting the modem", err)
		c.reset(ctx)
	}
}

// reset brings a modem that stopped answering back: ATZ, or closing the
// port (DTR drop) for the profiles that say so; the session then ends and
// the link reopens.
func (c *call) reset(ctx context.Context) {
	if c.prof.ResetMethod == "close" {
		_ = c.m.Close()
		return
	}
	_ = c.m.write([]byte("\r"))
	c.m.drain(200 * time.Millisecond)
	if _, err := c.m.Expect(ctx, c.prof.Reset, "OK", 5*time.Second); err != nil {
		_ = c.m.Close()
	}
}
