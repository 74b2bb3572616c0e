package rating

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

var cst = time.FixedZone("CST", 8*3600) // Asia/Shanghai has no DST

func at(y int, m time.Month, d, h, mi, s int) time.Time { return time.Date(y, m, d, h, mi, s, 0, cst) }

// A Monday in March 2025.
var monday = at(2025, 3, 3, 10, 0, 0)

func readShipped(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../../tariffs/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var (
	cnOnce sync.Once
	cnT    *Tariff
	cnErr  error
)

// cnTelecom is the shipped tariff, with the site of a Beijing hotel.
func cnTelecom(t testing.TB) *Tariff {
	t.Helper()
	cnOnce.Do(func() { cnT, cnErr = LoadTariff(readShipped(t, "cn-telecom.yaml")) })
	if cnErr != nil {
		t.Fatal(cnErr)
	}
	return cnT
}

func mustPlan(t testing.TB, y string) *Plan {
	t.Helper()
	p, err := LoadPlan([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func sec(n int) time.Duration { return time.Duration(n) * time.Second }

func TestShippedTariffLoads(t *testing.T) {
	tr := cnTelecom(t)
	if w := tr.Warnings(); len(w) > 0 {
		t.Errorf("warnings: %v", w)
	}
	if tr.Currency() != "CNY" || tr.Name() != "cn-telecom-fixed" {
		t.Errorf("name %q currency %q", tr.Name(), tr.Currency())
	}
	p, err := LoadPlan(readShipped(t, "example-hotel-plan.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewEngine(tr, p); err != nil {
		t.Fatal(err)
	}
}

// The published China Telecom rates, at carrier cost.
func TestPublishedRates(t *testing.T) {
	tr := cnTelecom(t)
	tests := []struct {
		name     string
		dialed   string
		start    time.Time
		dur      int
		class    Class
		dest     string
		prefix   string
		billable int
		cost     string
		lines    []string
	}{
		{"ddd 1s is one 6s unit", "902112345678", monday, 1, ClassDDD, "Shanghai", "8621", 6, "0.07", []string{"units 1 x 6s @ 0.07"}},
		{"ddd 6s", "902112345678", monday, 6, ClassDDD, "Shanghai", "8621", 6, "0.07", nil},
		{"ddd 7s rounds up", "902112345678", monday, 7, ClassDDD, "Shanghai", "8621", 12, "0.14", nil},
		{"ddd 61s", "9021-1234 5678", monday, 61, ClassDDD, "Shanghai", "8621", 66, "0.77", []string{"units 11 x 6s @ 0.07"}},
		{"ddd 3 min", "902112345678", monday, 180, ClassDDD, "Shanghai", "8621", 180, "2.10", nil},
		{"ddd other area falls to China", "909431234567", monday, 60, ClassDDD, "China", "86", 60, "0.70", nil},
		{"ddd night 60%", "902112345678", at(2025, 3, 3, 3, 0, 0), 60, ClassDDD, "Shanghai", "8621", 60, "0.40", []string{"units 10 x 6s @ 0.04 night band"}},
		{"ddd night on a holiday too", "902112345678", at(2025, 10, 1, 0, 0, 0), 6, ClassDDD, "Shanghai", "8621", 6, "0.04", nil},
		{"ddd crossing 07:00 split", "902112345678", at(2025, 3, 3, 6, 59, 0), 120, ClassDDD, "Shanghai", "8621", 120, "1.10",
			[]string{"units 10 x 6s @ 0.04 night band", "units 10 x 6s @ 0.07"}},
		{"ddd unit starting before 07:00 is night", "902112345678", at(2025, 3, 3, 6, 59, 57), 9, ClassDDD, "Shanghai", "8621", 12, "0.11", nil},
		{"ddd crossing midnight split", "902112345678", at(2025, 3, 3, 23, 59, 0), 120, ClassDDD, "Shanghai", "8621", 120, "1.10",
			[]string{"units 10 x 6s @ 0.07", "units 10 x 6s @ 0.04 night band"}},
		{"idd 0.80 per 6s", "900441234567890", monday, 60, ClassIDD, "United Kingdom", "44", 60, "8.00", nil},
		{"idd without night discount", "9002341234567", at(2025, 3, 3, 3, 0, 0), 60, ClassIDD, "Nigeria", "234", 60, "8.00", nil},
		{"idd discount country at night", "90081312345678", at(2025, 3, 3, 3, 0, 0), 60, ClassIDD, "Japan", "81", 60, "4.80",
			[]string{"units 10 x 6s @ 0.48 night band 60%"}},
		{"idd NANP caribbean is not US", "9001876555123", at(2025, 3, 3, 3, 0, 0), 6, ClassIDD, "Jamaica", "1876", 6, "0.80", nil},
		{"hong kong", "90085212345678", monday, 7, ClassHKMOTW, "Hong Kong", "852", 12, "0.40", nil},
		{"macau", "+85328123456", monday, 6, ClassHKMOTW, "Macau", "853", 6, "0.20", nil},
		{"taiwan", "9008862123456", monday, 30, ClassHKMOTW, "Taiwan", "886", 30, "1.00", nil},
		{"local 1s", "962345678", monday, 1, ClassLocal, "Beijing", "8610", 180, "0.22", []string{"units 1 x 180s @ 0.22"}},
		{"local 180s", "962345678", monday, 180, ClassLocal, "Beijing", "8610", 180, "0.22", nil},
		{"local 181s", "962345678", monday, 181, ClassLocal, "Beijing", "8610", 240, "0.33", []string{"units 1 x 180s @ 0.22", "units 1 x 60s @ 0.11"}},
		{"local 241s", "962345678", monday, 241, ClassLocal, "Beijing", "8610", 300, "0.44", nil},
		{"local dialed with 010", "901062345678", monday, 60, ClassLocal, "Beijing", "8610", 180, "0.22", nil},
		{"mobile like local", "913912345678", monday, 200, ClassMobile, "China mobile", "8613", 240, "0.33", nil},
		{"emergency free", "9119", monday, 300, ClassEmergency, "Fire", "86119", 0, "0.00", nil},
		{"400 free", "94008001234", monday, 300, ClassFree, "400 number", "86400", 0, "0.00", nil},
		{"800 free", "98001234567", monday, 300, ClassFree, "800 free number", "86800", 0, "0.00", nil},
		{"directory at local rate", "9114", monday, 30, ClassSpecial, "Directory enquiries", "86114", 180, "0.22", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tr.Rate(Call{Dialed: tc.dialed, Start: tc.start, Duration: sec(tc.dur)})
			if err != nil {
				t.Fatal(err)
			}
			if r.Class != tc.class || r.Destination != tc.dest || r.MatchedPrefix != tc.prefix {
				t.Errorf("got %s %q %q, want %s %q %q", r.Class, r.Destination, r.MatchedPrefix, tc.class, tc.dest, tc.prefix)
			}
			if r.BillableS != tc.billable {
				t.Errorf("billable %d, want %d", r.BillableS, tc.billable)
			}
			if r.CarrierCost.String() != tc.cost || r.Price.String() != tc.cost {
				t.Errorf("cost %s price %s, want %s\n%s", r.CarrierCost, r.Price, tc.cost, FormatBreakdown(r.Breakdown))
			}
			if r.TariffVersion != "ct-2001" {
				t.Errorf("version %q", r.TariffVersion)
			}
			if tc.lines != nil {
				var got []string
				for _, s := range r.Breakdown {
					got = append(got, s.String())
				}
				if strings.Join(got, "|") != strings.Join(tc.lines, "|") {
					t.Errorf("breakdown %q, want %q", got, tc.lines)
				}
			}
			checkSum(t, r)
		})
	}
}

// checkSum: the breakdown explains the price to the last micro-unit.
func checkSum(t testing.TB, r Result) {
	t.Helper()
	var sum Money
	for _, s := range r.Breakdown {
		if !s.Included {
			sum += s.Amount
		}
	}
	if sum != r.Price {
		t.Errorf("breakdown sums to %s, price %s\n%s", sum, r.Price, FormatBreakdown(r.Breakdown))
	}
}

func TestBandPolicyStart(t *testing.T) {
	data := strings.Replace(string(readShipped(t, "cn-telecom.yaml")), "band_policy: split", "band_policy: start", -1)
	tr, err := LoadTariff([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		start time.Time
		dur   int
		cost  string
	}{
		{at(2025, 3, 3, 6, 59, 0), 120, "0.80"},  // starts at night: all 20 units at 0.04
		{at(2025, 3, 3, 23, 59, 0), 120, "1.40"}, // starts by day: all at 0.07
		{at(2025, 3, 3, 3, 0, 0), 60, "0.40"},
	}
	for _, c := range cases {
		r, err := tr.Rate(Call{Dialed: "902112345678", Start: c.start, Duration: sec(c.dur)})
		if err != nil {
			t.Fatal(err)
		}
		if r.CarrierCost.String() != c.cost {
			t.Errorf("%s +%ds: %s, want %s\n%s", c.start.Format("15:04:05"), c.dur, r.CarrierCost, c.cost, FormatBreakdown(r.Breakdown))
		}
	}
}

func TestNoMatchFallbackAndErrors(t *testing.T) {
	tr := cnTelecom(t)
	r, err := tr.Rate(Call{Dialed: "900999123456", Start: monday, Duration: sec(6)})
	if err != nil {
		t.Fatal(err)
	}
	if !r.HasFlag(FlagNoMatchFallback) || r.Class != ClassIDD || r.CarrierCost.String() != "0.80" || r.MatchedPrefix != "" {
		t.Errorf("fallback: %+v", r)
	}
	if _, err := tr.Rate(Call{Dialed: "*72#", Start: monday}); !errors.Is(err, ErrNotANumber) {
		t.Errorf("feature code: %v", err)
	}
	if _, err := tr.Rate(Call{Dialed: "902112345678", Start: at(1999, 1, 1, 0, 0, 0)}); !errors.Is(err, ErrNoVersion) {
		t.Errorf("before the first version: %v", err)
	}
	r, err = tr.Rate(Call{Dialed: "902112345678", Start: monday, Duration: sec(60), Answered: no()})
	if err != nil || r.CarrierCost != 0 || !r.HasFlag(FlagUnanswered) {
		t.Errorf("unanswered: %+v %v", r, err)
	}
}

func TestInternalCall(t *testing.T) {
	site := cnTelecom(t).Site()
	site.Internal = []Range{{From: "8000", To: "8999"}}
	tr, err := cnTelecom(t).WithSite(site)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tr.Rate(Call{Dialed: "8123", Start: monday, Duration: sec(600)})
	if err != nil || r.Class != ClassInternal || r.Price != 0 {
		t.Errorf("internal: %+v %v", r, err)
	}
	if _, err := cnTelecom(t).WithSite(Site{HomeCountry: "8x6"}); err == nil {
		t.Error("bad site accepted")
	}
}

const testPlan = `
plan: test
currency: CNY
grace_s: 30
default: {markup: 10%, service: 10%, tax: 6%, minimum: 1.00, minor_units: 2, rounding: half-up}
classes:
  emergency: {free: true}
`

func rateWith(t *testing.T, tr *Tariff, planYAML string, c Call) Result {
	t.Helper()
	e, err := NewEngine(tr, mustPlan(t, planYAML))
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Rate(c)
	if err != nil {
		t.Fatal(err)
	}
	checkSum(t, r)
	return r
}

func TestPlan(t *testing.T) {
	tr := cnTelecom(t)
	ddd := func(d int, ans *bool) Call {
		return Call{Dialed: "902112345678", Start: monday, Duration: sec(d), Answered: ans}
	}
	tests := []struct {
		name  string
		plan  string
		call  Call
		price string
		flag  string
		lines []string
	}{
		// 100 s DDD = 17 units = 1.19; +10% 0.119 = 1.309; +10% 0.1309 = 1.4399; +6% 0.086394 = 1.526294
		{"markup service tax add-on", testPlan, ddd(100, yes()), "1.53", "",
			[]string{"units 17 x 6s @ 0.07", "markup 10%", "service 10%", "tax 6%", "rounding"}},
		{"tax inclusive is shown, not added",
			strings.Replace(testPlan, "tax: 6%,", "tax: 6%, tax_inclusive: true,", 1), ddd(100, yes()), "1.44", "",
			[]string{"units 17 x 6s @ 0.07", "markup 10%", "service 10%", "tax 6% incl", "rounding"}},
		{"grace: short call without answer signal is free", testPlan, ddd(29, nil), "0.00", FlagGrace, nil},
		{"grace does not apply to a real answer", testPlan, ddd(29, yes()), "1.00", "",
			[]string{"units 5 x 6s @ 0.07", "markup 10%", "service 10%", "tax 6%", "rounding", "minimum"}},
		{"grace: at the grace period it is charged", testPlan, ddd(30, nil), "1.00", "", nil},
		// 90 s - 30 s grace = 60 s = 0.70 → 0.77 → 0.847 → 0.89782
		{"grace subtracted", strings.Replace(testPlan, "grace_s: 30", "grace_s: 30\ngrace_subtract: true", 1), ddd(90, nil), "1.00", "",
			[]string{"grace -30s", "units 10 x 6s @ 0.07", "markup 10%", "service 10%", "tax 6%", "rounding", "minimum"}},
		{"minimum charge", testPlan, ddd(6, yes()), "1.00", "", nil},
		{"no minimum on a free call", testPlan, Call{Dialed: "94001234567", Start: monday, Duration: sec(60)}, "0.00", "", nil},
		{"free class", testPlan, Call{Dialed: "9120", Start: monday, Duration: sec(60)}, "0.00", "", []string{"free"}},
		{"unanswered never charged", testPlan, ddd(100, no()), "0.00", FlagUnanswered, nil},
		{"plan cap", strings.Replace(testPlan, "minimum: 1.00,", "minimum: 1.00, cap: 5.00,", 1),
			Call{Dialed: "900441234567890", Start: monday, Duration: sec(3600)}, "5.00", FlagCapped, nil},
		{"rounding up to jiao", strings.Replace(testPlan, "minor_units: 2, rounding: half-up", "minor_units: 1, rounding: up", 1), ddd(100, yes()), "1.60", "", nil},
		{"rounding down", strings.Replace(testPlan, "rounding: half-up", "rounding: down", 1), ddd(100, yes()), "1.52", "", nil},
		{"surcharge per call", strings.Replace(testPlan, "markup: 10%,", "markup: 10%, surcharge: 2.00,", 1), ddd(100, yes()), "3.86", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rateWith(t, tr, tc.plan, tc.call)
			if r.Price.String() != tc.price {
				t.Errorf("price %s, want %s\n%s", r.Price, tc.price, FormatBreakdown(r.Breakdown))
			}
			if tc.flag != "" && !r.HasFlag(tc.flag) {
				t.Errorf("flags %v, want %s", r.Flags, tc.flag)
			}
			if tc.lines != nil {
				var got []string
				for _, s := range r.Breakdown {
					got = append(got, s.String())
				}
				if strings.Join(got, "|") != strings.Join(tc.lines, "|") {
					t.Errorf("breakdown %q, want %q", got, tc.lines)
				}
			}
		})
	}
}

func TestPBXCostPolicies(t *testing.T) {
	tr := cnTelecom(t)
	pbx := MustMoney("2.00")
	c := Call{Dialed: "902112345678", Start: monday, Duration: sec(60), Answered: yes(), PBXCost: &pbx} // ours: 0.70
	base := "plan: p\ncurrency: CNY\ndefault: {minor_units: 2}\n"
	r := rateWith(t, tr, base+"pbx_cost: {policy: compare, threshold: 0.50}\n", c)
	if !r.HasFlag(FlagPBXCostDiffers) || r.Price.String() != "0.70" || r.PBXCost == nil {
		t.Errorf("compare: %+v", r)
	}
	r = rateWith(t, tr, base+"pbx_cost: {policy: compare, threshold: 1.50}\n", c)
	if r.HasFlag(FlagPBXCostDiffers) {
		t.Errorf("compare within threshold: %v", r.Flags)
	}
	r = rateWith(t, tr, base+"pbx_cost: {policy: trust}\n", c)
	if !r.HasFlag(FlagPBXCostUsed) || r.Price.String() != "2.00" || r.CarrierCost.String() != "2.00" {
		t.Errorf("trust: %+v", r)
	}
	r = rateWith(t, tr, base+"pbx_cost: {policy: ignore}\n", c)
	if len(r.Flags) != 0 || r.Price.String() != "0.70" {
		t.Errorf("ignore: %+v", r)
	}
}

const versionedTariff = `
tariff: versioned
currency: CNY
site: {home_country: "86", home_area: "10", international_prefix: "00", national_prefix: "0", local_lengths: [8]}
holidays: [2024-10-01]
version: v1
effective: 2024-01-01
rates:
  - id: ddd
    steps: [{unit_s: 6, units: 0, price: 0.07}]
    connect: 0.10
    cap: 3.00
    bands:
      - {name: weekend, days: [weekend, holiday], from: "00:00", to: "24:00", factor: 50%}
destinations:
  - {prefix: "86", name: China, class: ddd, rate: ddd}
versions:
  - version: v2
    effective: 2024-07-01T08:00
    rates:
      - id: ddd # replaces v1's ddd as a whole
        steps: [{unit_s: 60, units: 0, price: 0.30}]
        connect: 0.10
        bands:
          - {name: weekend, days: [weekend, holiday], from: "00:00", to: "24:00", factor: 50%}
  - version: v3
    effective: 2025-01-01
    destinations:
      - {prefix: "8621", name: Shanghai, class: ddd, rate: ddd}
`

func TestVersionsConnectCapHolidays(t *testing.T) {
	tr, err := LoadTariff([]byte(versionedTariff))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tr.Versions(), ","); got != "v1,v2,v3" {
		t.Errorf("versions %s", got)
	}
	tests := []struct {
		start   time.Time
		dur     int
		version string
		dest    string
		cost    string
	}{
		{at(2024, 7, 1, 7, 59, 59), 60, "v1", "China", "0.80"}, // 0.10 + 10 × 0.07, under v1 although it runs into v2's time
		{at(2024, 7, 1, 8, 0, 0), 60, "v2", "China", "0.40"},   // 0.10 + 1 × 0.30
		{at(2024, 7, 6, 8, 0, 0), 60, "v2", "China", "0.25"},   // Saturday: 0.10 + 50% of 0.30
		{at(2024, 10, 1, 8, 0, 0), 60, "v2", "China", "0.25"},  // holiday (a Tuesday)
		{at(2024, 3, 4, 8, 0, 0), 3600, "v1", "China", "3.00"}, // capped: 0.10 + 600 × 0.07 = 42.10
		{at(2025, 1, 2, 8, 0, 0), 60, "v3", "Shanghai", "0.40"},
	}
	for _, tc := range tests {
		r, err := tr.Rate(Call{Dialed: "02112345678", Start: tc.start, Duration: sec(tc.dur)})
		if err != nil {
			t.Fatal(err)
		}
		if r.TariffVersion != tc.version || r.CarrierCost.String() != tc.cost || r.Destination != tc.dest {
			t.Errorf("%s: %s %s %s, want %s %s %s\n%s", tc.start, r.TariffVersion, r.Destination, r.CarrierCost,
				tc.version, tc.dest, tc.cost, FormatBreakdown(r.Breakdown))
		}
		checkSum(t, r)
	}
}

func TestValidationListsEveryProblem(t *testing.T) {
	bad := `
tariff: bad
currency: CNY
site: {home_country: "86"}
version: v1
effective: 2024-01-01
rates:
  - id: ddd
    steps: [{unit_s: 6, units: 0, price: 0.07}]
    bands:
      - {name: night, days: [all], from: "00:00", to: "07:00", factor: 60%}
      - {name: early, days: [mon], from: "06:00", to: "08:00", factor: 80%}
      - {name: late, days: [all], from: "25:00", to: "07:00", factor: 80%}
      - {name: odd, days: [someday], from: "08:00", to: "09:00", rate: nope}
  - id: ddd
    steps: [{unit_s: 0, units: 2, price: 0.07}]
destinations:
  - {prefix: "86", name: China, class: ddd, rate: ddd}
  - {prefix: "00 852", name: Hong Kong, class: hkmotw, rate: hkmotw}
  - {prefix: "86", name: China again, class: ddd, rate: ddd}
  - {prefix: "81", name: Japan, class: international, rate: idd}
`
	_, err := LoadTariff([]byte(bad))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want Errors, got %v", err)
	}
	want := []string{
		`destinations[1].prefix: "00 852" contains a space`,
		`destinations[2].prefix: "86" duplicates destinations[0]`,
		`destinations[3].class: unknown class "international"`,
		`destinations[3].rate: unknown rate "idd"`,
		`rates[1].id: "ddd" duplicates rates[0]`,
		`rates[0].bands[1]: overlaps bands[0] on mon`,
		`rates[0].bands[2].from: "25:00": no such time of day`,
		`rates[0].bands[3].days[0]: unknown day "someday"`,
		`rates[0].bands[3].rate: unknown rate "nope"`,
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("missing %q in\n%s", w, msg)
		}
	}
}

func TestCSVDeck(t *testing.T) {
	csv := "prefix,name,class,rate_id\n# comment\n81,Japan,idd,idd\n852,Hong Kong,hkmotw,hk\n00 1,USA,idd,idd\n"
	ds, err := ReadDeckCSV(strings.NewReader(csv))
	if err != nil || len(ds) != 3 || ds[1].Name != "Hong Kong" {
		t.Fatalf("%v %v", ds, err)
	}
}
