package pbx

import (
	"testing"

	"switchboard/internal/profile"
)

// A record printed twice in one session is one call where the profile's
// records carry the PBX's call identity (Avaya's Call ID: a reprinted
// buffer must not bill again), and two calls where they carry none (two
// guests' identical calls in one minute).
func TestRecordKeysByIdentity(t *testing.T) {
	cases := []struct {
		profile string
		record  string
		unique  bool
	}{
		{"avaya-ipoffice", "2026/12/04 19:51:19,00:00:51,2,1012,O,827,827,,1,1000389,0,E1012,Extn1012,E827,Extn827,0,0,,,,,,,,,,,,,", true},
		{"panasonic-kx-tda", "12/04/26 12:39PM 123   09 110", false},
		{"nec-neax", "", false},
		{"asterisk-csv", "", false}, // uniqueid is not required: a row may lack it
	}
	for _, tc := range cases {
		p, err := profile.Lookup(tc.profile)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.UniqueRecords(); got != tc.unique {
			t.Errorf("%s: UniqueRecords = %v, want %v", tc.profile, got, tc.unique)
		}
		if tc.record == "" {
			continue
		}
		seen := occurrences{}
		first, again := seen.key([]byte(tc.record), p.UniqueRecords()), seen.key([]byte(tc.record), p.UniqueRecords())
		if (first == again) != tc.unique {
			t.Errorf("%s: keys %s then %s (one call: %v)", tc.profile, first, again, tc.unique)
		}
		if fresh := (occurrences{}).key([]byte(tc.record), p.UniqueRecords()); fresh != first {
			t.Errorf("%s: a new session's first key %s, the first session's %s: a replay after a reconnect would bill again", tc.profile, fresh, first)
		}
	}
}
