package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// Frame is a journal row with what the ledger knows about it.
type Frame struct {
	ID       int64     `json:"journal_id"`
	Device   string    `json:"device"`
	Received time.Time `json:"received"`
	Status   string    `json:"status"` // store.Frame*
	Reason   string    `json:"reason,omitempty"`
	IdemKey  string    `json:"-"`
	// Events are the types of the events the frame's delivery emitted or
	// found emitted already (store journal_events; for frames journaled
	// before that was kept, the types its identity was emitted as, from the
	// dedupe table), read only for parsed frames without a call row and
	// for duplicates.
	Events []string `json:"-"`
	// DuplicateOf is the journal frame that first recorded a duplicate call.
	DuplicateOf int64 `json:"-"`
	// RepeatOf is the first frame with a duplicate's business identity
	// (the driver's key: a FIAS wake-up answer the PBX sent again).
	RepeatOf int64 `json:"-"`
}

// Call is a row of the calls ledger.
type Call struct {
	IdemKey       string       `json:"call"`
	Device        string       `json:"device"`
	JournalID     int64        `json:"journal_id"`
	Start         time.Time    `json:"start"`
	DurationS     int          `json:"duration_s"`
	Direction     string       `json:"direction"`
	Extension     string       `json:"extension"`
	Room          string       `json:"room,omitempty"`
	RoomClass     string       `json:"room_class,omitempty"`
	Dialed        string       `json:"dialed"`
	Class         string       `json:"class,omitempty"`
	Destination   string       `json:"destination,omitempty"`
	TariffVersion string       `json:"tariff_version,omitempty"`
	BillableS     int          `json:"billable_s"`
	CarrierCost   rating.Money `json:"carrier_cost"`
	Price         rating.Money `json:"price"`
	AmountMinor   int64        `json:"amount_minor"`
	Currency      string       `json:"currency,omitempty"`
	Flags         []string     `json:"flags,omitempty"`
	Posted        bool         `json:"posted"`
	NotPosted     string       `json:"not_posted,omitempty"`
	Late          bool         `json:"late,omitempty"`
	RecordedSeq   int64        `json:"recorded_seq"`
	ChargedSeq    int64        `json:"charged_seq,omitempty"` // 0: none
	// Resolution is how a person settled the call when it was flagged
	// (call.resolve); nil: not resolved.
	Resolution *CallResolution `json:"resolution,omitempty"`
}

// Delivery is where an outbox event stands.
type Delivery struct {
	Seq       int64
	Type      string
	Published bool
	Acked     bool
}

// Ledger is what the reports read for a period.
type Ledger struct {
	Period   Period
	Frames   []Frame            // journaled frames from devices received in the period, by id
	Calls    []Call             // calls of those frames (reconcile) or started in the period (calls, special)
	Outbox   map[int64]Delivery // events by seq still in the outbox
	AckedSeq int64              // the back office consumed everything up to here
}

// pbxRecordTypes are the event types a parsed PBX frame can be recorded as
// (gateway/pbx.go); the dedupe table is keyed by (type, idemkey), so a
// frame's identity is looked up under each.
var pbxRecordTypes = []string{"hotel.pbx.call.recorded", "hotel.pbx.guest.checked-in", "hotel.pbx.guest.checked-out",
	"hotel.pbx.wakeup.scheduled", "hotel.pbx.wakeup.answered", "hotel.pbx.wakeup.unanswered",
	"hotel.pbx.operator.login", "hotel.pbx.operator.logout", "hotel.pbx.room.status"}

const callCols = `idemkey, device, journal_id, start, duration_s, direction, extension, room, room_class, dialed, class,
	destination, tariff_version, billable_s, carrier_cost, price, amount_minor, currency, flags, posted, not_posted, late,
	recorded_seq, charged_seq, ` + resolutionCol

func scanCall(rows *sql.Rows) (Call, error) {
	var c Call
	var start int64
	var cost, price, flags string
	var posted, late int
	var charged sql.NullInt64
	var resolution sql.NullString
	if err := rows.Scan(&c.IdemKey, &c.Device, &c.JournalID, &start, &c.DurationS, &c.Direction, &c.Extension, &c.Room, &c.RoomClass,
		&c.Dialed, &c.Class, &c.Destination, &c.TariffVersion, &c.BillableS, &cost, &price, &c.AmountMinor, &c.Currency, &flags,
		&posted, &c.NotPosted, &late, &c.RecordedSeq, &charged, &resolution); err != nil {
		return c, err
	}
	if err := scanResolution(&c, resolution); err != nil {
		return c, err
	}
	c.Start = time.Unix(0, start)
	c.Posted, c.Late, c.ChargedSeq = posted != 0, late != 0, charged.Int64
	var err error
	if c.CarrierCost, err = rating.ParseMoney(cost); err != nil {
		return c, fmt.Errorf("call %s carrier_cost: %w", c.IdemKey, err)
	}
	if c.Price, err = rating.ParseMoney(price); err != nil {
		return c, fmt.Errorf("call %s price: %w", c.IdemKey, err)
	}
	if flags != "" && flags != "null" {
		if err := json.Unmarshal([]byte(flags), &c.Flags); err != nil {
			return c, fmt.Errorf("call %s flags: %w", c.IdemKey, err)
		}
	}
	return c, nil
}

func queryCalls(ctx context.Context, st *store.Store, where string, args ...any) ([]Call, error) {
	rows, err := st.Query(ctx, `SELECT `+callCols+` FROM calls WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("report: calls: %w", err)
	}
	defer rows.Close()
	var out []Call
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// LoadCalls reads the calls that started in p (site-local), in start order.
func LoadCalls(ctx context.Context, st *store.Store, p Period) (*Ledger, error) {
	calls, err := queryCalls(ctx, st, `start >= ? AND start < ? ORDER BY start, idemkey`, p.From.UnixNano(), p.To.UnixNano())
	if err != nil {
		return nil, err
	}
	return &Ledger{Period: p, Calls: calls}, nil
}

// LoadJournal reads what reconciliation needs for the frames received in p
// from device ("" = every device): the frames, their calls, their events'
// delivery and the back office's acknowledgement cursor.
func LoadJournal(ctx context.Context, st *store.Store, p Period, device string) (*Ledger, error) {
	l := &Ledger{Period: p, Outbox: map[int64]Delivery{}}
	keys := map[int64]string{} // the driver's key of each frame
	rows, err := st.Query(ctx, `SELECT id, device, received, key, status, reason FROM journal
		WHERE dir='in' AND received >= ? AND received < ? AND (?='' OR device=?) ORDER BY id`,
		p.From.UnixNano(), p.To.UnixNano(), device, device)
	if err != nil {
		return nil, fmt.Errorf("report: journal: %w", err)
	}
	for rows.Next() {
		var f Frame
		var rec int64
		var key string
		if err := rows.Scan(&f.ID, &f.Device, &rec, &key, &f.Status, &f.Reason); err != nil {
			rows.Close()
			return nil, fmt.Errorf("report: journal: %w", err)
		}
		f.Received = time.Unix(0, rec).In(p.From.Location())
		keys[f.ID] = key
		// The sink's business identity of a frame (gateway/pbx.go deliverCall).
		f.IdemKey = f.Device + "/" + key
		if key == "" {
			f.IdemKey = fmt.Sprintf("%s/journal/%d", f.Device, f.ID)
		}
		l.Frames = append(l.Frames, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: journal: %w", err)
	}
	if len(l.Frames) == 0 {
		if l.AckedSeq, err = st.AckedSeq(ctx); err != nil {
			return nil, err
		}
		return l, nil
	}
	first, last := l.Frames[0].ID, l.Frames[len(l.Frames)-1].ID
	if l.Calls, err = queryCalls(ctx, st, `journal_id BETWEEN ? AND ? ORDER BY journal_id`, first, last); err != nil {
		return nil, err
	}
	frameEvents, err := st.FrameEvents(ctx, first, last)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	emitted := map[int64][]string{}
	for _, e := range frameEvents {
		if !slices.Contains(emitted[e.JournalID], e.Type) {
			emitted[e.JournalID] = append(emitted[e.JournalID], e.Type)
		}
	}
	byJournal := map[int64]bool{}
	var minSeq, maxSeq int64
	see := func(s int64) {
		if s <= 0 {
			return
		}
		if minSeq == 0 || s < minSeq {
			minSeq = s
		}
		maxSeq = max(maxSeq, s)
	}
	for _, c := range l.Calls {
		byJournal[c.JournalID] = true
		see(c.RecordedSeq)
		see(c.ChargedSeq)
	}
	for i := range l.Frames {
		f := &l.Frames[i]
		switch {
		case f.Status == store.FrameDuplicate:
			var orig int64
			err := st.QueryRow(ctx, `SELECT journal_id FROM calls WHERE idemkey=?`, f.IdemKey).Scan(&orig)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, fmt.Errorf("report: journal %d: %w", f.ID, err)
			}
			f.DuplicateOf = orig
			if orig == 0 && keys[f.ID] != "" {
				err := st.QueryRow(ctx, `SELECT id FROM journal WHERE device=? AND dir='in' AND key=? AND id<? ORDER BY id LIMIT 1`,
					f.Device, keys[f.ID], f.ID).Scan(&f.RepeatOf)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return nil, fmt.Errorf("report: journal %d: %w", f.ID, err)
				}
			}
			fallthrough
		case f.Status == store.FrameParsed && !byJournal[f.ID]:
			if f.Events = emitted[f.ID]; len(f.Events) > 0 {
				continue
			}
			for _, typ := range pbxRecordTypes {
				var seq int64
				err := st.QueryRow(ctx, `SELECT seq FROM idem WHERE type=? AND idemkey=?`, typ, f.IdemKey).Scan(&seq)
				if errors.Is(err, sql.ErrNoRows) {
					continue
				}
				if err != nil {
					return nil, fmt.Errorf("report: journal %d: %w", f.ID, err)
				}
				f.Events = append(f.Events, typ)
			}
		}
	}
	if maxSeq > 0 {
		// Published: up to the publisher's cursor (store.MarkPublished), or
		// marked on the row by a store from before migration 14.
		published, err := st.PublishedSeq(ctx)
		if err != nil {
			return nil, fmt.Errorf("report: outbox: %w", err)
		}
		rows, err := st.Query(ctx, `SELECT seq, type, seq <= ? OR published IS NOT NULL, acked IS NOT NULL FROM outbox WHERE seq BETWEEN ? AND ?`, published, minSeq, maxSeq)
		if err != nil {
			return nil, fmt.Errorf("report: outbox: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var d Delivery
			if err := rows.Scan(&d.Seq, &d.Type, &d.Published, &d.Acked); err != nil {
				return nil, fmt.Errorf("report: outbox: %w", err)
			}
			l.Outbox[d.Seq] = d
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("report: outbox: %w", err)
		}
	}
	if l.AckedSeq, err = st.AckedSeq(ctx); err != nil {
		return nil, err
	}
	return l, nil
}
