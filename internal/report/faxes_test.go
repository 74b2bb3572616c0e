package report

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/store"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files (fax register, hotel-link reconciliation)")

// TestFaxRegisterGolden: three faxes received on the day (one delivered
// and signed for, one for a guest who had left, one unclaimed and
// partial), one the day before; the register as text, CSV and JSON
// against testdata/faxes.golden.*.
func TestFaxRegisterGolden(t *testing.T) {
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	st := openStore(t)
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, loc) }
	left := at(26, 11, 0)
	if err := st.InTx(ctx, func(tx *store.Tx) error {
		for _, f := range []faxjobs.Fax{
			{Key: "fax1/rx/a", Device: "fax1", Received: at(26, 23, 50), Pages: 1, Complete: true},
			{Key: "fax1/rx/b", Device: "fax1", Received: at(27, 9, 5), Pages: 2, Complete: true},
			{Key: "fax1/rx/c", Device: "fax1", Received: at(27, 10, 40), Pages: 3, Complete: true},
			{Key: "fax1/rx/d", Device: "fax1", Received: at(27, 22, 15), Pages: 1, Partial: true},
		} {
			if _, _, err := faxjobs.Register(tx, f); err != nil {
				return err
			}
		}
		if _, err := faxjobs.Assign(tx, 2, faxjobs.Assignment{Room: "1203", Name: "Zhang Wei"}, at(27, 9, 20)); err != nil {
			return err
		}
		if _, err := faxjobs.Deliver(tx, 2, "bell 12", "Zhang Wei", "fax1/fax/2/delivered", at(27, 9, 45)); err != nil {
			return err
		}
		_, err := faxjobs.Assign(tx, 3, faxjobs.Assignment{Room: "1205", Name: "Anna Berg", CheckedOut: &left}, at(27, 11, 0))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	p, _ := Day("2026-11-27", loc)
	list, err := LoadFaxes(ctx, st, p)
	if err != nil {
		t.Fatal(err)
	}
	r := Faxes(p, list)
	if len(r.Faxes) != 3 || r.Pages != 6 || r.Delivered != 1 || r.Open != 2 {
		t.Fatalf("register %+v", r)
	}
	for _, f := range []struct {
		format Format
		ext    string
	}{{Text, "txt"}, {CSV, "csv"}, {JSON, "json"}} {
		var b strings.Builder
		if err := Write(&b, f.format, r.Heading(), r.Tables(), r); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "faxes.golden."+f.ext, b.String())
	}
}

// openStore is an empty store in the test's temporary directory.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// checkGolden compares a rendering with testdata/name, or rewrites the
// file with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("differs from %s:\n%s", golden, got)
	}
}
