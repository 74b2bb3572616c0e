package operators_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/internal/store"
)

// TestJournalChargesByJob: the journal lists the shift's charges by the
// job that caused them: a fax sent from the console is one line under its
// fax job, its attempts' charges summed, in the shift that sent it even
// when an attempt was billed after that shift closed; a fax delivered
// counts in the shift open when it was billed.
func TestJournalChargesByJob(t *testing.T) {
	ops, st := newStore(t)
	ctx := context.Background()
	a, _, _ := ops.OpenShift(ctx, "0002", t0)
	if err := ops.RecordCommand(ctx, a.ID, "cmd-fax-a", t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.CloseShift(ctx, a.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	b, _, _ := ops.OpenShift(ctx, "0002", t0.Add(time.Hour+time.Minute))
	if err := ops.RecordCommand(ctx, b.ID, "cmd-print-b", t0.Add(time.Hour+2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	err := st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(`INSERT INTO fax_jobs(id, command_id, device, number, dial, canonical, kind, zone, room, operator, document, pages, fine,
			state, max_attempts, retry_every, next_at, created, updated) VALUES(7,'cmd-fax-a','fax1','65123456','65123456','862165123456','local',
			'domestic','1203','0002','x.tif',5,1,'failed',3,0,0,?,?)`, t0.UnixNano(), t0.UnixNano()); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO print_jobs(id, device, command_id, room, operator, copies, sides, color, media, bytes, submitted, state)
			VALUES(1,'prn1','cmd-print-b','1205','0002',1,'one-sided','monochrome','iso_a4_210x297mm',10,?,'completed')`, t0.Add(time.Hour).UnixNano()); err != nil {
			return err
		}
		for _, c := range []struct {
			key, service, ref, room string
			at                      time.Duration
			units, minor            int64
		}{
			{"fax1/fax-job/7/attempt/1", "fax-send", "fax-job/7", "1203", 20 * time.Minute, 2, 1200},    // in a
			{"fax1/fax-job/7/attempt/3", "fax-send", "fax-job/7", "1203", 70 * time.Minute, 3, 1500},    // a's job, billed in b's window
			{"prn1/print/1", "print", "print/1", "1205", time.Hour + 5*time.Minute, 4, 400},             // b's print
			{"fax1/fax/9/deliver", "fax-receive", "fax/9", "1210", time.Hour + 30*time.Minute, 1, 2000}, // delivered in b
		} {
			if _, err := tx.Exec(`INSERT INTO business_charges(idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state,
				amount, amount_minor, currency, tariff, breakdown, seq) VALUES(?,?,'dev',?,?,'0002',?,?,'',0,0,'completed','0',?,'CNY','t','[]',1)`,
				c.key, c.service, c.ref, c.room, t0.Add(c.at).UnixNano(), c.units, c.minor); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		shift int64
		want  []string // service ref command room charges units amount
	}{
		{"a: its fax, both attempts", a.ID, []string{"fax-send fax-job/7 cmd-fax-a 1203 2 5 2700 CNY"}},
		{"b: its print, then the fax delivered", b.ID, []string{"print print/1 cmd-print-b 1205 1 4 400 CNY", "fax-receive fax/9  1210 1 1 2000 CNY"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := ops.Journal(ctx, tc.shift, t0.Add(3*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range j.Charges {
				got = append(got, fmt.Sprintf("%s %s %s %s %d %d %d %s", c.Service, c.Ref, c.CommandID, c.Room, c.Charges, c.Units, c.AmountMinor, c.Currency))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("charges by job:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
