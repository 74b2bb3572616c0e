package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"switchboard/internal/fax/codec"
	tifff "switchboard/internal/fax/tiff"
	"switchboard/test/peers"
	"testing"
	"time"

	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/store"
)

// TestFaxListAndShow reads the register the gateway keeps: list (table,
// --unassigned, --date, --json, --csv) and show.
func TestFaxListAndShow(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sb.db")
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	yaml := fmt.Sprintf("site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}\nstore: {path: %s}\n", db)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 11, 27, 9, 30, 0, 0, loc)
	err = st.InTx(context.Background(), func(tx *store.Tx) error {
		if _, _, err := faxjobs.Register(tx, faxjobs.Fax{Key: "fax1/rx/1", Device: "fax1", Received: at, Pages: 2, RemoteID: "+86 10 1234", Complete: true}); err != nil {
			return err
		}
		id, _, err := faxjobs.Register(tx, faxjobs.Fax{Key: "fax1/rx/2", Device: "fax1", Received: at.Add(time.Hour), Pages: 1, Partial: true})
		if err != nil {
			return err
		}
		co := at.Add(-24 * time.Hour)
		_, err = faxjobs.Assign(tx, id, faxjobs.Assignment{Room: "1205", Name: "Anna Berg", CheckedOut: &co}, at.Add(2*time.Hour))
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, int) {
		var out, errb bytes.Buffer
		code := dispatch(append(append([]string{"fax"}, args...), "--config", cfgPath), &out, &errb)
		return out.String() + errb.String(), code
	}
	out, code := run("list")
	if code != 0 || !strings.Contains(out, "CHECK OUT 2026-11-26") || !strings.Contains(out, "1 (partial)") || !strings.Contains(out, "Anna Berg") {
		t.Fatalf("list (%d):\n%s", code, out)
	}
	out, _ = run("list", "--unassigned", "--json")
	var rows []faxRegisterRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || rows[0].ID != 1 || rows[0].Pages != 2 {
		t.Fatalf("list --unassigned --json: %v\n%s", err, out)
	}
	if out, _ = run("list", "--date", "2026-11-28", "--csv"); strings.Count(out, "\n") != 1 {
		t.Fatalf("list --date (another day) --csv:\n%s", out)
	}
	if out, code = run("show", "2"); code != 0 || !strings.Contains(out, `"room": "1205"`) {
		t.Fatalf("show 2 (%d):\n%s", code, out)
	}
	if _, code = run("show", "9"); code != 1 {
		t.Fatalf("show 9: exit %d", code)
	}
	if out, code = run("send", "--to", "123"); code != 2 || !strings.Contains(out, "required") {
		t.Fatalf("send without room (%d):\n%s", code, out)
	}
}

// TestReportFaxes: `switchboard report faxes --date D` through dispatch
// (table, CSV, JSON), and its usage errors.
func TestReportFaxes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sb.db")
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	yaml := fmt.Sprintf("site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}\nstore: {path: %s}\n", db)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 11, 27, 9, 30, 0, 0, loc)
	err = st.InTx(context.Background(), func(tx *store.Tx) error {
		id, _, err := faxjobs.Register(tx, faxjobs.Fax{Key: "fax1/rx/1", Device: "fax1", Received: at, Pages: 2, Complete: true})
		if err != nil {
			return err
		}
		if _, err := faxjobs.Assign(tx, id, faxjobs.Assignment{Room: "1203", Name: "Zhang Wei"}, at.Add(time.Minute)); err != nil {
			return err
		}
		_, err = faxjobs.Deliver(tx, id, "bell 12", "Zhang Wei", "", at.Add(20*time.Minute))
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, int) {
		var out, errb bytes.Buffer
		code := dispatch(append([]string{"report", "faxes", "--config", cfgPath}, args...), &out, &errb)
		return out.String() + errb.String(), code
	}
	out, code := run("--date", "2026-11-27")
	if code != 0 || !strings.Contains(out, "Fax register 2026-11-27: 1 faxes received, 2 pages, 1 delivered, 0 open") ||
		!strings.Contains(out, "Zhang Wei  1203") || !strings.Contains(out, "2026-11-27 09:50") {
		t.Fatalf("table (%d):\n%s", code, out)
	}
	out, code = run("--date", "2026-11-27", "--csv")
	if code != 0 || !strings.HasPrefix(out, "No.,Name,Room,Date,Pages,Received,Delivered,Delivered by,Signed by,Status\n1,Zhang Wei,1203,2026-11-27,2,09:30,2026-11-27 09:50,bell 12,Zhang Wei,delivered\n") {
		t.Fatalf("csv (%d):\n%s", code, out)
	}
	out, code = run("--date", "2026-11-27", "--json")
	var r struct {
		Faxes []struct {
			Name, Room, SignedBy string
			Pages                int
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || len(r.Faxes) != 1 || r.Faxes[0].Pages != 2 {
		t.Fatalf("json (%d):\n%s", code, out)
	}
	if out, code = run("--date", "2026-11-26"); code != 0 || !strings.Contains(out, "no fax received") {
		t.Fatalf("empty day (%d):\n%s", code, out)
	}
	if _, code = run(); code != 2 {
		t.Fatalf("no --date: %d", code)
	}
	if _, code = run("--date", "27.11.2026"); code != 2 {
		t.Fatalf("bad --date: %d", code)
	}
}

// `fax show ID --png DIR` renders the stored TIFF's pages as PNG.
func TestFaxShowPNG(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sb.db")
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf("site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}\nstore: {path: %s}\n", db)), 0o644)
	var pages []*tifff.Page
	for i := 0; i < 2; i++ {
		p, err := tifff.NewPage(codec.TestChart(codec.WidthA4, 200+100*i), codec.Params{Scheme: codec.MH, Width: codec.WidthA4}, tifff.YResFine)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
	}
	tiffPath := filepath.Join(dir, "rx.tif")
	f, _ := os.Create(tiffPath)
	if err := tifff.Write(f, pages); err != nil {
		t.Fatal(err)
	}
	f.Close()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	err = st.InTx(context.Background(), func(tx *store.Tx) error {
		_, _, err := faxjobs.Register(tx, faxjobs.Fax{Key: "fax1/rx/1", Device: "fax1", Received: time.Now(), Pages: 2, Complete: true, TIFF: tiffPath})
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	pngDir := filepath.Join(dir, "png")
	if code := dispatch([]string{"fax", "show", "1", "--png", pngDir, "--config", cfgPath}, &out, &errb); code != 0 {
		t.Fatalf("show --png: exit %d\n%s%s", code, out.String(), errb.String())
	}
	for i, h := range []int{200, 300} {
		pf, err := os.Open(filepath.Join(pngDir, fmt.Sprintf("page-%d.png", i+1)))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(pf)
		pf.Close()
		if err != nil || img.Bounds().Dx() != codec.WidthA4 || img.Bounds().Dy() != h {
			t.Fatalf("page %d: %v %v", i+1, err, img.Bounds())
		}
	}
}

// `fax probe` asks a real Class 1 modem (spandsp's T.31 on the test line)
// what it is, through go.bug.st/serial.
func TestFaxProbeSpandspModem(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the spandsp fax line")
	}
	fp := peers.StartFaxPeer(t, peers.FaxPeerOptions{Mode: "receive"})
	var out, errb bytes.Buffer
	code := dispatch([]string{"fax", "probe", "--port", fp.Link()}, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "AT+FCLASS=?") || !strings.Contains(out.String(), "profile") {
		t.Fatalf("probe: exit %d\n%s%s", code, out.String(), errb.String())
	}
	t.Logf("probe:\n%s", out.String())
}
