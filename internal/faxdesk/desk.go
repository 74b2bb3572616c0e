// Package faxdesk is the business centre's fax desk (商務中心 發送傳真程序 /
// 接收傳真程序, docs/fax.md). Sending: fax.send checks the number against
// the dialing plan, converts the document to fax pages, quotes it and
// queues the job (internal/fax/jobs); the desk's worker dials through the
// device's fax.Modem, tries busy and unanswered calls again, writes a
// transmission report and bills the pages each attempt confirmed with its
// rated call. Receiving: a fax.Received record is stored as TIFF Class F
// and PDF and entered in the register in its delivery transaction;
// fax.assign finds the guest and lights the room's message lamp,
// fax.deliver bills the received pages; unclaimed faxes are archived, then
// destroyed, and with fax.email set each one is e-mailed to the front desk.
package faxdesk

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/desk"
	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/folio"
	"switchboard/internal/pdf"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// Lamp is the hotel link as the fax desk uses it: the message-waiting lamp
// of a room (a fax waiting at the front desk). It reports whether the PBX
// took it now; the link sends it again at its next resync otherwise.
type Lamp interface {
	MessageLamp(ctx context.Context, room string, on bool, by string) bool
}

// Options configure a fax desk. The gateway fills the first group from
// the config; the waits default to production's (tests shorten them).
type Options struct {
	// Tariff is the business tariff (business.LoadTariff): the one print
	// and copy are priced from.
	Tariff *rating.BusinessTariff
	// Billing is the rating engine and room map in force: the dialing plan
	// a number is checked against, the call's rate, number masking, rooms.
	Billing func() *folio.Biller
	// Dir keeps the faxes: out/ (pages to send, transmission reports),
	// in/ (received, by day) and archive/.
	Dir string
	// Lamp is the hotel link's message lamp; nil: the hotel has none.
	Lamp Lamp
	// PDFFont draws what the standard PDF fonts cannot (Chinese: the
	// remote station's id, the guest's name) on transmission reports;
	// nil prints it as '?'. cmd/switchboard loads the machine's font and
	// hands it in through gateway.Tuning.Fax.
	PDFFont *pdf.TrueType

	// From the config's fax section (zero: its defaults).
	Policy       faxjobs.Policy    // fax.retry_attempts, fax.retry_interval_s
	Retention    faxjobs.Retention // fax.archive_days, fax.destroy_days
	MaxDocument  int               // bytes (fax.max_document_mib)
	PageLimit    int               // fax.page_limit
	QuoteBitRate int               // bit/s a quote assumes (fax.quote_bitrate)
	Email        *config.FaxEmail  // nil: received faxes are not e-mailed
	MailRetry    time.Duration     // before a failed e-mail is tried again (fax.email.retry_interval_s)

	// Waits.
	Poll        time.Duration // how often the queue is checked (1 s)
	SweepEvery  time.Duration // how often retention is checked (10 min)
	SendWait    time.Duration // how long fax.send waits for the first attempt's end (3 min)
	CallTimeout time.Duration // one call, whole (15 min)
	GSTimeout   time.Duration // Ghostscript on one PDF (60 s)
	MailTimeout time.Duration // one SMTP session (2 min)
}

// withDefaults fills what o leaves zero.
func (o Options) withDefaults() Options {
	var fc config.Fax // its methods give the config's defaults
	if o.Policy.Attempts <= 0 {
		o.Policy.Attempts = fc.Attempts()
	}
	if o.Policy.Interval <= 0 {
		o.Policy.Interval = fc.RetryInterval()
	}
	if o.Retention.ArchiveAfter <= 0 {
		o.Retention.ArchiveAfter = fc.ArchiveAfter()
	}
	if o.Retention.DestroyAfter <= 0 {
		o.Retention.DestroyAfter = fc.DestroyAfter()
	}
	if o.MaxDocument <= 0 {
		o.MaxDocument = fax.MaxDocument
	}
	if o.PageLimit <= 0 {
		o.PageLimit = fax.MaxPages
	}
	if o.QuoteBitRate <= 0 {
		o.QuoteBitRate = fc.BitRate()
	}
	if o.MailRetry <= 0 && o.Email != nil {
		o.MailRetry = o.Email.RetryInterval()
	}
	for _, w := range []struct {
		d   *time.Duration
		def time.Duration
	}{{&o.Poll, time.Second}, {&o.SweepEvery, 10 * time.Minute}, {&o.SendWait, 3 * time.Minute},
		{&o.CallTimeout, 15 * time.Minute}, {&o.GSTimeout, 60 * time.Second}, {&o.MailTimeout, 2 * time.Minute}} {
		if *w.d <= 0 {
			*w.d = w.def
		}
	}
	return o
}

// Desk is the fax desk of one gateway.
type Desk struct {
	host  desk.Host
	opt   Options
	roots *x509.CertPool // fax.email.ca (nil: the system's)

	kick    chan struct{} // the send queue has work
	sweepCh chan struct{} // retention now
	mailCh  chan struct{} // an e-mail is due

	mu      sync.Mutex
	modems  map[string]fax.Modem
	sending map[string]bool         // modems whose queue a sender goroutine works
	done    map[int64]chan struct{} // jobs a fax.send waits for
	wg      sync.WaitGroup          // the sender goroutines
}

// New makes the fax desk and registers its commands and workers.
func New(h desk.Host, o Options) (*Desk, error) {
	if o.Tariff == nil {
		return nil, errors.New("fax desk: no business tariff")
	}
	if o.Billing == nil {
		return nil, errors.New("fax desk: no dialing plan (Billing)")
	}
	if o.Dir == "" {
		return nil, errors.New("fax desk: no folder")
	}
	o = o.withDefaults()
	for _, sub := range []string{"out", "in", "archive"} {
		if err := os.MkdirAll(filepath.Join(o.Dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("fax folder: %w", err)
		}
	}
	d := &Desk{host: h, opt: o, kick: make(chan struct{}, 1), sweepCh: make(chan struct{}, 1), mailCh: make(chan struct{}, 1),
		modems: map[string]fax.Modem{}, sending: map[string]bool{}, done: map[int64]chan struct{}{}}
	if e := o.Email; e != nil && e.CA != "" {
		pem, err := os.ReadFile(e.CA)
		if err != nil {
			return nil, fmt.Errorf("fax.email.ca: %w", err)
		}
		d.roots = x509.NewCertPool()
		if !d.roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("fax.email.ca %s: no PEM certificate", e.CA)
		}
	}
	h.Handle("fax", "fax.send", sendHandler{d})
	h.Handle("fax", "fax.assign", assignHandler{d})
	h.Handle("fax", "fax.deliver", deliverHandler{d})
	h.Go(d.run)
	if o.Email != nil {
		h.Go(d.mailer)
	}
	return d, nil
}

// Options are the options in force (the defaults filled in).
func (d *Desk) Options() Options { return d.opt }

// AttachDevice keeps a fax modem for the send queue. A device attached
// again is replaced.
func (d *Desk) AttachDevice(dev desk.Device, drv any) (bool, error) {
	m, ok := drv.(fax.Modem)
	if !ok {
		if dev.Domain == "fax" {
			return false, fmt.Errorf("device %s: driver %s made a %T, not a fax.Modem", dev.ID, dev.Driver, drv)
		}
		return false, nil
	}
	d.mu.Lock()
	d.modems[dev.ID] = m
	d.mu.Unlock()
	d.poke(d.kick)
	return true, nil
}

// Modem is the fax modem jobs of device go through (nil: none).
func (d *Desk) Modem(device string) fax.Modem {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.modems[device]
}

func (d *Desk) hasModem() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.modems) > 0
}

// knownModem is a field error naming the modems there are when the
// command's device is none of them.
func (d *Desk) knownModem(c *bus.Command) error {
	if d.Modem(c.Device) != nil {
		return nil
	}
	d.mu.Lock()
	have := make([]string, 0, len(d.modems))
	for id := range d.modems {
		have = append(have, id)
	}
	d.mu.Unlock()
	slices.Sort(have)
	return &bus.FieldError{Field: "topic", Problem: fmt.Sprintf("device %q is not a fax modem of this gateway (have %v)", c.Device, have)}
}

func (d *Desk) poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Sweep runs the retention check now rather than at its next tick.
func (d *Desk) Sweep() { d.poke(d.sweepCh) }

// run is the desk's worker: the jobs a stop cut off first, then the send
// queue and the retention of unclaimed faxes until ctx ends.
func (d *Desk) run(ctx context.Context) {
	// A gateway without a fax modem has no fax work: no queue to poll.
	for !d.hasModem() {
		select {
		case <-ctx.Done():
			return
		case <-d.kick: // AttachDevice
		}
	}
	defer d.wg.Wait() // each modem's sender ends its attempt first
	d.Recover(ctx)
	tick := time.NewTicker(d.opt.Poll)
	defer tick.Stop()
	sweep := time.NewTicker(d.opt.SweepEvery)
	defer sweep.Stop()
	d.retain(ctx)
	for {
		d.sendDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-d.kick:
		case <-tick.C:
		case <-d.sweepCh:
			d.retain(ctx)
		case <-sweep.C:
			d.retain(ctx)
		}
	}
}

// Recover ends the jobs a stop cut off during a call: whether the fax went
// through is unknown, so they are not sent again (the guest could get it
// twice) nor billed; the operator checks the driver's journal. A job whose
// attempt has no dial in the journal placed no call (the driver commits
// the dial before the modem gets it): it is simply due again. The worker
// runs it when it starts.
func (d *Desk) Recover(ctx context.Context) {
	log := d.host.Log()
	jobs, err := faxjobs.Interrupted(ctx, d.host.Store())
	if err != nil {
		log.Error("fax jobs interrupted by the last stop", "err", err)
		return
	}
	for _, j := range jobs {
		dialled := true // without the modem, the journal cannot tell: the safe side
		if m := d.Modem(j.Device); m != nil {
			keyPrefix, dial := m.DialEvidence(attemptKey(j))
			var err error
			if dialled, err = d.host.Store().SentToDevice(ctx, j.Device, j.Started, keyPrefix, dial); err != nil {
				log.Warn("fax job's dial not looked up in the journal: taken as dialled", "job", j.ID, "device", j.Device, "err", err)
				dialled = true
			}
		}
		if !dialled {
			why := "a gateway restart came before the dial: no call was placed; sent again"
			if err := d.host.InTx(ctx, func(tx *store.Tx) error { return faxjobs.Unclaim(tx, j.ID, d.host.Now(), why) }); err != nil {
				log.Error("fax job not queued again", "job", j.ID, "err", err)
			} else {
				log.Info("fax job queued again: the last stop came before its dial", "job", j.ID, "device", j.Device)
			}
			continue
		}
		a := faxjobs.Attempt{Outcome: faxjobs.Outcome{Pages: j.Pages,
			Error: "interrupted by a gateway restart during the call: not billed, not resent; check the device's journal"}, Start: j.Started,
			Total: j.Confirmed, Result: j.Result}
		d.finish(ctx, j, a, faxjobs.Failed, d.host.Now())
	}
}
