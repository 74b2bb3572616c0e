package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEmbeddedProfilesLoad(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"asterisk-csv", "avaya-ipoffice", "mitel-mivb", "nec-neax", "nec-neax-flexible", "panasonic-kx-tda", "samsung-officeserv", "shenou-uso", "siemens-hipath"}
	var got []string
	for _, p := range all {
		got = append(got, p.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("profiles %v, want %v", got, want)
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "unknown pbx profile") {
		t.Fatalf("Lookup(nope) = %v", err)
	}
}

const base = `
id: base
kind: pbx
framing: {type: line}
formats: {d: YYYYMMDD}
layouts:
  - name: x
    format: fixed
    fields:
      - {name: d, col: 1, width: 8, to: start, format: d}
      - {name: e, col: 10, width: 4, to: extension}
`

func TestRejects(t *testing.T) {
	cases := []struct{ doc, want string }{
		{strings.Replace(base, "kind: pbx", "kind: pbx\ncolour: red", 1), "colour"},
		{strings.Replace(base, "col: 10", "col: 5", 1), "overlap"},
		{strings.Replace(base, "to: extension", "to: room", 1), "/layouts/0/fields/1/to"},
		{strings.Replace(base, "format: fixed", "format: regex\n    pattern: '(?P<d>['", 1), "pattern"},
		{strings.Replace(base, "to: extension}", "to: extension, rules: [{field: nope, to: none}]}", 1), `no field named "nope"`},
		{strings.Replace(base, "format: d}", "format: YYY}", 1), "year must be"},
		{strings.Replace(base, "to: start, format: d}", "to: start}", 1), "needs a format"},
		{base + "extends: missing\n", `extends unknown profile "missing"`},
	}
	for _, c := range cases {
		_, err := LoadBytes([]byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want error with %q, got %v\n%s", c.want, err, c.doc)
		}
	}
}

const taggedBase = `
id: tagged
kind: pbx
framing: {type: stx_etx}
layouts:
  - name: x
    format: tagged
    tagged:
      start: 5
      items:
        - {tag: "01", name: trunk_info, length: 12}
        - {tag: "06", name: call_time, length: 34}
        - {tag: "10", name: dial_code, max_length: 32, length_bias: 1}
    fields:
      - {name: trunk, tag: "01", col: 7, width: 3, to: trunk}
      - {name: start, tag: "06", width: 14, to: start, format: YYYYMMDDhhmmss}
      - {name: dialed, tag: "10", to: dialed}
`

func TestTaggedRejects(t *testing.T) {
	if _, err := LoadBytes([]byte(taggedBase)); err != nil {
		t.Fatalf("the base tagged profile: %v", err)
	}
	cases := []struct{ old, new, want string }{
		{"format: tagged", "format: fixed", "only a tagged layout has an item table"},
		{`tag: "10", to: dialed`, `tag: "99", to: dialed`, `no item "99" in the layout's item table`},
		{`tag: "01", col: 7, width: 3`, `tag: "01", col: 11, width: 3`, "reads characters 11-13 of item 01 trunk_info, which has at most 12"},
		{`{tag: "06", name: call_time`, `{tag: "6", name: call_time`, `item number "6" must have 2 characters (tag_width)`},
		{`{tag: "06", name: call_time`, `{tag: "01", name: call_time`, `item "01" listed twice`},
		{`name: call_time, length: 34}`, `name: call_time, length: 34, max_length: 40}`, "give length, or min_length and max_length, not both"},
		{"      start: 5\n", "      start: 5\n      length_width: 1\n", "does not fit in 1 digits"},
		{"      start: 5\n", "      start: 5\n      repair: maybe\n", "/layouts/0/tagged/repair"},
		{"      start: 5\n", "      start: 5\n      order: random\n", "/layouts/0/tagged/order"},
		{`{name: dialed, tag: "10", to: dialed}`, `{name: dialed, to: dialed}`, "a tagged field names the item it reads"},
		{`{name: dialed, tag: "10", to: dialed}`, `{name: dialed, tag: "10", index: 2, to: dialed}`, "a tagged field takes tag, col and width only"},
	}
	for _, c := range cases {
		doc := strings.Replace(taggedBase, c.old, c.new, 1)
		if doc == taggedBase {
			t.Fatalf("case %q does not change the profile", c.want)
		}
		_, err := LoadBytes([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want error with %q, got %v\n%s", c.want, err, doc)
		}
	}
	noTable := "id: t\nkind: pbx\nframing: {type: line}\nlayouts:\n  - {name: x, format: tagged, fields: [{name: d, tag: \"01\", to: dialed}]}\n"
	if _, err := LoadBytes([]byte(noTable)); err == nil || !strings.Contains(err.Error(), "a tagged layout needs its item table") {
		t.Errorf("tagged layout without a table: %v", err)
	}
	// A fixed layout's field cannot name an item.
	_, err := LoadBytes([]byte(strings.Replace(base, "{name: e, col: 10,", `{name: e, tag: "01", col: 10,`, 1)))
	if err == nil || !strings.Contains(err.Error(), "a fixed field takes col and width only") {
		t.Errorf("fixed field with a tag: %v", err)
	}
}

func TestExtends(t *testing.T) {
	child := `
id: child
kind: pbx
extends: base
formats: {d: DDMMYYYY}
framing: {max_length: 100}
`
	reg, err := LoadBytes([]byte(base), []byte(child))
	if err != nil {
		t.Fatal(err)
	}
	c, err := reg.Lookup("child")
	if err != nil {
		t.Fatal(err)
	}
	if c.Framing.Type != FrameLine || c.Framing.MaxLength != 100 || len(c.Layouts) != 1 {
		t.Fatalf("merge: %+v", c.Framing)
	}
	if c.Layouts[0].Fields[0].Format.Text != "DDMMYYYY" {
		t.Fatalf("child format not applied: %s", c.Layouts[0].Fields[0].Format.Text)
	}
	if _, err := LoadBytes([]byte(strings.Replace(base, "id: base", "id: base\nextends: child", 1)), []byte(child)); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("cycle: %v", err)
	}
}

func TestOverrideDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mine.yaml"), []byte(strings.Replace(base, "id: base", "id: mine\nextends: shenou-uso", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Lookup("mine")
	if err != nil {
		t.Fatal(err)
	}
	if p.Serial == nil || p.Serial.Baud != 2400 {
		t.Fatalf("serial not inherited: %+v", p.Serial)
	}
}

func TestFormats(t *testing.T) {
	cases := []struct {
		f, v string
		ok   bool
		secs int
	}{
		{"hh:mm'ss", "00:01'05", true, 65},
		{"hh:mm'ss", "00:0x'05", false, 0},
		{"m'ss", "5'15", true, 315},
		{"hhhh:mm:ss", "0000:06:59", true, 419},
		{"hhmmss", "000324", true, 204},
		{"seconds", "127", true, 127},
		{"tenths", "12.5", true, 750},
		{"tenths", "3", true, 180},
		{"h:mm:ss", "00:61:00", false, 0},
	}
	for _, c := range cases {
		f, err := CompileFormat(c.f)
		if err != nil {
			t.Fatal(err)
		}
		s, ok := f.Seconds(c.v)
		if ok != c.ok || s != c.secs {
			t.Errorf("%s %q = %d %v, want %d %v", c.f, c.v, s, ok, c.secs, c.ok)
		}
	}
	f, _ := CompileFormat("h:mmAM")
	if p, ok := f.Parse("12:05AM"); !ok || p.Hour != 0 {
		t.Errorf("12:05AM = %+v", p)
	}
	if p, ok := f.Parse("1:04PM"); !ok || p.Hour != 13 {
		t.Errorf("1:04PM = %+v", p)
	}
	f, _ = CompileFormat("hh:mm:ssP?")
	if p, ok := f.Parse("01:14:13P"); !ok || p.Hour != 13 {
		t.Errorf("01:14:13P = %+v", p)
	}
}
