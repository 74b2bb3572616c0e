package report

import (
	"fmt"
	"slices"
	"strings"

	"switchboard/internal/rating"
)

// Rules choose the special calls of the week. Zero OverMinutes or
// OverAmount turns that rule off.
type Rules struct {
	OverMinutes   int            `json:"over_minutes,omitempty"` // longer than this many minutes
	OverAmount    rating.Money   `json:"over_amount,omitempty"`  // priced above this
	Classes       []rating.Class `json:"classes,omitempty"`      // any call of these classes
	Destinations  []string       `json:"destinations,omitempty"` // destination names (any case) or dialed-number prefixes
	Vacant        bool           `json:"vacant_room"`            // outside calls from a vacant room
	AfterCheckout bool           `json:"after_checkout"`         // outside calls after the guest left
	Emergency     bool           `json:"emergency"`              // calls to emergency numbers
	Fallback      bool           `json:"fallback"`               // rated by a fallback rate or an unknown number
	Unposted      bool           `json:"unposted"`               // other flagged calls: unrateable, unknown extension, late charge, PBX cost differs
	Mask          int            `json:"-"`                      // leading digits of a dialed number shown; 0 = all
}

// DefaultRules are the weekly report's defaults.
func DefaultRules() Rules {
	return Rules{OverMinutes: 30, OverAmount: rating.MustMoney("100"), Classes: []rating.Class{rating.ClassSpecial},
		Vacant: true, AfterCheckout: true, Emergency: true, Fallback: true, Unposted: true}
}

// Match is the names of the rules call c meets, in rule order.
func (r Rules) Match(c *Call) []string {
	var why []string
	has := func(f string) bool { return slices.Contains(c.Flags, f) }
	if r.OverMinutes > 0 && c.DurationS > r.OverMinutes*60 {
		why = append(why, fmt.Sprintf("over %d min", r.OverMinutes))
	}
	if r.OverAmount > 0 && c.Price > r.OverAmount {
		why = append(why, "over "+r.OverAmount.String())
	}
	if c.Class != "" && slices.Contains(r.Classes, rating.Class(c.Class)) {
		why = append(why, "class "+c.Class)
	}
	for _, d := range r.Destinations {
		if d != "" && (strings.EqualFold(d, c.Destination) || strings.HasPrefix(c.Dialed, d)) {
			why = append(why, "destination "+d)
			break
		}
	}
	if r.Vacant && has("vacant-room") {
		why = append(why, "vacant room")
	}
	if r.AfterCheckout && has("after-checkout") {
		why = append(why, "after check-out")
	}
	if r.Emergency && c.Class == string(rating.ClassEmergency) {
		why = append(why, "emergency")
	}
	if r.Fallback && (has(rating.FlagNoMatchFallback) || has(rating.FlagUnknownNumber)) {
		why = append(why, "fallback rate")
	}
	if r.Unposted {
		for _, f := range []string{"unrateable", "unknown-extension", "late-charge", rating.FlagPBXCostDiffers} {
			if has(f) {
				why = append(why, f)
			}
		}
	}
	return why
}

// SpecialCall is one line of the list.
type SpecialCall struct {
	Call
	Rules []string `json:"rules"`
}

// SpecialCalls is the weekly special-calls list for the front-office manager.
type SpecialCalls struct {
	Period Period        `json:"period"`
	Rules  Rules         `json:"rules"`
	Calls  []SpecialCall `json:"calls"`
}

// Special lists the outgoing calls of l that meet a rule, in start order.
func Special(l *Ledger, r Rules) SpecialCalls {
	s := SpecialCalls{Period: l.Period, Rules: r, Calls: []SpecialCall{}}
	for i := range l.Calls {
		c := l.Calls[i]
		if c.Direction != "outgoing" {
			continue
		}
		if why := r.Match(&c); len(why) > 0 {
			c.Dialed = mask(c.Dialed, r.Mask)
			s.Calls = append(s.Calls, SpecialCall{Call: c, Rules: why})
		}
	}
	return s
}

func mask(d string, n int) string {
	if n <= 0 || len(d) <= n {
		return d
	}
	return d[:n] + strings.Repeat("*", len(d)-n)
}

// Tables renders the list.
func (s SpecialCalls) Tables() []Table {
	t := Table{Columns: []Column{{Name: "START"}, {Name: "ROOM"}, {Name: "EXT"}, {Name: "DIALED"}, {Name: "CLASS"}, {Name: "DESTINATION"},
		{Name: "DURATION", Right: true}, {Name: "AMOUNT", Right: true}, {Name: "POSTED"}, {Name: "RULES"}},
		Empty: "no special calls"}
	loc := s.Period.From.Location()
	for _, c := range s.Calls {
		posted := "yes"
		if !c.Posted {
			posted = "no: " + c.NotPosted
		}
		t.Rows = append(t.Rows, []string{c.Start.In(loc).Format("2006-01-02 15:04"), c.Room, c.Extension, c.Dialed, c.Class, c.Destination,
			Clock(c.DurationS), amount(&c.Call), posted, strings.Join(c.Rules, ", ")})
	}
	return []Table{t}
}

// Heading is the report's first line.
func (s SpecialCalls) Heading() string {
	return fmt.Sprintf("Special calls %s (%s to %s, %s): %d call(s)", s.Period.Label, s.Period.From.Format("2006-01-02"),
		s.Period.To.AddDate(0, 0, -1).Format("2006-01-02"), s.Period.From.Location(), len(s.Calls))
}
