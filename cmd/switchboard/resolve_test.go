package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/folio"
	"switchboard/internal/store"
)

// TestCallResolveCLI: `switchboard call resolve` settles a flagged call
// through the running gateway (its router has call.resolve because the
// daemon wires it), once: a second resolution is refused naming the first.
func TestCallResolveCLI(t *testing.T) {
	cfgPath, g, run := siteGateway(t)
	ctx := context.Background()
	attachCallResolve(g, discardLogger())
	// A call from vacant room 1210: flagged, not posted.
	calls := folio.NewDesk(resolveHost{g: g, log: discardLogger()}, g.Biller)
	start := time.Now().Add(-time.Hour)
	err := g.Store().InTx(ctx, func(tx *store.Tx) error {
		_, err := calls.PostCall(tx, desk.Record{Device: desk.Device{ID: "pbx1", Domain: "pbx"}, FrameID: 1, Key: "c1"},
			events.CallRecord{Kind: events.KindCall, Direction: events.Outgoing, Start: start, End: start.Add(65 * time.Second), DurationS: 65,
				Extension: "1210", Dialed: "9013912345678"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	run()
	for _, tc := range []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{}, 2, "", "usage"},
		{[]string{"pbx1/c1"}, 1, "", "data.action: required"}, // the gateway checks the fields
		{[]string{"pbx1/none", "--action", "write-off", "--reason", "x"}, 1, "", "no call"},
		{[]string{"pbx1/c1", "--action", "post", "--room", "1203", "--reason", "x"}, 1, "", "has no stay"},
		// Its "accepted" is not waited for: a command done at once may be
		// completed before the CLI reads the accepted reply.
		{[]string{"pbx1/c1", "--action", "write-off", "--reason", "house phone"}, 0, `"action":"write-off"`, ""},
		{[]string{"pbx1/c1", "--action", "write-off", "--reason", "house phone"}, 1, "", "resolved already: write-off by"},
	} {
		var out, errw bytes.Buffer
		args := append([]string{"call", "resolve"}, tc.args...)
		code := dispatch(append(args, "--config", cfgPath), &out, &errw)
		if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errw.String(), tc.err) {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, code, tc.code, out.String(), errw.String())
		}
	}
}
