package events

import "switchboard/internal/rating"

// Line is one step of a price as the folio shows it.
type Line struct {
	Step     string       `json:"step"`
	Amount   rating.Money `json:"amount"`
	Included bool         `json:"included,omitempty"`
}

// Charge is the price every business-centre event and reply carries (a
// print job, a copy session, a fax quote, delivery or send), inlined in
// their JSON.
type Charge struct {
	Amount      rating.Money `json:"amount"`
	AmountMinor int64        `json:"amount_minor"`
	Currency    string       `json:"currency"`
	Tariff      string       `json:"tariff"`
	Breakdown   []Line       `json:"breakdown"`
	Unbilled    string       `json:"unbilled,omitempty"`
}
