package pbx

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"switchboard/internal/events"
	"switchboard/internal/profile"
)

// ErrSkip is returned for frames that are not records: page headers, dashed
// rules, blank lines, form feeds and informational lines a profile marks
// `skip`. A caller journals them but does not report them as unparsed.
var ErrSkip = errors.New("pbx: not a record (header, rule or blank)")

// ParseError says why a frame could not be parsed. Field and Value are set
// when one field was at fault.
type ParseError struct {
	Layout string
	Field  string
	Value  string
	Reason string
}

// maxErrValue bounds the field value an error message repeats.
const maxErrValue = 80

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Field != "" {
		b.WriteString("field ")
		b.WriteString(e.Field)
		b.WriteString(" ")
		// The value is quoted so control bytes show; a long one is cut
		// (the whole frame stays in the journal).
		v := e.Value
		if len(v) > maxErrValue {
			v = v[:maxErrValue]
			b.WriteString(strconv.Quote(v))
			b.WriteString("...")
		} else {
			b.WriteString(strconv.Quote(v))
		}
		b.WriteString(": ")
	} else if e.Layout != "" {
		b.WriteString("layout ")
		b.WriteString(e.Layout)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Parser turns frames into CallRecords for one profile and one site time
// zone. It is stateless and safe for concurrent use.
type Parser struct {
	p   *profile.PBX
	loc *time.Location
}

// NewParser returns a parser; loc is the site zone (nil means UTC).
func NewParser(p *profile.PBX, loc *time.Location) *Parser {
	if loc == nil {
		loc = time.UTC
	}
	return &Parser{p: p, loc: loc}
}

// Profile returns the parser's profile.
func (ps *Parser) Profile() *profile.PBX { return ps.p }

const frameTrim = "\r\n\f\x00"

// timeParts collects what the fields said about the call's times.
type timeParts struct {
	start, end         profile.Parsed // full date-times
	startD, startT     profile.Parsed
	endD, endT         profile.Parsed
	hasStart, hasEnd   bool
	hasStartD, hasEndD bool
	hasStartT, hasEndT bool
	startY, endY       int
	dur, total, ring   int
	hasDur, hasTotal   bool
	hasRing, hasAnswer bool
}

// Parse parses one frame. received is when the frame arrived (or the
// reference date when re-reading a file): it resolves dates printed without a
// year. The returned record's Line is 0; the caller sets it.
func (ps *Parser) Parse(frame []byte, received time.Time) (events.CallRecord, error) {
	raw := strings.Trim(string(frame), frameTrim)
	rec := events.CallRecord{Profile: ps.p.ID, Kind: events.KindCall, Raw: raw}
	s := raw
	if m := ps.p.Framing.HeaderThrough; m != "" {
		if i := strings.LastIndex(s, m); i >= 0 {
			s = strings.TrimLeft(s[i+len(m):], frameTrim)
		}
	}
	// A tagged record keeps its trailing blanks: its last item may end
	// in blanks its length counts.
	untrimmed := s
	s = strings.TrimRight(s, " \t\r\n\f\x00")
	trimmed := strings.TrimLeft(s, " \t")
	if trimmed == "" {
		return rec, ErrSkip
	}
	for _, c := range ps.p.Skip {
		if ok, _ := c.MatchValue(trimmed, nil); ok {
			return rec, ErrSkip
		}
	}
	var l *profile.Layout
	for _, cand := range ps.p.Layouts {
		if cand.Match == nil {
			l = cand
			break
		}
		if ok, _ := cand.Match.MatchValue(s, nil); ok {
			l = cand
			break
		}
	}
	if l == nil {
		return rec, &ParseError{Reason: "no layout of profile " + ps.p.ID + " matches this record"}
	}
	if l.Reject != "" {
		return rec, &ParseError{Layout: l.Name, Reason: l.Reject}
	}
	var buf [64]string
	vals := buf[:len(l.Fields)]
	var err error
	if l.Format == profile.Tagged {
		err = extractTagged(l, untrimmed, vals)
	} else {
		err = extract(l, s, vals)
	}
	if err != nil {
		return rec, err
	}
	rec.Raw = hidePrivate(rec.Raw, l, vals)
	var tp timeParts
	tp.startY, tp.endY = -1, -1
	for _, a := range l.Set {
		setConst(&rec, a)
		if a.To == profile.ToAnswered {
			tp.hasAnswer = true
		}
	}
	for i, f := range l.Fields {
		if f.When != nil {
			if ok, _ := f.When.MatchValue("", vals); !ok {
				continue
			}
		}
		v := vals[i]
		to, fm := f.To, f.Format
		matched := false
		for _, r := range f.Rules {
			var m []string
			var ok bool
			var rest string
			if len(r.Groups) > 0 && r.Cond.OnlyRegex() {
				m = r.Cond.Regex.FindStringSubmatch(v)
				ok, rest = m != nil, v
			} else {
				ok, rest = r.Cond.MatchValue(v, vals)
			}
			if ok && r.Cut != nil {
				rest, ok = r.Cut.Apply(rest)
			}
			if !ok {
				continue
			}
			matched = true
			if r.Skip {
				return rec, ErrSkip
			}
			if r.Error != "" {
				return rec, &ParseError{Layout: l.Name, Field: f.Name, Value: v, Reason: r.Error}
			}
			for _, a := range r.Set {
				setConst(&rec, a)
				if a.To == profile.ToAnswered {
					tp.hasAnswer = true
				}
			}
			if len(r.Groups) > 0 {
				if m == nil {
					m = r.Cond.Regex.FindStringSubmatch(v)
				}
				for _, g := range r.Groups {
					if g.Index < len(m) && m[g.Index] != "" {
						if err := ps.assign(&rec, &tp, g.To, g.Format, f.Name, strings.TrimSpace(m[g.Index])); err != nil {
							return rec, err
						}
					}
				}
			}
			to, v = r.To, rest
			break
		}
		if v == "" {
			if f.Required && !matched {
				return rec, &ParseError{Layout: l.Name, Field: f.Name, Value: v, Reason: "required field is empty"}
			}
			continue
		}
		if err := ps.assign(&rec, &tp, to, fm, f.Name, v); err != nil {
			return rec, err
		}
	}
	if err := ps.finish(&rec, &tp, received); err != nil {
		return rec, err
	}
	return rec, nil
}

// hidePrivate hides the values of the layout's private fields (people's
// names) in the record's raw text, keeping its length so columns still
// line up: the published record shows a name was there, not whose. The
// journal keeps the frame whole.
func hidePrivate(raw string, l *profile.Layout, vals []string) string {
	for i, f := range l.Fields {
		if f.Private && len(vals[i]) >= 2 {
			raw = strings.ReplaceAll(raw, vals[i], strings.Repeat("*", utf8.RuneCountInString(vals[i])))
		}
	}
	return raw
}

// extract cuts the layout's fields out of s into vals, trimmed of blanks.
func extract(l *profile.Layout, s string, vals []string) error {
	switch l.Format {
	case profile.Fixed:
		if len(s) < l.MinLength {
			return &ParseError{Layout: l.Name, Reason: "truncated record: " + strconv.Itoa(len(s)) +
				" columns, layout needs at least " + strconv.Itoa(l.MinLength)}
		}
		for i, f := range l.Fields {
			if f.Start >= len(s) {
				vals[i] = ""
				continue
			}
			e := f.End
			if e > len(s) {
				e = len(s)
			}
			vals[i] = strings.TrimSpace(s[f.Start:e])
		}
	case profile.CSV:
		var cols [96]string
		n, err := splitCSV(s, l.Sep, l.Quote, cols[:])
		if err != nil {
			return &ParseError{Layout: l.Name, Reason: err.Error()}
		}
		if n < l.MinFields {
			return &ParseError{Layout: l.Name, Reason: "truncated record: " + strconv.Itoa(n) +
				" fields, layout needs at least " + strconv.Itoa(l.MinFields)}
		}
		for i, f := range l.Fields {
			if f.Index < n && f.Index < len(cols) {
				vals[i] = strings.TrimSpace(cols[f.Index])
			} else {
				vals[i] = ""
			}
		}
	case profile.Regex:
		m := l.Pattern.FindStringSubmatchIndex(s)
		if m == nil {
			return &ParseError{Layout: l.Name, Reason: "record does not match the layout pattern"}
		}
		for i, f := range l.Fields {
			a, b := m[2*f.Group], m[2*f.Group+1]
			if a < 0 {
				vals[i] = ""
				continue
			}
			vals[i] = strings.TrimSpace(s[a:b])
		}
	}
	return nil
}

// splitCSV splits one CSV record into out and returns the field count (which
// may exceed len(out); extra fields are counted, not stored). Quoted fields
// (RFC 4180, "" for a quote) are unquoted when quote is set.
func splitCSV(s string, sep byte, quote bool, out []string) (int, error) {
	n := 0
	i := 0
	for {
		var field string
		if quote && i < len(s) && s[i] == '"' {
			j := i + 1
			esc := false
			for {
				k := strings.IndexByte(s[j:], '"')
				if k < 0 {
					return n, errors.New("unterminated quoted field " + strconv.Itoa(n+1))
				}
				j += k
				if j+1 < len(s) && s[j+1] == '"' {
					esc = true
					j += 2
					continue
				}
				break
			}
			field = s[i+1 : j]
			if esc {
				field = strings.ReplaceAll(field, `""`, `"`)
			}
			i = j + 1
			if i < len(s) && s[i] != sep {
				return n, errors.New("text after closing quote in field " + strconv.Itoa(n+1))
			}
		} else {
			k := strings.IndexByte(s[i:], sep)
			if k < 0 {
				field = s[i:]
				i = len(s)
			} else {
				field = s[i : i+k]
				i += k
			}
		}
		if n < len(out) {
			out[n] = field
		}
		n++
		if i >= len(s) {
			return n, nil
		}
		i++ // separator
		if i == len(s) {
			if n < len(out) {
				out[n] = ""
			}
			return n + 1, nil
		}
	}
}

func setConst(rec *events.CallRecord, a profile.Assign) {
	switch a.To {
	case profile.ToAnswered:
		b := a.Value == "true"
		rec.Answered = &b
	case profile.ToContinuation:
		rec.Continuation = a.Value == "true"
	case profile.ToDirection:
		rec.Direction = events.Direction(a.Value)
	case profile.ToKind:
		rec.Kind = a.Value
	default:
		setString(rec, a.To, a.Value)
	}
}

func setString(rec *events.CallRecord, t profile.Target, v string) {
	switch t {
	case profile.ToExtension:
		rec.Extension = v
	case profile.ToTrunk:
		rec.Trunk = v
	case profile.ToDialed:
		rec.Dialed = v
	case profile.ToCaller:
		rec.Caller = v
	case profile.ToAccount:
		rec.Account = v
	case profile.ToCallID:
		rec.CallID = v
	case profile.ToPBXClass:
		rec.PBXClass = v
	case profile.ToCondition:
		rec.Condition = v
	}
}

func fieldErr(name, v, reason string) error {
	return &ParseError{Field: name, Value: v, Reason: reason}
}

func (ps *Parser) assign(rec *events.CallRecord, tp *timeParts, t profile.Target, fm *profile.Format, name, v string) error {
	switch t {
	case profile.ToNone:
	case profile.ToStart, profile.ToEnd, profile.ToStartDate, profile.ToEndDate, profile.ToStartTime, profile.ToEndTime:
		p, ok := fm.Parse(v)
		if !ok {
			what := " date"
			if t == profile.ToStartTime || t == profile.ToEndTime {
				what = " time"
			}
			return fieldErr(name, v, "not a "+fm.Text+what)
		}
		if t != profile.ToStartDate && t != profile.ToEndDate && !fm.Has('s') {
			// A time without seconds: the PBX's clock reads to the minute.
			rec.TimeResolutionS = 60
		}
		switch t {
		case profile.ToStart:
			tp.start, tp.hasStart = p, true
		case profile.ToEnd:
			tp.end, tp.hasEnd = p, true
		case profile.ToStartDate:
			tp.startD, tp.hasStartD = p, true
		case profile.ToEndDate:
			tp.endD, tp.hasEndD = p, true
		case profile.ToStartTime:
			tp.startT, tp.hasStartT = p, true
		case profile.ToEndTime:
			tp.endT, tp.hasEndT = p, true
		}
	case profile.ToStartYear, profile.ToEndYear:
		p, ok := fm.Parse(v)
		if !ok || p.Year < 0 {
			return fieldErr(name, v, "not a "+fm.Text+" year")
		}
		if t == profile.ToStartYear {
			tp.startY = p.Year
		} else {
			tp.endY = p.Year
		}
	case profile.ToDuration, profile.ToTotal, profile.ToRing:
		n, ok := fm.Seconds(v)
		if !ok {
			return fieldErr(name, v, "not a "+fm.Text+" duration")
		}
		switch t {
		case profile.ToDuration:
			tp.dur, tp.hasDur = n, true
		case profile.ToTotal:
			tp.total, tp.hasTotal = n, true
		default:
			tp.ring, tp.hasRing = n, true
		}
	case profile.ToAnswered:
		b, ok := parseBool(v)
		if !ok {
			return fieldErr(name, v, "not a yes/no value")
		}
		rec.Answered = &b
		tp.hasAnswer = true
	case profile.ToContinuation:
		b, ok := parseBool(v)
		if !ok {
			return fieldErr(name, v, "not a continuation flag (0/1)")
		}
		rec.Continuation = b
	case profile.ToDirection:
		switch events.Direction(v) {
		case events.Outgoing, events.Incoming, events.Internal, events.Transfer, events.Unanswered:
			rec.Direction = events.Direction(v)
		default:
			return fieldErr(name, v, "not a direction (map it with rules)")
		}
	case profile.ToKind:
		return fieldErr(name, v, "a kind comes from rules, not from the value")
	case profile.ToPBXCost:
		c, ok := parseCost(v)
		if !ok {
			return fieldErr(name, v, "not a decimal amount")
		}
		rec.PBXCost = c
	case profile.ToMeter:
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				return fieldErr(name, v, "not a meter pulse count")
			}
		}
	case profile.ToDialed:
		rec.Dialed = stripChars(v, ps.p.DialedStrip)
	default:
		setString(rec, t, v)
	}
	return nil
}

func parseBool(v string) (bool, bool) {
	switch v {
	case "1", "Y", "y", "T", "true", "TRUE", "yes", "YES":
		return true, true
	case "0", "N", "n", "F", "false", "FALSE", "no", "NO":
		return false, true
	}
	return false, false
}

// parseCost validates a PBX cost ("0.50", "00560.00EU", "-1.2") and returns
// it as a plain decimal string without leading zeros or currency letters.
func parseCost(v string) (string, bool) {
	end := len(v)
	for end > 0 && (v[end-1] >= 'A' && v[end-1] <= 'Z' || v[end-1] >= 'a' && v[end-1] <= 'z') {
		end--
	}
	if len(v)-end > 3 {
		return "", false
	}
	num := strings.TrimSpace(v[:end])
	neg := strings.HasPrefix(num, "-")
	if neg {
		num = num[1:]
	}
	if num == "" {
		return "", false
	}
	dot := -1
	for i := 0; i < len(num); i++ {
		switch {
		case num[i] == '.' && dot < 0:
			dot = i
		case num[i] < '0' || num[i] > '9':
			return "", false
		}
	}
	if dot == 0 || dot == len(num)-1 {
		return "", false
	}
	intEnd := len(num)
	if dot > 0 {
		intEnd = dot
	}
	k := 0
	for k < intEnd-1 && num[k] == '0' {
		k++
	}
	num = num[k:]
	if neg {
		return "-" + num, true
	}
	return num, true
}

func stripChars(v, chars string) string {
	if chars == "" || !strings.ContainsAny(v, chars) {
		return v
	}
	b := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if strings.IndexByte(chars, v[i]) < 0 {
			b = append(b, v[i])
		}
	}
	return string(b)
}

// finish assembles start, end, duration, ring and the derived fields.
func (ps *Parser) finish(rec *events.CallRecord, tp *timeParts, received time.Time) error {
	ref := received.In(ps.loc)
	var start, end time.Time
	var okS, okE bool
	var err error
	if tp.hasStart || tp.hasStartD || tp.hasStartT {
		start, okS, err = ps.when("start", tp.start, tp.hasStart, tp.startD, tp.hasStartD, tp.startT, tp.hasStartT, tp.startY, ref)
		if err != nil {
			return err
		}
	}
	if tp.hasEnd || tp.hasEndD || tp.hasEndT {
		endRef := ref
		if okS && !tp.hasEnd && !tp.hasEndD {
			// End time only: the end is on the start's day, or the day after.
			e := time.Date(start.Year(), start.Month(), start.Day(), tp.endT.Hour, max(tp.endT.Min, 0), max(tp.endT.Sec, 0), 0, ps.loc)
			if e.Before(start) {
				e = e.AddDate(0, 0, 1)
			}
			end, okE = e, true
		} else {
			if okS {
				endRef = start.Add(400 * 24 * time.Hour)
			}
			y := tp.endY
			if y < 0 && okS && !tp.end.HasYear() && !tp.endD.HasYear() {
				y = start.Year()
				if tp.hasEnd && tp.end.Month < int(start.Month()) || tp.hasEndD && tp.endD.Month < int(start.Month()) {
					y++
				}
			}
			end, okE, err = ps.when("end", tp.end, tp.hasEnd, tp.endD, tp.hasEndD, tp.endT, tp.hasEndT, y, endRef)
			if err != nil {
				return err
			}
		}
	}
	switch {
	case okS && okE:
		if end.Before(start) {
			return &ParseError{Reason: "call ends (" + end.Format(time.DateTime) + ") before it starts (" + start.Format(time.DateTime) + ")"}
		}
		if !tp.hasDur {
			tp.dur, tp.hasDur = int(end.Sub(start)/time.Second), true
		}
	case okS:
		end = start.Add(time.Duration(tp.dur) * time.Second)
	case okE:
		start = end.Add(-time.Duration(tp.dur) * time.Second)
	default:
		return &ParseError{Reason: "record carries no date or time"}
	}
	rec.Start, rec.End, rec.DurationS = start, end, tp.dur
	if ps.p.Derive.UnansweredDuration == "ring" && rec.Answered != nil && !*rec.Answered && tp.dur > 0 {
		// The line rang this long and nobody talked: the end stays where
		// the PBX put it, the talk time is none.
		if !tp.hasRing {
			tp.ring, tp.hasRing = tp.dur, true
		}
		rec.DurationS = 0
	}
	if !tp.hasRing && tp.hasTotal && tp.total >= tp.dur {
		tp.ring, tp.hasRing = tp.total-tp.dur, true
	}
	if tp.hasRing {
		r := tp.ring
		rec.RingS = &r
	}
	if rec.Kind == events.KindCall {
		if !tp.hasAnswer {
			switch ps.p.Derive.Answered {
			case "duration":
				b := tp.dur > 0
				rec.Answered = &b
			case "ring":
				b := tp.hasRing
				rec.Answered = &b
			}
		}
		if rec.Direction == "" && ps.p.Derive.Direction != "" {
			rec.Direction = events.Direction(ps.p.Derive.Direction)
		}
	}
	return nil
}

// when builds one timestamp from a full date-time or a date and a time.
// year overrides a missing year; otherwise a missing year is the one that
// puts the timestamp closest before ref (a day of clock skew allowed).
func (ps *Parser) when(name string, full profile.Parsed, hasFull bool, d profile.Parsed, hasD bool, t profile.Parsed, hasT bool, year int, ref time.Time) (time.Time, bool, error) {
	var p profile.Parsed
	switch {
	case hasFull:
		p = full
	case hasD:
		p = d
		p.Hour, p.Min, p.Sec = t.Hour, t.Min, t.Sec
		if !hasT {
			p.Hour, p.Min, p.Sec = 0, 0, 0
		}
	default:
		// A time without a date: today at the reference, or yesterday.
		p = t
		p.Year, p.Month, p.Day = ref.Year(), int(ref.Month()), ref.Day()
		tt := time.Date(p.Year, time.Month(p.Month), p.Day, max(p.Hour, 0), max(p.Min, 0), max(p.Sec, 0), 0, ps.loc)
		if tt.After(ref.Add(time.Hour)) {
			tt = tt.AddDate(0, 0, -1)
		}
		return tt, true, nil
	}
	if p.Month < 0 || p.Day < 0 {
		return time.Time{}, false, &ParseError{Reason: name + " has no month or day"}
	}
	h, mi, sec := max(p.Hour, 0), max(p.Min, 0), max(p.Sec, 0)
	if p.Year < 0 && year >= 0 {
		p.Year = year
	}
	if p.Year >= 0 {
		tt := time.Date(p.Year, time.Month(p.Month), p.Day, h, mi, sec, 0, ps.loc)
		if tt.Day() != p.Day {
			return time.Time{}, false, &ParseError{Reason: name + " date " + strconv.Itoa(p.Year) + "-" + strconv.Itoa(p.Month) + "-" + strconv.Itoa(p.Day) + " does not exist"}
		}
		return tt, true, nil
	}
	limit := ref.Add(24 * time.Hour)
	for y := ref.Year() + 1; y >= ref.Year()-8; y-- {
		tt := time.Date(y, time.Month(p.Month), p.Day, h, mi, sec, 0, ps.loc)
		if tt.Day() != p.Day || tt.After(limit) {
			continue
		}
		return tt, true, nil
	}
	return time.Time{}, false, &ParseError{Reason: name + " date " + strconv.Itoa(p.Month) + "/" + strconv.Itoa(p.Day) + " does not exist"}
}
