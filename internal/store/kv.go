package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Put stores a value in the state area.
func (t *Tx) Put(ns, key string, value []byte) error {
	_, err := t.exec(
		`INSERT INTO kv(ns,key,value,updated) VALUES(?,?,?,?)
		 ON CONFLICT(ns,key) DO UPDATE SET value=excluded.value, updated=excluded.updated`,
		ns, key, value, nanos(time.Now()))
	if err != nil {
		return fmt.Errorf("state %s/%s: %w", ns, key, err)
	}
	return nil
}

// Get reads a value in the transaction; ok is false when there is none.
func (t *Tx) Get(ns, key string) (value []byte, ok bool, err error) {
	err = t.queryRow(`SELECT value FROM kv WHERE ns=? AND key=?`, ns, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state %s/%s: %w", ns, key, err)
	}
	return value, true, nil
}

// Delete removes a value from the state area.
func (t *Tx) Delete(ns, key string) error {
	_, err := t.exec(`DELETE FROM kv WHERE ns=? AND key=?`, ns, key)
	return err
}

// Put stores a value in its own transaction.
func (s *Store) Put(ctx context.Context, ns, key string, value []byte) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.Put(ns, key, value) })
}

// Get reads a value; ok is false when there is none.
func (s *Store) Get(ctx context.Context, ns, key string) (value []byte, ok bool, err error) {
	err = s.rqueryRow(ctx, `SELECT value FROM kv WHERE ns=? AND key=?`, ns, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state %s/%s: %w", ns, key, err)
	}
	return value, true, nil
}

// List returns every key/value of a namespace in key order.
func (s *Store) List(ctx context.Context, ns string) (map[string][]byte, error) {
	rows, err := s.rquery(ctx, `SELECT key, value FROM kv WHERE ns=? ORDER BY key`, ns)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", ns, err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}
