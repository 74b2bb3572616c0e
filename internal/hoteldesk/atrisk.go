package hoteldesk

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"switchboard/internal/events/hotel"
	"switchboard/internal/store"
)

// AtRisk is an at-risk notice the desk raised: one wake-up the PBX may
// not ring (WakeupID), or every room of a day while the hotel link is down
// before its first wake-up (Rooms; 叫醒服務: check the machine before the
// earliest wake-up).
type AtRisk struct {
	IdemKey string
	Raised  time.Time
	hotel.WakeupEvent
}

// AtRiskSince reads the at-risk notices raised since then, newest first
// (at most limit), from the events the desk committed. The event is the
// record: a notice whose outbox row was purged (acknowledged more than a
// week ago) is no longer at risk of anything.
func AtRiskSince(ctx context.Context, st *store.Store, since time.Time, limit int) ([]AtRisk, error) {
	rows, err := st.Query(ctx, `SELECT i.idemkey, i.created, o.payload FROM idem i JOIN outbox o ON o.seq = i.seq
		WHERE i.type = 'hotel.pbx.wakeup.at-risk' AND i.created >= ? ORDER BY i.created DESC LIMIT ?`, since.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("wake-ups at risk: %w", err)
	}
	defer rows.Close()
	var out []AtRisk
	for rows.Next() {
		var a AtRisk
		var created int64
		var payload []byte
		if err := rows.Scan(&a.IdemKey, &created, &payload); err != nil {
			return nil, fmt.Errorf("wake-ups at risk: %w", err)
		}
		var env struct {
			Data hotel.WakeupEvent `json:"data"`
		}
		if err := json.Unmarshal(payload, &env); err != nil {
			return nil, fmt.Errorf("wake-ups at risk: notice %s: %w", a.IdemKey, err)
		}
		a.Raised, a.WakeupEvent = time.Unix(0, created), env.Data
		out = append(out, a)
	}
	return out, rows.Err()
}
