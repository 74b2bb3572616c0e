package report

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/store"
)

// TestBusinessOfShift: the charges a console shift recorded, read by shift
// across midnight (a night shift), or filtered out of a day; charges with
// no shift (billed before store migration 11, or by the back office) are
// in no shift's report, and the charges table names each charge's shift.
func TestBusinessOfShift(t *testing.T) {
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, loc) }
	err = st.InTx(ctx, func(tx *store.Tx) error {
		for _, c := range []struct {
			key   string
			at    time.Time
			minor int64
			shift any
		}{
			{"day-7", at(27, 15), 100, 7},
			{"night-8-before", at(27, 23), 200, 8},
			{"night-8-after", at(28, 2), 300, 8},
			{"none", at(27, 16), 400, nil},
		} {
			if _, err := tx.Exec(`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state,
				amount, amount_minor, currency, tariff, breakdown, seq, shift) VALUES(?,'print','prn1','print/1','1203','0002',?,1,'A4',0,0,'completed',?,?,'CNY','t','[]',1,?)`,
				c.key, c.at.UnixNano(), fmt.Sprintf("%d.%02d", c.minor/100, c.minor%100), c.minor, c.shift); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	day, _ := Day("2026-11-27", loc)
	dayCharges, err := LoadBusiness(ctx, st, day)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		load func() ([]BusinessCharge, error)
		want string
	}{
		{"night shift 8, whole", func() ([]BusinessCharge, error) { c, _, err := LoadBusinessOfShift(ctx, st, 8, loc); return c, err }, "night-8-before night-8-after"},
		{"shift 8 within the 27th", func() ([]BusinessCharge, error) { return OfShift(dayCharges, 8), nil }, "night-8-before"},
		{"shift 7", func() ([]BusinessCharge, error) { c, _, err := LoadBusinessOfShift(ctx, st, 7, loc); return c, err }, "day-7"},
		{"a shift with no charge", func() ([]BusinessCharge, error) { c, _, err := LoadBusinessOfShift(ctx, st, 99, loc); return c, err }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			charges, err := tc.load()
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, c := range charges {
				keys = append(keys, c.IdemKey)
			}
			if got := strings.Join(keys, " "); got != tc.want {
				t.Errorf("charges %q, want %q", got, tc.want)
			}
		})
	}
	if _, _, err := LoadBusinessOfShift(ctx, st, 0, loc); err == nil || !strings.Contains(err.Error(), "positive") {
		t.Errorf("shift 0: %v", err)
	}
	// The day's table names each charge's shift, blank for none.
	r, err := Business(day, dayCharges)
	if err != nil {
		t.Fatal(err)
	}
	lines := r.Tables()[3]
	shiftCol := -1
	for i, c := range lines.Columns {
		if c.Name == "shift" {
			shiftCol = i
		}
	}
	if shiftCol < 0 {
		t.Fatalf("no shift column in %+v", lines.Columns)
	}
	var shifts []string
	for _, row := range lines.Rows {
		shifts = append(shifts, row[shiftCol])
	}
	if got := strings.Join(shifts, ","); got != "7,,8" {
		t.Errorf("shift column %q, want 7,,8 (15:00, 16:00, 23:00)", got)
	}
}
