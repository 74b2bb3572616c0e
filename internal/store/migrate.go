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
	2: `
-- Guest stays, from check-in and check-out (folio commands, the hotel link).
CREATE TABLE stays (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	room        TEXT    NOT NULL,
	reservation TEXT    NOT NULL DEFAULT '',
	guest       TEXT    NOT NULL DEFAULT '',
	language    TEXT    NOT NULL DEFAULT '',
	vip         INTEGER NOT NULL DEFAULT 0,
	checkin     INTEGER NOT NULL,
	checkout    INTEGER
);
CREATE INDEX stays_room ON stays(room, checkin);
CREATE UNIQUE INDEX stays_open ON stays(room) WHERE checkout IS NULL;

-- Every call, rated or not, and what was posted: the ledger the reports and
-- the reconciliation read. idemkey is the call's business identity.
CREATE TABLE calls (
	idemkey        TEXT    PRIMARY KEY,
	device         TEXT    NOT NULL,
	journal_id     INTEGER NOT NULL,
	start          INTEGER NOT NULL,
	duration_s     INTEGER NOT NULL,
	direction      TEXT    NOT NULL,
	extension      TEXT    NOT NULL,
	room           TEXT    NOT NULL,
	room_class     TEXT    NOT NULL,
	dialed         TEXT    NOT NULL,
	class          TEXT    NOT NULL,
	destination    TEXT    NOT NULL,
	matched_prefix TEXT    NOT NULL,
	rate_id        TEXT    NOT NULL,
	tariff_version TEXT    NOT NULL,
	billable_s     INTEGER NOT NULL,
	carrier_cost   TEXT    NOT NULL,
	price          TEXT    NOT NULL,
	amount_minor   INTEGER NOT NULL,
	currency       TEXT    NOT NULL,
	rated          TEXT    NOT NULL,   -- the RatedCall JSON
	flags          TEXT    NOT NULL,
	posted         INTEGER NOT NULL,
	not_posted     TEXT    NOT NULL,
	stay_id        INTEGER,
	reservation    TEXT    NOT NULL,
	late           INTEGER NOT NULL,
	recorded_seq   INTEGER NOT NULL,
	charged_seq    INTEGER,
	rated_at       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX calls_start ON calls(start);
CREATE INDEX calls_journal ON calls(journal_id);
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
