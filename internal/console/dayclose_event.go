package console

import (
	"context"
	"errors"
	"fmt"

	"switchboard/internal/events"
	"switchboard/internal/report"
	"switchboard/internal/store"
)

// Publisher is a Host that publishes the console's own acts to the back
// office, found by type assertion (as go-smtp finds a session's optional
// capabilities). Publish commits ev on the gateway's edge topic and
// source (the host fills both: the console does not know the gateway's
// id) together with what fn writes, in one transaction, under the actor
// ctx carries (events.WithActor), and wakes the publisher.
type Publisher interface {
	Publish(ctx context.Context, ev store.Event, fn func(tx *store.Tx) error) error
}

// recordDayClose records the day close d by the session's supervisor and
// publishes hotel.edge.day.closed with it, in one transaction, so the back
// office hears of every close and of no close that was not recorded. A
// host without the event path (a console on a bare store) records it
// only, and says so in the log.
func (c *Console) recordDayClose(ctx context.Context, s session, d report.DayClose) (report.DayCloseRecord, error) {
	st := c.o.Host.Store()
	rec, err := report.NextDayClose(ctx, st, d, s.code, c.now())
	if err != nil {
		return rec, err
	}
	put := func(tx *store.Tx) error { return report.PutDayClose(tx, rec) }
	pub, ok := c.o.Host.(Publisher)
	if !ok {
		c.o.Log.Warn("day close recorded but not published: the console has no event path to the back office", "day", d.Period.Label)
		return rec, st.InTx(ctx, put)
	}
	actx := events.WithActor(ctx, events.Actor{Principal: s.code, Role: string(busRole(s.role))})
	if err := pub.Publish(actx, rec.Event(), put); err != nil {
		return rec, fmt.Errorf("day close of %s: %w", d.Period.Label, err)
	}
	return rec, nil
}

// closedMeanwhile says whether err is a close that lost to another one.
func closedMeanwhile(err error) bool { return errors.Is(err, report.ErrClosedMeanwhile) }
