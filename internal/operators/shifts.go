package operators

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"switchboard/internal/store"
)

// Shift is one operator's time at the desk, from sign-in to shift close.
type Shift struct {
	ID       int64
	Operator string
	Opened   time.Time
	Closed   time.Time // zero while open
	Journal  []byte    // the journal recorded at close (JSON)
}

// Open says whether the shift is still open.
func (s Shift) Open() bool { return s.Closed.IsZero() }

// ErrNoShift is returned for an unknown shift, or for closing one twice.
var ErrNoShift = errors.New("no such open shift")

const shiftCols = `id, operator, opened, closed, journal`

func scanShift(r store.Scanner) (Shift, error) {
	var sh Shift
	var opened, closed sql.NullInt64
	if err := r.Scan(&sh.ID, &sh.Operator, &opened, &closed, &sh.Journal); err != nil {
		return sh, err
	}
	sh.Opened, sh.Closed = fromNanos(opened), fromNanos(closed)
	return sh, nil
}

// OpenShift opens code's shift at now, or continues the one still open
// (an operator signing in again carries on the same shift); continued
// says which.
func (s *Store) OpenShift(ctx context.Context, code string, now time.Time) (sh Shift, continued bool, err error) {
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		cur, err := scanShift(tx.QueryRow(`SELECT `+shiftCols+` FROM shifts WHERE operator=? AND closed IS NULL`, code))
		if err == nil {
			sh, continued = cur, true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("shift of %s: %w", code, err)
		}
		res, err := tx.Exec(`INSERT INTO shifts(operator, opened) VALUES(?,?)`, code, nanos(now))
		if err != nil {
			return fmt.Errorf("open the shift of %s: %w", code, err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("open the shift of %s: %w", code, err)
		}
		sh = Shift{ID: id, Operator: code, Opened: now}
		return nil
	})
	return sh, continued, err
}

// CurrentShift is code's open shift; ok is false when none is open.
func (s *Store) CurrentShift(ctx context.Context, code string) (sh Shift, ok bool, err error) {
	sh, err = scanShift(s.st.QueryRow(ctx, `SELECT `+shiftCols+` FROM shifts WHERE operator=? AND closed IS NULL`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return sh, false, nil
	}
	if err != nil {
		return sh, false, fmt.Errorf("shift of %s: %w", code, err)
	}
	return sh, true, nil
}

// GetShift reads one shift.
func (s *Store) GetShift(ctx context.Context, id int64) (Shift, error) {
	sh, err := scanShift(s.st.QueryRow(ctx, `SELECT `+shiftCols+` FROM shifts WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return sh, fmt.Errorf("shift %d: %w", id, ErrNoShift)
	}
	if err != nil {
		return sh, fmt.Errorf("shift %d: %w", id, err)
	}
	return sh, nil
}

// RecordCommand links a command the console sent to the shift it was sent in.
func (s *Store) RecordCommand(ctx context.Context, shiftID int64, commandID string, now time.Time) error {
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(`INSERT OR IGNORE INTO shift_commands(command_id, shift_id, sent) VALUES(?,?,?)`, commandID, shiftID, nanos(now)); err != nil {
			return fmt.Errorf("shift %d: command %s: %w", shiftID, commandID, err)
		}
		return nil
	})
}

// JournalItem is one command of a shift, as the command log has it.
type JournalItem struct {
	CommandID string    `json:"command_id"`
	Service   string    `json:"service"` // pbx/wakeup, fax/fax, print/copy: domain and command family
	Command   string    `json:"command"` // wakeup.set
	Device    string    `json:"device"`
	Sent      time.Time `json:"sent"`
	Status    string    `json:"status"` // accepted, completed, failed ("" when the log has none)
	Reason    string    `json:"reason,omitempty"`
}

// ServiceTotal is what a shift did for one service.
type ServiceTotal struct {
	Service     string `json:"service"`
	Commands    int    `json:"commands"`
	Completed   int    `json:"completed"`
	Failed      int    `json:"failed"`
	Charges     int    `json:"charges"`      // business-centre charges posted under the operator in the shift
	AmountMinor int64  `json:"amount_minor"` // their sum, in minor units of Currency
	Currency    string `json:"currency,omitempty"`
}

// Journal is a shift's journal: every item it posted, by service, with totals.
type Journal struct {
	Shift    int64          `json:"shift"`
	Operator string         `json:"operator"`
	Opened   time.Time      `json:"opened"`
	Closed   time.Time      `json:"closed"`
	Items    []JournalItem  `json:"items"`
	Services []ServiceTotal `json:"services"`
	// Charges are the business-centre charges of the shift by the job
	// that caused them (a fax's attempts under its fax job).
	Charges []ChargeItem `json:"charges,omitempty"`
	// Handover is the shift's device check (交接班程序), when confirmed.
	Handover *HandoverCheck `json:"handover,omitempty"`
}

// Journal gathers the shift's journal up to now: the commands it sent
// (shift_commands joined with the command log) and the business-centre
// charges posted under its operator while it was open.
func (s *Store) Journal(ctx context.Context, id int64, now time.Time) (Journal, error) {
	sh, err := s.GetShift(ctx, id)
	if err != nil {
		return Journal{}, err
	}
	end := now
	if !sh.Open() {
		end = sh.Closed
	}
	j := Journal{Shift: sh.ID, Operator: sh.Operator, Opened: sh.Opened, Closed: end}
	items, err := store.All(ctx, s.st, func(r store.Scanner) (JournalItem, error) {
		var it JournalItem
		var sent int64
		var topic string
		if err := r.Scan(&it.CommandID, &sent, &topic, &it.Status, &it.Reason); err != nil {
			return it, err
		}
		it.Sent = time.Unix(0, sent)
		if p := strings.SplitN(topic, "/", 3); len(p) == 3 {
			family, _, _ := strings.Cut(p[2], ".")
			it.Service, it.Device, it.Command = p[0]+"/"+family, p[1], p[2]
		}
		return it, nil
	}, `SELECT sc.command_id, sc.sent, COALESCE(c.topic,''), COALESCE(c.status,''), COALESCE(c.reason,'')
		FROM shift_commands sc LEFT JOIN commands c ON c.id = sc.command_id
		WHERE sc.shift_id=? ORDER BY sc.sent, sc.command_id`, id)
	if err != nil {
		return Journal{}, fmt.Errorf("journal of shift %d: %w", id, err)
	}
	j.Items = items
	totals := map[string]*ServiceTotal{}
	total := func(svc string) *ServiceTotal {
		t, ok := totals[svc]
		if !ok {
			t = &ServiceTotal{Service: svc}
			totals[svc] = t
		}
		return t
	}
	for _, it := range items {
		t := total(it.Service)
		t.Commands++
		switch it.Status {
		case store.CommandCompleted:
			t.Completed++
		case store.CommandFailed:
			t.Failed++
		}
	}
	charges, jobs, err := s.shiftCharges(ctx, sh, end, now)
	if err != nil {
		return Journal{}, fmt.Errorf("charges of shift %d: %w", id, err)
	}
	j.Charges = jobs
	for _, c := range charges {
		t := total("charges/" + c.service)
		t.Charges, t.AmountMinor, t.Currency = c.n, c.minor, c.currency
	}
	for _, t := range totals {
		j.Services = append(j.Services, *t)
	}
	sort.Slice(j.Services, func(a, b int) bool { return j.Services[a].Service < j.Services[b].Service })
	if hc, ok, err := s.ShiftHandoverCheck(ctx, id); err != nil {
		return Journal{}, err
	} else if ok {
		j.Handover = &hc
	}
	return j, nil
}

// CloseShift closes an open shift at now and records its journal as it
// stands then; closing a shift that is not open is ErrNoShift.
func (s *Store) CloseShift(ctx context.Context, id int64, now time.Time) (Journal, error) {
	j, err := s.Journal(ctx, id, now)
	if err != nil {
		return Journal{}, err
	}
	b, err := json.Marshal(j)
	if err != nil {
		return Journal{}, fmt.Errorf("journal of shift %d: %w", id, err)
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE shifts SET closed=?, journal=? WHERE id=? AND closed IS NULL`, nanos(now), b, id)
		if err != nil {
			return fmt.Errorf("close shift %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("shift %d: %w", id, ErrNoShift)
		}
		return nil
	})
	return j, err
}
