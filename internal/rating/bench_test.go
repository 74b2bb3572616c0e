package rating

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// deck50k is a generated deck of 50,000 distinct prefixes: country codes,
// Chinese area codes and mobile number segments, long and short.
func deck50k() []byte {
	r := rand.New(rand.NewPCG(50, 50))
	seen := map[string]bool{}
	var b strings.Builder
	b.WriteString("prefix,name,class,rate_id\n")
	rates := []string{"ddd", "idd", "hkmotw", "local"}
	classes := []Class{ClassDDD, ClassIDD, ClassHKMOTW, ClassMobile}
	for len(seen) < 50000 {
		k := r.IntN(4)
		var p string
		switch k {
		case 0: // 86 + area code + exchange
			p = fmt.Sprintf("86%d%d", 2+r.IntN(8), r.IntN(100000))
		case 1: // country + operator range
			p = fmt.Sprintf("%d%d", 1+r.IntN(999), r.IntN(10000))
		case 2:
			p = fmt.Sprintf("85%d%d", 2+r.IntN(2), r.IntN(1000))
		default: // mobile segments 861[3-9]xxxxx
			p = fmt.Sprintf("861%d%05d", 3+r.IntN(7), r.IntN(100000))
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		fmt.Fprintf(&b, "%s,Destination %s,%s,%s\n", p, p, classes[k], rates[k])
	}
	return []byte(b.String())
}

const benchTariff = `
tariff: bench
currency: CNY
site: {home_country: "86", home_area: "10", trunk_access: ["9"], international_prefix: "00", national_prefix: "0",
       local_lengths: [7, 8], mobile_prefix: ["13","14","15","16","17","18","19"], mobile_length: 11}
local_rate: local
fallback: {international: {name: Other, class: idd, rate: idd}, national: {name: China, class: ddd, rate: ddd},
           local: {name: Home area, class: ddd, rate: ddd}, unknown: {name: Unknown, class: ddd, rate: ddd}, mobile: {name: Mobile, class: mobile, rate: local}}
version: b1
effective: 2000-01-01
destinations_csv: deck.csv
rates:
  - {id: local, steps: [{unit_s: 180, units: 1, price: 0.22}, {unit_s: 60, units: 0, price: 0.11}]}
  - id: ddd
    steps: [{unit_s: 6, units: 0, price: 0.07}]
    bands: [{name: night, days: [all], from: "00:00", to: "07:00", factor: 60%},
            {name: weekend, days: [weekend], from: "19:00", to: "24:00", factor: 80%}]
  - {id: idd, steps: [{unit_s: 6, units: 0, price: 0.80}], bands: [{name: night, days: [all], from: "00:00", to: "07:00", factor: 60%}]}
  - {id: hkmotw, steps: [{unit_s: 6, units: 0, price: 0.20}]}
`

func benchFS(deck []byte) fstest.MapFS {
	return fstest.MapFS{"t.yaml": {Data: []byte(benchTariff)}, "deck.csv": {Data: deck}}
}

func BenchmarkLoadDeck50k(b *testing.B) {
	fsys := benchFS(deck50k())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := LoadTariffFS(fsys, "t.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchCalls(n int) []Call {
	r := rand.New(rand.NewPCG(7, 7))
	nums := []struct {
		f   string
		max int
	}{{"9008613%09d", 1e9}, {"90081%09d", 1e9}, {"900852%08d", 1e8}, {"9021%08d", 1e8}, {"9010%08d", 1e8},
		{"9%08d", 1e8}, {"9139%08d", 1e8}, {"900499%08d", 1e8}, {"900999%06d", 1e6}}
	calls := make([]Call, n)
	for i := range calls {
		f := nums[r.IntN(len(nums))]
		calls[i] = Call{
			Dialed:   fmt.Sprintf(f.f, r.IntN(f.max)),
			Start:    at(2025, 1, 1, 0, 0, 0).Add(time.Duration(r.IntN(365*86400)) * time.Second),
			Duration: time.Duration(1+r.IntN(7200)) * time.Second,
		}
		if i%4 == 0 {
			calls[i].Duration *= 20 // some calls of many hours: cost must not grow with length
		}
	}
	return calls
}

func benchEngine(b *testing.B) *Engine {
	t, err := LoadTariffFS(benchFS(deck50k()), "t.yaml")
	if err != nil {
		b.Fatal(err)
	}
	p := mustPlan(b, "plan: b\ncurrency: CNY\ngrace_s: 30\ndefault: {markup: 15%, service: 10%, tax: 6%, minimum: 1.00, minor_units: 1, rounding: up}\n")
	return &Engine{Tariff: t, Plan: p}
}

// BenchmarkRate rates one call on the 50k-prefix deck with a hotel plan.
func BenchmarkRate(b *testing.B) {
	e := benchEngine(b)
	calls := benchCalls(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Rate(calls[i&4095]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRateCarrier is Tariff.Rate alone (no plan).
func BenchmarkRateCarrier(b *testing.B) {
	e := benchEngine(b)
	calls := benchCalls(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Tariff.Rate(calls[i&4095]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRateLongCall: a 30-hour call crossing many bands costs about
// what a short one does.
func BenchmarkRateLongCall(b *testing.B) {
	e := benchEngine(b)
	c := Call{Dialed: "902112345678", Start: at(2025, 3, 8, 18, 0, 0), Duration: 30 * time.Hour}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := e.Rate(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRerate1M re-rates 1,000,000 calls (a year of a large hotel) per
// iteration and reports the total as s/1M.
func BenchmarkRerate1M(b *testing.B) {
	e := benchEngine(b)
	calls := benchCalls(1 << 16)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for k := 0; k < 1_000_000; k++ {
			if _, err := e.Rate(calls[k&(1<<16-1)]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/1M")
}
