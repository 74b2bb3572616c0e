package retention

import (
	"context"
	"fmt"

	"switchboard/internal/store"
)

// timedNamespaces are key-value namespaces whose keys start with the time
// the row was written, in nanoseconds zero-padded to 20 digits, so the
// rows older than the billing cut-off are a range of keys. They are kept
// as long as billing rows (store.retention_days):
//   - console.report.audit, who printed or downloaded which report with
//     whose approval (internal/console, reports_audit.go): the record of a
//     print goes when the ledger it printed goes;
//   - operators.audit, who added, disabled, reset or changed an operator
//     (internal/operators, manage.go): the record of who could post what
//     goes with what they posted.
func timedNamespaces() []string { return []string{"console.report.audit", "operators.audit"} }

// kvSteps purge the timed namespaces.
func kvSteps() []step {
	var out []step
	for _, ns := range timedNamespaces() {
		out = append(out, kvStep(ns))
	}
	return out
}

// kvStep deletes, batch after batch, the rows of namespace ns whose keys
// sort before the cut-off written as their keys are.
func kvStep(ns string) step {
	name := "kv/" + ns // the step and the metric's table label
	return step{name: name, run: func(ctx context.Context, b *batcher, c cutoffs) error {
		cut := fmt.Sprintf("%020d", c.billing)
		for {
			n := b.size(name)
			rows, err := b.do(ctx, name, n, func(tx *store.Tx) (int64, error) {
				res, err := tx.Exec(`DELETE FROM kv WHERE ns = ? AND key IN (SELECT key FROM kv WHERE ns = ? AND key < ? ORDER BY key LIMIT ?)`,
					ns, ns, cut, n)
				if err != nil {
					return 0, err
				}
				return res.RowsAffected()
			})
			if err != nil {
				return err
			}
			b.r.Deleted[name] += rows
			if rows < int64(n) {
				return nil
			}
		}
	}}
}
