package passwd

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashVerifyCheck(t *testing.T) {
	argon, err := Hash("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(argon, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q: not the PHC form with the default costs", argon)
	}
	cheap, err := HashWith("s3cret", Params{MemoryKiB: 64, Passes: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, hash string
		checkErr   string // "" valid
	}{
		{"argon2id", argon, ""},
		{"argon2id cheap", cheap, ""},
		{"bcrypt", string(bc), ""},
		{"plaintext", "s3cret", "not an argon2id PHC string"},
		{"argon2i", strings.Replace(argon, "argon2id", "argon2i", 1), "not an argon2id PHC string"},
		{"old version", strings.Replace(argon, "v=19", "v=16", 1), "argon2 version"},
		{"no parameters", strings.Replace(argon, "m=19456,t=2,p=1", "x", 1), "want m=KiB"},
		{"a terabyte", strings.Replace(argon, "m=19456", "m=1073741824", 1), "out of range"},
		{"no passes", strings.Replace(argon, "t=2", "t=0", 1), "out of range"},
		{"salt not base64", strings.Replace(argon, "$argon2id$v=19$m=19456,t=2,p=1$", "$argon2id$v=19$m=19456,t=2,p=1$!!", 1), "salt"},
		{"short key", argon[:strings.LastIndex(argon, "$")+1] + "c2hvcnQ", "hash: want at least 16 bytes"},
		{"bad bcrypt", "$2b$10$short", "bcrypt hash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.hash)
			if tc.checkErr == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if !Verify(tc.hash, "s3cret") {
					t.Error("the right password does not verify")
				}
				if Verify(tc.hash, "s3cret ") || Verify(tc.hash, "") {
					t.Error("a wrong password verifies")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.checkErr) {
				t.Errorf("Check: %v, want %q", err, tc.checkErr)
			}
			if Verify(tc.hash, "s3cret") {
				t.Error("a hash Check refuses verifies")
			}
		})
	}
}

func TestHashWithRefusesBadCosts(t *testing.T) {
	for _, p := range []Params{{MemoryKiB: 4, Passes: 1, Threads: 1}, {MemoryKiB: 64, Passes: 0, Threads: 1}, {MemoryKiB: 64, Passes: 1, Threads: 0}} {
		if _, err := HashWith("x", p); err == nil {
			t.Errorf("HashWith(%+v) accepted", p)
		}
	}
}

// BenchmarkVerify is what a connect with a username costs the broker
// (argon2id with the default costs).
func BenchmarkVerify(b *testing.B) {
	h, err := Hash("s3cret")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Verify(h, "s3cret")
	}
}
