package faxjobs

// Searching the register (the console's inbox): by room, the guest's name
// as written on the fax, the sending station's id, the day range and where
// the fax stands, newest first, a page at a time.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"switchboard/internal/store"
)

// Where a received fax stands, as the front desk asks for it.
const (
	StandWaiting   = "waiting"   // for a guest in the house, not handed over yet
	StandDelivered = "delivered" // handed over and signed for
	StandUnclaimed = "unclaimed" // nobody found, or the guest had left: it will be archived
	StandArchived  = "archived"  // archived or destroyed by retention
)

// Stands are the states Query.Stand takes, in the order a page offers them.
var Stands = []string{StandWaiting, StandDelivered, StandUnclaimed, StandArchived}

// standStatuses are the register statuses of each stand.
var standStatuses = map[string][]string{
	StandWaiting:   {Assigned},
	StandDelivered: {Delivered},
	StandUnclaimed: {Unassigned, CheckedOut},
	StandArchived:  {Archived, Destroyed},
}

// Query selects register lines; a zero field does not select.
type Query struct {
	Room     string    // exactly
	Name     string    // part of the name, any case (ASCII)
	RemoteID string    // part of the sending station's id
	From, To time.Time // received in [From, To)
	Stand    string    // one of Stands
	// Before continues a listing after its last line: the lines received
	// before it (or at the same time with a lower id).
	Before *Cursor
	Limit  int // lines per page (default 50)
}

// Cursor is a register line's place in the newest-first order.
type Cursor struct {
	Received time.Time
	ID       int64
}

// String is the cursor as a page's link carries it: "{ns}.{id}".
func (c Cursor) String() string { return fmt.Sprintf("%d.%d", c.Received.UnixNano(), c.ID) }

// ParseCursor reads a Cursor's String.
func ParseCursor(s string) (Cursor, error) {
	var ns, id int64
	if _, err := fmt.Sscanf(s, "%d.%d", &ns, &id); err != nil || id <= 0 || fmt.Sprintf("%d.%d", ns, id) != s {
		return Cursor{}, fmt.Errorf("register cursor %q: want {nanoseconds}.{id}", s)
	}
	return Cursor{Received: time.Unix(0, ns), ID: id}, nil
}

// likeEscaper makes a search text literal in a LIKE pattern (ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Search lists the register lines q selects, newest first, at most
// q.Limit; more says whether further lines follow (the next page starts
// Before the last one).
func Search(ctx context.Context, st *store.Store, q Query) (lines []Fax, more bool, err error) {
	where, args := q.where()
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	lines, err = store.All(ctx, st, scanFax, `SELECT `+faxCols+` FROM fax_register WHERE `+where+
		` ORDER BY received DESC, id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("fax register search: %w", err)
	}
	if len(lines) > limit {
		return lines[:limit], true, nil
	}
	return lines, false, nil
}

// ExplainSearch is SQLite's query plan of q's search, a line per step
// ("SEARCH fax_register USING INDEX ...", "SCAN fax_register ..."): what
// says whether an index serves it.
func ExplainSearch(ctx context.Context, st *store.Store, q Query) ([]string, error) {
	where, args := q.where()
	plan, err := store.All(ctx, st, func(r store.Scanner) (string, error) {
		var id, parent, unused int
		var detail string
		return detail, r.Scan(&id, &parent, &unused, &detail)
	}, `EXPLAIN QUERY PLAN SELECT `+faxCols+` FROM fax_register WHERE `+where+` ORDER BY received DESC, id DESC LIMIT ?`, append(args, 51)...)
	if err != nil {
		return nil, fmt.Errorf("fax register search plan: %w", err)
	}
	return plan, nil
}

// where is q's condition and its arguments.
func (q Query) where() (string, []any) {
	conds := []string{"1=1"}
	var args []any
	if !q.From.IsZero() {
		conds, args = append(conds, "received >= ?"), append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		conds, args = append(conds, "received < ?"), append(args, q.To.UnixNano())
	}
	if q.Room != "" {
		conds, args = append(conds, "room = ?"), append(args, q.Room)
	}
	if q.Name != "" {
		conds, args = append(conds, `name LIKE ? ESCAPE '\'`), append(args, "%"+likeEscaper.Replace(q.Name)+"%")
	}
	if q.RemoteID != "" {
		conds, args = append(conds, `remote_id LIKE ? ESCAPE '\'`), append(args, "%"+likeEscaper.Replace(q.RemoteID)+"%")
	}
	if sts := standStatuses[q.Stand]; len(sts) > 0 {
		conds = append(conds, "status IN (?"+strings.Repeat(",?", len(sts)-1)+")")
		for _, s := range sts {
			args = append(args, s)
		}
	}
	if c := q.Before; c != nil {
		conds = append(conds, "(received < ? OR (received = ? AND id < ?))")
		args = append(args, c.Received.UnixNano(), c.Received.UnixNano(), c.ID)
	}
	return strings.Join(conds, " AND "), args
}
