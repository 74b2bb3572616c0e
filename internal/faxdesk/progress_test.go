package faxdesk

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/schemas"
)

// pageByPage is a call that reports each page's answer through OnPage as
// a modem driver does, then returns the result: answers lists the
// receiver's response to each send, in order (RTN: the same page goes
// again). seen gets the job's page events in the store at each report,
// so a test can tell they were committed during the call.
func pageByPage(t *testing.T, r *rig, seen *[]int, answers ...fax.PostPageResponse) func(fax.SendJob, time.Time) (fax.SendResult, error) {
	return func(job fax.SendJob, at time.Time) (fax.SendResult, error) {
		res := fax.SendResult{Number: job.Number, Pages: len(job.Pages), BitRate: 9600, Start: at, Duration: 60 * time.Second}
		page, try := 1, 0
		for _, a := range answers {
			try++
			p := fax.PageProgress{Page: page, Pages: len(job.Pages), Try: try, Code: a, Confirmed: a.Confirmed(), Again: a == fax.RTN,
				BitRate: 9600, Duration: 15 * time.Second}
			if job.OnPage == nil {
				t.Fatal("the desk sent a job without OnPage")
			}
			// The events of the pages before this one are committed while
			// the call goes on (the feed is asynchronous: wait a little).
			deadline := time.Now().Add(5 * time.Second)
			for len(r.events("hotel.fax.page")) < len(*seen) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			*seen = append(*seen, len(r.events("hotel.fax.page")))
			job.OnPage(p)
			if a == fax.RTN {
				continue
			}
			res.PerPage = append(res.PerPage, fax.PageResult{Page: page, Confirmed: p.Confirmed, Code: a, Tries: try, BitRate: 9600, Duration: p.Duration})
			if p.Confirmed {
				res.PagesConfirmed++
			}
			page, try = page+1, 0
		}
		return res, nil
	}
}

// TestPageEventsDuringTheCall: a 3-page fax whose first page is answered
// RTN, sent again and confirmed: each answer is committed as
// hotel.fax.page while the call is on, in order, with its result
// (retrain, then confirmed), the job's page numbers and the pages
// confirmed so far; the job page's view shows them during the call; every
// event of the job passes its schema, and the pages come before
// hotel.fax.sent.
func TestPageEventsDuringTheCall(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	var seen []int
	var during faxdeskView
	var id int64
	call := pageByPage(t, r, &seen, fax.RTN, fax.MCF, fax.MCF, fax.MCF)
	r.modem.next = []func(fax.SendJob, time.Time) (fax.SendResult, error){func(job fax.SendJob, at time.Time) (fax.SendResult, error) {
		res, err := call(job, at)
		// Before the call returns: what the console's job page reads.
		time.Sleep(50 * time.Millisecond)
		during.read(t, r, id)
		return res, err
	}}
	id = r.queue("010 6512 3456", pagesOfText(3))
	r.attemptDue()

	if fmt.Sprint(seen) != "[0 1 2 3]" {
		t.Errorf("page events in the store at each answer: %v, want [0 1 2 3] (committed during the call)", seen)
	}
	pages := r.events("hotel.fax.page")
	var got []string
	for _, p := range pages {
		got = append(got, fmt.Sprintf("%v/%v:%v:%v:%v", p["page"], p["try"], p["result"], p["code"], p["pages_confirmed"]))
		if p["job_id"] != float64(id) || p["attempt"] != float64(1) || p["pages"] != float64(3) || p["device"] != "fax1" || p["room"] != "1203" {
			t.Errorf("page event %v", p)
		}
	}
	if want := "[1/1:retrain:RTN:0 1/2:confirmed:MCF:1 2/1:confirmed:MCF:2 3/1:confirmed:MCF:3]"; fmt.Sprint(got) != want {
		t.Errorf("page events %v, want %s", got, want)
	}
	if during.v.State != faxjobs.Sending || during.v.Confirmed != 3 || len(during.v.Live) != 4 || during.states != "1:MCF:true 2:MCF:true 3:MCF:true" {
		t.Errorf("job view during the call: state %s, confirmed %d, %d live, pages %s", during.v.State, during.v.Confirmed, len(during.v.Live), during.states)
	}

	rows, err := r.h.Store().Pending(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, row := range rows {
		if err := schemas.Validate(row.Payload); err != nil {
			t.Errorf("%s (seq %d): %v", row.Type, row.Seq, err)
		}
		var env events.Envelope
		if err := json.Unmarshal(row.Payload, &env); err != nil {
			t.Fatal(err)
		}
		order = append(order, strings.TrimPrefix(row.Type, "hotel.fax."))
		if row.Type == "hotel.fax.page" && !strings.HasPrefix(env.IdemKey, fmt.Sprintf("fax1/fax-job/%d/attempt/1/at/%d/page/", id, r.h.Now().UnixNano())) {
			t.Errorf("page event idemkey %s", env.IdemKey)
		}
	}
	if want := "[quoted page page page page sent]"; fmt.Sprint(order) != want {
		t.Errorf("events %v, want %s", order, want)
	}
	// Once the attempt ended, the view is the job's own record.
	v, err := ReadJob(context.Background(), r.h.Store(), id)
	if err != nil || v.State != faxjobs.Sent || v.Confirmed != 3 || len(v.Live) != 0 {
		t.Errorf("after the call: %+v %v", v, err)
	}
}

// TestPageEventsSecondAttempt: after a cut attempt, the next one sends the
// pages left; its page events name the job's page numbers and count the
// pages the first attempt confirmed.
func TestPageEventsSecondAttempt(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	var seen []int
	r.modem.next = []func(fax.SendJob, time.Time) (fax.SendResult, error){cutAfter(2), pageByPage(t, r, &seen, fax.MCF)}
	id := r.queue("010 6512 3456", pagesOfText(3))
	r.attemptDue()
	if n := len(r.events("hotel.fax.page")); n != 0 {
		t.Fatalf("%d page events from a driver that reported none", n)
	}
	r.h.Advance(4 * time.Minute)
	r.attemptDue()
	pages := r.events("hotel.fax.page")
	if len(pages) != 1 || pages[0]["page"] != float64(3) || pages[0]["attempt"] != float64(2) || pages[0]["pages_confirmed"] != float64(3) ||
		pages[0]["result"] != fax.PageConfirmed || pages[0]["job_id"] != float64(id) {
		t.Fatalf("second attempt's page events %v", pages)
	}
}

// TestPageEventsAttemptQueuedAgain: a stop cuts an attempt after a page
// answered RTN and before any was confirmed, so the attempt is queued again
// under the same number (faxjobs.Requeue); the next call's answers to the
// same page and try are events of their own, not duplicates of the cut
// call's, and the job view follows the new call only.
func TestPageEventsAttemptQueuedAgain(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	ctx, stop := context.WithCancel(context.Background())
	var seen []int
	first := pageByPage(t, r, &seen, fax.RTN)
	var during faxdeskView
	var id int64
	second := pageByPage(t, r, &seen, fax.MCF, fax.MCF)
	r.modem.next = []func(fax.SendJob, time.Time) (fax.SendResult, error){
		func(job fax.SendJob, at time.Time) (fax.SendResult, error) {
			res, _ := first(job, at)
			stop() // the gateway stops during the call
			res.Error, res.Retryable = "stopped", true
			return res, context.Canceled
		},
		func(job fax.SendJob, at time.Time) (fax.SendResult, error) {
			res, err := second(job, at)
			time.Sleep(50 * time.Millisecond)
			during.read(t, r, id)
			return res, err
		},
	}
	id = r.queue("010 6512 3456", pagesOfText(2))
	due, err := faxjobs.Due(context.Background(), r.h.Store(), r.h.Now())
	if err != nil || len(due) != 1 {
		t.Fatalf("due %v %v", due, err)
	}
	r.d.attempt(ctx, due[0])
	if j, err := faxjobs.GetJob(context.Background(), r.h.Store(), id); err != nil || j.State != faxjobs.Retry || j.Attempts != 0 {
		t.Fatalf("after the stop: %+v %v", j, err)
	}
	r.h.Advance(time.Second)
	r.attemptDue()
	var got []string
	for _, p := range r.events("hotel.fax.page") {
		got = append(got, fmt.Sprintf("%v/%v/%v:%v", p["attempt"], p["page"], p["try"], p["result"]))
	}
	if want := "[1/1/1:retrain 1/1/1:confirmed 1/2/1:confirmed]"; fmt.Sprint(got) != want {
		t.Errorf("page events %v, want %s", got, want)
	}
	if during.states != "1:MCF:true 2:MCF:true" || len(during.v.Live) != 2 {
		t.Errorf("job view during the second call: %s, %d live", during.states, len(during.v.Live))
	}
}

// faxdeskView is the job view read during a call, with its pages.
type faxdeskView struct {
	v      JobView
	states string
}

func (f *faxdeskView) read(t *testing.T, r *rig, id int64) {
	v, err := ReadJob(context.Background(), r.h.Store(), id)
	if err != nil {
		t.Errorf("job view during the call: %v", err)
		return
	}
	var s []string
	for _, p := range v.PerPage {
		s = append(s, fmt.Sprintf("%d:%s:%v", p.Page, p.Code, p.Confirmed))
	}
	f.v, f.states = v, strings.Join(s, " ")
}
