package pbx

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"switchboard/internal/events"
)

// necCall is one call as an NEC PBX knows it, printed by the test in both
// SMDR formats the nec-neax profile reads.
type necCall struct {
	name       string
	kind       string // outgoing, incoming, internal
	route      string // 3 digits
	trunk      string // 3 digits
	station    string // the extension (calling, or called for incoming)
	called     string // internal: the called station
	start, end time.Time
	account    string // up to 10 digits (the normal format's width)
	condition  string // 3 condition codes
	dial       string // digits dialed, or received on an incoming call
	caller     string // incoming: the calling number
	meter      string // 4-digit meter pulses, "" none
}

// put writes v into the 1-based columns col.. of rec.
func put(rec []byte, col int, v string) { copy(rec[col-1:], v) }

// normal prints the call as a normal-format record (KA, KE or KB), in the
// columns of the profile's table (parse-nec-smdr.js offsets).
func (c necCall) normal() string {
	rec := []byte(strings.Repeat(" ", 119))
	kind := map[string]string{"outgoing": "KA", "incoming": "KE", "internal": "KB"}[c.kind]
	put(rec, 1, "0!"+kind)
	if c.kind != "internal" {
		put(rec, 5, c.route)
		put(rec, 8, c.trunk)
	}
	put(rec, 11, "000")
	put(rec, 14, c.station)
	put(rec, 20, c.start.Format("0102150405"))
	put(rec, 30, c.end.Format("0102150405"))
	put(rec, 40, c.account)
	put(rec, 50, "001")
	put(rec, 53, c.condition)
	put(rec, 56, "000000")
	if c.kind == "internal" {
		put(rec, 62, "01")
		put(rec, 64, c.called)
	} else {
		put(rec, 62, c.dial)
		put(rec, 94, c.meter)
	}
	if c.kind == "incoming" {
		put(rec, 98, c.caller)
	}
	put(rec, 116, c.start.Format("06"))
	put(rec, 118, c.end.Format("06"))
	return string(rec)
}

// item prints one flexible item: number, 2-digit length (+ bias), data.
func item(tag, data string, bias int) string {
	n := len(data) + bias
	return tag + string(rune('0'+n/10)) + string(rune('0'+n%10)) + data
}

// flexible prints the call as a flexible record (KK, KL or KM), in the
// items of NEC's FCCS message formats, optional items left out when empty.
func (c necCall) flexible() string {
	var b strings.Builder
	kind := map[string]string{"outgoing": "KK", "incoming": "KL", "internal": "KM"}[c.kind]
	b.WriteString("0!" + kind)
	party := func(stn string) string { return "0001" + stn + strings.Repeat(" ", 6-len(stn)) }
	if c.kind != "internal" {
		b.WriteString(item("01", "001"+c.route+c.trunk+"201", 0))
	}
	switch c.kind {
	case "outgoing":
		b.WriteString(item("02", party(c.station), 0))
		b.WriteString(item("03", "001001"+c.station, 0))
	case "incoming":
		b.WriteString(item("04", party(c.station), 0))
	case "internal":
		b.WriteString(item("02", party(c.station), 0))
		b.WriteString(item("04", party(c.called), 0))
		b.WriteString(item("05", "000", 0))
	}
	b.WriteString(item("06", c.start.Format("20060102150405")+"250"+c.end.Format("20060102150405")+"999", 0))
	if c.account != "" {
		b.WriteString(item("07", c.account, 1))
	}
	b.WriteString(item("08", c.condition, 0))
	if c.kind != "internal" {
		b.WriteString(item("09", "001"+c.route+"201001"+c.route+"201", 0))
		if c.dial != "" {
			b.WriteString(item("10", c.dial, 1))
		}
		if c.meter != "" {
			b.WriteString(item("13", "6"+c.meter, 0))
		}
	}
	if c.kind == "incoming" {
		b.WriteString(item("16", "1"+c.caller, 0))
	}
	b.WriteString(item("18", "0000100002", 0))
	return b.String()
}

// TestNECFlexibleMatchesNormal: a call printed as a normal-format record
// and as a flexible record gives the same CallRecord, every field but the
// raw text. The calls are held out: none is one of the profile's examples,
// and the flexible records are built from the item table, not copied.
func TestNECFlexibleMatchesNormal(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	calls := []necCall{
		{name: "outgoing IDD with account", kind: "outgoing", route: "004", trunk: "017", station: "12003",
			start: at("2024-03-09 23:58:07"), end: at("2024-03-10 00:11:45"), account: "4410", condition: "020",
			dial: "0044207946000", meter: "0031"},
		{name: "outgoing local, not answered", kind: "outgoing", route: "001", trunk: "002", station: "101",
			start: at("2024-06-15 08:00:00"), end: at("2024-06-15 08:00:00"), condition: "000", dial: "62345678"},
		{name: "outgoing across new year", kind: "outgoing", route: "002", trunk: "120", station: "1203",
			start: at("2023-12-31 23:59:30"), end: at("2024-01-01 00:00:40"), condition: "004", dial: "13912345678"},
		{name: "outgoing emergency", kind: "outgoing", route: "001", trunk: "005", station: "806",
			start: at("2024-06-15 03:12:00"), end: at("2024-06-15 03:14:31"), condition: "000", dial: "120"},
		{name: "incoming with caller and DDI", kind: "incoming", route: "003", trunk: "009", station: "1110",
			start: at("2024-06-14 19:20:21"), end: at("2024-06-14 19:41:02"), condition: "100", dial: "65881110",
			caller: "02161234567"},
		{name: "incoming withheld", kind: "incoming", route: "003", trunk: "010", station: "2201",
			start: at("2024-06-14 07:00:05"), end: at("2024-06-14 07:00:59"), condition: "100"},
		{name: "station to station with account", kind: "internal", station: "1203", called: "1101",
			start: at("2024-06-15 11:11:11"), end: at("2024-06-15 11:13:00"), account: "77", condition: "000"},
		{name: "station to station across midnight", kind: "internal", station: "10101", called: "12999",
			start: at("2024-02-28 23:59:59"), end: at("2024-02-29 00:00:01"), condition: "100"},
	}
	p := NewParser(mustProfile(t, "nec-neax"), time.UTC)
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			recv := c.end.Add(time.Hour)
			n, f := c.normal(), c.flexible()
			rn, err := p.Parse([]byte(n), recv)
			if err != nil {
				t.Fatalf("normal %q: %v", n, err)
			}
			rf, err := p.Parse([]byte(f), recv)
			if err != nil {
				t.Fatalf("flexible %q: %v", f, err)
			}
			rn.Raw, rf.Raw = "", ""
			if !reflect.DeepEqual(rn, rf) {
				t.Errorf("records differ\nnormal   %q\n  %+v\nflexible %q\n  %+v", n, rn, f, rf)
			}
			// Both read the call, not merely the same nothing.
			want := map[string]events.Direction{"outgoing": events.Outgoing, "incoming": events.Incoming, "internal": events.Internal}[c.kind]
			dialed := c.dial
			if c.kind == "internal" {
				dialed = c.called
			}
			if rf.Direction != want || rf.Extension != c.station || rf.Dialed != dialed || rf.Caller != c.caller ||
				rf.Account != c.account || rf.Condition != c.condition || !rf.Start.Equal(c.start) || !rf.End.Equal(c.end) ||
				rf.DurationS != int(c.end.Sub(c.start)/time.Second) {
				t.Errorf("flexible %q read as %+v, want the call %+v", f, rf, c)
			}
			if c.kind != "internal" && rf.Trunk != c.trunk {
				t.Errorf("trunk %q, want %q", rf.Trunk, c.trunk)
			}
		})
	}
}

// TestNECFlexibleMalformed: a malformed flexible record is an error that
// says which item, at which column, and what was expected; never a panic
// and never a record. The profile repairs one length only where exactly one
// change reads the whole record, and never by stretching or shrinking the
// last item to the record's end.
func TestNECFlexibleMalformed(t *testing.T) {
	call := necCall{kind: "outgoing", route: "001", trunk: "003", station: "2101", condition: "000", dial: "0312345678",
		start: time.Date(2024, 6, 15, 9, 30, 12, 0, time.UTC), end: time.Date(2024, 6, 15, 9, 35, 30, 0, time.UTC)}
	good := call.flexible()
	// Items of good: 01 at column 5, 02 21, 03 35, 06 49, 08 87, 09 94, 10 116, 18 130; 143 columns.
	p := NewParser(mustProfile(t, "nec-neax"), time.UTC)
	recv := time.Date(2024, 6, 16, 0, 0, 0, 0, time.UTC)
	want, err := p.Parse([]byte(good), recv)
	if err != nil || len(good) != 143 {
		t.Fatalf("the good record %q (%d columns): %v", good, len(good), err)
	}
	cases := []struct{ name, raw, want string }{
		{"unknown item", strings.Replace(good, "0803000", "2003000", 1),
			`after item 06 call_time (column 49, length 34), expected an item number of the table at column 87, found "20"`},
		{"two lengths wrong", strings.Replace(strings.Replace(good, "0310", "0312", 1), "1011", "1013", 1),
			"(no single length change makes the record parse)"},
		{"length not digits", strings.Replace(good, "0634", "06x4", 1), `item 06 call_time at column 49: expected a 2-digit length at column 51, found "x4"`},
		{"cut in the last item", good[:120], "item 10 dial_code at column 116: length 11 gives 10 characters of data, the record has 1 left"},
		{"cut in the last item, not stretched", good[:128], "item 10 dial_code at column 116: length 11 gives 10 characters of data, the record has 9 left (no single"},
		{"item twice", good + "0803000", "item 08 condition_b appears twice (again at column 144)"},
		{"out of order", good + "0501x", "item 05 called_number at column 144 comes after item 18 ma_id: the items must ascend"},
		{"appended digits not swallowed", good[:129] + "9", `after item 10 dial_code (column 116, length 11), expected an item number and its length at column 130, found only "9"`},
		{"bare kind", "0!KK", "no item after column 4"},
		{"only blanks", "0!KK    ", `expected an item number of the table at column 5, found "  "`},
		{"dangling digit", good + "1", `after item 18 ma_id (column 130, length 10), expected an item number and its length at column 144, found only "1"`},
	}
	for _, c := range cases {
		rec, err := p.Parse([]byte(c.raw), recv)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %q: err = %v, want %q (record %+v)", c.name, c.raw, err, c.want, rec)
		}
	}
	// One wrong length, as in the sample records: repaired to the call.
	for _, raw := range []string{
		strings.Replace(good, "0310", "0307", 1),       // a variable item's length (KK sample: item 03)
		strings.Replace(good, "0803000", "0802000", 1), // a fixed item's length (KL sample: item 19)
		good[:129] + "18340000100002",                  // the last item, fixed: its table length
		good + "  ",                                    // blanks after the last item
	} {
		rec, err := p.Parse([]byte(raw), recv)
		rec.Raw, want.Raw = "", ""
		if err != nil || !reflect.DeepEqual(rec, want) {
			t.Errorf("%q: %+v, %v; want %+v", raw, rec, err, want)
		}
	}
}
