package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/drivers"
	"switchboard/drivers/faxmodem"
	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/events/fax"
	"switchboard/internal/fax/codec"
	faxjobs "switchboard/internal/fax/jobs"
	tifff "switchboard/internal/fax/tiff"
	"switchboard/internal/faxdesk"
	"switchboard/internal/folio/stays"
	"switchboard/internal/rating"
	"switchboard/internal/store"
	"switchboard/test/peers"
)

// faxSite is a gateway in Shanghai (area 21) with one fax modem fax1 and
// a back office validating every message.
type faxSite struct {
	t   *testing.T
	g   *Gateway
	bo  *backOffice
	clk *testClock
	seq int
}

func newFaxSite(t *testing.T, serial *config.Serial) *faxSite {
	t.Helper()
	return newFaxSiteWith(t, serial, config.Fax{}, Tuning{})
}

// newFaxSiteWith is newFaxSite with a fax section in the config and the
// fax desk tuned.
func newFaxSiteWith(t *testing.T, serial *config.Serial, fax config.Fax, tn Tuning) *faxSite {
	t.Helper()
	return startFaxSite(t, faxSiteConfig(t, serial, fax), tn)
}

// retrying tunes the fax desk to try a job attempts times, every interval.
func retrying(attempts int, interval time.Duration) Tuning {
	return Tuning{Fax: faxdesk.Options{Policy: faxjobs.Policy{Attempts: attempts, Interval: interval}}}
}

// faxSiteConfig is the config of a fax site.
func faxSiteConfig(t *testing.T, serial *config.Serial, fax config.Fax) *config.Config {
	t.Helper()
	if serial == nil {
		serial = &config.Serial{Port: filepath.Join(t.TempDir(), "no-modem"), Baud: 115200, Flow: "none"}
	}
	cfg := &config.Config{
		Site:    config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store:   config.Store{Path: filepath.Join(t.TempDir(), "sb.db")},
		MQTT:    config.MQTT{Embedded: testBroker(peers.FreePort(t))},
		Billing: config.Billing{Numbering: config.Numbering{HomeArea: "21", TrunkAccess: []string{"9"}}},
		Rooms:   []config.Rooms{{Extensions: "1101-1299", Class: "guest"}, {Extensions: "8000", Class: "business"}},
		Devices: []config.Device{{ID: "fax1", Driver: "faxmodem", Profile: "spandsp", Options: map[string]any{"rings": 1, "ident": "+86 21 5555 0199"},
			Transport: config.Transport{Serial: serial}}},
		Fax: fax,
	}
	return cfg
}

// startFaxSite runs a gateway with cfg and a back office.
func startFaxSite(t *testing.T, cfg *config.Config, tn Tuning) *faxSite {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g, err := NewTuned(ctx, cfg, quiet, tn)
	if err != nil {
		t.Fatal(err)
	}
	clk := &testClock{t: time.Now()}
	done := make(chan error)
	go func() { done <- g.Run(ctx) }()
	bo := newBackOffice(t, g.BrokerURL())
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	bo.waitOnline(g)
	s := &faxSite{t: t, g: g, bo: bo, clk: clk}
	waitUntil(t, "fax modem", func() bool { return g.fax.Modem("fax1") != nil })
	return s
}

// useModem sends the site's faxes through m instead of fax1's driver.
func (s *faxSite) useModem(m fax.Modem) {
	s.t.Helper()
	if _, err := s.g.fax.AttachDevice(desk.Device{ID: "fax1", Driver: "faxmodem", Domain: "fax"}, m); err != nil {
		s.t.Fatal(err)
	}
}

func (s *faxSite) cmd(name string, data any) bus.Reply {
	s.t.Helper()
	s.seq++
	return s.bo.command(s.g.topics.Command("fax", "fax1", name), fmt.Sprintf("%s-%d-%d", name, s.seq, time.Now().UnixNano()), "hotel.fax.cmd."+name, data)
}

// fakeSender answers Send from a script (no modem).
type fakeSender struct {
	mu    sync.Mutex
	calls []fax.SendJob
	next  []func(job fax.SendJob) (fax.SendResult, error)
}

// DialEvidence is the real driver's: a fake never dials.
func (f *fakeSender) DialEvidence(key string) (string, []byte) { return key + "/", []byte("> ATD") }

func (f *fakeSender) Send(_ context.Context, job fax.SendJob) (fax.SendResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, job)
	fn := f.next[0]
	if len(f.next) > 1 {
		f.next = f.next[1:]
	}
	return fn(job)
}

func busy(job fax.SendJob) (fax.SendResult, error) {
	err := &faxmodem.ResultError{Cmd: "ATDT" + job.Number, Code: "BUSY"}
	return fax.SendResult{Number: job.Number, Pages: len(job.Pages), Start: time.Now(), Duration: 5 * time.Second, Error: err.Error(), Retryable: true}, err
}

func delivered(job fax.SendJob) (fax.SendResult, error) {
	res := fax.SendResult{Number: job.Number, Pages: len(job.Pages), PagesConfirmed: len(job.Pages), BitRate: 14400, RemoteID: "+86 10 1234",
		Start: time.Now(), Duration: 70 * time.Second}
	for i := range job.Pages {
		res.PerPage = append(res.PerPage, fax.PageResult{Page: i + 1, Confirmed: true, Code: fax.MCF, Tries: 1, BitRate: 14400, Duration: 20 * time.Second})
	}
	return res, nil
}

// writeTIFF stores pages as a TIFF Class F file (MR), as a fax desk does.
func writeTIFF(t *testing.T, path string, pages []*codec.Bitmap, fine bool) {
	t.Helper()
	yres, k := float64(tifff.YResStandard), 2
	if fine {
		yres, k = tifff.YResFine, 4
	}
	var tp []*tifff.Page
	for i, b := range pages {
		p, err := tifff.NewPage(b, codec.Params{Scheme: codec.MR, K: k}, yres)
		if err != nil {
			t.Fatal(err)
		}
		p.PageNumber, p.PageCount = i, len(pages)
		tp = append(tp, p)
	}
	var buf bytes.Buffer
	if err := tifff.Write(&buf, tp); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func textDoc(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestFaxSendRetriesBusyThenBills: busy on the first attempt, a retry
// (shortened interval), then both pages confirmed: hotel.fax.quoted,
// hotel.fax.sent with pages x fee + the rated call, one business charge.
func TestFaxSendRetriesBusyThenBills(t *testing.T) {
	t.Parallel()
	s := newFaxSiteWith(t, nil, config.Fax{}, retrying(3, 300*time.Millisecond))
	fake := &fakeSender{next: []func(fax.SendJob) (fax.SendResult, error){busy, delivered}}
	s.useModem(fake)

	text := strings.Repeat("Reservation confirmation\n", 70) // two pages of text
	rep := s.cmd("fax.send", fax.SendData{To: "010 6512 3456", Room: "1203", Operator: "op07", Document: textDoc(text)})
	q := s.bo.event("hotel.fax.quoted", func(d map[string]any) bool { return true })
	if q["pages"] != float64(2) || q["zone"] != "domestic" || q["number"] != "861065123456" || q["kind"] != "national" {
		t.Fatalf("quote %v", q)
	}
	if rep.Status != "completed" {
		t.Fatalf("fax.send: %+v", rep)
	}
	// The quote is in the accepted reply: the guest hears the price first.
	acc := s.bo.waitFor("accepted with the quote", func(m bus.Message, env events.Envelope) bool {
		return env.Type == "hotel.command.accepted" && strings.Contains(string(env.Data), `"command":"fax.send"`)
	})
	if ar := replyData(t, acc); ar.Result == nil || !strings.Contains(fmt.Sprint(ar.Result), "pages:2") {
		t.Fatalf("accepted reply without the quote: %+v", ar)
	}
	var res fax.SendReply
	b, _ := json.Marshal(rep.Result)
	json.Unmarshal(b, &res)
	if res.State != faxjobs.Retry || res.Quote.Pages != 2 || res.NextAt == nil {
		t.Fatalf("first reply %+v (want retry after busy)", res)
	}
	sent := s.bo.event("hotel.fax.sent", func(d map[string]any) bool { return true })
	if sent["pages_confirmed"] != float64(2) || sent["attempts"] != float64(2) || sent["billed"] != true || sent["room"] != "1203" {
		t.Fatalf("sent %v", sent)
	}
	fee := tariffPrice(t, faxItem(2, "domestic"))
	amount := sent["amount"].(string)
	if amount <= fee.Price.String() && len(amount) <= len(fee.Price.String()) {
		t.Fatalf("amount %s: want the page fee %s plus the call", amount, fee.Price)
	}
	if fake.calls[0].Number != "01065123456" || len(fake.calls) != 2 {
		t.Fatalf("dialled %+v", fake.calls)
	}
	var n int
	var ba string
	if err := s.g.st.QueryRow(context.Background(), `SELECT COUNT(*), MAX(amount) FROM business_charges WHERE service='fax-send'`).Scan(&n, &ba); err != nil || n != 1 || ba != amount {
		t.Fatalf("ledger %d %s %v", n, ba, err)
	}
	j, _ := faxjobs.GetJob(context.Background(), s.g.st, res.JobID)
	if _, err := os.Stat(j.Report); err != nil {
		t.Fatalf("transmission report: %v", err)
	}
	if out, err := exec.Command("pdftotext", j.Report, "-").Output(); err == nil && !strings.Contains(string(out), "Page 2: confirmed") {
		t.Errorf("report text:\n%s", out)
	}
}

func TestFaxSendBusyEveryAttemptNotBilled(t *testing.T) {
	t.Parallel()
	s := newFaxSiteWith(t, nil, config.Fax{}, retrying(2, 100*time.Millisecond))
	s.useModem(&fakeSender{next: []func(fax.SendJob) (fax.SendResult, error){busy}})
	s.cmd("fax.send", fax.SendData{To: "+81 3 1234 5678", Room: "1203", Operator: "op07", Document: textDoc("hello")})
	f := s.bo.event("hotel.fax.failed", func(d map[string]any) bool { return true })
	if f["billed"] != false || f["amount"] != "0" && f["amount"] != "0.00" || f["attempts"] != float64(2) || f["zone"] != "international" {
		t.Fatalf("failed %v", f)
	}
	var n int
	s.g.st.QueryRow(context.Background(), `SELECT COUNT(*) FROM business_charges`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d charges for a fax that never went", n)
	}
}

func TestFaxSendRefusesImpossibleNumbers(t *testing.T) {
	t.Parallel()
	s := newFaxSite(t, nil)
	for _, to := range []string{"021", "119", "1203", "12", "00", "abc", "0021 1"} {
		rep := s.cmd("fax.send", fax.SendData{To: to, Room: "1203", Operator: "op07", Document: textDoc("x")})
		if rep.Status != "failed" || rep.Field != "data.to" {
			t.Errorf("to %q: %+v", to, rep)
		}
	}
	if n := s.bo.count(func(env eventsEnvelope) bool { return env.Type == "hotel.fax.quoted" }); n != 0 {
		t.Fatalf("%d quotes for refused numbers", n)
	}
}

// receivedPages codes n pages as a modem would hand them over (MH, LSB first).
func receivedPages(t *testing.T, n int) []fax.ReceivedPage {
	var out []fax.ReceivedPage
	for i := 0; i < n; i++ {
		b := codec.NewBitmap(1728, 1143)
		b.FillRect(100, 100+i*50, 1600, 140+i*50)
		p := codec.Params{Scheme: codec.MH, Order: codec.LSBFirst, Width: 1728}
		data, err := codec.Encode(b, p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fax.ReceivedPage{Data: data, Params: p, Height: 1143, Response: fax.MCF, BitRate: 9600})
	}
	return out
}

// deliverReceived hands a Received record to the device's sink, as the
// driver does after its journal flush.
func (s *faxSite) deliverReceived(rec fax.Received) {
	s.t.Helper()
	sink := s.g.newSink(s.g.cfg.Devices[0])
	ids, err := sink.Journal(context.Background(), drivers.FromDevice, []drivers.Frame{{Data: []byte("T.30: DCN"), Key: rec.Key}}, time.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	if err := sink.Deliver(context.Background(), []drivers.Result{{FrameID: ids[0], Key: rec.Key, Record: rec}}); err != nil {
		s.t.Fatal(err)
	}
}

// TestFaxReceivedAssignedDeliveredAndRetention: two faxes come in; one is
// for the guest of 1203 (by name), delivered and billed; one for a guest who
// left (CHECK OUT); one unclaimed is archived at 10 days and destroyed at 90
// on the gateway's clock.
func TestFaxReceivedAssignedDeliveredAndRetention(t *testing.T) {
	t.Parallel()
	s := newFaxSite(t, nil)
	ctx := context.Background()
	now := time.Now()
	if err := s.g.st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := stays.CheckIn(tx, stays.Stay{Room: "1203", Guest: "Zhang Wei", CheckIn: now.Add(-48 * time.Hour)}); err != nil {
			return err
		}
		if _, err := stays.CheckIn(tx, stays.Stay{Room: "1205", Guest: "Anna Berg", CheckIn: now.Add(-72 * time.Hour)}); err != nil {
			return err
		}
		_, err := stays.CheckOut(tx, "1205", now.Add(-24*time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		s.deliverReceived(fax.Received{Key: fmt.Sprintf("fax1/rx/test-%d", i), RemoteID: "+86 10 1234", Pages: receivedPages(t, 2), BitRate: 9600,
			Start: now, Duration: 40 * time.Second, Complete: true})
	}
	ev := s.bo.event("hotel.fax.received", func(d map[string]any) bool { return d["id"] == float64(1) })
	if ev["pages"] != float64(2) || ev["status"] != "unassigned" || ev["partial"] != false {
		t.Fatalf("received %v", ev)
	}
	f, err := faxjobs.GetFax(ctx, s.g.st, 1)
	if err != nil || f.Pages != 2 {
		t.Fatalf("register %+v %v", f, err)
	}
	if out, err := exec.Command("tiffinfo", "-D", f.TIFF).CombinedOutput(); err != nil || strings.Contains(string(out), "Error") {
		t.Fatalf("tiffinfo -D: %v\n%s", err, out)
	} else if strings.Count(string(out), "TIFF Directory") != 2 {
		t.Fatalf("tiffinfo: want 2 directories\n%s", out)
	}
	if _, err := exec.LookPath("pdftoppm"); err == nil {
		dir := t.TempDir()
		if out, err := exec.Command("pdftoppm", "-r", "50", "-png", f.PDF, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
		if pngs, _ := filepath.Glob(filepath.Join(dir, "p*.png")); len(pngs) != 2 {
			t.Fatalf("pdftoppm made %v", pngs)
		}
	}
	// A duplicate delivery (driver resend) is not registered twice.
	s.deliverReceived(fax.Received{Key: "fax1/rx/test-1", Pages: receivedPages(t, 2), Start: now, Complete: true})

	rep := s.cmd("fax.assign", fax.AssignData{ID: 1, Name: "zhang  wei"})
	if rep.Status != "completed" || result(t, rep)["room"] != "1203" || result(t, rep)["status"] != "assigned" {
		t.Fatalf("assign by name: %+v", rep)
	}
	rep = s.cmd("fax.assign", fax.AssignData{ID: 2, Room: "1205"})
	if r := result(t, rep); rep.Status != "completed" || r["status"] != "checked-out" || !strings.HasPrefix(r["note"].(string), "CHECK OUT ") {
		t.Fatalf("assign to a guest who left: %+v", rep)
	}
	if rep := s.cmd("fax.assign", fax.AssignData{ID: 3, Room: "1299"}); rep.Status != "failed" || rep.Field != "data.room" {
		t.Fatalf("empty room: %+v", rep)
	}
	rep = s.cmd("fax.deliver", fax.DeliverData{ID: 1, DeliveredBy: "bell 12", SignedBy: "Zhang Wei"})
	if r := result(t, rep); rep.Status != "completed" || r["amount"] != "4.00" || r["room"] != "1203" {
		t.Fatalf("deliver: %+v", rep)
	}
	if rep := s.cmd("fax.deliver", fax.DeliverData{ID: 1, DeliveredBy: "bell 12", SignedBy: "Zhang Wei"}); rep.Status != "failed" {
		t.Fatalf("delivered twice: %+v", rep)
	}
	d := s.bo.event("hotel.fax.delivered", func(d map[string]any) bool { return true })
	if strings.Contains(fmt.Sprint(d), "Zhang") {
		t.Fatalf("guest name in an event: %v", d)
	}

	// Retention on the gateway's clock: fax 2 (checked-out) and 3 (unassigned).
	s.g.Now = s.clk.Now
	s.clk.Set(now.Add(10*24*time.Hour + time.Minute))
	s.g.fax.Sweep()
	s.bo.event("hotel.fax.archived", func(d map[string]any) bool { return d["id"] == float64(3) })
	s.bo.event("hotel.fax.archived", func(d map[string]any) bool { return d["id"] == float64(2) })
	if f, _ := faxjobs.GetFax(ctx, s.g.st, 1); f.Status != faxjobs.Delivered {
		t.Fatalf("delivered fax touched: %+v", f)
	}
	s.clk.Set(now.Add(90*24*time.Hour + time.Minute))
	s.g.fax.Sweep()
	s.bo.event("hotel.fax.destroyed", func(d map[string]any) bool { return d["id"] == float64(3) })
	waitUntil(t, "files deleted", func() bool {
		f, _ := faxjobs.GetFax(ctx, s.g.st, 3)
		return f.Status == faxjobs.Destroyed && f.TIFF == ""
	})
	if left, _ := os.ReadDir(filepath.Join(filepath.Dir(s.g.Store().Path()), "fax", "archive")); len(left) != 0 {
		t.Fatalf("archive not empty: %v", left)
	}
}

type eventsEnvelope = events.Envelope

func faxItem(pages int64, zone string) rating.BusinessItem {
	return rating.BusinessItem{Service: rating.ServiceFaxSend, Pages: pages, Zone: zone}
}

// commandWait sends a command and waits up to within for its outcome.
func (b *backOffice) commandWait(topic, id, typ string, data any, within time.Duration) bus.Reply {
	b.t.Helper()
	d, _ := json.Marshal(data)
	b.cl.PublishAsync(topic, 1, false, []byte(command(id, typ, "frontdesk", string(d))))
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		for _, m := range b.msgs {
			var env events.Envelope
			if json.Unmarshal(m.Payload, &env) == nil && (env.Type == "hotel.command.completed" || env.Type == "hotel.command.failed") &&
				strings.Contains(string(env.Data), `"`+id+`"`) {
				b.mu.Unlock()
				return replyData(b.t, env)
			}
		}
		b.mu.Unlock()
		time.Sleep(200 * time.Millisecond)
	}
	b.t.Fatalf("no outcome of %s within %s", id, within)
	return bus.Reply{}
}

// cutAfter confirms the first n pages of the call, then the line drops
// (NO CARRIER: retryable).
func cutAfter(n int) func(job fax.SendJob) (fax.SendResult, error) {
	return func(job fax.SendJob) (fax.SendResult, error) {
		err := &faxmodem.ResultError{Cmd: "page " + fmt.Sprint(n+1), Code: "NO CARRIER"}
		res := fax.SendResult{Number: job.Number, Pages: len(job.Pages), BitRate: 9600, Start: time.Now(), Duration: 50 * time.Second,
			Error: err.Error(), Retryable: true}
		for i := range job.Pages {
			if i < n {
				res.PerPage = append(res.PerPage, fax.PageResult{Page: i + 1, Confirmed: true, Code: fax.MCF, Tries: 1, BitRate: 9600, Duration: 20 * time.Second})
				res.PagesConfirmed++
			} else {
				res.PerPage = append(res.PerPage, fax.PageResult{Page: i + 1, Code: fax.None, Tries: 1, BitRate: 9600})
				break
			}
		}
		return res, err
	}
}

// TestFaxSendCutRetriesUnconfirmedPages: three pages; the line drops after
// the first two are confirmed: those and the call are billed once
// (hotel.fax.attempt), the job is re-queued with the third page only, which
// the next attempt sends; hotel.fax.sent sums both attempts' charges.
func TestFaxSendCutRetriesUnconfirmedPages(t *testing.T) {
	t.Parallel()
	s := newFaxSiteWith(t, nil, config.Fax{}, retrying(3, 300*time.Millisecond))
	fake := &fakeSender{next: []func(fax.SendJob) (fax.SendResult, error){cutAfter(2), delivered}}
	s.useModem(fake)

	text := strings.Repeat("Reservation confirmation\n", 110) // three pages of text
	rep := s.cmd("fax.send", fax.SendData{To: "010 6512 3456", Room: "1203", Operator: "op07", Document: textDoc(text)})
	if rep.Status != "completed" {
		t.Fatalf("fax.send: %+v", rep)
	}
	att := s.bo.event("hotel.fax.attempt", func(d map[string]any) bool { return true })
	if att["pages"] != float64(3) || att["pages_confirmed"] != float64(2) || att["billed"] != true || att["next_attempt"] == nil ||
		len(att["charges"].([]any)) != 1 {
		t.Fatalf("attempt %v", att)
	}
	sent := s.bo.event("hotel.fax.sent", func(d map[string]any) bool { return true })
	if sent["pages"] != float64(3) || sent["pages_confirmed"] != float64(3) || sent["attempts"] != float64(2) || sent["billed"] != true {
		t.Fatalf("sent %v", sent)
	}
	fake.mu.Lock()
	if len(fake.calls) != 2 || len(fake.calls[0].Pages) != 3 || len(fake.calls[1].Pages) != 1 || !reflect.DeepEqual(fake.calls[1].Pages[0], fake.calls[0].Pages[2]) {
		t.Fatalf("calls: %d, pages %d then %d (want 3 then the third)", len(fake.calls), len(fake.calls[0].Pages), len(fake.calls[len(fake.calls)-1].Pages))
	}
	if fake.calls[0].Key == fake.calls[1].Key {
		t.Fatalf("same journal key for both attempts: %s", fake.calls[0].Key)
	}
	fake.mu.Unlock()
	pp := sent["per_page"].([]any)
	for i, want := range []float64{1, 1, 2} {
		p := pp[i].(map[string]any)
		if p["page"] != float64(i+1) || p["confirmed"] != true || p["attempt"] != want {
			t.Fatalf("per page %v", pp)
		}
	}
	charges := sent["charges"].([]any)
	if len(charges) != 2 {
		t.Fatalf("charges %v", charges)
	}
	ctx := context.Background()
	rows, err := s.g.st.Query(ctx, `SELECT idemkey, units, amount, amount_minor FROM business_charges WHERE service='fax-send' ORDER BY at`)
	if err != nil {
		t.Fatal(err)
	}
	var units []int
	var total int64
	keys := map[string]bool{}
	for rows.Next() {
		var k, a string
		var u int
		var m int64
		rows.Scan(&k, &u, &a, &m)
		units, total, keys[k] = append(units, u), total+m, true
	}
	rows.Close()
	if fmt.Sprint(units) != "[2 1]" || len(keys) != 2 || !keys["fax1/fax-job/1/attempt/1"] || !keys["fax1/fax-job/1/attempt/2"] {
		t.Fatalf("ledger units %v keys %v", units, keys)
	}
	if sent["amount_minor"] != float64(total) || att["amount_minor"].(float64) >= float64(total) {
		t.Fatalf("sent amount %v, attempt %v, ledger %d", sent["amount_minor"], att["amount_minor"], total)
	}
	// Two attempts' calls: the sum is more than one call's three page fees.
	if fee := tariffPrice(t, faxItem(3, "domestic")); sent["amount"].(string) == fee.Price.String() {
		t.Fatalf("amount %v is the page fee alone", sent["amount"])
	}
	j, _ := faxjobs.GetJob(ctx, s.g.st, 1)
	if j.State != faxjobs.Sent || j.Confirmed != 3 || j.Attempts != 2 {
		t.Fatalf("job %+v", j)
	}
}

// TestFaxConfigUsed: the fax section of the config sets the retry policy
// the quote announces, the page limit and the quote's speed.
func TestFaxConfigUsed(t *testing.T) {
	t.Parallel()
	s := newFaxSiteWith(t, nil, config.Fax{RetryAttempts: 5, RetryIntervalS: 60, PageLimit: 1, QuoteBitRate: 14400, ArchiveDays: 3, DestroyDays: 30, MaxDocumentMiB: 1}, Tuning{})
	if o := s.g.fax.Options(); o.Policy.Attempts != 5 || o.Policy.Interval != time.Minute || o.Retention.ArchiveAfter != 72*time.Hour ||
		o.Retention.DestroyAfter != 30*24*time.Hour || o.MaxDocument != 1<<20 {
		t.Fatalf("fax desk %+v %+v %d", o.Policy, o.Retention, o.MaxDocument)
	}
	s.useModem(&fakeSender{next: []func(fax.SendJob) (fax.SendResult, error){delivered}})
	rep := s.cmd("fax.send", fax.SendData{To: "010 6512 3456", Room: "1203", Operator: "op07", Document: textDoc(strings.Repeat("line\n", 80))})
	if rep.Status != "failed" || rep.Field != "data.document" || !strings.Contains(rep.Reason, "more than 1 pages") {
		t.Fatalf("two pages over a limit of one: %+v", rep)
	}
	rep = s.cmd("fax.send", fax.SendData{To: "010 6512 3456", Room: "1203", Operator: "op07", Document: textDoc("one page")})
	if rep.Status != "completed" {
		t.Fatalf("fax.send: %+v", rep)
	}
	q := s.bo.event("hotel.fax.quoted", func(d map[string]any) bool { return true })
	if q["max_attempts"] != float64(5) || q["retry_every_s"] != float64(60) || q["quote_bitrate"] != float64(14400) {
		t.Fatalf("quote %v", q)
	}
}

func mustJSONString(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
