package faxdesk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/desk"
	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/folio/stays"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// TestReceivedRegisteredOnce: a received fax is stored (TIFF and PDF),
// registered as unassigned and published once; the same session delivered
// again is a duplicate.
func TestReceivedRegisteredOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	if out := r.receive("fax1/rx/1", 2); out != desk.Parsed {
		t.Fatalf("first delivery: %+v", out)
	}
	if out := r.receive("fax1/rx/1", 2); out != desk.Duplicate {
		t.Fatalf("second delivery: %+v, want a duplicate", out)
	}
	ev := r.events("hotel.fax.received")
	if len(ev) != 1 || ev[0]["id"] != float64(1) || ev[0]["pages"] != float64(2) || ev[0]["status"] != faxjobs.Unassigned || ev[0]["partial"] != false {
		t.Fatalf("hotel.fax.received %v", ev)
	}
	f, err := faxjobs.GetFax(context.Background(), r.h.Store(), 1)
	if err != nil || f.Pages != 2 || f.RemoteID != "+86 10 1234" {
		t.Fatalf("register %+v %v", f, err)
	}
	for _, p := range []string{f.TIFF, f.PDF} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 || !strings.HasPrefix(p, filepath.Join(r.d.opt.Dir, "in")) {
			t.Fatalf("file %s: %v", p, err)
		}
	}
	if pages, err := loadTIFFPages(f.TIFF); err != nil || len(pages) != 2 {
		t.Fatalf("stored pages %d %v", len(pages), err)
	}
	if list, _ := faxjobs.List(context.Background(), r.h.Store(), faxjobs.Filter{}); len(list) != 1 {
		t.Fatalf("%d register lines", len(list))
	}
}

// configFaxEmail is a front desk mailbox (the tests run no mailer).
var configFaxEmail = config.FaxEmail{Server: "127.0.0.1:1", From: "Switchboard <fax@hotel.example>", To: "frontdesk@hotel.example"}

// TestReceivedMailedAfterCommit: with fax.email set, a received fax is
// queued for e-mail and the mailer is woken only once the delivery
// transaction has committed.
func TestReceivedMailedAfterCommit(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{Email: &configFaxEmail})
	if len(r.h.Workers()) != 2 {
		t.Fatalf("%d workers, want the queue's and the mailer", len(r.h.Workers()))
	}
	rec := fax.Received{Key: "fax1/rx/mail", Pages: receivedPages(t, 1), Start: r.h.Now(), Complete: true}
	rd := desk.Record{Device: desk.Device{ID: "fax1", Domain: "fax"}, Key: rec.Key, Value: rec}
	rollback := errors.New("rolled back")
	err := r.h.InTx(context.Background(), func(tx *store.Tx) error {
		if _, err := r.d.HandleRecord(tx, rd); err != nil {
			return err
		}
		if len(r.d.mailCh) != 0 {
			t.Error("mailer woken before the commit")
		}
		return rollback
	})
	if !errors.Is(err, rollback) || len(r.d.mailCh) != 0 {
		t.Fatalf("rolled back: %v, mailer woken %d", err, len(r.d.mailCh))
	}
	r.receive(rec.Key, 1)
	if len(r.d.mailCh) != 1 {
		t.Fatal("mailer not woken after the commit")
	}
	if m, err := faxjobs.GetMail(context.Background(), r.h.Store(), 1); err != nil || m.State != faxjobs.MailPending {
		t.Fatalf("mail %+v %v", m, err)
	}
}

// TestAssign: a fax is assigned to the room's current guest (by name,
// spacing and case aside) and lights the room's lamp; a fax for a guest
// who left is marked CHECK OUT with the date and lights nothing.
func TestAssign(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	now := r.h.Now()
	if err := r.h.InTx(context.Background(), func(tx *store.Tx) error {
		if _, err := stays.CheckIn(tx, stays.Stay{Room: "1203", Guest: "Zhang Wei", CheckIn: now.Add(-48 * time.Hour)}); err != nil {
			return err
		}
		if _, err := stays.CheckIn(tx, stays.Stay{Room: "1205", Guest: "Anna Berg", CheckIn: now.Add(-72 * time.Hour)}); err != nil {
			return err
		}
		_, err := stays.CheckOut(tx, "1205", now.Add(-24*time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"fax1/rx/1", "fax1/rx/2", "fax1/rx/3"} {
		r.receive(k, 1)
	}
	left := now.Add(-24 * time.Hour).In(r.h.Location()).Format(time.DateOnly)
	for _, tc := range []struct {
		name         string
		data         fax.AssignData
		status, room string
		note         string
		field        string // refused: the field
		lamp         []string
	}{
		{name: "current guest by name", data: fax.AssignData{ID: 1, Name: "zhang  WEI"}, status: faxjobs.Assigned, room: "1203", lamp: []string{"1203 true fax"}},
		{name: "guest who left", data: fax.AssignData{ID: 2, Room: "1205"}, status: faxjobs.CheckedOut, room: "1205", note: "CHECK OUT " + left},
		{name: "room never let", data: fax.AssignData{ID: 3, Room: "1299"}, field: "data.room"},
		{name: "name not in the room", data: fax.AssignData{ID: 3, Room: "1203", Name: "Anna Berg"}, field: "data.name"},
		{name: "no such fax", data: fax.AssignData{ID: 9, Room: "1203"}, field: "data.id"},
		{name: "neither room nor name", data: fax.AssignData{ID: 3}, field: "data.room"},
	} {
		before := len(r.lamp.got())
		res, err := r.run("fax.assign", tc.data)
		if tc.field != "" {
			var fe *bus.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("%s: %v, want a %s refusal", tc.name, err, tc.field)
			}
			continue
		}
		a, _ := res.(fax.Assigned)
		if err != nil || a.Status != tc.status || a.Room != tc.room || a.Note != tc.note {
			t.Errorf("%s: %+v %v", tc.name, res, err)
		}
		if got := r.lamp.got()[before:]; !reflect.DeepEqual(got, tc.lamp) && (len(got) != 0 || len(tc.lamp) != 0) {
			t.Errorf("%s: lamps %v, want %v", tc.name, got, tc.lamp)
		}
	}
	if ev := r.events("hotel.fax.assigned"); len(ev) != 2 || strings.Contains(strings.Join([]string{ev[0]["room"].(string), ev[1]["room"].(string)}, ""), "Zhang") {
		t.Fatalf("hotel.fax.assigned %v", ev)
	}
}

// TestDeliver: delivering received pages bills them with the desk's
// tariff; the room's lamp goes out when no other fax waits for the guest.
func TestDeliver(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{Tariff: riverside(t)})
	if err := r.h.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := stays.CheckIn(tx, stays.Stay{Room: "1203", Guest: "Zhang Wei", CheckIn: r.h.Now().Add(-time.Hour)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r.receive("fax1/rx/1", 2)
	r.receive("fax1/rx/2", 1)
	r.receive("fax1/rx/3", 1) // nobody's: paid at the desk
	for _, id := range []int64{1, 2} {
		if _, err := r.run("fax.assign", fax.AssignData{ID: id, Room: "1203"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		id           int64
		room, amount string
		lamp         []string // lamps the delivery asks for
	}{
		{1, "1203", "7.00", nil}, // fax 2 still waits: the lamp stays on
		{2, "1203", "3.50", []string{"1203 false fax"}},
		{3, "walk-in", "3.50", nil},
	} {
		before := len(r.lamp.got())
		res, err := r.run("fax.deliver", fax.DeliverData{ID: tc.id, DeliveredBy: "bell 12", SignedBy: "Zhang Wei"})
		d, _ := res.(fax.Delivered)
		if err != nil || d.Room != tc.room || d.Amount.String() != tc.amount || d.Tariff != "riverside-business" || !d.Signed {
			t.Errorf("fax %d: %+v %v", tc.id, res, err)
		}
		if got := r.lamp.got()[before:]; !reflect.DeepEqual(got, tc.lamp) && (len(got) != 0 || len(tc.lamp) != 0) {
			t.Errorf("fax %d: lamps %v, want %v", tc.id, got, tc.lamp)
		}
	}
	if _, err := r.run("fax.deliver", fax.DeliverData{ID: 1, DeliveredBy: "bell 12", SignedBy: "Zhang Wei"}); err == nil {
		t.Fatal("delivered twice")
	}
	if got := r.charges(rating.ServiceFaxReceive); !reflect.DeepEqual(got, []string{"fax1/fax/1/delivered:2", "fax1/fax/2/delivered:1", "fax1/fax/3/delivered:1"}) {
		t.Fatalf("charges %v", got)
	}
	for _, ev := range r.events("hotel.fax.delivered") {
		if strings.Contains(ev["delivered_by"].(string)+ev["room"].(string), "Zhang") {
			t.Fatalf("guest name in an event: %v", ev)
		}
	}
}

// TestRetentionArchiveThenDestroy: an unclaimed fax is archived (files
// moved) after the archive period and destroyed (files deleted, the
// register line kept) after the destroy period; a delivered one stays.
func TestRetentionArchiveThenDestroy(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{Retention: faxjobs.Retention{ArchiveAfter: 10 * 24 * time.Hour, DestroyAfter: 90 * 24 * time.Hour}})
	r.receive("fax1/rx/1", 1)
	r.receive("fax1/rx/2", 1)
	if _, err := r.run("fax.deliver", fax.DeliverData{ID: 2, DeliveredBy: "op", SignedBy: "guest"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r.d.retain(ctx)
	if ev := r.events("hotel.fax.archived"); len(ev) != 0 {
		t.Fatalf("archived on the day it came: %v", ev)
	}
	r.h.Advance(10*24*time.Hour + time.Minute)
	r.d.retain(ctx)
	f, _ := faxjobs.GetFax(ctx, r.h.Store(), 1)
	archive := filepath.Join(r.d.opt.Dir, "archive")
	if ev := r.events("hotel.fax.archived"); len(ev) != 1 || ev[0]["id"] != float64(1) || f.Status != faxjobs.Archived || filepath.Dir(f.TIFF) != archive {
		t.Fatalf("archived %v, register %+v", ev, f)
	}
	if _, err := os.Stat(f.PDF); err != nil {
		t.Fatalf("archived PDF: %v", err)
	}
	r.h.Advance(80 * 24 * time.Hour)
	r.d.retain(ctx)
	g, _ := faxjobs.GetFax(ctx, r.h.Store(), 1)
	if ev := r.events("hotel.fax.destroyed"); len(ev) != 1 || g.Status != faxjobs.Destroyed || g.TIFF != "" {
		t.Fatalf("destroyed %v, register %+v", ev, g)
	}
	if left, _ := os.ReadDir(archive); len(left) != 0 {
		t.Fatalf("archive not empty: %v", left)
	}
	if d, _ := faxjobs.GetFax(ctx, r.h.Store(), 2); d.Status != faxjobs.Delivered {
		t.Fatalf("delivered fax touched: %+v", d)
	}
}
