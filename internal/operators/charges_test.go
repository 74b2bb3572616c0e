package operators_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"switchboard/internal/store"
)

// TestJournalChargesByCommand: a charge belongs to the shift whose console
// command caused it, whenever it was billed; a charge no console command
// caused belongs to the operator's shift open at the time.
func TestJournalChargesByCommand(t *testing.T) {
	ops, st := newStore(t)
	ctx := context.Background()
	a, _, _ := ops.OpenShift(ctx, "0002", t0)
	// Shift a sends a print job (row 1) and, by MQTT, another (row 2,
	// not linked to a shift); it closes before the first is billed.
	if err := ops.RecordCommand(ctx, a.ID, "cmd-print-a", t0.Add(50*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.CloseShift(ctx, a.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	b, _, _ := ops.OpenShift(ctx, "0002", t0.Add(time.Hour+time.Minute))
	if err := ops.RecordCommand(ctx, b.ID, "cmd-copy-b", t0.Add(time.Hour+2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	err := st.InTx(ctx, func(tx *store.Tx) error {
		// These charges are from before store migration 11 (no shift):
		// it ran at t0, whatever the test machine's clock says, so the
		// journal still looks for late charges linked to a shift.
		if _, err := tx.Exec(`UPDATE schema_migrations SET applied=? WHERE version=11`, t0.Unix()); err != nil {
			return err
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO print_jobs(id, device, command_id, room, operator, copies, sides, color, media, bytes, submitted, state)
				VALUES(1,'prn1','cmd-print-a','1203','0002',1,'one-sided','monochrome','iso_a4_210x297mm',10,?,'completed')`, []any{t0.Add(50 * time.Minute).UnixNano()}},
			{`INSERT INTO print_jobs(id, device, command_id, room, operator, copies, sides, color, media, bytes, submitted, state)
				VALUES(2,'prn1','cmd-mqtt','1205','0002',1,'one-sided','monochrome','iso_a4_210x297mm',10,?,'completed')`, []any{t0.Add(20 * time.Minute).UnixNano()}},
			{`INSERT INTO copy_sessions(id, device, room, operator, media, color, command_id, started, source, start_count, status)
				VALUES(1,'prn1','1205','0002','A4','mono','cmd-copy-b',?,'ipp',100,'billed')`, []any{t0.Add(time.Hour + 2*time.Minute).UnixNano()}},
		} {
			if _, err := tx.Exec(q.sql, q.args...); err != nil {
				return err
			}
		}
		for _, c := range []struct {
			key, service, ref, operator string
			at                          time.Duration
			minor                       int64
		}{
			{"print-a", "print", "print/1", "0002", time.Hour + 5*time.Minute, 100}, // billed in b's window, caused by a
			{"print-mqtt", "print", "print/2", "0002", 30 * time.Minute, 20},        // no console command: a's window
			{"copy-b", "copy", "copy/1", "0002", 2 * time.Hour, 300},                // caused by b
			{"fax-in", "fax-receive", "fax/9", "0002", 90 * time.Minute, 4000},      // delivered in b's window
			{"other", "print", "print/1", "0009", 90 * time.Minute, 7},              // another operator's
		} {
			if _, err := tx.Exec(`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state,
				amount, amount_minor, currency, tariff, breakdown, seq) VALUES(?,?,'prn1',?,'1203',?,?,1,'',0,0,'completed','0',?,'TWD','t','[]',1)`,
				c.key, c.service, c.ref, c.operator, t0.Add(c.at).UnixNano(), c.minor); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(3 * time.Hour)
	for _, tc := range []struct {
		name  string
		shift int64
		want  string
	}{
		{"a: its print billed after it closed, and the MQTT print in its window", a.ID, "charges/print=2/120"},
		{"b: its copy and the fax delivered in its window, not a's print", b.ID, "charges/copy=1/300 charges/fax-receive=1/4000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := ops.Journal(ctx, tc.shift, now)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, s := range j.Services {
				if s.Charges > 0 {
					got += fmt.Sprintf(" %s=%d/%d", s.Service, s.Charges, s.AmountMinor)
				}
			}
			if got != " "+tc.want {
				t.Errorf("charges%s, want %s", got, tc.want)
			}
		})
	}
}
