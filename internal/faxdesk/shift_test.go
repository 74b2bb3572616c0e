package faxdesk

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
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

// TestFaxChargesCarryTheShift: fax.send copies its shift onto the job, and
// the attempt's charge, made later by the send queue (no command then),
// takes it from the job; fax.deliver records its shift on the register
// line and on the charge. A back office's commands record none.
func TestFaxChargesCarryTheShift(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		shift int64
		want  sql.NullInt64
		// who the envelopes of hotel.fax.sent (the queue's, later) and
		// hotel.fax.delivered (fax.deliver's own) name
		sentBy, deliveredBy string
	}{
		{"console shift 5", 5, sql.NullInt64{Int64: 5, Valid: true}, "0002", "0002"},
		{"back office", 0, sql.NullInt64{}, "", "pms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Options{Policy: faxjobs.Policy{Attempts: 1, Interval: time.Minute}})
			ctx := context.Background()
			r.modem.next = []func(fax.SendJob, time.Time) (fax.SendResult, error){delivered}
			c := r.command("fax.send", fax.SendData{To: "010 6512 3456", Room: "1203", Operator: "0002", Document: base64.StdEncoding.EncodeToString([]byte("one page"))})
			sender := store.CommandRow{ID: c.ID, Topic: "fax/fax1/fax.send", Client: "console", Received: r.h.Now(), Status: store.CommandAccepted,
				Principal: "0002", Role: "operator"}
			if tc.shift == 0 {
				sender.Principal, sender.Role = "pms", "backoffice"
			}
			if err := r.h.InTx(ctx, func(tx *store.Tx) error { return tx.PutCommand(sender) }); err != nil {
				t.Fatal(err)
			}
			res, err := r.h.Handler("fax.send").(bus.Preparer).Prepare(inShift(tc.shift), c)
			if err != nil {
				t.Fatal(err)
			}
			id := res.(fax.Quote).JobID
			r.attemptDue()
			r.receive("fax1/rx/1", 1)
			if _, err := r.h.RunIn(inShift(tc.shift), t, r.command("fax.deliver", fax.DeliverData{ID: 1, DeliveredBy: "0002", SignedBy: "guest"})); err != nil {
				t.Fatal(err)
			}
			for _, q := range []struct {
				what, query string
				args        []any
			}{
				{"the job", `SELECT shift FROM fax_jobs WHERE id=?`, []any{id}},
				{"the attempt's charge", `SELECT shift FROM business_charges WHERE service='fax-send'`, nil},
				{"the register's delivery", `SELECT delivered_shift FROM fax_register WHERE id=1`, nil},
				{"the delivery's charge", `SELECT shift FROM business_charges WHERE service='fax-receive'`, nil},
			} {
				var got sql.NullInt64
				if err := r.h.Store().QueryRow(ctx, q.query, q.args...).Scan(&got); err != nil {
					t.Fatalf("%s: %v", q.what, err)
				}
				if got != tc.want {
					t.Errorf("%s: shift %+v, want %+v", q.what, got, tc.want)
				}
			}
			rows, err := r.h.Store().Pending(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, row := range rows {
				var env events.Envelope
				if err := json.Unmarshal(row.Payload, &env); err != nil {
					t.Fatal(err)
				}
				want := map[string]string{"hotel.fax.sent": tc.sentBy, "hotel.fax.delivered": tc.deliveredBy}
				by, ok := want[env.Type]
				if !ok {
					continue
				}
				seen[env.Type] = true
				if env.Principal != by || env.Shift != tc.want.Int64 {
					t.Errorf("%s: principal %q shift %d, want %q %d", env.Type, env.Principal, env.Shift, by, tc.want.Int64)
				}
			}
			if len(seen) != 2 {
				t.Errorf("events seen: %v, want hotel.fax.sent and hotel.fax.delivered", seen)
			}
		})
	}
}

// A delivery's charge is booked to the clerk who sent fax.deliver, by
// code, while the register keeps who carried the fax up (a bellboy's
// name); a back office's delivery, which names no operator, books the
// charge to its delivered_by.
func TestDeliveryChargedToTheSender(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, deliveredBy, charged string
		ctx                        context.Context
	}{
		{"the console's clerk, a bellboy carried it", "bellboy Li", "0002", inShift(5)},
		{"the back office", "front desk Wang", "front desk Wang", inShift(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Options{})
			ctx := context.Background()
			r.receive("fax1/rx/1", 1)
			if _, err := r.h.RunIn(tc.ctx, t, r.command("fax.deliver", fax.DeliverData{ID: 1, DeliveredBy: tc.deliveredBy, SignedBy: "guest"})); err != nil {
				t.Fatal(err)
			}
			var charged, register string
			if err := r.h.Store().QueryRow(ctx, `SELECT operator FROM business_charges WHERE service='fax-receive'`).Scan(&charged); err != nil {
				t.Fatal(err)
			}
			if err := r.h.Store().QueryRow(ctx, `SELECT delivered_by FROM fax_register WHERE id=1`).Scan(&register); err != nil {
				t.Fatal(err)
			}
			if charged != tc.charged || register != tc.deliveredBy {
				t.Fatalf("charge booked to %q, register says delivered by %q; want %q and %q", charged, register, tc.charged, tc.deliveredBy)
			}
		})
	}
}
