package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/store"
)

// A stop during an attempt leaves the job 'sending'. At the next start an
// attempt whose dial is in the journal may have reached the far end: it
// fails, unbilled and not resent (the guest must not get the fax twice).
// One with no dial journaled placed no call (the driver commits the dial
// before the modem gets it): it is due again and goes through, its lost
// attempt not counted.
func TestFaxInterruptedJobsAfterRestart(t *testing.T) {
	t.Parallel()
	s := newFaxSiteWith(t, nil, config.Fax{}, retrying(3, time.Hour)) // no retry on its own
	fake := &fakeSender{next: []func(fax.SendJob) (fax.SendResult, error){busy, busy, delivered}}
	s.useModem(fake)

	ctx := context.Background()
	var ids [2]int64
	for i := range ids {
		rep := s.cmd("fax.send", fax.SendData{To: "010 6512 3456", Room: "1203", Operator: "op07", Document: textDoc(fmt.Sprintf("Booking %d\n", i))})
		var res fax.SendReply
		b, _ := json.Marshal(rep.Result)
		json.Unmarshal(b, &res)
		if rep.Status != "completed" || res.State != faxjobs.Retry {
			t.Fatalf("fax.send %d: %+v (want retry after busy)", i, rep)
		}
		ids[i] = res.JobID
	}
	noDial, dialled := ids[0], ids[1]

	// What a kill -9 leaves: both claimed for attempt 2; only the second
	// had journaled its dial.
	now := time.Now()
	if err := s.g.st.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE fax_jobs SET state='sending', attempts=2, started=? WHERE id IN (?, ?)`, now.UnixNano(), noDial, dialled)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.g.st.AppendFrames(ctx, "fax1", "spandsp", "out", now.Add(time.Millisecond), []store.NewFrame{
		{Raw: []byte("> ATDT901065123456"), Key: fmt.Sprintf("fax1/tx/job-%d/2/0002", dialled)}}); err != nil {
		t.Fatal(err)
	}
	s.g.fax.Recover(ctx)

	failed := s.bo.event("hotel.fax.failed", func(d map[string]any) bool { return d["job_id"] == float64(dialled) })
	if !strings.Contains(fmt.Sprint(failed["result"]), "interrupted by a gateway restart during the call") || failed["billed"] == true {
		t.Fatalf("dialled job: %v", failed)
	}
	sent := s.bo.event("hotel.fax.sent", func(d map[string]any) bool { return d["job_id"] == float64(noDial) })
	if sent["attempts"] != float64(2) || sent["pages_confirmed"] != float64(1) || sent["billed"] != true {
		t.Fatalf("job with no dial: %v (want sent on attempt 2: the cut-off one does not count)", sent)
	}
	if len(fake.calls) != 3 {
		t.Fatalf("%d dials, want 3: both first attempts, then the job that had not dialled", len(fake.calls))
	}
	for id, want := range map[int64]int{noDial: 1, dialled: 0} {
		var n int
		if err := s.g.st.QueryRow(ctx, `SELECT COUNT(*) FROM business_charges WHERE service='fax-send' AND ref=?`, fmt.Sprintf("fax-job/%d", id)).Scan(&n); err != nil || n != want {
			t.Errorf("job %d: %d charges (%v), want %d", id, n, err, want)
		}
	}
}
