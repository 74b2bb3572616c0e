package faxmodem

import (
	"bytes"
	"testing"
	"time"

	"switchboard/internal/fax/codec"
)

// DIS bits from T.30 Table 2 (bit n is octet (n-1)/8, bit (n-1)%8 from the
// least significant, first transmitted).
func TestParseDIS(t *testing.T) {
	for _, tc := range []struct {
		name string
		fif  []byte
		want Caps
	}{
		// bits 10 (receive), 11-14 = 0,1,0,0 (V.27ter), 21-23 = 0,0,0 (20 ms)
		{"V.27ter only", []byte{0x00, 0x0a, 0x00}, Caps{CanReceive: true, V27: true, ScanTime: 20 * time.Millisecond}},
		// 11-14 = 1,1,0,0: V.27ter and V.29; 15 fine; 16 MR
		{"V.29 fine MR", []byte{0x00, 0xce, 0x00}, Caps{CanReceive: true, V27: true, V29: true, Fine: true, MR: true, ScanTime: 20 * time.Millisecond}},
		// 11-14 = 1,1,0,1: V.17; 21-23 = 1,1,1: 0 ms; 24 extend; 27 ECM; 31 T.6
		{"V.17 ECM MMR", []byte{0x00, 0xee, 0xf0, 0x44}, Caps{CanReceive: true, V27: true, V29: true, V17: true, Fine: true, MR: true, ScanTime: 0, ECM: true, MMR: true}},
		// 21-23 = 0,0,1: 40 ms; 0,1,1 (bits 22, 23): 10 ms halved at fine
		{"40 ms", []byte{0x00, 0x02, 0x40}, Caps{CanReceive: true, V27: true, ScanTime: 40 * time.Millisecond}},
		{"10 ms half", []byte{0x00, 0x02, 0x60}, Caps{CanReceive: true, V27: true, ScanTime: 10 * time.Millisecond, ScanHalfFine: true}},
		// 17-18 = 0,1 widths 215/255/303; 19-20 = 0,1 unlimited
		{"widths", []byte{0x00, 0x0a, 0x0a}, Caps{CanReceive: true, V27: true, Width: 2, Length: 2, ScanTime: 20 * time.Millisecond}},
		// recorded from spandsp (faxpeer --max-rate 9600)
		{"spandsp 9600", []byte{0x00, 0xce, 0xf8, 0x80, 0x80, 0x91, 0x80, 0x80, 0x80, 0x18}, Caps{CanReceive: true, V27: true, V29: true, Fine: true, MR: true, Length: 2, ScanTime: 0, Superfine: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDIS(tc.fif)
			if err != nil {
				t.Fatal(err)
			}
			got.Raw = nil
			if !capsEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if _, err := ParseDIS([]byte{0, 1}); err == nil {
		t.Error("short DIS accepted")
	}
}

func capsEqual(a, b Caps) bool {
	a.Raw, b.Raw = nil, nil
	return a.CanTransmit == b.CanTransmit && a.CanReceive == b.CanReceive && a.V27 == b.V27 && a.V29 == b.V29 &&
		a.V17 == b.V17 && a.Fine == b.Fine && a.MR == b.MR && a.Width == b.Width && a.Length == b.Length &&
		a.ScanTime == b.ScanTime && a.ScanHalfFine == b.ScanHalfFine && a.ECM == b.ECM && a.MMR == b.MMR &&
		a.Superfine == b.Superfine && a.Uncompressed == b.Uncompressed
}

func TestDISRoundTrip(t *testing.T) {
	for _, c := range []Caps{
		{CanReceive: true, V27: true},
		{CanReceive: true, V27: true, V29: true, Fine: true, MR: true, ScanTime: 10 * time.Millisecond, ScanHalfFine: true},
		{CanReceive: true, V27: true, V29: true, V17: true, Fine: true, MR: true, ECM: true, MMR: true, Length: 2},
		{CanReceive: true, V27: true, V29: true, V17: true, Superfine: true, ScanTime: 5 * time.Millisecond},
	} {
		got, err := ParseDIS(c.Bytes())
		if err != nil || !capsEqual(got, c) {
			t.Errorf("%+v -> % x -> %+v (%v)", c, c.Bytes(), got, err)
		}
	}
}

// DCS bits 11-14 for every modulation (T.30 Table 2, DCS column).
func TestDCSModulations(t *testing.T) {
	want := map[string]byte{ // octet 2 with bit 10 set, fine off
		"V.17 14400": 0x22, "V.17 12000": 0x2a, "V.17 9600": 0x26, "V.17 7200": 0x2e,
		"V.29 9600": 0x06, "V.29 7200": 0x0e, "V.27ter 4800": 0x0a, "V.27ter 2400": 0x02,
	}
	for _, m := range Modulations {
		s := Session{Mod: m, ScanTime: 20 * time.Millisecond}
		b := s.Bytes()
		if b[1] != want[m.Name] {
			t.Errorf("%s: octet 2 %#02x, want %#02x", m.Name, b[1], want[m.Name])
		}
		back, err := ParseDCS(b)
		if err != nil || back.Mod.Name != m.Name {
			t.Errorf("%s: back %v %v", m.Name, back.Mod.Name, err)
		}
	}
}

func TestDCSRoundTrip(t *testing.T) {
	for _, s := range []Session{
		{Mod: Modulations[0], Fine: true, Scheme: codec.MR, ScanTime: 0},
		{Mod: Modulations[3], Scheme: codec.MH, ScanTime: 40 * time.Millisecond, Width: 0},
		{Mod: Modulations[0], Fine: true, Scheme: codec.MMR, ECM: true, ScanTime: 0},
		{Mod: Modulations[6], ECM: true, Frame64: true, ScanTime: 10 * time.Millisecond},
	} {
		got, err := ParseDCS(s.Bytes())
		got.Raw = nil
		if err != nil || got.Mod.Name != s.Mod.Name || got.Fine != s.Fine || got.Scheme != s.Scheme ||
			got.ECM != s.ECM || got.Frame64 != s.Frame64 || got.ScanTime != s.ScanTime {
			t.Errorf("%v -> % x -> %v (%v)", s, s.Bytes(), got, err)
		}
	}
	// recorded from spandsp: V.17 14400, fine, MR, 0 ms
	got, err := ParseDCS([]byte{0x00, 0xe2, 0x74})
	if err != nil || got.Mod.BPS != 14400 || !got.Fine || got.Scheme != codec.MR || got.ScanTime != 0 {
		t.Errorf("spandsp DCS: %v %v", got, err)
	}
}

func TestIdent(t *testing.T) {
	b := EncodeIdent("+1 212 555 0199")
	want := []byte("     9910 555 212 1+")
	if !bytes.Equal(b, want) {
		t.Errorf("EncodeIdent = %q, want %q", b, want)
	}
	if got := DecodeIdent(b); got != "+1 212 555 0199" {
		t.Errorf("DecodeIdent = %q", got)
	}
	if got := EncodeIdent("+1 (212) 555-0199 ext 12345678901234"); len(got) != 20 {
		t.Errorf("length %d", len(got))
	}
}

func TestFCFNames(t *testing.T) {
	for fcf, name := range map[byte]string{0x80: "DIS", 0x81: "DTC", 0x83: "DCS", 0x82: "DCS", 0x84: "CFR", 0x8d: "MCF", 0xfb: "DCN", 0x4f: "MPS", 0x2e: "EOP", 0x40: "CSI", 0x41: "CIG"} {
		if got := FCF(fcf).Name(); got != name {
			t.Errorf("%#02x: %s, want %s", fcf, got, name)
		}
	}
}
