package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"switchboard/internal/store"
)

// TestBusinessReportShift: `report business-center --shift N` prints the
// charges console shift N recorded (alone: whatever days they span; with
// --date: those of the day), and refuses a shift that is not a shift id.
func TestBusinessReportShift(t *testing.T) {
	cfg, db := reportLedger(t)
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	err = st.InTx(ctx, func(tx *store.Tx) error {
		for _, c := range []struct {
			key, room string
			at        time.Time
			shift     any
		}{
			{"p1", "1203", time.Date(2026, 11, 27, 23, 10, 0, 0, loc), 4},
			{"p2", "1205", time.Date(2026, 11, 28, 1, 20, 0, 0, loc), 4},
			{"p3", "1207", time.Date(2026, 11, 27, 14, 0, 0, 0, loc), nil},
		} {
			if _, err := tx.Exec(`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state,
				amount, amount_minor, currency, tariff, breakdown, seq, shift) VALUES(?,'print','prn1','print/1',?,'0002',?,2,'A4',0,0,'completed','1.60',160,'CNY','t','[]',1,?)`,
				c.key, c.room, c.at.UnixNano(), c.shift); err != nil {
				return err
			}
		}
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	hide := []string{filepath.Dir(cfg), "$DIR"}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"business-shift", []string{"report", "business-center", "--shift", "4"}},
		{"business-shift-day", []string{"report", "business-center", "--shift", "4", "--date", "2026-11-27", "--csv"}},
		{"business-day", []string{"report", "business-center", "--date", "2026-11-27"}},
		{"bad-shift", []string{"report", "business-center", "--shift", "-1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			golden(t, "report", c.name, append(c.args, "--config", cfg), hide...)
		})
	}
}
