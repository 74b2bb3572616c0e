package console

import (
	"context"
	"net/url"
	"testing"
)

// TestShiftLinksUnansweredCommand: a command the page stopped waiting for
// (fax.send waits only SendWait for "accepted"; the desk may still be
// converting) was sent all the same, so the shift's journal lists it. The
// scripted day (test/console) found the link lost with the wait's context.
func TestShiftLinksUnansweredCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		hang bool
	}{
		{"accepted within the wait", false},
		{"no reply within the wait", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, h, _ := newFaxFixture(t)
			h.hang = tc.hang
			b, tok := signedIn(t, f, "0002")
			res := b.upload("/fax/quote", url.Values{"csrf": {tok}, "device": {"fax1"}, "room": {"1203"}, "to": {"6512 3456"}}, "note.txt", []byte("hello\n"))
			m := tokenField.FindStringSubmatch(res.body)
			if m == nil {
				t.Fatalf("quote: %d, no confirmation token\n%s", res.code, res.body)
			}
			b.do("POST", "/fax/send", url.Values{"csrf": {tok}, "token": {m[1]}})
			if n := len(h.commands()); n != 1 {
				t.Fatalf("%d commands sent, want 1", n)
			}
			ctx := context.Background()
			sh, _, err := f.ops.OpenShift(ctx, "0002", f.clock.now())
			if err != nil {
				t.Fatal(err)
			}
			j, err := f.ops.Journal(ctx, sh.ID, f.clock.now())
			if err != nil {
				t.Fatal(err)
			}
			if len(j.Items) != 1 || j.Items[0].CommandID != "cmd-1" {
				t.Errorf("the shift's journal lists %+v, want the fax.send cmd-1", j.Items)
			}
		})
	}
}
