package printdesk

import (
	"context"
	"database/sql"
	"testing"

	"switchboard/internal/events"
	"switchboard/internal/events/printer"
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
