package main

import (
	"bytes"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// parsed is what a command line resolved to: the command, the flags set on
// it and its positional arguments.
type parsed struct {
	path  string
	flags map[string]string
	args  []string
}

// resolve parses line on the real command tree with every leaf's action
// replaced by a recorder, so nothing runs: what the tests check is the
// command line itself.
func resolve(t *testing.T, line string) (parsed, int, string) {
	t.Helper()
	var got parsed
	root := newRoot(io.Discard, io.Discard)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.HasSubCommands() && c.RunE != nil {
			c.RunE = func(cmd *cobra.Command, args []string) error {
				got = parsed{path: cmd.CommandPath(), flags: map[string]string{}, args: args}
				cmd.Flags().Visit(func(f *pflag.Flag) { got.flags[f.Name] = f.Value.String() })
				return nil
			}
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	words, err := shellWords(line)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	if len(words) == 0 || (words[0] != "switchboard" && words[0] != "bin/switchboard") {
		t.Fatalf("%s: not a switchboard command line", line)
	}
	var out, errb bytes.Buffer
	code := execute(root, words[1:], &out, &errb)
	return got, code, out.String() + errb.String()
}

// shellWords splits a documented command line as sh would for the quoting
// the docs use: '...' and "..." around words with spaces.
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	in, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, io.ErrUnexpectedEOF
	}
	if in {
		words = append(words, w.String())
	}
	return words, nil
}

// TestDocumentedCommandLines: every command line README.md, docs/*.md, the
// Makefile and the e2e tests give (placeholders filled in, optional flags
// given) resolves to the same command with the same flag values and
// arguments as the hand-written dispatch read it before cobra; plus the
// spellings that dispatch also took (flags before or after the positional
// arguments, Go's one-dash -flag).
func TestDocumentedCommandLines(t *testing.T) {
	type f = map[string]string
	for _, tc := range []struct {
		src, line, path string
		flags           f
		args            []string
	}{
		{"README.md", "bin/switchboard run   --config switchboard.yaml", "switchboard run", f{"config": "switchboard.yaml"}, nil},
		{"docs/operations.md", "switchboard run", "switchboard run", f{}, nil},
		{"test/e2e/helpers_test.go", "switchboard run --config /tmp/x/switchboard.yaml", "switchboard run", f{"config": "/tmp/x/switchboard.yaml"}, nil},
		{"Makefile (make run)", "bin/switchboard demo", "switchboard demo", f{}, nil},
		{"README.md", "bin/switchboard check --config switchboard.yaml", "switchboard check", f{"config": "switchboard.yaml"}, nil},
		{"docs/operations.md", "switchboard check", "switchboard check", f{}, nil},
		{"docs/performance.md", "switchboard check --config /dev/zero", "switchboard check", f{"config": "/dev/zero"}, nil},
		{"testdata/check (Go flag spelling)", "switchboard check -config testdata/check/bad-baud.yaml", "switchboard check", f{"config": "testdata/check/bad-baud.yaml"}, nil},
		{"Go flag spelling", "switchboard check -config=a.yaml", "switchboard check", f{"config": "a.yaml"}, nil},
		{"Go flag spelling, after the arguments", "switchboard wakeup set 1203 06:30 -operator 07 -daily", "switchboard wakeup set",
			f{"operator": "07", "daily": "true"}, []string{"1203", "06:30"}},
		{"a value that looks like a flag stays a value", "switchboard copy stop --device prn1 --room 1203 --void --reason -config", "switchboard copy stop",
			f{"device": "prn1", "room": "1203", "void": "true", "reason": "-config"}, nil},
		{"-- ends the flags", "switchboard print --printer prn1 --room 1203 --operator 07 -- -odd.pdf", "switchboard print",
			f{"printer": "prn1", "room": "1203", "operator": "07"}, []string{"-odd.pdf"}},
		{"stdin", "switchboard smdr parse --profile nec-neax -", "switchboard smdr parse", f{"profile": "nec-neax"}, []string{"-"}},
		{"README.md", "bin/switchboard backup --to /var/backups/switchboard --keep 14", "switchboard backup", f{"to": "/var/backups/switchboard", "keep": "14"}, nil},
		{"docs/operations.md", "switchboard backup --to DIR --keep 3 --config F", "switchboard backup", f{"to": "DIR", "keep": "3", "config": "F"}, nil},
		{"README.md", "bin/switchboard restore /var/backups/switchboard/switchboard-20261204T030000Z.db", "switchboard restore", f{},
			[]string{"/var/backups/switchboard/switchboard-20261204T030000Z.db"}},
		{"docs/operations.md", "switchboard restore B.db --config F", "switchboard restore", f{"config": "F"}, []string{"B.db"}},
		{"flags first", "switchboard restore --config F B.db", "switchboard restore", f{"config": "F"}, []string{"B.db"}},
		{"README.md", "bin/switchboard passwd", "switchboard passwd", f{}, nil},
		{"README.md", "bin/switchboard tail  --config switchboard.yaml --topic 'hotel/+/+/pbx/#'", "switchboard tail",
			f{"config": "switchboard.yaml", "topic": "hotel/+/+/pbx/#"}, nil},
		{"README.md", "bin/switchboard tail --config var/demo/switchboard.yaml --json", "switchboard tail", f{"config": "var/demo/switchboard.yaml", "json": "true"}, nil},
		{"docs/events.md", "switchboard tail --ack", "switchboard tail", f{"ack": "true"}, nil},
		{"tls_test.go", "switchboard tail --config c.yaml --count 1 --timeout 10s --topic hotel/acme/h042/edge/gw1/status", "switchboard tail",
			f{"config": "c.yaml", "count": "1", "timeout": "10s", "topic": "hotel/acme/h042/edge/gw1/status"}, nil},
		{"README.md", "bin/switchboard folio checkin 1203 --reservation R881", "switchboard folio checkin", f{"reservation": "R881"}, []string{"1203"}},
		{"docs/operations.md", "switchboard folio list", "switchboard folio list", f{}, nil},
		{"README.md", `bin/switchboard call resolve pbx1/k7 --action post --room 1203 --reason "late call, the guest's"`, "switchboard call resolve",
			f{"action": "post", "room": "1203", "reason": "late call, the guest's"}, []string{"pbx1/k7"}},
		{"README.md", `bin/switchboard operator add 0007 --name "Lin Mei" --role operator`, "switchboard operator add", f{"name": "Lin Mei", "role": "operator"}, []string{"0007"}},
		{"docs/console.md", "switchboard operator disable 0001", "switchboard operator disable", f{}, []string{"0001"}},
		{"docs/console.md", "switchboard operator list", "switchboard operator list", f{}, nil},
		{"docs/console.md", "switchboard operator reset 0001", "switchboard operator reset", f{}, []string{"0001"}},
		{"README.md", "bin/switchboard print --printer prn1 --room 1203 --operator 07 menu.pdf", "switchboard print",
			f{"printer": "prn1", "room": "1203", "operator": "07"}, []string{"menu.pdf"}},
		{"docs/printers.md", "switchboard print --printer prn1 --room 1203 --operator op07 --copies 2 --sides two-sided-long-edge menu.pdf", "switchboard print",
			f{"printer": "prn1", "room": "1203", "operator": "op07", "copies": "2", "sides": "two-sided-long-edge"}, []string{"menu.pdf"}},
		{"file first", "switchboard print menu.pdf --printer prn1 --room 1203 --operator 07", "switchboard print",
			f{"printer": "prn1", "room": "1203", "operator": "07"}, []string{"menu.pdf"}},
		{"docs/printers.md", "switchboard copy start --device prn1 --room 1203 --operator op07", "switchboard copy start",
			f{"device": "prn1", "room": "1203", "operator": "op07"}, nil},
		{"docs/printers.md", `switchboard copy stop  --device prn1 --room 1203          --void --reason "counter reset"`, "switchboard copy stop",
			f{"device": "prn1", "room": "1203", "void": "true", "reason": "counter reset"}, nil},
		{"README.md", "bin/switchboard profiles list", "switchboard profiles list", f{}, nil},
		{"README.md", "switchboard profiles test", "switchboard profiles test", f{}, nil},
		{"docs/profiles.md", "switchboard profiles show nec-neax", "switchboard profiles show", f{}, []string{"nec-neax"}},
		{"usage line", "switchboard profiles --profiles-dir D test nec-neax", "switchboard profiles test", f{"profiles-dir": "D"}, []string{"nec-neax"}},
		{"README.md", "bin/switchboard rate --profile panasonic-kx-tda printout.txt", "switchboard rate", f{"profile": "panasonic-kx-tda"}, []string{"printout.txt"}},
		{"docs/reports.md", "switchboard rate --tariff T --plan P --profile ID --tz Asia/Shanghai -", "switchboard rate",
			f{"tariff": "T", "plan": "P", "profile": "ID", "tz": "Asia/Shanghai"}, []string{"-"}},
		{"README.md", "bin/switchboard smdr parse --profile panasonic-kx-tda --tz Asia/Shanghai printout.txt", "switchboard smdr parse",
			f{"profile": "panasonic-kx-tda", "tz": "Asia/Shanghai"}, []string{"printout.txt"}},
		{"smdr_test.go", "switchboard smdr parse --profile nec-neax --reference-date 2024-06-15 --tz UTC in.txt", "switchboard smdr parse",
			f{"profile": "nec-neax", "reference-date": "2024-06-15", "tz": "UTC"}, []string{"in.txt"}},
		{"README.md", "bin/switchboard report calls --date 2026-11-27", "switchboard report calls", f{"date": "2026-11-27"}, nil},
		{"docs/reports.md", "switchboard report reconcile --date 2026-11-27 --device pbx1 --csv", "switchboard report reconcile",
			f{"date": "2026-11-27", "device": "pbx1", "csv": "true"}, nil},
		{"test/e2e/billing_test.go", "switchboard report reconcile --config c.yaml --date 2026-12-04", "switchboard report reconcile",
			f{"config": "c.yaml", "date": "2026-12-04"}, nil},
		{"docs/reports.md", "switchboard report special   --week 2026-W48 --over-minutes 30 --json", "switchboard report special",
			f{"week": "2026-W48", "over-minutes": "30", "json": "true"}, nil},
		{"docs/printers.md", "switchboard report business-center --date 2026-11-27 --csv", "switchboard report business-center",
			f{"date": "2026-11-27", "csv": "true"}, nil},
		{"docs/printers.md", "switchboard report devices --json", "switchboard report devices", f{"json": "true"}, nil},
		{"docs/fax.md", "switchboard report faxes --date 2026-11-27 --csv", "switchboard report faxes", f{"date": "2026-11-27", "csv": "true"}, nil},
		{"README.md", "bin/switchboard reprocess --since 24h --profile panasonic-kx-tda", "switchboard reprocess",
			f{"since": "24h", "profile": "panasonic-kx-tda"}, nil},
		{"docs/reports.md", "switchboard rerate --since 2026-11-01 --until 2026-11-02 --dry-run --json", "switchboard rerate",
			f{"since": "2026-11-01", "until": "2026-11-02", "dry-run": "true", "json": "true"}, nil},
		{"README.md", "bin/switchboard sim pbx --profile avaya-ipoffice --tcp-connect 127.0.0.1:5000", "switchboard sim pbx",
			f{"profile": "avaya-ipoffice", "tcp-connect": "127.0.0.1:5000"}, nil},
		{"docs/hotelink.md", "switchboard sim fias --connect 127.0.0.1:5010 --tz Asia/Shanghai --script 1203=busy,1203=noanswer", "switchboard sim fias",
			f{"connect": "127.0.0.1:5010", "tz": "Asia/Shanghai", "script": "1203=busy,1203=noanswer"}, nil},
		{"docs/fax.md", "switchboard fax send --device fax1 --to 0212345678 --room 1203 --operator 07 doc.pdf", "switchboard fax send",
			f{"device": "fax1", "to": "0212345678", "room": "1203", "operator": "07"}, []string{"doc.pdf"}},
		{"docs/fax.md", "switchboard fax list --unassigned --date 2026-11-27 --json", "switchboard fax list",
			f{"unassigned": "true", "date": "2026-11-27", "json": "true"}, nil},
		{"docs/fax.md", "switchboard fax show 7 --png out", "switchboard fax show", f{"png": "out"}, []string{"7"}},
		{"docs/fax.md", "switchboard fax probe --port /dev/ttyACM0", "switchboard fax probe", f{"port": "/dev/ttyACM0"}, nil},
		{"fax usage", "switchboard fax assign --device fax1 --id 3 --room 1203", "switchboard fax assign", f{"device": "fax1", "id": "3", "room": "1203"}, nil},
		{"fax usage", "switchboard fax deliver --device fax1 --id 3 --by 07 --signed 'Zhang Wei'", "switchboard fax deliver",
			f{"device": "fax1", "id": "3", "by": "07", "signed": "Zhang Wei"}, nil},
		{"docs/hotelink.md", "switchboard guest checkin 1203 --name 'Zhang Wei' --reservation R --language zh --vip --cos local", "switchboard guest checkin",
			f{"name": "Zhang Wei", "reservation": "R", "language": "zh", "vip": "true", "cos": "local"}, []string{"1203"}},
		{"docs/hotelink.md", "switchboard guest checkout 1203", "switchboard guest checkout", f{}, []string{"1203"}},
		{"docs/hotelink.md", "switchboard guest move 1203 1410", "switchboard guest move", f{}, []string{"1203", "1410"}},
		{"docs/hotelink.md", "switchboard wakeup set 1203 06:30 --operator 07 --date 2026-11-28 --daily --until 2026-11-30 --by operator", "switchboard wakeup set",
			f{"operator": "07", "date": "2026-11-28", "daily": "true", "until": "2026-11-30", "by": "operator"}, []string{"1203", "06:30"}},
		{"flags between", "switchboard wakeup set 1203 --operator 07 06:30", "switchboard wakeup set", f{"operator": "07"}, []string{"1203", "06:30"}},
		{"docs/hotelink.md", "switchboard wakeup cancel 1203 --id 4", "switchboard wakeup cancel", f{"id": "4"}, []string{"1203"}},
		{"docs/hotelink.md", "switchboard wakeup list --date tomorrow", "switchboard wakeup list", f{"date": "tomorrow"}, nil},
		{"docs/hotelink.md", "switchboard dnd on 1203", "switchboard dnd", f{}, []string{"on", "1203"}},
		{"docs/hotelink.md", "switchboard mwl off 1203", "switchboard mwl", f{}, []string{"off", "1203"}},
		{"README.md", "switchboard version", "switchboard version", f{}, nil},
		{"README.md (make deb)", "switchboard man --dir DIR", "switchboard man", f{"dir": "DIR"}, nil},
	} {
		t.Run(tc.line, func(t *testing.T) {
			got, code, out := resolve(t, tc.line)
			if code != 0 {
				t.Fatalf("%s (%s): exit %d\n%s", tc.line, tc.src, code, out)
			}
			if got.path != tc.path || !maps.Equal(got.flags, tc.flags) || !slices.Equal(got.args, tc.args) {
				t.Errorf("%s (%s):\n got %s %v %q\nwant %s %v %q", tc.line, tc.src, got.path, got.flags, got.args, tc.path, tc.flags, tc.args)
			}
		})
	}
}

// TestUsageErrors: what the hand-written dispatch refused is refused with
// exit 2 and a message that says what was wrong.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"switchboard", "Available Commands"},
		{"switchboard bogus", `unknown command "bogus"`},
		{"switchboard fax", "usage:\n  switchboard fax send"},
		{"switchboard fax fly --config F", `unknown subcommand "fly"`},
		{"switchboard sim fax", "usage: switchboard sim <"},
		{"switchboard check --conf x.yaml", "unknown flag: --conf"},
		{"switchboard tail --count", "flag needs an argument: --count"},
		{"switchboard tail --count many", `invalid argument "many" for "--count"`},
	} {
		t.Run(tc.line, func(t *testing.T) {
			_, code, out := resolve(t, tc.line)
			if code != 2 || !strings.Contains(out, tc.want) {
				t.Errorf("%s: exit %d, want 2 and %q in:\n%s", tc.line, code, tc.want, out)
			}
		})
	}
}

// TestHelpEverywhere: every command and subcommand of the tree answers
// --help with its usage on stdout and exit 0, and lists its flags.
func TestHelpEverywhere(t *testing.T) {
	var paths []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		paths = append(paths, c)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(newRoot(io.Discard, io.Discard))
	if len(paths) < 50 {
		t.Fatalf("only %d commands in the tree", len(paths))
	}
	for _, c := range paths {
		path := c.CommandPath()
		t.Run(path, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append(strings.Fields(path)[1:], "--help")
			if code := dispatch(args, &out, &errb); code != 0 {
				t.Fatalf("%s --help: exit %d\n%s", path, code, errb.String())
			}
			if !strings.Contains(out.String(), "Usage:\n  "+strings.Fields(c.UseLine())[0]) {
				t.Errorf("%s --help: no usage line in\n%s", path, out.String())
			}
			c.LocalFlags().VisitAll(func(f *pflag.Flag) {
				if !strings.Contains(out.String(), "--"+f.Name) {
					t.Errorf("%s --help does not list --%s", path, f.Name)
				}
			})
		})
	}
}
