package gateway

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/events/fax"
	"switchboard/internal/rating"
	"switchboard/tariffs"
)

// riversideTariff is the embedded business-centre tariff under another
// name, with other fax prices (print and copy as embedded).
func riversideTariff(t *testing.T) (path string, bt *rating.BusinessTariff) {
	t.Helper()
	data, err := tariffs.FS.ReadFile("business-center.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y := string(data)
	for old, repl := range map[string]string{
		"tariff: business-center":                      "tariff: riverside-business",
		"send: {domestic: 5.00, international: 15.00}": "send: {domestic: 7.00, international: 21.00}",
		"receive: 2.00":                                "receive: 3.50",
	} {
		if !strings.Contains(y, old) {
			t.Fatalf("tariffs/business-center.yaml has no %q any more", old)
		}
		y = strings.Replace(y, old, repl, 1)
	}
	path = filepath.Join(t.TempDir(), "riverside.yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	if bt, err = rating.LoadBusinessTariff([]byte(y)); err != nil {
		t.Fatal(err)
	}
	return path, bt
}

// firstLine is the first breakdown line of an event's charge.
func firstLine(t *testing.T, ev map[string]any) string {
	t.Helper()
	lines, _ := ev["breakdown"].([]any)
	if len(lines) == 0 {
		t.Fatalf("no breakdown in %v", ev)
	}
	l := lines[0].(map[string]any)
	return fmt.Sprintf("%v = %v", l["step"], l["amount"])
}

func wantLine(t *testing.T, bt *rating.BusinessTariff, it rating.BusinessItem) string {
	t.Helper()
	res, err := bt.Price(it)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s = %s", res.Breakdown[0].String(), res.Breakdown[0].Amount)
}

// TestFaxPricedFromConfiguredBusinessTariff: billing.business_tariff
// names a tariff whose fax prices differ from the embedded one. The fax
// is priced from it, as print is: the quote, the billed hotel.fax.sent
// and its business charge, and fax.deliver of received pages.
func TestFaxPricedFromConfiguredBusinessTariff(t *testing.T) {
	t.Parallel()
	path, bt := riversideTariff(t)
	cfg := faxSiteConfig(t, nil, config.Fax{})
	cfg.Billing.BusinessTariff = path
	s := startFaxSite(t, cfg, Tuning{})
	s.useModem(&fakeSender{next: []func(fax.SendJob) (fax.SendResult, error){delivered}})

	sendLine := wantLine(t, bt, faxItem(1, "domestic"))
	if embedded := tariffPrice(t, faxItem(1, "domestic")); strings.Contains(sendLine, embedded.Price.String()) {
		t.Fatalf("the test tariff prices a page as the embedded one: %s", sendLine)
	}
	if rep := s.cmd("fax.send", fax.SendData{To: "010 6512 3456", Room: "1203", Operator: "op07", Document: textDoc("one page")}); rep.Status != "completed" {
		t.Fatalf("fax.send: %+v", rep)
	}
	q := s.bo.event("hotel.fax.quoted", func(map[string]any) bool { return true })
	if q["tariff"] != "riverside-business" || firstLine(t, q) != sendLine {
		t.Errorf("quote priced with %v: %s, want riverside-business: %s", q["tariff"], firstLine(t, q), sendLine)
	}
	sent := s.bo.event("hotel.fax.sent", func(map[string]any) bool { return true })
	if sent["tariff"] != "riverside-business" || firstLine(t, sent) != sendLine || sent["billed"] != true {
		t.Errorf("hotel.fax.sent priced with %v: %s, want riverside-business: %s", sent["tariff"], firstLine(t, sent), sendLine)
	}
	var tariff, amount string
	if err := s.g.Store().QueryRow(context.Background(), `SELECT tariff, amount FROM business_charges WHERE service='fax-send'`).Scan(&tariff, &amount); err != nil ||
		tariff != "riverside-business" || amount != sent["amount"] {
		t.Errorf("business charge %s %s (%v), want riverside-business %v", tariff, amount, err, sent["amount"])
	}

	s.deliverReceived(fax.Received{Key: "fax1/rx/riverside-1", RemoteID: "+86 10 1234", Pages: receivedPages(t, 2), BitRate: 9600,
		Start: time.Now(), Duration: 40 * time.Second, Complete: true})
	s.bo.event("hotel.fax.received", func(d map[string]any) bool { return d["id"] == float64(1) })
	rep := s.cmd("fax.deliver", fax.DeliverData{ID: 1, DeliveredBy: "bell 12", SignedBy: "Zhang Wei"})
	recv, err := bt.Price(rating.BusinessItem{Service: rating.ServiceFaxReceive, Pages: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r := result(t, rep); rep.Status != "completed" || r["tariff"] != "riverside-business" || r["amount"] != recv.Price.String() {
		t.Errorf("fax.deliver priced %v with %v, want %s with riverside-business", r["amount"], r["tariff"], recv.Price)
	}
	d := s.bo.event("hotel.fax.delivered", func(map[string]any) bool { return true })
	if d["tariff"] != "riverside-business" || d["amount"] != recv.Price.String() {
		t.Errorf("hotel.fax.delivered %v with %v, want %s with riverside-business", d["amount"], d["tariff"], recv.Price)
	}
}
