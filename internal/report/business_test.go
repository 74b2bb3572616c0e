package report

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"switchboard/internal/rating"
	"switchboard/internal/store"
)

func TestBusinessRevenue(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	p, _ := Day("2026-11-27", loc)
	at := func(h, m int) time.Time { return time.Date(2026, 11, 27, h, m, 0, 0, loc) }
	m := rating.MustMoney
	charges := []BusinessCharge{
		{IdemKey: "a", Service: "print", Device: "prn1", Room: "1203", Operator: "op07", At: at(9, 0), Units: 6, Size: "A4", State: "completed", Amount: m("6.00"), AmountMinor: 600, Currency: "CNY"},
		{IdemKey: "b", Service: "copy", Device: "prn1", Room: "1203", Operator: "op07", At: at(9, 30), Units: 17, Size: "A4", State: "completed", Amount: m("8.50"), AmountMinor: 850, Currency: "CNY"},
		{IdemKey: "c", Service: "print", Device: "prn1", Room: "walk-in", Operator: "op09", At: at(15, 0), Units: 3, Size: "A4", Color: true, Duplex: true, State: "canceled", Amount: m("13.50"), AmountMinor: 1350, Currency: "CNY"},
		{IdemKey: "d", Service: "fax-send", Device: "fax1", Room: "1205", Operator: "op09", At: at(16, 0), Units: 2, State: "completed", Amount: m("30.00"), AmountMinor: 3000, Currency: "CNY"},
		{IdemKey: "e", Service: "print", Device: "prn1", Room: "", Operator: "", At: at(17, 0), Units: 1, Size: "", State: "completed", Currency: "CNY", Unbilled: "no price for size \"\""},
	}
	r, err := Business(p, charges)
	if err != nil {
		t.Fatal(err)
	}
	got := func(ts []BusinessTotals) string {
		var s []string
		for _, t := range ts {
			s = append(s, t.Key+"="+t.Amount.String())
		}
		return strings.Join(s, " ")
	}
	for name, tc := range map[string]struct{ got, want string }{
		"service":  {got(r.ByService), "copy=8.50 print=19.50 fax-send=30.00"},
		"room":     {got(r.ByRoom), "(none)=0.00 1203=14.50 1205=30.00 walk-in=13.50"},
		"operator": {got(r.ByOperator), "=0.00 op07=14.50 op09=43.50"},
	} {
		if tc.got != tc.want {
			t.Errorf("by %s: %s, want %s", name, tc.got, tc.want)
		}
	}
	if r.Total.Amount != m("58.00") || r.Total.AmountMinor != 5800 || r.Total.Items != 5 || r.Total.Unbilled != 1 || r.Currency != "CNY" {
		t.Fatalf("total %+v %s", r.Total, r.Currency)
	}
	var b strings.Builder
	if err := Write(&b, Text, r.Heading(), r.Tables(), r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Business center revenue 2026-11-27 (CNY): 5 items, 58.00 CNY", "color duplex", "fax-send", "no price for size"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := Write(&b, JSON, r.Heading(), r.Tables(), r); err != nil || !json.Valid([]byte(b.String())) || !strings.Contains(b.String(), `"amount": "58.00"`) {
		t.Fatalf("json: %v\n%s", err, b.String())
	}
	// Nothing that day: copy and print still have their (zero) lines.
	empty, _ := Business(p, nil)
	if got(empty.ByService) != "copy=0.00 print=0.00" || len(empty.Charges) != 0 {
		t.Fatalf("empty day: %s", got(empty.ByService))
	}
	if _, err := Business(p, append(charges, BusinessCharge{Service: "copy", Currency: "USD"})); err == nil {
		t.Fatal("two currencies accepted")
	}
}

func TestDeviceReportFromLedger(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 11, 27, 22, 0, 0, 0, loc)
	ns := now.Add(-time.Hour).UnixNano()
	status := `{"device":"prn1","state":"idle","reasons":["media-empty","toner-low"],"accepting":true,
		"supplies":[{"name":"Black Toner","color":"black","level":5,"low":true}],"trays":[{"name":"main","level":0,"capacity":250}],"media_ready":["iso_a4_210x297mm"]}`
	err := st.InTx(ctx, func(tx *store.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO device_status(device, domain, state, status, updated, counters) VALUES('prn1','print','idle',?,?,'{"impressions":41250}')`, []any{status, ns}},
			{`INSERT INTO device_alerts(device, domain, alert, severity, message, raised) VALUES('prn1','print','media-empty','critical','load A4 paper in tray main',?)`, []any{ns}},
			{`INSERT INTO device_alerts(device, domain, alert, severity, message, raised, cleared) VALUES('prn1','print','offline','critical','x',?,?)`, []any{ns, ns}},
			{`INSERT INTO copy_sessions(device, room, operator, media, color, command_id, started, source, start_count, status) VALUES('prn1','1203','op07','iso_a4_210x297mm','monochrome','c',?,'snmp',1,'open')`, []any{ns}},
			{`INSERT INTO print_jobs(device, job_id, command_id, room, operator, copies, sides, color, media, bytes, submitted, state, ended, reasons) VALUES('prn1',7,'c','1205','op07',1,'one-sided','monochrome','m',1,?,'orphaned',?,'the gateway restarted')`, []any{ns, ns}},
		} {
			if _, err := tx.Exec(q.sql, q.args...); err != nil {
				return err
			}
		}
		return tx.Put(retainedNS, "hotel/acme/h042/pbx/pbx1/state/link", []byte(`{"type":"hotel.pbx.state.link","data":{"device":"pbx1","state":"connected","since":"2026-11-27T08:00:00+08:00"}}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := LoadDevices(ctx, st, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Devices) != 2 || r.Devices[0].Device != "pbx1" || r.Devices[0].Link.State != "connected" || r.Devices[1].Device != "prn1" {
		t.Fatalf("devices %+v", r.Devices)
	}
	prn := r.Devices[1]
	if len(prn.Alerts) != 1 || prn.Alerts[0].Alert != "media-empty" || *prn.Counter != 41250 || len(r.CopySessions) != 1 || len(r.Jobs) != 1 {
		t.Fatalf("prn1 %+v, sessions %v, jobs %v", prn, r.CopySessions, r.Jobs)
	}
	if !r.NeedsAttention() {
		t.Fatal("an open critical alert does not need attention")
	}
	var b strings.Builder
	if err := Write(&b, Text, r.Heading(), r.Tables(), r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ATTENTION NEEDED", "load A4 paper in tray main", "Black Toner 5% LOW", "main 0/250", "orphaned", "1203"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("devices report lacks %q:\n%s", want, b.String())
		}
	}
	t.Log("\n" + b.String())
}
