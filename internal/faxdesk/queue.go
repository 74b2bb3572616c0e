package faxdesk

// The send queue: one sender per modem dials its due jobs, and each
// attempt is recorded and billed (發送傳真程序: bill the pages the far end
// confirmed and the call, once per attempt).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/internal/business"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/events/fax"
	"switchboard/internal/fax/codec"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// sendDue starts a sender for every modem with jobs due that has none: a
// modem that is away (its Send waits for the port to come back) holds up
// its own queue only, not the other modems' nor the retention sweep.
func (d *Desk) sendDue(ctx context.Context) {
	due, err := faxjobs.Due(ctx, d.host.Store(), d.host.Now())
	if err != nil {
		if ctx.Err() == nil {
			d.host.Log().Warn("fax queue", "err", err)
		}
		return
	}
	for _, j := range due {
		d.mu.Lock()
		start := !d.sending[j.Device] && ctx.Err() == nil
		if start {
			d.sending[j.Device] = true
			d.wg.Add(1)
		}
		d.mu.Unlock()
		if start {
			go d.sendQueue(ctx, j.Device)
		}
	}
}

// sendQueue attempts one modem's due jobs, in queue order, until none is
// left; then the run loop looks again (a job may have come due meanwhile).
func (d *Desk) sendQueue(ctx context.Context, device string) {
	defer func() {
		d.mu.Lock()
		delete(d.sending, device)
		d.mu.Unlock()
		d.wg.Done()
		d.poke(d.kick)
	}()
	for ctx.Err() == nil {
		due, err := faxjobs.Due(ctx, d.host.Store(), d.host.Now())
		if err != nil {
			if ctx.Err() == nil {
				d.host.Log().Warn("fax queue", "device", device, "err", err)
			}
			return
		}
		n := 0
		for _, j := range due {
			if j.Device != device {
				continue
			}
			if ctx.Err() != nil {
				return
			}
			d.attempt(ctx, j)
			n++
		}
		if n == 0 {
			return
		}
	}
}

// attemptKey is the driver's session key of a job's current attempt (its
// journal frames are keyed under it).
func attemptKey(j faxjobs.Job) string {
	return fmt.Sprintf("%s/tx/job-%d/%d", j.Device, j.ID, j.Attempts)
}

// attempt dials one job once. Only the pages no earlier attempt had
// confirmed are sent (a line cut after some pages: the rest is re-queued).
func (d *Desk) attempt(ctx context.Context, j faxjobs.Job) {
	host := d.host
	now := host.Now()
	var claimed bool
	if err := host.InTx(ctx, func(tx *store.Tx) (err error) { claimed, err = faxjobs.Claim(tx, j.ID, now); return err }); err != nil || !claimed {
		if err != nil && ctx.Err() == nil {
			host.Log().Warn("fax job not claimed", "job", j.ID, "err", err)
		}
		return
	}
	j.Attempts++
	merged := jobPages(j)
	var todo []int // 0-based page indices still to send
	before := 0    // pages earlier attempts confirmed
	for i, p := range merged {
		if !p.Confirmed {
			todo = append(todo, i)
		} else {
			before++
		}
	}
	if len(todo) == 0 { // cannot happen (the job would be sent): send it all
		for i := range merged {
			todo = append(todo, i)
		}
	}
	m := d.Modem(j.Device)
	var res fax.SendResult
	var err error
	pages, lerr := loadTIFFPages(j.Document)
	if lerr == nil && len(pages) != j.Pages {
		lerr = fmt.Errorf("%d pages in the file, %d in the job", len(pages), j.Pages)
	}
	switch {
	case lerr != nil:
		err = fmt.Errorf("the job's pages cannot be read: %w", lerr)
		res = fax.SendResult{Start: now, Pages: len(todo), Error: err.Error()}
	case m == nil:
		err = fmt.Errorf("device %s is not a fax modem of this gateway (any more)", j.Device)
		res = fax.SendResult{Start: now, Pages: len(todo), Error: err.Error()}
	default:
		resolution := fax.Standard
		if j.Fine {
			resolution = fax.Fine
		}
		send := make([]*codec.Bitmap, 0, len(todo))
		for _, i := range todo {
			send = append(send, pages[i])
		}
		host.Log().Info("fax dialing", "device", j.Device, "job", j.ID, "attempt", j.Attempts, "pages", len(send), "of", len(pages))
		feed := d.followPages(ctx, j, now, todo, before)
		res, err = m.Send(ctx, fax.SendJob{Number: j.Dial, Pages: send, Resolution: resolution, Timeout: d.opt.CallTimeout, Key: attemptKey(j),
			OnPage: feed.report})
		feed.close() // the pages' events before the attempt's
	}
	if res.Start.IsZero() {
		res.Start = now
	}
	if res.Pages == 0 {
		res.Pages = len(todo)
	}
	if err != nil && res.Error == "" {
		res.Error = err.Error()
	}
	if err != nil && ctx.Err() != nil && res.PagesConfirmed == 0 {
		// Shutting down: the job stays in sending and is reported as
		// interrupted at the next start unless the call had ended.
		if rerr := host.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error { return faxjobs.Requeue(tx, j.ID, now) }); rerr != nil {
			host.Log().Warn("fax job cut off by the stop not queued again", "job", j.ID, "err", rerr)
		}
		return
	}
	// The attempt's pages in the job's numbering.
	confirmed := 0
	for i := range res.PerPage {
		p := &res.PerPage[i]
		if p.Page < 1 || p.Page > len(todo) {
			continue
		}
		orig := todo[p.Page-1]
		p.Page = orig + 1
		if p.Confirmed {
			confirmed++
		}
		merged[orig] = pageResult(*p, j.Attempts)
	}
	if len(res.PerPage) == 0 && res.PagesConfirmed > 0 {
		// A driver that counts without the page list: the first pages.
		for k := 0; k < res.PagesConfirmed && k < len(todo); k++ {
			merged[todo[k]] = fax.Page{Page: todo[k] + 1, Confirmed: true, Code: string(fax.MCF), Tries: 1, BitRate: res.BitRate, Attempt: j.Attempts}
		}
		confirmed = min(res.PagesConfirmed, len(todo))
	}
	o := faxjobs.Outcome{Pages: len(todo), Confirmed: confirmed, Retryable: res.Retryable || (err != nil && errors.Is(err, fax.ErrBusy)), Error: res.Error}
	end := host.Now()
	state, next := faxjobs.Decide(j, o, end)
	if err != nil && ctx.Err() == nil && errors.Is(err, fax.ErrModemGone) {
		// The modem itself went away (switched off, unplugged, crashed):
		// the front desk reads which modem and what to do, not only the
		// port's error.
		then := "then send the fax again"
		if state == faxjobs.Retry {
			then = "the fax is tried again once it answers"
		}
		res.Error = fmt.Sprintf("fax modem %s stopped answering: check that it is switched on and its cable plugged in; %s (%s)", j.Device, then, res.Error)
		o.Error = res.Error
	}
	a := faxjobs.Attempt{Outcome: o, BitRate: res.BitRate, RemoteID: res.RemoteID, Start: res.Start, Duration: res.Duration}
	for _, p := range merged {
		if p.Confirmed {
			a.Total++
		}
	}
	if b, merr := json.Marshal(merged); merr == nil {
		a.Result = string(b)
	}
	a.Report = d.writeReport(context.WithoutCancel(ctx), j, res, state, a.Total)
	d.finish(context.WithoutCancel(ctx), j, a, state, next)
}

// jobPages is the job's per-page results over its attempts so far (every
// page of the job, unconfirmed until an attempt confirmed it).
func jobPages(j faxjobs.Job) []fax.Page {
	out := make([]fax.Page, j.Pages)
	for i := range out {
		out[i] = fax.Page{Page: i + 1, Code: string(fax.None)}
	}
	var prev []fax.Page
	if j.Result != "" && json.Unmarshal([]byte(j.Result), &prev) == nil {
		for _, p := range prev {
			if p.Page >= 1 && p.Page <= len(out) {
				out[p.Page-1] = p
			}
		}
	}
	return out
}

func pageResult(p fax.PageResult, attempt int) fax.Page {
	return fax.Page{Page: p.Page, Confirmed: p.Confirmed, Code: string(p.Code), Tries: p.Tries, BitRate: p.BitRate,
		DurationS: float64(p.Duration.Milliseconds()) / 1000, Attempt: attempt}
}

// chargeIdem is the idemkey of an attempt's business charge (and of its
// hotel.fax.attempt event).
func chargeIdem(j faxjobs.Job, attempt int) string {
	return fmt.Sprintf("%s/fax-job/%d/attempt/%d", j.Device, j.ID, attempt)
}

// jobRef is a send job's ref in the business-centre ledger.
func jobRef(j faxjobs.Job) string { return fmt.Sprintf("fax-job/%d", j.ID) }

// jobCharges reads the business charges earlier attempts of a job made.
func jobCharges(tx *store.Tx, j faxjobs.Job) ([]fax.Charge, []events.Line, error) {
	posted, err := business.ForRef(tx, rating.ServiceFaxSend, j.Device, jobRef(j))
	if err != nil {
		return nil, nil, fmt.Errorf("fax job %d charges: %w", j.ID, err)
	}
	out := make([]fax.Charge, 0, len(posted))
	var lines []events.Line
	for _, p := range posted {
		c := fax.Charge{Pages: int(p.Units), Amount: p.Amount, AmountMinor: p.AmountMinor, IdemKey: p.IdemKey, Unbilled: p.Unbilled}
		fmt.Sscanf(p.IdemKey[strings.LastIndex(p.IdemKey, "/")+1:], "%d", &c.Attempt) // chargeIdem's last element
		lines = append(lines, p.Breakdown...)
		out = append(out, c)
	}
	return out, lines, nil
}

// finish records an attempt. An attempt with confirmed pages is billed
// once (its own business charge); a cut one that is retried publishes
// hotel.fax.attempt with that charge, a final one hotel.fax.sent/failed
// with the sum over the attempts.
func (d *Desk) finish(ctx context.Context, j faxjobs.Job, a faxjobs.Attempt, state string, next time.Time) {
	host := d.host
	now := host.Now()
	loc := host.Location()
	tariff := d.opt.Tariff
	err := host.InTx(ctx, func(tx *store.Tx) error {
		if state == faxjobs.Retry && a.Confirmed == 0 {
			return faxjobs.Finish(tx, j.ID, a, state, next, now)
		}
		prior, priorLines, err := jobCharges(tx, j)
		if err != nil {
			return err
		}
		perPage := jobPages(j)
		if a.Result != "" {
			_ = json.Unmarshal([]byte(a.Result), &perPage) // ours, marshaled by attempt
		}
		out := fax.Outcome{JobID: j.ID, CommandID: j.CommandID, Device: j.Device, Room: j.Room, Operator: j.Operator,
			Number: d.opt.Billing().MaskDialed(j.Canonical), Destination: j.Destination, Zone: j.Zone, Pages: j.Pages,
			PagesConfirmed: a.Total, Attempts: j.Attempts, Start: a.Start.In(loc), DurationS: a.Duration.Seconds(),
			BitRate: a.BitRate, RemoteID: a.RemoteID, Result: "OK", PerPage: perPage, Report: a.Report,
			Charge: events.Charge{Currency: tariff.Currency(), Tariff: tariff.Name(), Breakdown: []events.Line{}}, Charges: []fax.Charge{}}
		if a.Error != "" {
			out.Result = a.Error
		}
		typ, idem := "hotel.fax.sent", fmt.Sprintf("%s/fax-job/%d", j.Device, j.ID)
		switch state {
		case faxjobs.Failed:
			typ = "hotel.fax.failed"
		case faxjobs.Retry:
			typ, idem = "hotel.fax.attempt", chargeIdem(j, j.Attempts)
			n := next.In(loc)
			out.NextAt = &n
		}
		var p business.Price
		var unbilled []string
		if state != faxjobs.Retry {
			// The job's total: the earlier attempts' charges, then this one's.
			for _, c := range prior {
				out.Charges = append(out.Charges, c)
				out.Amount += c.Amount
				out.AmountMinor += c.AmountMinor
				if c.Unbilled != "" {
					unbilled = append(unbilled, fmt.Sprintf("attempt %d: %s", c.Attempt, c.Unbilled))
				}
			}
			out.Breakdown = append(out.Breakdown, priorLines...)
			out.Billed = len(prior) > 0
		}
		if a.Confirmed > 0 {
			// 發送傳真程序: bill the actual price: this attempt's confirmed pages and its call.
			p = d.sendPrice(j, a.Confirmed, a.Start, a.Duration)
			a.Charge = chargeIdem(j, j.Attempts)
			out.Billed = true
			out.Amount += p.Price
			out.AmountMinor += p.Minor
			out.Breakdown = append(out.Breakdown, p.Lines()...)
			out.Charges = append(out.Charges, fax.Charge{Attempt: j.Attempts, Pages: a.Confirmed, Amount: p.Price, AmountMinor: p.Minor,
				IdemKey: a.Charge, Unbilled: p.Unbilled})
			if p.Unbilled != "" {
				unbilled = append(unbilled, fmt.Sprintf("attempt %d: %s", j.Attempts, p.Unbilled))
			}
		}
		out.Unbilled = strings.Join(unbilled, "; ")
		// The event and the charge are the fax.send command's (its sender
		// and shift), whichever attempt of the queue this is.
		err = business.AsSender(tx, j.CommandID, j.Shift, func() error {
			seq, dup, err := host.Enqueue(tx, desk.Event{Domain: "fax", Device: j.Device, Type: typ, Subject: desk.Subject(j.Room, j.Device),
				IdemKey: idem, Time: now, Data: out})
			if err != nil || a.Confirmed == 0 || dup {
				return err
			}
			chargeState := "partial"
			if a.Error == "" && a.Confirmed >= a.Pages {
				chargeState = "completed"
			}
			return business.Record(tx, business.Entry{IdemKey: a.Charge, Service: rating.ServiceFaxSend, Device: j.Device, Ref: jobRef(j),
				Room: j.Room, Operator: j.Operator, At: a.Start.Add(a.Duration), Units: int64(a.Confirmed), State: chargeState,
				Price: p, Tariff: tariff.Name(), Seq: seq, Shift: j.Shift}) // the shift that sent the fax
		})
		if err != nil {
			return err
		}
		return faxjobs.Finish(tx, j.ID, a, state, next, now)
	})
	if err != nil {
		host.Log().Error("fax job outcome not recorded", "job", j.ID, "err", fmt.Errorf("fax job %d: %w", j.ID, err))
		return
	}
	host.Log().Info("fax job "+state, "device", j.Device, "job", j.ID, "attempt", j.Attempts, "confirmed", a.Confirmed, "total", a.Total, "err", a.Error)
	d.mu.Lock() // fax.send's reply waits for the first attempt's end
	if ch := d.done[j.ID]; ch != nil {
		close(ch)
		delete(d.done, j.ID)
	}
	d.mu.Unlock()
}

// sendPrice is the business-center fee for the pages and the call's price
// from the rating engine (the carrier's rate for the destination and the
// time the call took, with the hotel's plan).
func (d *Desk) sendPrice(j faxjobs.Job, pages int, start time.Time, dur time.Duration) business.Price {
	return d.pricer().sendPrice(j, pages, start, dur)
}

func (pr pricer) sendPrice(j faxjobs.Job, pages int, start time.Time, dur time.Duration) business.Price {
	p := business.PriceOf(pr.opt.Tariff, rating.BusinessItem{Service: rating.ServiceFaxSend, Zone: j.Zone, Pages: int64(pages)})
	if p.Unbilled != "" {
		return p
	}
	call, err := pr.rateCall(j.Dial, start, dur)
	switch {
	case err != nil:
		p.Unbilled = "call not rated: " + err.Error()
	case call.Currency != p.Currency:
		p.Unbilled = fmt.Sprintf("call rated in %s, business tariff in %s", call.Currency, p.Currency)
	default:
		p.Breakdown = append(p.Breakdown, rating.BusinessStep{Kind: "call", Label: call.Destination, Units: int64(call.BillableS), Amount: call.Price})
		p.Price += call.Price
		p.Minor = p.Price.Minor(2, rating.HalfUp)
	}
	return p
}

// rateCall rates the fax call as the PBX would record it.
func (p pricer) rateCall(dial string, start time.Time, dur time.Duration) (rating.Result, error) {
	eng := p.opt.Billing().Engine
	site := eng.Tariff.Site()
	if len(site.TrunkAccess) > 0 {
		dial = site.TrunkAccess[0] + dial
	}
	yes := true
	return eng.Rate(rating.Call{Dialed: dial, Start: start.In(p.loc()), Duration: dur, Answered: &yes})
}
