package rating

import (
	"errors"
	"testing"
)

func TestMoney(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"0", "0.00"}, {"12.34", "12.34"}, {"1", "1.00"}, {"0.042", "0.042"}, {"-1.5", "-1.50"},
		{"0.000001", "0.000001"}, {"+3.10", "3.10"}, {".5", "0.50"},
	} {
		m, err := ParseMoney(tc.in)
		if err != nil || m.String() != tc.out {
			t.Errorf("%q: %s %v, want %s", tc.in, m, err, tc.out)
		}
	}
	for _, bad := range []string{"", "1.0000001", "1,5", "abc", "-", "1e3", "."} {
		if _, err := ParseMoney(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, tc := range []struct {
		in   string
		dec  int
		mode RoundingMode
		out  string
	}{
		{"0.125", 2, HalfUp, "0.13"}, {"0.125", 2, HalfEven, "0.12"}, {"0.135", 2, HalfEven, "0.14"},
		{"0.121", 2, Up, "0.13"}, {"0.129", 2, Down, "0.12"}, {"1.26", 1, Up, "1.30"}, {"1.25", 0, HalfUp, "1.00"},
		{"-0.125", 2, HalfUp, "-0.13"}, {"0.12", 2, Up, "0.12"},
	} {
		if got := MustMoney(tc.in).Round(tc.dec, tc.mode).String(); got != tc.out {
			t.Errorf("%s round %d %s: %s, want %s", tc.in, tc.dec, tc.mode, got, tc.out)
		}
	}
	if got := MustMoney("12.345").Minor(2, HalfEven); got != 1234 {
		t.Errorf("minor %d", got)
	}
	if got := MustMoney("0.07").Pct(60 * Hundred / 100).String(); got != "0.042" {
		t.Errorf("60%% of 0.07 = %s", got)
	}
	for _, tc := range []struct{ in, out string }{{"60%", "60%"}, {"6.5", "6.5%"}, {"100 %", "100%"}, {"0", "0%"}} {
		p, err := ParsePercent(tc.in)
		if err != nil || p.String() != tc.out {
			t.Errorf("percent %q: %s %v", tc.in, p, err)
		}
	}
}

func TestNormalize(t *testing.T) {
	s := ChinaSite("10")
	s.Internal = []Range{{From: "2000", To: "2999"}, {From: "8000", To: "8999"}}
	// Only the access codes the SMDR really prints: with both "9" and "0",
	// "0081..." would read as access 0 + national 081... (docs/tariffs.md).
	s.TrunkAccess = []string{"9"}
	tests := []struct {
		in     string
		digits string
		kind   Kind
	}{
		{"90081312345678", "81312345678", KindInternational},
		{"0081312345678", "81312345678", KindInternational}, // no access code: 00 stays the international prefix
		{"9+81312345678", "81312345678", KindInternational},
		{"+81 3 1234 5678", "81312345678", KindInternational},
		{"901012345678", "861012345678", KindNational},
		{"9021-6123 4567", "862161234567", KindNational},
		{"913912345678", "8613912345678", KindMobile},
		{"9013912345678", "8613912345678", KindMobile},
		{"962345678", "861062345678", KindLocal},
		{"96234567", "861062345678"[:11], KindLocal},
		{"9110", "86110", KindEmergency},
		{"120", "86120", KindEmergency},
		{"94008001234", "864008001234", KindFree},
		{"98001234567", "868001234567", KindFree},
		{"910000", "8610000", KindService},
		{"9114", "86114", KindService},
		{"2105", "2105", KindInternal},
		{"8888", "8888", KindInternal},
		{"9P62345678", "861062345678", KindLocal},
		{"9,,0081312345678F", "81312345678", KindInternational},
		{"96234XXXX", "8610" + "6234", KindUnknown},
		{"9=0.21.12345678", "862112345678", KindNational},
	}
	for _, tc := range tests {
		n, err := s.Normalize(tc.in)
		if err != nil || n.Digits != tc.digits || n.Kind != tc.kind {
			t.Errorf("%q: %q %s %v, want %q %s", tc.in, n.Digits, n.Kind, err, tc.digits, tc.kind)
		}
	}
	for _, bad := range []string{"", "*72#", "P", "900", "12+3", "1234567890123456789012345"} {
		if n, err := s.Normalize(bad); !errors.Is(err, ErrNotANumber) {
			t.Errorf("%q: %+v %v, want ErrNotANumber", bad, n, err)
		}
	}
}

// TestNormalizeOutsideInAThreeDigitHotel: rooms 101-999 make 110, 119, 120
// and 122 extensions too. A call the PBX sent out never reads as one: the
// extension ranges decide only what stayed inside.
func TestNormalizeOutsideInAThreeDigitHotel(t *testing.T) {
	s := ChinaSite("21")
	s.Internal = []Range{{From: "101", To: "999"}}
	s.TrunkAccess = []string{"9", "0"}
	tests := []struct {
		in      string
		outside bool
		digits  string
		kind    Kind
	}{
		{"110", true, "86110", KindEmergency},
		{"9110", true, "86110", KindEmergency},
		{"0119", true, "86119", KindEmergency}, // access code 0
		{"120", true, "86120", KindEmergency},
		{"122", true, "86122", KindEmergency},
		{"112", true, "86112", KindEmergency},
		{"110", false, "110", KindInternal}, // room 110, called from room 123
		{"123", false, "123", KindInternal},
		{"962345678", true, "862162345678", KindLocal},
	}
	for _, tc := range tests {
		n, err := s.normalize(tc.in, tc.outside)
		if err != nil || n.Digits != tc.digits || n.Kind != tc.kind {
			t.Errorf("%q outside=%v: %q %s %v, want %q %s", tc.in, tc.outside, n.Digits, n.Kind, err, tc.digits, tc.kind)
		}
	}
	if n, _ := s.NormalizeOutside("110"); n.Kind != KindEmergency {
		t.Errorf("NormalizeOutside(110) = %s", n.Kind)
	}
	if n, _ := s.Normalize("110"); n.Kind != KindInternal {
		t.Errorf("Normalize(110) = %s", n.Kind)
	}
}
