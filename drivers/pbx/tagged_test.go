package pbx

import (
	"strings"
	"testing"
	"time"

	"switchboard/internal/profile"
)

// A tagged profile that is not NEC's: one-letter item numbers, 3-digit
// lengths, items in any order, no repair.
const taggedDoc = `
id: tagged-test
kind: pbx
framing: {type: line}
layouts:
  - name: rec
    match: {prefix: "R|"}
    format: tagged
    tagged:
      start: 3
      tag_width: 1
      length_width: 3
      items:
        - {tag: T, name: times, length: 28}
        - {tag: E, name: ext, min_length: 1, max_length: 6}
        - {tag: D, name: digits, max_length: 20, length_bias: 2}
        - {tag: N, name: note}
    fields:
      - {name: start, tag: T, width: 14, to: start, format: YYYYMMDDhhmmss, required: true}
      - {name: end, tag: T, col: 15, to: end, format: YYYYMMDDhhmmss}
      - {name: ext, tag: E, to: extension}
      - {name: dialed, tag: D, to: dialed}
      - {name: note, tag: N, col: 3, width: 4, to: account}
`

func taggedProfile(t *testing.T, doc string) *profile.PBX {
	t.Helper()
	reg, err := profile.LoadBytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Lookup("tagged-test")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTaggedLayout(t *testing.T) {
	p := NewParser(taggedProfile(t, taggedDoc), time.UTC)
	recv := time.Date(2024, 6, 16, 0, 0, 0, 0, time.UTC)
	const times = "T0282024061509301220240615093530"
	ok := []struct {
		raw                  string
		ext, dialed, account string
		durationS            int
	}{
		{"R|" + times + "E0041203D0060123", "1203", "0123", "", 318},
		// Any order; a field reads part of an item; an item absent is empty.
		{"R|E0041203N008xxABCDyy" + times, "1203", "", "ABCD", 318},
		// The last item's trailing blanks are its data; blanks after it end the record.
		{"R|" + times + "E00612    ", "12", "", "", 318},
		{"R|" + times + "E004101   ", "101", "", "", 318},
		// Bias 2, no digits.
		{"R|" + times + "D002", "", "", "", 318},
	}
	for _, c := range ok {
		rec, err := p.Parse([]byte(c.raw), recv)
		if err != nil {
			t.Errorf("%q: %v", c.raw, err)
			continue
		}
		if rec.Extension != c.ext || rec.Dialed != c.dialed || rec.Account != c.account || rec.DurationS != c.durationS {
			t.Errorf("%q: %+v", c.raw, rec)
		}
	}
	bad := []struct{ raw, want string }{
		{"R|" + times + "X001a", `layout rec: after item T times (column 3, length 028), expected an item number of the table at column 35, found "X"`},
		{"R|" + times + "E0071234567", "layout rec: item E ext at column 35: length 007 gives 7 characters of data, the table says 1 to 6"},
		{"R|" + times + "D001", "item D digits at column 35: length 001, but this item's length says 2 more than its data"},
		{"R|T0272024061509301220240615093530", "item T times at column 3: length 027 gives 27 characters of data, the table says 28"},
		{"R|" + times + "E0011E0012", "item E ext appears twice (again at column 40)"},
		{"R|" + times + "E00", `expected an item number and its length at column 35, found only "E00"`},
		{"R|E0041203", `field start "": required field is empty`},
		{"R|", "no item after column 2"},
	}
	for _, c := range bad {
		_, err := p.Parse([]byte(c.raw), recv)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.raw, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "single length change") {
			t.Errorf("%q: %v: repaired without repair: one_length", c.raw, err)
		}
	}
}

// TestTaggedRepair: repair: one_length takes the one change of one length
// that reads the whole record, and no other.
func TestTaggedRepair(t *testing.T) {
	doc := strings.Replace(taggedDoc, "length_width: 3", "length_width: 3\n      repair: one_length", 1)
	p := NewParser(taggedProfile(t, doc), time.UTC)
	recv := time.Date(2024, 6, 16, 0, 0, 0, 0, time.UTC)
	const times = "T0282024061509301220240615093530"
	rec, err := p.Parse([]byte("R|E0051203"+times), recv) // ext says 5, has 4: the next item tells
	if err != nil || rec.Extension != "1203" || rec.DurationS != 318 {
		t.Errorf("repair: %+v, %v", rec, err)
	}
	rec, err = p.Parse([]byte("R|"+times+"E0051203"), recv) // the same as the last item: not stretched to the end
	if err == nil || !strings.Contains(err.Error(), "no single length change") {
		t.Errorf("last item repaired: %+v, %v", rec, err)
	}
	// Two single changes read the record (E "1" then N "1N001x", or E "1N0061" then N "x"): ambiguous.
	rec, err = p.Parse([]byte("R|E0031N0061N001x"+times), recv)
	if err == nil || !strings.Contains(err.Error(), "several single length changes") {
		t.Errorf("ambiguous record repaired: %+v, %v", rec, err)
	}
}
