package console

import (
	"context"
	"net/http"
	"testing"

	"switchboard/internal/operators"
)

// A change to an operator made outside this console (the command line's
// `switchboard operator disable|role|reset`, which writes the store and
// cannot reach the daemon's sessions) ends the operator's open sessions
// within recheckEvery; a change that takes nothing away (another
// operator's, or a wrong PIN typed for this one) ends none.
func TestSessionsFollowChangesMadeElsewhere(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(ops *operators.Store, f *fixture) error
		ends   bool
	}{
		{"disabled", func(ops *operators.Store, f *fixture) error {
			return ops.As("cli").Disable(context.Background(), "0003", f.clock.now())
		}, true},
		{"demoted", func(ops *operators.Store, f *fixture) error {
			return ops.As("cli").SetRole(context.Background(), "0003", operators.RoleOperator, f.clock.now())
		}, true},
		{"given a one-time PIN", func(ops *operators.Store, f *fixture) error {
			return ops.As("cli").Reset(context.Background(), "0003", "8642", f.clock.now())
		}, true},
		{"another operator disabled", func(ops *operators.Store, f *fixture) error {
			return ops.As("cli").Disable(context.Background(), "0001", f.clock.now())
		}, false},
		{"a wrong PIN typed for it", func(ops *operators.Store, f *fixture) error {
			_, err := ops.Verify(context.Background(), "0003", "9999", f.clock.now())
			if err == nil {
				t.Fatal("a wrong PIN was accepted")
			}
			return nil
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, false, nil)
			b := f.browser(t)
			if res, _ := b.signIn("0003", "1234"); res.code != http.StatusSeeOther {
				t.Fatalf("sign-in: %d", res.code)
			}
			if err := tc.change(f.ops, f); err != nil {
				t.Fatal(err)
			}
			// Within recheckEvery the session is not read again.
			if res := b.do("GET", "/", nil); res.code != http.StatusOK {
				t.Fatalf("right after the change: %d", res.code)
			}
			f.clock.add(recheckEvery)
			res := b.do("GET", "/", nil)
			ended := res.code == http.StatusSeeOther
			if ended != tc.ends {
				t.Fatalf("after %s: status %d; want the session ended: %v", recheckEvery, res.code, tc.ends)
			}
			if api := b.do("GET", "/rooms/cells", nil); tc.ends && api.code == http.StatusOK {
				t.Fatal("an ended session still reads the console")
			}
		})
	}
}
