package console

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// reportAudit is one print or download of a report (the seed: reports are
// printed only with the manager's approval): who, which report and
// period, how, approved by whom, when.
type reportAudit struct {
	At         time.Time `json:"at"`
	Operator   string    `json:"operator"`
	Role       string    `json:"role"`
	Report     string    `json:"report"`
	Period     string    `json:"period"`
	Action     string    `json:"action"` // print, csv, pdf
	ApprovedBy string    `json:"approved_by"`
}

// reportAuditNS keeps the audit rows in the store's key-value area (key:
// the time in nanoseconds, zero-padded so the keys sort, the operator and
// a random part, so two prints in the same clock tick are two rows), so
// the reports need no migration.
const reportAuditNS = "console.report.audit"

func (c *Console) recordReportAudit(ctx context.Context, a reportAudit) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("report audit: %w", err)
	}
	key := fmt.Sprintf("%020d-%s-%s", a.At.UnixNano(), a.Operator, token()[:8])
	if err := c.o.Host.Store().Put(ctx, reportAuditNS, key, b); err != nil {
		return fmt.Errorf("report audit: %w", err)
	}
	return nil
}

// recentReportAudits are the last n audit rows, newest first (read with
// a limit: the namespace grows with every print).
func (c *Console) recentReportAudits(ctx context.Context, n int) ([]reportAudit, error) {
	rows, err := c.o.Host.Store().Last(ctx, reportAuditNS, n)
	if err != nil {
		return nil, fmt.Errorf("report audit: %w", err)
	}
	out := make([]reportAudit, 0, len(rows))
	for _, kv := range rows {
		var a reportAudit
		if err := json.Unmarshal(kv.Value, &a); err != nil {
			return out, fmt.Errorf("report audit %s: %w", kv.Key, err)
		}
		out = append(out, a)
	}
	return out, nil
}
