package console

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCallsPageKeepsToItsDay: the call log of a day lists that day's calls
// and flagged calls, never a later day's (the page read from the newest
// call of the ledger until the 400-day benchmark showed a year-old day
// listing today's calls).
func TestCallsPageKeepsToItsDay(t *testing.T) {
	f := newFixture(t, false, nil)
	now := f.clock.now()
	days := []time.Time{now.AddDate(0, 0, -2), now.AddDate(0, 0, -1), now}
	for d, at := range days {
		addCalls(t, f.st,
			// The extension names the call: the page shows it.
			loggedCall(fmt.Sprintf("c%d", 2*d), at.Add(-time.Hour), fmt.Sprintf("plain-%d", d), "90213456789", "local", "[]", true),
			loggedCall(fmt.Sprintf("c%d", 2*d+1), at.Add(-2*time.Hour), fmt.Sprintf("flagged-%d", d), "90213456789", "local", `["vacant-room"]`, false))
	}
	op := f.browser(t)
	op.signIn("0001", "1234")
	for _, tc := range []struct {
		path string
		want int // the day whose calls the page lists
	}{
		{"/calls", 2},
		{"/calls?day=" + days[1].Format(time.DateOnly), 1},
		{"/calls?day=" + days[0].Format(time.DateOnly), 0},
		// A cursor past the day's end is the day's newest end.
		{fmt.Sprintf("/calls?day=%s&before=%d.zz", days[0].Format(time.DateOnly), now.UnixNano()), 0},
	} {
		res := op.do("GET", tc.path, nil)
		if res.code != http.StatusOK {
			t.Fatalf("%s: %d", tc.path, res.code)
		}
		for d := range days {
			for _, kind := range []string{"plain", "flagged"} {
				key := fmt.Sprintf("%s-%d", kind, d)
				if got := strings.Contains(res.body, key); got != (d == tc.want) {
					t.Errorf("%s: lists %s %v, want %v", tc.path, key, got, d == tc.want)
				}
			}
		}
	}
}
