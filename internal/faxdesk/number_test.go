package faxdesk

import (
	"errors"
	"strings"
	"testing"

	"switchboard/internal/bus"
)

// TestCheckNumber: numbers as a guest writes them, in Shanghai (area 21):
// what the modem dials and how the quote classes them, or why the number
// cannot receive a fax.
func TestCheckNumber(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	for _, tc := range []struct {
		name, to                    string
		dial, canonical, kind, zone string
		problem                     string // a refusal's reason contains it
	}{
		{name: "local", to: "6512 3456", dial: "65123456", canonical: "862165123456", kind: "local", zone: "domestic"},
		{name: "national", to: "010 6512 3456", dial: "01065123456", canonical: "861065123456", kind: "national", zone: "domestic"},
		{name: "own area dialled nationally", to: "021-6512-3456", dial: "65123456", canonical: "862165123456", kind: "national", zone: "domestic"},
		{name: "own country dialled abroad", to: "+86 10 6512 3456", dial: "01065123456", canonical: "861065123456", kind: "national", zone: "domestic"},
		{name: "international", to: "+81 3 1234 5678", dial: "0081312345678", canonical: "81312345678", kind: "international", zone: "international"},
		{name: "international by prefix", to: "0044 20 7946 0018", dial: "00442079460018", canonical: "442079460018", kind: "international", zone: "international"},
		{name: "too short", to: "6512", problem: "fits no rule"},
		{name: "short service", to: "12", problem: "service"},
		{name: "area code alone", to: "021", problem: ""},
		{name: "international too short", to: "0021 1", problem: "7 to 15"},
		{name: "international too long", to: "+1 234 567 890 123 456", problem: "7 to 15"},
		{name: "extension", to: "1203", problem: "extension"},
		{name: "emergency", to: "119", problem: "emergency"},
		{name: "letters", to: "abc", problem: "not a fax number"},
		{name: "empty", to: " ", problem: "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := r.d.checkNumber(tc.to)
			if tc.dial == "" {
				var fe *bus.FieldError
				if !errors.As(err, &fe) || fe.Field != "data.to" || !strings.Contains(fe.Problem, tc.problem) {
					t.Fatalf("%q: %+v, %v; want a data.to refusal saying %q", tc.to, n, err, tc.problem)
				}
				return
			}
			if err != nil || n.dial != tc.dial || n.canonical != tc.canonical || n.kind != tc.kind || n.zone != tc.zone || n.destination == "" {
				t.Fatalf("%q: %+v, %v; want dial %s canonical %s %s %s", tc.to, n, err, tc.dial, tc.canonical, tc.kind, tc.zone)
			}
		})
	}
}
