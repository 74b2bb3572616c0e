package hoteldesk

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"switchboard/internal/store"
)

// RoomSettings are a room's do-not-disturb, message lamp and class of
// service as the desk recorded them, with when and by whom (免電話打擾:
// the time and the requester). A room never set has the zero value.
type RoomSettings struct {
	DND   bool
	DNDAt time.Time
	DNDBy string // the requester: the command's reply-to client, or the desk that asked
	MWL   bool
	MWLAt time.Time
	MWLBy string
	COS   string // "" when none was set
	COSAt time.Time
}

// ReadRoomSettings reads every room's recorded settings, by room: what
// the console's room grid shows beside the stays and wake-ups.
func ReadRoomSettings(ctx context.Context, st *store.Store) (map[string]RoomSettings, error) {
	all, err := st.List(ctx, roomStateNS)
	if err != nil {
		return nil, err
	}
	out := make(map[string]RoomSettings, len(all))
	for room, b := range all {
		var rr roomRecord
		if err := json.Unmarshal(b, &rr); err != nil {
			return nil, fmt.Errorf("room %s state: %w", room, err)
		}
		out[room] = RoomSettings(rr)
	}
	return out, nil
}
