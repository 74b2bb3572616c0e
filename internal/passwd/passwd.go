// Package passwd hashes and verifies the passwords of the embedded
// broker's principals: argon2id in the PHC string format (what
// `switchboard passwd` prints and mqtt.embedded.users[].password_hash
// holds), and bcrypt hashes made elsewhere.
package passwd

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Argon2id parameters of new hashes: RFC 9106 §4's second recommended
// option scaled down to a mini-PC, as OWASP's password storage cheat sheet
// gives it (19 MiB, 2 passes, 1 lane). A hash carries its parameters, so
// they can change without invalidating the hashes already written.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Hash makes an argon2id hash of password in the PHC string format
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash, base64 without padding), the
// form mqtt.embedded.users[].password_hash takes.
func Hash(password string) (string, error) {
	return HashWith(password, Params{MemoryKiB: argonMemory, Passes: argonTime, Threads: argonThreads})
}

// Params are argon2id's cost parameters (RFC 9106 §3.1).
type Params struct {
	MemoryKiB, Passes uint32
	Threads           uint8
}

// HashWith is Hash with other costs: tests make cheap hashes, so that a
// loaded test machine does not spend its time verifying them.
func HashWith(password string, p Params) (string, error) {
	memory, passes, threads := p.MemoryKiB, p.Passes, p.Threads
	if memory < 8 || memory > maxArgonMemory || passes < 1 || passes > maxArgonPasses || threads < 1 {
		return "", fmt.Errorf("argon2id parameters m=%d,t=%d,p=%d out of range", memory, passes, threads)
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, passes, memory, threads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, passes, threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// argonHash is a parsed argon2id PHC string.
type argonHash struct {
	memory, passes uint32
	threads        uint8
	salt, key      []byte
}

// Bounds on the parameters of a hash read from the config: a hash is
// verified on every connect, so one that asks for gigabytes is refused.
const (
	maxArgonMemory = 1 << 20 // KiB: 1 GiB
	maxArgonPasses = 64
)

func parseArgon2id(phc string) (argonHash, error) {
	var h argonHash
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, errors.New("not an argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash)")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return h, fmt.Errorf("argon2 version %q: want v=%d", parts[2], argon2.Version)
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.passes, &threads); err != nil {
		return h, fmt.Errorf("argon2id parameters %q: want m=KiB,t=passes,p=lanes", parts[3])
	}
	if h.memory < 8 || h.memory > maxArgonMemory || h.passes < 1 || h.passes > maxArgonPasses || threads < 1 || threads > 255 {
		return h, fmt.Errorf("argon2id parameters %q out of range (m 8..%d KiB, t 1..%d, p 1..255)", parts[3], maxArgonMemory, maxArgonPasses)
	}
	h.threads = uint8(threads)
	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return h, errors.New("argon2id salt: want at least 8 bytes of unpadded base64")
	}
	if h.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.key) < 16 {
		return h, errors.New("argon2id hash: want at least 16 bytes of unpadded base64")
	}
	return h, nil
}

// Check says what is wrong with a configured hash ("" when it
// is an argon2id or bcrypt hash this package can verify).
func Check(hash string) error {
	if strings.HasPrefix(hash, "$2") {
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return fmt.Errorf("bcrypt hash: %w", err)
		}
		return nil
	}
	_, err := parseArgon2id(hash)
	return err
}

// Verify says whether password matches an argon2id or bcrypt hash,
// in time independent of where they differ.
func Verify(hash, password string) bool {
	if strings.HasPrefix(hash, "$2") {
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
	}
	h, err := parseArgon2id(hash)
	if err != nil {
		return false
	}
	key := argon2.IDKey([]byte(password), h.salt, h.passes, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1
}
