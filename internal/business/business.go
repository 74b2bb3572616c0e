// Package business is the business-centre ledger that the print, copy and
// fax desks share: one business tariff (loaded once, from the config or the
// embedded default), one check of the room an item is billed to, one way to
// price an item into the Charge every business-centre event carries, and
// the business_charges rows that record what was billed.
package business

import (
	"fmt"
	"os"

	"switchboard/internal/bus"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/folio"
	"switchboard/internal/rating"
	"switchboard/tariffs"
)

// WalkIn is the room of a guest who pays at the desk.
const WalkIn = "walk-in"

// defaultTariff is the embedded business-centre tariff (tariffs/).
const defaultTariff = "business-center.yaml"

// LoadTariff reads the business tariff billing.business_tariff names, or
// the embedded tariffs/business-center.yaml when it names none. Print,
// copy and fax are priced from what it returns.
func LoadTariff(path string) (*rating.BusinessTariff, error) {
	var data []byte
	var err error
	if path == "" {
		data, err = tariffs.FS.ReadFile(defaultTariff)
	} else {
		data, err = os.ReadFile(path)
	}
	if err == nil {
		var t *rating.BusinessTariff
		if t, err = rating.LoadBusinessTariff(data); err == nil {
			return t, nil
		}
	}
	name := path
	if name == "" {
		name = "(embedded tariffs/" + defaultTariff + ")"
	}
	return nil, fmt.Errorf("billing.business_tariff %s: %w", name, err)
}

// Price is a priced business-centre item, or why it has no price.
type Price struct {
	rating.BusinessResult
	// Unbilled says why the item has no price (the tariff has no rate for
	// it): kept and reported, never dropped.
	Unbilled string
}

// PriceOf prices one business-centre item with t. An item the tariff
// cannot price is kept, unbilled, with the tariff's reason.
func PriceOf(t *rating.BusinessTariff, it rating.BusinessItem) Price {
	res, err := t.Price(it)
	if err != nil {
		return Price{BusinessResult: rating.BusinessResult{Service: it.Service, Currency: t.Currency()}, Unbilled: err.Error()}
	}
	return Price{BusinessResult: res}
}

// Lines is the price's breakdown as the folio shows it.
func (p Price) Lines() []events.Line {
	out := make([]events.Line, 0, len(p.Breakdown))
	for _, s := range p.Breakdown {
		out = append(out, events.Line{Step: s.String(), Amount: s.Amount})
	}
	return out
}

// Charge is the price as an event carries it, priced with tariff.
func (p Price) Charge(tariff string) events.Charge {
	return events.Charge{Amount: p.Price, AmountMinor: p.Minor, Currency: p.Currency, Tariff: tariff,
		Breakdown: p.Lines(), Unbilled: p.Unbilled}
}

// CheckRoom checks the room a business-centre item is billed to (the
// command field data.room): a room of the config's room map, or WalkIn (a
// guest who pays at the desk). Without a room map any room number is taken.
func CheckRoom(dir *folio.Directory, room string) error {
	if err := desk.Text("data.room", room, 16, true); err != nil {
		return err
	}
	if room == WalkIn || dir == nil || len(dir.Ranges()) == 0 {
		return nil
	}
	if r, _, ok := dir.Lookup(room); !ok || r != room {
		return &bus.FieldError{Field: "data.room", Problem: fmt.Sprintf("room %s unknown: not in the rooms of the config (use %q for a guest paying at the desk)", room, WalkIn)}
	}
	return nil
}
