// Package ipp drives IPP printers and MFPs (RFC 8011, IPP Everywhere PWG
// 5100.14) for the business center: it polls each printer's state,
// supplies and trays (Get-Printer-Attributes) and turns changes into
// PrinterStatus and Alert records; it submits print jobs (Print-Job),
// follows them to a terminal state (Get-Job-Attributes) and reports
// JobDone with the impressions actually completed, which is what billing
// uses; and it reads lifetime counters from IPP or SNMP (Printer-MIB) for
// copy sessions. It speaks IPP with github.com/phin1x/go-ipp's low-level
// codec over its own http.Client (timeouts, verified TLS) and works around
// that library's traps (see wire.go). Every IPP answer it acts on is
// journaled first as compact JSON, then delivered. Model quirks live in
// firmware-profiles/printer.
package ipp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	goipp "github.com/phin1x/go-ipp"

	"switchboard/drivers"
	"switchboard/internal/events"
	"switchboard/internal/events/printer"
)

// Entry is this driver in the registry (drivers/all).
func Entry() drivers.Entry {
	// The ipp (RFC 3510) and ipps (RFC 7472) URI schemes.
	return drivers.Entry{Name: "ipp", Domain: "print", Kind: drivers.KindPrinter, URISchemes: []string{"ipp", "ipps"},
		CheckProfile: func(id, _ string) error {
			if _, err := LoadProfile(id, nil); err != nil {
				return fmt.Errorf("no printer profile %q (have %v)", id, ProfileIDs())
			}
			return nil
		},
		ProfileIDs: ProfileIDs,
		New:        func(dev drivers.Device, deps drivers.Deps) (drivers.Driver, error) { return New(dev, deps) }}
}

// Printer is one configured printer. Run polls it; Submit, Cancel, Wait
// and Counters are what the core calls, from any goroutine.
type Printer struct {
	dev     drivers.Device
	opt     Options
	prof    *Profile
	c       *client
	snmp    *snmpClient
	sink    drivers.Sink
	log     *slog.Logger
	now     func() time.Time
	life    context.Context // ends when Run ends: job followers stop
	stop    context.CancelFunc
	wg      sync.WaitGroup
	pollMu  sync.Mutex // one poll at a time
	emitMu  sync.Mutex // journal+deliver pairs stay in order
	mu      sync.Mutex
	status  printer.PrinterStatus
	alerts  map[printer.AlertKind][]string
	last    []byte // last journaled printer snapshot
	formats []string
	jobs    map[printer.JobID]*jobTrack
	done    map[printer.JobID]printer.JobDone
	doneIDs []printer.JobID
}

// New builds a printer from its config entry. Its profile comes from the
// embedded printer profiles (dev.Profile, default ipp-everywhere).
func New(dev drivers.Device, deps drivers.Deps) (*Printer, error) {
	opt, err := ParseOptions(dev.Options)
	if err != nil {
		return nil, fmt.Errorf("printer %s: %w", dev.ID, err)
	}
	pid := dev.Profile
	if pid == "" {
		pid = "ipp-everywhere"
	}
	var dir fs.FS
	if dev.ProfileDir != "" {
		dir = os.DirFS(filepath.Join(dev.ProfileDir, "printer"))
	}
	prof, err := LoadProfile(pid, dir)
	if err != nil {
		return nil, fmt.Errorf("printer %s: %w", dev.ID, err)
	}
	return NewWithProfile(dev, opt, prof, deps)
}

// NewWithProfile builds a printer from parsed options and a loaded profile.
func NewWithProfile(dev drivers.Device, opt Options, prof *Profile, deps drivers.Deps) (*Printer, error) {
	if deps.Sink == nil {
		return nil, fmt.Errorf("printer %s: no sink", dev.ID)
	}
	c, err := newClient(opt.URI, opt.Username, opt.Password, opt.TLS, opt.Timeout)
	if err != nil {
		return nil, fmt.Errorf("printer %s: %w", dev.ID, err)
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Printer{
		dev: dev, opt: opt, prof: prof, c: c, sink: deps.Sink,
		log:    log.With("device", dev.ID),
		now:    time.Now,
		alerts: map[printer.AlertKind][]string{},
		jobs:   map[printer.JobID]*jobTrack{},
		done:   map[printer.JobID]printer.JobDone{},
		status: printer.PrinterStatus{Device: dev.ID, State: "unknown"},
	}
	if opt.SNMP != nil {
		p.snmp = &snmpClient{opt: *opt.SNMP}
	}
	p.life, p.stop = context.WithCancel(context.Background())
	return p, nil
}

// Profile is the printer's profile.
func (p *Printer) Profile() *Profile { return p.prof }

// SizeOf is the tariff size of a PWG media name from the printer's profile.
func (p *Printer) SizeOf(media string) string { return p.prof.SizeOf(media) }

var _ printer.Printer = (*Printer)(nil)

// Run polls the printer every Poll until ctx ends, then stops the job
// followers and returns nil.
func (p *Printer) Run(ctx context.Context) error {
	defer func() {
		p.mu.Lock() // Follow adds to wg under mu while the printer runs
		p.stop()
		p.mu.Unlock()
		p.wg.Wait()
	}()
	go func() {
		select {
		case <-ctx.Done():
			p.stop()
		case <-p.life.Done():
		}
	}()
	t := time.NewTicker(p.opt.Poll)
	defer t.Stop()
	for {
		if _, err := p.Poll(ctx); err != nil && ctx.Err() == nil {
			p.log.Debug("poll", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Status is the state seen by the last poll.
func (p *Printer) Status() printer.PrinterStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.status
	st.Reasons = slices.Clone(st.Reasons)
	return st
}

// Poll asks the printer for its state once. A change is journaled and
// delivered (PrinterStatus, then the alerts it raises or clears); an
// unreachable printer is offline. The error is the poll's, after its
// offline state was delivered.
func (p *Printer) Poll(ctx context.Context) (printer.PrinterStatus, error) {
	p.pollMu.Lock()
	defer p.pollMu.Unlock()
	req := p.c.newRequest(opGetPrinterAttributes)
	req.OperationAttributes[goipp.AttributeRequestedAttributes] = monitorAttrs
	resp, _, err := p.c.do(ctx, "Get-Printer-Attributes", req, nil, 0)
	at := p.now()
	if err != nil {
		if ctx.Err() != nil {
			return p.Status(), err
		}
		st := printer.PrinterStatus{Device: p.dev.ID, At: at, State: "offline", Error: err.Error()}
		frame := mustJSON(snapshot{Device: p.dev.ID, Op: "Get-Printer-Attributes", Error: err.Error()})
		p.update(ctx, st, frame, snapshot{Device: p.dev.ID, Op: "Get-Printer-Attributes", Error: "unreachable"})
		return st, err
	}
	var attrs Attrs
	if len(resp.PrinterAttributes) > 0 {
		attrs = convertAttrs(resp.PrinterAttributes[0])
	}
	st := parseStatus(p.dev.ID, at, attrs)
	p.mu.Lock()
	if f := attrs.strs("document-format-supported"); len(f) > 0 {
		p.formats = f
	}
	p.mu.Unlock()
	snap := snapshot{Device: p.dev.ID, Op: "Get-Printer-Attributes", Status: statusHex(resp.StatusCode), Attrs: attrs}
	p.update(ctx, st, mustJSON(snap), snap)
	return st, nil
}

// snapshot is the journaled frame of one IPP answer.
type snapshot struct {
	Device string        `json:"device"`
	Op     string        `json:"op"`
	JobID  printer.JobID `json:"job_id,omitempty"`
	Status string        `json:"status,omitempty"`
	Error  string        `json:"error,omitempty"`
	Attrs  Attrs         `json:"attrs,omitempty"`
}

// key makes a frame key: device, what, and the time the gateway saw it
// (a printer snapshot has no identity of its own).
func (p *Printer) key(what string, at time.Time) string {
	return p.dev.ID + "/" + what + "/" + at.UTC().Format("20060102T150405.000000000Z")
}

func statusHex(c int16) string { return fmt.Sprintf("0x%04x", uint16(c)) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": "unencodable: " + err.Error()})
	}
	return b
}

// update journals and delivers a status when it changed. key is what
// decides "changed": the snapshot without volatile parts (an offline
// error text changes with every failed poll).
func (p *Printer) update(ctx context.Context, st printer.PrinterStatus, frame []byte, key snapshot) {
	k := mustJSON(key)
	p.mu.Lock()
	prevState := p.status.State
	if string(k) == string(p.last) {
		p.status.At = st.At
		p.mu.Unlock()
		return
	}
	cur := activeAlerts(st)
	alerts := diffAlerts(p.dev.ID, st.At, p.alerts, cur)
	p.mu.Unlock()

	recs := []any{st}
	for _, a := range alerts {
		recs = append(recs, a)
	}
	if err := p.emit(ctx, frame, p.key("status", st.At), st.At, recs...); err != nil {
		// Nothing is committed: the next poll sees the change again and
		// raises the same alerts.
		p.log.Error("deliver printer status", "err", err)
		return
	}
	// Poll runs one at a time (pollMu), so nothing moved meanwhile.
	p.mu.Lock()
	p.last, p.alerts, p.status = k, cur, st
	p.mu.Unlock()
	if (prevState == "offline") != (st.State == "offline") || prevState == "unknown" {
		ls := events.DeviceState{Device: p.dev.ID, State: "connected", Endpoint: p.opt.URI, Since: st.At}
		if st.State == "offline" {
			ls.State, ls.Error = "disconnected", st.Error
		}
		p.sink.LinkState(ls)
	}
}

// emit journals one frame, then delivers the records made of it.
// key is the frame's business identity (drivers.Frame).
func (p *Printer) emit(ctx context.Context, frame []byte, key string, at time.Time, recs ...any) error {
	p.emitMu.Lock()
	defer p.emitMu.Unlock()
	ids, err := p.sink.Journal(ctx, drivers.FromDevice, []drivers.Frame{{Data: frame, Key: key}}, at)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if len(ids) != 1 {
		return errors.New("journal: returned no id")
	}
	res := make([]drivers.Result, 0, len(recs))
	for _, r := range recs {
		res = append(res, drivers.Result{FrameID: ids[0], Record: r, Key: key})
	}
	if len(res) == 0 {
		res = append(res, drivers.Result{FrameID: ids[0], Skipped: true, Key: key})
	}
	return p.sink.Deliver(ctx, res)
}
