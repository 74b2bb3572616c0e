package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The -update flag may already be defined by another test file of this
// package; share it rather than define it twice.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// TestSMDRGolden parses every testdata/smdr input with its profile and
// compares stdout, stderr and the exit code with the golden file.
func TestSMDRGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/smdr/*.txt")
	bins, _ := filepath.Glob("testdata/smdr/*.bin")
	inputs = append(inputs, bins...)
	if len(inputs) < 8 {
		t.Fatalf("want an input per profile, found %d", len(inputs))
	}
	for _, in := range inputs {
		id := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
		t.Run(id, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := dispatch([]string{"smdr", "parse", "--profile", id, "--reference-date", "2024-06-15", "--tz", "UTC", in}, &out, &errb)
			got := fmt.Sprintf("%s# stderr\n%s# exit %d\n", out.String(), errb.String(), code)
			golden := filepath.Join("testdata/smdr", id+".golden")
			if updating() {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
}

func TestSMDRUsage(t *testing.T) {
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"smdr"}, 2, "usage"},
		{[]string{"smdr", "parse"}, 2, "--profile is required"},
		{[]string{"smdr", "parse", "--profile", "nope", "testdata/smdr/avaya-ipoffice.txt"}, 2, "unknown pbx profile"},
		{[]string{"smdr", "parse", "--profile", "avaya-ipoffice", "--tz", "Mars/Base", "x"}, 2, "--tz"},
		{[]string{"smdr", "parse", "--profile", "avaya-ipoffice", "--reference-date", "15.06.2024", "x"}, 2, "reference-date"},
		{[]string{"smdr", "parse", "--profile", "avaya-ipoffice", "testdata/smdr/missing.txt"}, 2, "no such file"},
		// Wrong profile: Avaya CSV read as Panasonic gives one clear error a line.
		{[]string{"smdr", "parse", "--profile", "panasonic-kx-tda", "--reference-date", "2024-06-15", "testdata/smdr/avaya-ipoffice.txt"}, 1, "line 1: field date \"2008/06/\": not a MM/DD/YY date"},
		{[]string{"profiles", "test"}, 0, "0 failed"},
		{[]string{"profiles", "show", "nope"}, 2, "unknown pbx profile"},
		{[]string{"profiles", "frobnicate"}, 2, "unknown subcommand"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := dispatch(c.args, &out, &errb)
		if code != c.code || !strings.Contains(out.String()+errb.String(), c.msg) {
			t.Errorf("%v: exit %d, want %d with %q\nstdout: %s\nstderr: %s", c.args, code, c.code, c.msg, out.String(), errb.String())
		}
	}
}

func TestProfilesListShow(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch([]string{"profiles", "list"}, &out, &errb); code != 0 {
		t.Fatalf("list: exit %d: %s", code, errb.String())
	}
	for _, id := range []string{"panasonic-kx-tda", "avaya-ipoffice", "mitel-mivb", "nec-neax", "nec-neax-flexible", "siemens-hipath", "samsung-officeserv", "shenou-uso", "asterisk-csv",
		"hotel-link (driver hotelink): fias", "fax-modem (driver faxmodem): ", "printer (driver ipp): "} {
		if !strings.Contains(out.String(), id) {
			t.Errorf("list lacks %s", id)
		}
	}
	out.Reset()
	if code := dispatch([]string{"profiles", "show", "nec-neax"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "stx_etx") {
		t.Errorf("show: exit %d, output %q", code, out.String())
	}
}
