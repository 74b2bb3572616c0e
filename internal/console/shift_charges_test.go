package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/internal/operators"
	"switchboard/internal/store"
)

// TestShiftChargesByJob: a fax sent from the console is in the shift
// journal's charges under its fax job, its attempts' charges on one line
// linked to the job's page.
func TestShiftChargesByJob(t *testing.T) {
	f, _, _ := newFaxFixture(t)
	b, tok := signedIn(t, f, "0002")
	res := b.upload("/fax/quote", url.Values{"csrf": {tok}, "device": {"fax1"}, "room": {"1203"}, "to": {"6512 3456"}}, "note.txt", []byte("hello"))
	m := tokenField.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no confirmation token: %d\n%s", res.code, res.body)
	}
	sent := b.do("POST", "/fax/send", url.Values{"csrf": {tok}, "token": {m[1]}})
	var job int64
	if _, err := fmt.Sscanf(sent.header.Get("Location"), "/fax/jobs/%d", &job); err != nil {
		t.Fatalf("send: %d %q", sent.code, sent.header.Get("Location"))
	}
	// The desk bills the job per attempt that confirmed pages.
	now := f.clock.now()
	if err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		for i, minor := range []int64{1200, 1500} {
			if _, err := tx.Exec(`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state,
				amount, amount_minor, currency, tariff, breakdown, seq) VALUES(?,'fax-send','fax1',?,'1203','0002',?,2,'',0,0,'partial','0',?,'CNY','t','[]',1)`,
				fmt.Sprintf("fax1/fax-job/%d/attempt/%d", job, i+1), fmt.Sprintf("fax-job/%d", job), now.Add(time.Duration(i+1)*time.Minute).UnixNano(), minor); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f.clock.add(10 * time.Minute)
	page := b.do("GET", "/shift", nil)
	want := fmt.Sprintf(`<td>fax-send</td><td><a href="/fax/jobs/%d">fax-job/%d</a></td><td>1203</td><td>2</td><td>27.00 CNY</td>`, job, job)
	if page.code != http.StatusOK || !strings.Contains(page.body, want) {
		t.Errorf("the shift page does not list the fax's charges under its job (%s):\n%s", want, page.body)
	}
}

// TestChargeLink: each kind of job a charge names links to its page.
func TestChargeLink(t *testing.T) {
	for _, tc := range []struct {
		c    operators.ChargeItem
		want string
	}{
		{operators.ChargeItem{Ref: "fax-job/12"}, "/fax/jobs/12"},
		{operators.ChargeItem{Ref: "fax/9"}, "/fax/inbox/9"},
		{operators.ChargeItem{Ref: "copy/3"}, "/copy/sessions/3"},
		{operators.ChargeItem{Ref: "print/4", CommandID: "c-1"}, "/print/jobs/c-1"},
		{operators.ChargeItem{Ref: "print/4"}, ""}, // sent by nobody's command: no page finds it
		{operators.ChargeItem{Ref: "other"}, ""},
	} {
		if got := (view{}).ChargeLink(tc.c); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
}
