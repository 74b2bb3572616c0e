// Package printdesk is the business centre's print and copy desk (商務中心
// 打印/複印程序): printer state and alerts the front desk acts on, print jobs
// billed by the impressions that came out, and walk-up copy sessions
// metered from the device's counters.
//
// Records (inside the device's delivery transaction, journal first):
//   - PrinterStatus: the device's status row; its retained
//     print/{device}/state/status is published by the desk's worker after
//     the transaction.
//   - Alert: hotel.print.device.alert with what to do, and the alert row.
//   - JobDone: priced with the business tariff, business_charges row and
//     hotel.print.job.completed in the same transaction, exactly once per
//     job (idemkey: the job's identity from its journal key).
//   - JobUpdate, CounterReading: progress and last counters.
//
// Commands on print/{device}/cmd/: print.submit, print.cancel, copy.start,
// copy.stop (docs/printers.md, docs/events.md).
package printdesk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/desk"
	"switchboard/internal/events/printer"
	"switchboard/internal/folio"
	printjobs "switchboard/internal/print/jobs"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// maxKeep bounds how long a guest's document may be kept.
const maxKeep = 90 * 24 * time.Hour

// Options configure a print desk.
type Options struct {
	// Tariff is the business tariff (business.LoadTariff).
	Tariff *rating.BusinessTariff
	// Billing is the room map in force (rooms a job may be billed to).
	Billing func() *folio.Biller
	// SpoolDir keeps the documents of jobs being printed.
	SpoolDir string
	// MaxDocument is the largest document print.submit takes (default
	// printer.MaxDocument).
	MaxDocument int
	// SubmitWait is how long print.submit waits for the job's end before
	// it replies (default 30 s): the charge follows as an event.
	SubmitWait time.Duration
	// SweepEvery is how often spooled documents are checked against their
	// keep-until dates (default 30 s).
	SweepEvery time.Duration
}

// Desk is the print desk of one gateway.
type Desk struct {
	host desk.Host
	opt  Options

	mu       sync.Mutex
	printers map[string]printer.Printer
	submitMu map[string]*sync.Mutex
	last     map[string]printer.PrinterStatus // last status seen (operator messages)
	publish  map[string]printer.PrinterStatus // statuses waiting for SetState
	kick     chan struct{}
	docCache struct {
		id  string
		doc []byte
	}
}

// New makes the print desk and registers its commands and worker.
func New(h desk.Host, o Options) (*Desk, error) {
	if o.Tariff == nil {
		return nil, errors.New("print desk: no business tariff")
	}
	if o.MaxDocument <= 0 {
		o.MaxDocument = printer.MaxDocument
	}
	if o.SubmitWait <= 0 {
		o.SubmitWait = 30 * time.Second
	}
	if o.SweepEvery <= 0 {
		o.SweepEvery = 30 * time.Second
	}
	if err := os.MkdirAll(o.SpoolDir, 0o700); err != nil {
		return nil, fmt.Errorf("print spool: %w", err)
	}
	d := &Desk{host: h, opt: o, printers: map[string]printer.Printer{}, submitMu: map[string]*sync.Mutex{},
		last: map[string]printer.PrinterStatus{}, publish: map[string]printer.PrinterStatus{}, kick: make(chan struct{}, 1)}
	h.Handle("print", "print.submit", submitHandler{d})
	h.Handle("print", "print.cancel", cancelHandler{d})
	h.Handle("print", "copy.start", copyStartHandler{d})
	h.Handle("print", "copy.stop", copyStopHandler{d})
	h.Go(d.run)
	return d, nil
}

// AttachDevice keeps a printer for the commands; its jobs a previous run
// left unfinished are followed again by the worker.
func (d *Desk) AttachDevice(dev desk.Device, drv any) (bool, error) {
	p, ok := drv.(printer.Printer)
	if !ok {
		return false, nil
	}
	d.mu.Lock()
	d.printers[dev.ID] = p
	d.submitMu[dev.ID] = &sync.Mutex{}
	d.mu.Unlock()
	d.poke()
	return true, nil
}

func (d *Desk) printer(device string) printer.Printer {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.printers[device]
}

// sizeOf is the tariff size of a media on a device ("" when unknown).
func (d *Desk) sizeOf(device, media string) string {
	if p := d.printer(device); p != nil {
		return p.SizeOf(media)
	}
	return ""
}

func (d *Desk) poke() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// knownPrinter is the command's printer, or a field error naming the
// printers there are.
func (d *Desk) knownPrinter(c *bus.Command) (printer.Printer, error) {
	p := d.printer(c.Device)
	if p == nil {
		d.mu.Lock()
		var have []string
		for id := range d.printers {
			have = append(have, id)
		}
		d.mu.Unlock()
		slices.Sort(have)
		return nil, &bus.FieldError{Field: "topic", Problem: fmt.Sprintf("device %q is not a printer of this gateway (have %v)", c.Device, have)}
	}
	return p, nil
}

// run follows again the jobs a previous run left unfinished, then
// publishes printer states after their transactions and deletes spooled
// documents whose job ended (or whose keep-until passed), until ctx ends.
func (d *Desk) run(ctx context.Context) {
	d.mu.Lock()
	devs := make([]string, 0, len(d.printers))
	for id := range d.printers {
		devs = append(devs, id)
	}
	d.mu.Unlock()
	slices.Sort(devs)
	var wg sync.WaitGroup
	for _, dev := range devs {
		jobs, err := d.unfinished(ctx, dev)
		if err != nil {
			d.host.Log().Error("print jobs left by the last run not followed again", "device", dev, "err", err)
			continue
		}
		if len(jobs) > 0 {
			// Asking the printers must not hold up the status updates.
			wg.Add(1)
			go func() { defer wg.Done(); d.resume(ctx, dev, jobs) }()
		}
	}
	defer wg.Wait()
	tick := time.NewTicker(d.opt.SweepEvery)
	defer tick.Stop()
	for {
		d.mu.Lock()
		pub := d.publish
		d.publish = map[string]printer.PrinterStatus{}
		d.mu.Unlock()
		for dev, st := range pub {
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			st.At = st.At.In(d.host.Location())
			if err := d.host.SetState(sctx, desk.State{Domain: "print", Device: dev, Aspect: "status", Data: st}); err != nil && ctx.Err() == nil {
				d.host.Log().Warn("printer state not published", "device", dev, "err", err)
			}
			cancel()
		}
		d.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-d.kick:
		case <-tick.C:
		}
	}
}

// resumable is a job a previous run left unfinished.
type resumable struct {
	id printer.JobID
	r  printer.Resume
}

// unfinished returns the device's jobs a previous run left running, and
// marks orphaned those that cannot be resumed.
func (d *Desk) unfinished(ctx context.Context, device string) ([]resumable, error) {
	var out []resumable
	var lost int64
	err := d.host.InTx(ctx, func(tx *store.Tx) error {
		run, n, err := printjobs.Unfinished(tx, device, d.host.Now(),
			"the gateway stopped while the document was being sent: the printer's job-id is unknown, the job is not followed nor billed; check the printer's job history")
		lost, out = n, out[:0]
		for _, j := range run {
			r := printer.Resume{Job: j.Job, State: j.State, Impressions: j.Impressions, Submitted: j.Submitted}
			if j.Followed != nil {
				r.UUID, r.Submitted = j.Followed.UUID, j.Followed.Submitted
			}
			// Stopped before the printer's first answer was kept: without
			// its job-uuid the job-id is trusted as it is.
			out = append(out, resumable{id: j.JobID, r: r})
		}
		return err
	})
	if lost > 0 {
		d.host.Log().Warn("print jobs whose job-id the printer never returned are not billed: check the printer's job history", "device", device, "jobs", lost)
	}
	return out, err
}

// resume follows again the jobs a previous run left running, so that each
// is billed once when it ends, with the idemkey it would have had. A job
// the printer no longer knows ends aborted with job-lost-by-printer: billed
// for the impressions seen, and listed by `report devices`.
func (d *Desk) resume(ctx context.Context, device string, jobs []resumable) {
	p := d.printer(device)
	log := d.host.Log()
	for _, j := range jobs {
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := p.Follow(fctx, j.id, j.r)
		cancel()
		switch {
		case err == nil:
			log.Info("print job left running by the last run followed again", "device", device, "job", j.id, "uuid", j.r.UUID)
		case errors.Is(err, printer.ErrJobLost):
			log.Warn("print job left running by the last run is lost by the printer", "device", device, "job", j.id, "err", err)
		case ctx.Err() != nil:
			return
		default:
			log.Error("print job left running by the last run not followed: it stays running in `report devices`", "device", device, "job", j.id, "err", err)
		}
	}
}

// sweep deletes the spooled documents nobody asked to keep, or kept past
// their date (打印程序: ask whether to keep the file and how long, otherwise
// delete it).
func (d *Desk) sweep(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	docs, err := printjobs.Expired(ctx, d.host.Store(), d.host.Now())
	if err != nil {
		d.host.Log().Warn("print spool sweep", "err", err)
		return
	}
	for _, doc := range docs {
		if err := os.Remove(doc.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			d.host.Log().Warn("spooled document not deleted", "file", doc.Path, "err", err)
			continue
		}
		if err := d.host.InTx(ctx, func(tx *store.Tx) error { return printjobs.SpoolDeleted(tx, doc.Row, d.host.Now()) }); err != nil {
			d.host.Log().Warn("spooled document deleted but not recorded", "file", doc.Path, "err", err)
		}
	}
}
