package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"switchboard/internal/rating"
	"switchboard/internal/store"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func m(s string) rating.Money { return rating.MustMoney(s) }

func TestPeriods(t *testing.T) {
	for _, c := range []struct {
		in, from, to string
		week         bool
		err          string
	}{
		{in: "2026-11-27", from: "2026-11-27T00:00:00+08:00", to: "2026-11-28T00:00:00+08:00"},
		{in: "2026-W48", week: true, from: "2026-11-23T00:00:00+08:00", to: "2026-11-30T00:00:00+08:00"},
		{in: "2026-W01", week: true, from: "2025-12-29T00:00:00+08:00", to: "2026-01-05T00:00:00+08:00"},
		{in: "2020-W53", week: true, from: "2020-12-28T00:00:00+08:00", to: "2021-01-04T00:00:00+08:00"},
		{in: "2025-W53", week: true, err: "has no week 53"},
		{in: "2026-48", week: true, err: "ISO week"},
		{in: "27.11.2026", err: "YYYY-MM-DD"},
	} {
		var p Period
		var err error
		if c.week {
			p, err = Week(c.in, shanghai)
		} else {
			p, err = Day(c.in, shanghai)
		}
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || p.From.Format(time.RFC3339) != c.from || p.To.Format(time.RFC3339) != c.to {
			t.Errorf("%s: %v..%v (%v), want %s..%s", c.in, p.From, p.To, err, c.from, c.to)
		}
	}
}

func TestMinutes(t *testing.T) {
	for s, want := range map[int64]string{0: "0.00", 1: "0.02", 30: "0.50", 60: "1.00", 65: "1.08", 2710: "45.17", 86400: "1440.00"} {
		if got := Minutes(s); got != want {
			t.Errorf("Minutes(%d) = %s, want %s", s, got, want)
		}
	}
}

func call(journal int64, class, room string, billable int, cost, price string, posted bool, opts ...func(*Call)) Call {
	c := Call{IdemKey: "pbx1/k" + itoa64(journal), Device: "pbx1", JournalID: journal, Direction: "outgoing", Extension: room, Room: room,
		Class: class, BillableS: billable, DurationS: billable, CarrierCost: m(cost), Price: m(price), Currency: "CNY", Posted: posted,
		RecordedSeq: journal * 10, Start: time.Date(2026, 11, 27, 10, 0, 0, 0, shanghai)}
	c.AmountMinor = c.Price.Minor(2, rating.HalfUp)
	if posted {
		c.ChargedSeq = journal*10 + 1
	} else {
		c.NotPosted = "room vacant at the time of the call"
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

func TestStats(t *testing.T) {
	incoming := func(c *Call) { c.Direction = "incoming"; c.Class = "" }
	unrated := func(c *Call) { c.Class = ""; c.NotPosted = "cannot rate: no route" }
	noRoom := func(c *Call) { c.Room = ""; c.Extension = "8101" }
	for _, tc := range []struct {
		name                 string
		calls                []Call
		byClass              map[string]string // class -> "calls posted minutes cost revenue"
		byRoom               map[string]string
		total, err, currency string
	}{
		{name: "empty", total: "0 0 0.00 0.00 0.00", byClass: map[string]string{"idd": "0 0 0.00 0.00 0.00", "internal": "0 0 0.00 0.00 0.00"}},
		{name: "idd and ddd", calls: []Call{
			call(1, "idd", "1203", 66, "8.80", "16.90", true),
			call(2, "idd", "1205", 90, "12.00", "21.70", false),
			call(3, "ddd", "1203", 60, "0.70", "1.00", true),
			call(4, "", "1203", 0, "0", "0", false, incoming),
		},
			byClass: map[string]string{"idd": "2 1 2.60 20.80 16.90", "ddd": "1 1 1.00 0.70 1.00", "local": "0 0 0.00 0.00 0.00"},
			byRoom:  map[string]string{"1203": "2 2 2.10 9.50 17.90", "1205": "1 0 1.50 12.00 0.00"},
			total:   "3 2 3.60 21.50 17.90"},
		{name: "unrated and unknown extension kept", calls: []Call{
			call(1, "", "1203", 0, "0", "0", false, unrated),
			call(2, "local", "", 180, "0.22", "0.50", false, noRoom),
		},
			byClass: map[string]string{Unrated: "1 0 0.00 0.00 0.00", "local": "1 0 3.00 0.22 0.00"},
			byRoom:  map[string]string{"ext 8101": "1 0 3.00 0.22 0.00", "1203": "1 0 0.00 0.00 0.00"},
			total:   "2 0 3.00 0.22 0.00"},
		{name: "fractions stay exact", calls: []Call{
			call(1, "local", "1203", 6, "0.042", "0.10", true),
			call(2, "local", "1203", 6, "0.0063", "0.10", true),
			call(3, "local", "1203", 6, "0.000001", "0.10", true),
		}, byClass: map[string]string{"local": "3 3 0.30 0.048301 0.30"}, total: "3 3 0.30 0.048301 0.30"},
		{name: "mixed currencies refused", calls: []Call{
			call(1, "idd", "1203", 66, "8.80", "16.90", true),
			call(2, "idd", "1203", 66, "8.80", "16.90", true, func(c *Call) { c.Currency = "HKD" }),
		}, err: "one report per currency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Stats(&Ledger{Calls: tc.calls})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			line := func(x Totals) string {
				return strings.Join([]string{itoa(x.Calls), itoa(x.Posted), x.Minutes, x.CarrierCost.String(), x.Revenue.String()}, " ")
			}
			if len(s.ByClass) < len(Classes) {
				t.Fatalf("%d class lines, want every class", len(s.ByClass))
			}
			for i, c := range Classes {
				if s.ByClass[i].Key != string(c) {
					t.Fatalf("class line %d is %s, want %s", i, s.ByClass[i].Key, c)
				}
			}
			got := map[string]string{}
			for _, x := range s.ByClass {
				got[x.Key] = line(x)
			}
			for k, want := range tc.byClass {
				if got[k] != want {
					t.Errorf("class %s = %q, want %q", k, got[k], want)
				}
			}
			rooms := map[string]string{}
			for _, x := range s.ByRoom {
				rooms[x.Key] = line(x)
			}
			for k, want := range tc.byRoom {
				if rooms[k] != want {
					t.Errorf("room %s = %q, want %q", k, rooms[k], want)
				}
			}
			if line(s.Total) != tc.total {
				t.Errorf("total = %q, want %q", line(s.Total), tc.total)
			}
		})
	}
}

func TestReconcile(t *testing.T) {
	frame := func(id int64, status, reason string) Frame {
		return Frame{ID: id, Device: "pbx1", Status: status, Reason: reason, IdemKey: "pbx1/k" + itoa64(id)}
	}
	withEvents := func(f Frame, dupOf int64, ev ...string) Frame { f.Events, f.DuplicateOf = ev, dupOf; return f }
	acked := call(2, "idd", "1203", 66, "8.80", "16.90", true)
	waitingAck := call(3, "idd", "1203", 66, "8.80", "16.90", true)
	waitingBroker := call(4, "idd", "1203", 66, "8.80", "16.90", true)
	notPosted := call(5, "idd", "1205", 66, "8.80", "16.90", false)
	noReason := call(6, "idd", "1205", 66, "8.80", "16.90", false, func(c *Call) { c.NotPosted = "" })
	noCharge := call(7, "idd", "1203", 66, "8.80", "16.90", true, func(c *Call) { c.ChargedSeq = 0 })
	purged := call(8, "idd", "1203", 66, "8.80", "16.90", true, func(c *Call) { c.ChargedSeq = 5 })
	lost := call(9, "idd", "1203", 66, "8.80", "16.90", true)
	flaggedOpen := call(18, "idd", "1205", 66, "8.80", "16.90", false, func(c *Call) { c.Flags = []string{"vacant-room"} })
	flaggedSettled := call(19, "idd", "1205", 66, "8.80", "16.90", false, func(c *Call) {
		c.Flags = []string{"vacant-room"}
		c.Resolution = &CallResolution{Action: "write-off", By: "0003", At: time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC), Reason: "staff"}
	})
	outbox := map[int64]Delivery{
		acked.ChargedSeq:         {Seq: acked.ChargedSeq, Published: true, Acked: true},
		waitingAck.ChargedSeq:    {Seq: waitingAck.ChargedSeq, Published: true},
		waitingBroker.ChargedSeq: {Seq: waitingBroker.ChargedSeq},
	}
	for _, tc := range []struct {
		name  string
		frame Frame
		call  *Call
		step  string // "" = went all the way
		ok    bool   // explained
		why   string
	}{
		{"acknowledged", frame(2, store.FrameParsed, ""), &acked, "", true, ""},
		{"waiting for the back office", frame(3, store.FrameParsed, ""), &waitingAck, StepAck, true, "waiting for the back office"},
		{"waiting for the broker", frame(4, store.FrameParsed, ""), &waitingBroker, StepPublish, true, "waiting for the broker"},
		{"not posted", frame(5, store.FrameParsed, ""), &notPosted, StepPost, true, "not posted: room vacant"},
		{"flagged, still to resolve", frame(18, store.FrameParsed, ""), &flaggedOpen, StepPost, true, "flagged (vacant-room): still to resolve"},
		{"flagged, settled", frame(19, store.FrameParsed, ""), &flaggedSettled, StepPost, true, "settled: write-off by 0003 at 2026-11-27 22:00: staff"},
		{"not posted without reason", frame(6, store.FrameParsed, ""), &noReason, StepPost, false, "no reason"},
		{"posted without charge", frame(7, store.FrameParsed, ""), &noCharge, StepPost, false, "charged_seq empty"},
		{"charge purged after ack", frame(8, store.FrameParsed, ""), &purged, "", true, ""},
		{"charge lost", frame(9, store.FrameParsed, ""), &lost, StepPublish, false, "missing from the outbox"},
		{"skipped", frame(10, store.FrameSkipped, ""), nil, StepParse, true, "no record"},
		{"unparsed", frame(11, store.FrameUnparsed, "line 3: bad date"), nil, StepParse, true, "line 3: bad date"},
		{"still new", frame(12, store.FrameNew, ""), nil, StepParse, false, "never interpreted"},
		{"duplicate call", withEvents(frame(13, store.FrameDuplicate, ""), 2, "hotel.pbx.call.recorded"), nil, StepParse, true, "from journal 2"},
		{"duplicate hotel event", withEvents(frame(14, store.FrameDuplicate, ""), 0, "hotel.pbx.guest.checked-in"), nil, StepParse, true, "checked-in"},
		{"duplicate of nothing", frame(15, store.FrameDuplicate, ""), nil, StepParse, false, "no earlier record"},
		{"hotel event", withEvents(frame(16, store.FrameParsed, ""), 0, "hotel.pbx.wakeup.answered"), nil, StepRate, true, "not a call"},
		{"recorded, never rated", withEvents(frame(17, store.FrameParsed, ""), 0, "hotel.pbx.call.recorded"), nil, StepRate, false, "never rated"},
		{"charged, no row", withEvents(frame(22, store.FrameParsed, ""), 0, "hotel.pbx.call.recorded", "hotel.pbx.call.charged"), nil, StepRate, false, "never rated"},
		{"parsed, no trace", frame(18, store.FrameParsed, ""), nil, StepRate, false, "neither"},
		{"applied, no event by design", frame(19, store.FrameParsed, "DND on from the room phone"), nil, StepRate, true, "no event by design: DND on"},
		{"hotel-link events", withEvents(frame(20, store.FrameParsed, ""), 0, "hotel.pbx.wakeup.unanswered", "hotel.pbx.wakeup.escalated"), nil, StepRate, true, "unanswered, hotel.pbx.wakeup.escalated"},
		{"record sent again", func() Frame { f := frame(21, store.FrameDuplicate, ""); f.RepeatOf = 12; return f }(), nil, StepParse, true, "first received as journal 12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &Ledger{Frames: []Frame{tc.frame}, Outbox: outbox, AckedSeq: acked.ChargedSeq}
			if tc.call != nil {
				c := *tc.call
				c.JournalID = tc.frame.ID
				l.Calls = []Call{c}
			}
			r := Reconcile(l)
			if tc.step == "" {
				if len(r.Stops) != 0 || r.Steps[len(r.Steps)-1].Passed != 1 {
					t.Fatalf("stops %+v, want none", r.Stops)
				}
				return
			}
			if len(r.Stops) != 1 {
				t.Fatalf("stops %+v, want one", r.Stops)
			}
			s := r.Stops[0]
			if s.Step != tc.step || s.Explained != tc.ok || !strings.Contains(s.Reason, tc.why) {
				t.Errorf("stop = %s explained=%v %q; want %s explained=%v %q", s.Step, s.Explained, s.Reason, tc.step, tc.ok, tc.why)
			}
			if tc.ok == (r.Unexplained != 0) {
				t.Errorf("unexplained = %d", r.Unexplained)
			}
			// The funnel adds up: what enters a step passes or stops there.
			for i, c := range r.Steps {
				if c.In != c.Passed+c.Explained+c.Unexplained {
					t.Errorf("step %s: in %d != passed %d + stopped %d + %d", c.Step, c.In, c.Passed, c.Explained, c.Unexplained)
				}
				if i > 0 && c.In != r.Steps[i-1].Passed {
					t.Errorf("step %s: in %d, previous passed %d", c.Step, c.In, r.Steps[i-1].Passed)
				}
			}
		})
	}
}

func TestSpecialRules(t *testing.T) {
	long := call(1, "ddd", "1203", 1900, "1", "20.00", true, func(c *Call) { c.DurationS = 1900 })
	dear := call(2, "idd", "1203", 600, "90", "180.00", true)
	vacant := call(3, "idd", "1207", 60, "8", "16.90", false, func(c *Call) { c.Flags = []string{"vacant-room"} })
	emergency := call(4, "emergency", "1203", 40, "0", "0", false)
	fallback := call(5, "ddd", "1203", 60, "1", "2.00", true, func(c *Call) { c.Flags = []string{rating.FlagNoMatchFallback} })
	plain := call(6, "local", "1203", 60, "0.22", "0.50", true)
	special := call(7, "special", "1203", 60, "1", "3.00", true, func(c *Call) { c.Destination = "Premium"; c.Dialed = "916812345" })
	d := DefaultRules()
	off := Rules{}
	for _, tc := range []struct {
		name  string
		rules Rules
		call  Call
		want  string
	}{
		{"long", d, long, "over 30 min"},
		{"dear", d, dear, "over 100.00"},
		{"vacant", d, vacant, "vacant room"},
		{"vacant off", func() Rules { r := d; r.Vacant = false; return r }(), vacant, ""},
		{"emergency", d, emergency, "emergency"},
		{"fallback", d, fallback, "fallback rate"},
		{"plain", d, plain, ""},
		{"special class", d, special, "class special"},
		{"destination by name", Rules{Destinations: []string{"premium"}}, special, "destination premium"},
		{"destination by prefix", Rules{Destinations: []string{"9168"}}, special, "destination 9168"},
		{"all off", off, dear, ""},
		{"exactly the limit is not over", Rules{OverMinutes: 30}, call(8, "ddd", "1203", 1800, "1", "1", true, func(c *Call) { c.DurationS = 1800 }), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(tc.rules.Match(&tc.call), ", ")
			if got != tc.want {
				t.Errorf("rules = %q, want %q", got, tc.want)
			}
		})
	}
	s := Special(&Ledger{Calls: []Call{long, plain, call(9, "", "1203", 0, "0", "0", false, func(c *Call) { c.Direction = "incoming"; c.DurationS = 4000 })}},
		Rules{OverMinutes: 30, Mask: 4})
	if len(s.Calls) != 1 || s.Calls[0].JournalID != 1 {
		t.Fatalf("special = %+v, want only the long outgoing call", s.Calls)
	}
}

func TestWriteFormats(t *testing.T) {
	tb := Table{Title: "T", Columns: []Column{{Name: "A"}, {Name: "AMOUNT", Right: true}}, Rows: [][]string{{"x", "1.00"}, {"long name", "123.45"}},
		Footer: []string{"total", "124.45"}}
	var b bytes.Buffer
	if err := Write(&b, Text, "H", []Table{tb}, nil); err != nil {
		t.Fatal(err)
	}
	want := "H\n\nT\n  A          AMOUNT\n  ---------  ------\n  x            1.00\n  long name  123.45\n  ---------  ------\n  total      124.45\n"
	if b.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := Write(&b, CSV, "H", []Table{tb, tb}, nil); err != nil {
		t.Fatal(err)
	}
	if want := "A,AMOUNT\nx,1.00\nlong name,123.45\ntotal,124.45\n\nA,AMOUNT\nx,1.00\nlong name,123.45\ntotal,124.45\n"; b.String() != want {
		t.Errorf("csv:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := Write(&b, JSON, "H", nil, Totals{Key: "idd", Revenue: m("16.9")}); err != nil || !strings.Contains(b.String(), `"revenue": "16.90"`) {
		t.Errorf("json: %v\n%s", err, b.String())
	}
}
