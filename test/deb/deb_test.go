// Package deb_test builds the Debian package with packaging/build-deb.sh, as
// `make deb` does, and checks it the way dpkg and systemd will see it: the
// archive's files, modes and owners, the control fields and conffiles, the
// service user created in a throwaway root (by systemd-sysusers and by the
// package's own postinst, with and without systemd-sysusers), the unit
// verified by systemd-analyze, and the packaged config accepted by
// `switchboard check`.
package deb_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const unitPath = "lib/systemd/system/switchboard.service"

// built is one package build shared by the subtests.
type built struct {
	repo, bin, deb string
	cliDocs        bool // the binary has `completion bash` and `man --dir`
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: install it (test/install-deps.sh does, as root) to test the Debian package", tool)
		}
	}
}

func run(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func mustRun(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	out, err := run(t, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func build(t *testing.T) built {
	need(t, "dpkg-deb", "go")
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b := built{repo: repo, bin: filepath.Join(dir, "switchboard")}
	// As `make deb` builds it: static, so the package needs no libc6.
	mustRun(t, []string{"CGO_ENABLED=0"}, "go", "build", "-o", b.bin, filepath.Join(repo, "cmd", "switchboard"))
	out, err := run(t, nil, b.bin, "completion", "bash")
	b.cliDocs = err == nil && strings.TrimSpace(out) != ""
	script := filepath.Join(repo, "packaging", "build-deb.sh")
	args := []string{b.bin, filepath.Join(dir, "out")}
	if !b.cliDocs {
		// The script must refuse a binary without the commands rather than
		// ship a package without them...
		out, err := run(t, nil, script, args...)
		if err == nil || !strings.Contains(out, "has no working 'switchboard completion bash'") {
			t.Fatalf("build-deb.sh with a binary lacking `completion bash`: err %v, want a refusal naming it:\n%s", err, out)
		}
		// ...and packages the rest when told to leave them out.
		args = append([]string{"--no-cli-docs"}, args...)
		t.Logf("the binary has no `completion bash` (the cobra CLI adds it): packaged with --no-cli-docs")
	}
	out = mustRun(t, nil, script, args...)
	b.deb = strings.TrimSpace(out)
	return b
}

// extract unpacks the package into a new root, seeded with Debian's base
// users and groups (base-passwd), where dialout is gid 20.
func extract(t *testing.T, b built) string {
	t.Helper()
	root := t.TempDir()
	mustRun(t, nil, "dpkg-deb", "-x", b.deb, root)
	mustRun(t, nil, "dpkg-deb", "-e", b.deb, filepath.Join(root, "DEBIAN"))
	seed := map[string]string{
		"passwd": "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		"group":  "root:x:0:\ndialout:x:20:\nnogroup:x:65534:\n",
	}
	for name, fallback := range seed {
		data, err := os.ReadFile("/usr/share/base-passwd/" + name + ".master")
		if err != nil {
			data = []byte(fallback)
		}
		if err := os.WriteFile(filepath.Join(root, "etc", name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestDebianPackage(t *testing.T) {
	b := build(t)

	t.Run("files, modes and owners", func(t *testing.T) {
		want := map[string]string{ // path in the archive: mode
			"./etc/switchboard/":                        "drwxr-x---",
			"./etc/switchboard/switchboard.yaml":        "-rw-r-----",
			"./" + unitPath:                             "-rw-r--r--",
			"./usr/bin/switchboard":                     "-rwxr-xr-x",
			"./usr/lib/sysusers.d/switchboard.conf":     "-rw-r--r--",
			"./usr/lib/tmpfiles.d/switchboard.conf":     "-rw-r--r--",
			"./usr/share/doc/switchboard/README.md":     "-rw-r--r--",
			"./usr/share/doc/switchboard/operations.md": "-rw-r--r--",
			"./var/lib/switchboard/":                    "drwxr-x---",
		}
		if b.cliDocs {
			want["./usr/share/bash-completion/completions/switchboard"] = "-rw-r--r--"
			want["./usr/share/man/man1/switchboard.1.gz"] = "-rw-r--r--"
		}
		listing := mustRun(t, nil, "dpkg-deb", "-c", b.deb)
		got := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(listing), "\n") {
			f := strings.Fields(line) // mode owner size date time path
			if len(f) < 6 {
				t.Fatalf("dpkg-deb -c line %q", line)
			}
			if f[1] != "root/root" {
				t.Errorf("%s is owned by %s in the archive, want root/root (postinst gives the store to the user)", f[5], f[1])
			}
			if f[0][0] == 'd' && want[f[5]] == "" {
				continue // a parent folder
			}
			got[f[5]] = f[0]
		}
		for p, mode := range want {
			if got[p] != mode {
				t.Errorf("%s: mode %q, want %q", p, got[p], mode)
			}
		}
		for p := range got {
			if _, ok := want[p]; !ok && !(b.cliDocs && strings.HasPrefix(p, "./usr/share/man/man1/switchboard-") && strings.HasSuffix(p, ".1.gz")) {
				t.Errorf("unexpected file in the package: %s", p)
			}
		}
	})

	t.Run("control fields", func(t *testing.T) {
		debArch := map[string]string{"amd64": "amd64", "arm64": "arm64", "386": "i386", "arm": "armhf", "ppc64le": "ppc64el", "riscv64": "riscv64", "s390x": "s390x"}
		cases := []struct {
			field string
			want  *regexp.Regexp
		}{
			{"Package", regexp.MustCompile(`^switchboard$`)},
			// git describe made a Debian version: tagged or 0~git<count>.g<hash>.
			{"Version", regexp.MustCompile(`^(0~git[0-9]+\.g[0-9a-f]{7,}|[0-9][0-9A-Za-z.~]*(\+[0-9]+\.g[0-9a-f]+)?)(\+dirty)?$`)},
			{"Architecture", regexp.MustCompile("^" + regexp.QuoteMeta(debArch[runtime.GOARCH]) + "$")},
			{"Maintainer", regexp.MustCompile(`^[^<>]+ <[^<>@\s]+@[^<>@\s]+>$`)},
			{"Depends", regexp.MustCompile(`^passwd$`)},
			{"Recommends", regexp.MustCompile(`^systemd, ghostscript, fonts-droid-fallback$`)},
			{"Section", regexp.MustCompile(`^net$`)},
			{"Priority", regexp.MustCompile(`^optional$`)},
			{"Installed-Size", regexp.MustCompile(`^[0-9]{4,}$`)},
			{"Description", regexp.MustCompile(`^hotel front-office edge gateway\n .+`)},
		}
		for _, c := range cases {
			got := strings.TrimSpace(mustRun(t, nil, "dpkg-deb", "-f", b.deb, c.field))
			if !c.want.MatchString(got) {
				t.Errorf("%s: %q, want %s", c.field, got, c.want)
			}
		}
		version := strings.TrimSpace(mustRun(t, nil, "dpkg-deb", "-f", b.deb, "Version"))
		if name := filepath.Base(b.deb); name != fmt.Sprintf("switchboard_%s_%s.deb", version, debArch[runtime.GOARCH]) {
			t.Errorf("package file %s does not follow name_version_arch.deb", name)
		}
		size, _ := strconv.Atoi(strings.TrimSpace(mustRun(t, nil, "dpkg-deb", "-f", b.deb, "Installed-Size")))
		st, err := os.Stat(b.bin)
		if err != nil {
			t.Fatal(err)
		}
		if int64(size)*1024 < st.Size() {
			t.Errorf("Installed-Size %d KiB is less than the binary's %d bytes", size, st.Size())
		}
	})

	root := extract(t, b)

	t.Run("conffiles and maintainer scripts", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(root, "DEBIAN", "conffiles"))
		if err != nil || string(data) != "/etc/switchboard/switchboard.yaml\n" {
			t.Errorf("conffiles %q (%v), want the config alone", data, err)
		}
		for _, s := range []string{"postinst", "prerm", "postrm"} {
			st, err := os.Stat(filepath.Join(root, "DEBIAN", s))
			if err != nil || st.Mode().Perm() != 0o755 {
				t.Errorf("%s: %v %v, want mode 0755", s, st.Mode(), err)
				continue
			}
			if out, err := run(t, nil, "sh", "-n", filepath.Join(root, "DEBIAN", s)); err != nil {
				t.Errorf("%s: not valid sh: %s", s, out)
			}
		}
	})

	t.Run("packaged config", func(t *testing.T) {
		conf := filepath.Join(root, "etc", "switchboard", "switchboard.yaml")
		data, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte("\nstore: {path: /var/lib/switchboard/switchboard.db}\n")) {
			t.Errorf("the packaged config does not keep the store in /var/lib/switchboard")
		}
		example, _ := os.ReadFile(filepath.Join(b.repo, "switchboard.example.yaml"))
		if len(example) == 0 || bytes.Count(data, []byte("\n")) != bytes.Count(example, []byte("\n")) {
			t.Errorf("the packaged config is not the repository's commented example (%d lines against %d)", bytes.Count(data, []byte("\n")), bytes.Count(example, []byte("\n")))
		}
		if out, err := run(t, nil, filepath.Join(root, "usr", "bin", "switchboard"), "check", "--config", conf); err != nil {
			t.Errorf("switchboard check on the packaged config: %v\n%s", err, out)
		}
	})

	t.Run("user from sysusers.d, folder from tmpfiles.d", func(t *testing.T) {
		need(t, "systemd-sysusers")
		r := extract(t, b)
		mustRun(t, nil, "systemd-sysusers", "--root="+r, filepath.Join(r, "usr/lib/sysusers.d/switchboard.conf"))
		uid, gid := checkUser(t, r)
		// tmpfiles.d makes the store's folder again, owned by that user
		// (looked up in the root's passwd).
		if _, err := exec.LookPath("systemd-tmpfiles"); err != nil || os.Geteuid() != 0 {
			t.Skip("systemd-tmpfiles as root needed to check tmpfiles.d")
		}
		store := filepath.Join(r, "var", "lib", "switchboard")
		if err := os.Remove(store); err != nil {
			t.Fatal(err)
		}
		mustRun(t, nil, "systemd-tmpfiles", "--root="+r, "--create", filepath.Join(r, "usr/lib/tmpfiles.d/switchboard.conf"))
		st, err := os.Stat(store)
		if err != nil {
			t.Fatalf("tmpfiles.d did not make the store's folder: %v", err)
		}
		if u, g := owner(st); u != uid || g != gid || st.Mode() != os.ModeDir|0o750 {
			t.Errorf("store folder from tmpfiles.d: %d:%d %v, want %d:%d drwxr-x---", u, g, st.Mode(), uid, gid)
		}
	})

	t.Run("postinst", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("postinst chowns the store's folder: run as root (CI and make test on the project's machines are)")
		}
		// The fallback runs with a PATH that has no systemd-sysusers nor
		// systemctl: only what postinst then calls.
		fallback := filepath.Join(t.TempDir(), "bin")
		if err := os.Mkdir(fallback, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, tool := range []string{"grep", "awk", "chown", "chmod", "chgrp", "groupadd", "useradd", "usermod"} {
			p, err := exec.LookPath(tool)
			if err != nil {
				t.Skipf("%s not found for the useradd fallback", tool)
			}
			if err := os.Symlink(p, filepath.Join(fallback, tool)); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name      string
			path      string
			needs     string
			enabled   bool // systemctl --root enabled the unit
			wantShell string
		}{
			{"with systemd-sysusers", os.Getenv("PATH"), "systemd-sysusers", true, "/usr/sbin/nologin"},
			{"useradd fallback", fallback, "useradd", false, "/usr/sbin/nologin"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				need(t, c.needs)
				r := extract(t, b)
				out := mustRun(t, []string{"DPKG_ROOT=" + r, "PATH=" + c.path}, "/bin/sh", filepath.Join(r, "DEBIAN", "postinst"), "configure")
				if !strings.Contains(out, "systemctl start switchboard") {
					t.Errorf("first install does not say how to start the service:\n%s", out)
				}
				uid, gid := checkUser(t, r)
				owned := []struct {
					path     string
					uid, gid int
					mode     os.FileMode
				}{
					{"var/lib/switchboard", uid, gid, 0o750 | os.ModeDir},
					{"etc/switchboard", 0, gid, 0o750 | os.ModeDir},
					{"etc/switchboard/switchboard.yaml", 0, gid, 0o640},
				}
				for _, o := range owned {
					st, err := os.Stat(filepath.Join(r, o.path))
					if err != nil {
						t.Fatal(err)
					}
					u, g := owner(st)
					if u != o.uid || g != o.gid || st.Mode() != o.mode {
						t.Errorf("%s: %d:%d %v, want %d:%d %v", o.path, u, g, st.Mode(), o.uid, o.gid, o.mode)
					}
				}
				link := filepath.Join(r, "etc/systemd/system/multi-user.target.wants/switchboard.service")
				if _, err := os.Lstat(link); (err == nil) != c.enabled {
					t.Errorf("unit enabled: %v, want %v", err == nil, c.enabled)
				}
				// Run again, as an upgrade does: nothing is added twice.
				before, _ := os.ReadFile(filepath.Join(r, "etc", "group"))
				mustRun(t, []string{"DPKG_ROOT=" + r, "PATH=" + c.path}, "/bin/sh", filepath.Join(r, "DEBIAN", "postinst"), "configure", "0~git1.g0000000")
				after, _ := os.ReadFile(filepath.Join(r, "etc", "group"))
				if !bytes.Equal(before, after) {
					t.Errorf("a second configure changed /etc/group:\n%s\n---\n%s", before, after)
				}
			})
		}
	})

	t.Run("systemd-analyze verify", func(t *testing.T) {
		need(t, "systemd-analyze")
		// verify checks that ExecStart's binary exists on this machine: a
		// copy of the unit (same file name: verify takes the unit's name
		// from it) points at the extracted binary. --root does not do: it
		// needs the root to hold systemd's own units (sysinit.target) and
		// /bin/kill. --man=no: Documentation's man page would be looked up
		// in this machine's man database, not the package's.
		data, err := os.ReadFile(filepath.Join(root, unitPath))
		if err != nil {
			t.Fatal(err)
		}
		copyDir := t.TempDir()
		unit := filepath.Join(copyDir, "switchboard.service")
		adjusted := strings.ReplaceAll(string(data), "/usr/bin/switchboard", filepath.Join(root, "usr", "bin", "switchboard"))
		if err := os.WriteFile(unit, []byte(adjusted), 0o644); err != nil {
			t.Fatal(err)
		}
		// verify exits 0 on unknown keys and bad values ("ignoring"): any
		// output at all is a failure.
		out, err := run(t, nil, "systemd-analyze", "verify", "--man=no", unit)
		if err != nil || strings.TrimSpace(out) != "" {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	})

	t.Run("unit settings", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(root, unitPath))
		if err != nil {
			t.Fatal(err)
		}
		lines := map[string]bool{}
		for _, l := range strings.Split(string(data), "\n") {
			lines[strings.TrimSpace(l)] = true
		}
		for _, want := range []string{
			"Type=notify", "NotifyAccess=main", "Restart=on-failure", "WatchdogSec=60s",
			// The pair: a panic or the watchdog's abort must not look like
			// the invalid config's exit status 2.
			"RestartPreventExitStatus=2", "Environment=GOTRACEBACK=crash",
			"ExecStart=/usr/bin/switchboard run --config /etc/switchboard/switchboard.yaml",
			"ExecReload=/bin/kill -HUP $MAINPID",
			"User=switchboard", "SupplementaryGroups=dialout", "WorkingDirectory=/var/lib/switchboard",
			"NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/switchboard",
			"PrivateTmp=yes", "ProtectHome=yes", "CapabilityBoundingSet=",
			"DevicePolicy=closed", "DeviceAllow=char-ttyS rw", "DeviceAllow=char-ttyUSB rw", "DeviceAllow=char-ttyACM rw",
			"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
		} {
			if !lines[want] {
				t.Errorf("unit lacks the line %q", want)
			}
		}
		for _, breaks := range []string{"PrivateDevices=yes", "PrivateNetwork=yes"} {
			if lines[breaks] {
				t.Errorf("unit has %q, which hides the serial ports or the LAN", breaks)
			}
		}
	})

	t.Run("systemd-analyze security", func(t *testing.T) {
		need(t, "systemd-analyze")
		out, err := run(t, nil, "systemd-analyze", "security", "--offline=true", filepath.Join(root, unitPath))
		if err != nil {
			t.Fatalf("systemd-analyze security: %v\n%s", err, out)
		}
		m := regexp.MustCompile(`Overall exposure level for switchboard.service: ([0-9.]+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no exposure level in:\n%s", out)
		}
		// docs/operations.md records 1.5; above 2.0 a setting was lost.
		if level, _ := strconv.ParseFloat(m[1], 64); level > 2.0 {
			t.Errorf("exposure level %s, want at most 2.0 (docs/operations.md records 1.5)", m[1])
		}
	})
}

// checkUser checks the service user and its groups in root's passwd and
// group files, and returns its uid and gid.
func checkUser(t *testing.T, root string) (uid, gid int) {
	t.Helper()
	entries := func(name string) map[string][]string {
		data, err := os.ReadFile(filepath.Join(root, "etc", name))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			f := strings.Split(l, ":")
			out[f[0]] = f
		}
		return out
	}
	pw, gr := entries("passwd"), entries("group")
	u := pw["switchboard"]
	if len(u) != 7 {
		t.Fatalf("no switchboard user in %s/etc/passwd", root)
	}
	uid, _ = strconv.Atoi(u[2])
	gid, _ = strconv.Atoi(u[3])
	if uid <= 0 || uid >= 1000 {
		t.Errorf("uid %d: want a system user (1-999)", uid)
	}
	if u[5] != "/var/lib/switchboard" || u[6] != "/usr/sbin/nologin" {
		t.Errorf("home %q shell %q, want /var/lib/switchboard and /usr/sbin/nologin", u[5], u[6])
	}
	if g := gr["switchboard"]; len(g) != 4 || g[2] != strconv.Itoa(gid) {
		t.Errorf("group switchboard %q, want gid %d", g, gid)
	}
	d := gr["dialout"]
	if len(d) != 4 {
		t.Fatalf("no dialout group")
	}
	if d[2] != "20" {
		t.Errorf("dialout is gid %s, want Debian's 20 kept", d[2])
	}
	members := strings.Split(d[3], ",")
	sort.Strings(members)
	if i := sort.SearchStrings(members, "switchboard"); i == len(members) || members[i] != "switchboard" {
		t.Errorf("dialout members %q lack switchboard", d[3])
	}
	return uid, gid
}
