package operators_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"switchboard/internal/store"
)

// TestJournalChargesByShiftColumn: a charge that names its shift
// (business_charges.shift, store migration 11) is in that shift's journal,
// whoever's operator code it carries and whenever it was billed; a charge
// without one keeps the fallback: the command link, then the operator's
// time window.
func TestJournalChargesByShiftColumn(t *testing.T) {
	ops, st := newStore(t)
	ctx := context.Background()
	a, _, _ := ops.OpenShift(ctx, "0002", t0)
	if err := ops.RecordCommand(ctx, a.ID, "cmd-old-a", t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.CloseShift(ctx, a.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	b, _, _ := ops.OpenShift(ctx, "0002", t0.Add(time.Hour+time.Minute))
	if err := ops.RecordCommand(ctx, b.ID, "cmd-b", t0.Add(time.Hour+2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	err := st.InTx(ctx, func(tx *store.Tx) error {
		for _, q := range []string{
			// A job from before migration 11, linked to a by its command.
			`INSERT INTO print_jobs(id, device, command_id, room, operator, copies, sides, color, media, bytes, submitted, state)
				VALUES(1,'prn1','cmd-old-a','1203','0002',1,'one-sided','monochrome','iso_a4_210x297mm',10,0,'completed')`,
			// A job b's command linked, but whose row says a sent it: the
			// shift recorded with the charge decides.
			`INSERT INTO print_jobs(id, device, command_id, room, operator, copies, sides, color, media, bytes, submitted, state, shift)
				VALUES(2,'prn1','cmd-b','1203','0002',1,'one-sided','monochrome','iso_a4_210x297mm',10,0,'completed',` + fmt.Sprint(a.ID) + `)`,
		} {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		for _, c := range []struct {
			key, service, ref, operator string
			at                          time.Duration
			minor                       int64
			shift                       any
		}{
			{"late-a", "print", "print/9", "0002", 2 * time.Hour, 100, a.ID},                 // billed in b's window, sent in a
			{"column-wins", "print", "print/2", "0002", 90 * time.Minute, 20, a.ID},          // linked to b, recorded under a
			{"delivered-b", "fax-receive", "fax/3", "bell 12", 80 * time.Minute, 4000, b.ID}, // delivered by a bellboy in b
			{"old-linked-a", "print", "print/1", "0002", 2 * time.Hour, 3, nil},              // before migration 11: the link
			{"old-window-b", "copy", "copy/7", "0002", 2 * time.Hour, 300, nil},              // before migration 11: the window
			{"other-shift", "print", "print/8", "0002", 2 * time.Hour, 7, b.ID + 100},        // someone else's shift
		} {
			if _, err := tx.Exec(`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state,
				amount, amount_minor, currency, tariff, breakdown, seq, shift) VALUES(?,?,'prn1',?,'1203',?,?,1,'',0,0,'completed','0',?,'TWD','t','[]',1,?)`,
				c.key, c.service, c.ref, c.operator, t0.Add(c.at).UnixNano(), c.minor, c.shift); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(3 * time.Hour)
	// migrated sets when store migration 11 ran (unix seconds).
	migrated := func(at time.Time) {
		if err := st.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(`UPDATE schema_migrations SET applied=? WHERE version=11`, at.Unix())
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name     string
		migrated time.Time
		shift    int64
		want     string
	}{
		{"a: its late print, the job it sent though b's command is linked, its pre-migration print", t0, a.ID, " charges/print=3/123"},
		{"b: the fax its bellboy delivered, the pre-migration copy in its window", t0, b.ID, " charges/copy=1/300 charges/fax-receive=1/4000"},
		// A charge without a shift billed more than a day after the
		// migration is not looked for past a's end: the late ones name
		// their shift by then.
		{"a, migrated two days before: not its unshifted print billed after its end", t0.Add(-48 * time.Hour), a.ID, " charges/print=2/120"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			migrated(tc.migrated)
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
			if got != tc.want {
				t.Errorf("charges%s, want%s", got, tc.want)
			}
		})
	}
}
