package faxdesk

// Page progress during a call: the modem driver tells each page's
// post-page response as the receiver gives it (fax.SendJob.OnPage, T.30
// §5.3.6.1.6), and the desk commits it as hotel.fax.page, so the console
// (and the back office) see each page go through while the call is still
// on. Nothing is billed here: the attempt's end bills the confirmed pages
// (queue.go).

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"switchboard/internal/business"
	"switchboard/internal/desk"
	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/store"
)

// pageEventType is the type of a page's progress event.
const pageEventType = "hotel.fax.page"

// pageIdemPrefix is the idemkey prefix of an attempt's page events: the
// job, the attempt and when it was claimed (an attempt a stop cut off
// before any page was confirmed is queued again under the same number,
// faxjobs.Requeue: its call is another one, with pages of its own).
func pageIdemPrefix(j faxjobs.Job, attempt int, claimed time.Time) string {
	return fmt.Sprintf("%s/at/%d/page/", chargeIdem(j, attempt), claimed.UnixNano())
}

// pageIdem is the idemkey of a page's event: its attempt's prefix, the
// page and its send in the attempt (a page answered RTN goes again, and
// its second answer is an event of its own).
func pageIdem(prefix string, page, try int) string {
	return fmt.Sprintf("%s%d/try/%d", prefix, page, try)
}

// pageFeed commits an attempt's page reports in the order they came, from
// a goroutine of its own: the driver's callback only queues (it runs
// between two pages of the call and must not wait for the store).
type pageFeed struct {
	d      *Desk
	j      faxjobs.Job // Attempts counts this attempt
	prefix string      // pageIdemPrefix of the attempt
	todo   []int       // the attempt's pages, 0-based in the job's numbering

	confirmed int // pages of the job confirmed so far (run's own)

	mu     sync.Mutex
	queue  []fax.PageProgress
	closed bool
	wake   chan struct{}
	done   chan struct{}
}

// followPages starts the feed of attempt j.Attempts, claimed at claimed,
// which sends the job's pages todo; confirmed is what earlier attempts had
// confirmed.
func (d *Desk) followPages(ctx context.Context, j faxjobs.Job, claimed time.Time, todo []int, confirmed int) *pageFeed {
	f := &pageFeed{d: d, j: j, prefix: pageIdemPrefix(j, j.Attempts, claimed), todo: todo, confirmed: confirmed,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	// A stop during the call still commits the pages the receiver had
	// answered: they went through.
	go f.run(context.WithoutCancel(ctx))
	return f
}

// report is the job's fax.SendJob.OnPage: it queues and returns.
func (f *pageFeed) report(p fax.PageProgress) {
	f.mu.Lock()
	if !f.closed {
		f.queue = append(f.queue, p)
	}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// close waits until every page reported has been committed: the page
// events come before the attempt's own (hotel.fax.attempt, sent, failed).
func (f *pageFeed) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
	<-f.done
}

func (f *pageFeed) run(ctx context.Context) {
	defer close(f.done)
	for {
		f.mu.Lock()
		batch, closed := f.queue, f.closed
		f.queue = nil
		f.mu.Unlock()
		for _, p := range batch {
			if err := f.commit(ctx, p); err != nil {
				// The page's result is not lost: the attempt's end records
				// every page (the job's per-page results and its event).
				f.d.host.Log().Warn("fax page event not recorded", "device", f.j.Device, "job", f.j.ID, "page", p.Page, "err", err)
			}
		}
		if closed && len(batch) == 0 {
			return
		}
		if len(batch) == 0 {
			<-f.wake
		}
	}
}

// commit enqueues one page's event, as the fax.send command's sender and
// shift (the attempt's events name them too).
func (f *pageFeed) commit(ctx context.Context, p fax.PageProgress) error {
	j, host := f.j, f.d.host
	if p.Page < 1 || p.Page > len(f.todo) {
		return fmt.Errorf("page %d of an attempt of %d pages", p.Page, len(f.todo))
	}
	result := fax.PageNotConfirmed
	switch {
	case p.Confirmed:
		result = fax.PageConfirmed
	case p.Again:
		result = fax.PageRetrain
	}
	if p.Confirmed {
		f.confirmed++
	}
	page := f.todo[p.Page-1] + 1
	data := fax.PageSent{JobID: j.ID, CommandID: j.CommandID, Device: j.Device, Room: j.Room, Attempt: j.Attempts, Page: page,
		Pages: j.Pages, PagesConfirmed: f.confirmed, Result: result, Code: string(p.Code), Try: p.Try, BitRate: p.BitRate,
		DurationS: float64(p.Duration.Milliseconds()) / 1000}
	err := host.InTx(ctx, func(tx *store.Tx) error {
		return business.AsSender(tx, j.CommandID, j.Shift, func() error {
			_, _, err := host.Enqueue(tx, desk.Event{Domain: "fax", Device: j.Device, Type: pageEventType, Subject: desk.Subject(j.Room, j.Device),
				IdemKey: pageIdem(f.prefix, page, p.Try), Time: host.Now(), Data: data})
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("fax job %d page %d: %w", j.ID, page, err)
	}
	return nil
}

// attemptPages are the page events of the attempt job j is sending (its
// Attempts, claimed at its Started) so far, in the order they were
// committed (the console's job page while the call is on).
func attemptPages(ctx context.Context, st *store.Store, j faxjobs.Job) ([]fax.PageSent, error) {
	raw, err := st.EventsData(ctx, pageEventType, pageIdemPrefix(j, j.Attempts, j.Started))
	if err != nil {
		return nil, err
	}
	out := make([]fax.PageSent, 0, len(raw))
	for _, r := range raw {
		var p fax.PageSent
		if err := json.Unmarshal(r, &p); err != nil {
			return nil, fmt.Errorf("fax job %d: a page event: %w", j.ID, err)
		}
		out = append(out, p)
	}
	return out, nil
}
