package faxdesk

// What a page shows of a fax being sent: the job as the queue keeps it,
// with the quote, the per-page results so far and the outcome, read back
// from the desk's own records (the console's job page).

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

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
	// Live are the pages the receiver has answered so far in the attempt
	// on the line (hotel.fax.page, in order; empty unless the job is
	// sending). They are in PerPage and Confirmed too.
	Live []fax.PageSent
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
	if j.State == faxjobs.Sending {
		// The call is on: the job's results are those of the attempts that
		// ended; the pages answered since come from their events.
		if v.Live, err = attemptPages(ctx, st, j); err != nil {
			return v, fmt.Errorf("fax job %d: the pages of attempt %d: %w", id, j.Attempts, err)
		}
		v.PerPage = withLive(v.PerPage, v.Live, j.Attempts)
		v.Confirmed = 0
		for _, p := range v.PerPage {
			if p.Confirmed {
				v.Confirmed++
			}
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

// withLive is per (the results of the ended attempts) with the pages
// answered in attempt since, the latest answer of a page winning, in page
// order.
func withLive(per []fax.Page, live []fax.PageSent, attempt int) []fax.Page {
	byPage := map[int]fax.Page{}
	for _, p := range per {
		byPage[p.Page] = p
	}
	for _, l := range live {
		byPage[l.Page] = fax.Page{Page: l.Page, Confirmed: l.Result == fax.PageConfirmed, Code: l.Code, Tries: l.Try, BitRate: l.BitRate,
			DurationS: l.DurationS, Attempt: attempt}
	}
	out := make([]fax.Page, 0, len(byPage))
	for _, p := range byPage {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b fax.Page) int { return a.Page - b.Page })
	return out
}
