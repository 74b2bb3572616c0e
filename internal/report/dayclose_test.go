package report

import (
	"context"
	"strings"
	"testing"
	"time"

	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/folio"
	"switchboard/internal/operators"
	"switchboard/internal/passwd"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// dayCloseInput is a day at a small hotel: a night shift from the evening
// before, a business-centre shift closed in the afternoon, an evening shift
// still open; calls of each kind the day close sorts; faxes delivered and
// not; a copy session left running.
func dayCloseInput(loc *time.Location) DayCloseInput {
	p, _ := Day("2026-11-27", loc)
	at := func(h, m int) time.Time { return time.Date(2026, 11, 27, h, m, 0, 0, loc) }
	m := rating.MustMoney
	night := operators.Shift{ID: 7, Operator: "0001", Opened: at(-2, 0), Closed: at(7, 0)}
	biz := operators.Shift{ID: 8, Operator: "0002", Opened: at(8, 0), Closed: at(16, 0)}
	eve := operators.Shift{ID: 9, Operator: "0001", Opened: at(16, 0)}
	delivered := at(11, 0)
	return DayCloseInput{
		Period: p, At: at(23, 30),
		Shifts: []ShiftOfDay{
			{Shift: night, Journal: operators.Journal{Shift: 7, Operator: "0001", Closed: night.Closed,
				Services: []operators.ServiceTotal{{Service: "pbx/wakeup", Commands: 3, Completed: 2, Failed: 1}}}},
			{Shift: biz, Journal: operators.Journal{Shift: 8, Operator: "0002", Closed: biz.Closed,
				Services: []operators.ServiceTotal{{Service: "print/copy", Commands: 2, Completed: 2},
					{Service: "charges/copy", Charges: 1, AmountMinor: 850, Currency: "CNY"},
					{Service: "charges/print", Charges: 1, AmountMinor: 600, Currency: "CNY"}}}},
			{Shift: eve, Journal: operators.Journal{Shift: 9, Operator: "0001", Closed: at(23, 30),
				Services: []operators.ServiceTotal{{Service: "pbx/dnd", Commands: 1, Completed: 1}}}},
		},
		Calls: &Ledger{Period: p, Calls: []Call{
			{IdemKey: "c1", Start: at(9, 5), Direction: "outgoing", Room: "1203", Extension: "1203", Dialed: "0085221234567", Class: "idd",
				BillableS: 300, Price: m("45.00"), AmountMinor: 4500, Currency: "CNY", Posted: true},
			{IdemKey: "c2", Start: at(10, 0), Direction: "outgoing", Room: "1205", Extension: "1205", Dialed: "02187654321", Class: "ddd",
				BillableS: 120, Price: m("6.00"), AmountMinor: 600, Currency: "CNY", Posted: true},
			{IdemKey: "c3", Start: at(3, 10), Direction: "outgoing", Room: "1301", Extension: "1301", Dialed: "0014155550100", Class: "idd",
				BillableS: 60, Price: m("18.00"), Currency: "CNY", Flags: []string{"vacant-room"}, NotPosted: folio.VacantRoom},
			{IdemKey: "c4", Start: at(12, 0), Direction: "outgoing", Room: "", Extension: "200", Dialed: "88001234", Class: "local",
				Currency: "CNY", NotPosted: folio.NotGuestRoom},
			{IdemKey: "c5", Start: at(12, 30), Direction: "internal", Extension: "1203", Dialed: "1205", NotPosted: folio.NotOutgoing},
			{IdemKey: "c6", Start: at(20, 0), Direction: "outgoing", Room: "1207", Extension: "1207", Dialed: "<b>99</b>", Class: "",
				Currency: "CNY", Flags: []string{"unrateable"}, NotPosted: "cannot rate: no rate for <b>99</b>"},
			// Flagged calls a supervisor resolved (call.resolve): settled, not to resolve.
			{IdemKey: "c7", Start: at(10, 20), Direction: "outgoing", Room: "1209", Extension: "1209", Dialed: "02187654321", Class: "ddd",
				BillableS: 60, Price: m("3.00"), AmountMinor: 300, Currency: "CNY", Posted: true, Flags: []string{"after-checkout"},
				Resolution: &CallResolution{Action: "post", Room: "1209", By: "0003", At: at(22, 10), Reason: "checked out at 10:15, the guest's call"}},
			{IdemKey: "c8", Start: at(4, 0), Direction: "outgoing", Room: "1301", Extension: "1301", Dialed: "02187654321", Class: "ddd",
				BillableS: 60, Price: m("3.00"), Currency: "CNY", Flags: []string{"vacant-room"}, NotPosted: folio.VacantRoom,
				Resolution: &CallResolution{Action: "write-off", By: "0003", At: at(22, 12), Reason: "engineer testing the line"}},
		}},
		Charges: []BusinessCharge{
			{IdemKey: "b1", Service: "copy", Room: "1203", Operator: "0002", At: at(9, 30), Units: 17, Amount: m("8.50"), AmountMinor: 850, Currency: "CNY"},
			{IdemKey: "b2", Service: "print", Room: "1205", Operator: "0002", At: at(14, 0), Units: 6, Amount: m("6.00"), AmountMinor: 600, Currency: "CNY"},
			{IdemKey: "b3", Service: "fax-receive", Room: "1203", Operator: "", At: at(18, 0), Units: 2, Amount: m("4.00"), AmountMinor: 400, Currency: "CNY"},
		},
		Faxes: []faxjobs.Fax{
			{ID: 40, Received: at(-30, 0), Pages: 1, Status: "unclaimed", Name: "Mr <Old>"},
			{ID: 41, Received: at(10, 40), Pages: 3, Status: "delivered", Room: "1203", Name: "Chen", Delivered: &delivered, DeliveredBy: "0002"},
			{ID: 42, Received: at(18, 0), Pages: 2, Status: "to-deliver", Room: "1203", Name: "Chen"},
		},
		CopySessions: []OpenCopySession{{Device: "prn1", Room: "1205", Operator: "0002", Started: at(15, 50)}},
		Mask:         func(d string) string { return mask(d, 6) },
	}
}

func TestCloseDayGolden(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	d, err := CloseDay(dayCloseInput(loc))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		ext    string
		format Format
	}{{"json", JSON}, {"txt", Text}, {"csv", CSV}} {
		var b strings.Builder
		if err := Write(&b, f.format, d.Heading(), d.Tables(), d); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "dayclose.golden."+f.ext, b.String())
	}
}

func TestCloseDay(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	for _, tc := range []struct {
		name  string
		edit  func(*DayCloseInput)
		check func(t *testing.T, d DayClose, err error)
	}{
		{"totals and open items", func(*DayCloseInput) {}, func(t *testing.T, d DayClose, err error) {
			if err != nil {
				t.Fatal(err)
			}
			if d.Total.Amount != rating.MustMoney("72.50") || d.IDD.Calls != 2 || d.IDD.Posted != 1 || d.DDD.Calls != 3 || d.DDD.Posted != 2 || d.OpenShifts != 1 {
				t.Errorf("total %s, IDD %d/%d, DDD %d, open shifts %d", d.Total.Amount, d.IDD.Calls, d.IDD.Posted, d.DDD.Calls, d.OpenShifts)
			}
			if len(d.Open.Faxes) != 2 || len(d.Open.Calls) != 2 || len(d.Open.CopySessions) != 1 {
				t.Errorf("open: %d faxes, %d calls, %d copy sessions", len(d.Open.Faxes), len(d.Open.Calls), len(d.Open.CopySessions))
			}
			// The resolved calls are settled, not to resolve; the one
			// posted by its resolution is revenue.
			if len(d.CallsSettled) != 2 || d.CallsSettled[0].Resolved.Action != "post" || !d.CallsSettled[0].Posted ||
				d.CallsSettled[1].Resolved.Action != "write-off" || d.CallsSettled[1].Posted {
				t.Errorf("settled: %+v", d.CallsSettled)
			}
			if d.Open.Calls[0].Dialed != "001415*******" {
				t.Errorf("dialed number not masked: %s", d.Open.Calls[0].Dialed)
			}
			var op1 DayTotal
			for _, o := range d.ByOperator {
				if o.Key == "0001" {
					op1 = o
				}
			}
			if op1.Shifts != 2 || op1.Commands != 4 || op1.Items != 0 {
				t.Errorf("operator 0001: %+v", op1)
			}
		}},
		{"calls from a vacant room not to the outside world", func(in *DayCloseInput) {
			at := in.Period.From.Add(5 * time.Hour)
			in.Calls.Calls = []Call{
				// internal/folio flags neither (decide.go), so call.resolve
				// would refuse them: nothing for anyone to resolve.
				{IdemKey: "v1", Start: at, Direction: "outgoing", Room: "1301", Extension: "1301", Dialed: "8001", Class: "internal", NotPosted: folio.VacantRoom},
				{IdemKey: "v2", Start: at, Direction: "outgoing", Room: "1301", Extension: "1301", Dialed: "4008001234", Class: "free", NotPosted: folio.AfterCheckOut},
				// Unflagged and to the outside world: a person looks at it.
				{IdemKey: "v3", Start: at, Direction: "outgoing", Room: "1301", Extension: "1301", Dialed: "02187654321", Class: "ddd", NotPosted: folio.VacantRoom},
			}
		}, func(t *testing.T, d DayClose, err error) {
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Open.Calls) != 1 || d.Open.Calls[0].Class != "ddd" {
				t.Errorf("calls to resolve: %+v, want the DDD call only", d.Open.Calls)
			}
		}},
		{"an empty day", func(in *DayCloseInput) { *in = DayCloseInput{Period: in.Period, At: in.At} }, func(t *testing.T, d DayClose, err error) {
			if err != nil || len(d.Shifts) != 0 || d.Total.Items != 0 || len(d.ByService) != 3 || d.Open.Calls == nil {
				t.Errorf("empty day: %+v %v", d, err)
			}
		}},
		{"two currencies", func(in *DayCloseInput) {
			in.Charges[0].Currency, in.Charges[1].Currency, in.Charges[2].Currency = "USD", "USD", "USD"
		},
			func(t *testing.T, _ DayClose, err error) {
				if err == nil || !strings.Contains(err.Error(), "one currency per day close") {
					t.Errorf("want a currency error, got %v", err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := dayCloseInput(loc)
			tc.edit(&in)
			d, err := CloseDay(in)
			tc.check(t, d, err)
		})
	}
}

// TestDayCloseFromStore reads a day from the ledger (shifts, charges, a
// copy session) and records its close twice.
func TestDayCloseFromStore(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	p, _ := Day("2026-11-27", loc)
	at := func(h int) time.Time { return time.Date(2026, 11, 27, h, 0, 0, 0, loc) }
	ops := operators.NewWithParams(st, passwd.Params{MemoryKiB: 64, Passes: 1, Threads: 1})
	sh, _, err := ops.OpenShift(ctx, "0002", at(8))
	if err != nil {
		t.Fatal(err)
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state, amount, amount_minor,
				currency, tariff, breakdown, seq) VALUES('k1','print','prn1','print/1','1203','0002',?,4,'A4',0,0,'completed','4.00',400,'CNY','t','[]',1)`,
				[]any{at(10).UnixNano()}},
			{`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state, amount, amount_minor,
				currency, tariff, breakdown, seq) VALUES('k2','copy','prn1','copy/1','1205','0002',?,2,'A4',0,0,'completed','1.00',100,'CNY','t','[]',2)`,
				[]any{at(26).UnixNano()}}, // the next day
			{`INSERT INTO copy_sessions(device, room, operator, media, color, command_id, started, source, start_count, status)
				VALUES('prn1','1205','0002','A4','mono','cmd',?,'ipp',100,'open')`, []any{at(15).UnixNano()}},
		} {
			if _, err := tx.Exec(q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	in, err := LoadDayClose(ctx, st, ops, p, at(23))
	if err != nil {
		t.Fatal(err)
	}
	d, err := CloseDay(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Shifts) != 1 || d.Shifts[0].ID != sh.ID || !d.Shifts[0].Open || d.Shifts[0].Charges != 1 || d.Total.AmountMinor != 400 || len(d.Open.CopySessions) != 1 {
		t.Fatalf("day close from the store: %+v", d)
	}
	if _, ok, err := RecordedDayClose(ctx, st, "2026-11-27"); ok || err != nil {
		t.Fatalf("not closed yet: %v %v", ok, err)
	}
	for rev := 1; rev <= 2; rev++ {
		rec, err := RecordDayClose(ctx, st, d, "0003", at(23))
		if err != nil || rec.Revision != rev {
			t.Fatalf("close %d: revision %d %v", rev, rec.Revision, err)
		}
	}
	rec, ok, err := RecordedDayClose(ctx, st, "2026-11-27")
	if err != nil || !ok || rec.ClosedBy != "0003" || rec.Revision != 2 || rec.Total.AmountMinor != 400 {
		t.Fatalf("recorded: %+v %v %v", rec, ok, err)
	}
}

func TestCallsByHour(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	in := dayCloseInput(loc)
	h := CallsByHour(in.Calls)
	want := map[int]int{3: 1, 4: 1, 9: 1, 10: 2, 12: 1, 20: 1} // the internal call at 12:30 is not counted
	for _, c := range h {
		if c.Calls != want[c.Hour] {
			t.Errorf("%02d:00: %d calls, want %d", c.Hour, c.Calls, want[c.Hour])
		}
	}
}

func TestJournalTables(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	in := dayCloseInput(loc)
	var b strings.Builder
	j := in.Shifts[1].Journal
	j.Items = []operators.JournalItem{{Service: "print/copy", Command: "copy.start", Device: "prn1", Sent: time.Date(2026, 11, 27, 9, 0, 0, 0, loc), Status: "completed"}}
	j.Charges = []operators.ChargeItem{{Service: "fax-send", Ref: "fax-job/7", Room: "1203", Charges: 2, Units: 5, AmountMinor: 2700, Currency: "CNY",
		Last: time.Date(2026, 11, 27, 9, 30, 0, 0, loc)}}
	if err := Write(&b, CSV, JournalHeading(j, false, loc), JournalTables(j, loc), nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"charges/copy,0,0,0,1,8.50,CNY", "2026-11-27 09:00:00,print/copy,copy.start,prn1,completed,",
		"2026-11-27 09:30:00,fax-send,fax-job/7,1203,2,5,27.00,CNY"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("journal CSV lacks %q:\n%s", want, b.String())
		}
	}
	st := ShiftsTable(in.Shifts, loc)
	if len(st.Rows) != 3 || st.Rows[2][3] != "STILL OPEN" || st.Rows[1][6] != "14.50" {
		t.Errorf("shifts table: %v", st.Rows)
	}
}
