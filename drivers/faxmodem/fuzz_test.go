package faxmodem

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"
)

func FuzzParseFrame(f *testing.F) {
	f.Add([]byte{0xff, 0x13, 0x84, 0xea, 0x7d})
	f.Add([]byte{0xff, 0x13, 0x80, 0x00, 0xce, 0xf8, 0x80, 0x80, 0x91, 0x80, 0x80, 0x80, 0x18, 0x41, 0xa0})
	f.Add([]byte{0xff, 0x03})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := ParseFrame(b)
		if err != nil {
			return
		}
		_ = describe(fr)
		if len(fr.FIF)+3 > len(b) {
			t.Fatalf("FIF longer than the input")
		}
	})
}

func FuzzParseDIS(f *testing.F) {
	f.Add([]byte{0x00, 0xce, 0xf8, 0x80, 0x80, 0x91, 0x80, 0x80, 0x80, 0x18})
	f.Add([]byte{0x00, 0xee, 0xf0, 0x44})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseDIS(b)
		if err != nil {
			return
		}
		_ = c.String()
		// what we encode from it must parse to the same capabilities
		c2, err := ParseDIS(c.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if !capsEqual(c, c2) {
			t.Fatalf("%+v -> %+v", c, c2)
		}
		_, _ = ParseDCS(b)
	})
}

type readOnly struct{ io.Reader }

func (readOnly) Write(p []byte) (int, error) { return len(p), nil }
func (readOnly) Close() error                { return nil }

// FuzzResponseReader feeds arbitrary modem output to the AT layer: lines,
// result codes, DLE-shielded data. It must never panic or hang.
func FuzzResponseReader(f *testing.F) {
	f.Add([]byte("\r\nOK\r\n"))
	f.Add([]byte("\r\nRING\r\n\r\nCONNECT\r\n\xff\x13\x84\x10\x10\x10\x03\r\nOK\r\n"))
	f.Add([]byte("AT+FCLASS=?\r0,1,1.0\r\nOK\r\n"))
	f.Add([]byte("\x10"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// A modem's burst between two commands is a few kilobytes; a larger
		// input only fills the reader's queue and slows the fuzzer down.
		if len(b) > 8192 {
			return
		}
		m := NewModem(readOnly{bytes.NewReader(b)}, DefaultProfile(), nil)
		ctx := context.Background()
		for i := 0; i < 4; i++ {
			if _, _, err := m.response(ctx, "AT", 2*time.Millisecond); err != nil {
				break
			}
			if _, _, err := m.ReceiveData(ctx, 2*time.Millisecond, 5*time.Millisecond); err != nil {
				break
			}
		}
	})
}
