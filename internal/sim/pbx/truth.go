package pbxsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/events"
)

// truthFields are the record fields a profile's template prints, beyond
// those every record has.
type truthFields uint16

const (
	knowCaller truthFields = 1 << iota
	knowTrunk
	knowRing
	knowCallID
	knowCost
	knowClass
	knowAccount
)

// Check compares a parsed record with the call's truth and lists the
// differences ("" none). Kind, direction, extension, dialed digits, duration,
// start and end are always compared; answered for calls; caller, trunk,
// ring, call id, cost and class when the profile's template prints them.
func (c *Call) Check(got events.CallRecord) []string {
	w := &c.Truth
	var bad []string
	diff := func(name string, g, want any) {
		if g != want {
			bad = append(bad, fmt.Sprintf("%s = %v, want %v", name, g, want))
		}
	}
	diff("kind", got.Kind, w.Kind)
	diff("direction", got.Direction, w.Direction)
	diff("extension", got.Extension, w.Extension)
	diff("dialed", got.Dialed, w.Dialed)
	diff("duration_s", got.DurationS, w.DurationS)
	if !got.Start.Equal(w.Start) {
		bad = append(bad, fmt.Sprintf("start = %s, want %s", got.Start.Format(time.RFC3339), w.Start.Format(time.RFC3339)))
	}
	if !got.End.Equal(w.End) {
		bad = append(bad, fmt.Sprintf("end = %s, want %s", got.End.Format(time.RFC3339), w.End.Format(time.RFC3339)))
	}
	if c.Kind.IsCall() {
		diff("answered", boolStr(got.Answered), boolStr(w.Answered))
	}
	if c.known&knowCaller != 0 {
		diff("caller", got.Caller, w.Caller)
	}
	if c.known&knowTrunk != 0 {
		diff("trunk", got.Trunk, w.Trunk)
	}
	if c.known&knowRing != 0 {
		diff("ring_s", intStr(got.RingS), intStr(w.RingS))
	}
	if c.known&knowCallID != 0 {
		diff("call_id", got.CallID, w.CallID)
	}
	if c.known&knowCost != 0 {
		diff("pbx_cost", got.PBXCost, w.PBXCost)
	}
	if c.known&knowClass != 0 {
		diff("pbx_class", got.PBXClass, w.PBXClass)
	}
	if c.known&knowAccount != 0 {
		diff("account", got.Account, w.Account)
	}
	return bad
}

func boolStr(b *bool) string {
	if b == nil {
		return "<nil>"
	}
	return strconv.FormatBool(*b)
}

func intStr(i *int) string {
	if i == nil {
		return "<nil>"
	}
	return strconv.Itoa(*i)
}

// truthNames are the placeholders whose printed text is the truth of a record field.
var truthNames = [...]string{"ext", "dialed", "keyed", "did", "caller", "trunk", "call_id", "cost", "class", "account"}

func truthIndex(name string) int {
	for i, n := range truthNames {
		if n == name {
			return i
		}
	}
	return -1
}

// truth sets c.Truth from what the template printed.
func (s *Simulator) truth(c *Call, t *template, texts *[len(truthNames)]string) {
	rec := events.CallRecord{Profile: s.p.ID, Kind: events.KindCall}
	c.known = 0
	if c.Kind.IsCall() {
		switch c.Kind {
		case Outgoing:
			rec.Direction = events.Outgoing
		case Internal:
			rec.Direction = events.Internal
		default:
			rec.Direction = events.Incoming
		}
		a := c.Answered
		rec.Answered = &a
	} else {
		rec.Kind = string(c.Kind)
	}
	has := func(name string) bool { _, ok := t.uses[name]; return ok }
	text := func(name string) string { return texts[truthIndex(name)] }
	if has("ext") {
		rec.Extension = text("ext")
	}
	for _, n := range []string{"dialed", "keyed", "did"} {
		if has(n) {
			rec.Dialed = strip(text(n), s.p.DialedStrip)
		}
	}
	if has("caller") {
		rec.Caller, c.known = text("caller"), c.known|knowCaller
	}
	if has("trunk") {
		rec.Trunk, c.known = text("trunk"), c.known|knowTrunk
	}
	if has("call_id") {
		rec.CallID, c.known = text("call_id"), c.known|knowCallID
	}
	if has("cost") {
		rec.PBXCost, c.known = normCost(text("cost")), c.known|knowCost
	}
	if has("class") {
		rec.PBXClass, c.known = text("class"), c.known|knowClass
	}
	if has("account") {
		rec.Account, c.known = text("account"), c.known|knowAccount
	}
	if p, ok := t.prec["ring"]; ok || has("total") {
		r := int(c.Ring / time.Second)
		if ok {
			r = int((c.Ring - c.Ring%p) / time.Second)
		}
		rec.RingS, c.known = &r, c.known|knowRing
	}
	var start, end time.Time
	hasS, hasE := false, false
	if p, ok := t.prec["start"]; ok {
		start, hasS = quantizeTime(c.Start.In(s.loc), p), true
	}
	if p, ok := t.prec["answer"]; ok {
		start, hasS = quantizeTime(c.Answer().In(s.loc), p), true
	}
	if p, ok := t.prec["end"]; ok {
		end, hasE = quantizeTime(c.End().In(s.loc), p), true
	}
	dur := time.Duration(0)
	if p, ok := t.prec["duration"]; ok {
		dur = c.Duration - c.Duration%p
	} else if hasS && hasE {
		dur = end.Sub(start)
	}
	switch {
	case hasS && hasE:
	case hasS:
		end = start.Add(dur)
	case hasE:
		start = end.Add(-dur)
	}
	if s.p.Derive.UnansweredDuration == "ring" && c.Kind.IsCall() && !c.Answered && !hasE && rec.RingS != nil {
		// The duration column held the ring time: the record ends when
		// the ringing stopped.
		end = start.Add(time.Duration(*rec.RingS) * time.Second)
	}
	rec.Start, rec.End, rec.DurationS = start, end, int(dur/time.Second)
	c.Truth = rec
}

func strip(v, chars string) string {
	if chars == "" {
		return v
	}
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(chars, r) {
			return -1
		}
		return r
	}, v)
}

// normCost is a printed amount as the gateway records it: no leading zeros.
func normCost(v string) string {
	for len(v) > 1 && v[0] == '0' && v[1] != '.' {
		v = v[1:]
	}
	return v
}
