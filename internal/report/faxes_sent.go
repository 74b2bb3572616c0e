package report

import (
	"context"
	"fmt"

	"switchboard/internal/store"
)

// FaxesSent is what the business centre sent by fax in a period: the
// jobs that ended sent and the pages the receivers confirmed (T.30 MCF),
// the fax register's chart beside the pages received.
type FaxesSent struct {
	Jobs  int `json:"jobs"`
	Pages int `json:"pages"`
}

// LoadFaxesSent counts the fax jobs that ended sent in p (by the time
// their state last changed: a job is sent when its last page is
// confirmed). fax_jobs has no index on that time: at the 400-day ledger's
// 50,000 jobs the scan is a few milliseconds.
func LoadFaxesSent(ctx context.Context, st *store.Store, p Period) (FaxesSent, error) {
	var s FaxesSent
	err := st.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(confirmed), 0) FROM fax_jobs WHERE state = 'sent' AND updated >= ? AND updated < ?`,
		p.From.UnixNano(), p.To.UnixNano()).Scan(&s.Jobs, &s.Pages)
	if err != nil {
		return s, fmt.Errorf("faxes sent %s: %w", p.Label, err)
	}
	return s, nil
}

// Minor shows an amount kept in minor units with two decimals, as the
// shift journal and the day close write them.
func Minor(n int64) string { return minorUnits(n) }
