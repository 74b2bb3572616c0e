package store

import (
	"context"
	"fmt"
)

// migrations are applied in order, each once, each in its own transaction.
// Never edit a released migration: add a new one.
var migrations = []string{
	1: `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

-- Every raw frame a device sent, before anything interprets it.
CREATE TABLE journal (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	device   TEXT    NOT NULL,
	dir      TEXT    NOT NULL DEFAULT 'in', -- in: from the device; out: to it
	received INTEGER NOT NULL,          -- unix nanoseconds
	raw      BLOB    NOT NULL,
	key      TEXT    NOT NULL DEFAULT '',  -- the record's business identity, set by the driver
	status   TEXT    NOT NULL DEFAULT 'new', -- new, parsed, skipped, unparsed, duplicate
	reason   TEXT    NOT NULL DEFAULT '',
	profile  TEXT    NOT NULL DEFAULT '',
	updated  INTEGER
);
CREATE INDEX journal_status ON journal(status, id);
CREATE INDEX journal_device_received ON journal(device, received);

-- Events waiting for the back office. seq is AUTOINCREMENT so a number is
-- never reused, even after acknowledged rows are purged.
CREATE TABLE outbox (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id  TEXT    NOT NULL,
	type      TEXT    NOT NULL,
	idemkey   TEXT    NOT NULL,
	topic     TEXT    NOT NULL,
	payload   BLOB    NOT NULL,
	created   INTEGER NOT NULL,
	published INTEGER,
	acked     INTEGER
);
CREATE INDEX outbox_unacked ON outbox(acked, seq);

-- Business identities already emitted: the same call resent by a PBX is
-- not emitted twice, even after its outbox row is purged.
CREATE TABLE idem (
	type    TEXT    NOT NULL,
	idemkey TEXT    NOT NULL,
	seq     INTEGER NOT NULL,
	created INTEGER NOT NULL,
	PRIMARY KEY (type, idemkey)
) WITHOUT ROWID;

-- Commands received, for dedupe by command id and for their replies.
CREATE TABLE commands (
	id       TEXT    PRIMARY KEY,
	topic    TEXT    NOT NULL,
	client   TEXT    NOT NULL,
	received INTEGER NOT NULL,
	status   TEXT    NOT NULL,   -- accepted, completed, failed
	reason   TEXT    NOT NULL DEFAULT '',
	result   BLOB,
	updated  INTEGER NOT NULL
) WITHOUT ROWID;

-- Small durable state (retained topics, cursors, device state).
CREATE TABLE kv (
	ns      TEXT    NOT NULL,
	key     TEXT    NOT NULL,
	value   BLOB    NOT NULL,
	updated INTEGER NOT NULL,
	PRIMARY KEY (ns, key)
) WITHOUT ROWID;
`,
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	var have int
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version),0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations)-1 {
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d): use a newer switchboard", have, len(migrations)-1)
	}
	for v := have + 1; v < len(migrations); v++ {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied) VALUES(?, strftime('%s','now'))`, v); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return nil
}
