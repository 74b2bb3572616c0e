package printdesk

import (
	"fmt"

	"switchboard/internal/business"
	"switchboard/internal/rating"
)

// JobQuote is what a print job will cost, told before it is sent: the
// document's pages times the copies are the impressions (a two-sided
// sheet is two impressions, as the printer counts them and the desk bills
// them at the job's end), priced with the business tariff the desk bills
// with.
type JobQuote struct {
	Pages       int
	Copies      int
	Impressions int64
	Size        string // the tariff's size of the media (A4)
	Color       bool
	Duplex      bool
	business.Price
}

// QuoteJob prices a print job before it is sent, as onJobDone will bill it
// if every impression comes out. size is the printer's tariff size of the
// job's media (Printer.SizeOf); sides and color are print.submit's values.
// The error says why there is no price (no size, no rate in the tariff).
func QuoteJob(t *rating.BusinessTariff, size string, pages, copies int, sides, color string) (JobQuote, error) {
	if pages < 1 || copies < 1 {
		return JobQuote{}, fmt.Errorf("quote: %d pages × %d copies: both must be at least 1", pages, copies)
	}
	if size == "" {
		return JobQuote{}, fmt.Errorf("quote: the printer's profile does not know the media's size")
	}
	q := JobQuote{Pages: pages, Copies: copies, Impressions: int64(pages) * int64(copies), Size: size, Color: color == "color",
		Duplex: sides != "" && sides != "one-sided"}
	q.Price = business.PriceOf(t, rating.BusinessItem{Service: rating.ServicePrint, Size: size, Color: q.Color, Duplex: q.Duplex,
		Impressions: q.Impressions})
	if q.Unbilled != "" {
		return q, fmt.Errorf("quote: %s", q.Unbilled)
	}
	return q, nil
}

// MaxKeep is how long a guest's document may be kept after its job
// (print.submit's keep_until), for forms that ask before sending.
const MaxKeep = maxKeep
