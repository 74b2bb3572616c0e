package rating

import (
	"fmt"
	"io"
	"time"
)

// Plan is a hotel's pricing on top of a carrier tariff: per class a markup,
// a surcharge, a service charge, tax, a minimum and a cap, the rounding of
// the guest's price; a grace period for PBXs without answer supervision; and
// what to do with a cost the PBX printed itself.
type Plan struct {
	name          string
	currency      string
	graceS        int64
	graceSubtract bool
	pbx           PBXPolicy
	pbxThreshold  Money
	def           ClassPlan
	classes       map[Class]ClassPlan
}

// PBXPolicy says what to do with a cost the PBX computed itself.
type PBXPolicy string

const (
	PBXIgnore  PBXPolicy = "ignore"  // rate it ourselves (default)
	PBXTrust   PBXPolicy = "trust"   // the PBX's cost replaces the carrier cost
	PBXCompare PBXPolicy = "compare" // rate ourselves, flag a difference beyond the threshold
)

// ClassPlan is the pricing of one class of calls.
type ClassPlan struct {
	Free         bool         // never charged (emergency, internal, free numbers)
	Markup       Percent      // on the carrier cost
	Surcharge    Money        // fixed, per chargeable call
	Service      Percent      // service charge on cost + markup + surcharge
	Tax          Percent      // VAT
	TaxInclusive bool         // the price already includes the tax (shown, not added)
	Minimum      Money        // least price of a chargeable call
	Cap          Money        // most price of a call; 0: none
	MinorUnits   int          // decimals the guest's price is rounded to
	Rounding     RoundingMode // how
}

type planSpec struct {
	Plan          string               `yaml:"plan"`
	Description   string               `yaml:"description"`
	Currency      string               `yaml:"currency"`
	GraceS        int                  `yaml:"grace_s"`
	GraceSubtract bool                 `yaml:"grace_subtract"`
	PBXCost       pbxSpec              `yaml:"pbx_cost"`
	Default       classSpec            `yaml:"default"`
	Classes       map[string]classSpec `yaml:"classes"`
}

type pbxSpec struct {
	Policy    PBXPolicy `yaml:"policy"`
	Threshold Money     `yaml:"threshold"`
}

type classSpec struct {
	Free         *bool    `yaml:"free"`
	Markup       *Percent `yaml:"markup"`
	Surcharge    *Money   `yaml:"surcharge"`
	Service      *Percent `yaml:"service"`
	Tax          *Percent `yaml:"tax"`
	TaxInclusive *bool    `yaml:"tax_inclusive"`
	Minimum      *Money   `yaml:"minimum"`
	Cap          *Money   `yaml:"cap"`
	MinorUnits   *int     `yaml:"minor_units"`
	Rounding     *string  `yaml:"rounding"`
}

// over returns base with the fields s sets.
func (s classSpec) over(base ClassPlan, path string, errs *Errors) ClassPlan {
	c := base
	set := func(dst *Percent, v *Percent, field string) {
		if v != nil {
			if *v < 0 {
				errs.add(path+"."+field, "is negative")
			}
			*dst = *v
		}
	}
	setM := func(dst *Money, v *Money, field string) {
		if v != nil {
			if *v < 0 {
				errs.add(path+"."+field, "is negative")
			}
			*dst = *v
		}
	}
	if s.Free != nil {
		c.Free = *s.Free
	}
	set(&c.Markup, s.Markup, "markup")
	setM(&c.Surcharge, s.Surcharge, "surcharge")
	set(&c.Service, s.Service, "service")
	set(&c.Tax, s.Tax, "tax")
	if s.TaxInclusive != nil {
		c.TaxInclusive = *s.TaxInclusive
	}
	setM(&c.Minimum, s.Minimum, "minimum")
	setM(&c.Cap, s.Cap, "cap")
	if s.MinorUnits != nil {
		if *s.MinorUnits < 0 || *s.MinorUnits > 4 {
			errs.addf(path+".minor_units", "%d: want 0..4", *s.MinorUnits)
		} else {
			c.MinorUnits = *s.MinorUnits
		}
	}
	if s.Rounding != nil {
		m, err := ParseRoundingMode(*s.Rounding)
		if err != nil {
			errs.add(path+".rounding", err.Error())
		}
		c.Rounding = m
	}
	if c.Cap != 0 && c.Minimum > c.Cap {
		errs.addf(path, "minimum %s is above the cap %s", c.Minimum, c.Cap)
	}
	return c
}

// LoadPlan reads a hotel plan from YAML.
func LoadPlan(data []byte) (*Plan, error) {
	var spec planSpec
	if err := decodeStrict(data, &spec); err != nil {
		return nil, fmt.Errorf("plan: yaml: %w", err)
	}
	var errs Errors
	p := &Plan{name: spec.Plan, currency: spec.Currency, graceS: int64(spec.GraceS), graceSubtract: spec.GraceSubtract,
		pbx: spec.PBXCost.Policy, pbxThreshold: spec.PBXCost.Threshold}
	if p.name == "" {
		errs.add("plan", "is required (the plan's name)")
	}
	if len(p.currency) != 3 {
		errs.addf("currency", "%q is not an ISO 4217 code", p.currency)
	}
	if spec.GraceS < 0 || spec.GraceS > 600 {
		errs.addf("grace_s", "%d: want 0..600", spec.GraceS)
	}
	switch p.pbx {
	case "":
		p.pbx = PBXIgnore
	case PBXIgnore, PBXTrust, PBXCompare:
	default:
		errs.addf("pbx_cost.policy", "%q: want ignore, trust or compare", p.pbx)
	}
	if p.pbxThreshold < 0 {
		errs.add("pbx_cost.threshold", "is negative")
	}
	p.def = spec.Default.over(ClassPlan{MinorUnits: 2}, "default", &errs)
	p.classes = map[Class]ClassPlan{}
	for _, k := range sortedKeys(spec.Classes) {
		if !Class(k).valid() {
			errs.addf("classes."+k, "unknown class %q", k)
			continue
		}
		p.classes[Class(k)] = spec.Classes[k].over(p.def, "classes."+k, &errs)
	}
	if err := errs.err(); err != nil {
		return nil, fmt.Errorf("plan %s: %w", p.name, err)
	}
	return p, nil
}

// ReadPlan is LoadPlan from an io.Reader.
func ReadPlan(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	return LoadPlan(data)
}

// Name is the plan's name.
func (p *Plan) Name() string { return p.name }

// Class returns the pricing of class c (the default if the plan has none).
func (p *Plan) Class(c Class) ClassPlan {
	if cp, ok := p.classes[c]; ok {
		return cp
	}
	return p.def
}

// Engine rates calls on a carrier tariff and prices them with a hotel plan.
// A nil Plan prices at carrier cost.
type Engine struct {
	Tariff *Tariff
	Plan   *Plan
}

// NewEngine checks that t and p fit together.
func NewEngine(t *Tariff, p *Plan) (*Engine, error) {
	if p != nil && p.currency != t.currency {
		return nil, fmt.Errorf("plan %s in %s, tariff %s in %s: %w", p.name, p.currency, t.name, t.currency, ErrCurrency)
	}
	return &Engine{Tariff: t, Plan: p}, nil
}

// Rate rates c and prices it for the guest. CarrierCost is what the hotel
// pays for the whole call; Price and Breakdown are what the guest pays.
func (e *Engine) Rate(c Call) (Result, error) {
	p := e.Plan
	if p == nil {
		return e.Tariff.Rate(c)
	}
	t := e.Tariff
	res, d, v, err := t.route(c)
	if err != nil || d == nil {
		return res, err
	}
	res.TariffVersion = v.id
	res.Breakdown = make([]Step, 0, 8)
	durS := ceilSeconds(c.Duration)
	res.DurationS = int(durS)
	answered := c.Answered != nil && *c.Answered
	if c.Answered != nil && !*c.Answered {
		durS = 0
		res.Flags = append(res.Flags, FlagUnanswered)
	}
	cp := p.Class(res.Class)

	// The carrier cost of the whole call.
	var scratch Result
	scratch.Breakdown = res.Breakdown[:0]
	carrier, billable := t.price(d.rate, c.Start, durS, &scratch)
	res.CarrierCost = carrier
	res.Flags = append(res.Flags, scratch.Flags...)
	base := carrier
	steps := scratch.Breakdown

	// Without a real answer signal, a short call may be ring time.
	inGrace := !answered && p.graceS > 0 && durS > 0 && durS < p.graceS
	if !answered && p.graceS > 0 && durS >= p.graceS && p.graceSubtract &&
		!(p.pbx == PBXTrust && c.PBXCost != nil) {
		// Charge the call less its first grace seconds (ring time), at the
		// bands in force after them.
		scratch = Result{Breakdown: steps[:0]}
		scratch.Breakdown = append(scratch.Breakdown, Step{Kind: StepGrace, Units: p.graceS})
		base, billable = t.price(d.rate, c.Start.Add(time.Duration(p.graceS)*time.Second), durS-p.graceS, &scratch)
		steps = scratch.Breakdown
	}
	res.BillableS = int(billable)
	res.Breakdown = steps

	if c.PBXCost != nil {
		pc := *c.PBXCost
		res.PBXCost = &pc
		switch p.pbx {
		case PBXTrust:
			res.Breakdown = append(res.Breakdown, Step{Kind: StepPBXCost, Amount: pc - base})
			res.CarrierCost, base = pc, pc
			res.Flags = append(res.Flags, FlagPBXCostUsed)
		case PBXCompare:
			if diff := pc - carrier; diff > p.pbxThreshold || -diff > p.pbxThreshold {
				res.Flags = append(res.Flags, FlagPBXCostDiffers)
			}
		}
	}

	switch {
	case cp.Free:
		res.Breakdown = append(res.Breakdown, Step{Kind: StepFree, Amount: -base})
		res.Price = 0
		return res, nil
	case inGrace:
		res.Breakdown = append(res.Breakdown, Step{Kind: StepGrace, Units: p.graceS, Amount: -base})
		res.Flags = append(res.Flags, FlagGrace)
		res.BillableS = 0
		res.Price = 0
		return res, nil
	}
	res.Price = p.apply(cp, base, &res)
	return res, nil
}

// apply prices base (the carrier cost) under cp and records each step.
func (p *Plan) apply(cp ClassPlan, base Money, res *Result) Money {
	sub := base
	chargeable := base > 0
	add := func(k StepKind, pct Percent, amt Money) {
		if amt != 0 {
			res.Breakdown = append(res.Breakdown, Step{Kind: k, Percent: pct, Amount: amt})
			sub += amt
		}
	}
	if cp.Markup != 0 {
		add(StepMarkup, cp.Markup, base.Pct(cp.Markup))
	}
	if cp.Surcharge != 0 && chargeable {
		add(StepSurcharge, 0, cp.Surcharge)
	}
	if cp.Service != 0 {
		add(StepService, cp.Service, sub.Pct(cp.Service))
	}
	if cp.Tax != 0 {
		if cp.TaxInclusive {
			// The tax inside a tax-inclusive amount: sub × t/(100% + t).
			inc := Money(mulDiv(int64(sub), int64(cp.Tax), int64(Hundred+cp.Tax), HalfUp))
			res.Breakdown = append(res.Breakdown, Step{Kind: StepTax, Percent: cp.Tax, Amount: inc, Included: true})
		} else {
			add(StepTax, cp.Tax, sub.Pct(cp.Tax))
		}
	}
	if cp.Cap > 0 && sub > cp.Cap {
		res.Breakdown = append(res.Breakdown, Step{Kind: StepCap, Amount: cp.Cap - sub})
		res.Flags = append(res.Flags, FlagCapped)
		sub = cp.Cap
	}
	if r := sub.Round(cp.MinorUnits, cp.Rounding); r != sub {
		res.Breakdown = append(res.Breakdown, Step{Kind: StepRounding, Amount: r - sub})
		sub = r
	}
	if chargeable && sub < cp.Minimum {
		res.Breakdown = append(res.Breakdown, Step{Kind: StepMinimum, Amount: cp.Minimum - sub})
		sub = cp.Minimum
	}
	return sub
}

// WithPBXPolicy returns a copy of the plan with another policy for costs
// the PBX printed itself (a site's device may be trusted where the plan
// compares).
func (p *Plan) WithPBXPolicy(policy PBXPolicy) *Plan {
	c := *p
	c.pbx = policy
	return &c
}

// WithGrace returns a copy of the plan with another answer-supervision
// grace (a PBX whose analogue trunks cannot see the far end answer needs
// one; a PBX with real answer signals, none).
func (p *Plan) WithGrace(seconds int, subtract bool) *Plan {
	c := *p
	c.graceS, c.graceSubtract = int64(seconds), subtract
	return &c
}
