package pbx

import (
	"fmt"
	"strconv"
	"strings"

	"switchboard/internal/profile"
)

// Tagged records (profile `format: tagged`, NEC's flexible SMDR): from the
// table's start column on, a record is a run of items, each its number,
// the length of its data and the data. The scan checks every item against
// the layout's item table; a record it cannot walk to its end is an error
// that names the item, the column and what was expected there.

// itemPos is where one item of a tagged record was found.
type itemPos struct {
	item      int // index in the table
	at        int // 0-based column of the item number
	said      int // the length as printed
	data, end int // the item's data is s[data:end]
}

// tagScan holds the items of one record, in record order.
type tagScan struct {
	pos [profile.MaxTagItems]itemPos
	n   int
	// The item being read when the scan failed: its index in the table
	// (-1 when its number was not readable or not in the table) and the
	// length it printed.
	failItem, failSaid int
}

// maxRepairTries bounds the scans a one_length repair may cost (a record
// is at most a few hundred characters, the NEC table 19 items).
const maxRepairTries = 4096

// scanTagged walks s from the table's start column, or after the first
// from items already in sc (a repair changes an item and rescans from it).
// fix >= 0 reads the fix-th item with fixLen characters of data instead of
// what its length says. It reports the index (in record order) of the item
// it failed on, or -1; why, when not nil, receives the reason.
func scanTagged(t *profile.TagTable, s string, sc *tagScan, from, fix, fixLen int, why *string) int {
	tw, lw := t.TagWidth, t.LenWidth
	sc.n, sc.failItem, sc.failSaid = from, -1, -1
	var seen [profile.MaxTagItems]bool
	p := t.Start
	for k := 0; k < from; k++ {
		seen[sc.pos[k].item] = true
		p = sc.pos[k].end
	}
	// The reason is written only when asked for: a repair scans a broken
	// record many times and needs no words (nor their allocations).
	if p > len(s) {
		if why != nil {
			*why = fmt.Sprintf("the record ends at column %d, before its first item at column %d", len(s), p+1)
		}
		return sc.n
	}
	for p < len(s) {
		if strings.TrimRight(s[p:], " ") == "" && sc.n > 0 {
			break // blanks after the last item
		}
		k := sc.n
		if k >= len(sc.pos) {
			if why != nil {
				*why = fmt.Sprintf("more than %d items", len(sc.pos))
			}
			return sc.n
		}
		if len(s)-p < tw+lw {
			if why != nil {
				*why = fmt.Sprintf("%sexpected an item number and its length at column %d, found only %q", after(t, s, sc), p+1, s[p:])
			}
			return sc.n
		}
		tag := s[p : p+tw]
		i := t.Find(tag)
		if i < 0 {
			if why != nil {
				*why = fmt.Sprintf("%sexpected an item number of the table at column %d, found %q", after(t, s, sc), p+1, tag)
			}
			return sc.n
		}
		it := &t.Items[i]
		sc.failItem = i
		if seen[i] {
			if why != nil {
				*why = fmt.Sprintf("item %s %s appears twice (again at column %d)", it.Tag, it.Name, p+1)
			}
			return sc.n
		}
		if t.Ascending && k > 0 && tag <= t.Items[sc.pos[k-1].item].Tag {
			prev := &t.Items[sc.pos[k-1].item]
			if why != nil {
				*why = fmt.Sprintf("item %s %s at column %d comes after item %s %s: the items must ascend", it.Tag, it.Name, p+1, prev.Tag, prev.Name)
			}
			return sc.n
		}
		ls := s[p+tw : p+tw+lw]
		said, ok := profile.Digits(ls)
		if !ok {
			if why != nil {
				*why = fmt.Sprintf("item %s %s at column %d: expected a %d-digit length at column %d, found %q", it.Tag, it.Name, p+1, lw, p+tw+1, ls)
			}
			return sc.n
		}
		sc.failSaid = said
		n := said - it.Bias
		if k == fix {
			n = fixLen
		} else if n < 0 {
			if why != nil {
				*why = fmt.Sprintf("item %s %s at column %d: length %s, but this item's length says %d more than its data", it.Tag, it.Name, p+1, ls, it.Bias)
			}
			return sc.n
		} else if n < it.Min || it.Max >= 0 && n > it.Max {
			if why != nil {
				*why = fmt.Sprintf("item %s %s at column %d: length %s gives %d characters of data, the table says %s", it.Tag, it.Name, p+1, ls, n, bounds(it))
			}
			return sc.n
		}
		d := p + tw + lw
		if n > len(s)-d {
			if why != nil {
				*why = fmt.Sprintf("item %s %s at column %d: length %s gives %d characters of data, the record has %d left", it.Tag, it.Name, p+1, ls, n, len(s)-d)
			}
			return sc.n
		}
		sc.pos[k] = itemPos{item: i, at: p, said: said, data: d, end: d + n}
		sc.n++
		seen[i] = true
		sc.failItem, sc.failSaid = -1, -1
		p = d + n
	}
	if sc.n == 0 {
		if why != nil {
			*why = fmt.Sprintf("no item after column %d", t.Start)
		}
		return sc.n
	}
	return -1
}

// after names the item before the one being read, whose length put the
// scan where it is: the usual culprit when a number is not in the table.
func after(t *profile.TagTable, s string, sc *tagScan) string {
	if sc.n == 0 {
		return ""
	}
	ip := sc.pos[sc.n-1]
	it := &t.Items[ip.item]
	return "after item " + it.Tag + " " + it.Name + " (column " + strconv.Itoa(ip.at+1) + ", length " +
		s[ip.at+t.TagWidth:ip.at+t.TagWidth+t.LenWidth] + "), "
}

func bounds(it *profile.TagItem) string {
	switch {
	case it.Min == it.Max:
		return strconv.Itoa(it.Min)
	case it.Max < 0:
		return "at least " + strconv.Itoa(it.Min)
	}
	return strconv.Itoa(it.Min) + " to " + strconv.Itoa(it.Max)
}

// scanRecord scans a tagged record, repairing one length when the table
// allows it (see profile.TaggedDoc.Repair).
func scanRecord(l *profile.Layout, s string, sc *tagScan) error {
	t := l.Tags
	var why string
	failAt := scanTagged(t, s, sc, 0, -1, 0, &why)
	if failAt < 0 {
		return nil
	}
	if !t.Repair {
		return &ParseError{Layout: l.Name, Reason: why}
	}
	// One length changed: try each item the scan got to, the failing one
	// included, with every length its table entry allows.
	strict := *sc
	try := strict // its first k items stay the strict scan's
	found, tries := 0, 0
	for k := 0; k <= failAt && found < 2 && tries <= maxRepairTries; k++ {
		if k > 0 {
			try.pos[k-1] = strict.pos[k-1] // the tries at k-1 wrote over it
		}
		i, said := strict.failItem, strict.failSaid
		if k < strict.n {
			i, said = strict.pos[k].item, strict.pos[k].said
		}
		if i < 0 || said < 0 {
			break
		}
		it := &t.Items[i]
		hi := it.Max
		if hi < 0 || hi > len(s) {
			hi = len(s)
		}
		for n := it.Min; n <= hi && found < 2; n++ {
			if n == said-it.Bias {
				continue
			}
			if tries++; tries > maxRepairTries {
				break
			}
			// A variable-length item is not repaired into the record's last
			// item: that would take in whatever follows a record cut short, or
			// leave out what was appended to it.
			if scanTagged(t, s, &try, k, k, n, nil) < 0 && (k < try.n-1 || it.Min == it.Max) {
				found++
				*sc = try
			}
		}
	}
	switch {
	case found == 1 && tries <= maxRepairTries:
		return nil
	case found > 1:
		why += " (several single length changes would make the record parse: not repaired)"
	case tries > maxRepairTries:
		why += " (too many single length changes to try: not repaired)"
	default:
		why += " (no single length change makes the record parse)"
	}
	return &ParseError{Layout: l.Name, Reason: why}
}

// extractTagged fills vals with the parts of items the layout's fields read.
func extractTagged(l *profile.Layout, s string, vals []string) error {
	var sc tagScan
	if err := scanRecord(l, s, &sc); err != nil {
		return err
	}
	var at [profile.MaxTagItems]int
	for i := range l.Tags.Items {
		at[i] = -1
	}
	for k := 0; k < sc.n; k++ {
		at[sc.pos[k].item] = k
	}
	for i, f := range l.Fields {
		vals[i] = ""
		if f.Item < 0 || at[f.Item] < 0 {
			continue
		}
		ip := sc.pos[at[f.Item]]
		a, b := ip.data+f.Start, ip.end
		if f.End >= 0 && ip.data+f.End < b {
			b = ip.data + f.End
		}
		if a < b {
			vals[i] = strings.TrimSpace(s[a:b])
		}
	}
	return nil
}
