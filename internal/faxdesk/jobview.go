package faxdesk

// What a page shows of a fax being sent: the job as the queue keeps it,
// with the quote, the per-page results so far and the outcome, read back
// from the desk's own records (the console's job page).

import (
	"context"
	"encoding/json"
	"fmt"

	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/store"
)

// JobView is one fax job with what the desk recorded of it.
type JobView struct {
	faxjobs.Job
	Quote fax.Quote
	// PerPage are the results of the pages tried so far, in the job's page
	// numbers, over all attempts (a page sent again keeps its last try).
	PerPage []fax.Page
	// Outcome is the hotel.fax.sent or hotel.fax.failed event's data once
	// the job has ended (nil before).
	Outcome *fax.Outcome
}

// ReadJob reads job id; faxjobs.ErrNotFound when there is none.
func ReadJob(ctx context.Context, st *store.Store, id int64) (JobView, error) {
	j, err := faxjobs.GetJob(ctx, st, id)
	if err != nil {
		return JobView{}, err
	}
	v := JobView{Job: j}
	if j.Quote != "" {
		if err := json.Unmarshal([]byte(j.Quote), &v.Quote); err != nil {
			return v, fmt.Errorf("fax job %d: its quote: %w", id, err)
		}
	}
	if j.Result != "" {
		if err := json.Unmarshal([]byte(j.Result), &v.PerPage); err != nil {
			return v, fmt.Errorf("fax job %d: its per-page results: %w", id, err)
		}
	}
	if j.Final() {
		typ := "hotel.fax.sent"
		if j.State == faxjobs.Failed {
			typ = "hotel.fax.failed"
		}
		data, ok, err := st.EventData(ctx, typ, fmt.Sprintf("%s/fax-job/%d", j.Device, id))
		if err != nil {
			return v, fmt.Errorf("fax job %d: its outcome: %w", id, err)
		}
		if ok {
			var o fax.Outcome
			if err := json.Unmarshal(data, &o); err != nil {
				return v, fmt.Errorf("fax job %d: its outcome event: %w", id, err)
			}
			v.Outcome = &o
		}
	}
	return v, nil
}
