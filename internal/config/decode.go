package config

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The YAML decoder stops at the first unknown key and reports it with a line
// but no path ("line 7: field baudrate not found in type config.Serial"). To
// report every unknown key and every value of the wrong type with its YAML
// path, the document is first walked as a yaml.Node tree against the Config
// types. The walk also records the line of every key, so that problems found
// later by Validate on the decoded structs can point into the file.

// shape is the result of walking a document against the Config types.
type shape struct {
	problems []Problem
	// broken holds the paths whose value could not be decoded (wrong kind or
	// type); rule problems at or under them are noise and are dropped.
	broken []string
	// meant holds the paths of known keys suggested for misspelt ones; that
	// such a key is then missing goes without saying.
	meant []string
	// lines maps a YAML path to the line of its key (of the item, for a
	// sequence element).
	lines map[string]int
}

func (s *shape) add(path string, line int, format string, args ...any) {
	s.problems = append(s.problems, Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (s *shape) breaks(path string, line int, format string, args ...any) {
	s.add(path, line, format, args...)
	s.broken = append(s.broken, path)
}

// maxAliasDepth bounds alias chasing; Config is only a few levels deep.
const maxAliasDepth = 32

// walk checks that n can decode into a value of type t without unknown keys.
func (s *shape) walk(n *yaml.Node, t reflect.Type, path string, depth int) {
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil || depth > maxAliasDepth {
			s.breaks(path, n.Line, "alias *%s cannot be resolved", n.Value)
			return
		}
		n = n.Alias
		depth++
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // an empty value leaves the field unset
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			s.breaks(path, n.Line, "expected a mapping of %s, got %s", strings.Join(keysOf(t), ", "), describe(n))
			return
		}
		s.walkStruct(n, t, path, depth, map[string]int{})
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			s.breaks(path, n.Line, "expected a list, got %s", describe(n))
			return
		}
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			s.mark(p, item.Line)
			s.walk(item, t.Elem(), p, depth)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			s.breaks(path, n.Line, "expected a mapping, got %s", describe(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				s.breaks(path, k.Line, "keys must be plain strings, got %s", describe(k))
				continue
			}
			s.mark(join(path, k.Value), k.Line)
		}
		// Values are driver-specific (map[string]any); the driver checks them.
		// Decode them here so a problem (e.g. excessive aliasing) has a path.
		var probe map[string]any
		if err := n.Decode(&probe); err != nil {
			s.breaks(path, n.Line, "%s", yamlMessage(err))
		}
	case reflect.Interface:
		// anything goes
	default: // string, int, bool
		if n.Kind != yaml.ScalarNode {
			s.breaks(path, n.Line, "expected %s, got %s", kindName(t), describe(n))
			return
		}
		v := reflect.New(t)
		if t.Kind() != reflect.String && t.Kind() != reflect.Bool && n.ShortTag() != "!!int" {
			// yaml.v3 would truncate 7.5 to 7; a config value is never meant that way.
			s.breaks(path, n.Line, "expected %s, got %q", kindName(t), n.Value)
			return
		}
		if err := n.Decode(v.Interface()); err != nil {
			s.breaks(path, n.Line, "expected %s, got %q", kindName(t), n.Value)
		}
	}
}

// walkStruct walks the keys of mapping n against struct type t. seen maps a
// key to the line it was first given on; merge keys (<<) share it.
func (s *shape) walkStruct(n *yaml.Node, t reflect.Type, path string, depth int, seen map[string]int) {
	fields := fieldsOf(t)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			s.add(path, k.Line, "keys must be plain strings, got %s", describe(k))
			continue
		}
		p := join(path, k.Value)
		f, ok := fields[k.Value]
		if !ok {
			msg, meant := unknownKey(k.Value, t)
			s.add(p, k.Line, "%s", msg)
			if meant != "" {
				s.meant = append(s.meant, join(path, meant))
			}
			continue
		}
		if first, dup := seen[k.Value]; dup {
			// yaml.v3 refuses the whole mapping, so nothing under path decodes.
			s.add(p, k.Line, "given twice (first on line %d)", first)
			s.broken = append(s.broken, path)
			continue
		}
		seen[k.Value] = k.Line
		s.mark(p, k.Line)
		s.walk(v, f.Type, p, depth)
	}
	// YAML merge keys: explicit keys win over merged ones, earlier merges over later.
	for _, m := range merges {
		for m.Kind == yaml.AliasNode && m.Alias != nil && depth <= maxAliasDepth {
			m = m.Alias
			depth++
		}
		var maps []*yaml.Node
		switch m.Kind {
		case yaml.MappingNode:
			maps = []*yaml.Node{m}
		case yaml.SequenceNode:
			maps = m.Content
		}
		if len(maps) == 0 && !(m.Kind == yaml.ScalarNode && m.ShortTag() == "!!null") {
			s.breaks(path, m.Line, "<< must merge a mapping or a list of mappings, got %s", describe(m))
			continue
		}
		for _, mm := range maps {
			for mm.Kind == yaml.AliasNode && mm.Alias != nil && depth <= maxAliasDepth {
				mm = mm.Alias
				depth++
			}
			if mm.Kind != yaml.MappingNode {
				s.breaks(path, mm.Line, "<< must merge a mapping, got %s", describe(mm))
				continue
			}
			s.walkMerged(mm, t, path, depth, seen)
		}
	}
}

// walkMerged checks a mapping merged with <<: its keys must be known, but a
// key already given explicitly is overridden, not a duplicate.
func (s *shape) walkMerged(n *yaml.Node, t reflect.Type, path string, depth int, seen map[string]int) {
	fields := fieldsOf(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			continue // nested merges are rare; the decoder reports real trouble
		}
		p := join(path, k.Value)
		f, ok := fields[k.Value]
		if !ok {
			msg, _ := unknownKey(k.Value, t)
			s.add(p, k.Line, "%s", msg)
			continue
		}
		if _, given := seen[k.Value]; given {
			continue
		}
		seen[k.Value] = k.Line
		s.mark(p, k.Line)
		s.walk(v, f.Type, p, depth+1)
	}
}

func (s *shape) mark(path string, line int) {
	if _, ok := s.lines[path]; !ok {
		s.lines[path] = line
	}
}

// lineOf is the line of path, or of its nearest enclosing key that was given.
func (s *shape) lineOf(path string) int {
	for {
		if l, ok := s.lines[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = parent(path)
	}
}

// isNoise reports whether a rule problem at path adds nothing to what the
// walk reported: the value there did not decode, or the key is missing
// because it was misspelt.
func (s *shape) isNoise(path string) bool {
	if _, given := s.lines[path]; !given && slices.Contains(s.meant, path) {
		return true
	}
	return s.isBroken(path)
}

// isBroken reports whether path is at or under a value that failed to decode.
func (s *shape) isBroken(path string) bool {
	for _, b := range s.broken {
		if b == "" || path == b || strings.HasPrefix(path, b+".") || strings.HasPrefix(path, b+"[") {
			return true
		}
	}
	return false
}

// parent strips the last ".key" or "[i]" of a YAML path.
func parent(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// unknownKey says a key is unknown and what was probably meant: the closest
// known key when the name is a likely typo (baudrate, stopbits), else the list.
func unknownKey(key string, t reflect.Type) (msg, meant string) {
	keys := keysOf(t)
	best, bestDist := "", 3
	norm := strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(key))
	for _, k := range keys {
		d := editDistance(norm, strings.ReplaceAll(k, "_", ""))
		if strings.HasPrefix(norm, strings.ReplaceAll(k, "_", "")) && len(k) >= 3 {
			d = min(d, 1) // baudrate, portname
		}
		if d <= max(1, len(k)/3) && d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key (did you mean %s?)", best), best
	}
	return "unknown key (expected one of " + strings.Join(keys, ", ") + ")", ""
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// fieldsOf maps the yaml keys of struct t to its fields.
func fieldsOf(t reflect.Type) map[string]reflect.StructField {
	m := make(map[string]reflect.StructField, t.NumField())
	for i := range t.NumField() {
		if name, ok := yamlName(t.Field(i)); ok {
			m[name] = t.Field(i)
		}
	}
	return m
}

// keysOf lists the yaml keys of struct t in declaration order, the order the docs use.
func keysOf(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if name, ok := yamlName(t.Field(i)); ok {
			keys = append(keys, name)
		}
	}
	return keys
}

func yamlName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return "", false
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, true
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	}
	return t.String()
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return strconv.Quote(v)
	}
	return "nothing"
}

// yamlLine matches the "yaml: line N: " prefix of yaml.v3 syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// maxProbeLines bounds the search for the line a syntax error is on.
const maxProbeLines = 1000

// syntaxProblem turns a yaml.v3 syntax error into a Problem with its line.
// yaml.v3 reports the line where the enclosing construct starts (a list
// opened on line 2 that an indentation slip on line 5 breaks is reported at
// line 2). The line an operator must edit is the first one at which the file
// fails with that same error, so that is found by parsing growing prefixes.
func syntaxProblem(data []byte, err error) Problem {
	msg := err.Error()
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return Problem{Message: "YAML syntax error: " + strings.TrimPrefix(msg, "yaml: ")}
	}
	start, _ := strconv.Atoi(m[1])
	p := Problem{Line: start, Message: "YAML syntax error: " + msg[len(m[0]):]}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > maxProbeLines {
		return p
	}
	end := 0
	for k := start; k <= len(lines); k++ {
		var n yaml.Node
		prefix := bytes.Join(lines[:k], nil)
		perr := safely(func() error { return yaml.NewDecoder(bytes.NewReader(prefix)).Decode(&n) })
		if perr != nil && perr.Error() == msg {
			end = k
			break
		}
	}
	if end > start {
		p.Line = end
		p.Message += fmt.Sprintf(" (in what starts on line %d)", start)
	}
	return p
}

// yamlMessage strips yaml.v3's "yaml: " and "unmarshal errors:" wrapping.
func yamlMessage(err error) string {
	if te, ok := err.(*yaml.TypeError); ok {
		return strings.Join(te.Errors, "; ")
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}
