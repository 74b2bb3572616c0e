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
	idemkey        TEXT    NOT NULL,
	device         TEXT    NOT NULL,
	journal_id     INTEGER NOT NULL,
	start          INTEGER NOT NULL,
	duration_s     INTEGER NOT NULL,
	direction      TEXT    NOT NULL,
	extension      TEXT    NOT NULL,
	room           TEXT    NOT NULL,
	room_class     TEXT    NOT NULL,
	dialed         TEXT    NOT NULL,
	answered       INTEGER,            -- the PBX's answer signal: 1, 0, NULL = none
	trunk          TEXT    NOT NULL DEFAULT '',
	pbx_cost       TEXT    NOT NULL DEFAULT '',
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
	rated_at       INTEGER NOT NULL,
	-- Clustered by start time: reports and re-rating read a period in order.
	PRIMARY KEY (start, idemkey)
) WITHOUT ROWID;
CREATE UNIQUE INDEX calls_idemkey ON calls(idemkey);
CREATE INDEX calls_journal ON calls(journal_id);
`,
	3: `
-- Wake-up calls (internal/wakeup). One row per occurrence: a daily wake-up
-- gets a new row, same series, for each day. date/clock are the site's wall
-- clock as requested; at is the instant they resolved to (DST rules in
-- wakeup.Resolve). pbx_wall/pbx_at are what the PBX holds now (the retry
-- time after an unanswered first attempt). Times are unix nanoseconds.
CREATE TABLE wakeups (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	series       INTEGER NOT NULL,
	room         TEXT    NOT NULL,
	date         TEXT    NOT NULL,   -- YYYY-MM-DD
	clock        TEXT    NOT NULL,   -- HH:MM
	wall         TEXT    NOT NULL,   -- date || ' ' || clock
	at           INTEGER NOT NULL,
	resolution   TEXT    NOT NULL,   -- exact, skipped, repeated
	daily        INTEGER NOT NULL,
	until        TEXT    NOT NULL DEFAULT '',
	requested_by TEXT    NOT NULL,
	operator     TEXT    NOT NULL DEFAULT '',
	recorded_at  INTEGER NOT NULL,
	status       TEXT    NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	last_result  TEXT    NOT NULL DEFAULT '',
	last_code    TEXT    NOT NULL DEFAULT '',
	result_at    INTEGER,
	pbx_state    TEXT    NOT NULL,
	pbx_wall     TEXT    NOT NULL,
	pbx_at       INTEGER NOT NULL,
	pbx_seq      INTEGER NOT NULL DEFAULT 0,
	pbx_reason   TEXT    NOT NULL DEFAULT '',
	watch_at     INTEGER NOT NULL,   -- no result by then: at risk
	at_risk_for  INTEGER NOT NULL DEFAULT 0, -- the watch_at an at-risk was emitted for
	rearmed      INTEGER NOT NULL DEFAULT 0,
	note         TEXT    NOT NULL DEFAULT '',
	updated      INTEGER NOT NULL
);
-- One wake-up still to ring per room and day (one whose call was made may
-- still await its result beside it).
CREATE UNIQUE INDEX wakeups_open ON wakeups(room, date) WHERE status IN ('pending','sent');
CREATE INDEX wakeups_room_pbx ON wakeups(room, pbx_wall);
CREATE INDEX wakeups_room_wall ON wakeups(room, wall);
CREATE INDEX wakeups_date ON wakeups(date, at);
CREATE INDEX wakeups_watch ON wakeups(status, watch_at);

-- Every result the PBX reported for a wake-up; (wakeup, time, outcome)
-- makes a repeated result a no-op.
CREATE TABLE wakeup_results (
	wakeup_id INTEGER NOT NULL,
	pbx_wall  TEXT    NOT NULL,
	outcome   TEXT    NOT NULL,
	code      TEXT    NOT NULL DEFAULT '',
	attempt   INTEGER NOT NULL,
	applied   INTEGER NOT NULL,
	received  INTEGER NOT NULL,
	PRIMARY KEY (wakeup_id, pbx_wall, outcome)
) WITHOUT ROWID;

-- Watchdog actions already emitted (pre-flight check per day).
CREATE TABLE wakeup_marks (
	kind    TEXT    NOT NULL,
	key     TEXT    NOT NULL,
	emitted INTEGER NOT NULL,
	PRIMARY KEY (kind, key)
) WITHOUT ROWID;
`,
	4: `
-- Business-center ledger (internal/gateway/print.go): one row per charge of
-- a print job, a copy session (and a fax, for the fax desk), written in the
-- same transaction as its event. idemkey is the charge's business identity
-- (the event's idemkey); times are unix nanoseconds.
CREATE TABLE business_charges (
	idemkey      TEXT    PRIMARY KEY,
	service      TEXT    NOT NULL,   -- print, copy, fax-send, fax-receive
	device       TEXT    NOT NULL,
	ref          TEXT    NOT NULL,   -- print/{job row id}, copy/{session id}, ...
	room         TEXT    NOT NULL,
	operator     TEXT    NOT NULL,
	at           INTEGER NOT NULL,   -- when the service ended
	units        INTEGER NOT NULL,   -- impressions (print, copy) or pages (fax)
	size         TEXT    NOT NULL,   -- A4, A3, ... ('' for fax)
	color        INTEGER NOT NULL,
	duplex       INTEGER NOT NULL,
	state        TEXT    NOT NULL,   -- completed, canceled, aborted
	amount       TEXT    NOT NULL,   -- decimal
	amount_minor INTEGER NOT NULL,
	currency     TEXT    NOT NULL,
	tariff       TEXT    NOT NULL,
	breakdown    TEXT    NOT NULL,   -- JSON price lines
	unbilled     TEXT    NOT NULL DEFAULT '', -- why no price could be made (amount 0)
	seq          INTEGER NOT NULL    -- outbox seq of the charge event
) WITHOUT ROWID;
CREATE INDEX business_charges_at ON business_charges(at);

-- Print jobs submitted through print.submit: the context billing needs
-- (room, operator, what was asked), the spooled document and its
-- retention, then what the printer reported. job_id is NULL while the
-- document is being sent (the printer has not answered with its job-id).
CREATE TABLE print_jobs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	device      TEXT    NOT NULL,
	job_id      INTEGER,
	command_id  TEXT    NOT NULL,
	room        TEXT    NOT NULL,
	operator    TEXT    NOT NULL,
	name        TEXT    NOT NULL DEFAULT '',
	format      TEXT    NOT NULL DEFAULT '',
	copies      INTEGER NOT NULL,
	sides       TEXT    NOT NULL,
	color       TEXT    NOT NULL,   -- monochrome, color
	media       TEXT    NOT NULL,   -- PWG media name
	bytes       INTEGER NOT NULL,
	spool       TEXT    NOT NULL DEFAULT '', -- the spooled document; '' once deleted
	keep_until  INTEGER,            -- keep the document until then; NULL: delete when the job ends
	deleted     INTEGER,            -- when the document was deleted
	submitted   INTEGER NOT NULL,
	state       TEXT    NOT NULL,   -- submitting, pending, processing, ..., completed, canceled, aborted, refused, orphaned
	reasons     TEXT    NOT NULL DEFAULT '',
	impressions INTEGER NOT NULL DEFAULT 0,
	sheets      INTEGER NOT NULL DEFAULT 0,
	counter_impressions INTEGER NOT NULL DEFAULT 0, -- what the job added to the device counter
	ended       INTEGER,
	charge      TEXT                -- business_charges.idemkey
);
CREATE INDEX print_jobs_device_job ON print_jobs(device, job_id);
CREATE INDEX print_jobs_device_ended ON print_jobs(device, ended);
CREATE INDEX print_jobs_spool ON print_jobs(keep_until) WHERE spool <> '';

-- Walk-up copy sessions metered from the device's lifetime counter. One
-- open session per device.
CREATE TABLE copy_sessions (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	device       TEXT    NOT NULL,
	room         TEXT    NOT NULL,
	operator     TEXT    NOT NULL,
	media        TEXT    NOT NULL,
	color        TEXT    NOT NULL,
	command_id   TEXT    NOT NULL,
	started      INTEGER NOT NULL,   -- the start reading's time
	source       TEXT    NOT NULL,   -- ipp, snmp
	start_count  INTEGER NOT NULL,
	stopped      INTEGER,
	end_count    INTEGER,
	printed      INTEGER,            -- print-job impressions subtracted
	pages        INTEGER,
	status       TEXT    NOT NULL,   -- open, billed, void
	reason       TEXT    NOT NULL DEFAULT '',
	charge       TEXT
);
CREATE UNIQUE INDEX copy_sessions_open ON copy_sessions(device) WHERE status = 'open';
CREATE INDEX copy_sessions_started ON copy_sessions(started);

-- Last known state of each device for the shift-handover check (status is
-- the driver's JSON: supplies, trays, reasons), and the alerts raised and
-- cleared.
CREATE TABLE device_status (
	device   TEXT    PRIMARY KEY,
	domain   TEXT    NOT NULL,
	state    TEXT    NOT NULL,
	status   TEXT    NOT NULL,
	updated  INTEGER NOT NULL,
	counters TEXT    NOT NULL DEFAULT '',
	counters_at INTEGER
) WITHOUT ROWID;
CREATE TABLE device_alerts (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	device   TEXT    NOT NULL,
	domain   TEXT    NOT NULL,
	alert    TEXT    NOT NULL,
	severity TEXT    NOT NULL,
	message  TEXT    NOT NULL,
	detail   TEXT    NOT NULL DEFAULT '',
	raised   INTEGER NOT NULL,
	cleared  INTEGER
);
CREATE UNIQUE INDEX device_alerts_open ON device_alerts(device, alert) WHERE cleared IS NULL;
`,
	// Fax (internal/fax/jobs): the send queue with its retries, and the
	// register of received faxes (商務中心 接收傳真程序).
	5: `
CREATE TABLE fax_jobs (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	command_id   TEXT    NOT NULL,
	device       TEXT    NOT NULL,
	number       TEXT    NOT NULL,   -- as the requester gave it
	dial         TEXT    NOT NULL,   -- what the modem dials
	canonical    TEXT    NOT NULL,   -- country code + national number
	kind         TEXT    NOT NULL,   -- local, national, mobile, international
	zone         TEXT    NOT NULL,   -- domestic, international (business tariff)
	destination  TEXT    NOT NULL DEFAULT '',
	room         TEXT    NOT NULL,
	operator     TEXT    NOT NULL,
	document     TEXT    NOT NULL,   -- TIFF Class F file of the pages to send
	pages        INTEGER NOT NULL,
	fine         INTEGER NOT NULL,
	quote        TEXT    NOT NULL DEFAULT '', -- JSON
	state        TEXT    NOT NULL,   -- queued, sending, retry, sent, failed
	attempts     INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL,
	retry_every  INTEGER NOT NULL,   -- ns
	next_at      INTEGER NOT NULL,
	created      INTEGER NOT NULL,
	updated      INTEGER NOT NULL,
	last_error   TEXT    NOT NULL DEFAULT '',
	confirmed    INTEGER NOT NULL DEFAULT 0,
	bitrate      INTEGER NOT NULL DEFAULT 0,
	remote_id    TEXT    NOT NULL DEFAULT '',
	started      INTEGER,
	duration     INTEGER NOT NULL DEFAULT 0, -- ns
	report       TEXT    NOT NULL DEFAULT '', -- transmission report PDF
	result       TEXT    NOT NULL DEFAULT '', -- JSON: per page results
	charge       TEXT                -- business_charges.idemkey
);
CREATE UNIQUE INDEX fax_jobs_command ON fax_jobs(command_id);
CREATE INDEX fax_jobs_due ON fax_jobs(state, next_at);
CREATE INDEX fax_jobs_created ON fax_jobs(created);

CREATE TABLE fax_register (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	key          TEXT    NOT NULL UNIQUE, -- the driver's session key
	device       TEXT    NOT NULL,
	received     INTEGER NOT NULL,
	pages        INTEGER NOT NULL,
	remote_id    TEXT    NOT NULL DEFAULT '',
	bad_lines    INTEGER NOT NULL DEFAULT 0,
	partial      INTEGER NOT NULL DEFAULT 0,
	complete     INTEGER NOT NULL DEFAULT 0,
	bitrate      INTEGER NOT NULL DEFAULT 0,
	error        TEXT    NOT NULL DEFAULT '',
	tiff         TEXT    NOT NULL DEFAULT '', -- '' once destroyed
	pdf          TEXT    NOT NULL DEFAULT '',
	status       TEXT    NOT NULL,  -- unassigned, assigned, checked-out, delivered, archived, destroyed
	room         TEXT    NOT NULL DEFAULT '',
	name         TEXT    NOT NULL DEFAULT '', -- the guest's name: never in events
	stay_id      INTEGER,
	checked_out  INTEGER,           -- the guest's check-out (status checked-out)
	assigned     INTEGER,
	delivered    INTEGER,
	delivered_by TEXT    NOT NULL DEFAULT '',
	signed_by    TEXT    NOT NULL DEFAULT '',
	archived     INTEGER,
	destroyed    INTEGER,
	charge       TEXT
);
CREATE INDEX fax_register_received ON fax_register(received);
CREATE INDEX fax_register_status ON fax_register(status, received);
`,
	// Received faxes queued for e-mail to the front desk (internal/fax/jobs).
	6: `
CREATE TABLE fax_email (
	fax_id     INTEGER PRIMARY KEY,  -- fax_register.id
	state      TEXT    NOT NULL,     -- pending, sent, given-up
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_at    INTEGER NOT NULL,
	last_error TEXT    NOT NULL DEFAULT '',
	sent       INTEGER
);
CREATE INDEX fax_email_due ON fax_email(state, next_at);
`,
	// The events each journal frame's delivery emitted, or found emitted
	// already (a record the device sent again): reconciliation follows a
	// frame to its events even where their identity is not the frame's (a
	// FIAS wake-up answer becomes hotel.pbx.wakeup.* events of the wake-up).
	7: `
CREATE TABLE journal_events (
	journal_id INTEGER NOT NULL,
	type       TEXT    NOT NULL,
	seq        INTEGER NOT NULL,
	PRIMARY KEY (journal_id, type, seq)
) WITHOUT ROWID;
`,
	// 8: who sent each command (issue 11: every act has a principal).
	8: `
ALTER TABLE commands ADD COLUMN principal TEXT NOT NULL DEFAULT '';
ALTER TABLE commands ADD COLUMN role      TEXT NOT NULL DEFAULT '';
`,
	// 9: the console's operators and their shifts (issue 13; 結帳程序: each
	// shift posts under its own operator code and closes separately). The
	// typed store is internal/operators.
	9: `
CREATE TABLE operators (
	code         TEXT    PRIMARY KEY,
	name         TEXT    NOT NULL,
	role         TEXT    NOT NULL,          -- operator, business, supervisor, admin
	pin_hash     TEXT    NOT NULL,          -- argon2id PHC string
	disabled     INTEGER NOT NULL DEFAULT 0,
	failed       INTEGER NOT NULL DEFAULT 0, -- wrong PINs since the last good one
	locked_until INTEGER,                   -- unix nanoseconds
	created      INTEGER NOT NULL,
	updated      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE shifts (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	operator TEXT    NOT NULL,
	opened   INTEGER NOT NULL,
	closed   INTEGER,
	journal  BLOB                            -- the shift journal as closed (JSON)
);
CREATE UNIQUE INDEX shifts_open ON shifts(operator) WHERE closed IS NULL;
CREATE INDEX shifts_opened ON shifts(opened);

-- The commands each shift sent (the command log names the principal; this
-- names the shift, so the shift journal is exact when a code signs in twice).
CREATE TABLE shift_commands (
	command_id TEXT    PRIMARY KEY,
	shift_id   INTEGER NOT NULL,
	sent       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX shift_commands_shift ON shift_commands(shift_id, sent);
`,
	// 10: indexes the console's pages wanted on a 400-day ledger
	// (docs/performance.md, "Console on a 400-day ledger"): the print jobs
	// the devices page and the handover check list (report.LoadDevices: the
	// same WHERE, so SQLite takes the partial index; it read all 50,000 jobs,
	// 16 ms a page), and a print job's page, which finds its job by command.
	10: `
CREATE INDEX print_jobs_to_check ON print_jobs(submitted)
	WHERE ended IS NULL OR state='orphaned' OR (charge IS NULL AND state NOT IN ('refused'));
CREATE INDEX print_jobs_command ON print_jobs(command_id);
`,
	// 11: the console shift of each charge and of the work it bills (issue
	// 13: every charge a console command causes carries the operator's
	// shift; docs/console.md). NULL: no console shift, or a row from before
	// this migration (the shift journal then falls back to the command's
	// link and the shift's time window). A desk copies the command's shift
	// onto the job or session it records, so a charge made later (a print
	// job that ends after its shift closed) still takes the shift that
	// sent it; fax_register names the shift that delivered the fax.
	11: `
ALTER TABLE business_charges ADD COLUMN shift INTEGER;
ALTER TABLE print_jobs       ADD COLUMN shift INTEGER;
ALTER TABLE copy_sessions    ADD COLUMN shift INTEGER;
ALTER TABLE fax_jobs         ADD COLUMN shift INTEGER;
ALTER TABLE fax_register     ADD COLUMN delivered_shift INTEGER;
CREATE INDEX business_charges_shift ON business_charges(shift) WHERE shift IS NOT NULL;
-- The shift journal's fallback reads the charges without a shift by operator and time.
CREATE INDEX business_charges_unshifted ON business_charges(operator, at) WHERE shift IS NULL;
`,
	// 12: how each flagged call (跑帳/漏帳) was resolved: posted to a room,
	// written off or re-rated, by whom, when and why (internal/folio,
	// call.resolve; the typed store is internal/folio/ledger).
	12: `
CREATE TABLE call_resolutions (
	call         TEXT    PRIMARY KEY,        -- calls.idemkey: one resolution per call
	call_start   INTEGER NOT NULL,           -- calls.start: a day's lists read a period
	action       TEXT    NOT NULL,           -- post, write-off, rerate
	reason       TEXT    NOT NULL,
	room         TEXT    NOT NULL DEFAULT '', -- posted to (post, rerate)
	stay_id      INTEGER,
	price        TEXT    NOT NULL DEFAULT '', -- posted (post, rerate) or written off
	amount_minor INTEGER NOT NULL DEFAULT 0,
	currency     TEXT    NOT NULL DEFAULT '',
	manual       INTEGER NOT NULL DEFAULT 0,  -- rerate: the amount was given by hand
	principal    TEXT    NOT NULL,
	role         TEXT    NOT NULL DEFAULT '',
	command_id   TEXT    NOT NULL DEFAULT '',
	resolved     INTEGER NOT NULL,           -- unix nanoseconds
	event_seq    INTEGER NOT NULL,           -- hotel.pbx.call.resolved
	charge_seq   INTEGER                     -- its hotel.pbx.call.charged, or the credit (call.adjusted) of a posted call written off
) WITHOUT ROWID;
CREATE INDEX call_resolutions_start ON call_resolutions(call_start);
`,
	// 13: the fax register searched by room (the console's inbox search,
	// faxjobs.Search): without it a room's faxes were found by reading the
	// whole register in time order ("SCAN fax_register USING INDEX
	// fax_register_received", 11 ms of CPU on 50,000 faxes); received
	// after room keeps the newest-first order without sorting.
	13: `
CREATE INDEX fax_register_room ON fax_register(room, received);
`,
	// 14: fewer pages per SMDR commit (issue 12: every page is written to
	// the WAL, fsynced, and later copied by a checkpoint).
	//  - What the broker acknowledged becomes one cursor in meta
	//    (MarkPublished) instead of a time on each outbox row, which
	//    rewrote a second's worth of rows and their payloads at once.
	//  - The journal's status index keeps only the frames that are not
	//    'parsed' (new, unparsed, skipped, duplicate: the few anyone looks
	//    for). A parsed frame moved from the 'new' end of the full index
	//    to the 'parsed' end in its own commit: two leaf pages, and an
	//    index as large as the journal. Queries that want it say
	//    status <> 'parsed' (https://sqlite.org/partialindex.html §2.2:
	//    a partial index serves a query whose WHERE has its term).
	14: `
INSERT OR IGNORE INTO meta(key, value)
	SELECT 'published_seq', CAST(m AS TEXT) FROM (SELECT MAX(seq) AS m FROM outbox WHERE published IS NOT NULL) WHERE m IS NOT NULL;
DROP INDEX journal_status;
CREATE INDEX journal_unsettled ON journal(status, id) WHERE status <> 'parsed';
`,
}

func (s *Store) migrate(ctx context.Context) error {
	// Created only when missing: CREATE TABLE IF NOT EXISTS takes the
	// write lock even when the table is there, and a store opened beside
	// the running daemon (`switchboard backup`, `report`) must not queue
	// for it behind the daemon's commits (it waited out busy_timeout).
	var exists int
	if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='schema_migrations'`).Scan(&exists); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	if exists == 0 {
		if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
			return fmt.Errorf("migrations table: %w", err)
		}
	}
	var have int
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version),0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations)-1 {
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d): use a newer switchboard", have, len(migrations)-1)
	}
	// Every version not applied yet, not only those above the highest: a
	// number reserved by a branch that lands later (an empty entry, not
	// recorded) is applied once it has its SQL, after higher ones.
	applied := map[int]bool{}
	rows, err := s.w.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("read schema versions: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("read schema versions: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read schema versions: %w", err)
	}
	for v := 1; v < len(migrations); v++ {
		if applied[v] || migrations[v] == "" {
			continue
		}
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
