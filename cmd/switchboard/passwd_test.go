package main

import (
	"bytes"
	"strings"
	"testing"

	"switchboard/internal/passwd"
)

func TestPasswd(t *testing.T) {
	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		password    string // the hash printed must verify it
		stderr      string
	}{
		{"line", "s3cret\n", nil, 0, "s3cret", ""},
		{"crlf", "s3cret\r\n", nil, 0, "s3cret", ""},
		{"no newline", "s3cret", nil, 0, "s3cret", ""},
		{"first line only", "s3cret\nother\n", nil, 0, "s3cret", ""},
		{"spaces kept", " pass word \n", nil, 0, " pass word ", ""},
		{"empty", "\n", nil, 2, "", "empty password"},
		{"nothing", "", nil, 2, "", "empty password"},
		{"too long", strings.Repeat("x", 2000) + "\n", nil, 2, "", "longer than 1024"},
		{"argument", "", []string{"s3cret"}, 2, "", "never from the command line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := passwdFrom(strings.NewReader(tc.stdin), tc.args, &out, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, errb.String())
			}
			if !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("stderr %q, want %q in it", errb.String(), tc.stderr)
			}
			if tc.code != 0 {
				return
			}
			hash := strings.TrimSpace(out.String())
			if !strings.HasPrefix(hash, "$argon2id$v=19$") {
				t.Fatalf("hash %q is not an argon2id PHC string", hash)
			}
			if err := passwd.Check(hash); err != nil {
				t.Fatal(err)
			}
			if !passwd.Verify(hash, tc.password) || passwd.Verify(hash, tc.password+"x") {
				t.Errorf("hash %q does not verify %q (and only it)", hash, tc.password)
			}
		})
	}
}
