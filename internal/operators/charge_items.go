package operators

import (
	"sort"
	"time"
)

// ChargeItem is what a shift billed for one job (a print job, a copy
// session, a fax sent, a fax delivered): its charges summed, each job once
// however many charges it made (a fax billed per attempt that confirmed
// pages).
type ChargeItem struct {
	Service string `json:"service"` // print, copy, fax-send, fax-receive
	// Ref is the job as the business ledger names it (business.Entry.Ref):
	// print/{job row}, copy/{session}, fax-job/{job}, fax/{register line}.
	Ref string `json:"ref"`
	// CommandID is the command that sent the job (print.submit, copy.start,
	// fax.send; '' for a received fax).
	CommandID   string    `json:"command_id,omitempty"`
	Room        string    `json:"room"`
	Charges     int       `json:"charges"`
	Units       int64     `json:"units"` // impressions or pages
	AmountMinor int64     `json:"amount_minor"`
	Currency    string    `json:"currency"`
	Last        time.Time `json:"last"` // the job's latest charge
}

// chargeRow is one charge of the shift as shiftCharges reads it.
type chargeRow struct {
	service, ref, room, command, currency string
	units, minor, at                      int64
}

// byJob groups a shift's charges by job (service, ref and currency), in
// the order the jobs were last billed.
func byJob(rows []chargeRow) []ChargeItem {
	type key struct{ service, ref, currency string }
	at := map[key]int{}
	var out []ChargeItem
	for _, r := range rows {
		k := key{r.service, r.ref, r.currency}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, ChargeItem{Service: r.service, Ref: r.ref, CommandID: r.command, Room: r.room, Currency: r.currency})
		}
		c := &out[i]
		c.Charges++
		c.Units += r.units
		c.AmountMinor += r.minor
		if t := time.Unix(0, r.at); t.After(c.Last) {
			c.Last = t
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Last.Before(out[b].Last) })
	return out
}
