package rating

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// compileRates builds v's rates: prev's, with specs replacing or adding by id.
func compileRates(vpath string, specs []rateSpec, prev *version, errs *Errors) map[string]*rate {
	all := map[string]*rate{}
	if prev != nil {
		for id, r := range prev.rates {
			all[id] = r
		}
	}
	seen := map[string]int{}
	byID := map[string]*rate{}
	for i, rs := range specs {
		p := fmt.Sprintf("%srates[%d]", vpath, i)
		if rs.ID == "" {
			errs.add(p+".id", "is required")
			continue
		}
		if j, ok := seen[rs.ID]; ok {
			errs.addf(p+".id", "%q duplicates rates[%d]", rs.ID, j)
			continue
		}
		seen[rs.ID] = i
		r := &rate{id: rs.ID, connect: rs.Connect, cap: rs.Cap, policy: rs.Policy}
		if r.policy == "" {
			r.policy = Split
		}
		if r.policy != Split && r.policy != Start {
			errs.addf(p+".band_policy", "%q: want split or start", rs.Policy)
		}
		if rs.Connect < 0 {
			errs.add(p+".connect", "is negative")
		}
		if rs.Cap < 0 {
			errs.add(p+".cap", "is negative")
		}
		if len(rs.Steps) > maxGroups {
			errs.addf(p+".steps", "%d steps: at most %d", len(rs.Steps), maxGroups)
		}
		var off int64
		for k, s := range rs.Steps {
			sp := fmt.Sprintf("%s.steps[%d]", p, k)
			if s.UnitS <= 0 {
				errs.addf(sp+".unit_s", "%d: must be positive", s.UnitS)
			}
			if s.Units < 0 {
				errs.addf(sp+".units", "%d: must not be negative", s.Units)
			}
			last := k == len(rs.Steps)-1
			if s.Units == 0 && !last {
				errs.add(sp+".units", "only the last step may repeat to the end of the call (units: 0)")
			}
			if s.Units != 0 && last {
				errs.add(sp+".units", "the last step must repeat to the end of the call (units: 0)")
			}
			if s.Price < 0 {
				errs.add(sp+".price", "is negative")
			}
			r.groups = append(r.groups, group{start: off, unitS: int64(s.UnitS), units: int64(s.Units), price: s.Price})
			off += int64(s.UnitS) * int64(s.Units)
		}
		byID[rs.ID] = r
		all[rs.ID] = r
	}
	// Bands refer to rates, so resolve them once every rate exists.
	for i, rs := range specs {
		r := byID[rs.ID]
		if r == nil || seen[rs.ID] != i {
			continue
		}
		p := fmt.Sprintf("%srates[%d]", vpath, i)
		compileBands(p, r, rs.Bands, all, errs)
	}
	return all
}

func compileBands(p string, r *rate, specs []bandSpec, all map[string]*rate, errs *Errors) {
	if len(specs) > maxBands {
		errs.addf(p+".bands", "%d bands: at most %d", len(specs), maxBands)
		return
	}
	type iv struct {
		from, to int32
		band     int
	}
	var days [dayTypes][]iv
	for i, b := range specs {
		bp := fmt.Sprintf("%s.bands[%d]", p, i)
		bd := band{name: b.Name}
		if bd.name == "" {
			bd.name = "band " + strconv.Itoa(i)
		}
		switch {
		case b.Factor != nil && b.Rate != "":
			errs.add(bp, "has both factor and rate; give one")
		case b.Factor == nil && b.Rate == "":
			errs.add(bp, "needs a factor or a rate")
		case b.Factor != nil:
			if *b.Factor < 0 {
				errs.add(bp+".factor", "is negative")
			}
			bd.factor = *b.Factor
			for _, g := range r.groups {
				bd.prices = append(bd.prices, g.price.Pct(bd.factor))
			}
		default:
			br := all[b.Rate]
			switch {
			case br == nil:
				errs.addf(bp+".rate", "unknown rate %q", b.Rate)
			case br == r:
				errs.addf(bp+".rate", "%q is the rate itself", b.Rate)
			default:
				bd.rate = br
				if r.policy == Split {
					if !sameSteps(r.groups, br.groups) {
						errs.addf(bp+".rate", "%q has other steps than %q; the split policy prices units, so their steps must match (or use band_policy: start)", b.Rate, r.id)
					} else {
						for _, g := range br.groups {
							bd.prices = append(bd.prices, g.price)
						}
					}
				}
			}
		}
		from, err1 := parseClock(b.From, false)
		if err1 != nil {
			errs.addf(bp+".from", "%v", err1)
		}
		to, err2 := parseClock(b.To, true)
		if err2 != nil {
			errs.addf(bp+".to", "%v", err2)
		}
		if err1 == nil && err2 == nil && from == to {
			errs.addf(bp, "from %s equals to %s: an empty band", b.From, b.To)
		}
		if len(b.Days) == 0 {
			errs.add(bp+".days", "is required (all, weekday, weekend, holiday, mon..sun)")
		}
		var types [dayTypes]bool
		for k, dn := range b.Days {
			ts, ok := dayNames[strings.ToLower(dn)]
			if !ok {
				errs.addf(fmt.Sprintf("%s.days[%d]", bp, k), "unknown day %q", dn)
			}
			for _, d := range ts {
				types[d] = true
			}
		}
		r.bands = append(r.bands, bd)
		if err1 != nil || err2 != nil || from == to {
			continue
		}
		for d := range types {
			if !types[d] {
				continue
			}
			if from < to {
				days[d] = append(days[d], iv{from, to, i})
			} else { // wraps midnight: the evening and the early morning of the same day type
				days[d] = append(days[d], iv{from, 86400, i}, iv{0, to, i})
			}
		}
	}
	for d := range days {
		ivs := days[d]
		sort.Slice(ivs, func(a, b int) bool { return ivs[a].from < ivs[b].from })
		var segs []segment
		at := int32(0)
		for k, x := range ivs {
			if k > 0 && x.from < ivs[k-1].to {
				errs.addf(fmt.Sprintf("%s.bands[%d]", p, x.band), "overlaps bands[%d] on %s", ivs[k-1].band, dayTypeNames[d])
				continue
			}
			if x.from > at {
				segs = append(segs, segment{at, x.from, -1})
			}
			segs = append(segs, segment{x.from, x.to, int16(x.band)})
			at = x.to
		}
		if at < 86400 {
			segs = append(segs, segment{at, 86400, -1})
		}
		r.sched[d] = segs
	}
}

func sameSteps(a, b []group) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].unitS != b[i].unitS || a[i].units != b[i].units {
			return false
		}
	}
	return true
}

// parseClock reads "HH:MM" (or "24:00" for an end) as seconds of the day.
func parseClock(s string, end bool) (int32, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 || !isDigits(h) || !isDigits(m) {
		return 0, fmt.Errorf("%q: want HH:MM", s)
	}
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	if hh == 24 && mm == 0 && end {
		return 86400, nil
	}
	if hh > 23 || mm > 59 {
		return 0, fmt.Errorf("%q: no such time of day", s)
	}
	return int32(hh*3600 + mm*60), nil
}

// parseCivil reads "2006-01-02" or "2006-01-02T15:04" (the site's wall
// clock) as the comparable integer yyyymmddhhmm.
func parseCivil(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("is required (YYYY-MM-DD)")
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if tm, err := time.Parse(layout, s); err == nil {
			return civilKey(tm), nil
		}
	}
	return 0, fmt.Errorf("%q: want YYYY-MM-DD or YYYY-MM-DDTHH:MM", s)
}

func civilKey(tm time.Time) int64 {
	y, mo, d := tm.Date()
	h, mi, _ := tm.Clock()
	return int64(y)*1e8 + int64(mo)*1e6 + int64(d)*1e4 + int64(h)*100 + int64(mi)
}

func dateKey(y int, m time.Month, d int) int32 { return int32(y*10000 + int(m)*100 + d) }

func parseDates(field string, ss []string, errs *Errors) map[int32]bool {
	if len(ss) == 0 {
		return nil
	}
	out := make(map[int32]bool, len(ss))
	for i, s := range ss {
		tm, err := time.Parse("2006-01-02", s)
		if err != nil {
			errs.addf(fmt.Sprintf("%s[%d]", field, i), "%q: want YYYY-MM-DD", s)
			continue
		}
		out[dateKey(tm.Date())] = true
	}
	return out
}
