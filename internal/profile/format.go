package profile

import (
	"errors"
	"strings"
)

// Format is a compiled date, time, datetime, year or duration format.
//
// Tokens: YYYY YY (year), MM M (month), DD D (day), hh h (hours), mm m
// (minutes), ss s (seconds), AM (AM/PM marker), P? (optional trailing P/p
// meaning PM, Mitel). A letter written once takes one or more digits; written
// n times it takes exactly n digits (hhhh = four-digit hours). Any other
// character must appear as written. Durations also accept the whole-format
// words "seconds" (an integer) and "tenths" (minutes with an optional tenth,
// "12.5" = 750 s).
type Format struct {
	Text string
	toks []tok
	kind fmtKind
}

type fmtKind uint8

const (
	fmtTokens fmtKind = iota
	fmtSeconds
	fmtTenths
)

type tok struct {
	unit  byte // 'Y','M','D','h','m','s','A' (AM/PM), 'P' (optional P), 0 literal
	width int  // 0 = one or more digits
	lit   byte
}

// Parsed is what a Format found in a value. Fields not in the format are -1.
type Parsed struct {
	Year, Month, Day, Hour, Min, Sec int
	PM                               int8 // 0 none, 1 AM, 2 PM
}

// CompileFormat compiles a format string.
func CompileFormat(s string) (*Format, error) {
	f := &Format{Text: s}
	switch s {
	case "":
		return nil, errors.New("empty format")
	case "seconds":
		f.kind = fmtSeconds
		return f, nil
	case "tenths":
		f.kind = fmtTenths
		return f, nil
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 'A' && i+1 < len(s) && s[i+1] == 'M':
			f.toks = append(f.toks, tok{unit: 'A'})
			i += 2
		case c == 'P' && i+1 < len(s) && s[i+1] == '?':
			f.toks = append(f.toks, tok{unit: 'P'})
			i += 2
		case c == 'Y' || c == 'M' || c == 'D' || c == 'h' || c == 'm' || c == 's':
			n := 1
			for i+n < len(s) && s[i+n] == c {
				n++
			}
			w := n
			if n == 1 {
				w = 0
			}
			if c == 'Y' && n != 2 && n != 4 {
				return nil, errors.New("year must be YY or YYYY in format " + quote(s))
			}
			f.toks = append(f.toks, tok{unit: c, width: w})
			i += n
		default:
			f.toks = append(f.toks, tok{lit: c})
			i++
		}
	}
	for i := 1; i < len(f.toks); i++ {
		if f.toks[i-1].unit != 0 && f.toks[i-1].unit != 'A' && f.toks[i-1].unit != 'P' && f.toks[i-1].width == 0 &&
			f.toks[i].unit != 0 && f.toks[i].unit != 'A' && f.toks[i].unit != 'P' {
			return nil, errors.New("a variable-width token must be followed by a literal in format " + quote(s))
		}
	}
	return f, nil
}

// Has reports whether the format contains the unit ('Y','M','D','h','m','s').
func (f *Format) Has(unit byte) bool {
	for _, t := range f.toks {
		if t.unit == unit {
			return true
		}
	}
	return false
}

// Parse reads v. ok is false when v does not fit the format.
func (f *Format) Parse(v string) (p Parsed, ok bool) {
	p = Parsed{-1, -1, -1, -1, -1, -1, 0}
	i := 0
	for _, t := range f.toks {
		switch t.unit {
		case 0:
			if i >= len(v) || v[i] != t.lit {
				return p, false
			}
			i++
		case 'A':
			if i+2 > len(v) {
				return p, false
			}
			switch {
			case (v[i] == 'A' || v[i] == 'a') && (v[i+1] == 'M' || v[i+1] == 'm'):
				p.PM = 1
			case (v[i] == 'P' || v[i] == 'p') && (v[i+1] == 'M' || v[i+1] == 'm'):
				p.PM = 2
			default:
				return p, false
			}
			i += 2
		case 'P':
			if i < len(v) && (v[i] == 'P' || v[i] == 'p') {
				p.PM = 2
				i++
			}
		default:
			n, j := 0, i
			for j < len(v) && v[j] >= '0' && v[j] <= '9' && (t.width == 0 || j-i < t.width) {
				n = n*10 + int(v[j]-'0')
				j++
				if n > 1e8 {
					return p, false
				}
			}
			if j == i || (t.width > 0 && j-i != t.width) {
				return p, false
			}
			i = j
			switch t.unit {
			case 'Y':
				if t.width == 2 {
					// Two-digit years: 70-99 are 19xx, 00-69 are 20xx.
					if n >= 70 {
						n += 1900
					} else {
						n += 2000
					}
				}
				p.Year = n
			case 'M':
				p.Month = n
			case 'D':
				p.Day = n
			case 'h':
				p.Hour = n
			case 'm':
				p.Min = n
			case 's':
				p.Sec = n
			}
		}
	}
	if i != len(v) {
		return p, false
	}
	if p.PM != 0 && p.Hour >= 0 {
		switch {
		case p.Hour > 23:
			return p, false
		case p.PM == 2 && p.Hour < 12:
			p.Hour += 12
		case p.PM == 1 && p.Hour == 12:
			p.Hour = 0
		}
	}
	if p.Month == 0 || p.Month > 12 || p.Day == 0 || p.Day > 31 {
		return p, false
	}
	if !f.isDuration() && (p.Hour > 23 || p.Min > 59 || p.Sec > 60) {
		return p, false
	}
	return p, true
}

func (f *Format) isDuration() bool {
	return !f.Has('D') && !f.Has('M') && !f.Has('Y')
}

// Digits reads a decimal number of ASCII digits only (no sign, no space),
// at most 9 of them so that it never overflows.
func Digits(v string) (int, bool) {
	if v == "" || len(v) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int(v[i]-'0')
	}
	return n, true
}

// Seconds parses a duration value. ok is false when v does not fit.
func (f *Format) Seconds(v string) (int, bool) {
	switch f.kind {
	case fmtSeconds:
		return Digits(v)
	case fmtTenths:
		whole, frac, dot := v, "", false
		if k := strings.IndexByte(v, '.'); k >= 0 {
			whole, frac, dot = v[:k], v[k+1:], true
		}
		if whole == "" || len(whole) > 7 || (dot && len(frac) != 1) {
			return 0, false
		}
		n := 0
		for i := 0; i < len(whole); i++ {
			if whole[i] < '0' || whole[i] > '9' {
				return 0, false
			}
			n = n*10 + int(whole[i]-'0')
		}
		s := n * 60
		if dot {
			if frac[0] < '0' || frac[0] > '9' {
				return 0, false
			}
			s += int(frac[0]-'0') * 6
		}
		return s, true
	}
	p, ok := f.Parse(v)
	if !ok {
		return 0, false
	}
	s := 0
	if p.Hour > 0 {
		s += p.Hour * 3600
	}
	if p.Min > 0 {
		if p.Hour >= 0 && p.Min > 59 {
			return 0, false
		}
		s += p.Min * 60
	}
	if p.Sec > 0 {
		if p.Min >= 0 && p.Sec > 59 {
			return 0, false
		}
		s += p.Sec
	}
	return s, true
}

func quote(s string) string { return "\"" + s + "\"" }

// HasYear reports whether the value carried a year.
func (p Parsed) HasYear() bool { return p.Year >= 0 }
