package faxmodem

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/drivers"
)

// A transcript scripts a fake modem, one step a line (like go-smtp's
// tests):
//
//	C: AT+FRH=3      the host must send this command (CR-terminated)
//	S: CONNECT       the modem sends this line (CR LF around it)
//	S> ff 13 80 ..   the modem sends these octets (hex; DLE shielding and
//	                 DLE ETX are added)
//	C> ff 13 83 ..   the host must send this data, up to DLE ETX (hex,
//	                 compared after removing the shielding); "C> *" takes
//	                 any data, "C> *N" exactly N octets
//	C> zeros         any number of zero octets (TCF)
//	W: 200ms         the modem waits
//	X: any           the host sends anything (an abort); "X: silent" the
//	                 modem then says nothing more until the end
//	# ...            a comment
type fakeModem struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
	err  chan error
}

func runTranscript(t testing.TB, script string) (host io.ReadWriteCloser, done <-chan error) {
	t.Helper()
	a, b := net.Pipe()
	f := &fakeModem{t: t, conn: b, r: bufio.NewReader(b), err: make(chan error, 1)}
	go func() { f.err <- f.run(script); _ = b.Close() }()
	return a, f.err
}

func (f *fakeModem) run(script string) error {
	for n, raw := range strings.Split(script, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) < 2 {
			return fmt.Errorf("line %d: %q", n+1, line)
		}
		kind, arg := line[:2], strings.TrimSpace(line[2:])
		var err error
		switch kind {
		case "C:":
			var got string
			got, err = f.readCommand()
			if err == nil && got != arg {
				err = fmt.Errorf("host sent %q, want %q", got, arg)
			}
		case "S:":
			_, err = f.conn.Write([]byte("\r\n" + arg + "\r\n"))
		case "S>":
			var b []byte
			b, err = hex.DecodeString(strings.ReplaceAll(arg, " ", ""))
			if err == nil {
				_, err = f.conn.Write(append(stuffDLE(nil, b), dle, etx))
			}
		case "C>":
			var got []byte
			got, err = f.readData()
			if err == nil {
				err = matchData(got, arg)
			}
		case "W:":
			var d time.Duration
			d, err = time.ParseDuration(arg)
			time.Sleep(d)
		case "X:":
			if arg == "silent" {
				// read and ignore everything until the host gives up
				_ = f.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
				_, _ = io.Copy(io.Discard, f.r)
				return nil
			}
			_, err = f.r.ReadByte()
		default:
			err = fmt.Errorf("unknown step %q", kind)
		}
		if err != nil {
			return fmt.Errorf("transcript line %d (%s): %w", n+1, line, err)
		}
	}
	return nil
}

func (f *fakeModem) readCommand() (string, error) {
	_ = f.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	s, err := f.r.ReadString('\r')
	return strings.TrimSpace(s), err
}

func (f *fakeModem) readData() ([]byte, error) {
	_ = f.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	var out []byte
	var d dleDecoder
	buf := make([]byte, 1)
	for !d.done {
		if _, err := io.ReadFull(f.r, buf); err != nil {
			return out, err
		}
		d.feed(&out, buf)
	}
	return out, nil
}

func matchData(got []byte, want string) error {
	switch {
	case want == "*":
		return nil
	case want == "zeros":
		for _, c := range got {
			if c != 0 {
				return fmt.Errorf("TCF has a non-zero octet")
			}
		}
		return nil
	case strings.HasPrefix(want, "*"):
		n, _ := strconv.Atoi(want[1:])
		if len(got) != n {
			return fmt.Errorf("host sent %d octets, want %d", len(got), n)
		}
		return nil
	}
	w, err := hex.DecodeString(strings.ReplaceAll(want, " ", ""))
	if err != nil {
		return err
	}
	if string(w) != string(got) {
		return fmt.Errorf("host sent % x, want % x", got, w)
	}
	return nil
}

// serveTranscript runs a driver's session over the fake modem.
func serveTranscript(t *testing.T, script string, t4 time.Duration) (*Driver, *memSink, <-chan error, context.CancelFunc) {
	t.Helper()
	host, fake := runTranscript(t, script)
	sink := &memSink{}
	d, err := New(drivers.Device{ID: "fax1", Driver: "faxmodem", Profile: "spandsp", Options: map[string]any{"rings": 1}},
		drivers.Deps{Link: ptyOpener{"unused"}, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	d.T4 = t4
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- d.Serve(ctx, host) }()
	t.Cleanup(cancel)
	_ = served
	return d, sink, fake, cancel
}

func devFor() drivers.Device {
	return drivers.Device{ID: "fax1", Driver: "faxmodem", Profile: "spandsp"}
}

func depsFor(s drivers.Sink) drivers.Deps { return drivers.Deps{Link: ptyOpener{"unused"}, Sink: s} }
