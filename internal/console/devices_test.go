package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/internal/store"
)

// seedDevices records devices' states and alerts as the desks do.
func seedDevices(t *testing.T, st *store.Store, at time.Time) {
	t.Helper()
	err := st.InTx(context.Background(), func(tx *store.Tx) error {
		if err := tx.Put("retained", "hotel/acme/h042/pbx/pbx1/state/link",
			[]byte(`{"type":"hotel.pbx.state.link","data":{"device":"pbx1","state":"disconnected","since":"2026-12-04T21:40:00+08:00","error":"connection refused"}}`)); err != nil {
			return err
		}
		if err := tx.RaiseDeviceAlert(store.DeviceAlert{Device: "pbx1", Domain: "pbx", Alert: "link-down", Severity: "critical",
			Message: "no call records: check the SMDR cable", Raised: at}); err != nil {
			return err
		}
		if err := tx.SetDeviceStatus("mfp1", "print", "stopped", []byte(`{"reasons":["media-jam"],
			"supplies":[{"name":"black toner","level":4,"low":true}],"trays":[{"name":"tray-1","level":0,"capacity":250,"media":"iso_a4"}]}`), at); err != nil {
			return err
		}
		if err := tx.RaiseDeviceAlert(store.DeviceAlert{Device: "mfp1", Domain: "print", Alert: "jam", Severity: "warning",
			Message: "<script>alert(1)</script> clear the jam", Raised: at}); err != nil {
			return err
		}
		if err := tx.SetDeviceStatus("<script>x</script>", "fax", "idle", []byte(`{}`), at); err != nil {
			return err
		}
		// A cleared alert is not shown.
		if err := tx.RaiseDeviceAlert(store.DeviceAlert{Device: "mfp1", Domain: "print", Alert: "toner-low", Severity: "warning",
			Message: "old toner alert", Raised: at.Add(-time.Hour)}); err != nil {
			return err
		}
		return tx.ClearDeviceAlert("mfp1", "toner-low", at)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDevicesPage(t *testing.T) {
	f := newFixture(t, false, nil)
	f.c.o.Devices = []DeviceInfo{
		{ID: "pbx1", Driver: "pbx", Profile: "avaya-ipoffice", Domain: "pbx", Kind: "smdr"},
		{ID: "link1", Driver: "hotelink", Profile: "fias", Domain: "pbx", Kind: kindHotelLink},
	}
	seedDevices(t, f.st, f.clock.now().Add(-10*time.Minute))
	page := func(code string) string {
		t.Helper()
		b := f.browser(t)
		b.signIn(code, "1234")
		res := b.do("GET", "/devices", nil)
		if res.code != http.StatusOK {
			t.Fatalf("%s on /devices: %d\n%s", code, res.code, res.body)
		}
		return res.body
	}
	for _, tc := range []struct {
		who, code string
		has, not  []string
	}{
		{"supervisor", "0003",
			[]string{`data-device="pbx1"`, "avaya-ipoffice", "disconnected", "connection refused", "critical", "no call records: check the SMDR cable",
				`data-device="link1"`, "fias", `data-device="mfp1"`, "media-jam", "black toner 4% LOW", "tray-1 0/250 iso_a4",
				"&lt;script&gt;alert(1)&lt;/script&gt; clear the jam", "&lt;script&gt;x&lt;/script&gt;", `data-live="devices"`, `name="check" value="alerts.reviewed"`},
			[]string{"<script>alert", "<script>x", "old toner alert"}},
		{"operator", "0001",
			[]string{`data-device="pbx1"`, `data-device="link1"`, "no call records", `value="pbx.smdr"`},
			[]string{`data-device="mfp1"`, "clear the jam", `value="print.paper"`, `value="fax.modems"`}},
		{"business", "0002",
			[]string{`data-device="mfp1"`, "clear the jam", "black toner", `value="print.toner"`, `value="fax.modems"`},
			[]string{`data-device="pbx1"`, `data-device="link1"`, "no call records", `value="pbx.smdr"`}},
	} {
		body := page(tc.code)
		for _, s := range tc.has {
			if !strings.Contains(body, s) {
				t.Errorf("%s: the page lacks %q", tc.who, s)
			}
		}
		for _, s := range tc.not {
			if strings.Contains(body, s) {
				t.Errorf("%s: the page has %q", tc.who, s)
			}
		}
	}
}

func TestHandoverCheck(t *testing.T) {
	f := newFixture(t, false, nil)
	b := f.browser(t)
	b.signIn("0002", "1234") // business centre
	res := b.do("GET", "/devices", nil)
	if !strings.Contains(res.body, "No device check confirmed yet.") {
		t.Fatalf("no check yet:\n%s", res.body)
	}
	tok := formToken(t, res.body)
	form := url.Values{"check": {"print.paper", "fax.modems", "pbx.smdr"}, "remark": {"tray 2 <b>low</b>"}}
	if res := b.do("POST", "/devices/handover", form); res.code != http.StatusForbidden {
		t.Fatalf("without the token: %d, want 403", res.code)
	}
	if _, ok, _ := f.ops.LastHandoverCheck(context.Background()); ok {
		t.Fatal("recorded without the token")
	}
	form.Set("csrf", tok)
	res = b.do("POST", "/devices/handover", form)
	if res.code != http.StatusSeeOther || res.header.Get("Location") != "/devices?checked=1" {
		t.Fatalf("with the token: %d %s", res.code, res.header.Get("Location"))
	}
	hc, ok, err := f.ops.LastHandoverCheck(context.Background())
	if err != nil || !ok || hc.Operator != "0002" || hc.Shift != shiftOf(t, f, "0002") ||
		strings.Join(hc.Items, ",") != "fax.modems,print.paper" || !hc.At.Equal(f.clock.now()) {
		t.Fatalf("recorded: %+v %v %v (a business clerk cannot confirm the PBX)", hc, ok, err)
	}
	res = b.do("GET", "/devices?checked=1", nil)
	for _, s := range []string{"The device check is recorded", "Last confirmed", "Fax modems answering", "tray 2 &lt;b&gt;low&lt;/b&gt;"} {
		if !strings.Contains(res.body, s) {
			t.Errorf("devices page lacks %q", s)
		}
	}
	res = b.do("GET", "/shift", nil)
	for _, s := range []string{`id="journal-handover"`, "Printers and copier: paper loaded, no jam", "tray 2 &lt;b&gt;low&lt;/b&gt;"} {
		if !strings.Contains(res.body, s) {
			t.Errorf("shift journal lacks %q:\n%s", s, res.body)
		}
	}
	zh := b.do("GET", "/shift?lang=zh-Hant", nil)
	if !strings.Contains(zh.body, "設備檢查（交接班）") {
		t.Error("the journal's check is not in Chinese")
	}
}

func shiftOf(t *testing.T, f *fixture, code string) int64 {
	t.Helper()
	sh, ok, err := f.ops.CurrentShift(context.Background(), code)
	if err != nil || !ok {
		t.Fatalf("shift of %s: %v %v", code, ok, err)
	}
	return sh.ID
}
