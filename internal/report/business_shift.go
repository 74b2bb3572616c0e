package report

import (
	"context"
	"fmt"
	"time"

	"switchboard/internal/store"
)

// LoadBusinessOfShift reads the business-center charges recorded under
// console shift sh (business_charges.shift, store migration 11), in time
// order, with times in loc, and the period they span, labelled "shift N"
// (a night shift crosses midnight: no calendar day holds it). Charges
// billed before migration 11 name no shift and are not among them.
func LoadBusinessOfShift(ctx context.Context, st *store.Store, sh int64, loc *time.Location) ([]BusinessCharge, Period, error) {
	p := Period{Label: fmt.Sprintf("shift %d", sh)}
	if sh <= 0 {
		return nil, p, fmt.Errorf("report: shift %d: a shift is a positive number (the console's shift id)", sh)
	}
	charges, err := loadCharges(ctx, st, loc, `shift = ?`, sh)
	if err != nil {
		return nil, p, err
	}
	if n := len(charges); n > 0 {
		p.From, p.To = charges[0].At, charges[n-1].At
	}
	return charges, p, nil
}

// OfShift keeps the charges recorded under console shift sh.
func OfShift(charges []BusinessCharge, sh int64) []BusinessCharge {
	out := []BusinessCharge{}
	for _, c := range charges {
		if c.Shift == sh {
			out = append(out, c)
		}
	}
	return out
}
