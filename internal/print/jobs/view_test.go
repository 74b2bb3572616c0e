package jobs

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"switchboard/internal/events/printer"
	"switchboard/internal/store"
)

func TestViews(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	keep := t0.Add(48 * time.Hour)
	err = st.InTx(ctx, func(tx *store.Tx) error {
		// cmd-a ended and was billed, cmd-b still runs, cmd-c was yesterday's.
		a, err := Submitting(tx, Job{Device: "prn1", CommandID: "cmd-a", Room: "1203", Operator: "0002", Name: "a.pdf", Copies: 2,
			Sides: "one-sided", Color: "monochrome", Media: "iso_a4_210x297mm", Bytes: 10, Spool: "/spool/a", KeepUntil: &keep, Submitted: t0})
		if err != nil {
			return err
		}
		if err := Accepted(tx, a, 41); err != nil {
			return err
		}
		if err := Ended(tx, "prn1", a, End{JobID: 41, State: "completed", Impressions: 4, Sheets: 4, At: t0.Add(time.Minute), Charge: "prn1/print/x"}); err != nil {
			return err
		}
		if _, err := Submitting(tx, Job{Device: "prn1", CommandID: "cmd-b", Room: "1205", Operator: "0002", Copies: 1, Sides: "one-sided",
			Color: "color", Media: "iso_a4_210x297mm", Submitted: t0.Add(2 * time.Minute)}); err != nil {
			return err
		}
		if _, err := Submitting(tx, Job{Device: "prn1", CommandID: "cmd-c", Room: "1101", Operator: "0002", Copies: 1, Sides: "one-sided",
			Color: "color", Media: "iso_a4_210x297mm", Submitted: t0.Add(-24 * time.Hour)}); err != nil {
			return err
		}
		s1, err := StartSession(tx, Session{Device: "mfp1", Room: "1203", Operator: "0002", Media: "iso_a4_210x297mm", Color: "monochrome",
			CommandID: "c1", Start: printer.Counters{At: t0, Source: printer.FromIPP, Impressions: 100}})
		if err != nil {
			return err
		}
		if err := BillSession(tx, s1, printer.Counters{At: t0.Add(time.Hour), Impressions: 130}, 5, 25, "mfp1/copy-session/1"); err != nil {
			return err
		}
		_, err = StartSession(tx, Session{Device: "mfp2", Room: "1205", Operator: "0002", Media: "iso_a4_210x297mm", Color: "color",
			CommandID: "c2", Start: printer.Counters{At: t0.Add(-48 * time.Hour), Source: printer.FromSNMP, Impressions: 7}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cmd     string
		ok      bool
		state   string
		running bool
		jobID   int
	}{
		{"cmd-a", true, "completed", false, 41},
		{"cmd-b", true, "submitting", true, 0},
		{"", false, "", false, 0},
		{"nope", false, "", false, 0},
	} {
		j, ok, err := ByCommand(ctx, st, tc.cmd)
		if err != nil || ok != tc.ok || j.State != tc.state || (ok && j.Running() != tc.running) || j.JobID != tc.jobID {
			t.Errorf("ByCommand(%q) = %+v %v %v", tc.cmd, j, ok, err)
		}
	}
	a, _, _ := ByCommand(ctx, st, "cmd-a")
	if a.KeepUntil == nil || !a.KeepUntil.Equal(keep) || a.Charge != "prn1/print/x" || a.Impressions != 4 || a.Spool != "/spool/a" {
		t.Errorf("job a: %+v", a)
	}
	recent, err := Recent(ctx, st, 2)
	if err != nil || len(recent) != 2 || recent[0].CommandID != "cmd-c" || recent[1].CommandID != "cmd-b" {
		t.Errorf("Recent: %+v %v", recent, err)
	}
	ss, err := Sessions(ctx, st, t0.Add(-time.Hour), 10)
	if err != nil || len(ss) != 2 || ss[0].Status != "open" || ss[0].Device != "mfp2" || ss[1].Status != "billed" || ss[1].Pages != 25 || ss[1].End != 130 {
		t.Errorf("Sessions: %+v %v", ss, err)
	}
	if s, ok, err := SessionByID(ctx, st, ss[1].ID); err != nil || !ok || s.Charge != "mfp1/copy-session/1" || s.Printed != 5 {
		t.Errorf("SessionByID: %+v %v %v", s, ok, err)
	}
	if _, ok, err := SessionByID(ctx, st, 999); err != nil || ok {
		t.Errorf("SessionByID(999): %v %v", ok, err)
	}
}
