package faxdesk

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/desk/desktest"
	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/rating"
	"switchboard/tariffs"
)

// riverside is the embedded business tariff renamed, with other fax prices.
func riverside(t *testing.T) *rating.BusinessTariff {
	t.Helper()
	b, err := tariffs.FS.ReadFile("business-center.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y := strings.NewReplacer("tariff: business-center", "tariff: riverside-business",
		"send: {domestic: 5.00, international: 15.00}", "send: {domestic: 7.00, international: 21.00}",
		"receive: 2.00", "receive: 3.50").Replace(string(b))
	return desktest.BusinessTariff(t, y)
}

// pagesOfText is a text document of n fax pages (fine resolution).
func pagesOfText(n int) string { return strings.Repeat("Reservation confirmation\n", 36*n-1) }

// TestQuotePricedFromGivenTariff: the quote prices the pages with the
// desk's tariff, whatever it is, and adds the call; it is stored with the
// job and published as hotel.fax.quoted.
func TestQuotePricedFromGivenTariff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		tariff      *rating.BusinessTariff
		to, zone    string
		tariffName  string
		firstLine   string
		pages       int
		maxAttempts int
	}{
		{"embedded domestic", desktest.BusinessTariff(t, ""), "010 6512 3456", "domestic", "business-center", "units 2 x fax domestic page @ 5.00", 2, 3},
		{"riverside domestic", riverside(t), "010 6512 3456", "domestic", "riverside-business", "units 2 x fax domestic page @ 7.00", 2, 3},
		{"riverside international", riverside(t), "+81 3 1234 5678", "international", "riverside-business", "units 1 x fax international page @ 21.00", 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, Options{Tariff: tc.tariff})
			c := r.command("fax.send", fax.SendData{To: tc.to, Room: "1203", Operator: "op07", Document: base64.StdEncoding.EncodeToString([]byte(pagesOfText(tc.pages)))})
			h := r.h.Handler("fax.send")
			if err := h.Validate(c); err != nil {
				t.Fatal(err)
			}
			res, err := h.(bus.Preparer).Prepare(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			q := res.(fax.Quote)
			if q.Tariff != tc.tariffName || q.Zone != tc.zone || q.Pages != tc.pages || len(q.Breakdown) != 2 || q.Breakdown[0].Step != tc.firstLine ||
				q.Breakdown[1].Step != "call" || q.Amount != q.Breakdown[0].Amount+q.Breakdown[1].Amount || q.MaxAttempts != tc.maxAttempts || q.Unbilled != "" {
				t.Fatalf("quote %+v", q)
			}
			ev := r.events("hotel.fax.quoted")
			if len(ev) != 1 || ev[0]["tariff"] != tc.tariffName || ev[0]["amount"] != q.Amount.String() || ev[0]["job_id"] != float64(q.JobID) {
				t.Fatalf("hotel.fax.quoted %v", ev)
			}
			j, err := faxjobs.GetJob(context.Background(), r.h.Store(), q.JobID)
			if err != nil || !strings.Contains(j.Quote, `"tariff":"`+tc.tariffName+`"`) || j.State != faxjobs.Queued {
				t.Fatalf("job %+v %v", j, err)
			}
			// Redelivered: the job is not queued twice.
			if again, err := h.(bus.Preparer).Prepare(context.Background(), c); err != nil || fmt.Sprint(again) == fmt.Sprint(q) {
				t.Fatalf("redelivered: %v %v", again, err)
			}
			if jobs, _ := faxjobs.Jobs(context.Background(), r.h.Store(), time.Time{}, time.Time{}); len(jobs) != 1 {
				t.Fatalf("%d jobs after a redelivery", len(jobs))
			}
		})
	}
}

// TestSendRefusals: fax.send is refused before anything is stored.
func TestSendRefusals(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{MaxDocument: 4096})
	doc := base64.StdEncoding.EncodeToString([]byte("hello"))
	for _, tc := range []struct {
		name   string
		device string
		data   any
		field  string
	}{
		{"unknown modem", "fax9", fax.SendData{To: "6512 3456", Room: "1203", Operator: "op", Document: doc}, "topic"},
		{"unknown room", "fax1", fax.SendData{To: "6512 3456", Room: "9999", Operator: "op", Document: doc}, "data.room"},
		{"no operator", "fax1", fax.SendData{To: "6512 3456", Room: "1203", Document: doc}, "data.operator"},
		{"bad resolution", "fax1", fax.SendData{To: "6512 3456", Room: "1203", Operator: "op", Document: doc, Resolution: "superfine"}, "data.resolution"},
		{"bad format", "fax1", fax.SendData{To: "6512 3456", Room: "1203", Operator: "op", Document: doc, Format: "image/gif"}, "data.format"},
		{"no document", "fax1", fax.SendData{To: "6512 3456", Room: "1203", Operator: "op"}, "data.document"},
		{"not base64", "fax1", fax.SendData{To: "6512 3456", Room: "1203", Operator: "op", Document: "%%%"}, "data.document"},
		{"too large", "fax1", fax.SendData{To: "6512 3456", Room: "1203", Operator: "op", Document: base64.StdEncoding.EncodeToString(make([]byte, 5000))}, "data.document"},
		{"not a document", "fax1", fax.SendData{To: "6512 3456", Room: "1203", Operator: "op", Document: base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff})}, "data.document"},
		{"emergency", "fax1", fax.SendData{To: "119", Room: "1203", Operator: "op", Document: doc}, "data.to"},
		{"unknown field", "fax1", map[string]any{"to": "6512 3456", "room": "1203", "operator": "op", "document": doc, "bogus": 1}, "data.bogus"},
	} {
		c := r.command("fax.send", tc.data)
		c.Device = tc.device
		var fe *bus.FieldError
		if err := r.h.Handler("fax.send").Validate(c); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: %v, want a %s refusal", tc.name, err, tc.field)
		}
	}
	if ev := r.events("hotel.fax.quoted"); len(ev) != 0 {
		t.Fatalf("quotes for refused commands: %v", ev)
	}
}

// TestAttemptTwoOfThreeConfirmed: the line drops after 2 of 3 pages: that
// attempt is billed once, for 2 pages and its call (hotel.fax.attempt);
// the third page alone is queued again and sent by the next attempt,
// billed for 1 page; hotel.fax.sent sums both charges.
func TestAttemptTwoOfThreeConfirmed(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{Policy: faxjobs.Policy{Attempts: 3, Interval: time.Minute}})
	r.modem.next = []func(fax.SendJob, time.Time) (fax.SendResult, error){cutAfter(2), delivered}
	id := r.queue("010 6512 3456", pagesOfText(3))
	r.attemptDue()

	if got := r.charges(rating.ServiceFaxSend); !reflect.DeepEqual(got, []string{fmt.Sprintf("fax1/fax-job/%d/attempt/1:2", id)}) {
		t.Fatalf("charges after attempt 1: %v", got)
	}
	att := r.events("hotel.fax.attempt")
	if len(att) != 1 || att[0]["pages_confirmed"] != float64(2) || att[0]["billed"] != true || att[0]["next_attempt"] == nil ||
		len(att[0]["charges"].([]any)) != 1 {
		t.Fatalf("hotel.fax.attempt %v", att)
	}
	j, _ := faxjobs.GetJob(context.Background(), r.h.Store(), id)
	if j.State != faxjobs.Retry || j.Confirmed != 2 || j.Attempts != 1 {
		t.Fatalf("job after attempt 1: %+v", j)
	}
	if due, _ := faxjobs.Due(context.Background(), r.h.Store(), r.h.Now()); len(due) != 0 {
		t.Fatalf("due again before the interval: %+v", due)
	}
	r.h.Advance(time.Minute + time.Second)
	r.attemptDue()

	r.modem.mu.Lock()
	calls := r.modem.calls
	r.modem.mu.Unlock()
	if len(calls) != 2 || len(calls[0].Pages) != 3 || len(calls[1].Pages) != 1 || !reflect.DeepEqual(calls[1].Pages[0], calls[0].Pages[2]) ||
		calls[0].Number != "01065123456" || calls[0].Key == calls[1].Key {
		t.Fatalf("calls: %d (want 3 pages, then the third alone, under two keys)", len(calls))
	}
	want := []string{fmt.Sprintf("fax1/fax-job/%d/attempt/1:2", id), fmt.Sprintf("fax1/fax-job/%d/attempt/2:1", id)}
	if got := r.charges(rating.ServiceFaxSend); !reflect.DeepEqual(got, want) {
		t.Fatalf("charges %v, want %v", got, want)
	}
	sent := r.events("hotel.fax.sent")
	if len(sent) != 1 || sent[0]["pages_confirmed"] != float64(3) || sent[0]["attempts"] != float64(2) || len(sent[0]["charges"].([]any)) != 2 ||
		sent[0]["amount_minor"].(float64) <= att[0]["amount_minor"].(float64) {
		t.Fatalf("hotel.fax.sent %v", sent)
	}
	for i, want := range []float64{1, 1, 2} {
		if p := sent[0]["per_page"].([]any)[i].(map[string]any); p["confirmed"] != true || p["attempt"] != want {
			t.Fatalf("page %d: %v", i+1, p)
		}
	}
	// The same attempt recorded again (a retried transaction) bills nothing more.
	j, _ = faxjobs.GetJob(context.Background(), r.h.Store(), id)
	r.d.finish(context.Background(), j, faxjobs.Attempt{Outcome: faxjobs.Outcome{Pages: 1, Confirmed: 1}, Total: 3}, faxjobs.Sent, r.h.Now())
	if got := r.charges(rating.ServiceFaxSend); !reflect.DeepEqual(got, want) {
		t.Fatalf("charges after a second record: %v", got)
	}
}

// TestBusyModemRetried: a busy line is tried again after the interval,
// nothing billed for it; the next attempt goes through and is billed.
func TestBusyModemRetried(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{Policy: faxjobs.Policy{Attempts: 2, Interval: 3 * time.Minute}})
	r.modem.next = []func(fax.SendJob, time.Time) (fax.SendResult, error){busy, delivered}
	id := r.queue("6512 3456", "one page")
	r.attemptDue()
	j, _ := faxjobs.GetJob(context.Background(), r.h.Store(), id)
	if j.State != faxjobs.Retry || j.Attempts != 1 || !j.NextAt.Equal(r.h.Now().Add(3*time.Minute)) || !strings.Contains(j.LastError, "busy") {
		t.Fatalf("job after busy: %+v", j)
	}
	if c := r.charges(rating.ServiceFaxSend); len(c) != 0 || len(r.events("hotel.fax.attempt")) != 0 {
		t.Fatalf("a busy line billed: %v", c)
	}
	r.h.Advance(3 * time.Minute)
	r.attemptDue()
	sent := r.events("hotel.fax.sent")
	if len(sent) != 1 || sent[0]["attempts"] != float64(2) || sent[0]["billed"] != true || sent[0]["number"] == "" {
		t.Fatalf("hotel.fax.sent %v", sent)
	}
	if c := r.charges(rating.ServiceFaxSend); len(c) != 1 {
		t.Fatalf("charges %v", c)
	}
	// fax.send's reply reads the outcome back.
	c := r.command("fax.send", nil)
	j, _ = faxjobs.GetJob(context.Background(), r.h.Store(), id)
	c.ID = j.CommandID
	res, err := r.h.Handler("fax.send").Execute(context.Background(), c)
	if rep, ok := res.(fax.SendReply); err != nil || !ok || rep.State != faxjobs.Sent || rep.Sent == nil || rep.Sent.PagesConfirmed != 1 || rep.Quote.JobID != id {
		t.Fatalf("fax.send's reply %+v %v", res, err)
	}
}

// TestBusyEveryAttemptFails: busy on every attempt: failed, not billed,
// and fax.send's reply says so.
func TestBusyEveryAttemptFails(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{Policy: faxjobs.Policy{Attempts: 2, Interval: time.Minute}, SendWait: time.Millisecond})
	r.modem.next = []func(fax.SendJob, time.Time) (fax.SendResult, error){busy}
	id := r.queue("+81 3 1234 5678", "hello")
	r.attemptDue()
	r.h.Advance(time.Minute)
	r.attemptDue()
	failed := r.events("hotel.fax.failed")
	if len(failed) != 1 || failed[0]["billed"] != false || failed[0]["zone"] != "international" || failed[0]["attempts"] != float64(2) {
		t.Fatalf("hotel.fax.failed %v", failed)
	}
	j, _ := faxjobs.GetJob(context.Background(), r.h.Store(), id)
	c := r.command("fax.send", nil)
	c.ID = j.CommandID
	if _, err := r.h.Handler("fax.send").Execute(context.Background(), c); err == nil || !strings.Contains(err.Error(), "failed after 2 attempt(s)") {
		t.Fatalf("fax.send's reply: %v", err)
	}
}

// TestWorkerSendsTheQueue: the desk's worker, run as the host runs it,
// dials a queued job, and fax.send's reply waits for that attempt.
func TestWorkerSendsTheQueue(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{Poll: 10 * time.Millisecond, SendWait: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.h.Workers()[0](ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	res, err := r.run("fax.send", fax.SendData{To: "6512 3456", Room: "1203", Operator: "op07", Document: base64.StdEncoding.EncodeToString([]byte("one page"))})
	rep, ok := res.(fax.SendReply)
	if err != nil || !ok || rep.State != faxjobs.Sent || rep.Sent == nil || rep.Sent.PagesConfirmed != 1 || !rep.Sent.Billed {
		t.Fatalf("fax.send: %+v %v", res, err)
	}
}
