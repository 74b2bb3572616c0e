package report

// Recording a day close and publishing it for the back office in one
// transaction: the console reads the next revision (NextDayClose), hands
// the gateway the record's event (DayCloseRecord.Event) and PutDayClose
// to run in the transaction that enqueues it, so the day is never
// recorded without its event, nor published without being recorded.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/store"
)

// ErrClosedMeanwhile is a day close whose revision was taken by another
// close between reading the day and recording it: nothing was recorded;
// gathering the day again and closing it records the next revision.
var ErrClosedMeanwhile = errors.New("the day was closed by someone else meanwhile: show the day again and close it again")

// NextDayClose is the record closing d by operator by at at would write:
// the revision after the recorded one (1 for a day not closed yet).
func NextDayClose(ctx context.Context, st *store.Store, d DayClose, by string, at time.Time) (DayCloseRecord, error) {
	prev, closed, err := RecordedDayClose(ctx, st, d.Period.Label)
	if err != nil {
		return DayCloseRecord{}, err
	}
	rec := DayCloseRecord{DayClose: d, ClosedBy: by, ClosedAt: at, Revision: 1}
	if closed {
		rec.Revision = prev.Revision + 1
	}
	return rec, nil
}

// PutDayClose writes rec in tx if the recorded revision is still the one
// before it, else ErrClosedMeanwhile.
func PutDayClose(tx *store.Tx, rec DayCloseRecord) error {
	day := rec.Period.Label
	old, ok, err := tx.Get(dayCloseNS, day)
	if err != nil {
		return fmt.Errorf("record the day close of %s: %w", day, err)
	}
	prev := 0
	if ok {
		var p DayCloseRecord
		if err := json.Unmarshal(old, &p); err != nil {
			return fmt.Errorf("record the day close of %s: the one recorded before: %w", day, err)
		}
		prev = p.Revision
	}
	if prev != rec.Revision-1 {
		return fmt.Errorf("record the day close of %s (revision %d, found %d): %w", day, rec.Revision, prev, ErrClosedMeanwhile)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("record the day close of %s: %w", day, err)
	}
	if err := tx.Put(dayCloseNS, day, b); err != nil {
		return fmt.Errorf("record the day close of %s: %w", day, err)
	}
	return nil
}

// Event is the record as hotel.edge.day.closed (the topic and source are
// the gateway's to fill): its idemkey names the day and the revision, so
// each close is one event.
func (r DayCloseRecord) Event() store.Event {
	d := events.DayClosed{Day: r.Period.Label, From: r.Period.From, To: r.Period.To, ClosedBy: r.ClosedBy, ClosedAt: r.ClosedAt,
		Revision: r.Revision, Currency: r.Currency, Amount: r.Total.Amount.String(), AmountMinor: r.Total.AmountMinor,
		ByService: make([]events.DayServiceSum, 0, len(r.ByService)), Shifts: len(r.Shifts), OpenShifts: r.OpenShifts,
		Calls: events.DayCalls{Outgoing: r.Outgoing.Calls, Posted: r.Outgoing.Posted, IDD: r.IDD.Calls, DDD: r.DDD.Calls},
		Open:  events.DayOpenCounts{FaxesNotDelivered: len(r.Open.Faxes), CopySessionsOpen: len(r.Open.CopySessions), CallsToResolve: len(r.Open.Calls)}}
	for _, t := range r.ByService {
		d.ByService = append(d.ByService, events.DayServiceSum{Service: t.Key, Items: t.Items, Units: t.Units, Amount: t.Amount.String(),
			AmountMinor: t.AmountMinor})
	}
	return store.Event{Type: events.DayClosedType, Subject: "day/" + r.Period.Label, Time: r.ClosedAt,
		IdemKey: "dayclose/" + r.Period.Label + "/" + strconv.Itoa(r.Revision), Data: d}
}
