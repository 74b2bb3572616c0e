package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"switchboard/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/check")

// checkCase runs `switchboard check` with args and compares exit code,
// stdout and stderr with testdata/check/<name>.golden.
type checkCase struct {
	name string
	args []string
	env  string // $SWITCHBOARD_CONFIG, if set
}

func checkCases(t *testing.T) []checkCase {
	t.Helper()
	files, err := filepath.Glob("testdata/check/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test configs in testdata/check: %v", err)
	}
	var cases []checkCase
	for _, f := range files {
		// Relative path as given, so the output is the same on every machine.
		cases = append(cases, checkCase{
			name: strings.TrimSuffix(filepath.Base(f), ".yaml"),
			args: []string{"check", "--config", filepath.ToSlash(f)},
		})
	}
	return append(cases,
		checkCase{name: "example", args: []string{"check", "--config", "../../switchboard.example.yaml"}},
		checkCase{name: "missing-file", args: []string{"check", "--config", "testdata/check/no-such-file.yaml"}},
		// Refused before reading: /dev/zero would be read until memory ran out.
		checkCase{name: "dev-zero", args: []string{"check", "--config", "/dev/zero"}},
		checkCase{name: "directory", args: []string{"check", "--config", "testdata/check/tls"}},
		checkCase{name: "env-var", args: []string{"check"}, env: "testdata/check/good-minimal.yaml"},
		checkCase{name: "env-var-overridden", args: []string{"check", "-config", "testdata/check/bad-baud.yaml"}, env: "testdata/check/good-minimal.yaml"},
		checkCase{name: "extra-argument", args: []string{"check", "testdata/check/good-minimal.yaml"}},
		checkCase{name: "unknown-flag", args: []string{"check", "--conf", "x.yaml"}},
	)
}

func TestCheckGolden(t *testing.T) {
	for _, c := range checkCases(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(config.EnvVar, c.env)
			var out, errOut bytes.Buffer
			code := dispatch(c.args, &out, &errOut)
			got := fmt.Sprintf("# exit %d\n-- stdout --\n%s-- stderr --\n%s", code, out.String(), errOut.String())

			golden := filepath.Join("testdata", "check", c.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestCheckGolden -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("switchboard %s: output differs from %s\n--- got\n%s--- want\n%s", strings.Join(c.args, " "), golden, got, want)
			}
		})
	}
}

// TestCheckExitCodes pins the contract scripts rely on, independent of the
// golden files' wording: good-* configs exit 0, bad-* exit 2, and a failing
// run never prints to stdout nor shows a Go stack trace.
func TestCheckExitCodes(t *testing.T) {
	for _, c := range checkCases(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(config.EnvVar, c.env)
			var out, errOut bytes.Buffer
			code := dispatch(c.args, &out, &errOut)
			wantOK := strings.HasPrefix(c.name, "good-") || c.name == "example" || c.name == "env-var"
			switch {
			case wantOK && code != 0:
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, errOut.String())
			case wantOK && !strings.HasPrefix(out.String(), "config OK: "):
				t.Fatalf("stdout %q, want config OK", out.String())
			case !wantOK && code != 2:
				t.Fatalf("exit %d, want 2", code)
			case !wantOK && out.Len() != 0:
				t.Fatalf("stdout %q on failure, want nothing", out.String())
			}
			if strings.Contains(errOut.String(), "goroutine ") || strings.Contains(errOut.String(), "panic") {
				t.Fatalf("stack trace in output:\n%s", errOut.String())
			}
		})
	}
}

// check asks the drivers' registry about every device's profile.
func TestCheckAsksTheDriversAboutProfiles(t *testing.T) {
	b, err := os.ReadFile("testdata/check/good-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sb.yaml")
	if err := os.WriteFile(path, bytes.Replace(b, []byte("profile: panasonic-kx-tda"), []byte("profile: panasonic-kx-tdz"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := dispatch([]string{"check", "--config", path}, &out, &errOut)
	want := path + ":27: devices[0].profile: no PBX profile \"panasonic-kx-tdz\""
	if code != 2 || !strings.HasPrefix(errOut.String(), want) {
		t.Fatalf("exit %d, stderr:\n%s\nwant it to start with %q", code, errOut.String(), want)
	}
}
