package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/transport/ptytest"
)

// openSerial opens the serial transport on a fresh pty pair.
func openSerial(t testing.TB, opts SerialOptions) (*ptytest.Pair, io.ReadWriteCloser) {
	t.Helper()
	pair := ptytest.New(t, filepath.Join(t.TempDir(), "ttyPBX"))
	opts.Port = pair.Link()
	s, err := NewSerial(opts)
	if err != nil {
		t.Fatalf("NewSerial: %v", err)
	}
	rw, err := s.Open(context.Background())
	if err != nil {
		t.Fatalf("Open %s: %v", s, err)
	}
	t.Cleanup(func() { rw.Close() })
	return pair, rw
}

// readFull reads exactly n bytes from r or fails after d.
func readFull(t testing.TB, r io.Reader, n int, d time.Duration) []byte {
	t.Helper()
	type res struct {
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		ch <- res{b, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("read: %v", r.err)
		}
		return r.b
	case <-time.After(d):
		t.Fatalf("read: %d bytes did not arrive within %v", n, d)
	}
	return nil
}

func TestSerialBothDirections(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts SerialOptions
		want string
	}{
		{"8N1", SerialOptions{Baud: 9600}, "9600 8N1 flow=none"},
		{"7E1", SerialOptions{Baud: 1200, DataBits: 7, Parity: "even", StopBits: "1"}, "1200 7E1 flow=none"},
		{"8N2 odd-case", SerialOptions{Baud: 19200, Parity: "None", StopBits: "2"}, "19200 8N2 flow=none"},
		{"7O1 rtscts", SerialOptions{DataBits: 7, Parity: "odd", Flow: "rtscts"}, "9600 7O1 flow=rtscts"},
		{"8M1", SerialOptions{Parity: "mark"}, "9600 8M1 flow=none"},
		{"8S1", SerialOptions{Parity: "space"}, "9600 8S1 flow=none"},
		{"5N1.5", SerialOptions{DataBits: 5, StopBits: "1.5"}, "9600 5N1.5 flow=none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pair, rw := openSerial(t, tc.opts)
			s, _ := NewSerial(SerialOptions{Port: "x", Baud: tc.opts.Baud, DataBits: tc.opts.DataBits,
				Parity: tc.opts.Parity, StopBits: tc.opts.StopBits, Flow: tc.opts.Flow})
			if got := s.String(); got != "serial x "+tc.want {
				t.Errorf("String() = %q, want %q", got, "serial x "+tc.want)
			}

			in := []byte("01 0815 12:34 00:01:02 0049301234567\r\n")
			if _, err := pair.Write(in); err != nil {
				t.Fatal(err)
			}
			if got := readFull(t, rw, len(in), 2*time.Second); !bytes.Equal(got, in) {
				t.Errorf("device->transport: got %q, want %q", got, in)
			}

			out := []byte("ACK\x06\r\n")
			if _, err := rw.Write(out); err != nil {
				t.Fatal(err)
			}
			if got := readFull(t, pair, len(out), 2*time.Second); !bytes.Equal(got, out) {
				t.Errorf("transport->device: got %q, want %q", got, out)
			}
		})
	}
}

func TestNewSerialRejects(t *testing.T) {
	for _, tc := range []struct {
		opts SerialOptions
		want string
	}{
		{SerialOptions{}, "port path is empty"},
		{SerialOptions{Port: "/dev/x", Baud: -1}, "baud"},
		{SerialOptions{Port: "/dev/x", DataBits: 9}, "data bits"},
		{SerialOptions{Port: "/dev/x", Parity: "evn"}, "parity"},
		{SerialOptions{Port: "/dev/x", StopBits: "3"}, "stop bits"},
		{SerialOptions{Port: "/dev/x", StopBits: "1.5"}, "1.5 stop bits"},
		{SerialOptions{Port: "/dev/x", Flow: "dtrdsr"}, "flow"},
		{SerialOptions{Port: "/dev/x", ReadTimeout: -time.Second}, "read timeout"},
	} {
		_, err := NewSerial(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewSerial(%+v) = %v, want error containing %q", tc.opts, err, tc.want)
		}
		if err != nil && !IsFatal(err) {
			t.Errorf("NewSerial(%+v): error %v not marked fatal", tc.opts, err)
		}
	}
}

func TestSerialOpenMissingIsRetryable(t *testing.T) {
	s, err := NewSerial(SerialOptions{Port: filepath.Join(t.TempDir(), "ttyUSB9")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Open(context.Background())
	if err == nil || IsFatal(err) {
		t.Fatalf("Open of a missing device = %v, want a retryable error", err)
	}
}

func TestSerialXonXoff(t *testing.T) {
	pair, rw := openSerial(t, SerialOptions{Flow: FlowXonXoff, ReadTimeout: 50 * time.Millisecond})

	// The reader runs all along, as a driver's read loop does: XOFF/XON are
	// only seen by reading.
	got := make(chan []byte, 16)
	go func() {
		for {
			b := make([]byte, 256)
			n, err := rw.Read(b)
			if err != nil {
				close(got)
				return
			}
			got <- b[:n]
		}
	}()
	collect := func(n int) string {
		t.Helper()
		var buf []byte
		deadline := time.After(2 * time.Second)
		for len(buf) < n {
			select {
			case b, ok := <-got:
				if !ok {
					t.Fatalf("reader ended after %q", buf)
				}
				buf = append(buf, b...)
			case <-deadline:
				t.Fatalf("got %q, want %d bytes", buf, n)
			}
		}
		return string(buf)
	}

	// The device says stop, then sends data; the control character must not
	// reach the driver.
	if _, err := pair.Write([]byte("a\x13b")); err != nil {
		t.Fatal(err)
	}
	if s := collect(2); s != "ab" {
		t.Fatalf("read %q, want %q", s, "ab")
	}

	wrote := make(chan error, 1)
	go func() {
		_, err := rw.Write([]byte("HELLO"))
		wrote <- err
	}()
	master := pair.Master()
	master.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 16)
	if n, err := master.Read(buf); err == nil {
		t.Fatalf("device received %q while it had sent XOFF", buf[:n])
	}
	select {
	case err := <-wrote:
		t.Fatalf("Write returned (%v) while held by XOFF", err)
	default:
	}

	// XON (with data around it) releases the write.
	if _, err := pair.Write([]byte("c\x11d")); err != nil {
		t.Fatal(err)
	}
	if s := collect(2); s != "cd" {
		t.Fatalf("read %q, want %q", s, "cd")
	}
	master.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.ReadFull(master, buf[:5]); err != nil || string(buf[:5]) != "HELLO" {
		t.Fatalf("device got %q, %v; want HELLO", buf[:5], err)
	}
	if err := <-wrote; err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func TestSerialXoffWriteUnblockedByClose(t *testing.T) {
	pair, rw := openSerial(t, SerialOptions{Flow: FlowXonXoff})
	pair.Write([]byte{xoff, 'z'})
	readFull(t, rw, 1, 2*time.Second)
	wrote := make(chan error, 1)
	go func() {
		_, err := rw.Write([]byte("held"))
		wrote <- err
	}()
	time.Sleep(50 * time.Millisecond)
	rw.Close()
	select {
	case err := <-wrote:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Write after Close = %v, want net.ErrClosed", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Close did not release a write held by XOFF")
	}
}

func TestSerialCloseUnblocksRead(t *testing.T) {
	_, rw := openSerial(t, SerialOptions{}) // default 1s poll: Close must not wait for it
	done := make(chan error, 1)
	go func() {
		_, err := rw.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	rw.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Read after Close = %v, want net.ErrClosed", err)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("Read took %v to return after Close", d)
		}
	case <-time.After(time.Second):
		t.Fatal("Close did not unblock Read within 1s")
	}
}

func TestSerialUnplugEndsRead(t *testing.T) {
	pair, rw := openSerial(t, SerialOptions{})
	done := make(chan error, 1)
	go func() {
		_, err := rw.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	pair.Unplug()
	select {
	case err := <-done:
		if !errors.Is(err, ErrDeviceGone) {
			t.Errorf("Read after unplug = %v, want ErrDeviceGone", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Read did not notice the unplugged device")
	}
}

// A udev symlink re-pointed at another device while the old one stays up
// (two adapters swapped) is noticed by the presence check between reads.
func TestSerialPathRepointed(t *testing.T) {
	pair, rw := openSerial(t, SerialOptions{ReadTimeout: 20 * time.Millisecond})
	other := ptytest.New(t, filepath.Join(t.TempDir(), "other"))
	if err := os.Remove(pair.Link()); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other.SlaveName(), pair.Link()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := rw.Read(make([]byte, 8))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrDeviceGone) {
			t.Errorf("Read = %v, want ErrDeviceGone", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("re-pointed device path not noticed")
	}
}

// BenchmarkSerialThroughput pushes 64 KiB chunks from the pty master through
// the serial transport (the direction SMDR and fax data flow); SetBytes makes
// the benchmark report MB/s.
func BenchmarkSerialThroughput(b *testing.B) {
	pair, rw := openSerial(b, SerialOptions{})
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	errc := make(chan error, 1)
	b.SetBytes(int64(len(chunk)))
	b.ResetTimer()
	go func() {
		for i := 0; i < b.N; i++ {
			if _, err := pair.Write(chunk); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	buf := make([]byte, 64<<10)
	want := int64(b.N) * int64(len(chunk))
	var got int64
	for got < want {
		n, err := rw.Read(buf)
		if err != nil {
			b.Fatal(err)
		}
		got += int64(n)
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
}
