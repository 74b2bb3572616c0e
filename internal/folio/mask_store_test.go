package folio

import "testing"

func TestMaskStored(t *testing.T) {
	for _, tc := range []struct {
		name              string
		mask              int
		dialed, raw       string
		wantDial, wantRaw string
	}{
		{"mask off", 0, "13912345678", "12/04 10:23 1203 13912345678 00:03:12", "13912345678", "12/04 10:23 1203 13912345678 00:03:12"},
		{"number in the line", 7, "13912345678", "12/04 10:23 1203 13912345678 00:03:12", "1391234****", "12/04 10:23 1203 1391234**** 00:03:12"},
		{"number twice", 4, "0012125551234", "0012125551234|0012125551234", "0012*********", "0012*********|0012*********"},
		{"number spaced in the line", 4, "13912345678", "1203 139 1234 5678 20261204", "1391*******", "1203 139 1*** **** 20261204"},
		{"number not in the line: long digit runs masked", 4, "13912345678", "1203 (withheld) 20261204", "1391*******", "1203 (withheld) 2026****"},
		{"no line", 7, "13912345678", "", "1391234****", ""},
		{"short number kept", 7, "65123", "1203 65123", "65123", "1203 65123"},
		{"masked twice: unchanged", 7, "1391234****", "1203 1391234****", "1391234****", "1203 1391234****"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &Biller{Mask: tc.mask}
			d, r := b.MaskStored(tc.dialed, tc.raw)
			if d != tc.wantDial || r != tc.wantRaw {
				t.Errorf("MaskStored(%q, %q) = %q, %q; want %q, %q", tc.dialed, tc.raw, d, r, tc.wantDial, tc.wantRaw)
			}
		})
	}
}
