package rating

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var propNumbers = []string{
	"902112345678", "90081312345678", "900441234567890", "90085212345678", "962345678",
	"913912345678", "9119", "94008001234", "900999123456", "9114", "9009991",
}

func randomStart(r *rand.Rand) time.Time {
	return at(2025, 1, 1, 0, 0, 0).Add(time.Duration(r.IntN(365*86400)) * time.Second)
}

// Price never decreases with duration: every unit has a non-negative price
// and keeps its band when the call grows longer, and the plan's steps (markup,
// tax, cap, rounding, minimum, grace) are monotone. Holds for both band
// policies, with and without a plan, with grace subtracted or not.
func TestPropertyPriceMonotoneInDuration(t *testing.T) {
	shipped := string(readShipped(t, "cn-telecom.yaml"))
	startPolicy, err := LoadTariff([]byte(strings.ReplaceAll(shipped, "band_policy: split", "band_policy: start")))
	if err != nil {
		t.Fatal(err)
	}
	planYAML := string(readShipped(t, "example-hotel-plan.yaml"))
	subtract := strings.Replace(planYAML, "grace_subtract: false", "grace_subtract: true", 1)
	engines := []*Engine{
		{Tariff: cnTelecom(t)},
		{Tariff: startPolicy},
		{Tariff: cnTelecom(t), Plan: mustPlan(t, planYAML)},
		{Tariff: startPolicy, Plan: mustPlan(t, subtract)},
		{Tariff: cnTelecom(t), Plan: mustPlan(t, subtract)},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		e := engines[i%len(engines)]
		c := Call{Dialed: propNumbers[r.IntN(len(propNumbers))], Start: randomStart(r), Duration: sec(r.IntN(4000))}
		if r.IntN(3) == 0 {
			c.Answered = yes()
		}
		c2 := c
		c2.Duration += sec(r.IntN(400))
		a, err1 := e.Rate(c)
		b, err2 := e.Rate(c2)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if b.Price < a.Price || b.CarrierCost < a.CarrierCost {
			t.Fatalf("%s at %s: %v → %s, %v → %s", c.Dialed, c.Start, c.Duration, a.Price, c2.Duration, b.Price)
		}
		checkSum(t, a)
	}
}

// Split against start: what holds and what does not.
//   - Both count the same units (BillableS): units run from the call's start
//     whatever the bands; only their price differs.
//   - A call that stays in one band costs the same under both.
//   - Neither dominates: a call starting in the cheap night band and running
//     into the day costs more split than start (start prices it all at
//     night); one starting by day and running past midnight costs less.
//     So: split − start has the sign of (price of the later bands − price of
//     the starting band), and split lies between units × the cheapest and
//     units × the dearest unit price.
func TestPropertySplitVersusStart(t *testing.T) {
	shipped := string(readShipped(t, "cn-telecom.yaml"))
	start, err := LoadTariff([]byte(strings.ReplaceAll(shipped, "band_policy: split", "band_policy: start")))
	if err != nil {
		t.Fatal(err)
	}
	split := cnTelecom(t)
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		c := Call{Dialed: "902112345678", Start: randomStart(r), Duration: sec(1 + r.IntN(30000))}
		a, _ := split.Rate(c)
		b, _ := start.Rate(c)
		if a.BillableS != b.BillableS {
			t.Fatalf("%v: billable split %d start %d", c.Start, a.BillableS, b.BillableS)
		}
		units := int64(a.BillableS / 6)
		if a.CarrierCost < MustMoney("0.04").Mul(units) || a.CarrierCost > MustMoney("0.07").Mul(units) {
			t.Fatalf("%v: split %s outside [0.04, 0.07] × %d", c.Start, a.CarrierCost, units)
		}
		night := c.Start.Hour() < 7
		switch {
		case night && a.CarrierCost < b.CarrierCost:
			t.Fatalf("%v +%v: starts at night, split %s < start %s", c.Start, c.Duration, a.CarrierCost, b.CarrierCost)
		case !night && a.CarrierCost > b.CarrierCost:
			t.Fatalf("%v +%v: starts by day, split %s > start %s", c.Start, c.Duration, a.CarrierCost, b.CarrierCost)
		}
		end := c.Start.Add(time.Duration(a.BillableS) * time.Second)
		sameBand := end.Sub(c.Start) < 7*time.Hour && (end.Hour() < 7) == night && end.Day() == c.Start.Day()
		if sameBand && a.CarrierCost != b.CarrierCost {
			t.Fatalf("%v +%v: within one band, split %s start %s", c.Start, c.Duration, a.CarrierCost, b.CarrierCost)
		}
	}
}
