// Package operators keeps the front-office console's people in the store:
// operators with a code, a name, a role and an argon2id PIN hash, the
// lockout that follows wrong PINs, and their shifts (結帳程序: each shift
// posts under its own operator code and is closed separately, its journal
// recorded). It decides and records; it never serves HTTP (internal/console
// does) and never sends commands.
package operators

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"switchboard/internal/passwd"
	"switchboard/internal/store"
)

// Role is what an operator does at the front office.
type Role string

// The console roles (DESIGN.md §1, "Every act has a principal").
const (
	// RoleOperator is a switchboard operator (話務員): wake-ups, DND, calls.
	RoleOperator Role = "operator"
	// RoleBusiness is a business-centre clerk (商務中心): fax, print, copy.
	RoleBusiness Role = "business"
	// RoleSupervisor is the switchboard supervisor (總機主管): reports, day close.
	RoleSupervisor Role = "supervisor"
	// RoleAdmin manages operators and the gateway.
	RoleAdmin Role = "admin"
)

// ParseRole reads a role as written on the command line.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleOperator, RoleBusiness, RoleSupervisor, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("role %q: want operator, business, supervisor or admin", s)
}

// Lockout: MaxFailures wrong PINs in a row lock the code for LockFor.
const (
	MaxFailures = 5
	LockFor     = 15 * time.Minute
)

// Errors of Verify and of the management calls.
var (
	// ErrDenied is a wrong code or a wrong PIN: the caller cannot tell
	// which, so a guess learns nothing about which codes exist.
	ErrDenied   = errors.New("wrong operator code or PIN")
	ErrDisabled = errors.New("operator code disabled")
	ErrNotFound = errors.New("no such operator")
	ErrExists   = errors.New("operator code already exists")
)

// LockedError is returned while a code is locked out.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("operator code locked after %d wrong PINs until %s", MaxFailures, e.Until.Format("15:04"))
}

// CheckCode says what is wrong with an operator code: 1–16 letters or
// digits (it is a principal's name and a topic-free identifier).
func CheckCode(code string) error {
	if code == "" || len(code) > 16 {
		return fmt.Errorf("operator code %q: want 1 to 16 letters or digits", code)
	}
	for _, r := range code {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return fmt.Errorf("operator code %q: want 1 to 16 letters or digits", code)
		}
	}
	return nil
}

// CheckPIN says what is wrong with a PIN: 4 to 12 digits, or a password
// of at least 8 characters (at most 128).
func CheckPIN(pin string) error {
	n := utf8.RuneCountInString(pin)
	digits := pin != "" && strings.Trim(pin, "0123456789") == ""
	switch {
	case digits && n >= 4 && n <= 12:
		return nil
	case !digits && n >= 8 && n <= 128:
		return nil
	case n > 128:
		return errors.New("PIN too long: want 4 to 12 digits, or a password of 8 to 128 characters")
	}
	return errors.New("PIN too short: want 4 to 12 digits, or a password of at least 8 characters")
}

// Operator is one person who signs in to the console.
type Operator struct {
	Code        string
	Name        string
	Role        Role
	Disabled    bool
	Failed      int       // wrong PINs since the last good one
	LockedUntil time.Time // zero: not locked
	Created     time.Time
	// MustChangePIN: the PIN is a one-time one (after a reset, or added
	// as temporary); the next sign-in must choose a new one first. Read
	// by Verify and List (it is kept in the key-value area: manage.go).
	MustChangePIN bool
	// LastSignin is the last good sign-in (zero: none known); read by List.
	LastSignin time.Time
}

// Store is the operators and shifts of one gateway's store.
type Store struct {
	st     *store.Store
	params passwd.Params

	decoyOnce sync.Once
	decoyHash string
}

// defaultParams are passwd.Hash's argon2id costs (a value, never changed).
var defaultParams = passwd.Params{MemoryKiB: 19 * 1024, Passes: 2, Threads: 1}

// New is the operators store of st, hashing PINs with passwd's default costs.
func New(st *store.Store) *Store { return &Store{st: st, params: defaultParams} }

// NewWithParams is New with other argon2id costs: tests hash cheaply.
func NewWithParams(st *store.Store, p passwd.Params) *Store { return &Store{st: st, params: p} }

// decoy is a hash of a random PIN with the costs of real ones: an unknown
// code is verified against it, so that it takes as long as a wrong PIN
// (as the broker's auth hook does for unknown users).
func (s *Store) decoy() string {
	s.decoyOnce.Do(func() {
		var pw [16]byte
		_, _ = rand.Read(pw[:])
		s.decoyHash, _ = passwd.HashWith(hex.EncodeToString(pw[:]), s.params)
	})
	return s.decoyHash
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64)
}

// Add records a new operator with pin hashed, as the program itself
// (the demo's operator, tests); a person's change goes through As.
func (s *Store) Add(ctx context.Context, op Operator, pin string, now time.Time) error {
	return s.As(System).Add(ctx, op, pin, now)
}

const opCols = `code, name, role, disabled, failed, locked_until, created`

func scanOperator(r store.Scanner) (Operator, error) { return scanOperatorHash(r, nil) }

// scanOperatorHash reads opCols and, when hash is not nil, the PIN hash after them.
func scanOperatorHash(r store.Scanner, hash *string) (Operator, error) {
	var op Operator
	var role string
	var locked, created sql.NullInt64
	dest := []any{&op.Code, &op.Name, &role, &op.Disabled, &op.Failed, &locked, &created}
	if hash != nil {
		dest = append(dest, hash)
	}
	if err := r.Scan(dest...); err != nil {
		return op, err
	}
	op.Role, op.LockedUntil, op.Created = Role(role), fromNanos(locked), fromNanos(created)
	return op, nil
}

// Get reads one operator, with whether it must change its PIN and when
// it last signed in.
func (s *Store) Get(ctx context.Context, code string) (Operator, error) {
	op, err := scanOperator(s.st.QueryRow(ctx, `SELECT `+opCols+` FROM operators WHERE code=?`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return op, fmt.Errorf("%s: %w", code, ErrNotFound)
	}
	if err != nil {
		return op, fmt.Errorf("operator %s: %w", code, err)
	}
	if op.MustChangePIN, err = s.mustChangePIN(ctx, code); err != nil {
		return op, err
	}
	b, ok, err := s.st.Get(ctx, signinNS, code)
	if err != nil {
		return op, fmt.Errorf("operator %s: %w", code, err)
	}
	if ok {
		op.LastSignin, _ = time.Parse(time.RFC3339Nano, string(b)) // unreadable: not known
	}
	return op, nil
}

// List is every operator, by code, with whether each must change the
// PIN and when each last signed in.
func (s *Store) List(ctx context.Context) ([]Operator, error) {
	ops, err := store.All(ctx, s.st, scanOperator, `SELECT `+opCols+` FROM operators ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	must, err := s.st.List(ctx, pinChangeNS)
	if err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	signins, err := s.st.List(ctx, signinNS)
	if err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	for i := range ops {
		_, ops[i].MustChangePIN = must[ops[i].Code]
		if b, ok := signins[ops[i].Code]; ok {
			ops[i].LastSignin, _ = time.Parse(time.RFC3339Nano, string(b)) // unreadable: not known
		}
	}
	return ops, nil
}

// Disable stops a code signing in, as the program itself (see As).
func (s *Store) Disable(ctx context.Context, code string, now time.Time) error {
	return s.As(System).Disable(ctx, code, now)
}

// Reset gives a code a new one-time PIN, as the program itself (see As).
func (s *Store) Reset(ctx context.Context, code, pin string, now time.Time) error {
	return s.As(System).Reset(ctx, code, pin, now)
}

func (s *Store) update(ctx context.Context, code, query string, args ...any) error {
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(query, args...)
		if err != nil {
			return fmt.Errorf("operator %s: %w", code, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s: %w", code, ErrNotFound)
		}
		return nil
	})
}

// Verify checks a sign-in. A wrong code and a wrong PIN take the same time
// and return the same ErrDenied; MaxFailures wrong PINs in a row lock the
// code for LockFor (a *LockedError, even with the right PIN, until then).
// A disabled code is ErrDisabled once its PIN is right, so that the error
// tells nothing to someone without the PIN.
func (s *Store) Verify(ctx context.Context, code, pin string, now time.Time) (Operator, error) {
	var hash string
	op, err := scanOperatorHash(s.st.QueryRow(ctx, `SELECT `+opCols+`, pin_hash FROM operators WHERE code=?`, code), &hash)
	known := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Operator{}, fmt.Errorf("operator %s: %w", code, err)
	}
	if !known {
		hash = s.decoy()
	}
	good := passwd.Verify(hash, pin) && known
	if !known {
		return Operator{}, ErrDenied
	}
	if now.Before(op.LockedUntil) {
		return Operator{}, &LockedError{Until: op.LockedUntil}
	}
	if !good {
		locked, err := s.fail(ctx, code, now)
		if err != nil {
			return Operator{}, err
		}
		if !locked.IsZero() {
			return Operator{}, &LockedError{Until: locked}
		}
		return Operator{}, ErrDenied
	}
	if op.Disabled {
		return Operator{}, fmt.Errorf("%s: %w", code, ErrDisabled)
	}
	if op.Failed > 0 || !op.LockedUntil.IsZero() {
		err := s.update(ctx, code, `UPDATE operators SET failed=0, locked_until=NULL, updated=? WHERE code=?`, nanos(now), code)
		if err != nil {
			return Operator{}, err
		}
		op.Failed, op.LockedUntil = 0, time.Time{}
	}
	if op.MustChangePIN, err = s.mustChangePIN(ctx, code); err != nil {
		return Operator{}, err
	}
	if err := s.st.Put(ctx, signinNS, code, []byte(now.UTC().Format(time.RFC3339Nano))); err != nil {
		return Operator{}, fmt.Errorf("operator %s: record the sign-in: %w", code, err)
	}
	return op, nil
}

// fail counts a wrong PIN in one transaction (two wrong PINs at once both
// count); the count starts again once a lock has passed.
func (s *Store) fail(ctx context.Context, code string, now time.Time) (lockedUntil time.Time, err error) {
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		var failed int
		var locked sql.NullInt64
		if err := tx.QueryRow(`SELECT failed, locked_until FROM operators WHERE code=?`, code).Scan(&failed, &locked); err != nil {
			return fmt.Errorf("operator %s: %w", code, err)
		}
		if locked.Valid {
			failed = 0 // a lock that has passed: a fresh count
		}
		failed++
		var until any
		if failed >= MaxFailures {
			lockedUntil = now.Add(LockFor)
			until, failed = nanos(lockedUntil), 0
		}
		_, err := tx.Exec(`UPDATE operators SET failed=?, locked_until=?, updated=? WHERE code=?`, failed, until, nanos(now), code)
		if err != nil {
			return fmt.Errorf("operator %s: %w", code, err)
		}
		return nil
	})
	return lockedUntil, err
}
