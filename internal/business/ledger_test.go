package business

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// TestRecordShift: a charge is recorded under the shift its entry names
// (the job's, copied when the command was accepted), else under the shift
// of the command being handled (the context's actor), else under none.
func TestRecordShift(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	console := events.WithActor(context.Background(), events.Actor{Principal: "0002", Role: "operator", Shift: 9})
	backoffice := events.WithActor(context.Background(), events.Actor{Principal: "pms", Role: "backoffice"})
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		shift int64 // Entry.Shift
		want  sql.NullInt64
	}{
		{"a console command's charge", console, 0, sql.NullInt64{Int64: 9, Valid: true}},
		{"a job's shift wins over the command being handled", console, 4, sql.NullInt64{Int64: 4, Valid: true}},
		{"a job's shift with no command (the device reported its end)", context.Background(), 4, sql.NullInt64{Int64: 4, Valid: true}},
		{"a back office's command: no shift", backoffice, 0, sql.NullInt64{}},
		{"no command, no job shift", context.Background(), 0, sql.NullInt64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Entry{IdemKey: tc.name, Service: rating.ServicePrint, Device: "prn1", Ref: "print/1", Room: "1203", Operator: "0002",
				At: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC), Units: 2, Size: "A4", State: "completed", Tariff: "t", Seq: 1, Shift: tc.shift,
				Price: Price{BusinessResult: rating.BusinessResult{Service: rating.ServicePrint, Currency: "TWD"}}}
			if err := st.InTx(tc.ctx, func(tx *store.Tx) error { return Record(tx, e) }); err != nil {
				t.Fatal(err)
			}
			var got sql.NullInt64
			if err := st.QueryRow(context.Background(), `SELECT shift FROM business_charges WHERE idemkey=?`, tc.name).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("shift %+v, want %+v", got, tc.want)
			}
		})
	}
}
