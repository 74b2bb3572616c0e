package faxjobs

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"switchboard/internal/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func inTx(t *testing.T, st *store.Store, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := st.InTx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// TestRetryBusyThreeTimesThreeMinutesApart runs the queue on a fake clock:
// busy, busy, busy gives up after the third attempt; each retry is due
// exactly the interval after the previous attempt ended.
func TestRetryBusyThreeTimesThreeMinutesApart(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var id int64
	inTx(t, st, func(tx *store.Tx) (err error) {
		id, err = Enqueue(tx, Job{CommandID: "c1", Device: "fax1", Number: "02112345678", Pages: 2, Zone: "domestic"}, DefaultPolicy(), now)
		return err
	})
	busy := Outcome{Pages: 2, Retryable: true, Error: "faxmodem: ATDT: BUSY"}
	for attempt := 1; attempt <= 3; attempt++ {
		due, err := Due(ctx, st, now)
		if err != nil || len(due) != 1 || due[0].ID != id {
			t.Fatalf("attempt %d at %s: due %v, %v", attempt, now, due, err)
		}
		if early, _ := Due(ctx, st, now.Add(-time.Second)); attempt > 1 && len(early) != 0 {
			t.Fatalf("attempt %d due a second early", attempt)
		}
		var state string
		inTx(t, st, func(tx *store.Tx) error {
			if ok, err := Claim(tx, id, now); err != nil || !ok {
				t.Fatalf("claim: %v %v", ok, err)
			}
			if ok, _ := Claim(tx, id, now); ok {
				t.Fatal("claimed twice")
			}
			j, _ := scanJob(tx.QueryRow(`SELECT `+jobCols+` FROM fax_jobs WHERE id=?`, id))
			var next time.Time
			state, next = Decide(j, busy, now.Add(20*time.Second))
			return Finish(tx, id, Attempt{Outcome: busy, Start: now}, state, next, now.Add(20*time.Second))
		})
		want := Retry
		if attempt == 3 {
			want = Failed
		}
		if state != want {
			t.Fatalf("attempt %d: %s, want %s", attempt, state, want)
		}
		now = now.Add(20*time.Second + 3*time.Minute)
	}
	j, err := GetJob(ctx, st, id)
	if err != nil || j.State != Failed || j.Attempts != 3 || j.LastError != busy.Error {
		t.Fatalf("job %+v, %v", j, err)
	}
	if due, _ := Due(ctx, st, now.Add(time.Hour)); len(due) != 0 {
		t.Fatalf("failed job still due: %v", due)
	}
}

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	j := Job{Attempts: 1, MaxAttempts: 3, RetryEvery: 3 * time.Minute}
	for name, tc := range map[string]struct {
		j     Job
		o     Outcome
		state string
		next  time.Time
	}{
		"all confirmed":         {j, Outcome{Pages: 2, Confirmed: 2}, Sent, now},
		"busy":                  {j, Outcome{Pages: 2, Retryable: true, Error: "BUSY"}, Retry, now.Add(3 * time.Minute)},
		"busy, last attempt":    {Job{Attempts: 3, MaxAttempts: 3}, Outcome{Pages: 2, Retryable: true, Error: "BUSY"}, Failed, now},
		"cut after one page":    {j, Outcome{Pages: 2, Confirmed: 1, Retryable: true, Error: "NO CARRIER"}, Retry, now.Add(3 * time.Minute)},
		"cut, last attempt":     {Job{Attempts: 3, MaxAttempts: 3}, Outcome{Pages: 2, Confirmed: 1, Retryable: true, Error: "NO CARRIER"}, Failed, now},
		"not retryable":         {j, Outcome{Pages: 1, Error: "ERROR"}, Failed, now},
		"error but all pages":   {j, Outcome{Pages: 1, Confirmed: 1, Error: "DCN missing"}, Failed, now},
		"no retry policy (1/1)": {Job{Attempts: 1, MaxAttempts: 1}, Outcome{Pages: 1, Retryable: true, Error: "NO ANSWER"}, Failed, now},
	} {
		state, next := Decide(tc.j, tc.o, now)
		if state != tc.state || !next.Equal(tc.next) {
			t.Errorf("%s: %s at %s, want %s at %s", name, state, next, tc.state, tc.next)
		}
	}
}

// TestRegisterAndRetention: a fax comes in, another is assigned; with the
// clock 10 days on only the unclaimed one is archived, 90 days on destroyed.
func TestRegisterAndRetention(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	var a, b int64
	inTx(t, st, func(tx *store.Tx) (err error) {
		if a, _, err = Register(tx, Fax{Key: "fax1/rx/1", Device: "fax1", Received: t0, Pages: 2, Complete: true}); err != nil {
			return err
		}
		if _, dup, err := Register(tx, Fax{Key: "fax1/rx/1", Device: "fax1", Received: t0, Pages: 2}); err != nil || !dup {
			t.Fatalf("second register: dup %v, %v", dup, err)
		}
		b, _, err = Register(tx, Fax{Key: "fax1/rx/2", Device: "fax1", Received: t0, Pages: 1, Complete: true})
		return err
	})
	inTx(t, st, func(tx *store.Tx) error {
		_, err := Assign(tx, b, Assignment{Room: "1203", Name: "Zhang Wei", StayID: 7}, t0.Add(time.Hour))
		return err
	})
	r := DefaultRetention()
	if due, _ := DueArchive(ctx, st, r, t0.Add(10*24*time.Hour-time.Second)); len(due) != 0 {
		t.Fatalf("archived before 10 days: %v", due)
	}
	due, err := DueArchive(ctx, st, r, t0.Add(10*24*time.Hour))
	if err != nil || len(due) != 1 || due[0].ID != a {
		t.Fatalf("due archive %v, %v", due, err)
	}
	inTx(t, st, func(tx *store.Tx) error {
		ok, err := MarkArchived(tx, a, "/a.tif", "/a.pdf", t0.Add(10*24*time.Hour))
		if !ok {
			t.Fatal("not archived")
		}
		return err
	})
	if due, _ := DueDestroy(ctx, st, r, t0.Add(89*24*time.Hour)); len(due) != 0 {
		t.Fatalf("destroyed early: %v", due)
	}
	due, _ = DueDestroy(ctx, st, r, t0.Add(90*24*time.Hour))
	if len(due) != 1 || due[0].ID != a {
		t.Fatalf("due destroy %v", due)
	}
	inTx(t, st, func(tx *store.Tx) error { _, err := MarkDestroyed(tx, a, t0.Add(90*24*time.Hour)); return err })
	f, _ := GetFax(ctx, st, a)
	if f.Status != Destroyed || f.TIFF != "" || f.Archived == nil || f.Destroyed == nil {
		t.Fatalf("fax %+v", f)
	}
	list, _ := List(ctx, st, Filter{Unassigned: true})
	if len(list) != 0 {
		t.Fatalf("unassigned: %v", list)
	}
	inTx(t, st, func(tx *store.Tx) error {
		f, err := Deliver(tx, b, "bellboy 12", "Zhang Wei", "", t0.Add(2*time.Hour))
		if err != nil || f.Status != Delivered || f.SignedBy != "Zhang Wei" {
			t.Fatalf("deliver %+v %v", f, err)
		}
		if _, err := Deliver(tx, b, "x", "y", "", t0.Add(3*time.Hour)); err == nil {
			t.Fatal("delivered twice")
		}
		return nil
	})
}

// TestQuoteRequeueRegistered: a job's quote is stored; an attempt a stop
// cut off is given back (due again, not counted) only while it is being
// sent; a received session is registered once.
func TestQuoteRequeueRegistered(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var id int64
	inTx(t, st, func(tx *store.Tx) (err error) {
		if id, err = Enqueue(tx, Job{CommandID: "c1", Device: "fax1", Pages: 1, Zone: "domestic"}, DefaultPolicy(), now); err != nil {
			return err
		}
		return SetQuote(tx, id, `{"job_id":1}`)
	})
	inTx(t, st, func(tx *store.Tx) error {
		if err := Requeue(tx, id, now); err != nil { // queued, not sending: untouched
			return err
		}
		if _, err := Claim(tx, id, now); err != nil {
			return err
		}
		return Requeue(tx, id, now.Add(time.Minute))
	})
	j, err := GetJob(ctx, st, id)
	if err != nil || j.Quote != `{"job_id":1}` || j.State != Retry || j.Attempts != 0 || !j.NextAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("job %+v %v", j, err)
	}
	inTx(t, st, func(tx *store.Tx) error {
		for _, want := range []bool{false, true} {
			seen, err := Registered(tx, "fax1/rx/1")
			if err != nil || seen != want {
				t.Fatalf("registered %v %v, want %v", seen, err, want)
			}
			if _, _, err := Register(tx, Fax{Key: "fax1/rx/1", Device: "fax1", Received: now, Pages: 1}); err != nil {
				return err
			}
		}
		return nil
	})
}
