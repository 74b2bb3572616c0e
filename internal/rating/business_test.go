package rating

import (
	"os"
	"strings"
	"testing"
)

func loadBusiness(t *testing.T) *BusinessTariff {
	t.Helper()
	b, err := os.ReadFile("../../tariffs/business-center.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bt, err := LoadBusinessTariff(b)
	if err != nil {
		t.Fatal(err)
	}
	return bt
}

func TestBusinessPrice(t *testing.T) {
	bt := loadBusiness(t)
	tests := []struct {
		name  string
		item  BusinessItem
		want  string
		minor int64
		steps string
	}{
		{"print A4 mono 6", BusinessItem{Service: ServicePrint, Size: "A4", Impressions: 6}, "6.00", 600, "units"},
		{"print A4 color duplex 6", BusinessItem{Service: ServicePrint, Size: "A4", Color: true, Duplex: true, Impressions: 6}, "27.00", 2700, "units"},
		{"print A3 mono duplex 3", BusinessItem{Service: ServicePrint, Size: "A3", Duplex: true, Impressions: 3}, "4.80", 480, "units"},
		{"duplex without duplex price", BusinessItem{Service: ServicePrint, Size: "A5", Duplex: true, Impressions: 4}, "3.20", 320, "units"},
		{"minimum applies", BusinessItem{Service: ServicePrint, Size: "A4", Impressions: 1}, "2.00", 200, "units,minimum"},
		{"cancelled before any impression", BusinessItem{Service: ServicePrint, Size: "A4", Impressions: 0}, "0.00", 0, "units"},
		{"copy 17 A4 mono", BusinessItem{Service: ServiceCopy, Size: "A4", Impressions: 17}, "8.50", 850, "units"},
		{"copy duplex 3 A4 (minimum)", BusinessItem{Service: ServiceCopy, Size: "A4", Duplex: true, Impressions: 3}, "2.00", 200, "units,minimum"},
		{"copy 5 A4 duplex mono", BusinessItem{Service: ServiceCopy, Size: "A4", Duplex: true, Impressions: 5}, "2.25", 225, "units"},
		{"fax international 3", BusinessItem{Service: ServiceFaxSend, Zone: FaxZoneInternation, Pages: 3}, "45.00", 4500, "units"},
		{"fax received 1 (minimum)", BusinessItem{Service: ServiceFaxReceive, Pages: 1}, "2.00", 200, "units"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := bt.Price(tt.item)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			var sum Money
			for _, s := range r.Breakdown {
				kinds = append(kinds, s.Kind)
				sum += s.Amount
			}
			if r.Price.String() != tt.want || r.Minor != tt.minor || strings.Join(kinds, ",") != tt.steps || sum != r.Price || r.Currency != "CNY" {
				t.Fatalf("Price = %s (%d minor, steps %v, sum %s), want %s (%d, %s)", r.Price, r.Minor, kinds, sum, tt.want, tt.minor, tt.steps)
			}
		})
	}
}

func TestBusinessRounding(t *testing.T) {
	bt, err := LoadBusinessTariff([]byte(`
tariff: t
currency: CNY
minor_units: 1
rounding: up
print:
  A4: {mono: 0.33}
`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := bt.Price(BusinessItem{Service: ServicePrint, Size: "A4", Impressions: 3}) // 0.99 -> 1.0
	if err != nil {
		t.Fatal(err)
	}
	if r.Price != MustMoney("1.0") || len(r.Breakdown) != 2 || r.Breakdown[1].Kind != "rounding" || r.Breakdown[1].Amount != MustMoney("0.01") {
		t.Fatalf("%+v", r)
	}
	if s := r.Breakdown[0].String(); s != "units 3 x print A4 mono @ 0.33" {
		t.Fatalf("step %q", s)
	}
	// copy falls back to print prices when the tariff has no copy table
	if r, err := bt.Price(BusinessItem{Service: ServiceCopy, Size: "A4", Impressions: 10}); err != nil || r.Price != MustMoney("3.30") {
		t.Fatalf("copy fallback: %v %v", r.Price, err)
	}
}

func TestBusinessErrors(t *testing.T) {
	bt := loadBusiness(t)
	for _, it := range []BusinessItem{
		{Service: ServicePrint, Size: "A0", Impressions: 1},
		{Service: "scan"},
		{Service: ServiceFaxSend, Zone: "moon", Pages: 1},
		{Service: ServicePrint, Size: "A4", Impressions: -1},
	} {
		if _, err := bt.Price(it); err == nil {
			t.Errorf("%+v priced", it)
		}
	}
	for _, bad := range []string{
		"tariff: t\ncurrency: CNY\nprint: {A4: {mono: 1}}\nbogus: 1\n",
		"tariff: t\ncurrency: CNY\nprint: {A4: {}}\n",
		"tariff: t\ncurrency: CNY\nrounding: sideways\nprint: {A4: {mono: 1}}\n",
		"tariff: t\ncurrency: CNY\nprint: {A4: {mono: 0.0000001}}\n",
		"currency: CNY\n",
	} {
		if _, err := LoadBusinessTariff([]byte(bad)); err == nil {
			t.Errorf("accepted:\n%s", bad)
		}
	}
}
