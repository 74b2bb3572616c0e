package console

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/store"
)

// TestFaxPageProgressLive: while a fax's call is on, the fax desk commits
// each page's answer as hotel.fax.page (type, key and data as
// faxdesk/progress.go writes them). A business-centre clerk's stream
// carries it within a second (a switchboard operator's does not), and the
// job page, read again as live.js does, shows that page confirmed, the
// refused one being sent again, the rest waiting, and the progress bar.
func TestFaxPageProgressLive(t *testing.T) {
	f, _, _ := newFaxFixture(t)
	srv := httptest.NewServer(f.c)
	t.Cleanup(srv.Close)
	now := f.clock.now()
	var id int64
	if err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		if id, err = faxjobs.Enqueue(tx, faxjobs.Job{CommandID: "c1", Device: "fax1", Number: "65123456", Room: "1203", Operator: "0002",
			Document: "x.tif", Pages: 3}, faxjobs.DefaultPolicy(), now); err != nil {
			return err
		}
		ok, err := faxjobs.Claim(tx, id, now) // attempt 1: the modem is on it
		if err == nil && !ok {
			err = fmt.Errorf("job %d not claimed", id)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	clerk, _ := signedIn(t, f, "0002")
	operator, _ := signedIn(t, f, "0001")
	stream, _ := clerk.openStream(srv, "")
	other, _ := operator.openStream(srv, "")
	page := func(n, try int, result, code string, confirmed int) int64 {
		return enqueue(t, f.st, "hotel.fax.page", fmt.Sprintf("fax1/fax-job/%d/attempt/1/at/%d/page/%d/try/%d", id, now.UnixNano(), n, try),
			fax.PageSent{JobID: id, CommandID: "c1", Device: "fax1", Room: "1203", Attempt: 1, Page: n, Pages: 3, PagesConfirmed: confirmed,
				Result: result, Code: code, Try: try, BitRate: 9600, DurationS: 14.2})
	}
	before := clerk.do("GET", fmt.Sprintf("/fax/jobs/%d", id), nil)
	if !strings.Contains(before.body, `<tr class="page-waiting"><td>1</td>`) || !strings.Contains(before.body, `value="0"`) {
		t.Fatalf("before any page, the job page shows:\n%s", before.body)
	}
	time.Sleep(50 * time.Millisecond) // the streams have subscribed
	seq := page(1, 1, fax.PageConfirmed, "MCF", 1)
	m := stream.next(t, time.Second)
	if m.event != "hotel.fax.page" || m.id != fmt.Sprint(seq) || !strings.Contains(m.data, fmt.Sprintf(`"job_id":%d`, id)) ||
		!strings.Contains(m.data, `"result":"confirmed"`) {
		t.Fatalf("the clerk's stream got %+v, want hotel.fax.page %d", m, seq)
	}
	other.quiet(t, 200*time.Millisecond)
	page(2, 1, fax.PageRetrain, "RTN", 1)
	if m := stream.next(t, time.Second); m.event != "hotel.fax.page" {
		t.Fatalf("second page: %+v", m)
	}

	res := clerk.do("GET", fmt.Sprintf("/fax/jobs/%d", id), nil)
	for _, w := range []string{`<tr class="page-confirmed"><td>1</td><td>confirmed</td><td>MCF</td><td>1</td><td>1</td><td>14.2 s</td>`,
		`<tr class="page-retrain"><td>2</td><td>not confirmed, sending again</td><td>RTN</td>`, `<tr class="page-waiting"><td>3</td>`,
		`<td id="job-confirmed">1 / 3 <progress max="3" value="1"`, ">sending<"} {
		if !strings.Contains(res.body, w) {
			t.Errorf("the job page during the call does not show %q:\n%s", w, res.body)
		}
	}
	// Page 2 sent again and confirmed: its last answer wins.
	page(2, 2, fax.PageConfirmed, "MCF", 2)
	res = clerk.do("GET", fmt.Sprintf("/fax/jobs/%d", id), nil)
	if !strings.Contains(res.body, `<tr class="page-confirmed"><td>2</td><td>confirmed</td><td>MCF</td><td>2</td>`) ||
		!strings.Contains(res.body, `value="2"`) {
		t.Errorf("after page 2's second try the job page shows:\n%s", res.body)
	}
}
