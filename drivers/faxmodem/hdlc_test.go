package faxmodem

import (
	"bytes"
	"errors"
	"testing"
)

func TestDLEStuffing(t *testing.T) {
	for _, tc := range []struct{ in, out []byte }{
		{[]byte{1, 2, 3}, []byte{1, 2, 3}},
		{[]byte{0x10}, []byte{0x10, 0x10}},
		{[]byte{0x10, 0x03}, []byte{0x10, 0x10, 0x03}},
		{[]byte{0x10, 0x10}, []byte{0x10, 0x10, 0x10, 0x10}},
	} {
		if got := stuffDLE(nil, tc.in); !bytes.Equal(got, tc.out) {
			t.Errorf("stuff % x = % x, want % x", tc.in, got, tc.out)
		}
	}
}

func TestDLEDecoder(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		out  []byte
		used int
		done bool
	}{
		{"plain", []byte{1, 2}, []byte{1, 2}, 2, false},
		{"DLE DLE", []byte{0x10, 0x10, 5}, []byte{0x10, 5}, 3, false},
		{"DLE ETX ends", []byte{7, 0x10, 0x03, 'O', 'K'}, []byte{7}, 3, true},
		{"DLE SUB", []byte{0x10, 0x1a}, []byte{0x10, 0x10}, 2, false},
		{"other DLE dropped", []byte{0x10, 0x2e, 9}, []byte{9}, 3, false},
	} {
		var d dleDecoder
		var out []byte
		used := d.feed(&out, tc.in)
		if !bytes.Equal(out, tc.out) || used != tc.used || d.done != tc.done {
			t.Errorf("%s: out % x used %d done %v", tc.name, out, used, d.done)
		}
	}
	// a DLE split across reads
	var d dleDecoder
	var out []byte
	d.feed(&out, []byte{1, 0x10})
	d.feed(&out, []byte{0x03})
	if !d.done || !bytes.Equal(out, []byte{1}) {
		t.Errorf("split DLE ETX: % x %v", out, d.done)
	}
}

func TestParseFrame(t *testing.T) {
	// recorded from spandsp's T.31: the FCS follows the frame (T.31 §8.3.5.2)
	f, err := ParseFrame([]byte{0xff, 0x13, 0x84, 0xea, 0x7d})
	if err != nil || f.Type() != FcfCFR || !f.Final || len(f.FIF) != 0 {
		t.Errorf("CFR with FCS: %+v %v", f, err)
	}
	// the same without FCS
	f, err = ParseFrame([]byte{0xff, 0x13, 0x84})
	if err != nil || f.Type() != FcfCFR {
		t.Errorf("CFR: %+v %v", f, err)
	}
	// DIS with FCS
	f, err = ParseFrame([]byte{0xff, 0x13, 0x80, 0x00, 0xce, 0xf8, 0x80, 0x80, 0x91, 0x80, 0x80, 0x80, 0x18, 0x41, 0xa0})
	if err != nil || f.FCF != byte(FcfDIS) || len(f.FIF) != 10 {
		t.Errorf("DIS: %+v %v", f, err)
	}
	for _, tc := range []struct {
		in  []byte
		err error
	}{
		{[]byte{0xff, 0x13}, ErrShortFrame},
		{[]byte{0x7f, 0x13, 0x84}, ErrBadAddress},
		{[]byte{0xff, 0x23, 0x84}, ErrBadControl},
	} {
		if _, err := ParseFrame(tc.in); !errors.Is(err, tc.err) {
			t.Errorf("% x: %v, want %v", tc.in, err, tc.err)
		}
	}
	// Bytes and FCS round trip
	fr := Frame{FCF: byte(FcfDCS) | 1, FIF: []byte{0, 0x46, 0x70}, Final: true}
	back, err := ParseFrame(appendFCS(fr.Bytes()))
	if err != nil || back.FCF != fr.FCF || !bytes.Equal(back.FIF, fr.FIF) || !back.Final {
		t.Errorf("round trip %+v %v", back, err)
	}
}

func TestCRCKnownValue(t *testing.T) {
	// the CFR above: FCS ea 7d recorded on the line
	if got := appendFCS([]byte{0xff, 0x13, 0x84}); !bytes.Equal(got[3:], []byte{0xea, 0x7d}) {
		t.Errorf("FCS % x", got[3:])
	}
}
