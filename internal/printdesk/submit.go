package printdesk

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/business"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/events/printer"
	printjobs "switchboard/internal/print/jobs"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// checkRoom checks the room a job or a session is billed to.
func (d *Desk) checkRoom(room string) error {
	return business.CheckRoom(d.opt.Billing().Dir, room)
}

// checkMedia defaults and checks a media name: the printer's profile must
// know its size and the tariff must price it in that colour mode.
func (d *Desk) checkMedia(p printer.Printer, service, media, color string) (string, error) {
	if media == "" {
		media = printer.DefaultMedia
	}
	size := p.SizeOf(media)
	if size == "" {
		return "", &bus.FieldError{Field: "data.media", Problem: fmt.Sprintf("%q: not a media size the printer's profile knows (e.g. %s)", media, printer.DefaultMedia)}
	}
	if _, err := d.opt.Tariff.Price(rating.BusinessItem{Service: service, Size: size, Color: color == "color", Impressions: 1}); err != nil {
		return "", &bus.FieldError{Field: "data.media", Problem: err.Error()}
	}
	return media, nil
}

// parseKeepUntil reads keep_until: RFC 3339, or a date kept to its end.
func parseKeepUntil(s string, now time.Time, loc *time.Location) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		d, derr := time.ParseInLocation(time.DateOnly, s, loc)
		if derr != nil {
			return nil, &bus.FieldError{Field: "data.keep_until", Problem: fmt.Sprintf("%q: want YYYY-MM-DD or an RFC 3339 time", s)}
		}
		t = d.AddDate(0, 0, 1)
	}
	switch {
	case !t.After(now):
		return nil, &bus.FieldError{Field: "data.keep_until", Problem: "in the past: leave it out to delete the document when the job ends"}
	case t.Sub(now) > maxKeep:
		return nil, &bus.FieldError{Field: "data.keep_until", Problem: fmt.Sprintf("more than %d days ahead", int(maxKeep.Hours()/24))}
	}
	t = t.In(loc)
	return &t, nil
}

// printJob is a validated print.submit.
type printJob struct {
	d    printer.SubmitData
	doc  []byte
	keep *time.Time
}

type submitHandler struct{ d *Desk }

func (h submitHandler) parse(c *bus.Command) (printJob, error) {
	dk := h.d
	var j printJob
	p, err := dk.knownPrinter(c)
	if err != nil {
		return j, err
	}
	if err := bus.DecodeData(c, &j.d); err != nil {
		return j, err
	}
	d := &j.d
	// The house's own prints (business.House: a fax's transmission report
	// printed for the business centre) are billed to nobody.
	if d.Room != business.House {
		if err := dk.checkRoom(d.Room); err != nil {
			return j, err
		}
	}
	if err := desk.Text("data.operator", d.Operator, 32, true); err != nil {
		return j, err
	}
	if err := desk.Text("data.name", d.Name, 255, false); err != nil {
		return j, err
	}
	if d.Copies == 0 {
		d.Copies = 1
	}
	if d.Copies < 1 || d.Copies > 999 {
		return j, &bus.FieldError{Field: "data.copies", Problem: fmt.Sprintf("%d: want 1..999", d.Copies)}
	}
	if d.Sides, err = desk.OneOf("data.sides", d.Sides, "one-sided", printer.Sides); err != nil {
		return j, err
	}
	if d.Color, err = desk.OneOf("data.color", d.Color, "monochrome", printer.Colors); err != nil {
		return j, err
	}
	if d.Format, err = desk.OneOf("data.format", d.Format, "", printer.Formats); err != nil {
		return j, err
	}
	if d.Media, err = dk.checkMedia(p, rating.ServicePrint, d.Media, d.Color); err != nil {
		return j, err
	}
	if j.keep, err = parseKeepUntil(d.KeepUntil, c.Received, dk.host.Location()); err != nil {
		return j, err
	}
	if d.Document == "" {
		return j, &bus.FieldError{Field: "data.document", Problem: "required: the document, base64"}
	}
	max := dk.opt.MaxDocument
	if n := base64.StdEncoding.DecodedLen(len(d.Document)); n > max+2 {
		return j, &bus.FieldError{Field: "data.document", Problem: fmt.Sprintf("about %.1f MiB: the limit is %.1f MiB", float64(n)/(1<<20), float64(max)/(1<<20))}
	}
	dk.mu.Lock()
	if dk.docCache.id == c.ID {
		j.doc = dk.docCache.doc
	}
	dk.mu.Unlock()
	if j.doc == nil {
		if j.doc, err = base64.StdEncoding.DecodeString(d.Document); err != nil {
			return j, &bus.FieldError{Field: "data.document", Problem: "not base64: " + err.Error()}
		}
		if len(j.doc) > max {
			return j, &bus.FieldError{Field: "data.document", Problem: fmt.Sprintf("%d bytes: the limit is %d", len(j.doc), max)}
		}
		if len(j.doc) == 0 {
			return j, &bus.FieldError{Field: "data.document", Problem: "empty"}
		}
	}
	d.Document = ""
	return j, nil
}

func (h submitHandler) Validate(c *bus.Command) error {
	j, err := h.parse(c)
	if err != nil {
		return err
	}
	// Execute follows at once on the router's goroutine: keep the decoded
	// document instead of decoding 20 MiB twice.
	h.d.mu.Lock()
	h.d.docCache.id, h.d.docCache.doc = c.ID, j.doc
	h.d.mu.Unlock()
	return nil
}

func (h submitHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	dk := h.d
	log := dk.host.Log()
	j, err := h.parse(c)
	dk.mu.Lock()
	dk.docCache.id, dk.docCache.doc = "", nil
	mu := dk.submitMu[c.Device]
	dk.mu.Unlock()
	if err != nil {
		return nil, err
	}
	p := dk.printer(c.Device)
	now := dk.host.Now()
	sum := sha256.Sum256([]byte(c.ID))
	spool := filepath.Join(dk.opt.SpoolDir, fmt.Sprintf("%s-%s-%s", c.Device, now.UTC().Format("20060102T150405"), hex.EncodeToString(sum[:6])))
	if err := os.WriteFile(spool, j.doc, 0o600); err != nil {
		return nil, fmt.Errorf("document not spooled: %w", err)
	}
	d := j.d
	mu.Lock()
	var row int64
	err = dk.host.InTx(ctx, func(tx *store.Tx) error {
		var err error
		row, err = printjobs.Submitting(tx, printjobs.Job{Device: c.Device, CommandID: c.ID, Room: d.Room, Operator: d.Operator, Name: d.Name,
			Format: d.Format, Copies: d.Copies, Sides: d.Sides, Color: d.Color, Media: d.Media, Bytes: len(j.doc), Spool: spool,
			KeepUntil: j.keep, Submitted: now, Shift: events.ShiftFrom(ctx)})
		return err
	})
	if err != nil {
		mu.Unlock()
		os.Remove(spool)
		return nil, fmt.Errorf("print job not recorded: %w", err)
	}
	jid, serr := p.Submit(ctx, printer.Job{Path: spool, Format: d.Format, Copies: d.Copies, Sides: d.Sides, ColorMode: d.Color,
		Media: d.Media, Name: d.Name, User: d.Operator})
	err = dk.host.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		if serr != nil {
			return printjobs.Refused(tx, row, serr.Error(), dk.host.Now())
		}
		return printjobs.Accepted(tx, row, jid)
	})
	mu.Unlock()
	dk.poke()
	if serr != nil {
		if errors.Is(serr, printer.ErrFormat) {
			return nil, &bus.FieldError{Field: "data.format", Problem: serr.Error()}
		}
		return nil, fmt.Errorf("the printer refused the job: %w", serr)
	}
	if err != nil {
		log.Error("print job sent but its job-id not recorded: it will be billed without its context", "device", c.Device, "job", jid, "err", err)
	}
	log.Info("print job sent", "device", c.Device, "job", jid, "room", d.Room, "operator", d.Operator, "copies", d.Copies)

	// The router runs a device's commands one at a time: wait for the
	// job's end a bounded time, then let the charge follow as
	// hotel.print.job.completed.
	wait := dk.opt.SubmitWait
	if c.Deadline != nil {
		if w := time.Until(*c.Deadline); w < wait {
			wait = max(w, time.Second)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	res := printer.SubmitResult{JobID: int(jid), KeepUntil: j.keep}
	done, werr := p.Wait(wctx, jid)
	if werr != nil {
		res.State = "processing"
		if st, err := printjobs.StatusOf(ctx, dk.host.Store(), row); err == nil {
			res.State, res.Impressions = st.State, st.Impressions
		}
		res.Note = fmt.Sprintf("still running after %s: the charge follows as hotel.print.job.completed (job %d)", wait.Round(time.Second), jid)
		return res, nil
	}
	res.State, res.Impressions, res.Sheets = string(done.State), done.Impressions, done.Sheets
	st, err := printjobs.StatusOf(ctx, dk.host.Store(), row)
	var charge business.Posted
	ok := false
	if err == nil && st.Charge != "" {
		charge, ok, err = business.Get(ctx, dk.host.Store(), st.Charge)
	}
	switch {
	case err == nil && ok:
		m, minor := charge.Amount, charge.AmountMinor
		res.Amount, res.AmountMinor, res.Currency = &m, &minor, charge.Currency
		if charge.Unbilled != "" {
			res.Note = "not priced: " + charge.Unbilled
		}
	default:
		res.Note = "the charge was not recorded: see the gateway log"
	}
	if done.State != printer.JobCompleted {
		why := strings.Join(done.Reasons, ", ")
		if why == "" {
			why = "no reason given"
		}
		billed := ""
		if res.Amount != nil {
			billed = fmt.Sprintf("; %d impressions billed: %s %s", done.Impressions, res.Currency, res.Amount)
		}
		return nil, fmt.Errorf("job %d %s by the printer (%s)%s", jid, done.State, why, billed)
	}
	return res, nil
}

type cancelHandler struct{ d *Desk }

func (h cancelHandler) Validate(c *bus.Command) error {
	if _, err := h.d.knownPrinter(c); err != nil {
		return err
	}
	var d printer.CancelData
	if err := bus.DecodeData(c, &d); err != nil {
		return err
	}
	if d.JobID < 1 {
		return &bus.FieldError{Field: "data.job_id", Problem: "required: the printer's job id"}
	}
	return nil
}

func (h cancelHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	var d printer.CancelData
	if err := bus.DecodeData(c, &d); err != nil {
		return nil, err
	}
	if err := h.d.printer(c.Device).Cancel(ctx, printer.JobID(d.JobID)); err != nil {
		return nil, err
	}
	return map[string]any{"job_id": d.JobID, "state": "cancel requested", "note": "the impressions completed until it stops are billed (hotel.print.job.completed)"}, nil
}
