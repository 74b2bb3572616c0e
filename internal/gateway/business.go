package gateway

// The business-centre ledger shared by print, copy and fax: pricing an item
// with the business tariff, checking the room it is billed to, and writing
// its business_charges row.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

const (
	// WalkIn is the room of a guest who pays at the desk.
	WalkIn = "walk-in"
	// businessTariffFile is the embedded business-center tariff.
	businessTariffFile = "business-center.yaml"
)

// businessPrice is a priced business-center item, or why it has no price.
type businessPrice struct {
	res      rating.BusinessResult
	unbilled string
}

func (bp businessPrice) lines() []events.Line {
	out := make([]events.Line, 0, len(bp.res.Breakdown))
	for _, s := range bp.res.Breakdown {
		out = append(out, events.Line{Step: s.String(), Amount: s.Amount})
	}
	return out
}

func insertCharge(tx *store.Tx, idem, service, device, ref, room, operator string, at time.Time, units int64, size string,
	color, duplex bool, state string, bp businessPrice, tariff string, seq int64) error {
	lines, err := json.Marshal(bp.lines())
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state,
		amount, amount_minor, currency, tariff, breakdown, unbilled, seq) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		idem, service, device, ref, room, operator, at.UnixNano(), units, size, color, duplex, state,
		bp.res.Price.String(), bp.res.Minor, bp.res.Currency, tariff, string(lines), bp.unbilled, seq)
	return err
}

func subjectOf(room, device string) string {
	if room == "" {
		return "device/" + device
	}
	return "room/" + room
}

func plainText(field, v string, max int, required bool) error {
	switch {
	case v == "" && required:
		return &bus.FieldError{Field: field, Problem: "required"}
	case len(v) > max:
		return &bus.FieldError{Field: field, Problem: fmt.Sprintf("longer than %d characters", max)}
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return &bus.FieldError{Field: field, Problem: "control characters"}
	}
	return nil
}

func oneOf(field, v, def string, allowed []string) (string, error) {
	if v == "" {
		return def, nil
	}
	if !slices.Contains(allowed, v) {
		return "", &bus.FieldError{Field: field, Problem: fmt.Sprintf("%q: want one of %s", v, strings.Join(allowed, ", "))}
	}
	return v, nil
}

// priceItem prices one business-centre item. An item the tariff cannot
// price is kept, unbilled, with the tariff's reason: not dropped.
func priceItem(t *rating.BusinessTariff, it rating.BusinessItem) businessPrice {
	res, err := t.Price(it)
	if err != nil {
		return businessPrice{res: rating.BusinessResult{Service: it.Service, Currency: t.Currency()}, unbilled: err.Error()}
	}
	return businessPrice{res: res}
}

// Charge is the price every business-centre event and reply carries (a
// print job, a copy session, a fax quote, delivery or send), inlined in
// their JSON.
type Charge struct {
	Amount      rating.Money  `json:"amount"`
	AmountMinor int64         `json:"amount_minor"`
	Currency    string        `json:"currency"`
	Tariff      string        `json:"tariff"`
	Breakdown   []events.Line `json:"breakdown"`
	Unbilled    string        `json:"unbilled,omitempty"`
}

// charge is the price as an event carries it, priced with the named tariff.
func (bp businessPrice) charge(tariff string) Charge {
	return Charge{Amount: bp.res.Price, AmountMinor: bp.res.Minor, Currency: bp.res.Currency, Tariff: tariff,
		Breakdown: bp.lines(), Unbilled: bp.unbilled}
}
