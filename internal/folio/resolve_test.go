package folio_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/desk"
	"switchboard/internal/desk/desktest"
	"switchboard/internal/events"
	"switchboard/internal/folio"
	"switchboard/internal/folio/ledger"
	"switchboard/internal/folio/stays"
	"switchboard/internal/store"
	"switchboard/schemas"
)

// resolveFixture is a day of calls for the night audit: room 1203's guest
// left at 10:00, room 1205 is occupied, 1210 and 1211 are vacant.
type resolveFixture struct {
	h      *desktest.Host
	d      *folio.Desk
	stayA  int64 // 1203, 08:00-10:00
	stay05 int64 // 1205, open since 07:00
}

const resolveDialed = "9013912345678" // a mobile: priced

func newResolveFixture(t *testing.T) resolveFixture {
	t.Helper()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	day := func(h, m int) time.Time { return time.Date(2026, 12, 4, h, m, 0, 0, loc) }
	h := desktest.NewHost(t, day(23, 0))
	bl := desktest.Biller(t, "1101", "1299")
	d := folio.NewDesk(h, func() *folio.Biller { return bl })
	d.Commands()
	f := resolveFixture{h: h, d: d}
	err := h.InTx(context.Background(), func(tx *store.Tx) error {
		a, err := stays.CheckIn(tx, stays.Stay{Room: "1203", CheckIn: day(8, 0)})
		if err != nil {
			return err
		}
		b, err := stays.CheckIn(tx, stays.Stay{Room: "1205", CheckIn: day(7, 0)})
		if err != nil {
			return err
		}
		// Room 1212's last guest left two days before.
		if _, err := stays.CheckIn(tx, stays.Stay{Room: "1212", CheckIn: day(8, 0).AddDate(0, 0, -3)}); err != nil {
			return err
		}
		if _, err := stays.CheckOut(tx, "1212", day(10, 0).AddDate(0, 0, -2)); err != nil {
			return err
		}
		f.stayA, f.stay05 = a.ID, b.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	call := func(n int64, ext string, start time.Time) desk.Record {
		return desk.Record{Device: desk.Device{ID: "pbx1", Domain: "pbx"}, FrameID: n, Key: "k" + string(rune('0'+n)),
			Value: events.CallRecord{Kind: events.KindCall, Direction: events.Outgoing, Start: start, End: start.Add(65 * time.Second),
				DurationS: 65, Extension: ext, Trunk: "01", Dialed: resolveDialed}}
	}
	h.Record(t, d, call(3, "1205", day(9, 0))) // posted, not flagged
	if err := h.InTx(context.Background(), func(tx *store.Tx) error { _, err := stays.CheckOut(tx, "1203", day(10, 0)); return err }); err != nil {
		t.Fatal(err)
	}
	h.Record(t, d, call(1, "1203", day(10, 30))) // after check-out: 跑帳
	h.Record(t, d, call(2, "1210", day(9, 0)))   // vacant room
	h.Record(t, d, call(4, "1210", time.Date(1990, 1, 1, 9, 0, 0, 0, loc)))
	h.Record(t, d, call(5, "1203", day(9, 30))) // during the stay, recorded after it ended: a late charge, posted
	h.Record(t, d, call(6, "1211", day(9, 0)))  // vacant, a room that never had a guest
	h.Record(t, d, call(7, "1203", day(9, 45))) // another late charge
	h.Record(t, d, call(8, "1212", day(9, 0)))  // vacant: the last guest left two days before
	return f
}

func (f resolveFixture) run(t *testing.T, by *bus.Principal, data folio.ResolveData) (folio.ResolveResult, error) {
	t.Helper()
	c := f.h.Command(t, "edge", "gw1", folio.ResolveCommand, data)
	c.By = by
	out, err := f.h.Run(t, c)
	if err != nil {
		return folio.ResolveResult{}, err
	}
	return out.(folio.ResolveResult), nil
}

func TestResolveFlaggedCall(t *testing.T) {
	t.Parallel()
	f := newResolveFixture(t)
	sup := &bus.Principal{Username: "S01", Role: bus.RoleBackoffice, ClientID: "console"}
	k3, err := ledger.Get(ledger.StoreReader(context.Background(), f.h.Store()), "pbx1/k3")
	if err != nil || k3.AmountMinor <= 0 {
		t.Fatalf("the fixture's posted call: %+v %v", k3, err)
	}
	const asRated = -1 // every priced call of the fixture is k3's number and length
	// In order: a refusal leaves the call as it was; a resolution stands.
	for _, tc := range []struct {
		name string
		by   *bus.Principal
		data folio.ResolveData
		// want: an error mentioning it, or (when "") a result with
		// action, room, amount_minor (asRated: as billing rated the call)
		// and a charge event (charged: its call.charged or credit).
		want       string
		wantRoom   string
		wantAmount int64
		charged    bool
	}{
		{"unknown call", sup, folio.ResolveData{Call: "pbx1/nope", Action: "post", Room: "1203", Reason: "x"}, "data.call: no call", "", 0, false},
		{"not flagged", sup, folio.ResolveData{Call: "pbx1/k3", Action: "write-off", Reason: "x"}, "is not flagged", "", 0, false},
		{"no action", sup, folio.ResolveData{Call: "pbx1/k1", Reason: "x"}, "data.action: required", "", 0, false},
		{"unknown action", sup, folio.ResolveData{Call: "pbx1/k1", Action: "forgive", Reason: "x"}, "data.action", "", 0, false},
		{"no reason", sup, folio.ResolveData{Call: "pbx1/k1", Action: "post", Room: "1203"}, "data.reason: required", "", 0, false},
		{"reason with control characters", sup, folio.ResolveData{Call: "pbx1/k1", Action: "post", Room: "1203", Reason: "a\x1bb"}, "data.reason: control", "", 0, false},
		{"post without room", sup, folio.ResolveData{Call: "pbx1/k1", Action: "post", Reason: "x"}, "data.room: required", "", 0, false},
		{"room unknown", sup, folio.ResolveData{Call: "pbx1/k1", Action: "post", Room: "9999", Reason: "x"}, "not a guest room", "", 0, false},
		{"write-off to a room", sup, folio.ResolveData{Call: "pbx1/k1", Action: "write-off", Room: "1203", Reason: "x"}, "posts to no room", "", 0, false},
		{"amount with post", sup, folio.ResolveData{Call: "pbx1/k1", Action: "post", Room: "1203", Reason: "x", Amount: "3.00"}, "data.amount", "", 0, false},
		{"bad amount", sup, folio.ResolveData{Call: "pbx1/k4", Action: "rerate", Room: "1205", Reason: "x", Amount: "-1"}, "data.amount", "", 0, false},
		{"an operator may not", &bus.Principal{Username: "O01", Role: bus.RoleOperator}, folio.ResolveData{Call: "pbx1/k1", Action: "post", Room: "1203", Reason: "x"},
			"supervisors", "", 0, false},
		{"no stay to post to", sup, folio.ResolveData{Call: "pbx1/k6", Action: "post", Room: "1211", Reason: "x"}, "data.stay_id: room 1211 has no stay", "", 0, false},
		{"the last guest left too long ago", sup, folio.ResolveData{Call: "pbx1/k8", Action: "post", Room: "1212", Reason: "x"}, "more than 24h0m0s before the call", "", 0, false},
		{"stay of another room", sup, folio.ResolveData{Call: "pbx1/k6", Action: "post", Room: "1211", StayID: f.stayA, Reason: "x"}, "not room 1211's", "", 0, false},
		{"post of a priceless call", sup, folio.ResolveData{Call: "pbx1/k4", Action: "post", Room: "1205", Reason: "x"}, "resolve it with rerate", "", 0, false},
		{"rerate, not rateable now", sup, folio.ResolveData{Call: "pbx1/k4", Action: "rerate", Room: "1205", StayID: f.stay05, Reason: "x"}, "give the amount by hand", "", 0, false},
		{"posted elsewhere already", sup, folio.ResolveData{Call: "pbx1/k7", Action: "post", Room: "1205", Reason: "x"}, "posted already to room 1203", "", 0, false},
		{"rerate of a posted call", sup, folio.ResolveData{Call: "pbx1/k7", Action: "rerate", Reason: "x"}, "switchboard rerate", "", 0, false},
		// The resolutions.
		{"post a late call to the guest who left", sup, folio.ResolveData{Call: "pbx1/k1", Action: "post", Room: "1203", Reason: "guest's call at check-out"}, "", "1203", asRated, true},
		{"resolved already", sup, folio.ResolveData{Call: "pbx1/k1", Action: "write-off", Reason: "again"}, "resolved already: post to room 1203 by S01", "", 0, false},
		{"vacant room that was occupied", sup, folio.ResolveData{Call: "pbx1/k2", Action: "rerate", Room: "1205", Reason: "moved rooms"}, "", "1205", asRated, true},
		{"unrateable, amount by hand", sup, folio.ResolveData{Call: "pbx1/k4", Action: "rerate", Room: "1205", StayID: f.stay05, Reason: "PBX clock", Amount: "12.50"}, "", "1205", 1250, true},
		{"write-off of a posted late charge", sup, folio.ResolveData{Call: "pbx1/k5", Action: "write-off", Reason: "guest disputed"}, "", "", asRated, true},
		{"write-off of a vacant-room call", sup, folio.ResolveData{Call: "pbx1/k6", Action: "write-off", Reason: "staff call"}, "", "", asRated, false},
		{"confirm a posted late charge", sup, folio.ResolveData{Call: "pbx1/k7", Action: "post", Room: "1203", Reason: "the guest's"}, "", "1203", asRated, true},
	} {
		res, err := f.run(t, tc.by, tc.data)
		if tc.want != "" {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: err = %v, want mention of %q", tc.name, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		want := tc.wantAmount
		if want == asRated {
			want = k3.AmountMinor
		}
		if res.Action != tc.data.Action || res.Room != tc.wantRoom || res.AmountMinor != want || res.EventSeq == 0 {
			t.Errorf("%s: result %+v, want room %q amount %d", tc.name, res, tc.wantRoom, want)
		}
		if tc.charged != (res.ChargeSeq != 0) {
			t.Errorf("%s: charge seq %d, want one: %v", tc.name, res.ChargeSeq, tc.charged)
		}
	}
	// Every call charged once: k3 and the late charges by billing, k1, k2
	// and k4 by their resolution; nothing twice.
	count := map[string]int{}
	rows, err := f.h.Store().Pending(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := schemas.Validate(r.Payload); err != nil {
			t.Errorf("%s (seq %d): %v", r.Type, r.Seq, err)
		}
		var env events.Envelope
		if err := json.Unmarshal(r.Payload, &env); err != nil {
			t.Fatal(err)
		}
		count[r.Type+" "+env.IdemKey]++
	}
	for key, want := range map[string]int{
		"hotel.pbx.call.charged pbx1/k1": 1, "hotel.pbx.call.charged pbx1/k2": 1, "hotel.pbx.call.charged pbx1/k4": 1, "hotel.pbx.call.charged pbx1/k5": 1,
		"hotel.pbx.call.charged pbx1/k6": 0, "hotel.pbx.call.charged pbx1/k7": 1,
		"hotel.pbx.call.resolved pbx1/k1/resolved": 1, "hotel.pbx.call.resolved pbx1/k3/resolved": 0, "hotel.pbx.call.resolved pbx1/k6/resolved": 1,
		"hotel.pbx.call.adjusted pbx1/k5/adjust/write-off": 1,
	} {
		if count[key] != want {
			t.Errorf("%s: %d events, want %d", key, count[key], want)
		}
	}
	// The ledger says what became of each.
	rd := ledger.StoreReader(context.Background(), f.h.Store())
	for _, tc := range []struct {
		call, room string
		posted     bool
		action     string
		stay       int64
		late       bool
	}{
		{"pbx1/k1", "1203", true, "post", f.stayA, true},
		{"pbx1/k2", "1205", true, "rerate", f.stay05, false},
		{"pbx1/k4", "1205", true, "rerate", f.stay05, false},
		{"pbx1/k5", "1203", false, "write-off", f.stayA, true},
		{"pbx1/k6", "1211", false, "write-off", 0, false},
		{"pbx1/k7", "1203", true, "post", f.stayA, true},
	} {
		c, err := ledger.Get(rd, tc.call)
		if err != nil {
			t.Fatal(err)
		}
		r, ok, err := ledger.ResolutionOf(rd, tc.call)
		if err != nil || !ok {
			t.Fatalf("%s: resolution %v %v", tc.call, ok, err)
		}
		if c.Posted != tc.posted || c.Room != tc.room || c.StayID != tc.stay || c.Late != tc.late || r.Action != tc.action || r.Principal != "S01" {
			t.Errorf("%s: ledger posted %v room %s stay %d late %v, resolution %+v", tc.call, c.Posted, c.Room, c.StayID, c.Late, r)
		}
		if tc.posted && c.ChargedSeq == 0 {
			t.Errorf("%s: posted without a charge seq", tc.call)
		}
		var rc folio.RatedCall
		if err := json.Unmarshal(c.Rated, &rc); err != nil || (tc.posted && (!rc.Posted || rc.Room != tc.room)) {
			t.Errorf("%s: the stored rating says posted %v to %q (%v)", tc.call, rc.Posted, rc.Room, err)
		}
	}
	k4, _ := ledger.Get(rd, "pbx1/k4")
	if k4.Class != string(folio.ClassUnrated) || k4.Price != "12.50" || k4.AmountMinor != 1250 {
		t.Errorf("k4 after a manual rerate: class %s price %s (%d)", k4.Class, k4.Price, k4.AmountMinor)
	}
	if r, _, _ := ledger.ResolutionOf(rd, "pbx1/k4"); !r.Manual {
		t.Errorf("k4's resolution does not say the amount was given by hand: %+v", r)
	}
}

// TestResolveOnceInItsTransaction: two resolutions of one call validated
// together (both pass Validate) leave one; the second is refused naming the
// first, and nothing of it is written.
func TestResolveOnceInItsTransaction(t *testing.T) {
	t.Parallel()
	f := newResolveFixture(t)
	sup := &bus.Principal{Username: "S01", Role: bus.RoleBackoffice}
	first := f.h.Command(t, "edge", "gw1", folio.ResolveCommand, folio.ResolveData{Call: "pbx1/k2", Action: "write-off", Reason: "staff"})
	second := f.h.Command(t, "edge", "gw1", folio.ResolveCommand, folio.ResolveData{Call: "pbx1/k2", Action: "post", Room: "1205", Reason: "guest"})
	first.By, second.By = sup, sup
	hd := f.h.Handler(folio.ResolveCommand)
	for _, c := range []*bus.Command{first, second} {
		if err := hd.Validate(c); err != nil {
			t.Fatalf("validate %s: %v", c.ID, err)
		}
	}
	if _, err := hd.Execute(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	_, err := hd.Execute(context.Background(), second)
	if err == nil || !strings.Contains(err.Error(), "write-off by S01") || !strings.Contains(err.Error(), first.ID) {
		t.Errorf("second resolution: %v", err)
	}
	if n := len(f.h.Events(t, folio.ChargedType)); n != 3 { // k3, k5, k7 from billing
		t.Errorf("%d charges, want 3 (the refused post charged nothing)", n)
	}
	var fe *bus.FieldError
	if errors.As(err, &fe) {
		t.Errorf("a second resolution is not a field error: %v", fe)
	}
}

// TestResolveReplay: through the command router, the same command id sent
// again gets its recorded reply again and resolves nothing twice; another
// command for the call is refused, naming the first.
func TestResolveReplay(t *testing.T) {
	t.Parallel()
	f := newResolveFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	topics := events.Topics{Group: "acme", Property: "h042", Gateway: "gw1"}
	r := bus.NewRouter(topics, f.h.Store(), func(tx *store.Tx, ev store.Event) error { _, _, err := tx.Enqueue(ev); return err }, nil)
	r.Handle("edge", folio.ResolveCommand, f.h.Handler(folio.ResolveCommand))
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	sup := &bus.Principal{Username: "S01", Role: bus.RoleBackoffice}
	send := func(id string, data folio.ResolveData) {
		b, _ := json.Marshal(data)
		env, _ := json.Marshal(events.Envelope{SpecVersion: events.SpecVersion, ID: id, Source: "/test", Type: "hotel.edge.cmd.call.resolve",
			ReplyTo: "audit", Data: b})
		r.Deliver(bus.Message{Topic: topics.Command("edge", "gw1", folio.ResolveCommand), Payload: env, From: sup})
	}
	// replies waits for n final replies (completed or failed) and returns them.
	replies := func(n int) []bus.Reply {
		deadline := time.Now().Add(10 * time.Second)
		for {
			rows, err := f.h.Store().Pending(ctx, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var out []bus.Reply
			for _, row := range rows {
				if row.Type != "hotel.command.completed" && row.Type != "hotel.command.failed" {
					continue
				}
				var env events.Envelope
				var rep bus.Reply
				if json.Unmarshal(row.Payload, &env) != nil || json.Unmarshal(env.Data, &rep) != nil {
					t.Fatalf("reply %s", row.Payload)
				}
				out = append(out, rep)
			}
			if len(out) >= n || time.Now().After(deadline) {
				return out
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	post := folio.ResolveData{Call: "pbx1/k1", Action: "post", Room: "1203", Reason: "late call"}
	send("r1", post)
	first := replies(1)
	send("r1", post) // the same command again
	again := replies(2)
	send("r2", folio.ResolveData{Call: "pbx1/k1", Action: "write-off", Reason: "changed my mind"})
	all := replies(3)
	if len(first) != 1 || first[0].Status != "completed" || len(again) != 2 || len(all) != 3 {
		t.Fatalf("replies: %+v / %+v / %+v", first, again, all)
	}
	if again[1].CommandID != "r1" || again[1].Status != "completed" || string(mustJSON(t, again[1].Result)) != string(mustJSON(t, first[0].Result)) {
		t.Errorf("replay: %+v, want %+v again", again[1], first[0])
	}
	if all[2].CommandID != "r2" || all[2].Status != "failed" || !strings.Contains(all[2].Reason, "resolved already: post to room 1203 by S01") ||
		!strings.Contains(all[2].Reason, "command r1") {
		t.Errorf("second resolution: %+v", all[2])
	}
	if n := len(f.h.Events(t, folio.ResolvedType)); n != 1 {
		t.Errorf("%d resolved events, want 1", n)
	}
	charges := 0
	for _, c := range f.h.Events(t, folio.ChargedType) {
		if c["journal_id"] == float64(1) {
			charges++
		}
	}
	if charges != 1 {
		t.Errorf("call k1 charged %d times, want once", charges)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
