package operators

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"switchboard/internal/passwd"
	"switchboard/internal/store"
)

// The refusals of the management rules: the console and the CLI keep the
// same ones, so that no way round them exists.
var (
	// ErrSelf: an admin who disables or demotes their own code could
	// lock the front office out of its own management by a slip.
	ErrSelf = errors.New("you cannot disable or demote your own operator code: ask another admin")
	// ErrLastAdmin: without an enabled admin nobody can manage operators
	// from the console any more (only the CLI on the gateway could).
	ErrLastAdmin = errors.New("this is the last enabled admin: make another operator admin first")
	// ErrSamePIN: a forced change that keeps the one-time PIN would leave
	// a PIN the admin knows.
	ErrSamePIN = errors.New("the new PIN must differ from the old one")
)

// System is the author of the changes the program makes itself (the
// demo's operator, tests), as opposed to a person's.
const System = "system"

// The key-value namespaces of the operators' management (no migration:
// the operators table stays as migration 9 made it).
const (
	// auditNS keeps each change (key: time in nanoseconds zero-padded,
	// the code changed and a random part; value: a Change as JSON).
	auditNS = "operators.audit"
	// pinChangeNS marks the codes whose PIN is a one-time one (key: the
	// code; value: who set it and when); ChangePIN removes the mark.
	pinChangeNS = "operators.pinchange"
	// signinNS keeps each code's last good sign-in (key: the code).
	signinNS = "operators.signin"
)

// The actions a Change records.
const (
	ActAdd     = "add"
	ActDisable = "disable"
	ActEnable  = "enable"
	ActReset   = "reset"
	ActRole    = "role"
	ActUnlock  = "unlock"
	ActPIN     = "pin" // the operator chose a new PIN
)

// Change is one recorded change of an operator: who made it, when, what.
type Change struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`   // an operator code, "cli:<user>" or System
	Code   string    `json:"code"` // the operator changed
	Action string    `json:"action"`
	Detail string    `json:"detail,omitempty"` // the role added or given, "temporary PIN"
}

// Manager makes the changes of one author (by): every change is checked
// against the management rules and recorded with who and when in the same
// transaction, so that no change goes unrecorded.
type Manager struct {
	s  *Store
	by string
}

// As is the store's management by the author by: an admin's operator code
// in the console, "cli:<user>" from the command line, or System.
func (s *Store) As(by string) Manager { return Manager{s: s, by: by} }

// CheckName says what is wrong with an operator's name.
func CheckName(name string) error {
	if strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > 100 {
		return errors.New("name: want 1 to 100 characters")
	}
	return nil
}

// record writes the change c (stamped with m's author) in tx.
func (m Manager) record(tx *store.Tx, c Change) error {
	c.By = m.by
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("record the change of %s: %w", c.Code, err)
	}
	var r [4]byte
	if _, err := rand.Read(r[:]); err != nil {
		return fmt.Errorf("record the change of %s: %w", c.Code, err)
	}
	key := fmt.Sprintf("%020d-%s-%s", c.At.UnixNano(), c.Code, hex.EncodeToString(r[:]))
	if err := tx.Put(auditNS, key, b); err != nil {
		return fmt.Errorf("record the change of %s: %w", c.Code, err)
	}
	return nil
}

// markPINChange marks code's PIN as one-time in tx.
func (m Manager) markPINChange(tx *store.Tx, code string, now time.Time) error {
	b, err := json.Marshal(map[string]any{"by": m.by, "at": now})
	if err != nil {
		return fmt.Errorf("operator %s: %w", code, err)
	}
	return tx.Put(pinChangeNS, code, b)
}

// Add records a new operator with pin hashed; op.MustChangePIN makes the
// PIN a temporary one, to be changed at the first sign-in.
func (m Manager) Add(ctx context.Context, op Operator, pin string, now time.Time) error {
	if err := CheckCode(op.Code); err != nil {
		return err
	}
	if _, err := ParseRole(string(op.Role)); err != nil {
		return err
	}
	if err := CheckName(op.Name); err != nil {
		return err
	}
	if err := CheckPIN(pin); err != nil {
		return err
	}
	hash, err := passwd.HashWith(pin, m.s.params)
	if err != nil {
		return fmt.Errorf("hash the PIN: %w", err)
	}
	return m.s.st.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM operators WHERE code=?`, op.Code).Scan(&n); err != nil {
			return fmt.Errorf("operator %s: %w", op.Code, err)
		}
		if n > 0 {
			return fmt.Errorf("%s: %w", op.Code, ErrExists)
		}
		_, err := tx.Exec(`INSERT INTO operators(code, name, role, pin_hash, created, updated) VALUES(?,?,?,?,?,?)`,
			op.Code, op.Name, string(op.Role), hash, nanos(now), nanos(now))
		if err != nil {
			return fmt.Errorf("add operator %s: %w", op.Code, err)
		}
		detail := string(op.Role)
		if op.MustChangePIN {
			if err := m.markPINChange(tx, op.Code, now); err != nil {
				return err
			}
			detail += ", temporary PIN"
		}
		return m.record(tx, Change{At: now, Code: op.Code, Action: ActAdd, Detail: detail})
	})
}

// Disable stops a code signing in (its shifts and history stay). An
// admin cannot disable their own code, nor the last enabled admin.
func (m Manager) Disable(ctx context.Context, code string, now time.Time) error {
	return m.change(ctx, code, now, Change{Action: ActDisable}, func(tx *store.Tx, op Operator) error {
		if err := m.keepAnAdmin(tx, op, true); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE operators SET disabled=1, updated=? WHERE code=?`, nanos(now), code)
		return err
	})
}

// Enable lets a disabled code sign in again (its PIN unchanged).
func (m Manager) Enable(ctx context.Context, code string, now time.Time) error {
	return m.change(ctx, code, now, Change{Action: ActEnable}, func(tx *store.Tx, op Operator) error {
		_, err := tx.Exec(`UPDATE operators SET disabled=0, updated=? WHERE code=?`, nanos(now), code)
		return err
	})
}

// SetRole gives code another role. An admin cannot demote their own code,
// nor the last enabled admin.
func (m Manager) SetRole(ctx context.Context, code string, role Role, now time.Time) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	return m.change(ctx, code, now, Change{Action: ActRole, Detail: string(role)}, func(tx *store.Tx, op Operator) error {
		if role != RoleAdmin {
			if err := m.keepAnAdmin(tx, op, false); err != nil {
				return err
			}
		}
		_, err := tx.Exec(`UPDATE operators SET role=?, updated=? WHERE code=?`, string(role), nanos(now), code)
		return err
	})
}

// Unlock ends a lockout after wrong PINs before its time (the operator
// proved who they are to the admin) and starts the count again.
func (m Manager) Unlock(ctx context.Context, code string, now time.Time) error {
	return m.change(ctx, code, now, Change{Action: ActUnlock}, func(tx *store.Tx, op Operator) error {
		_, err := tx.Exec(`UPDATE operators SET failed=0, locked_until=NULL, updated=? WHERE code=?`, nanos(now), code)
		return err
	})
}

// Reset gives a code a new one-time PIN, clears its lockout and enables
// it again: what the admin does for an operator who forgot the PIN. The
// operator must choose a new PIN at the next sign-in (ChangePIN), so that
// nobody but them knows it.
func (m Manager) Reset(ctx context.Context, code, pin string, now time.Time) error {
	if err := CheckPIN(pin); err != nil {
		return err
	}
	hash, err := passwd.HashWith(pin, m.s.params)
	if err != nil {
		return fmt.Errorf("hash the PIN: %w", err)
	}
	return m.change(ctx, code, now, Change{Action: ActReset}, func(tx *store.Tx, op Operator) error {
		_, err := tx.Exec(`UPDATE operators SET pin_hash=?, disabled=0, failed=0, locked_until=NULL, updated=? WHERE code=?`,
			hash, nanos(now), code)
		if err != nil {
			return err
		}
		return m.markPINChange(tx, code, now)
	})
}

// change reads code's operator in a transaction, applies do and records c.
func (m Manager) change(ctx context.Context, code string, now time.Time, c Change, do func(*store.Tx, Operator) error) error {
	return m.s.st.InTx(ctx, func(tx *store.Tx) error {
		op, err := scanOperator(tx.QueryRow(`SELECT `+opCols+` FROM operators WHERE code=?`, code))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s: %w", code, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("operator %s: %w", code, err)
		}
		if err := do(tx, op); err != nil {
			if errors.Is(err, ErrSelf) || errors.Is(err, ErrLastAdmin) {
				return err
			}
			return fmt.Errorf("operator %s: %s: %w", code, c.Action, err)
		}
		c.At, c.Code = now, code
		return m.record(tx, c)
	})
}

// keepAnAdmin refuses to disable (or, disabling false, to demote) op when
// op is the author's own code, or the last enabled admin.
func (m Manager) keepAnAdmin(tx *store.Tx, op Operator, disabling bool) error {
	if op.Code == m.by {
		return fmt.Errorf("%s: %w", op.Code, ErrSelf)
	}
	if op.Role != RoleAdmin || op.Disabled {
		return nil
	}
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM operators WHERE role=? AND disabled=0`, string(RoleAdmin)).Scan(&n); err != nil {
		return fmt.Errorf("count the admins: %w", err)
	}
	if n <= 1 {
		return fmt.Errorf("%s: %w", op.Code, ErrLastAdmin)
	}
	return nil
}

// ChangePIN is the operator's own change of PIN (code is the one signed
// in): pin must pass CheckPIN and differ from the current one; the
// one-time mark is removed and the change recorded as by code.
func (s *Store) ChangePIN(ctx context.Context, code, pin string, now time.Time) error {
	if err := CheckPIN(pin); err != nil {
		return err
	}
	var old string
	err := s.st.QueryRow(ctx, `SELECT pin_hash FROM operators WHERE code=?`, code).Scan(&old)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", code, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("operator %s: %w", code, err)
	}
	if passwd.Verify(old, pin) {
		return ErrSamePIN
	}
	hash, err := passwd.HashWith(pin, s.params)
	if err != nil {
		return fmt.Errorf("hash the PIN: %w", err)
	}
	m := s.As(code)
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE operators SET pin_hash=?, updated=? WHERE code=?`, hash, nanos(now), code)
		if err != nil {
			return fmt.Errorf("operator %s: change the PIN: %w", code, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s: %w", code, ErrNotFound)
		}
		if err := tx.Delete(pinChangeNS, code); err != nil {
			return fmt.Errorf("operator %s: %w", code, err)
		}
		return m.record(tx, Change{At: now, Code: code, Action: ActPIN})
	})
}

// mustChangePIN says whether code's PIN is a one-time one.
func (s *Store) mustChangePIN(ctx context.Context, code string) (bool, error) {
	_, ok, err := s.st.Get(ctx, pinChangeNS, code)
	if err != nil {
		return false, fmt.Errorf("operator %s: %w", code, err)
	}
	return ok, nil
}

// Changes are the last n recorded changes, newest first.
func (s *Store) Changes(ctx context.Context, n int) ([]Change, error) {
	rows, err := s.st.Last(ctx, auditNS, n)
	if err != nil {
		return nil, fmt.Errorf("operator changes: %w", err)
	}
	out := make([]Change, 0, len(rows))
	for _, kv := range rows {
		var c Change
		if err := json.Unmarshal(kv.Value, &c); err != nil {
			return out, fmt.Errorf("operator change %s: %w", kv.Key, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// GeneratePIN is a random 8-digit one-time PIN (CheckPIN's digits rule;
// 10⁸ values, against 5 guesses before the lockout).
func GeneratePIN() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return "", fmt.Errorf("generate a PIN: %w", err)
	}
	return fmt.Sprintf("%08d", n.Int64()), nil
}
