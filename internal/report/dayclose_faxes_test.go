package report

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/operators"
	"switchboard/internal/store"
)

// TestDayCloseOpenFaxes: the day close hands over every fax received by
// the day's end that was neither delivered nor destroyed, whatever day it
// came in, and no other.
func TestDayCloseOpenFaxes(t *testing.T) {
	st := openStore(t)
	loc := time.FixedZone("CST", 8*3600)
	p, err := Day("2026-12-03", loc)
	if err != nil {
		t.Fatal(err)
	}
	faxes := []struct {
		key      string
		received time.Time
		then     func(tx *store.Tx, id int64) error
		open     bool
	}{
		{"unassigned", p.From.Add(time.Hour), nil, true},
		{"assigned", p.From.Add(2 * time.Hour), func(tx *store.Tx, id int64) error {
			_, err := faxjobs.Assign(tx, id, faxjobs.Assignment{Room: "1201"}, p.From.Add(3*time.Hour))
			return err
		}, true},
		{"delivered", p.From.Add(3 * time.Hour), func(tx *store.Tx, id int64) error {
			if _, err := faxjobs.Assign(tx, id, faxjobs.Assignment{Room: "1201"}, p.From.Add(4*time.Hour)); err != nil {
				return err
			}
			_, err := faxjobs.Deliver(tx, id, "0002", "guest", "", p.From.Add(5*time.Hour))
			return err
		}, false},
		{"archived", p.From.AddDate(0, 0, -20), func(tx *store.Tx, id int64) error {
			_, err := faxjobs.MarkArchived(tx, id, "a.tif", "a.pdf", p.From.AddDate(0, 0, -9))
			return err
		}, true},
		{"destroyed", p.From.AddDate(0, 0, -120), func(tx *store.Tx, id int64) error {
			if _, err := faxjobs.MarkArchived(tx, id, "d.tif", "d.pdf", p.From.AddDate(0, 0, -100)); err != nil {
				return err
			}
			_, err := faxjobs.MarkDestroyed(tx, id, p.From.AddDate(0, 0, -20))
			return err
		}, false},
		{"next day", p.To.Add(time.Minute), nil, false},
	}
	err = st.InTx(context.Background(), func(tx *store.Tx) error {
		for _, f := range faxes {
			id, _, err := faxjobs.Register(tx, faxjobs.Fax{Key: f.key, Device: "fax1", Received: f.received, Pages: 1})
			if err != nil {
				return err
			}
			if f.then != nil {
				if err := f.then(tx, id); err != nil {
					return fmt.Errorf("%s: %w", f.key, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	in, err := LoadDayClose(context.Background(), st, operators.New(st), p, p.To.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range in.Faxes {
		got = append(got, f.Key)
	}
	for _, f := range faxes {
		if slices.Contains(got, f.key) != f.open {
			t.Errorf("fax %s handed over: %v, want %v (handed over: %v)", f.key, !f.open, f.open, got)
		}
	}
}
