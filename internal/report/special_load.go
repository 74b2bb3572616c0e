package report

import (
	"context"
	"strings"
	"unicode"

	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// LoadSpecial reads the calls of p that may meet one of r's rules, in
// start order: every call Special(l, r) would list over LoadCalls(p), and
// perhaps a few more (Special still decides). The week's ordinary calls
// are left in SQLite: decoding every call of a 400-day hotel's week
// (17,500) took 135 ms of CPU, over the console's 100 ms target
// (docs/performance.md, "Console").
func LoadSpecial(ctx context.Context, st *store.Store, p Period, r Rules) (*Ledger, error) {
	var or []string
	var args []any
	if r.OverMinutes > 0 {
		or, args = append(or, "duration_s > ?"), append(args, r.OverMinutes*60)
	}
	if r.OverAmount > 0 {
		// price is the decimal text ParseMoney reads; a REAL a millionth
		// below the bound keeps every call above it (Special compares exactly).
		or, args = append(or, "CAST(price AS REAL) > ?"), append(args, float64(r.OverAmount)/rating.Scale-1e-6)
	}
	classes := make([]any, 0, len(r.Classes)+1)
	for _, c := range r.Classes {
		classes = append(classes, string(c))
	}
	if r.Emergency {
		classes = append(classes, string(rating.ClassEmergency))
	}
	if len(classes) > 0 {
		or, args = append(or, "class IN (?"+strings.Repeat(",?", len(classes)-1)+")"), append(args, classes...)
	}
	for _, d := range r.Destinations {
		if d == "" {
			continue
		}
		if !ascii(d) { // NOCASE folds ASCII only; strings.EqualFold folds more
			return LoadCalls(ctx, st, p)
		}
		or, args = append(or, "(destination = ? COLLATE NOCASE OR substr(dialed, 1, ?) = ?)"), append(args, d, len(d), d)
	}
	if r.Vacant || r.AfterCheckout || r.Fallback || r.Unposted { // rules on the call's flags
		or = append(or, "flags NOT IN ('', '[]', 'null')")
	}
	if len(or) == 0 {
		return &Ledger{Period: p}, nil
	}
	calls, err := queryCalls(ctx, st, `start >= ? AND start < ? AND direction = 'outgoing' AND (`+strings.Join(or, " OR ")+`)
		ORDER BY start, idemkey`, append([]any{p.From.UnixNano(), p.To.UnixNano()}, args...)...)
	if err != nil {
		return nil, err
	}
	return &Ledger{Period: p, Calls: calls}, nil
}

func ascii(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII {
			return false
		}
	}
	return true
}
