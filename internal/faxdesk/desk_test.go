package faxdesk

import (
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/desk"
	"switchboard/internal/desk/desktest"
	"switchboard/internal/events/fax"
	"switchboard/internal/fax/codec"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/folio"
	"switchboard/internal/store"
)

// fakeModem answers Send from a script, the last step repeating.
type fakeModem struct {
	mu    sync.Mutex
	calls []fax.SendJob
	next  []func(job fax.SendJob, at time.Time) (fax.SendResult, error)
	at    func() time.Time
}

func (m *fakeModem) DialEvidence(key string) (string, []byte) { return key + "/", []byte("> ATD") }

func (m *fakeModem) Send(_ context.Context, job fax.SendJob) (fax.SendResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, job)
	fn := m.next[0]
	if len(m.next) > 1 {
		m.next = m.next[1:]
	}
	return fn(job, m.at())
}

func busy(job fax.SendJob, at time.Time) (fax.SendResult, error) {
	return fax.SendResult{Number: job.Number, Pages: len(job.Pages), Start: at, Duration: 5 * time.Second, Error: fax.ErrBusy.Error()}, fax.ErrBusy
}

func delivered(job fax.SendJob, at time.Time) (fax.SendResult, error) {
	res := fax.SendResult{Number: job.Number, Pages: len(job.Pages), PagesConfirmed: len(job.Pages), BitRate: 14400, Start: at, Duration: 70 * time.Second}
	for i := range job.Pages {
		res.PerPage = append(res.PerPage, fax.PageResult{Page: i + 1, Confirmed: true, Code: fax.MCF, Tries: 1, BitRate: 14400, Duration: 20 * time.Second})
	}
	return res, nil
}

// cutAfter confirms the call's first n pages, then the line drops.
func cutAfter(n int) func(fax.SendJob, time.Time) (fax.SendResult, error) {
	return func(job fax.SendJob, at time.Time) (fax.SendResult, error) {
		res := fax.SendResult{Number: job.Number, Pages: len(job.Pages), BitRate: 9600, Start: at, Duration: 50 * time.Second,
			Error: "NO CARRIER", Retryable: true}
		for i := 0; i < len(job.Pages) && i <= n; i++ {
			p := fax.PageResult{Page: i + 1, Code: fax.None, Tries: 1, BitRate: 9600}
			if i < n {
				p.Confirmed, p.Code, p.Duration = true, fax.MCF, 20*time.Second
				res.PagesConfirmed++
			}
			res.PerPage = append(res.PerPage, p)
		}
		return res, fmt.Errorf("page %d: NO CARRIER", n+1)
	}
}

// recLamp records the message lamps a desk asks for.
type recLamp struct {
	mu    sync.Mutex
	calls []string
}

func (l *recLamp) MessageLamp(_ context.Context, room string, on bool, by string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, fmt.Sprintf("%s %v %s", room, on, by))
	return true
}

func (l *recLamp) got() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}

// rig is a fax desk on a fake host with one fake modem, fax1.
type rig struct {
	t     *testing.T
	h     *desktest.Host
	d     *Desk
	modem *fakeModem
	lamp  *recLamp
}

func newRig(t *testing.T, o Options) *rig {
	t.Helper()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	h := desktest.NewHost(t, time.Date(2026, 11, 27, 10, 0, 0, 0, loc))
	r := &rig{t: t, h: h, lamp: &recLamp{}}
	if o.Tariff == nil {
		o.Tariff = desktest.BusinessTariff(t, "")
	}
	bl := desktest.Biller(t, "1101", "1299")
	o.Billing = func() *folio.Biller { return bl }
	o.Dir = filepath.Join(t.TempDir(), "fax")
	o.Lamp = r.lamp
	var err error
	if r.d, err = New(h, o); err != nil {
		t.Fatal(err)
	}
	r.modem = &fakeModem{next: []func(fax.SendJob, time.Time) (fax.SendResult, error){delivered}, at: h.Now}
	if ok, err := r.d.AttachDevice(desk.Device{ID: "fax1", Driver: "faxmodem", Domain: "fax"}, r.modem); !ok || err != nil {
		t.Fatalf("attach: %v %v", ok, err)
	}
	return r
}

// command is a command to fax1.
func (r *rig) command(name string, data any) *bus.Command {
	r.t.Helper()
	return r.h.Command(r.t, "fax", "fax1", name, data)
}

// run validates and runs a command to fax1 as the router does.
func (r *rig) run(name string, data any) (any, error) {
	r.t.Helper()
	return r.h.Run(r.t, r.command(name, data))
}

// queue sends a text document as fax.send's Prepare does; the job's id.
func (r *rig) queue(to, text string) int64 {
	r.t.Helper()
	c := r.command("fax.send", fax.SendData{To: to, Room: "1203", Operator: "op07", Document: base64.StdEncoding.EncodeToString([]byte(text))})
	res, err := r.h.Handler("fax.send").(bus.Preparer).Prepare(context.Background(), c)
	if err != nil {
		r.t.Fatalf("fax.send: %v", err)
	}
	return res.(fax.Quote).JobID
}

// due runs the next attempt of the job due now.
func (r *rig) attemptDue() {
	r.t.Helper()
	due, err := faxjobs.Due(context.Background(), r.h.Store(), r.h.Now())
	if err != nil || len(due) != 1 {
		r.t.Fatalf("due %+v %v", due, err)
	}
	r.d.attempt(context.Background(), due[0])
}

// events are the data of the outbox's events of type typ, in order.
func (r *rig) events(typ string) []map[string]any {
	r.t.Helper()
	return r.h.Events(r.t, typ)
}

// charges lists the business charges of a service as "idemkey:units".
func (r *rig) charges(service string) []string {
	r.t.Helper()
	rows, err := r.h.Store().Query(context.Background(), `SELECT idemkey, units FROM business_charges WHERE service=? ORDER BY idemkey`, service)
	if err != nil {
		r.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		var u int
		if err := rows.Scan(&k, &u); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s:%d", k, u))
	}
	return out
}

// receive hands the desk a received fax of n pages in a delivery
// transaction, as the gateway's sink does.
func (r *rig) receive(key string, n int) desk.Outcome {
	r.t.Helper()
	rec := fax.Received{Key: key, RemoteID: "+86 10 1234", Pages: receivedPages(r.t, n), BitRate: 9600, Start: r.h.Now(),
		Duration: 40 * time.Second, Complete: true}
	rd := desk.Record{Device: desk.Device{ID: "fax1", Driver: "faxmodem", Domain: "fax"}, Key: key, Value: rec}
	if !r.d.Takes(rd) {
		r.t.Fatal("the desk does not take a received fax")
	}
	var out desk.Outcome
	if err := r.h.InTx(context.Background(), func(tx *store.Tx) (err error) { out, err = r.d.HandleRecord(tx, rd); return err }); err != nil {
		r.t.Fatal(err)
	}
	return out
}

// receivedPages codes n pages as a modem hands them over (MH, LSB first).
func receivedPages(t *testing.T, n int) []fax.ReceivedPage {
	t.Helper()
	var out []fax.ReceivedPage
	for i := 0; i < n; i++ {
		b := codec.NewBitmap(codec.WidthA4, a4RowsStandard)
		b.FillRect(100, 100+i*50, 1600, 140+i*50)
		p := codec.Params{Scheme: codec.MH, Order: codec.LSBFirst, Width: codec.WidthA4}
		data, err := codec.Encode(b, p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fax.ReceivedPage{Data: data, Params: p, Height: a4RowsStandard, Response: fax.MCF, BitRate: 9600})
	}
	return out
}

// TestNewOptions: the defaults fill what Options leave zero, and a desk
// without a tariff, a dialing plan or a folder is refused.
func TestNewOptions(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	o := r.d.Options()
	if o.Policy != faxjobs.DefaultPolicy() || o.Retention != faxjobs.DefaultRetention() || o.MaxDocument != fax.MaxDocument ||
		o.PageLimit != fax.MaxPages || o.Poll != time.Second || o.SendWait != 3*time.Minute || o.CallTimeout != 15*time.Minute {
		t.Fatalf("defaults %+v", o)
	}
	if len(r.h.Workers()) != 1 {
		t.Fatalf("%d workers without e-mail, want the queue's", len(r.h.Workers()))
	}
	for _, cmd := range []string{"fax.send", "fax.assign", "fax.deliver"} {
		if r.h.Handler(cmd) == nil {
			t.Errorf("no %s handler", cmd)
		}
	}
	for _, o := range []Options{{}, {Tariff: o.Tariff}, {Tariff: o.Tariff, Billing: o.Billing}} {
		if _, err := New(r.h, o); err == nil {
			t.Errorf("New(%+v) took options without a tariff, plan or folder", o)
		}
	}
	// A driver of the fax domain that is no modem is a config error;
	// another domain's driver is not the desk's.
	if ok, err := r.d.AttachDevice(desk.Device{ID: "fax2", Driver: "faxmodem", Domain: "fax"}, struct{}{}); ok || err == nil {
		t.Errorf("a fax device that is no modem: %v %v", ok, err)
	}
	if ok, err := r.d.AttachDevice(desk.Device{ID: "prn1", Driver: "ipp", Domain: "print"}, struct{}{}); ok || err != nil {
		t.Errorf("a printer: %v %v", ok, err)
	}
}
