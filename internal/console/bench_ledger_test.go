package console

// The console benchmarks' ledgers, in one file: the print and copy ledger,
// the fax ledger, and the 400-day ledger of a 500-room hotel that every page
// is measured on (perf_test.go). The large one is written with multi-row
// INSERTs (storetest) and cached in $TMPDIR by schema and generator version.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"switchboard/internal/business"
	"switchboard/internal/desk/desktest"
	"switchboard/internal/events/printer"
	"switchboard/internal/fax/codec"
	faxjobs "switchboard/internal/fax/jobs"
	tifff "switchboard/internal/fax/tiff"
	"switchboard/internal/faxdesk"
	"switchboard/internal/folio"
	"switchboard/internal/operators"
	printjobs "switchboard/internal/print/jobs"
	"switchboard/internal/rating"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
)

// fillPrint writes days of print jobs (jobsPerDay, each billed) and copy
// sessions (sessionsPerDay, each billed) ending at now, through the print
// desk's own functions; job command ids are "cmd-<day>-<i>".
func fillPrint(tx *store.Tx, tariff *rating.BusinessTariff, now time.Time, days, jobsPerDay, sessionsPerDay int) error {
	price := business.PriceOf(tariff, rating.BusinessItem{Service: rating.ServicePrint, Size: "A4", Impressions: 4})
	for d := range days {
		day := now.AddDate(0, 0, -d)
		for i := range jobsPerDay {
			at := day.Add(-time.Duration(i) * time.Minute)
			cmd := fmt.Sprintf("cmd-%d-%d", d, i)
			row, err := printjobs.Submitting(tx, printjobs.Job{Device: "prn1", CommandID: cmd, Room: "1203", Operator: "0002", Name: "doc.pdf",
				Copies: 2, Sides: "one-sided", Color: "monochrome", Media: "iso_a4_210x297mm", Submitted: at})
			if err != nil {
				return err
			}
			if err := business.Record(tx, business.Entry{IdemKey: "prn1/print/" + cmd, Service: rating.ServicePrint, Device: "prn1", Room: "1203",
				Operator: "0002", At: at, Units: 4, Size: "A4", State: "completed", Price: price, Tariff: tariff.Name()}); err != nil {
				return err
			}
			if err := printjobs.Ended(tx, "prn1", row, printjobs.End{JobID: printer.JobID(i + 1), State: "completed", Impressions: 4, At: at,
				Charge: "prn1/print/" + cmd}); err != nil {
				return err
			}
		}
		for i := range sessionsPerDay {
			at := day.Add(-time.Duration(i) * time.Minute)
			id, err := printjobs.StartSession(tx, printjobs.Session{Device: "prn1", Room: "1205", Operator: "0002", Media: "iso_a4_210x297mm",
				Color: "monochrome", CommandID: "c", Start: printer.Counters{At: at, Source: printer.FromIPP, Impressions: 100}})
			if err != nil {
				return err
			}
			if err := printjobs.BillSession(tx, id, printer.Counters{At: at, Impressions: 110}, 0, 10, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeChartTIFF writes the codec's dense test chart as a one-page A4
// fine fax (1728×2287, MH) to path: the page image the inbox renders.
func writeChartTIFF(tb testing.TB, path string) {
	tb.Helper()
	p, err := tifff.NewPage(codec.TestChart(1728, 2287), codec.Params{Scheme: codec.MH}, tifff.YResFine)
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tifff.Write(&buf, []*tifff.Page{p}); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// fillFaxes registers n received faxes (all but the newest 41 delivered)
// and queues n sent ones, spread over 400 days before now, through the fax
// desk's own functions; last is the newest received fax's id.
func fillFaxes(tx *store.Tx, now time.Time, n int, tif string) (last int64, err error) {
	step := 400 * 24 * time.Hour / time.Duration(n)
	for i := 0; i < n; i++ {
		at := now.Add(-time.Duration(i) * step)
		id, _, err := faxjobs.Register(tx, faxjobs.Fax{Key: fmt.Sprintf("k%d", i), Device: "fax1", Received: at, Pages: 1, RemoteID: "+86 10 1234", TIFF: tif})
		if err != nil {
			return 0, err
		}
		if i == 0 {
			last = id
		}
		if i > 40 { // all but the last few are delivered
			if _, err := tx.Exec(`UPDATE fax_register SET status='delivered', delivered=?, delivered_by='0002' WHERE id=?`,
				at.Add(time.Hour).UnixNano(), id); err != nil {
				return 0, err
			}
		}
		if _, err := faxjobs.Enqueue(tx, faxjobs.Job{CommandID: fmt.Sprintf("c%d", i), Device: "fax1", Number: "65123456", Room: "1203",
			Operator: "0002", Document: "x.tif", Pages: 2}, faxjobs.DefaultPolicy(), at); err != nil {
			return 0, err
		}
	}
	return last, nil
}

// hotel400 is the ledger of issue 13's performance target: 400 days of a
// 500-room hotel with 1,000,000 calls (2,500 a day), 50,000 received and
// 50,000 sent faxes, 50,000 print jobs and 10,000 copy sessions, 50
// wake-ups a night, stays of three nights in every room (400 rooms
// occupied now), and three shifts a day for the switchboard and the
// business centre.
type hotel400 struct {
	Days, Rooms, CallsPerDay, Faxes, JobsPerDay, SessionsPerDay, WakeupsPerDay int
}

// ledgerVersion names the generator's output in the cache file name:
// change it when hotel400.fill writes different rows.
const ledgerVersion = 2

func fullHotel() hotel400 {
	return hotel400{Days: 400, Rooms: 500, CallsPerDay: 2500, Faxes: 50000, JobsPerDay: 125, SessionsPerDay: 25, WakeupsPerDay: 50}
}

func (h hotel400) name() string {
	return fmt.Sprintf("gen%d-%dd-%dr-%dc-%df", ledgerVersion, h.Days, h.Rooms, h.Days*h.CallsPerDay, h.Faxes)
}

// rooms are the hotel's rooms: floors 11 to 20, 50 rooms a floor.
func (h hotel400) rooms() []string {
	out := make([]string, h.Rooms)
	for r := range out {
		out[r] = fmt.Sprintf("%d%02d", 11+r/50, 1+r%50)
	}
	return out
}

// ledgerNow is the fixture's clock: the ledger's last day ends here.
var ledgerNow = time.Date(2026, 12, 4, 22, 0, 0, 0, site)

// chartPath is where the received faxes' TIFF is: rewritten by every run.
func chartPath() string { return filepath.Join(os.TempDir(), "switchboard-console-chart.tif") }

// fill writes the ledger into st (operators as newFixture adds them).
func (h hotel400) fill(ctx context.Context, st *store.Store) error {
	ops := operators.NewWithParams(st, cheap)
	if err := addOperators(ops, ledgerNow.AddDate(0, 0, -h.Days)); err != nil {
		return fmt.Errorf("operators: %w", err)
	}
	rooms := h.rooms()
	for d := h.Days - 1; d >= 0; d -= 20 { // 20 days a transaction
		if err := st.InTx(ctx, func(tx *store.Tx) error { return h.fillDays(tx, rooms, max(0, d-19), d) }); err != nil {
			return fmt.Errorf("days %d ago: %w", d, err)
		}
	}
	err := st.InTx(ctx, func(tx *store.Tx) error {
		if err := h.fillStays(tx, rooms); err != nil {
			return err
		}
		tariff, err := business.LoadTariff("")
		if err != nil {
			return err
		}
		if err := fillPrint(tx, tariff, ledgerNow, h.Days, h.JobsPerDay, h.SessionsPerDay); err != nil {
			return fmt.Errorf("print: %w", err)
		}
		_, err = fillFaxes(tx, ledgerNow, h.Faxes, chartPath())
		return err
	})
	if err != nil {
		return err
	}
	// Shifts through the operators' store: closing one records its journal.
	for d := h.Days - 1; d >= 1; d-- {
		day := time.Date(ledgerNow.Year(), ledgerNow.Month(), ledgerNow.Day()-d, 7, 0, 0, 0, site)
		for i := range 3 {
			for _, code := range []string{"0001", "0002"} {
				sh, _, err := ops.OpenShift(ctx, code, day.Add(time.Duration(i)*8*time.Hour))
				if err != nil {
					return err
				}
				if _, err := ops.CloseShift(ctx, sh.ID, day.Add(time.Duration(i)*8*time.Hour+7*time.Hour+50*time.Minute)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// dialed are the kinds of numbers guests dial after the trunk code 9.
var dialed = []struct{ number, class, dest string }{
	{"65123456", "local", "Beijing local"},
	{"02161234567", "national", "Shanghai"},
	{"13912345678", "mobile", "China mobile"},
	{"0012125551234", "international", "USA"},
	{"00442079460000", "international", "United Kingdom"},
}

// fillDays writes the calls and wake-ups of the days from..to days ago.
func (h hotel400) fillDays(tx *store.Tx, rooms []string, from, to int) error {
	calls := storetest.NewInserter(tx, "calls", `idemkey, device, journal_id, start, duration_s, direction, extension, room, room_class, dialed,
		answered, class, destination, matched_prefix, rate_id, tariff_version, billable_s, carrier_cost, price, amount_minor, currency,
		rated, flags, posted, not_posted, reservation, late, recorded_seq, charged_seq, rated_at`)
	wakeups := storetest.NewInserter(tx, "wakeups", `series, room, date, clock, wall, at, resolution, daily, requested_by, operator,
		recorded_at, status, attempts, last_result, result_at, pbx_state, pbx_wall, pbx_at, watch_at, updated`)
	for d := to; d >= from; d-- {
		day := time.Date(ledgerNow.Year(), ledgerNow.Month(), ledgerNow.Day()-d, 0, 0, 0, 0, site)
		for n := range h.CallsPerDay {
			i := (h.Days-1-d)*h.CallsPerDay + n
			start := day.Add(time.Duration(n) * 22 * time.Hour / time.Duration(h.CallsPerDay))
			room := rooms[i%len(rooms)]
			k := dialed[i%len(dialed)]
			number, class, dest := "9"+k.number, k.class, k.dest
			if i%20000 == 7 { // now and then a guest calls the police
				number, class, dest = "110", "emergency", "Police"
			}
			flags, posted, notPosted := "[]", 1, ""
			if i%100 == 3 { // 跑帳: a call from a vacant room
				flags, posted, notPosted = `["vacant-room"]`, 0, "room vacant"
			}
			dur := 20 + (i*37)%600
			if i%50 == 11 { // one in 50 talks over the special list's 30 minutes
				dur = 1800 + i%3600
			}
			key := fmt.Sprintf("pbx1/%024x#0", i)
			rated := fmt.Sprintf(`{"extension":%q,"dialed":%q,"start":%q,"duration_s":%d,"class":%q,"destination":%q,"price":"12.00"}`,
				room, number, start.Format(time.RFC3339), dur, class, dest)
			if err := calls.Add(key, "pbx1", i+1, start.UnixNano(), dur, "outgoing", room, room, "standard", number,
				1, class, dest, number[:min(4, len(number))], "r1", "v1", dur, "6.00", "12.00", 1200, "CNY",
				rated, flags, posted, notPosted, "", 0, 2*i+1, 2*i+2, start.Add(time.Duration(dur)*time.Second).UnixNano()); err != nil {
				return err
			}
		}
		for n := range h.WakeupsPerDay {
			room := rooms[(n*7+d)%len(rooms)]
			date := day.Format(time.DateOnly)
			clock := fmt.Sprintf("%02d:%02d", 5+n/12, (n%12)*5)
			at, _ := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, site)
			status, pbx, result, attempts := "answered", "held", "answered", 1
			var resultAt any = at.Add(30 * time.Second).UnixNano()
			switch {
			case d == 0 || at.After(ledgerNow): // still ahead
				status, result, attempts, resultAt = "sent", "", 0, nil
			case n%25 == 0:
				status, result, attempts = "unanswered", "no-answer", 3
			}
			if err := wakeups.Add(int64(h.Days-d)*1000+int64(n), room, date, clock, date+" "+clock, at.UnixNano(), "exact", 0, "guest", "0001",
				at.Add(-10*time.Hour).UnixNano(), status, attempts, result, resultAt, pbx, date+" "+clock, at.UnixNano(),
				at.Add(5*time.Minute).UnixNano(), at.UnixNano()); err != nil {
				return err
			}
		}
	}
	if err := calls.Flush(); err != nil {
		return err
	}
	return wakeups.Flush()
}

// fillStays writes stays of three nights in every room for the whole
// ledger, 400 of the 500 rooms occupied now.
func (h hotel400) fillStays(tx *store.Tx, rooms []string) error {
	in := storetest.NewInserter(tx, "stays", "room, reservation, guest, checkin, checkout")
	first := ledgerNow.AddDate(0, 0, -h.Days)
	for r, room := range rooms {
		n := 0
		for in3 := first.Add(time.Duration(r) * time.Minute); in3.Before(ledgerNow); in3 = in3.AddDate(0, 0, 3) {
			out := in3.AddDate(0, 0, 3)
			var checkout any = out.UnixNano()
			if !out.Before(ledgerNow) {
				if r%5 == 4 { // vacant now
					break
				}
				checkout = nil
			}
			n++
			if err := in.Add(room, fmt.Sprintf("R%s-%d", room, n), fmt.Sprintf("Guest %s/%d", room, n), in3.UnixNano(), checkout); err != nil {
				return err
			}
		}
	}
	return in.Flush()
}

// ledgerFixture is a console on a copy of the cached 400-day ledger, with
// the print and fax desks configured, signed-in browsers of each role.
type ledgerFixture struct {
	*fixture
	hotel                 hotel400
	operator, clerk, boss *browser
}

// openLedger copies the cached ledger (generating it on the first run) and
// serves it. Generating takes minutes and the copy is about a gigabyte, so
// it runs only when SB_CONSOLE_LEDGER=1 asks: `make bench` stays quick.
func openLedger(b *testing.B) *ledgerFixture {
	b.Helper()
	if os.Getenv("SB_CONSOLE_LEDGER") == "" {
		b.Skip("the 400-day ledger (1,000,000 calls) takes minutes to build: set SB_CONSOLE_LEDGER=1 (see docs/performance.md)")
	}
	h := fullHotel()
	if s := os.Getenv("SB_CONSOLE_DAYS"); s != "" { // a shorter ledger, to try the benchmark quickly
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > h.Days {
			b.Fatalf("SB_CONSOLE_DAYS=%q: want a whole number of days from 1 to %d", s, h.Days)
		}
		h.Days, h.Faxes = n, n*h.Faxes/h.Days
	}
	cached := storetest.Cached(b, "console", h.name(), func(st *store.Store) error { return h.fill(context.Background(), st) })
	writeChartTIFF(b, chartPath())
	path := filepath.Join(b.TempDir(), "sb.db")
	if err := storetest.CopyFile(cached, path); err != nil {
		b.Fatal(err)
	}
	st := openStore(b, path)
	clk := &clock{t: ledgerNow}
	tariff, err := business.LoadTariff("")
	if err != nil {
		b.Fatal(err)
	}
	bl := desktest.Biller(b, "1101", "2050")
	pv, err := faxdesk.NewPreview(faxdesk.Options{Tariff: desktest.BusinessTariff(b, ""), Billing: func() *folio.Biller { return bl },
		MaxDocument: testDocument}, site, clk.now)
	if err != nil {
		b.Fatal(err)
	}
	var fh *faxHost
	o := Options{Rooms: h.rooms(), BusinessTariff: tariff, MediaSize: func(string, string) string { return "A4" },
		Devices: []DeviceInfo{{ID: "pbx1", Domain: "pbx"}, {ID: "link1", Domain: "pbx", Kind: kindHotelLink}, {ID: "prn1", Domain: "print"}, {ID: "fax1", Domain: "fax"}},
		Fax:     &FaxOptions{Desk: pv, Devices: []string{"fax1"}, MaxUpload: testUpload, SendWait: 100 * time.Millisecond}}
	f := fixtureOn(b, st, clk, o, func(st *store.Store) Host { fh = &faxHost{st: st, now: clk.now}; return fh })
	lf := &ledgerFixture{fixture: f, hotel: h}
	lf.operator, _ = signedIn(b, f, "0001")
	lf.clerk, _ = signedIn(b, f, "0002")
	lf.boss, _ = signedIn(b, f, "0003")
	return lf
}
