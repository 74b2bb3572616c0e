package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestMigrationShiftKeepsOldRows: a store at schema 10 with a charge, a
// print job, a copy session, a fax job and a delivered fax is opened by
// this binary: migration 11 adds the shift columns, the rows written
// before it keep NULL (no shift is invented for them: the shift journal
// falls back to the command link and time window), and new rows take one.
func TestMigrationShiftKeepsOldRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old := oldStore(t, path, 10)
	for _, q := range []string{
		`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state,
			amount, amount_minor, currency, tariff, breakdown, seq) VALUES('old','print','prn1','print/1','1203','0002',1,1,'A4',0,0,'completed','5',500,'TWD','t','[]',1)`,
		`INSERT INTO print_jobs(id, device, command_id, room, operator, copies, sides, color, media, bytes, submitted, state)
			VALUES(1,'prn1','c1','1203','0002',1,'one-sided','monochrome','iso_a4_210x297mm',10,1,'completed')`,
		`INSERT INTO copy_sessions(device, room, operator, media, color, command_id, started, source, start_count, status)
			VALUES('prn1','1203','0002','A4','monochrome','c2',1,'ipp',100,'billed')`,
		`INSERT INTO fax_jobs(command_id, device, number, dial, canonical, kind, zone, room, operator, document, pages, fine, state,
			max_attempts, retry_every, next_at, created, updated) VALUES('c3','fax1','02','02','8862','local','domestic','1203','0002','f',1,0,'sent',3,1,1,1,1)`,
		`INSERT INTO fax_register(key, device, received, pages, status, delivered, delivered_by) VALUES('k','fax1',1,1,'delivered',2,'0002')`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state,
			amount, amount_minor, currency, tariff, breakdown, seq, shift) VALUES('new','print','prn1','print/2','1203','0002',2,1,'A4',0,0,'completed','5',500,'TWD','t','[]',2,7)`)
		return err
	}); err != nil {
		t.Fatalf("a charge with a shift after migration 11: %v", err)
	}
	for _, tc := range []struct {
		query string
		want  sql.NullInt64
	}{
		{`SELECT shift FROM business_charges WHERE idemkey='old'`, sql.NullInt64{}},
		{`SELECT shift FROM print_jobs WHERE id=1`, sql.NullInt64{}},
		{`SELECT shift FROM copy_sessions`, sql.NullInt64{}},
		{`SELECT shift FROM fax_jobs`, sql.NullInt64{}},
		{`SELECT delivered_shift FROM fax_register`, sql.NullInt64{}},
		{`SELECT shift FROM business_charges WHERE idemkey='new'`, sql.NullInt64{Int64: 7, Valid: true}},
		{`SELECT MAX(version) FROM schema_migrations`, sql.NullInt64{Int64: int64(len(migrations) - 1), Valid: true}},
	} {
		var got sql.NullInt64
		if err := st.QueryRow(ctx, tc.query).Scan(&got); err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.query, got, tc.want)
		}
	}
}
