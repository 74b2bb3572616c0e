package rating

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Call is what rating needs of a call record.
type Call struct {
	Dialed   string
	Start    time.Time // in the site's zone: bands and effective dates use its wall clock
	Duration time.Duration
	// Answered is the PBX's real answer signal, when it has one. nil: the
	// PBX cannot tell, so the plan's grace period guards against charging
	// ring time; false: not answered, never charged.
	Answered *bool
	Trunk    string
	PBXCost  *Money // the PBX's own costing, if it printed one
	// Outside: the PBX sent the call out (it printed an outgoing mark). A
	// call with a trunk is outside too. An outside call's number goes
	// through the dialing plan only (access code stripped, emergency and
	// service numbers first), never through the extension ranges.
	Outside bool
}

// Result is a rated call: where it went, what the carrier charges and what
// the guest pays, with every step of the price.
type Result struct {
	Number        string `json:"number"` // canonical digits
	Kind          string `json:"kind"`   // what normalization recognized
	Class         Class  `json:"class"`
	Destination   string `json:"destination"`
	MatchedPrefix string `json:"matched_prefix,omitempty"`
	RateID        string `json:"rate_id,omitempty"`
	TariffVersion string `json:"tariff_version,omitempty"`
	DurationS     int    `json:"duration_s"`
	// BillableS is the charged time: the duration (less a subtracted grace)
	// rounded up to whole charging units.
	BillableS   int    `json:"billable_s"`
	CarrierCost Money  `json:"carrier_cost"` // exact, at the internal scale
	PBXCost     *Money `json:"pbx_cost,omitempty"`
	Price       Money  `json:"price"` // what the guest pays, in minor units
	Currency    string `json:"currency"`
	// Breakdown explains Price: the Amounts of the steps that are not
	// Included add up to it exactly.
	Breakdown []Step   `json:"breakdown"`
	Flags     []string `json:"flags,omitempty"`
}

// Flags a Result may carry.
const (
	FlagNoMatchFallback = "no-match-fallback" // rated with the fallback for its kind of number
	FlagPBXCostDiffers  = "pbx-cost-differs"  // compare policy: the PBX's cost is off by more than the threshold
	FlagPBXCostUsed     = "pbx-cost-used"     // trust policy: the PBX's cost replaced ours
	FlagUnanswered      = "unanswered"        // real answer signal says not answered
	FlagGrace           = "grace"             // shorter than the plan's grace period, not charged
	FlagCapped          = "capped"            // a cap limited the amount
	FlagUnknownNumber   = "unknown-number"    // fits no rule of the dialing plan; rated as a home-area number
)

// HasFlag reports whether r carries flag f.
func (r *Result) HasFlag(f string) bool {
	for _, x := range r.Flags {
		if x == f {
			return true
		}
	}
	return false
}

// StepKind names a step of a price. It is a small integer so a breakdown
// stays compact; it marshals as its name ("connect", "units", ...).
type StepKind uint8

// Step kinds, in the order they usually appear.
const (
	StepConnect StepKind = iota
	StepUnits
	StepCap
	StepGrace
	StepPBXCost
	StepFree
	StepMarkup
	StepSurcharge
	StepService
	StepTax
	StepRounding
	StepMinimum
)

var stepNames = [...]string{"connect", "units", "cap", "grace", "pbx-cost", "free", "markup", "surcharge", "service", "tax", "rounding", "minimum"}

func (k StepKind) String() string {
	if int(k) < len(stepNames) {
		return stepNames[k]
	}
	return "step(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText renders the kind's name.
func (k StepKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Step is one line of a price's breakdown. It keeps numbers, not text, so
// rating does not format strings; String renders the line.
type Step struct {
	Kind      StepKind `json:"kind"`
	Included  bool     `json:"included,omitempty"`   // informational: already in the total (inclusive tax)
	Band      string   `json:"band,omitempty"`       // units: the time band, "" for the base rate
	Units     int64    `json:"units,omitempty"`      // units: how many; grace: seconds
	UnitS     int64    `json:"unit_s,omitempty"`     // units: seconds each
	UnitPrice Money    `json:"unit_price,omitempty"` // units: price each (after a band factor)
	Percent   Percent  `json:"percent,omitempty"`    // band factor, markup, service, tax
	Amount    Money    `json:"amount"`               // contribution to the total
}

// String renders the line: "units 30 x 6s @ 0.07",
// "units 10 x 6s @ 0.042 night band 60%", "markup 15%", "tax 6% incl".
func (s Step) String() string {
	switch s.Kind {
	case StepUnits:
		b := "units " + strconv.FormatInt(s.Units, 10) + " x " + strconv.FormatInt(s.UnitS, 10) + "s @ " + s.UnitPrice.String()
		if s.Band != "" {
			b += " " + s.Band + " band"
			if s.Percent != 0 {
				b += " " + s.Percent.String()
			}
		}
		return b
	case StepMarkup, StepService, StepTax:
		b := s.Kind.String() + " " + s.Percent.String()
		if s.Included {
			b += " incl"
		}
		return b
	case StepGrace:
		if s.Amount != 0 || s.Units == 0 {
			return "grace"
		}
		return "grace -" + strconv.FormatInt(s.Units, 10) + "s"
	}
	return s.Kind.String()
}

// FormatBreakdown renders steps one a line, "label  amount", the way a
// folio or `switchboard rate` shows them.
func FormatBreakdown(steps []Step) string {
	var b strings.Builder
	for _, s := range steps {
		amt := s.Amount.String()
		if s.Amount >= 0 {
			amt = "+" + amt
		}
		if s.Included {
			amt = "(" + s.Amount.String() + ")"
		}
		fmt.Fprintf(&b, "%-44s %12s\n", s.String(), amt)
	}
	return b.String()
}

// Rate rates c at carrier cost: it finds the destination and the version in
// force at c.Start, counts charging units and prices them. Price is the
// carrier cost rounded to the tariff's minor units. An error means the call
// could not be rated (unparseable number, no destination and no fallback,
// no version in force); the caller keeps it visible as unrated.
func (t *Tariff) Rate(c Call) (Result, error) {
	res, d, v, err := t.route(c)
	if err != nil || d == nil {
		return res, err
	}
	durS := ceilSeconds(c.Duration)
	if c.Answered != nil && !*c.Answered {
		durS = 0
		res.Flags = append(res.Flags, FlagUnanswered)
	}
	res.DurationS = int(durS)
	res.Breakdown = make([]Step, 0, 6)
	cost, billable := t.price(d.rate, c.Start, durS, &res)
	res.BillableS = int(billable)
	res.CarrierCost = cost
	res.Price = cost
	res.TariffVersion = v.id
	t.roundPrice(&res, t.minorUnits, t.rounding)
	return res, nil
}

// route normalizes the number and finds its destination. d is nil (with a
// nil error) for internal calls, which are complete as returned.
func (t *Tariff) route(c Call) (res Result, d *dest, v *version, err error) {
	res.Currency = t.currency
	num, err := t.site.normalize(c.Dialed, c.Outside || c.Trunk != "")
	if err != nil {
		return res, nil, nil, err
	}
	res.Number = num.Digits
	res.Kind = num.Kind.String()
	if num.Kind == KindUnknown {
		res.Flags = append(res.Flags, FlagUnknownNumber)
	}
	if num.Kind == KindInternal {
		res.Class = ClassInternal
		res.Destination = "internal"
		res.DurationS = int(ceilSeconds(c.Duration))
		return res, nil, nil, nil
	}
	v = t.version(civilKey(c.Start))
	if v == nil {
		return res, nil, nil, fmt.Errorf("%s: call at %s: %w", t.name, c.Start.Format(time.RFC3339), ErrNoVersion)
	}
	res.TariffVersion = v.id
	idx, depth := v.trie.lookup(num.Digits)
	if idx != 0 {
		d = &v.dests[idx-1]
		res.MatchedPrefix = num.Digits[:depth]
	} else if d = v.fallback[num.Kind]; d != nil {
		res.Flags = append(res.Flags, FlagNoMatchFallback)
	} else {
		return res, nil, nil, fmt.Errorf("%s: %q (%s, %s): %w", t.name, c.Dialed, num.Digits, num.Kind, ErrNoRoute)
	}
	if d.rate == nil {
		return res, nil, nil, fmt.Errorf("%s: destination %q: rate %q missing in version %q: %w", t.name, d.Prefix, d.Rate, v.id, ErrNoRoute)
	}
	res.Class, res.Destination, res.RateID = d.Class, d.Name, d.Rate
	// A long-distance prefix that is the site's own area is a local call.
	if v.local != nil && d.Class == ClassDDD && t.site.HomeArea != "" && (num.Kind == KindLocal || num.Kind == KindNational) &&
		strings.HasPrefix(num.Digits, t.site.HomeCountry) && strings.HasPrefix(num.Digits[len(t.site.HomeCountry):], t.site.HomeArea) {
		local := *d
		local.Class, local.rate, local.Rate = ClassLocal, v.local, v.local.id
		d = &local
		res.Class, res.RateID = ClassLocal, local.Rate
	}
	return res, d, v, nil
}

func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// roundPrice rounds res.Price to minor units and records the adjustment.
func (t *Tariff) roundPrice(res *Result, minor int, mode RoundingMode) {
	r := res.Price.Round(minor, mode)
	if r != res.Price {
		res.Breakdown = append(res.Breakdown, Step{Kind: StepRounding, Amount: r - res.Price})
		res.Price = r
	}
}

// price computes the carrier cost of durS seconds from start on rate r and
// appends its steps to res.Breakdown. It loops over band segments, never
// over units or seconds, so its cost does not grow with the call's length.
func (t *Tariff) price(r *rate, start time.Time, durS int64, res *Result) (cost Money, billable int64) {
	if durS <= 0 || len(r.groups) == 0 {
		return 0, 0
	}
	// Units used in each group, and the billable time they cover.
	var used [maxGroups]int64
	for g, gr := range r.groups {
		if durS <= gr.start {
			break
		}
		n := ceilDiv(durS-gr.start, gr.unitS)
		if gr.units != 0 && n > gr.units {
			n = gr.units
		}
		used[g] = n
		billable = gr.start + n*gr.unitS
	}
	y, mo, dd := start.Date()
	h, mi, s := start.Clock()
	sod := int64(h*3600 + mi*60 + s)
	dt := t.dayType(y, mo, dd, start.Weekday())

	base := r
	startBand := -1
	if len(r.bands) > 0 {
		startBand = bandAt(r.sched[dt], sod)
		if startBand >= 0 && r.bands[startBand].rate != nil {
			base = r.bands[startBand].rate
		}
	}
	if base.connect != 0 {
		res.Breakdown = append(res.Breakdown, Step{Kind: StepConnect, Amount: base.connect})
		cost += base.connect
	}

	if len(r.bands) == 0 || r.policy == Start {
		// One band for the whole call.
		if base != r {
			// The band's own rate, with its own steps.
			bc, bb := t.priceFlat(base, durS, r.bands[startBand].name, 0, nil, res)
			return t.capped(r, cost+bc, res), bb
		}
		var prices []Money
		name, pct := "", Percent(0)
		if startBand >= 0 {
			prices, name, pct = r.bands[startBand].prices, r.bands[startBand].name, r.bands[startBand].factor
		}
		c, _ := t.priceFlat(r, durS, name, pct, prices, res)
		return t.capped(r, cost+c, res), billable
	}

	// Split: walk the band segments from the call's start; each unit is
	// priced at the band in force when it starts.
	var counts [maxBands + 1][maxGroups]int64 // [band+1][group]
	var order [maxBands + 1]int8              // bands in order of first use
	var seen [maxBands + 1]bool
	no := 0
	off := -sod // offset of the current day's midnight from the call's start
	day := start
	for off < durS {
		for _, sg := range r.sched[dt] {
			a, b := off+int64(sg.from), off+int64(sg.to)
			if b <= 0 {
				continue
			}
			if a >= durS {
				break
			}
			if a < 0 {
				a = 0
			}
			bi := int(sg.band) + 1
			hit := false
			for g, gr := range r.groups {
				n := used[g]
				if n == 0 {
					break
				}
				lo := ceilDiv(a-gr.start, gr.unitS)
				hi := ceilDiv(b-gr.start, gr.unitS)
				if lo < 0 {
					lo = 0
				}
				if hi > n {
					hi = n
				}
				if hi > lo {
					counts[bi][g] += hi - lo
					hit = true
				}
			}
			if hit && !seen[bi] {
				seen[bi] = true
				order[no] = int8(bi)
				no++
			}
		}
		off += 86400
		if off < durS {
			day = time.Date(y, mo, dd+1, 0, 0, 0, 0, start.Location())
			y, mo, dd = day.Date()
			dt = t.dayType(y, mo, dd, day.Weekday())
		}
	}
	for _, bi := range order[:no] {
		for g, gr := range r.groups {
			n := counts[bi][g]
			if n == 0 {
				continue
			}
			st := Step{Kind: StepUnits, Units: n, UnitS: gr.unitS, UnitPrice: gr.price}
			if bi > 0 {
				b := &r.bands[bi-1]
				st.Band, st.Percent, st.UnitPrice = b.name, b.factor, b.prices[g]
			}
			st.Amount = st.UnitPrice.Mul(n)
			cost += st.Amount
			res.Breakdown = append(res.Breakdown, st)
		}
	}
	return t.capped(r, cost, res), billable
}

// priceFlat prices durS seconds on r's steps, each group at prices[g] if
// given (a band factor), else at its own price.
func (t *Tariff) priceFlat(r *rate, durS int64, band string, pct Percent, prices []Money, res *Result) (cost Money, billable int64) {
	for g, gr := range r.groups {
		if durS <= gr.start {
			break
		}
		n := ceilDiv(durS-gr.start, gr.unitS)
		if gr.units != 0 && n > gr.units {
			n = gr.units
		}
		p := gr.price
		if prices != nil {
			p = prices[g]
		}
		st := Step{Kind: StepUnits, Band: band, Percent: pct, Units: n, UnitS: gr.unitS, UnitPrice: p, Amount: p.Mul(n)}
		res.Breakdown = append(res.Breakdown, st)
		cost += st.Amount
		billable = gr.start + n*gr.unitS
	}
	return cost, billable
}

func (t *Tariff) capped(r *rate, cost Money, res *Result) Money {
	if r.cap > 0 && cost > r.cap {
		res.Breakdown = append(res.Breakdown, Step{Kind: StepCap, Amount: r.cap - cost})
		res.Flags = append(res.Flags, FlagCapped)
		return r.cap
	}
	return cost
}

func bandAt(segs []segment, sod int64) int {
	for _, s := range segs {
		if sod >= int64(s.from) && sod < int64(s.to) {
			return int(s.band)
		}
	}
	return -1
}

// ceilDiv is ⌈a/b⌉ for b > 0 and any a.
func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a > 0 {
		q++
	}
	return q
}
