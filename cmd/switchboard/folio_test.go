package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"switchboard/internal/folio/stays"
)

// TestFolioCLI: `switchboard folio checkin|move|checkout|list` through a
// running gateway without a hotel link (a hotel without a PMS link): the
// guest moves rooms with the stay, and the refusals say which room is wrong.
func TestFolioCLI(t *testing.T) {
	cfgPath, g, run := siteGateway(t)
	run()
	ctx := context.Background()
	for _, tc := range []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"checkin", "1203", "--reservation", "R7", "--name", "Tan Wei"}, 0, `"room":"1203"`, ""},
		{[]string{"move", "1203"}, 2, "", "switchboard folio move FROM TO"},
		{[]string{"move", "1205", "1206"}, 1, "", "data.from"}, // vacant
		{[]string{"move", "1203", "1203"}, 1, "", "the same room"},
		{[]string{"move", "1203", "1204"}, 0, `"to":"1204"`, ""},
		{[]string{"list"}, 0, "1204   R7", ""},
		{[]string{"checkout", "1204"}, 0, `"room":"1204"`, ""},
	} {
		var out, errw bytes.Buffer
		code := dispatch(append(append([]string{"folio"}, tc.args...), "--config", cfgPath), &out, &errw)
		if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errw.String(), tc.err) {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, code, tc.code, out.String(), errw.String())
		}
	}
	if st, err := stays.Current(ctx, g.Store(), "1203"); err != nil || st != nil {
		t.Errorf("1203 after the move: %+v %v", st, err)
	}
	if occupied, err := stays.Occupied(ctx, g.Store()); err != nil || len(occupied) != 0 {
		t.Errorf("stays open after the check-out: %+v %v", occupied, err)
	}
}
