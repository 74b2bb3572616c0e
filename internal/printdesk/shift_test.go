package printdesk

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/events/printer"
	"switchboard/internal/operators"
	"switchboard/internal/store"
)

// inShift is a command context as the router builds it for the console's
// operator 0002 in shift sh (0: a back office's command, no shift).
func inShift(sh int64) context.Context {
	if sh == 0 {
		return events.WithActor(context.Background(), events.Actor{Principal: "pms", Role: "backoffice"})
	}
	return events.WithActor(context.Background(), events.Actor{Principal: "0002", Role: "operator", Shift: sh})
}

// TestChargesTakeTheShiftThatSentTheWork: the desk copies the command's
// shift onto the print job and the copy session it records, and their
// charges take it from there: a print job's end is reported by the device
// (no command, no shift in the context), a copy session is stopped by a
// later command, maybe in the next shift. A session no console shift
// started is billed under the shift that stopped it.
func TestChargesTakeTheShiftThatSentTheWork(t *testing.T) {
	t.Parallel()
	null := sql.NullInt64{}
	shift := func(n int64) sql.NullInt64 { return sql.NullInt64{Int64: n, Valid: true} }
	for _, tc := range []struct {
		name       string
		start      int64 // shift of print.submit or copy.start (0: back office)
		stop       int64 // shift of copy.stop (print: unused)
		copy       bool
		wantRow    sql.NullInt64
		wantCharge sql.NullInt64
	}{
		{"print sent in shift 5", 5, 0, false, shift(5), shift(5)},
		{"print sent by the back office", 0, 0, false, null, null},
		{"copy started in shift 5, stopped in shift 6", 5, 6, true, shift(5), shift(5)},
		{"copy started by the back office, stopped in shift 6", 0, 6, true, null, shift(6)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			table := "print_jobs"
			if tc.copy {
				table = "copy_sessions"
				if _, err := r.h.RunIn(inShift(tc.start), t, r.h.Command(t, "print", "prn1", "copy.start", printer.CopyStartData{Room: "1203", Operator: "0002"})); err != nil {
					t.Fatal(err)
				}
				r.prn.mu.Lock()
				r.prn.counter += 3
				r.prn.mu.Unlock()
				if _, err := r.h.RunIn(inShift(tc.stop), t, r.h.Command(t, "print", "prn1", "copy.stop", printer.CopyStopData{Room: "1203"})); err != nil {
					t.Fatal(err)
				}
			} else if _, err := r.h.RunIn(inShift(tc.start), t, r.h.Command(t, "print", "prn1", "print.submit",
				printer.SubmitData{Room: "1203", Operator: "0002", Document: doc("x")})); err != nil {
				t.Fatal(err)
			}
			var row, charge sql.NullInt64
			ctx := context.Background()
			if err := r.h.Store().QueryRow(ctx, `SELECT shift FROM `+table).Scan(&row); err != nil {
				t.Fatal(err)
			}
			if err := r.h.Store().QueryRow(ctx, `SELECT shift FROM business_charges`).Scan(&charge); err != nil {
				t.Fatal(err)
			}
			if row != tc.wantRow || charge != tc.wantCharge {
				t.Errorf("%s shift %+v, charge shift %+v; want %+v, %+v", table, row, charge, tc.wantRow, tc.wantCharge)
			}
		})
	}
}

// TestLatePrintStaysInItsShift: a print job sent in shift a whose end the
// printer reports after a closed and the same operator's shift b opened is
// in a's journal, not b's, though b's window holds it; the same job sent
// by the back office (no shift) counts, as before, in the window of the
// operator's shift it was billed in.
func TestLatePrintStaysInItsShift(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		console bool
		inA     int // print charges in each journal
		inB     int
	}{
		{"sent from the console in shift a", true, 1, 0},
		{"sent by the back office", false, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			ctx := context.Background()
			ops := operators.New(r.h.Store())
			t0 := r.h.Now()
			a, _, err := ops.OpenShift(ctx, "0002", t0.Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			// The printer reports the job's end two hours on (a queue, a
			// jam cleared by the next shift).
			two := pages(2)
			r.prn.end = func(id printer.JobID, j printer.Job, at time.Time) printer.JobDone {
				return two(id, j, at.Add(2*time.Hour))
			}
			var sender int64
			if tc.console {
				sender = a.ID
			}
			if _, err := r.h.RunIn(inShift(sender), t, r.h.Command(t, "print", "prn1", "print.submit",
				printer.SubmitData{Room: "1203", Operator: "0002", Document: doc("x")})); err != nil {
				t.Fatal(err)
			}
			if _, err := ops.CloseShift(ctx, a.ID, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			b, _, err := ops.OpenShift(ctx, "0002", t0.Add(time.Hour+time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			for _, sh := range []struct {
				id   int64
				want int
			}{{a.ID, tc.inA}, {b.ID, tc.inB}} {
				j, err := ops.Journal(ctx, sh.id, t0.Add(3*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				got := 0
				for _, s := range j.Services {
					if s.Service == "charges/print" {
						got = s.Charges
					}
				}
				if got != sh.want {
					t.Errorf("shift %d: %d print charges, want %d (%+v)", sh.id, got, sh.want, j.Services)
				}
			}
		})
	}
}

// TestJobEndNamesItsSender: the printer reports a job's end with no command
// being handled; hotel.print.job.completed still names the print.submit
// command's sender and shift (from the command log and the job's row) when
// a console shift sent it, and no one when the back office did (as
// before: only the console's shift is carried).
func TestJobEndNamesItsSender(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		sender        store.CommandRow
		shift         int64
		wantPrincipal string
	}{
		{"sent from the console in shift 5", store.CommandRow{Principal: "0002", Role: "operator"}, 5, "0002"},
		{"sent by the back office", store.CommandRow{Principal: "pms", Role: "backoffice"}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			ctx := context.Background()
			c := r.h.Command(t, "print", "prn1", "print.submit", printer.SubmitData{Room: "1203", Operator: "0002", Document: doc("x")})
			row := tc.sender
			row.ID, row.Topic, row.Client, row.Received, row.Status = c.ID, "print/prn1/print.submit", "console", r.h.Now(), store.CommandAccepted
			if err := r.h.InTx(ctx, func(tx *store.Tx) error { return tx.PutCommand(row) }); err != nil {
				t.Fatal(err)
			}
			ctxCmd := events.WithActor(ctx, events.Actor{Principal: tc.sender.Principal, Role: tc.sender.Role, Shift: tc.shift})
			if _, err := r.h.RunIn(ctxCmd, t, c); err != nil {
				t.Fatal(err)
			}
			rows, err := r.h.Store().Pending(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, row := range rows {
				var env events.Envelope
				if err := json.Unmarshal(row.Payload, &env); err != nil {
					t.Fatal(err)
				}
				if env.Type != "hotel.print.job.completed" {
					continue
				}
				found = true
				if env.Principal != tc.wantPrincipal || env.Shift != tc.shift {
					t.Errorf("job.completed: principal %q shift %d, want %q %d", env.Principal, env.Shift, tc.wantPrincipal, tc.shift)
				}
			}
			if !found {
				t.Fatal("no hotel.print.job.completed")
			}
		})
	}
}
