package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Command statuses.
const (
	CommandAccepted  = "accepted"
	CommandCompleted = "completed"
	CommandFailed    = "failed"
)

// CommandRow is one command as the gateway recorded it.
type CommandRow struct {
	ID       string
	Topic    string
	Client   string
	Received time.Time
	Status   string
	Reason   string
	Result   []byte
	// Principal and Role are who sent it, as the embedded broker
	// authenticated them ("" from an external broker, whose ACL decided).
	Principal string
	Role      string
}

const commandColumns = `SELECT id, topic, client, received, status, reason, result, principal, role FROM commands WHERE id=?`

// Command reads a recorded command; ok is false for a new id.
func (t *Tx) Command(id string) (row CommandRow, ok bool, err error) {
	return scanCommand(t.queryRow(commandColumns, id), id)
}

// Command reads a recorded command on the reader pool (what has committed).
func (s *Store) Command(ctx context.Context, id string) (row CommandRow, ok bool, err error) {
	return scanCommand(s.rqueryRow(ctx, commandColumns, id), id)
}

func scanCommand(r *sql.Row, id string) (row CommandRow, ok bool, err error) {
	var rec sql.NullInt64
	err = r.Scan(&row.ID, &row.Topic, &row.Client, &rec, &row.Status, &row.Reason, &row.Result, &row.Principal, &row.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return row, false, nil
	}
	if err != nil {
		return row, false, fmt.Errorf("command %s: %w", id, err)
	}
	row.Received = fromNanos(rec)
	return row, true, nil
}

// PutCommand inserts or updates a command's status.
func (t *Tx) PutCommand(row CommandRow) error {
	now := nanos(time.Now())
	_, err := t.exec(
		`INSERT INTO commands(id, topic, client, received, status, reason, result, updated, principal, role) VALUES(?,?,?,?,?,?,?,?,?,?)
		 ON CONFLICT(id) DO UPDATE SET status=excluded.status, reason=excluded.reason, result=excluded.result, updated=excluded.updated`,
		row.ID, row.Topic, row.Client, nanos(row.Received), row.Status, row.Reason, row.Result, now, row.Principal, row.Role)
	if err != nil {
		return fmt.Errorf("command %s: %w", row.ID, err)
	}
	return nil
}

// OpenCommands lists commands still in the accepted state (interrupted by a
// restart before the device confirmed).
func (s *Store) OpenCommands(ctx context.Context) ([]CommandRow, error) {
	rows, err := s.rquery(ctx,
		`SELECT id, topic, client, received, status, reason, result, principal, role FROM commands WHERE status=? ORDER BY received`, CommandAccepted)
	if err != nil {
		return nil, fmt.Errorf("commands: %w", err)
	}
	defer rows.Close()
	var out []CommandRow
	for rows.Next() {
		var row CommandRow
		var rec sql.NullInt64
		if err := rows.Scan(&row.ID, &row.Topic, &row.Client, &rec, &row.Status, &row.Reason, &row.Result, &row.Principal, &row.Role); err != nil {
			return nil, err
		}
		row.Received = fromNanos(rec)
		out = append(out, row)
	}
	return out, rows.Err()
}
