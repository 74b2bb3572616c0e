package printdesk

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/business"
	"switchboard/internal/desk"
	"switchboard/internal/desk/desktest"
	"switchboard/internal/events/printer"
	"switchboard/internal/folio"
	"switchboard/internal/report"
	"switchboard/internal/store"
)

// fakePrinter ends every job it is sent with the impressions a script
// says, delivering JobDone to the desk as the IPP driver does (through
// the record path), and reads its counter from a variable.
type fakePrinter struct {
	r *rig

	mu      sync.Mutex
	next    printer.JobID
	jobs    []printer.Job
	ends    map[printer.JobID]chan printer.JobDone
	counter int64
	// end makes a job's JobDone.
	end func(id printer.JobID, j printer.Job, at time.Time) printer.JobDone
}

func (p *fakePrinter) Submit(_ context.Context, j printer.Job) (printer.JobID, error) {
	p.mu.Lock()
	p.next++
	id := p.next
	p.jobs = append(p.jobs, j)
	ch := make(chan printer.JobDone, 1)
	p.ends[id] = ch
	done := p.end(id, j, p.r.h.Now())
	p.mu.Unlock()
	go func() {
		// The driver delivers the job's end from its own goroutine.
		p.r.deliver(fmt.Sprintf("urn:uuid:job-%d/%s/%d", id, done.State, done.Impressions), done)
		ch <- done
	}()
	return id, nil
}

func (p *fakePrinter) Wait(ctx context.Context, id printer.JobID) (printer.JobDone, error) {
	p.mu.Lock()
	ch := p.ends[id]
	p.mu.Unlock()
	select {
	case d := <-ch:
		return d, nil
	case <-ctx.Done():
		return printer.JobDone{}, ctx.Err()
	}
}

func (p *fakePrinter) Cancel(context.Context, printer.JobID) error { return nil }
func (p *fakePrinter) Follow(context.Context, printer.JobID, printer.Resume) error {
	return printer.ErrJobLost
}

func (p *fakePrinter) Counters(context.Context) (printer.Counters, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return printer.Counters{At: p.r.h.Now(), Source: printer.FromIPP, Impressions: p.counter, Color: -1, Mono: -1}, nil
}

func (p *fakePrinter) SizeOf(media string) string {
	return map[string]string{"iso_a4_210x297mm": "A4", "iso_a3_297x420mm": "A3"}[media]
}

// pages ends a job with n impressions per copy, completed.
func pages(n int) func(printer.JobID, printer.Job, time.Time) printer.JobDone {
	return func(id printer.JobID, j printer.Job, at time.Time) printer.JobDone {
		c := max(j.Copies, 1)
		return printer.JobDone{Device: "prn1", At: at, JobID: id, State: printer.JobCompleted, Impressions: n * c, Sheets: n * c,
			Media: j.Media, Sides: j.Sides, Copies: c, Color: j.ColorMode == "color", CounterImpressions: n * c}
	}
}

// rig is a print desk on a test host with one fake printer, prn1, and
// guest rooms 1101-1299.
type rig struct {
	t   *testing.T
	h   *desktest.Host
	d   *Desk
	prn *fakePrinter

	mu   sync.Mutex
	errs []error
}

var prn1 = desk.Device{ID: "prn1", Driver: "ipp", Domain: "print"}

func newRig(t *testing.T) *rig {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, h: desktest.NewHost(t, time.Date(2026, 11, 27, 10, 0, 0, 0, loc))}
	bl := desktest.Biller(t, "1101", "1299")
	r.d, err = New(r.h, Options{Tariff: desktest.BusinessTariff(t, ""), Billing: func() *folio.Biller { return bl },
		SpoolDir: filepath.Join(t.TempDir(), "spool"), SubmitWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r.prn = &fakePrinter{r: r, ends: map[printer.JobID]chan printer.JobDone{}, end: pages(1), counter: 1000}
	if ok, err := r.d.AttachDevice(prn1, r.prn); !ok || err != nil {
		t.Fatalf("attach: %v %v", ok, err)
	}
	t.Cleanup(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, err := range r.errs {
			t.Error(err)
		}
	})
	return r
}

// deliver applies a record of prn1 in a transaction, as the gateway's sink
// does; the outcome's status is returned.
func (r *rig) deliver(key string, v any) string {
	var out desk.Outcome
	err := r.h.InTx(context.Background(), func(tx *store.Tx) (err error) {
		out, err = r.d.HandleRecord(tx, desk.Record{Device: prn1, Key: key, Value: v})
		return err
	})
	if err != nil {
		r.mu.Lock()
		r.errs = append(r.errs, fmt.Errorf("record %s: %w", key, err))
		r.mu.Unlock()
	}
	return out.Status
}

func (r *rig) run(name string, data any) (any, error) {
	r.t.Helper()
	return r.h.Run(r.t, r.h.Command(r.t, "print", "prn1", name, data))
}

// charges lists the business charges as "service room units amount".
func (r *rig) charges() []string {
	r.t.Helper()
	var out []string
	for _, ev := range append(r.h.Events(r.t, "hotel.print.job.completed"), r.h.Events(r.t, "hotel.print.copy.completed")...) {
		var units any = ev["impressions"]
		if units == nil {
			units = ev["pages"]
		}
		out = append(out, fmt.Sprintf("%v %v %v", ev["room"], units, ev["amount"])) // the charge is inline (events.Charge)
	}
	return out
}

func doc(s string) string { return base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n" + s)) }

// TestPrintJobBilledOnce: a job is billed for the impressions that came
// out, at the tariff's price for its size, colour and sides, to the room
// that asked; the printer reporting the job's end again bills nothing.
func TestPrintJobBilledOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.prn.end = pages(2)
	res, err := r.run("print.submit", printer.SubmitData{Room: "1203", Operator: "op07", Copies: 2, Sides: "two-sided-long-edge", Document: doc("x")})
	if err != nil {
		t.Fatal(err)
	}
	sr := res.(printer.SubmitResult)
	if sr.State != "completed" || sr.Impressions != 4 || sr.Amount == nil || sr.Amount.String() != "3.20" {
		t.Errorf("reply %+v (amount %v), want 4 impressions at 0.80 = 3.20", sr, sr.Amount)
	}
	if st := r.deliver("urn:uuid:job-1/completed/4", pages(2)(1, printer.Job{Copies: 2, Sides: "two-sided-long-edge"}, r.h.Now())); st != store.FrameDuplicate {
		t.Errorf("the job's end again: %q, want duplicate", st)
	}
	if got := r.charges(); len(got) != 1 || got[0] != "1203 4 3.20" {
		t.Errorf("charges %q, want one of 3.20 to 1203", got)
	}
	posted, ok, err := business.Get(context.Background(), r.h.Store(), "prn1/print/urn:uuid:job-1")
	if err != nil || !ok || posted.Units != 4 || posted.Amount.String() != "3.20" {
		t.Errorf("ledger: %+v %v %v", posted, ok, err)
	}
}

// TestPrintJobNobodySubmitted: a job the desk did not send (someone
// printed to the device from elsewhere) is still billed, visibly without
// a room.
func TestPrintJobNobodySubmitted(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	done := printer.JobDone{Device: "prn1", At: r.h.Now(), JobID: 77, State: printer.JobCompleted, Impressions: 3, Media: "iso_a3_297x420mm", Color: true}
	if st := r.deliver("urn:uuid:stray/completed/3", done); st != store.FrameParsed {
		t.Fatalf("outcome %q", st)
	}
	if got := r.charges(); len(got) != 1 || got[0] != " 3 30.00" {
		t.Errorf("charges %q, want 3 A3 colour at 10.00 without a room", got)
	}
}

// TestCopySession: copies are the counter's difference less what print
// jobs added meanwhile, billed once at copy.stop.
func TestCopySession(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	if _, err := r.run("copy.start", printer.CopyStartData{Room: "1203", Operator: "op07"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.run("copy.start", printer.CopyStartData{Room: "1204", Operator: "op07"}); err == nil || !strings.Contains(err.Error(), "already has an open copy session") {
		t.Errorf("second session: %v", err)
	}
	r.h.Advance(time.Minute)
	r.prn.end = pages(4)
	if _, err := r.run("print.submit", printer.SubmitData{Room: "1110", Operator: "op07", Document: doc("y")}); err != nil {
		t.Fatal(err)
	}
	r.h.Advance(time.Minute)
	r.prn.mu.Lock()
	r.prn.counter += 4 + 12 // the print job and twelve copies
	r.prn.mu.Unlock()
	var fe *bus.FieldError
	if _, err := r.run("copy.stop", printer.CopyStopData{Room: "1204"}); !errors.As(err, &fe) || fe.Field != "data.room" {
		t.Errorf("stop for another room: %v", err)
	}
	res, err := r.run("copy.stop", printer.CopyStopData{Room: "1203"})
	if err != nil {
		t.Fatal(err)
	}
	if m := res.(map[string]any); m["pages"] != int64(12) || m["print_impressions"] != int64(4) {
		t.Errorf("copy.stop %v, want 12 copies and 4 printed", m)
	}
	if got := r.charges(); len(got) != 2 || got[0] != "1110 4 4.00" || got[1] != "1203 12 6.00" {
		t.Errorf("charges %q", got)
	}
	if _, err := r.run("copy.stop", printer.CopyStopData{Room: "1203"}); err == nil || !strings.Contains(err.Error(), "no open copy session") {
		t.Errorf("second stop: %v", err)
	}
}

// TestAlertTellsWhatToDo: a printer's alert becomes an event that names
// the tray and paper (or the supply) to see to, and a device alert row
// until it clears.
func TestAlertTellsWhatToDo(t *testing.T) {
	t.Parallel()
	st := printer.PrinterStatus{State: "stopped", Trays: []printer.Tray{{Name: "tray-1", Media: "iso_a4_210x297mm", Level: 0, Capacity: 250},
		{Name: "tray-2", Level: 20, Capacity: 500}}, MediaReady: []string{"iso_a3_297x420mm"},
		Supplies: []printer.Supply{{Name: "Black Toner", Level: 4, Low: true}, {Name: "Cyan Toner", Level: 60}}, Error: "connection refused"}
	size := func(m string) string { return map[string]string{"iso_a4_210x297mm": "A4", "iso_a3_297x420mm": "A3"}[m] }
	cases := []struct {
		kind     printer.AlertKind
		change   printer.AlertChange
		severity string
		message  string
	}{
		{printer.AlertMediaEmpty, printer.Raised, "critical", "load A4 paper in tray tray-1"},
		{printer.AlertMediaLow, printer.Raised, "warning", "paper low: add A3 paper in tray tray-2"},
		{printer.AlertTonerLow, printer.Raised, "warning", "toner low: have a replacement ready for Black Toner (4%)"},
		{printer.AlertOffline, printer.Raised, "critical", "printer does not answer: check its power and network cable"},
		{printer.AlertMediaEmpty, printer.Cleared, "info", "paper loaded: printing resumes"},
		{"marker-waste-full", printer.Raised, "warning", "check the printer: marker-waste-full"},
	}
	for _, tc := range cases {
		al := alertMessage(printer.Alert{Kind: tc.kind, Change: tc.change}, st, size)
		if al.Severity != tc.severity || al.Message != tc.message {
			t.Errorf("%s %s: %s %q, want %s %q", tc.kind, tc.change, al.Severity, al.Message, tc.severity, tc.message)
		}
	}

	r := newRig(t)
	r.deliver("status/1", st)
	r.deliver("alert/1", printer.Alert{Device: "prn1", At: r.h.Now(), Kind: printer.AlertMediaEmpty, Change: printer.Raised, Reasons: []string{"media-empty"}})
	evs := r.h.Events(t, "hotel.print.device.alert")
	if len(evs) != 1 || evs[0]["message"] != "load A4 paper in tray tray-1" || evs[0]["severity"] != "critical" {
		t.Fatalf("alert events %v", evs)
	}
	// The shift handover's device check lists it until it clears.
	alerts := func() []report.DeviceAlert {
		rep, err := report.LoadDevices(context.Background(), r.h.Store(), r.h.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range rep.Devices {
			if d.Device == "prn1" {
				return d.Alerts
			}
		}
		return nil
	}
	if open := alerts(); len(open) != 1 || open[0].Message != "load A4 paper in tray tray-1" {
		t.Fatalf("open alerts %+v", open)
	}
	r.h.Advance(5 * time.Minute)
	r.deliver("alert/2", printer.Alert{Device: "prn1", At: r.h.Now(), Kind: printer.AlertMediaEmpty, Change: printer.Cleared})
	if open := alerts(); len(open) != 0 {
		t.Errorf("alerts after the clear %+v", open)
	}
}

// TestPrintHouseNotBilled: a job for the house (the business centre's own
// print, a fax's transmission report) is recorded with no price and why,
// while the same job for a room is billed; house is not a copy room.
func TestPrintHouseNotBilled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		room, amount, unbilled string
	}{
		{room: business.House, amount: "0.00", unbilled: "house use"},
		{room: "1203", amount: "2.00"}, // 1 impression at 1.00, the minimum 2.00
	} {
		t.Run(tc.room, func(t *testing.T) {
			r := newRig(t)
			if _, err := r.run("print.submit", printer.SubmitData{Room: tc.room, Operator: "op07", Document: doc("x")}); err != nil {
				t.Fatal(err)
			}
			posted, ok, err := business.Get(context.Background(), r.h.Store(), "prn1/print/urn:uuid:job-1")
			if err != nil || !ok || posted.Amount.String() != tc.amount || !strings.Contains(posted.Unbilled, tc.unbilled) || (tc.unbilled == "") != (posted.Unbilled == "") {
				t.Errorf("ledger: %+v %v %v, want %s unbilled %q", posted, ok, err, tc.amount, tc.unbilled)
			}
		})
	}
	r := newRig(t)
	if _, err := r.run("copy.start", printer.CopyStartData{Room: business.House, Operator: "op07"}); err == nil || !strings.Contains(err.Error(), "room") {
		t.Errorf("copy.start for the house: %v, want the room refused", err)
	}
}
