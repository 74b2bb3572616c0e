package store

import (
	"context"
	"fmt"
)

// KV is one key and value of the state area.
type KV struct {
	Key   string
	Value []byte
}

// Last returns the n greatest keys of a namespace with their values, the
// greatest first: the latest rows of a namespace keyed by time (an audit
// trail) without reading all of it.
func (s *Store) Last(ctx context.Context, ns string, n int) ([]KV, error) {
	rows, err := s.rquery(ctx, `SELECT key, value FROM kv WHERE ns=? ORDER BY key DESC LIMIT ?`, ns, n)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", ns, err)
	}
	defer rows.Close()
	var out []KV
	for rows.Next() {
		var kv KV
		if err := rows.Scan(&kv.Key, &kv.Value); err != nil {
			return nil, fmt.Errorf("state %s: %w", ns, err)
		}
		out = append(out, kv)
	}
	return out, rows.Err()
}
