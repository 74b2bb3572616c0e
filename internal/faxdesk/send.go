package faxdesk

// fax.send: the number is checked, the document converted and quoted, and
// the job queued before the `accepted` reply, which carries the quote;
// Execute then waits a bounded time for the first attempt.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/business"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/store"
)

type sendHandler struct{ d *Desk }

// sendJob is a fax.send command checked and decoded.
type sendJob struct {
	data fax.SendData
	doc  []byte
	num  number
	fine bool
}

func (h sendHandler) parse(c *bus.Command) (sendJob, error) {
	d := h.d
	var j sendJob
	if err := d.knownModem(c); err != nil {
		return j, err
	}
	if err := bus.DecodeData(c, &j.data); err != nil {
		return j, err
	}
	sd := &j.data
	p := d.pricer()
	var err error
	if j.fine, err = p.checkFields(sd); err != nil {
		return j, err
	}
	if sd.Document == "" {
		return j, &bus.FieldError{Field: "data.document", Problem: "required: the document, base64"}
	}
	limit := d.opt.MaxDocument
	if n := base64.StdEncoding.DecodedLen(len(sd.Document)); n > limit+2 {
		return j, &bus.FieldError{Field: "data.document", Problem: fmt.Sprintf("about %.1f MiB: the limit is %.1f MiB", float64(n)/(1<<20), float64(limit)/(1<<20))}
	}
	if j.doc, err = base64.StdEncoding.DecodeString(sd.Document); err != nil {
		return j, &bus.FieldError{Field: "data.document", Problem: "not base64: " + err.Error()}
	}
	sd.Document = ""
	if err := p.checkDocument(&j); err != nil {
		return j, err
	}
	return j, nil
}

// checkFields checks a fax's room, operator, resolution and format (fax.send
// and the console's quote before it); fine is the resolution chosen.
func (p pricer) checkFields(sd *fax.SendData) (fine bool, err error) {
	if err := business.CheckRoom(p.opt.Billing().Dir, sd.Room); err != nil {
		return false, err
	}
	if err := desk.Text("data.operator", sd.Operator, 32, true); err != nil {
		return false, err
	}
	res, err := desk.OneOf("data.resolution", sd.Resolution, "fine", fax.Resolutions)
	if err != nil {
		return false, err
	}
	sd.Resolution = res
	if sd.Format, err = desk.OneOf("data.format", sd.Format, "", fax.Formats); err != nil {
		return false, err
	}
	return res == "fine", nil
}

// checkDocument checks the decoded document's size and format (sniffed
// when not given) and the number.
func (p pricer) checkDocument(j *sendJob) error {
	sd := &j.data
	if limit := p.opt.MaxDocument; len(j.doc) == 0 || len(j.doc) > limit {
		return &bus.FieldError{Field: "data.document", Problem: fmt.Sprintf("%d bytes: want 1 to %d", len(j.doc), limit)}
	}
	if sd.Format == "" {
		if sd.Format = sniffFormat(j.doc); sd.Format == "" {
			return &bus.FieldError{Field: "data.document", Problem: "not PDF, TIFF, PNG, JPEG or plain text"}
		}
	}
	var err error
	j.num, err = p.checkNumber(sd.To)
	return err
}

func (h sendHandler) Validate(c *bus.Command) error {
	_, err := h.parse(c)
	return err
}

// Prepare converts the document, quotes it and queues the job before the
// `accepted` reply, which carries the quote (the business center tells the
// guest the price before sending).
func (h sendHandler) Prepare(ctx context.Context, c *bus.Command) (any, error) {
	d, host := h.d, h.d.host
	if j, err := faxjobs.JobByCommand(ctx, host.Store(), c.ID); err == nil {
		return map[string]any{"job_id": j.ID, "note": "queued before"}, nil // a redelivered command: the job exists
	}
	j, err := h.parse(c)
	if err != nil {
		return nil, err
	}
	pages, err := toPages(ctx, j.doc, j.data.Format, j.fine, d.opt.PageLimit, d.opt.GSTimeout)
	if err != nil {
		return nil, &bus.FieldError{Field: "data.document", Problem: err.Error()}
	}
	now := host.Now()
	path := filepath.Join(d.opt.Dir, "out", fmt.Sprintf("%s-%s.tif", c.Device, now.UTC().Format("20060102T150405.000000000")))
	if err := writeTIFF(path, pages, j.fine, nil); err != nil {
		return nil, fmt.Errorf("fax pages not stored: %w", err)
	}
	q := d.quote(c, j, len(pages), estimate(pages, j.fine, d.opt.QuoteBitRate), now)
	var id int64
	err = host.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = faxjobs.Enqueue(tx, faxjobs.Job{CommandID: c.ID, Device: c.Device, Number: j.data.To, Dial: j.num.dial, Canonical: j.num.canonical,
			Kind: j.num.kind, Zone: j.num.zone, Destination: j.num.destination, Room: j.data.Room, Operator: j.data.Operator,
			Document: path, Pages: len(pages), Fine: j.fine, Shift: events.ShiftFrom(ctx)}, d.opt.Policy, now)
		if err != nil {
			return err
		}
		q.JobID = id
		b, err := json.Marshal(q)
		if err != nil {
			return fmt.Errorf("fax job %d quote: %w", id, err)
		}
		if err := faxjobs.SetQuote(tx, id, string(b)); err != nil {
			return err
		}
		_, _, err = host.Enqueue(tx, desk.Event{Domain: "fax", Device: c.Device, Type: "hotel.fax.quoted", Subject: desk.Subject(j.data.Room, c.Device),
			IdemKey: fmt.Sprintf("%s/fax-job/%d/quote", c.Device, id), Time: now, Data: q})
		return err
	})
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("fax job not queued: %w", err)
	}
	host.Log().Info("fax queued", "device", c.Device, "job", id, "room", j.data.Room, "pages", len(pages), "quote", q.Amount.String())
	return q, nil
}

// quote is what the guest is told: the pages at the zone's fee and the
// call for the estimated time, with the retry policy.
func (d *Desk) quote(c *bus.Command, j sendJob, pages int, est time.Duration, now time.Time) fax.Quote {
	q := d.pricer().quote(c.Device, j, pages, est, now)
	q.CommandID = c.ID
	return q
}

func (pr pricer) quote(device string, j sendJob, pages int, est time.Duration, now time.Time) fax.Quote {
	o := pr.opt
	p := pr.sendPrice(faxjobs.Job{Zone: j.num.zone, Dial: j.num.dial}, pages, now, est)
	return fax.Quote{Device: device, Room: j.data.Room, Operator: j.data.Operator, Number: o.Billing().MaskDialed(j.num.canonical),
		Kind: j.num.kind, Destination: j.num.destination, Zone: j.num.zone, Pages: pages, Resolution: j.data.Resolution,
		EstimatedS: int(est.Seconds()), QuoteBitRate: o.QuoteBitRate, Charge: p.Charge(o.Tariff.Name()),
		MaxAttempts: o.Policy.Attempts, RetryEveryS: int(o.Policy.Interval.Seconds())}
}

// Execute waits for the job Prepare queued (its first attempt, or its end).
func (h sendHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	j, err := faxjobs.JobByCommand(ctx, h.d.host.Store(), c.ID)
	if err != nil {
		return nil, fmt.Errorf("fax job of command %s: %w", c.ID, err)
	}
	return h.d.waitJob(ctx, c, j.ID)
}

// waitJob waits a bounded time for the job's first attempt (or its end)
// and reports it; the rest follows as hotel.fax.sent/failed.
func (d *Desk) waitJob(ctx context.Context, c *bus.Command, id int64) (any, error) {
	host := d.host
	wait := d.opt.SendWait
	if c.Deadline != nil {
		if w := time.Until(*c.Deadline); w < wait {
			wait = max(w, time.Second)
		}
	}
	ch := make(chan struct{})
	d.mu.Lock()
	d.done[id] = ch
	d.mu.Unlock()
	d.poke(d.kick)
	// An attempt that ended before we asked closes no channel of ours.
	if j, err := faxjobs.GetJob(ctx, host.Store(), id); err != nil || (j.State != faxjobs.Queued && j.State != faxjobs.Sending) {
		wait = 0
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
	}
	d.mu.Lock()
	delete(d.done, id)
	d.mu.Unlock()
	ctx = context.WithoutCancel(ctx)
	j, err := faxjobs.GetJob(ctx, host.Store(), id)
	if err != nil {
		return nil, fmt.Errorf("fax job %d: %w", id, err)
	}
	res := fax.SendReply{JobID: id, State: j.State}
	_ = json.Unmarshal([]byte(j.Quote), &res.Quote) // stored by Prepare; an empty quote at worst
	loc := host.Location()
	switch j.State {
	case faxjobs.Sent, faxjobs.Failed:
		var o fax.Outcome
		typ := "hotel.fax.sent"
		if j.State == faxjobs.Failed {
			typ = "hotel.fax.failed"
		}
		data, ok, err := host.Store().EventData(ctx, typ, fmt.Sprintf("%s/fax-job/%d", j.Device, id))
		if err != nil {
			host.Log().Warn("fax job's outcome event not read back", "job", id, "err", err)
		} else if ok {
			_ = json.Unmarshal(data, &o) // our own event: an empty outcome at worst
		}
		res.Sent = &o
		if j.State == faxjobs.Failed {
			billed := ""
			if o.Billed {
				billed = fmt.Sprintf("; %d of %d pages confirmed and billed: %s %s", o.PagesConfirmed, o.Pages, o.Currency, o.Amount)
			}
			return nil, fmt.Errorf("fax job %d failed after %d attempt(s): %s%s", id, j.Attempts, j.LastError, billed)
		}
	case faxjobs.Retry:
		n := j.NextAt.In(loc)
		res.NextAt = &n
		res.Note = fmt.Sprintf("attempt %d of %d: %s; next attempt at %s; the outcome follows as hotel.fax.sent or hotel.fax.failed",
			j.Attempts, j.MaxAttempts, j.LastError, n.Format("15:04:05"))
	default:
		res.Note = "still " + j.State + ": the outcome follows as hotel.fax.sent or hotel.fax.failed"
	}
	return res, nil
}
