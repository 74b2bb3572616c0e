package business

import "switchboard/internal/rating"

// House is the room of the hotel's own use: what the business centre
// prints for itself (a fax's transmission report for its file). The print
// desk takes it as a print job's room and bills nobody; the other desks
// do not take it (a fax or a copy is always for a guest or a walk-in).
const House = "house"

// HousePrice is an item of the house's own use: recorded in the ledger
// like any item, at no price, saying why (Unbilled), so reports show it
// and nobody is billed.
func HousePrice(service, currency string) Price {
	return Price{BusinessResult: rating.BusinessResult{Service: service, Currency: currency, Breakdown: []rating.BusinessStep{}},
		Unbilled: "house use (room \"" + House + "\"): not billed to a guest"}
}
