package operators_test

import (
	"context"
	"testing"
	"time"

	"switchboard/internal/store"
)

// BenchmarkJournalCharges: one shift's journal on a ledger of 50,000
// business charges (the 400-day ledger's count of print jobs), 40,000 of
// them recorded under one of 2,000 shifts and 10,000 from before store
// migration 11 (no shift: the command link / time window fallback).
func BenchmarkJournalCharges(b *testing.B) {
	ctx := context.Background()
	ops, st := newStore(b)
	var mid int64
	if err := st.InTx(ctx, func(tx *store.Tx) error {
		for i := 0; i < 2000; i++ {
			opened := t0.Add(time.Duration(i) * 5 * time.Hour)
			res, err := tx.Exec(`INSERT INTO shifts(operator, opened, closed) VALUES('0002',?,?)`, opened.UnixNano(), opened.Add(4*time.Hour).UnixNano())
			if err != nil {
				return err
			}
			if i == 1000 {
				mid, _ = res.LastInsertId()
			}
		}
		for i := 0; i < 50000; i++ {
			var shift any
			if i%5 != 0 {
				shift = int64(i%2000) + 1
			}
			at := t0.Add(time.Duration(i%2000)*5*time.Hour + time.Duration(i%200)*time.Minute)
			if _, err := tx.Exec(`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state,
				amount, amount_minor, currency, tariff, breakdown, seq, shift) VALUES(?,'print','prn1',?,'1203','0002',?,1,'A4',0,0,'completed','1.00',100,'TWD','t','[]',?,?)`,
				i, "print/"+string(rune('a'+i%26)), at.UnixNano(), i+1, shift); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	now := t0.Add(2000 * 5 * time.Hour)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j, err := ops.Journal(ctx, mid, now)
		if err != nil || len(j.Services) == 0 {
			b.Fatalf("%+v %v", j, err)
		}
	}
}
