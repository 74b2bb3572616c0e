package fax_test

import (
	"encoding/json"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/events/fax"
	"switchboard/internal/rating"
)

// TestContractJSON pins the JSON of the fax desk's commands and events
// byte for byte: they were the gateway's FaxSendData, FaxQuote, ... and
// the back office's consumers (and schemas/) read exactly these.
func TestContractJSON(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 27, 10, 4, 29, 123000000, time.FixedZone("CST", 8*3600))
	ch := events.Charge{Amount: rating.Money(620), AmountMinor: 620, Currency: "CNY", Tariff: "business-center",
		Breakdown: []events.Line{{Step: "units 1 x fax domestic page @ 5.00", Amount: 500}, {Step: "call", Amount: 120}}, Unbilled: "x"}
	q := fax.Quote{JobID: 1, CommandID: "c1", Device: "fax1", Room: "1203", Operator: "op07", Number: "8610****3456", Kind: "national",
		Destination: "Beijing", Zone: "domestic", Pages: 2, Resolution: "fine", EstimatedS: 70, QuoteBitRate: 9600, Charge: ch, MaxAttempts: 3, RetryEveryS: 180}
	p := fax.Page{Page: 1, Confirmed: true, Code: "MCF", Tries: 1, BitRate: 9600, DurationS: 20.5, Attempt: 2}
	o := fax.Outcome{JobID: 1, CommandID: "c1", Device: "fax1", Room: "1203", Operator: "op07", Number: "n", Destination: "d", Zone: "domestic",
		Pages: 3, PagesConfirmed: 2, Attempts: 2, Start: at, DurationS: 50, BitRate: 9600, RemoteID: "r", Result: "OK", PerPage: []fax.Page{p},
		Report: "/x.pdf", Billed: true, Charge: ch, Charges: []fax.Charge{{Attempt: 1, Pages: 2, Amount: 100, AmountMinor: 100, IdemKey: "k", Unbilled: "u"}}, NextAt: &at}
	r := fax.SendReply{JobID: 1, State: "retry", Quote: q, Sent: &o, NextAt: &at, Note: "n"}
	for i, tc := range []struct {
		v    any
		want string
	}{
		{fax.SendData{To: "1", Room: "2", Operator: "3", Document: "4", Format: "5", Resolution: "6"},
			`{"to":"1","room":"2","operator":"3","document":"4","format":"5","resolution":"6"}`},
		{q,
			`{"job_id":1,"command_id":"c1","device":"fax1","room":"1203","operator":"op07","number":"8610****3456","kind":"national","destination":"Beijing","zone":"domestic","pages":2,"resolution":"fine","estimated_s":70,"quote_bitrate":9600,"amount":"0.00062","amount_minor":620,"currency":"CNY","tariff":"business-center","breakdown":[{"step":"units 1 x fax domestic page @ 5.00","amount":"0.0005"},{"step":"call","amount":"0.00012"}],"unbilled":"x","max_attempts":3,"retry_every_s":180}`},
		{p,
			`{"page":1,"confirmed":true,"code":"MCF","tries":1,"bitrate":9600,"duration_s":20.5,"attempt":2}`},
		{o,
			`{"job_id":1,"command_id":"c1","device":"fax1","room":"1203","operator":"op07","number":"n","destination":"d","zone":"domestic","pages":3,"pages_confirmed":2,"attempts":2,"start":"2026-11-27T10:04:29.123+08:00","duration_s":50,"bitrate":9600,"remote_id":"r","result":"OK","per_page":[{"page":1,"confirmed":true,"code":"MCF","tries":1,"bitrate":9600,"duration_s":20.5,"attempt":2}],"report":"/x.pdf","billed":true,"amount":"0.00062","amount_minor":620,"currency":"CNY","tariff":"business-center","breakdown":[{"step":"units 1 x fax domestic page @ 5.00","amount":"0.0005"},{"step":"call","amount":"0.00012"}],"unbilled":"x","charges":[{"attempt":1,"pages":2,"amount":"0.0001","amount_minor":100,"idemkey":"k","unbilled":"u"}],"next_attempt":"2026-11-27T10:04:29.123+08:00"}`},
		{r,
			`{"job_id":1,"state":"retry","quote":{"job_id":1,"command_id":"c1","device":"fax1","room":"1203","operator":"op07","number":"8610****3456","kind":"national","destination":"Beijing","zone":"domestic","pages":2,"resolution":"fine","estimated_s":70,"quote_bitrate":9600,"amount":"0.00062","amount_minor":620,"currency":"CNY","tariff":"business-center","breakdown":[{"step":"units 1 x fax domestic page @ 5.00","amount":"0.0005"},{"step":"call","amount":"0.00012"}],"unbilled":"x","max_attempts":3,"retry_every_s":180},"outcome":{"job_id":1,"command_id":"c1","device":"fax1","room":"1203","operator":"op07","number":"n","destination":"d","zone":"domestic","pages":3,"pages_confirmed":2,"attempts":2,"start":"2026-11-27T10:04:29.123+08:00","duration_s":50,"bitrate":9600,"remote_id":"r","result":"OK","per_page":[{"page":1,"confirmed":true,"code":"MCF","tries":1,"bitrate":9600,"duration_s":20.5,"attempt":2}],"report":"/x.pdf","billed":true,"amount":"0.00062","amount_minor":620,"currency":"CNY","tariff":"business-center","breakdown":[{"step":"units 1 x fax domestic page @ 5.00","amount":"0.0005"},{"step":"call","amount":"0.00012"}],"unbilled":"x","charges":[{"attempt":1,"pages":2,"amount":"0.0001","amount_minor":100,"idemkey":"k","unbilled":"u"}],"next_attempt":"2026-11-27T10:04:29.123+08:00"},"next_attempt":"2026-11-27T10:04:29.123+08:00","note":"n"}`},
		{fax.SendReply{},
			`{"job_id":0,"state":"","quote":{"job_id":0,"command_id":"","device":"","room":"","operator":"","number":"","kind":"","destination":"","zone":"","pages":0,"resolution":"","estimated_s":0,"quote_bitrate":0,"amount":"0.00","amount_minor":0,"currency":"","tariff":"","breakdown":null,"max_attempts":0,"retry_every_s":0}}`},
		{fax.PageSent{JobID: 1, CommandID: "c1", Device: "fax1", Room: "1203", Attempt: 2, Page: 3, Pages: 4, PagesConfirmed: 2,
			Result: fax.PageRetrain, Code: "RTN", Try: 1, BitRate: 9600, DurationS: 20.5},
			`{"job_id":1,"command_id":"c1","device":"fax1","room":"1203","attempt":2,"page":3,"pages":4,"pages_confirmed":2,"result":"retrain","code":"RTN","try":1,"bitrate":9600,"duration_s":20.5}`},
		{fax.Registered{ID: 1, Device: "fax1", Received: at, Pages: 2, RemoteID: "r", BadLines: 3, Partial: true, Complete: false, BitRate: 9600, DurationS: 1.5, Error: "e", Status: "unassigned"},
			`{"id":1,"device":"fax1","received":"2026-11-27T10:04:29.123+08:00","pages":2,"remote_id":"r","bad_lines":3,"partial":true,"complete":false,"bitrate":9600,"duration_s":1.5,"error":"e","status":"unassigned"}`},
		{fax.Registered{},
			`{"id":0,"device":"","received":"0001-01-01T00:00:00Z","pages":0,"bad_lines":0,"partial":false,"complete":false,"bitrate":0,"duration_s":0,"status":""}`},
		{fax.AssignData{ID: 1, Room: "1", Name: "n"},
			`{"id":1,"room":"1","name":"n"}`},
		{fax.AssignData{},
			`{"id":0}`},
		{fax.Assigned{ID: 1, Device: "fax1", Status: "checked-out", Room: "1205", Pages: 2, Received: at, CheckedOut: &at, Note: "CHECK OUT"},
			`{"id":1,"device":"fax1","status":"checked-out","room":"1205","pages":2,"received":"2026-11-27T10:04:29.123+08:00","checked_out":"2026-11-27T10:04:29.123+08:00","note":"CHECK OUT"}`},
		{fax.Assigned{},
			`{"id":0,"device":"","status":"","room":"","pages":0,"received":"0001-01-01T00:00:00Z"}`},
		{fax.DeliverData{ID: 1, DeliveredBy: "b", SignedBy: "s"},
			`{"id":1,"delivered_by":"b","signed_by":"s"}`},
		{fax.Delivered{ID: 1, Device: "fax1", Room: "1203", Pages: 2, Received: at, Delivered: at, DeliveredBy: "b", Signed: true, Charge: ch},
			`{"id":1,"device":"fax1","room":"1203","pages":2,"received":"2026-11-27T10:04:29.123+08:00","delivered":"2026-11-27T10:04:29.123+08:00","delivered_by":"b","signed":true,"amount":"0.00062","amount_minor":620,"currency":"CNY","tariff":"business-center","breakdown":[{"step":"units 1 x fax domestic page @ 5.00","amount":"0.0005"},{"step":"call","amount":"0.00012"}],"unbilled":"x"}`},
		{fax.Retained{ID: 1, Device: "fax1", Status: "archived", Received: at, Pages: 2, Room: "1", At: at, Reason: "r"},
			`{"id":1,"device":"fax1","status":"archived","received":"2026-11-27T10:04:29.123+08:00","pages":2,"room":"1","at":"2026-11-27T10:04:29.123+08:00","reason":"r"}`},
		{fax.Retained{},
			`{"id":0,"device":"","status":"","received":"0001-01-01T00:00:00Z","pages":0,"at":"0001-01-01T00:00:00Z","reason":""}`},
	} {
		b, err := json.Marshal(tc.v)
		if err != nil || string(b) != tc.want {
			t.Errorf("%d: %T: %v\n got %s\nwant %s", i, tc.v, err, b, tc.want)
		}
	}
}
