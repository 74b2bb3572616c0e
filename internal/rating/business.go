package rating

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Business-center services.
const (
	ServicePrint       = "print"
	ServiceCopy        = "copy"
	ServiceFaxSend     = "fax-send"
	ServiceFaxReceive  = "fax-receive"
	FaxZoneDomestic    = "domestic"
	FaxZoneInternation = "international"
)

// BusinessItem is one business-center charge to price: a print job, a
// copy session, a fax sent or received.
type BusinessItem struct {
	Service string // print, copy, fax-send, fax-receive
	// Print and copy: media size as the tariff names it (A4, A3, Letter),
	// colour, two-sided, and impressions (sides printed: a two-sided
	// sheet is two impressions).
	Size        string
	Color       bool
	Duplex      bool
	Impressions int64
	// Fax: pages and, for fax-send, the zone (domestic, international).
	Pages int64
	Zone  string
}

// BusinessTariff prices business-center items: per impression by media
// size, colour and duplex, per fax page, a minimum per job, then rounding
// to the currency's minor units. The file format is in docs/printers.md.
type BusinessTariff struct {
	name     string
	currency string
	minor    int
	mode     RoundingMode
	minimum  Money
	print    map[string]impressionPrices
	copy     map[string]impressionPrices
	faxSend  map[string]Money
	faxRecv  Money
}

type impressionPrices struct {
	Mono        *Money `yaml:"mono"`
	Color       *Money `yaml:"color"`
	MonoDuplex  *Money `yaml:"mono_duplex"`
	ColorDuplex *Money `yaml:"color_duplex"`
}

type businessSpec struct {
	Tariff      string                      `yaml:"tariff"`
	Description string                      `yaml:"description"`
	Currency    string                      `yaml:"currency"`
	MinorUnits  *int                        `yaml:"minor_units"`
	Rounding    string                      `yaml:"rounding"`
	Minimum     Money                       `yaml:"minimum_per_job"`
	Print       map[string]impressionPrices `yaml:"print"`
	Copy        map[string]impressionPrices `yaml:"copy"`
	Fax         struct {
		Send    map[string]Money `yaml:"send"`
		Receive Money            `yaml:"receive"`
	} `yaml:"fax"`
}

// LoadBusinessTariff reads a business-center tariff (YAML); unknown keys
// and missing prices are errors.
func LoadBusinessTariff(data []byte) (*BusinessTariff, error) {
	var spec businessSpec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil && err != io.EOF {
		return nil, fmt.Errorf("business tariff: %w", err)
	}
	var errs Errors
	if spec.Tariff == "" {
		errs.add("tariff", "required")
	}
	if len(spec.Currency) != 3 {
		errs.addf("currency", "%q: want an ISO 4217 code", spec.Currency)
	}
	t := &BusinessTariff{name: spec.Tariff, currency: spec.Currency, minor: 2, minimum: spec.Minimum,
		print: spec.Print, copy: spec.Copy, faxSend: spec.Fax.Send, faxRecv: spec.Fax.Receive}
	if spec.MinorUnits != nil {
		if *spec.MinorUnits < 0 || *spec.MinorUnits > 4 {
			errs.addf("minor_units", "%d: want 0..4", *spec.MinorUnits)
		}
		t.minor = *spec.MinorUnits
	}
	if spec.Rounding == "" {
		spec.Rounding = "half-up"
	}
	mode, err := ParseRoundingMode(spec.Rounding)
	if err != nil {
		errs.add("rounding", err.Error())
	}
	t.mode = mode
	if spec.Minimum < 0 {
		errs.add("minimum_per_job", "negative")
	}
	if len(spec.Print) == 0 {
		errs.add("print", "no sizes")
	}
	if t.copy == nil {
		t.copy = t.print // copies cost what prints cost unless the tariff says otherwise
	}
	for svc, tbl := range map[string]map[string]impressionPrices{"print": spec.Print, "copy": spec.Copy} {
		for size, p := range tbl {
			path := svc + "." + size
			if p.Mono == nil && p.Color == nil {
				errs.add(path, "needs mono or color")
			}
			for _, m := range []*Money{p.Mono, p.Color, p.MonoDuplex, p.ColorDuplex} {
				if m != nil && *m < 0 {
					errs.add(path, "negative price")
				}
			}
		}
	}
	sort.Sort(byPath(errs))
	if err := errs.err(); err != nil {
		return nil, fmt.Errorf("business tariff %s: %w", spec.Tariff, err)
	}
	return t, nil
}

type byPath Errors

func (e byPath) Len() int           { return len(e) }
func (e byPath) Less(i, j int) bool { return e[i].Path < e[j].Path }
func (e byPath) Swap(i, j int)      { e[i], e[j] = e[j], e[i] }

// Name is the tariff's name; Currency its ISO 4217 code.
func (t *BusinessTariff) Name() string     { return t.name }
func (t *BusinessTariff) Currency() string { return t.currency }

// BusinessStep is one line of a business-center price.
type BusinessStep struct {
	Kind      string `json:"kind"`            // units, minimum, rounding
	Label     string `json:"label,omitempty"` // "A4 color duplex", "fax international"
	Units     int64  `json:"units,omitempty"`
	UnitPrice Money  `json:"unit_price,omitempty"`
	Amount    Money  `json:"amount"`
}

// String renders "units 12 x A4 color duplex @ 2.50".
func (s BusinessStep) String() string {
	if s.Kind == "units" {
		return "units " + strconv.FormatInt(s.Units, 10) + " x " + s.Label + " @ " + s.UnitPrice.String()
	}
	return s.Kind
}

// BusinessResult is a priced item: Price (at minor units) is the sum of
// the breakdown's amounts.
type BusinessResult struct {
	Service   string         `json:"service"`
	Price     Money          `json:"price"`
	Minor     int64          `json:"minor"` // Price in minor units
	Currency  string         `json:"currency"`
	Breakdown []BusinessStep `json:"breakdown"`
}

// Price prices an item. Nothing printed (0 impressions, 0 pages) costs
// nothing: the minimum applies only to an item that produced something.
func (t *BusinessTariff) Price(it BusinessItem) (BusinessResult, error) {
	res := BusinessResult{Service: it.Service, Currency: t.currency}
	var step BusinessStep
	switch it.Service {
	case ServicePrint, ServiceCopy:
		tbl := t.print
		if it.Service == ServiceCopy {
			tbl = t.copy
		}
		p, ok := tbl[it.Size]
		if !ok {
			return res, fmt.Errorf("business tariff %s: %s: no price for size %q", t.name, it.Service, it.Size)
		}
		if it.Impressions < 0 {
			return res, fmt.Errorf("business tariff %s: %d impressions", t.name, it.Impressions)
		}
		unit, label := p.Mono, it.Size+" mono"
		if it.Color {
			unit, label = p.Color, it.Size+" color"
		}
		if unit == nil {
			return res, fmt.Errorf("business tariff %s: %s: no %s price", t.name, it.Service, label)
		}
		if it.Duplex {
			label += " duplex"
			if d := p.MonoDuplex; !it.Color && d != nil {
				unit = d
			} else if d := p.ColorDuplex; it.Color && d != nil {
				unit = d
			}
		}
		step = BusinessStep{Kind: "units", Label: it.Service + " " + label, Units: it.Impressions, UnitPrice: *unit}
	case ServiceFaxSend:
		price, ok := t.faxSend[it.Zone]
		if !ok {
			return res, fmt.Errorf("business tariff %s: fax-send: no price for zone %q", t.name, it.Zone)
		}
		step = BusinessStep{Kind: "units", Label: "fax " + it.Zone + " page", Units: it.Pages, UnitPrice: price}
	case ServiceFaxReceive:
		step = BusinessStep{Kind: "units", Label: "fax received page", Units: it.Pages, UnitPrice: t.faxRecv}
	default:
		return res, fmt.Errorf("business tariff %s: service %q: want print, copy, fax-send or fax-receive", t.name, it.Service)
	}
	if step.Units < 0 {
		return res, fmt.Errorf("business tariff %s: %d pages", t.name, step.Units)
	}
	step.Amount = step.UnitPrice.Mul(step.Units)
	res.Breakdown = append(res.Breakdown, step)
	total := step.Amount
	if step.Units > 0 && total < t.minimum {
		res.Breakdown = append(res.Breakdown, BusinessStep{Kind: "minimum", Amount: t.minimum - total})
		total = t.minimum
	}
	if r := total.Round(t.minor, t.mode); r != total {
		res.Breakdown = append(res.Breakdown, BusinessStep{Kind: "rounding", Amount: r - total})
		total = r
	}
	res.Price = total
	res.Minor = total.Minor(t.minor, t.mode)
	return res, nil
}
