package pbxsim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A template is record text with placeholders:
//
//	{name}            the value as is
//	{name:FORMAT}     a time or duration printed with a profile format
//	                  (YYYY YY MM M DD D hh h mm m ss s AM P?, or seconds /
//	                  tenths for durations) or a named format of the profile
//	{name|N}          right-aligned in N columns (cut to N when longer)
//	{name|-N}         left-aligned in N columns
//	{name|0N}         zero-padded to N columns
//	{_name...}        printed, but not part of the record's truth: the
//	                  profile ignores this column (or reads it as something else)
//	{{ and }}         a literal brace
//	{len:W}...{/len}  the length of what the group prints, as W digits,
//	                  then the group ({len:W+B}: the length plus B); an
//	                  NEC flexible item is 10{len:2+1}{dialed}{/len}
//
// A format and a width combine: {ring:m'ss|4}.

// placeholder kinds.
const (
	phString = iota
	phTime
	phDuration
)

var placeholderKinds = map[string]int{
	"start": phTime, "answer": phTime, "end": phTime, "now": phTime,
	"duration": phDuration, "ring": phDuration, "total": phDuration,
	"ext": phString, "dialed": phString, "keyed": phString, "caller": phString, "did": phString,
	"trunk": phString, "class": phString, "cost": phString, "units": phString, "call_id": phString,
	"seq": phString, "account": phString, "epoch": phString, "mark": phString,
}

type placeholder struct {
	name  string
	quiet bool // {_name}: no truth
	kind  int
	fmt   *timeFormat
	width int
	left  bool
	zero  bool
}

type segment struct {
	lit string
	ph  *placeholder
	cnt *counted // {len:W+B} opens a counted group, {/len} (close) ends it
}

// counted is a counted group's mark: the group's length is printed in
// width digits before it (zero-padded; a longer length prints all 9s).
type counted struct {
	width, bias int
	close       bool
}

// parseCounted reads a counted group's mark; ok is false for any other placeholder.
func parseCounted(s string) (c *counted, ok bool, err error) {
	if s == "/len" {
		return &counted{close: true}, true, nil
	}
	spec, found := strings.CutPrefix(s, "len:")
	if !found {
		return nil, false, nil
	}
	w, b, hasBias := strings.Cut(spec, "+")
	c = &counted{}
	if c.width, err = strconv.Atoi(w); err != nil || c.width < 1 || c.width > 4 {
		return nil, true, fmt.Errorf("a counted group's length takes 1 to 4 digits, not %q", w)
	}
	if hasBias {
		if c.bias, err = strconv.Atoi(b); err != nil || c.bias < 0 || c.bias > 9 {
			return nil, true, fmt.Errorf("a counted group's bias is 0 to 9, not %q", b)
		}
	}
	return c, true, nil
}

type template struct {
	src  string
	segs []segment
	uses map[string]*placeholder  // first placeholder of each name
	prec map[string]time.Duration // finest precision a time or duration is printed with
}

// compileTemplate parses a template; formats names the profile's named formats.
func compileTemplate(src string, formats map[string]string) (*template, error) {
	t := &template{src: src, uses: map[string]*placeholder{}, prec: map[string]time.Duration{}}
	var lit strings.Builder
	open := false // inside a counted group
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '{' && i+1 < len(src) && src[i+1] == '{':
			lit.WriteByte('{')
			i += 2
		case c == '}' && i+1 < len(src) && src[i+1] == '}':
			lit.WriteByte('}')
			i += 2
		case c == '}':
			return nil, fmt.Errorf("unmatched } at byte %d", i+1)
		case c == '{':
			j := strings.IndexByte(src[i:], '}')
			if j < 0 {
				return nil, fmt.Errorf("unclosed { at byte %d", i+1)
			}
			if cnt, ok, err := parseCounted(src[i+1 : i+j]); ok {
				switch {
				case err != nil:
					return nil, fmt.Errorf("{%s}: %w", src[i+1:i+j], err)
				case cnt.close != open:
					return nil, fmt.Errorf("{%s} at byte %d: {len:W}...{/len} groups pair up and do not nest", src[i+1:i+j], i+1)
				}
				open = !cnt.close
				if lit.Len() > 0 {
					t.segs = append(t.segs, segment{lit: lit.String()})
					lit.Reset()
				}
				t.segs = append(t.segs, segment{cnt: cnt})
				i += j + 1
				continue
			}
			ph, err := parsePlaceholder(src[i+1:i+j], formats)
			if err != nil {
				return nil, fmt.Errorf("{%s}: %w", src[i+1:i+j], err)
			}
			if lit.Len() > 0 {
				t.segs = append(t.segs, segment{lit: lit.String()})
				lit.Reset()
			}
			t.segs = append(t.segs, segment{ph: ph})
			if ph.quiet {
				i += j + 1
				continue
			}
			if _, ok := t.uses[ph.name]; !ok {
				t.uses[ph.name] = ph
			}
			if ph.fmt != nil {
				if p, ok := t.prec[ph.name]; !ok || ph.fmt.precision() < p {
					t.prec[ph.name] = ph.fmt.precision()
				}
			}
			i += j + 1
		default:
			lit.WriteByte(c)
			i++
		}
	}
	if lit.Len() > 0 {
		t.segs = append(t.segs, segment{lit: lit.String()})
	}
	if open {
		return nil, errors.New("a {len:W} group without its {/len}")
	}
	return t, nil
}

// closeCounted writes a counted group's length into the digits reserved at
// dst[at:] before it.
func closeCounted(dst []byte, at int, c *counted) {
	n := len(dst) - at - c.width + c.bias
	for i := at + c.width - 1; i >= at; i-- {
		dst[i] = byte('0' + n%10)
		n /= 10
	}
	if n > 0 {
		for i := at; i < at+c.width; i++ {
			dst[i] = '9'
		}
	}
}

func parsePlaceholder(s string, formats map[string]string) (*placeholder, error) {
	ph := &placeholder{}
	if k := strings.LastIndexByte(s, '|'); k >= 0 {
		w, given := s[k+1:], s[k+1:]
		s = s[:k]
		if strings.HasPrefix(w, "-") {
			ph.left, w = true, w[1:]
		} else if len(w) > 1 && w[0] == '0' {
			ph.zero = true
		}
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 || n > 1000 {
			return nil, fmt.Errorf("width %q is not a number of columns", given)
		}
		ph.width = n
	}
	name, format, hasFmt := strings.Cut(s, ":")
	if rest, ok := strings.CutPrefix(name, "_"); ok {
		name, ph.quiet = rest, true
	}
	kind, ok := placeholderKinds[name]
	if !ok {
		return nil, fmt.Errorf("unknown placeholder %q", name)
	}
	ph.name, ph.kind = name, kind
	switch {
	case kind == phString && hasFmt:
		return nil, errors.New("only times and durations take a format")
	case kind != phString && !hasFmt:
		return nil, errors.New("a time or duration needs a format ({" + name + ":hh:mm:ss})")
	case hasFmt:
		if named, ok := formats[format]; ok {
			format = named
		}
		f, err := compileTimeFormat(format)
		if err != nil {
			return nil, err
		}
		if kind == phDuration && f.dateLike() {
			return nil, fmt.Errorf("duration format %q has date units", format)
		}
		if kind == phTime && f.kind != fmtTokens {
			return nil, fmt.Errorf("%q is a duration format", format)
		}
		ph.fmt = f
	}
	return ph, nil
}

// pad applies the placeholder's width.
func (ph *placeholder) pad(dst []byte, v string) []byte {
	if ph.width == 0 {
		return append(dst, v...)
	}
	if len(v) >= ph.width {
		return append(dst, v[:ph.width]...)
	}
	fill := byte(' ')
	if ph.zero {
		fill = '0'
	}
	if ph.left {
		dst = append(dst, v...)
	}
	for i := len(v); i < ph.width; i++ {
		dst = append(dst, fill)
	}
	if !ph.left {
		dst = append(dst, v...)
	}
	return dst
}

// Time formats: the profile's format language read backwards.

type fmtKind uint8

const (
	fmtTokens fmtKind = iota
	fmtSeconds
	fmtTenths
)

type ftok struct {
	unit  byte // Y M D h m s A P, 0 literal
	width int  // 0: as many digits as needed
	lit   byte
}

type timeFormat struct {
	text string
	kind fmtKind
	toks []ftok
	ampm bool
}

func compileTimeFormat(s string) (*timeFormat, error) {
	f := &timeFormat{text: s}
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
			f.toks = append(f.toks, ftok{unit: 'A'})
			f.ampm = true
			i += 2
		case c == 'P' && i+1 < len(s) && s[i+1] == '?':
			f.toks = append(f.toks, ftok{unit: 'P'})
			i += 2
		case strings.IndexByte("YMDhms", c) >= 0:
			n := 1
			for i+n < len(s) && s[i+n] == c {
				n++
			}
			if c == 'Y' && n != 2 && n != 4 {
				return nil, fmt.Errorf("year must be YY or YYYY in format %q", s)
			}
			w := n
			if n == 1 {
				w = 0
			}
			f.toks = append(f.toks, ftok{unit: c, width: w})
			i += n
		default:
			f.toks = append(f.toks, ftok{lit: c})
			i++
		}
	}
	return f, nil
}

func (f *timeFormat) has(unit byte) bool {
	for _, t := range f.toks {
		if t.unit == unit {
			return true
		}
	}
	return false
}

func (f *timeFormat) dateLike() bool { return f.has('Y') || f.has('M') || f.has('D') }

// precision is the finest unit the format prints.
func (f *timeFormat) precision() time.Duration {
	switch {
	case f.kind == fmtSeconds || f.has('s'):
		return time.Second
	case f.kind == fmtTenths:
		return 6 * time.Second
	case f.has('m'):
		return time.Minute
	case f.has('h'):
		return time.Hour
	}
	return 24 * time.Hour
}

func appendNum(dst []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// appendTime prints t (already in the site zone).
func (f *timeFormat) appendTime(dst []byte, t time.Time) []byte {
	for _, k := range f.toks {
		switch k.unit {
		case 0:
			dst = append(dst, k.lit)
		case 'Y':
			if k.width == 2 {
				dst = appendNum(dst, t.Year()%100, 2)
			} else {
				dst = appendNum(dst, t.Year(), 4)
			}
		case 'M':
			dst = appendNum(dst, int(t.Month()), k.width)
		case 'D':
			dst = appendNum(dst, t.Day(), k.width)
		case 'h':
			h := t.Hour()
			if f.ampm {
				h %= 12
				if h == 0 {
					h = 12
				}
			}
			dst = appendNum(dst, h, k.width)
		case 'm':
			dst = appendNum(dst, t.Minute(), k.width)
		case 's':
			dst = appendNum(dst, t.Second(), k.width)
		case 'A':
			if t.Hour() < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case 'P': // 24-hour clock: no PM marker
		}
	}
	return dst
}

// appendDuration prints d; the largest unit of the format takes the overflow
// (m'ss prints 75 s as 1'15, mm:ss prints 2 h as 120:00).
func (f *timeFormat) appendDuration(dst []byte, d time.Duration) []byte {
	s := int(d / time.Second)
	switch f.kind {
	case fmtSeconds:
		return strconv.AppendInt(dst, int64(s), 10)
	case fmtTenths:
		tenths := s / 6
		dst = strconv.AppendInt(dst, int64(tenths/10), 10)
		dst = append(dst, '.')
		return strconv.AppendInt(dst, int64(tenths%10), 10)
	}
	hasH, hasM := f.has('h'), f.has('m')
	h, m := 0, 0
	if hasH {
		h, s = s/3600, s%3600
	}
	if hasM {
		m, s = s/60, s%60
	}
	for _, k := range f.toks {
		switch k.unit {
		case 0:
			dst = append(dst, k.lit)
		case 'h':
			dst = appendNum(dst, h, k.width)
		case 'm':
			dst = appendNum(dst, m, k.width)
		case 's':
			dst = appendNum(dst, s, k.width)
		}
	}
	return dst
}

// quantizeTime cuts t (in loc) to what the format prints.
func quantizeTime(t time.Time, p time.Duration) time.Time {
	switch {
	case p <= time.Minute:
		return t.Truncate(p)
	case p == time.Hour:
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, t.Location())
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}
