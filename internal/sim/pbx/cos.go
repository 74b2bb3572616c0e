package pbxsim

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// COS is a room phone's class of service as the PBX enforces it: which
// outgoing calls it lets through. A call beyond the class is refused at the
// PBX (the guest hears the barring tone), so it never appears in the SMDR.
// The names are those of the hotel link's class of service (`cos.set`);
// "barred" is the same as internal.
type COS string

// Classes of service, from the most to the least barred. Emergency numbers
// (110, 119, 120, 122) go through at every class: PBXs are programmed to
// let them out from any extension.
const (
	COSInternal      COS = "internal"      // extensions only
	COSLocal         COS = "local"         // + city numbers, mobiles, toll-free 400/800
	COSNational      COS = "national"      // + long distance (0 + area code)
	COSInternational COS = "international" // + 00 (IDD, Hong Kong, Macao, Taiwan): no barring, the default
)

// ParseCOS reads a class name; "barred" means internal, "" international.
func ParseCOS(s string) (COS, error) {
	switch c := COS(strings.ToLower(strings.TrimSpace(s))); c {
	case "barred":
		return COSInternal, nil
	case "":
		return COSInternational, nil
	case COSInternal, COSLocal, COSNational, COSInternational:
		return c, nil
	}
	return "", fmt.Errorf("class of service %q: want internal (barred), local, national or international", s)
}

// rank orders the classes; an unknown class bars nothing.
func (c COS) rank() int {
	switch c {
	case COSInternal, "barred":
		return 0
	case COSLocal:
		return 1
	case COSNational:
		return 2
	}
	return 3
}

// needs is the class an outgoing call of category c requires.
func (c Category) needs() COS {
	switch c {
	case Emergency:
		return COSInternal
	case Local, Mobile, TollFree:
		return COSLocal
	case DDD:
		return COSNational
	}
	return COSInternational // IDD, HK/Macao/Taiwan
}

// Allows reports whether a phone of class c may make the call.
func (c COS) Allows(call *Call) bool {
	if call.Kind != Outgoing {
		return true // barring is on outgoing trunk calls only
	}
	return call.Category.needs().rank() <= c.rank()
}

// COSTable is a per-room class of service read from --bar specs or a COS
// file: single rooms or FIRST-LAST ranges; a later entry overrides an
// earlier one for the rooms it names. Rooms not named are Default
// (international when empty). Its Lookup is an Options.COS.
type COSTable struct {
	Default COS
	entries []cosEntry
}

type cosEntry struct {
	first, last int    // numeric range, or
	room        string // one non-numeric extension
	cos         COS
}

// Add reads comma-separated ROOM=CLASS or FIRST-LAST=CLASS entries
// (`--bar 1203=internal,1101-1199=local`).
func (t *COSTable) Add(spec string) error {
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		rooms, class, ok := strings.Cut(part, "=")
		if !ok {
			return fmt.Errorf("%q: want ROOM=CLASS or FIRST-LAST=CLASS", part)
		}
		if err := t.add(rooms, class); err != nil {
			return err
		}
	}
	return nil
}

func (t *COSTable) add(rooms, class string) error {
	c, err := ParseCOS(class)
	if err != nil {
		return fmt.Errorf("%s: %w", rooms, err)
	}
	rooms = strings.TrimSpace(rooms)
	e := cosEntry{first: -1, last: -1, cos: c}
	if a, b, ok := strings.Cut(rooms, "-"); ok {
		x, err1 := strconv.Atoi(a)
		y, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || x < 0 || y < x {
			return fmt.Errorf("rooms %q: want FIRST-LAST, e.g. 1101-1199", rooms)
		}
		e.first, e.last = x, y
	} else if rooms == "" {
		return fmt.Errorf("=%s: no room", class)
	} else {
		e.room = rooms
	}
	t.entries = append(t.entries, e)
	return nil
}

// ReadCOSFile reads a COS file: one `ROOM CLASS` or `FIRST-LAST CLASS` (or
// `ROOM=CLASS`) per line; blank lines and # comments are ignored. A line
// `default CLASS` sets Default.
func ReadCOSFile(r io.Reader) (*COSTable, error) {
	t := &COSTable{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		rooms, class, ok := strings.Cut(line, "=")
		if !ok {
			f := strings.Fields(line)
			if len(f) != 2 {
				return nil, fmt.Errorf("line %d: %q: want ROOM CLASS", n, line)
			}
			rooms, class = f[0], f[1]
		}
		if strings.TrimSpace(rooms) == "default" {
			c, err := ParseCOS(class)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			t.Default = c
			continue
		}
		if err := t.add(rooms, class); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// Lookup is the class of a room.
func (t *COSTable) Lookup(room string) COS {
	n, numErr := strconv.Atoi(room)
	for i := len(t.entries) - 1; i >= 0; i-- {
		e := t.entries[i]
		if e.room == room || (numErr == nil && e.first >= 0 && e.first <= n && n <= e.last) {
			return e.cos
		}
	}
	if t.Default == "" {
		return COSInternational
	}
	return t.Default
}
