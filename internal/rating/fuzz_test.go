package rating

import (
	"testing"
	"time"
)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"90081312345678", "+81 3 1234", "9021-6123 4567", "*72#", "", "P", "9110", "00", "0", "++1", "9+", "96234XXXX"} {
		f.Add(s)
	}
	site := ChinaSite("10")
	site.Internal = []Range{{From: "2000", To: "2999"}}
	f.Fuzz(func(t *testing.T, dialed string) {
		n, err := site.Normalize(dialed)
		if err != nil {
			return
		}
		if !isDigits(n.Digits) {
			t.Fatalf("%q → %q (%s): not digits", dialed, n.Digits, n.Kind)
		}
	})
}

func FuzzLoadTariff(f *testing.F) {
	f.Add(readShipped(f, "cn-telecom.yaml"))
	f.Add([]byte(versionedTariff))
	f.Add([]byte("tariff: x\ncurrency: CNY\nsite: {home_country: '1'}\nversion: a\neffective: 2020-01-01\nrates: [{id: r, steps: [{unit_s: 1, units: 0, price: 1}], bands: [{days: [all], from: '22:00', to: '06:00', factor: 1}]}]\ndestinations: [{prefix: '1', name: n, class: idd, rate: r}]\n"))
	f.Add([]byte("rates: [{id: 1, steps: [{unit_s: -1}]}]"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := LoadTariff(data)
		if err != nil {
			return
		}
		// A tariff that loads must rate without panicking.
		for _, d := range []string{"0081312345678", "12345678", "110", "0", "+1"} {
			for _, dur := range []int{0, 1, 59, 3601, 90000} {
				r, err := tr.Rate(Call{Dialed: d, Start: time.Date(2024, 12, 31, 23, 59, 30, 0, time.UTC), Duration: sec(dur)})
				if err == nil {
					checkSum(t, r)
				}
			}
		}
	})
}

func FuzzRate(f *testing.F) {
	f.Add("90081312345678", int64(0), int64(65), uint8(0))
	f.Add("962345678", int64(86390), int64(200000), uint8(1))
	f.Add("9119", int64(3600*6+3590), int64(29), uint8(2))
	tr := cnTelecom(f)
	p := mustPlan(f, string(readShipped(f, "example-hotel-plan.yaml")))
	e := &Engine{Tariff: tr, Plan: p}
	f.Fuzz(func(t *testing.T, dialed string, startS, durS int64, ans uint8) {
		c := Call{Dialed: dialed, Start: at(2025, 1, 1, 0, 0, 0).Add(time.Duration(startS%(400*86400)) * time.Second),
			Duration: time.Duration(durS%1e6) * time.Second}
		switch ans % 3 {
		case 1:
			c.Answered = yes()
		case 2:
			c.Answered = no()
		}
		r, err := e.Rate(c)
		if err != nil {
			return
		}
		checkSum(t, r)
		if r.Price < 0 || r.CarrierCost < 0 {
			t.Fatalf("negative: %+v", r)
		}
	})
}
