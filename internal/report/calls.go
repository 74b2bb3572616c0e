package report

import (
	"fmt"
	"sort"

	"switchboard/internal/rating"
)

// Classes in the order the IDD/DDD statistics list them.
var Classes = []rating.Class{rating.ClassIDD, rating.ClassDDD, rating.ClassHKMOTW, rating.ClassMobile, rating.ClassLocal,
	rating.ClassSpecial, rating.ClassFree, rating.ClassEmergency, rating.ClassInternal}

// Unrated is the class line of outgoing calls that could not be rated.
const Unrated = "unrated"

// Totals are the figures of one line of the statistics.
type Totals struct {
	Key         string       `json:"key"` // class or room
	Calls       int          `json:"calls"`
	Posted      int          `json:"posted"`
	BillableS   int64        `json:"billable_s"`
	Minutes     string       `json:"billable_min"` // decimal minutes, two places
	CarrierCost rating.Money `json:"carrier_cost"`
	Revenue     rating.Money `json:"revenue"` // amounts posted to folios
	RevenueMin  int64        `json:"revenue_minor"`
}

func (t *Totals) add(c *Call) {
	t.Calls++
	t.BillableS += int64(c.BillableS)
	t.CarrierCost += c.CarrierCost
	if c.Posted {
		t.Posted++
		t.Revenue += c.Price
		t.RevenueMin += c.AmountMinor
	}
	t.Minutes = Minutes(t.BillableS)
}

// CallStats is the daily IDD/DDD statistics: every outgoing call of the
// period by class and by room.
type CallStats struct {
	Period   Period   `json:"period"`
	Currency string   `json:"currency"`
	ByClass  []Totals `json:"by_class"`
	ByRoom   []Totals `json:"by_room"`
	Total    Totals   `json:"total"`
	// Flagged counts the flagged outgoing calls (跑帳/漏帳): still to
	// resolve, and settled by a person (call.resolve).
	Flagged FlaggedTotals `json:"flagged"`
}

// FlaggedTotals count the flagged calls of a period.
type FlaggedTotals struct {
	ToResolve int `json:"to_resolve"`
	Settled   int `json:"settled"`
}

// Stats aggregates the outgoing calls of l. Every class has a line, with
// zeros when there were no calls of it; outgoing calls that could not be
// rated have a line of their own, so none is silently left out.
func Stats(l *Ledger) (CallStats, error) {
	s := CallStats{Period: l.Period, ByClass: []Totals{}, ByRoom: []Totals{}, Total: Totals{Key: "total", Minutes: Minutes(0)}}
	class := map[string]*Totals{}
	for _, c := range Classes {
		class[string(c)] = &Totals{Key: string(c), Minutes: Minutes(0)}
	}
	room := map[string]*Totals{}
	for i := range l.Calls {
		c := &l.Calls[i]
		if c.Direction != "outgoing" {
			continue
		}
		if c.Currency != "" {
			if s.Currency != "" && s.Currency != c.Currency {
				return s, fmt.Errorf("calls in %s and %s: one report per currency", s.Currency, c.Currency)
			}
			s.Currency = c.Currency
		}
		k := c.Class
		if k == "" {
			k = Unrated
		}
		if class[k] == nil {
			class[k] = &Totals{Key: k}
		}
		class[k].add(c)
		rk := c.Room
		if rk == "" {
			rk = "ext " + c.Extension
		}
		if room[rk] == nil {
			room[rk] = &Totals{Key: rk}
		}
		room[rk].add(c)
		s.Total.add(c)
		switch {
		case c.Resolution != nil:
			s.Flagged.Settled++
		case len(c.Flags) > 0:
			s.Flagged.ToResolve++
		}
	}
	for _, c := range Classes {
		s.ByClass = append(s.ByClass, *class[string(c)])
	}
	var extra []string
	for k := range class {
		if !isClass(k) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		s.ByClass = append(s.ByClass, *class[k])
	}
	keys := make([]string, 0, len(room))
	for k := range room {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s.ByRoom = append(s.ByRoom, *room[k])
	}
	return s, nil
}

func isClass(k string) bool {
	for _, c := range Classes {
		if string(c) == k {
			return true
		}
	}
	return false
}

// Tables renders the statistics.
func (s CallStats) Tables() []Table {
	cols := func(first string) []Column {
		return []Column{{Name: first}, {Name: "CALLS", Right: true}, {Name: "POSTED", Right: true}, {Name: "MINUTES", Right: true},
			{Name: "CARRIER COST", Right: true}, {Name: "REVENUE", Right: true}}
	}
	row := func(t Totals) []string {
		return []string{t.Key, itoa(t.Calls), itoa(t.Posted), t.Minutes, t.CarrierCost.String(), t.Revenue.String()}
	}
	byClass := Table{Title: "By class", Columns: cols("CLASS"), Footer: row(s.Total)}
	for _, t := range s.ByClass {
		byClass.Rows = append(byClass.Rows, row(t))
	}
	byRoom := Table{Title: "By room", Columns: cols("ROOM"), Footer: row(s.Total), Empty: "no outgoing calls"}
	for _, t := range s.ByRoom {
		byRoom.Rows = append(byRoom.Rows, row(t))
	}
	if len(s.ByRoom) == 0 {
		byRoom.Footer = nil
	}
	return []Table{byClass, byRoom}
}

// Heading is the report's first line.
func (s CallStats) Heading() string {
	cur := s.Currency
	if cur == "" {
		cur = "-"
	}
	return fmt.Sprintf("IDD/DDD statistics %s (%s), currency %s: %d outgoing calls, %d posted, revenue %s; flagged: %d to resolve, %d settled",
		s.Period.Label, s.Period.From.Location(), cur, s.Total.Calls, s.Total.Posted, s.Total.Revenue, s.Flagged.ToResolve, s.Flagged.Settled)
}
