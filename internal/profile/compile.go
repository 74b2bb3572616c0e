package profile

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// maxFields bounds a layout's field count so the parser can keep field
// values in a fixed array.
const maxFields = 64

var directions = map[string]bool{"outgoing": true, "incoming": true, "internal": true, "transfer": true, "unanswered": true}

var kinds = map[string]bool{
	"call": true, "checkin": true, "checkout": true, "wakeup.set": true, "wakeup.answered": true,
	"wakeup.noanswer": true, "login": true, "logout": true,
}

// Compile checks a merged profile semantically and compiles it. Every
// problem found is reported, each with its YAML path.
func Compile(d *Doc) (*PBX, error) {
	c := &compiler{doc: d}
	p := c.compile()
	if len(c.errs) > 0 {
		return nil, fmt.Errorf("profile %s: %w", d.ID, errors.Join(c.errs...))
	}
	return p, nil
}

type compiler struct {
	doc  *Doc
	errs []error
}

func (c *compiler) errf(path, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

func (c *compiler) compile() *PBX {
	d := c.doc
	p := &PBX{
		ID: d.ID, Vendor: d.Vendor, Models: d.Models, Description: d.Description, Source: d.Source,
		Serial: d.Serial, TCP: d.TCP, DialedStrip: d.DialedStrip, Derive: d.Derive, Examples: d.Examples, Doc: d,
	}
	if d.Kind != "pbx" {
		c.errf("kind", "must be pbx, not %q", d.Kind)
	}
	c.framing(p)
	switch d.Derive.Answered {
	case "", "duration", "ring":
	default:
		c.errf("derive.answered", "must be duration or ring, not %q", d.Derive.Answered)
	}
	if u := d.Derive.UnansweredDuration; u != "" && u != "ring" {
		c.errf("derive.unanswered_duration", "must be ring, not %q", u)
	}
	if d.Derive.Direction != "" && !directions[d.Derive.Direction] {
		c.errf("derive.direction", "unknown direction %q", d.Derive.Direction)
	}
	for i := range d.Skip {
		p.Skip = append(p.Skip, c.cond(fmt.Sprintf("skip[%d]", i), &d.Skip[i], nil, true))
	}
	if len(d.Layouts) == 0 {
		c.errf("layouts", "a profile needs at least one layout")
	}
	names := map[string]bool{}
	for i := range d.Layouts {
		l := c.layout(fmt.Sprintf("layouts[%d]", i), &d.Layouts[i])
		if names[l.Name] {
			c.errf(fmt.Sprintf("layouts[%d].name", i), "duplicate layout name %q", l.Name)
		}
		names[l.Name] = true
		p.Layouts = append(p.Layouts, l)
	}
	for i, ex := range d.Examples {
		for k := range ex.Expect {
			if !exampleKeys[k] {
				c.errf(fmt.Sprintf("examples[%d].expect.%s", i, k), "unknown record field")
			}
		}
	}
	c.simulate()
	return p
}

// simKinds are the template keys of a simulate section (outgoing may be
// refined per category: outgoing.idd).
var simKinds = map[string]bool{
	"outgoing": true, "incoming": true, "internal": true, "unanswered": true, "checkin": true, "checkout": true,
	"wakeup.set": true, "wakeup.answered": true, "wakeup.noanswer": true,
}

// simCategories are the outgoing call categories of the simulator's call mix.
var simCategories = map[string]bool{
	"local": true, "mobile": true, "ddd": true, "idd": true, "hkmotw": true, "tollfree": true, "emergency": true,
}

// simulate checks the simulate section's keys; the templates themselves are
// compiled (and their placeholders checked) by internal/sim/pbx. The layout
// name is not checked here: a child that replaces the layouts still loads
// with the section it inherited (the simulator's tests check the layout).
func (c *compiler) simulate() {
	s := c.doc.Simulate
	if s == nil {
		return
	}
	if len(s.Templates) == 0 {
		c.errf("simulate.templates", "a simulate section needs templates")
	}
	for k := range s.Templates {
		kind, cat, refined := strings.Cut(k, ".")
		if refined && kind == "outgoing" {
			if !simCategories[cat] {
				c.errf("simulate.templates."+k, "unknown call category %q", cat)
			}
			continue
		}
		if !simKinds[k] {
			c.errf("simulate.templates."+k, "unknown call kind")
		}
	}
	if s.EOL != "" && s.EOL != "crlf" && s.EOL != "cr" && s.EOL != "lf" {
		c.errf("simulate.eol", "must be crlf, cr or lf, not %q", s.EOL)
	}
	if pg := s.Page; pg != nil && pg.Length-len(pg.Header)-pg.Skip < 1 {
		c.errf("simulate.page.length", "page of %d lines has no room for records after %d header and %d skip lines",
			pg.Length, len(pg.Header), pg.Skip)
	}
	for k := range s.Classes {
		if !simCategories[k] && k != "incoming" && k != "internal" && k != "unanswered" {
			c.errf("simulate.classes."+k, "unknown call category")
		}
	}
	for k, v := range s.Mix {
		if !simCategories[k] && !simKinds[k] && k != "hotel" {
			c.errf("simulate.mix."+k, "unknown call kind or category")
		}
		if v < 0 {
			c.errf("simulate.mix."+k, "weight must not be negative")
		}
	}
}

var exampleKeys = map[string]bool{
	"profile": true, "kind": true, "direction": true, "start": true, "end": true, "duration_s": true,
	"ring_s": true, "answered": true, "extension": true, "trunk": true, "dialed": true, "caller": true,
	"account": true, "call_id": true, "continuation": true, "pbx_cost": true, "pbx_class": true,
	"condition": true, "error": true, "skip": true,
}

func (c *compiler) framing(p *PBX) {
	f := c.doc.Framing
	p.Framing = Framing{Type: f.Type, EOL: f.EOL, MaxLength: f.MaxLength, HeaderThrough: f.HeaderThrough}
	switch f.Type {
	case FrameLine, FrameNUL, FrameSTXETX:
	default:
		c.errf("framing.type", "must be line, nul or stx_etx, not %q", f.Type)
	}
	switch f.EOL {
	case "":
		p.Framing.EOL = "any"
	case "any", "crlf", "cr", "lf":
		if f.Type != FrameLine {
			c.errf("framing.eol", "only line framing has an end of line")
		}
	default:
		c.errf("framing.eol", "must be any, crlf, cr or lf, not %q", f.EOL)
	}
	if p.Framing.MaxLength == 0 {
		p.Framing.MaxLength = 4096
	}
	if p.Framing.MaxLength < 16 || p.Framing.MaxLength > 1<<20 {
		c.errf("framing.max_length", "must be between 16 and 1048576")
	}
	if f.Continuation != nil {
		if f.Type != FrameLine {
			c.errf("framing.continuation", "only line framing joins continuation lines")
		}
		p.Framing.ContFirst = c.regex("framing.continuation.first", f.Continuation.First)
		if f.Continuation.Next != "" {
			p.Framing.ContNext = c.regex("framing.continuation.next", f.Continuation.Next)
		}
		p.Framing.ContSep = f.Continuation.Separator
	}
}

func (c *compiler) regex(path, s string) *regexp.Regexp {
	re, err := regexp.Compile(s)
	if err != nil {
		c.errf(path, "regex does not compile: %v", err)
		return nil
	}
	return re
}

func (c *compiler) format(path, s string) *Format {
	if named, ok := c.doc.Formats[s]; ok {
		s = named
	}
	f, err := CompileFormat(s)
	if err != nil {
		c.errf(path, "%v", err)
		return nil
	}
	return f
}

func (c *compiler) layout(path string, ld *LayoutDoc) *Layout {
	l := &Layout{Name: ld.Name, MinLength: ld.MinLength, MinFields: ld.MinFields, Reject: ld.Reject, Quote: ld.Quote}
	if ld.Name == "" {
		c.errf(path+".name", "a layout needs a name")
	}
	if ld.Match != nil {
		l.Match = c.cond(path+".match", ld.Match, nil, true)
	}
	switch ld.Format {
	case "fixed":
		l.Format = Fixed
	case "csv":
		l.Format = CSV
		l.Sep = ','
		if ld.Separator != "" {
			if len(ld.Separator) != 1 {
				c.errf(path+".separator", "must be one character")
			} else {
				l.Sep = ld.Separator[0]
			}
		}
	case "regex":
		l.Format = Regex
		l.Pattern = c.regex(path+".pattern", ld.Pattern)
		if ld.Pattern == "" {
			c.errf(path+".pattern", "a regex layout needs a pattern")
		}
	case "tagged":
		l.Format = Tagged
		if ld.Tagged == nil {
			c.errf(path+".tagged", "a tagged layout needs its item table")
		} else {
			l.Tags = c.tagTable(path+".tagged", ld.Tagged)
		}
	default:
		c.errf(path+".format", "must be fixed, csv, regex or tagged, not %q", ld.Format)
	}
	if ld.Tagged != nil && ld.Format != "tagged" {
		c.errf(path+".tagged", "only a tagged layout has an item table")
	}
	if ld.Reject != "" {
		if len(ld.Fields) > 0 {
			c.errf(path+".fields", "a reject layout has no fields")
		}
		return l
	}
	if len(ld.Fields) == 0 {
		c.errf(path+".fields", "a layout needs fields")
	}
	if len(ld.Fields) > maxFields {
		c.errf(path+".fields", "at most %d fields", maxFields)
	}
	l.Set = c.assigns(path+".set", ld.Set)
	index := map[string]int{}
	for i, fd := range ld.Fields {
		if fd.Name == "" {
			c.errf(fmt.Sprintf("%s.fields[%d].name", path, i), "a field needs a name")
		}
		if _, dup := index[fd.Name]; dup {
			c.errf(fmt.Sprintf("%s.fields[%d].name", path, i), "duplicate field %q", fd.Name)
		}
		index[fd.Name] = i
	}
	for i := range ld.Fields {
		l.Fields = append(l.Fields, c.field(fmt.Sprintf("%s.fields[%d]", path, i), l, &ld.Fields[i], index))
	}
	if l.Format == Fixed {
		c.overlaps(path, l)
	}
	return l
}

func (c *compiler) overlaps(path string, l *Layout) {
	type span struct {
		s, e int
		name string
	}
	var spans []span
	for _, f := range l.Fields {
		if f.When == nil && f.End > f.Start {
			spans = append(spans, span{f.Start, f.End, f.Name})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].s < spans[j].s })
	for i := 1; i < len(spans); i++ {
		if spans[i].s < spans[i-1].e {
			c.errf(path+".fields", "columns of %q (%d-%d) overlap %q (%d-%d)",
				spans[i].name, spans[i].s+1, spans[i].e, spans[i-1].name, spans[i-1].s+1, spans[i-1].e)
		}
	}
}

func (c *compiler) field(path string, l *Layout, fd *FieldDoc, index map[string]int) *Field {
	f := &Field{Name: fd.Name, Required: fd.Required, Private: fd.Private, Group: -1, Index: -1}
	switch l.Format {
	case Fixed:
		if fd.Col < 1 || fd.Width < 1 {
			c.errf(path, "a fixed field needs col >= 1 and width >= 1")
		}
		if fd.Index != 0 || fd.Group != "" || fd.Tag != "" {
			c.errf(path, "a fixed field takes col and width only")
		}
		f.Start, f.End = fd.Col-1, fd.Col-1+fd.Width
	case CSV:
		if fd.Index < 1 {
			c.errf(path+".index", "a csv field needs index >= 1")
		}
		if fd.Col != 0 || fd.Width != 0 || fd.Group != "" || fd.Tag != "" {
			c.errf(path, "a csv field takes index only")
		}
		f.Index = fd.Index - 1
	case Regex:
		if fd.Col != 0 || fd.Width != 0 || fd.Index != 0 || fd.Tag != "" {
			c.errf(path, "a regex field takes group only")
		}
		if l.Pattern != nil {
			f.Group = l.Pattern.SubexpIndex(fd.Group)
			if f.Group < 0 {
				c.errf(path+".group", "pattern has no group named %q", fd.Group)
			}
		}
	case Tagged:
		c.taggedField(path, l, fd, f)
	}
	if fd.Tag != "" && l.Format != Tagged {
		c.errf(path+".tag", "only a field of a tagged layout reads an item")
	}
	to := fd.To
	if to == "" {
		to = "none"
	}
	t, ok := targetByName(to)
	if !ok {
		c.errf(path+".to", "unknown target %q", to)
	}
	f.To = t
	if fd.Format != "" {
		f.Format = c.format(path+".format", fd.Format)
	}
	if t.NeedsFormat() && fd.Format == "" {
		c.errf(path+".format", "target %s needs a format", t)
	}
	if fd.When != nil {
		f.When = c.cond(path+".when", fd.When, index, false)
		if fd.When.Field == "" {
			c.errf(path+".when.field", "when must name another field")
		}
	}
	for i := range fd.Rules {
		f.Rules = append(f.Rules, c.rule(fmt.Sprintf("%s.rules[%d]", path, i), fd, f, &fd.Rules[i], index))
	}
	return f
}

func (c *compiler) rule(path string, fd *FieldDoc, f *Field, rd *RuleDoc, index map[string]int) *Rule {
	r := &Rule{Cond: c.cond(path, &rd.CondDoc, index, false), Skip: rd.Skip, Error: rd.Error, To: f.To, Format: f.Format}
	r.Set = c.assigns(path+".set", rd.Set)
	if rd.Cut != nil {
		if rd.Cut.After == "" {
			c.errf(path+".cut.after", "required: the text the kept part follows")
		}
		r.Cut = &Cut{After: rd.Cut.After, Until: rd.Cut.Until}
	}
	if rd.To != nil {
		t, ok := targetByName(*rd.To)
		if !ok {
			c.errf(path+".to", "unknown target %q", *rd.To)
		}
		r.To, r.HasTo = t, true
		if t.NeedsFormat() && f.Format == nil {
			c.errf(path+".to", "target %s needs the field to have a format", t)
		}
	}
	if rd.Regex != "" && r.Cond.Regex != nil {
		for i, name := range r.Cond.Regex.SubexpNames() {
			if name == "" {
				continue
			}
			t, ok := targetByName(name)
			if !ok {
				c.errf(path+".regex", "group %q is not a target", name)
				continue
			}
			if t.NeedsFormat() && f.Format == nil {
				c.errf(path+".regex", "group %q needs the field to have a format", name)
			}
			r.Groups = append(r.Groups, GroupTarget{Index: i, To: t, Format: f.Format})
		}
		if len(r.Groups) > 0 && !r.HasTo {
			r.To, r.HasTo = ToNone, true
		}
	}
	if rd.Skip && (rd.Error != "" || len(rd.Set) > 0) {
		c.errf(path, "a skip rule takes no set or error")
	}
	return r
}

func (c *compiler) assigns(path string, m map[string]string) []Assign {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Assign
	for _, k := range keys {
		v := m[k]
		t, ok := targetByName(k)
		if !ok || !t.constTarget() {
			c.errf(path+"."+k, "cannot set %q to a constant", k)
			continue
		}
		switch t {
		case ToDirection:
			if !directions[v] {
				c.errf(path+"."+k, "unknown direction %q", v)
			}
		case ToKind:
			if !kinds[v] {
				c.errf(path+"."+k, "unknown kind %q", v)
			}
		case ToAnswered, ToContinuation:
			if v != "true" && v != "false" {
				c.errf(path+"."+k, "must be true or false")
			}
		}
		out = append(out, Assign{To: t, Value: v})
	}
	return out
}

// cond compiles a condition. index resolves `field:` names (nil: frame conditions).
func (c *compiler) cond(path string, d *CondDoc, index map[string]int, frame bool) *Cond {
	k := &Cond{Field: -1, Equals: d.Equals, In: d.In, Suffix: d.Suffix, Contains: d.Contains, Empty: d.Empty, Digits: d.Digits,
		MinLength: d.MinLength, MaxLength: d.MaxLength, AtCol: -1, Not: d.Not}
	if d.Field != "" {
		if frame {
			c.errf(path+".field", "a frame condition cannot name a field")
		} else if i, ok := index[d.Field]; ok {
			k.Field = i
		} else {
			c.errf(path+".field", "no field named %q in this layout", d.Field)
		}
	}
	if d.Prefix != "" {
		k.Prefixes = append(k.Prefixes, d.Prefix)
	}
	k.Prefixes = append(k.Prefixes, d.Prefixes...)
	if d.Regex != "" {
		k.Regex = c.regex(path+".regex", d.Regex)
	}
	if d.At != nil {
		if d.At.Col < 1 || d.At.Text == "" {
			c.errf(path+".at", "needs col >= 1 and a text")
		}
		k.AtCol, k.AtText = d.At.Col-1, d.At.Text
	}
	for i := range d.Any {
		k.Any = append(k.Any, c.cond(fmt.Sprintf("%s.any[%d]", path, i), &d.Any[i], index, frame))
	}
	if d.Any != nil && len(d.Any) == 0 {
		c.errf(path+".any", "must list at least one condition")
	}
	return k
}

// tagTable compiles a tagged layout's item table.
func (c *compiler) tagTable(path string, td *TaggedDoc) *TagTable {
	t := &TagTable{Start: td.Start - 1, TagWidth: td.TagWidth, LenWidth: td.LengthWidth}
	if td.Start < 1 {
		c.errf(path+".start", "must be a column >= 1")
	}
	if t.TagWidth == 0 {
		t.TagWidth = 2
	}
	if t.LenWidth == 0 {
		t.LenWidth = 2
	}
	if t.TagWidth < 1 || t.TagWidth > 4 {
		c.errf(path+".tag_width", "must be 1 to 4 characters")
	}
	if t.LenWidth < 1 || t.LenWidth > 4 {
		c.errf(path+".length_width", "must be 1 to 4 digits")
	}
	switch td.Order {
	case "", "any":
	case "ascending":
		t.Ascending = true
	default:
		c.errf(path+".order", "must be ascending or any, not %q", td.Order)
	}
	switch td.Repair {
	case "", "none":
	case "one_length":
		t.Repair = true
	default:
		c.errf(path+".repair", "must be none or one_length, not %q", td.Repair)
	}
	if len(td.Items) == 0 {
		c.errf(path+".items", "a tagged layout needs its item table")
	}
	if len(td.Items) > MaxTagItems {
		c.errf(path+".items", "at most %d items", MaxTagItems)
	}
	// The largest length the length digits can say.
	maxSaid := 1
	for range t.LenWidth {
		maxSaid *= 10
	}
	maxSaid--
	seen := map[string]bool{}
	names := map[string]bool{}
	for i, it := range td.Items {
		ip := fmt.Sprintf("%s.items[%d]", path, i)
		if len(it.Tag) != t.TagWidth {
			c.errf(ip+".tag", "item number %q must have %d characters (tag_width)", it.Tag, t.TagWidth)
		}
		if seen[it.Tag] {
			c.errf(ip+".tag", "item %q listed twice", it.Tag)
		}
		seen[it.Tag] = true
		if it.Name == "" {
			c.errf(ip+".name", "an item needs a name")
		}
		if names[it.Name] {
			c.errf(ip+".name", "duplicate item name %q", it.Name)
		}
		names[it.Name] = true
		ti := TagItem{Tag: it.Tag, Name: it.Name, Min: it.MinLength, Max: it.MaxLength, Bias: it.LengthBias}
		if it.Length > 0 {
			if it.MinLength != 0 || it.MaxLength != 0 {
				c.errf(ip, "give length, or min_length and max_length, not both")
			}
			ti.Min, ti.Max = it.Length, it.Length
		} else if it.MaxLength == 0 {
			ti.Max = -1
		}
		if it.Length < 0 || it.MinLength < 0 || it.MaxLength < 0 || it.LengthBias < 0 {
			c.errf(ip, "lengths and length_bias must not be negative")
		}
		if ti.Max >= 0 && ti.Max < ti.Min {
			c.errf(ip+".max_length", "%d is below min_length %d", ti.Max, ti.Min)
		}
		if ti.Max+ti.Bias > maxSaid || ti.Min+ti.Bias > maxSaid {
			c.errf(ip, "a length of %d characters (+%d bias) does not fit in %d digits", max(ti.Max, ti.Min), ti.Bias, t.LenWidth)
		}
		t.Items = append(t.Items, ti)
	}
	return t
}

// taggedField places a field in the data of its item.
func (c *compiler) taggedField(path string, l *Layout, fd *FieldDoc, f *Field) {
	if fd.Index != 0 || fd.Group != "" {
		c.errf(path, "a tagged field takes tag, col and width only")
	}
	if fd.Col < 0 || fd.Width < 0 {
		c.errf(path, "col and width must not be negative")
	}
	f.Start, f.End = 0, -1
	if fd.Col > 0 {
		f.Start = fd.Col - 1
	}
	if fd.Width > 0 {
		f.End = f.Start + fd.Width
	}
	f.Item = -1
	if fd.Tag == "" {
		c.errf(path+".tag", "a tagged field names the item it reads")
		return
	}
	if l.Tags == nil {
		return
	}
	f.Item = l.Tags.Find(fd.Tag)
	if f.Item < 0 {
		c.errf(path+".tag", "no item %q in the layout's item table", fd.Tag)
		return
	}
	it := l.Tags.Items[f.Item]
	if it.Max >= 0 && (f.Start >= it.Max || f.End > it.Max) {
		end := f.End
		if end < 0 {
			end = f.Start + 1
		}
		c.errf(path, "reads characters %d-%d of item %s %s, which has at most %d", f.Start+1, end, it.Tag, it.Name, it.Max)
	}
}
