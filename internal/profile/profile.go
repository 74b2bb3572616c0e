// Package profile loads PBX firmware profiles: YAML files that describe what
// a PBX model prints on its SMDR/CDR port (framing, record layouts, field
// types, hotel events) so that a new PBX is supported by writing data, not Go.
// Profiles come embedded from firmware-profiles/pbx (an override directory
// may replace or add some), are checked against firmware-profiles/schema/pbx.json
// (unknown keys rejected), merged along `extends`, checked semantically
// (columns overlap, regexes compile, referenced fields exist) and compiled
// into the read-only form that drivers/pbx executes.
package profile

// Doc is one profile file as written in YAML. Field comments name the YAML keys;
// docs/profiles.md is the reference a hotel engineer reads.
type Doc struct {
	ID          string            `yaml:"id" json:"id"`
	Kind        string            `yaml:"kind" json:"kind"`
	Vendor      string            `yaml:"vendor,omitempty" json:"vendor,omitempty"`
	Models      []string          `yaml:"models,omitempty" json:"models,omitempty"`
	Description string            `yaml:"description,omitempty" json:"description,omitempty"`
	Source      string            `yaml:"source,omitempty" json:"source,omitempty"`
	Extends     string            `yaml:"extends,omitempty" json:"extends,omitempty"`
	Serial      *Serial           `yaml:"serial,omitempty" json:"serial,omitempty"`
	TCP         *TCP              `yaml:"tcp,omitempty" json:"tcp,omitempty"`
	Framing     FramingDoc        `yaml:"framing" json:"framing"`
	Formats     map[string]string `yaml:"formats,omitempty" json:"formats,omitempty"`
	DialedStrip string            `yaml:"dialed_strip,omitempty" json:"dialed_strip,omitempty"`
	Derive      DeriveDoc         `yaml:"derive,omitempty" json:"derive,omitempty"`
	Skip        []CondDoc         `yaml:"skip,omitempty" json:"skip,omitempty"`
	Layouts     []LayoutDoc       `yaml:"layouts" json:"layouts"`
	Examples    []Example         `yaml:"examples,omitempty" json:"examples,omitempty"`
	Simulate    *SimulateDoc      `yaml:"simulate,omitempty" json:"simulate,omitempty"`
}

// Serial holds the port defaults the PBX ships with.
type Serial struct {
	Baud     int    `yaml:"baud,omitempty" json:"baud,omitempty"`
	DataBits int    `yaml:"data_bits,omitempty" json:"data_bits,omitempty"`
	Parity   string `yaml:"parity,omitempty" json:"parity,omitempty"`
	StopBits int    `yaml:"stop_bits,omitempty" json:"stop_bits,omitempty"`
}

// TCP holds the network defaults. Role is the gateway's role: "client" when
// the gateway connects to the PBX, "server" when the PBX pushes to us.
type TCP struct {
	Port  int         `yaml:"port,omitempty" json:"port,omitempty"`
	Role  string      `yaml:"role,omitempty" json:"role,omitempty"`
	Login []LoginStep `yaml:"login,omitempty" json:"login,omitempty"`
	// ResendsRecords: after its SMDR connection comes back, the PBX sends
	// again, whole, the records it had buffered, the one it was cut off in
	// included (Avaya IP Office keeps 3,000). The gateway then keeps no
	// record start across its own restarts: the record comes again and the
	// dedupe keys drop what was recorded before. Other PBXs on TCP carry on
	// where they were cut off, so the start already read is kept.
	ResendsRecords bool `yaml:"resends_records,omitempty" json:"resends_records,omitempty"`
}

// LoginStep is one expect/send exchange of a login script (Panasonic "SMDR"/"PCCSMDR").
type LoginStep struct {
	Expect string `yaml:"expect" json:"expect,omitempty"`
	Send   string `yaml:"send,omitempty" json:"send,omitempty"`
}

// FramingDoc says how a byte stream is cut into records.
type FramingDoc struct {
	Type          string           `yaml:"type" json:"type"`                                         // line, nul, stx_etx
	EOL           string           `yaml:"eol,omitempty" json:"eol,omitempty"`                       // any (default), crlf, cr, lf
	MaxLength     int              `yaml:"max_length,omitempty" json:"max_length,omitempty"`         // bytes; default 4096
	HeaderThrough string           `yaml:"header_through,omitempty" json:"header_through,omitempty"` // drop text up to and including this marker
	Continuation  *ContinuationDoc `yaml:"continuation,omitempty" json:"continuation,omitempty"`
}

// ContinuationDoc joins a record printed on two lines: a line matching First
// is held and the next line (if it matches Next, when given) is appended.
type ContinuationDoc struct {
	First     string `yaml:"first" json:"first"`
	Next      string `yaml:"next,omitempty" json:"next,omitempty"`
	Separator string `yaml:"separator,omitempty" json:"separator,omitempty"`
}

// DeriveDoc lists values computed when the record does not carry them.
type DeriveDoc struct {
	// Answered: "duration" (answered when duration > 0), "ring" (when a ring
	// time is present) or "" (leave unknown).
	Answered string `yaml:"answered,omitempty" json:"answered,omitempty"`
	// Direction is the default direction of a call record.
	Direction string `yaml:"direction,omitempty" json:"direction,omitempty"`
	// UnansweredDuration: "ring" when the PBX prints the ring time in the
	// duration column of a call a rule marks unanswered (Mitel, Samsung
	// abandoned calls): the value becomes the ring time and the talk time 0.
	UnansweredDuration string `yaml:"unanswered_duration,omitempty" json:"unanswered_duration,omitempty"`
}

// LayoutDoc is one record layout. A PBX that prints several layouts lists
// them with a match each; the first matching layout parses the frame.
type LayoutDoc struct {
	Name      string            `yaml:"name" json:"name"`
	Match     *CondDoc          `yaml:"match,omitempty" json:"match,omitempty"`
	Format    string            `yaml:"format" json:"format"` // fixed, csv, regex
	Separator string            `yaml:"separator,omitempty" json:"separator,omitempty"`
	Quote     bool              `yaml:"quote,omitempty" json:"quote,omitempty"`
	Pattern   string            `yaml:"pattern,omitempty" json:"pattern,omitempty"`
	MinLength int               `yaml:"min_length,omitempty" json:"min_length,omitempty"`
	MinFields int               `yaml:"min_fields,omitempty" json:"min_fields,omitempty"`
	Reject    string            `yaml:"reject,omitempty" json:"reject,omitempty"`
	Set       map[string]string `yaml:"set,omitempty" json:"set,omitempty"`
	// Tagged is the item table of a `format: tagged` layout.
	Tagged *TaggedDoc `yaml:"tagged,omitempty" json:"tagged,omitempty"`
	Fields []FieldDoc `yaml:"fields,omitempty" json:"fields,omitempty"`
}

// TaggedDoc describes a record made of numbered items (NEC's flexible SMDR):
// from column Start on, each item is its number (TagWidth characters), the
// length of its data (LengthWidth decimal digits) and the data. Items is the
// table of the numbers the PBX prints, with the lengths their data may have;
// a layout's fields then read parts of an item's data.
type TaggedDoc struct {
	// Start is the 1-based column of the first item (5 after NEC's "0!KK").
	Start int `yaml:"start" json:"start"`
	// TagWidth is the number of characters of an item number (default 2).
	TagWidth int `yaml:"tag_width,omitempty" json:"tag_width,omitempty"`
	// LengthWidth is the number of digits of an item's length (default 2).
	LengthWidth int `yaml:"length_width,omitempty" json:"length_width,omitempty"`
	// Order: "ascending" when the PBX prints its items in number order (an
	// item out of order is an error), "any" (default) otherwise. An item
	// printed twice is always an error.
	Order string `yaml:"order,omitempty" json:"order,omitempty"`
	// Repair: "one_length" accepts a record whose printed lengths do not
	// parse when changing exactly one item's length, within the table's
	// bounds, makes the whole record parse, and only one such change does.
	// "" or "none": a length that does not fit is an error.
	Repair string `yaml:"repair,omitempty" json:"repair,omitempty"`
	// Items is the table of item numbers.
	Items []TagItemDoc `yaml:"items" json:"items"`
}

// TagItemDoc is one numbered item of a tagged layout's table. Lengths count
// the characters printed: Length when the data always has that many,
// otherwise MinLength..MaxLength (MaxLength 0: up to the end of the record).
type TagItemDoc struct {
	Tag       string `yaml:"tag" json:"tag"`
	Name      string `yaml:"name" json:"name"`
	Length    int    `yaml:"length,omitempty" json:"length,omitempty"`
	MinLength int    `yaml:"min_length,omitempty" json:"min_length,omitempty"`
	MaxLength int    `yaml:"max_length,omitempty" json:"max_length,omitempty"`
	// LengthBias: the printed length says this many characters more than
	// the data printed (NEC prints the length of an account, dial or
	// authorization code as its digits + 1).
	LengthBias int `yaml:"length_bias,omitempty" json:"length_bias,omitempty"`
	// Meaning says what the item holds, for the reader of the profile.
	Meaning string `yaml:"meaning,omitempty" json:"meaning,omitempty"`
}

// FieldDoc is one field of a layout: where it is, and where its value goes.
type FieldDoc struct {
	Name     string `yaml:"name" json:"name"`
	Tag      string `yaml:"tag,omitempty" json:"tag,omitempty"`     // tagged: the item the field reads
	Col      int    `yaml:"col" json:"col,omitempty"`               // fixed: 1-based first column; tagged: in the item's data (default 1)
	Width    int    `yaml:"width,omitempty" json:"width,omitempty"` // fixed: number of columns; tagged: default the rest of the item
	Index    int    `yaml:"index,omitempty" json:"index,omitempty"` // csv: 1-based field number
	Group    string `yaml:"group,omitempty" json:"group,omitempty"` // regex: named group
	To       string `yaml:"to,omitempty" json:"to,omitempty"`       // target, see Targets
	Format   string `yaml:"format" json:"format,omitempty"`
	Required bool   `yaml:"required,omitempty" json:"required,omitempty"`
	// Private: the field holds a person's name (a party's display name):
	// the record's published raw text shows it as *, the journal keeps it.
	Private bool      `yaml:"private,omitempty" json:"private,omitempty"`
	When    *CondDoc  `yaml:"when,omitempty" json:"when,omitempty"`
	Rules   []RuleDoc `yaml:"rules,omitempty" json:"rules,omitempty"`
}

// CondDoc is a test on a value: the field's own value, another field's
// (Field), or the whole frame (layout match, skip). All given tests must hold;
// Any holds when one of its conditions holds.
type CondDoc struct {
	Field     string    `yaml:"field,omitempty" json:"field,omitempty"`
	Equals    *string   `yaml:"equals,omitempty" json:"equals,omitempty"`
	In        []string  `yaml:"in,omitempty" json:"in,omitempty"`
	Prefix    string    `yaml:"prefix,omitempty" json:"prefix,omitempty"`
	Prefixes  []string  `yaml:"prefixes,omitempty" json:"prefixes,omitempty"`
	Suffix    string    `yaml:"suffix,omitempty" json:"suffix,omitempty"`
	Contains  string    `yaml:"contains,omitempty" json:"contains,omitempty"`
	Regex     string    `yaml:"regex,omitempty" json:"regex,omitempty"`
	Empty     *bool     `yaml:"empty,omitempty" json:"empty,omitempty"`
	Digits    bool      `yaml:"digits,omitempty" json:"digits,omitempty"` // only 0-9 (and not empty)
	MinLength int       `yaml:"min_length,omitempty" json:"min_length,omitempty"`
	MaxLength int       `yaml:"max_length,omitempty" json:"max_length,omitempty"`
	At        *AtDoc    `yaml:"at,omitempty" json:"at,omitempty"`
	Not       bool      `yaml:"not,omitempty" json:"not,omitempty"`
	Any       []CondDoc `yaml:"any,omitempty" json:"any,omitempty"`
}

// AtDoc tests the text at a 1-based column of the frame.
type AtDoc struct {
	Col  int    `yaml:"col" json:"col"`
	Text string `yaml:"text" json:"text"`
}

// RuleDoc maps a field value: the first rule whose condition holds applies.
// The condition keys are CondDoc's, inline.
type RuleDoc struct {
	CondDoc `yaml:",inline" json:",inline"`
	// Cut keeps the text after the first After and before the first of
	// Until's characters ("SIP/trunk-0001" -> "trunk" with after "/", until
	// "-/@"); the rule holds only when After is found. Cheaper than a regex
	// on the hot path.
	Cut   *CutDoc           `yaml:"cut,omitempty" json:"cut,omitempty"`
	Set   map[string]string `yaml:"set,omitempty" json:"set,omitempty"`
	To    *string           `yaml:"to,omitempty" json:"to,omitempty"`
	Skip  bool              `yaml:"skip,omitempty" json:"skip,omitempty"`
	Error string            `yaml:"error,omitempty" json:"error,omitempty"`
}

// CutDoc is a rule's cut: see RuleDoc.Cut.
type CutDoc struct {
	After string `yaml:"after" json:"after"`
	Until string `yaml:"until,omitempty" json:"until,omitempty"`
}

// Example is an inline test: a raw frame and the record fields it must give.
// Expect keys are CallRecord JSON names; "error" expects a parse error
// containing the text, "skip" expects the frame to be skipped.
type Example struct {
	Raw      string            `yaml:"raw" json:"raw"`
	Received string            `yaml:"received,omitempty" json:"received,omitempty"` // RFC 3339 or YYYY-MM-DD; default 2024-06-15T12:00:00 site time
	Expect   map[string]string `yaml:"expect" json:"expect"`
}

// SimulateDoc tells the PBX simulator (`switchboard sim pbx`, internal/sim/pbx)
// how this PBX prints a call, so that whoever writes a profile can also
// simulate it without Go. Templates are the record text with placeholders
// `{name[:format][|width]}`; internal/sim/pbx/README.md lists the names.
type SimulateDoc struct {
	// Layout names the profile layout the templates print (checked by the simulator's tests).
	Layout string `yaml:"layout,omitempty" json:"layout,omitempty"`
	// EOL ends every printed line (line framing, and header lines): crlf (default), cr or lf.
	EOL string `yaml:"eol,omitempty" json:"eol,omitempty"`
	// Lead is printed before every record (Samsung: CR LF, then the record, then NUL).
	Lead string `yaml:"lead,omitempty" json:"lead,omitempty"`
	// Templates by call kind: outgoing (or outgoing.<category>), incoming, internal,
	// unanswered, checkin, checkout, wakeup.set, wakeup.answered, wakeup.noanswer.
	Templates map[string]string `yaml:"templates" json:"templates"`
	// Page is the printer page: header lines, page length, form feed.
	Page *SimPageDoc `yaml:"page,omitempty" json:"page,omitempty"`
	// Trunks are the trunk/CO line names the PBX prints ({trunk}).
	Trunks []string `yaml:"trunks,omitempty" json:"trunks,omitempty"`
	// Classes maps a call category (local, mobile, ddd, idd, hkmotw, tollfree,
	// emergency, incoming, internal) to the class code the PBX prints ({class}).
	Classes map[string]string `yaml:"classes,omitempty" json:"classes,omitempty"`
	// Mix overrides call-mix weights (outgoing, incoming, internal, unanswered,
	// hotel, and the outgoing categories); 0 leaves a kind out.
	Mix map[string]int `yaml:"mix,omitempty" json:"mix,omitempty"`
	// CallIDBase is added to the call sequence number to make {call_id}.
	CallIDBase int64 `yaml:"call_id_base,omitempty" json:"call_id_base,omitempty"`
	// Marks print a mark by talk time ({mark}): the last mark whose from_s
	// the call's duration reaches (Mitel's long-call flag).
	Marks []SimMarkDoc `yaml:"marks,omitempty" json:"marks,omitempty"`
	// ReplayBuffer is how many records the PBX keeps and resends after its
	// SMDR connection comes back (Avaya IP Office: 3000).
	ReplayBuffer int `yaml:"replay_buffer,omitempty" json:"replay_buffer,omitempty"`
}

// SimPageDoc is the simulated printer page.
type SimPageDoc struct {
	// Length is the page length in lines, header included.
	Length int `yaml:"length" json:"length"`
	// Header lines (templates; {now:FORMAT} is the time the page starts).
	Header []string `yaml:"header,omitempty" json:"header,omitempty"`
	// FormFeed starts every page but the first with a form feed.
	FormFeed bool `yaml:"form_feed,omitempty" json:"form_feed,omitempty"`
	// Skip is the number of blank lines at the bottom of a page (skip perforation).
	Skip int `yaml:"skip,omitempty" json:"skip,omitempty"`
}

// SimMarkDoc is one duration mark.
type SimMarkDoc struct {
	FromS int    `yaml:"from_s" json:"from_s"`
	Text  string `yaml:"text" json:"text"`
}
