package deb_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDebianVersion runs build-deb.sh --print-version in throwaway git
// repositories: each state of tags and commits gives the Debian version
// written out here, and dpkg orders them as releases go.
func TestDebianVersion(t *testing.T) {
	need(t, "git", "bash")
	script, err := os.ReadFile("../../packaging/build-deb.sh")
	if err != nil {
		t.Fatal(err)
	}
	git := func(t *testing.T, dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "tag.gpgSign=false", "-c", "commit.gpgSign=false"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	commit := func(t *testing.T, dir, name string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		git(t, dir, "add", "-A")
		git(t, dir, "commit", "-q", "-m", name)
	}
	cases := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		env     string
		want    string // a regular expression of the whole version
		wantErr string
	}{
		{"no tag", func(t *testing.T, d string) { commit(t, d, "b") }, "", `0~git2\.g[0-9a-f]{7,}`, ""},
		{"on a tag", func(t *testing.T, d string) { git(t, d, "tag", "v1.2.0") }, "", `1\.2\.0`, ""},
		{"after a tag", func(t *testing.T, d string) {
			git(t, d, "tag", "v1.2.0")
			commit(t, d, "b")
			commit(t, d, "c")
		}, "", `1\.2\.0\+2\.g[0-9a-f]{7,}`, ""},
		{"pre-release tag", func(t *testing.T, d string) { git(t, d, "tag", "v1.3.0-rc1") }, "", `1\.3\.0~rc1`, ""},
		{"tag without v, uncommitted change", func(t *testing.T, d string) {
			git(t, d, "tag", "2.0")
			if err := os.WriteFile(filepath.Join(d, "a"), []byte("changed"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "", `2\.0\+dirty`, ""},
		{"tag that is no version", func(t *testing.T, d string) { git(t, d, "tag", "release") }, "", "", "the tag is not a version"},
		{"DEB_VERSION", func(t *testing.T, d string) {}, "DEB_VERSION=3.1+hotfix1", `3\.1\+hotfix1`, ""},
		{"DEB_VERSION not Debian's", func(t *testing.T, d string) {}, "DEB_VERSION=v1.2-rc1", "", "is not a Debian version"},
	}
	versions := map[string]string{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "packaging"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "packaging", "build-deb.sh"), script, 0o755); err != nil {
				t.Fatal(err)
			}
			git(t, dir, "init", "-q")
			commit(t, dir, "a")
			c.setup(t, dir)
			var env []string
			if c.env != "" {
				env = []string{c.env}
			}
			out, err := run(t, env, filepath.Join(dir, "packaging", "build-deb.sh"), "--print-version")
			out = strings.TrimSpace(out)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(out, c.wantErr) {
					t.Fatalf("got %q (err %v), want a refusal with %q", out, err, c.wantErr)
				}
				return
			}
			if err != nil || !regexp.MustCompile("^"+c.want+"$").MatchString(out) {
				t.Fatalf("got %q (err %v), want %s", out, err, c.want)
			}
			versions[c.name] = out
		})
	}
	// The order an upgrade follows (Debian Policy §5.6.12, as dpkg compares).
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg not found: version order not checked")
	}
	order := []string{"no tag", "on a tag", "after a tag", "pre-release tag", "tag without v, uncommitted change", "DEB_VERSION"}
	// A release candidate comes before its release.
	if rc := versions["pre-release tag"]; rc != "" {
		if out, err := run(t, nil, "dpkg", "--compare-versions", rc, "lt", "1.3.0"); err != nil {
			t.Errorf("dpkg orders %s after the release 1.3.0: %s", rc, out)
		}
	}
	for i := 1; i < len(order); i++ {
		a, b := versions[order[i-1]], versions[order[i]]
		if a == "" || b == "" {
			continue // that case failed above
		}
		if out, err := run(t, nil, "dpkg", "--compare-versions", a, "lt", b); err != nil {
			t.Errorf("dpkg orders %s (%s) after %s (%s): %s", a, order[i-1], b, order[i], out)
		}
	}
}
