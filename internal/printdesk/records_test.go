package printdesk

import "testing"

func TestJobIdentity(t *testing.T) {
	for key, want := range map[string]string{
		"urn:uuid:68d2/completed/6":                        "urn:uuid:68d2",
		"prn1/job/3/20261127T100429.000000000Z/canceled/2": "prn1/job/3/20261127T100429.000000000Z",
		"x": "",
	} {
		if got := jobIdentity(key); got != want {
			t.Errorf("jobIdentity(%q) = %q, want %q", key, got, want)
		}
	}
}
