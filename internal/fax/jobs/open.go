package faxjobs

import (
	"context"
	"time"

	"switchboard/internal/store"
)

// Undelivered lists the received faxes that are neither delivered nor
// destroyed, received before to, in the order they came in: the faxes the
// day close hands over (接收傳真程序). It reads them through the status
// index: listing the whole register and skipping the delivered faxes in Go
// read 50,000 rows on a 400-day ledger (docs/performance.md, "Console").
func Undelivered(ctx context.Context, st *store.Store, to time.Time) ([]Fax, error) {
	// Deliver sets delivered with the status, MarkDestroyed destroyed, and
	// neither status ever changes again: the status says it all.
	return listWhere(ctx, st, `status IN (?, ?, ?, ?) AND received < ?`, Unassigned, Assigned, CheckedOut, Archived, to.UnixNano())
}
