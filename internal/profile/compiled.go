package profile

import (
	"regexp"
	"strings"
)

// Target is where a field's value goes in the CallRecord (or in the
// intermediate date/time parts the parser assembles).
type Target uint8

// Targets, with their YAML names in targetNames.
const (
	ToNone Target = iota
	ToStart
	ToEnd
	ToStartDate
	ToStartTime
	ToEndDate
	ToEndTime
	ToStartYear
	ToEndYear
	ToDuration
	ToTotal // total duration including ring: ring = total - duration
	ToRing
	ToAnswered
	ToDirection
	ToKind
	ToExtension
	ToTrunk
	ToDialed
	ToCaller
	ToAccount
	ToCallID
	ToContinuation
	ToPBXCost
	ToPBXClass
	ToCondition
	ToMeter
	numTargets
)

var targetNames = [numTargets]string{
	"none", "start", "end", "start_date", "start_time", "end_date", "end_time",
	"start_year", "end_year", "duration", "total_duration", "ring", "answered",
	"direction", "kind", "extension", "trunk", "dialed", "caller", "account",
	"call_id", "continuation", "pbx_cost", "pbx_class", "condition", "meter",
}

func (t Target) String() string {
	if t < numTargets {
		return targetNames[t]
	}
	return "?"
}

// NeedsFormat reports whether values for t are read with a Format.
func (t Target) NeedsFormat() bool {
	switch t {
	case ToStart, ToEnd, ToStartDate, ToStartTime, ToEndDate, ToEndTime, ToStartYear, ToEndYear,
		ToDuration, ToTotal, ToRing:
		return true
	}
	return false
}

// constTarget reports whether a `set:` constant may be given for t.
func (t Target) constTarget() bool {
	switch t {
	case ToAnswered, ToDirection, ToKind, ToExtension, ToTrunk, ToDialed, ToCaller, ToAccount,
		ToCallID, ToContinuation, ToPBXClass, ToCondition:
		return true
	}
	return false
}

func targetByName(s string) (Target, bool) {
	for i, n := range targetNames {
		if n == s {
			return Target(i), true
		}
	}
	return 0, false
}

// Layout formats.
const (
	Fixed uint8 = iota
	CSV
	Regex
	Tagged
)

// Framing types.
const (
	FrameLine   = "line"
	FrameNUL    = "nul"
	FrameSTXETX = "stx_etx"
)

// PBX is a compiled, validated profile. It is read-only and safe for
// concurrent use.
type PBX struct {
	ID          string
	Vendor      string
	Models      []string
	Description string
	Source      string
	Serial      *Serial
	TCP         *TCP
	Framing     Framing
	DialedStrip string
	Derive      DeriveDoc
	Skip        []*Cond
	Layouts     []*Layout
	Examples    []Example
	// Doc is the merged document (after extends) the profile was compiled from.
	Doc *Doc
	// Origin is where the profile came from ("embedded:pbx/x.yaml" or a file path).
	Origin string
}

// Framing is the compiled framing section.
type Framing struct {
	Type          string
	EOL           string
	MaxLength     int
	HeaderThrough string
	ContFirst     *regexp.Regexp
	ContNext      *regexp.Regexp
	ContSep       string
}

// Layout is a compiled record layout.
type Layout struct {
	Name      string
	Match     *Cond
	Format    uint8
	Sep       byte
	Quote     bool
	Pattern   *regexp.Regexp
	MinLength int
	MinFields int
	Reject    string
	Set       []Assign
	Tags      *TagTable // tagged layouts
	Fields    []*Field
}

// MaxTagItems bounds a tagged layout's item table, so the parser keeps an
// item's position in a fixed array.
const MaxTagItems = 64

// TagTable is a tagged layout's compiled item table (TaggedDoc).
type TagTable struct {
	Start     int // 0-based column of the first item
	TagWidth  int
	LenWidth  int
	Ascending bool
	Repair    bool // one_length
	Items     []TagItem
}

// TagItem is one item of a TagTable. Min and Max bound the characters of
// data printed (Max -1: no bound); Bias is what the printed length adds.
type TagItem struct {
	Tag      string
	Name     string
	Min, Max int
	Bias     int
}

// Find returns the index of the item numbered tag, or -1.
func (t *TagTable) Find(tag string) int {
	for i := range t.Items {
		if t.Items[i].Tag == tag {
			return i
		}
	}
	return -1
}

// Field is a compiled field.
type Field struct {
	Name     string
	Start    int // fixed: 0-based first byte; tagged: in the item's data
	End      int // fixed: 0-based end (exclusive); tagged: in the item's data, -1 its end
	Item     int // tagged: index of the item in the layout's Tags.Items
	Index    int // csv: 0-based field number
	Group    int // regex: submatch index
	To       Target
	Format   *Format
	Required bool
	Private  bool // a person's name: hidden in the published raw text
	When     *Cond
	Rules    []*Rule
}

// Assign is a constant assignment from `set:`.
type Assign struct {
	To    Target
	Value string
}

// Rule is a compiled mapping rule.
type Rule struct {
	Cond   *Cond
	Cut    *Cut // take a part of the value (after a delimiter, up to others)
	Set    []Assign
	To     Target
	HasTo  bool
	Skip   bool
	Error  string
	Groups []GroupTarget // regex rules: named groups that are targets
	Format *Format       // format of To when it needs one (inherited from the field)
}

// Cut takes the text after the first After, up to the first byte of Until.
type Cut struct {
	After string
	Until string
}

// Apply cuts v; ok is false when After is not in v.
func (c *Cut) Apply(v string) (string, bool) {
	i := strings.Index(v, c.After)
	if i < 0 {
		return "", false
	}
	v = v[i+len(c.After):]
	if c.Until != "" {
		if j := strings.IndexAny(v, c.Until); j >= 0 {
			v = v[:j]
		}
	}
	return v, true
}

// GroupTarget maps a regex submatch to a target.
type GroupTarget struct {
	Index  int
	To     Target
	Format *Format
}

// Cond is a compiled condition. Field is the index of the field it tests
// (-1: the value under test).
type Cond struct {
	Field     int
	Equals    *string
	In        []string
	Prefixes  []string
	Suffix    string
	Contains  string
	Regex     *regexp.Regexp
	Empty     *bool
	Digits    bool
	MinLength int
	MaxLength int
	AtCol     int // 0-based; -1 none
	AtText    string
	Not       bool
	Any       []*Cond
}

// OnlyRegex reports whether the condition is a bare regular expression on
// the value under test, so a rule can match and extract its groups in one
// pass instead of two.
func (c *Cond) OnlyRegex() bool {
	return c.Regex != nil && c.Field < 0 && c.Equals == nil && c.In == nil && c.Prefixes == nil && c.Suffix == "" &&
		c.Contains == "" && c.Empty == nil && !c.Digits && c.MinLength == 0 && c.MaxLength == 0 && c.AtCol < 0 && !c.Not && c.Any == nil
}

// MatchValue tests v, or the value of field c.Field (from fields) when the
// condition names another field. rest is v without the prefix/suffix the
// condition matched (v itself when it tested another field or matched none).
func (c *Cond) MatchValue(v string, fields []string) (ok bool, rest string) {
	if c.Field >= 0 {
		w := ""
		if c.Field < len(fields) {
			w = fields[c.Field]
		}
		ok, _ = c.match(w, fields)
		return ok != c.Not, v
	}
	ok, rest = c.match(v, fields)
	if c.Not {
		return !ok, v
	}
	return ok, rest
}

func (c *Cond) match(v string, fields []string) (bool, string) {
	rest := v
	if c.Equals != nil && v != *c.Equals {
		return false, v
	}
	if c.In != nil {
		found := false
		for _, s := range c.In {
			if s == v {
				found = true
				break
			}
		}
		if !found {
			return false, v
		}
	}
	if c.Prefixes != nil {
		found := false
		for _, p := range c.Prefixes {
			if strings.HasPrefix(v, p) {
				rest = v[len(p):]
				found = true
				break
			}
		}
		if !found {
			return false, v
		}
	}
	if c.Suffix != "" {
		if !strings.HasSuffix(rest, c.Suffix) {
			return false, v
		}
		rest = rest[:len(rest)-len(c.Suffix)]
	}
	if c.Contains != "" && !strings.Contains(v, c.Contains) {
		return false, v
	}
	if c.Empty != nil && (v == "") != *c.Empty {
		return false, v
	}
	if c.Digits {
		if v == "" {
			return false, v
		}
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				return false, v
			}
		}
	}
	if c.MinLength > 0 && len(v) < c.MinLength {
		return false, v
	}
	if c.MaxLength > 0 && len(v) > c.MaxLength {
		return false, v
	}
	if c.AtCol >= 0 && (c.AtCol+len(c.AtText) > len(v) || v[c.AtCol:c.AtCol+len(c.AtText)] != c.AtText) {
		return false, v
	}
	if c.Regex != nil && !c.Regex.MatchString(v) {
		return false, v
	}
	if c.Any != nil {
		found := false
		for _, a := range c.Any {
			if ok, _ := a.MatchValue(v, fields); ok {
				found = true
				break
			}
		}
		if !found {
			return false, v
		}
	}
	return true, rest
}

// UniqueRecords reports whether every record the profile reads carries the
// PBX's own identity of the call (a required call_id field in every
// layout, e.g. Avaya IP Office's Call ID): two records with the same bytes
// are then one call printed twice (a buffer the PBX printed again), never
// two calls.
func (p *PBX) UniqueRecords() bool {
	if len(p.Layouts) == 0 {
		return false
	}
	for _, l := range p.Layouts {
		found := false
		for _, f := range l.Fields {
			if f.To == ToCallID && f.Required {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
