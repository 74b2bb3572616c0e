package operators

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"switchboard/internal/store"
)

// HandoverCheck is the closing shift's device check (交接班程序: equipment
// checks before the next shift takes over): which checks the operator
// ticked, what they remarked, when. It is kept in the store's key-value
// area (namespace handoverNS, key the shift id), so no migration.
type HandoverCheck struct {
	Shift    int64     `json:"shift"`
	Operator string    `json:"operator"`
	Items    []string  `json:"items"` // the checks confirmed, by key (pbx.smdr, print.paper, ...)
	Remark   string    `json:"remark,omitempty"`
	At       time.Time `json:"at"`
}

// handoverNS keeps each shift's last handover check (key: the shift id,
// zero-padded so the keys sort) and the latest of all (key handoverLast).
const (
	handoverNS   = "operators.handover"
	handoverLast = "last"
)

func handoverKey(shiftID int64) string { return fmt.Sprintf("%020d", shiftID) }

// RecordHandoverCheck records the shift's device check as confirmed by
// its operator at at; a second confirmation in the same shift replaces
// the first.
func (s *Store) RecordHandoverCheck(ctx context.Context, shiftID int64, items []string, remark string, at time.Time) (HandoverCheck, error) {
	sh, err := s.GetShift(ctx, shiftID)
	if err != nil {
		return HandoverCheck{}, err
	}
	if items == nil {
		items = []string{}
	}
	hc := HandoverCheck{Shift: sh.ID, Operator: sh.Operator, Items: items, Remark: remark, At: at}
	b, err := json.Marshal(hc)
	if err != nil {
		return HandoverCheck{}, fmt.Errorf("handover check of shift %d: %w", shiftID, err)
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Put(handoverNS, handoverKey(shiftID), b); err != nil {
			return err
		}
		return tx.Put(handoverNS, handoverLast, b)
	})
	if err != nil {
		return HandoverCheck{}, fmt.Errorf("handover check of shift %d: %w", shiftID, err)
	}
	return hc, nil
}

// ShiftHandoverCheck is the shift's handover check; ok is false when the
// shift recorded none.
func (s *Store) ShiftHandoverCheck(ctx context.Context, shiftID int64) (HandoverCheck, bool, error) {
	return s.handover(ctx, handoverKey(shiftID))
}

// LastHandoverCheck is the latest handover check of any shift.
func (s *Store) LastHandoverCheck(ctx context.Context) (HandoverCheck, bool, error) {
	return s.handover(ctx, handoverLast)
}

func (s *Store) handover(ctx context.Context, key string) (HandoverCheck, bool, error) {
	var hc HandoverCheck
	b, ok, err := s.st.Get(ctx, handoverNS, key)
	if err != nil || !ok {
		return hc, false, err
	}
	if err := json.Unmarshal(b, &hc); err != nil {
		return hc, false, fmt.Errorf("handover check %s: %w", key, err)
	}
	return hc, true, nil
}
