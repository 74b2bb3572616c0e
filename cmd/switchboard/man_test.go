package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestManPages: `switchboard man --dir DIR` (the Debian package's build
// runs exactly this) writes switchboard.1 and one page per command, each
// with its synopsis and its flags, dated by SOURCE_DATE_EPOCH.
func TestManPages(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1764806400") // 2025-12-04
	dir := filepath.Join(t.TempDir(), "man1")
	var out, errb bytes.Buffer
	if code := dispatch([]string{"man", "--dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("man --dir: exit %d\n%s", code, errb.String())
	}
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c.HasParent() {
			return
		}
		n++
		page := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1"
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Errorf("%s: no page: %v", c.CommandPath(), err)
			return
		}
		text := string(b)
		for _, want := range []string{`.TH "SWITCHBOARD" "1" "Dec 2025"`, ".SH SYNOPSIS", c.Short} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: %q not in the page", page, want)
			}
		}
		c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
			if !strings.Contains(text, `\fB--`+f.Name+`\fP`) {
				t.Errorf("%s: flag --%s not in the page", page, f.Name)
			}
		})
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	root := newRoot(io.Discard, io.Discard)
	root.InitDefaultCompletionCmd() // cobra adds it when it runs a command line, as man did
	walk(root)
	files, _ := filepath.Glob(filepath.Join(dir, "*.1"))
	if len(files) != n || n < 50 {
		t.Errorf("%d pages for %d commands", len(files), n)
	}
	// The usage blocks are laid out in columns: they must reach the page
	// unfilled, line for line, in an example block (.EX/.EE: man-pages(7)).
	b, _ := os.ReadFile(filepath.Join(dir, "switchboard-fax.1"))
	if !strings.Contains(string(b), ".SH DESCRIPTION\n.EX\nusage:\n  switchboard fax send    --device D") ||
		!strings.Contains(string(b), "\n  switchboard fax show    ID [--png DIR]   ") {
		t.Errorf("switchboard-fax.1: the usage block was reflowed:\n%s", b)
	}
	// A second build writes the same bytes (a reproducible package).
	again := filepath.Join(t.TempDir(), "man1")
	if code := dispatch([]string{"man", "--dir", again}, &out, &errb); code != 0 {
		t.Fatalf("man --dir, again: exit %d\n%s", code, errb.String())
	}
	for _, f := range files {
		a, _ := os.ReadFile(f)
		b, err := os.ReadFile(filepath.Join(again, filepath.Base(f)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two builds (%v)", filepath.Base(f), err)
		}
	}
}

// TestManUsage: man without --dir, or with a folder it cannot make, says so.
func TestManUsage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"man"}, 2, "--dir is required"},
		{[]string{"man", "--dir", filepath.Join(file, "man1")}, 1, "not a directory"},
		{[]string{"man", "--dir", "x", "extra"}, 2, `unknown command "extra"`},
	} {
		var out, errb bytes.Buffer
		if code := dispatch(tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, want %d and %q in %q", tc.args, code, tc.code, tc.want, errb.String())
		}
	}
}

// TestCompletion: `switchboard completion bash|zsh|fish` writes a script
// for that shell, and the completions it asks the binary for come from the
// command tree: subcommands, and flags after a subcommand.
func TestCompletion(t *testing.T) {
	for _, tc := range []struct{ shell, want string }{
		{"bash", "complete -o default -F __start_switchboard switchboard"},
		{"zsh", "#compdef switchboard"},
		{"fish", "complete -c switchboard"},
	} {
		var out, errb bytes.Buffer
		if code := dispatch([]string{"completion", tc.shell}, &out, &errb); code != 0 || !strings.Contains(out.String(), tc.want) {
			t.Errorf("completion %s: exit %d, %q not in the script (stderr %s)", tc.shell, code, tc.want, errb.String())
		}
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"fa"}, []string{"fax"}},
		{[]string{"fax", "s"}, []string{"send", "show"}},
		{[]string{"report", ""}, []string{"business-center", "calls", "devices", "faxes", "reconcile", "special"}},
		{[]string{"wakeup", "set", "--o"}, []string{"--operator"}},
	} {
		var out, errb bytes.Buffer
		if code := dispatch(append([]string{cobra.ShellCompRequestCmd}, tc.args...), &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errb.String())
		}
		var got []string
		for _, l := range strings.Split(out.String(), "\n") {
			if l != "" && !strings.HasPrefix(l, ":") {
				name, _, _ := strings.Cut(l, "\t")
				got = append(got, name)
			}
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("complete %v: %v, want %v", tc.args, got, tc.want)
		}
	}
}
