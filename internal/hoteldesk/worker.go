package hoteldesk

import (
	"context"
	"slices"
	"time"

	"switchboard/internal/events/hotel"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

// run sends the schedule's actions that came out of a delivery, re-sends
// unconfirmed wake-ups after a link start, does the PBX's part of what the
// PBX reported, records the PBX's acknowledgements and publishes room
// states.
func (d *Desk) run(ctx context.Context) {
	// Room states are published, and acknowledgements recorded, once the
	// burst that brought them is over (RoomStateQuiet without a change, at
	// most RoomStateDelay late): each is a commit, and a commit of the
	// worker's between two commands is one the next command waits for. An
	// acknowledgement not recorded yet stays claimed (sending), so nothing
	// sends its command again meanwhile.
	pending := map[string]bool{}
	var held []queuedAck
	var first time.Time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		fired := false
		select {
		case <-ctx.Done():
			// Recorded on the way out: a lost one would only be sent again.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			d.recordAcks(sctx, held)
			cancel()
			return
		case <-d.kick:
		case <-timer.C:
			fired = true
		}
		d.mu.Lock()
		sends, ups, dirty, acks, jobs := d.sends, d.ups, d.dirty, d.acks, d.jobs
		d.sends, d.ups, d.dirty, d.acks, d.jobs = nil, nil, map[string]bool{}, nil, nil
		d.mu.Unlock()
		held = append(held, acks...)
		for _, dev := range ups {
			d.ResendUnconfirmed(ctx, dev)
		}
		for _, s := range sends {
			if d.stillWanted(ctx, s.act) {
				d.dispatch(ctx, s.device, []wakeup.Action{s.act}, nil, 0)
			}
		}
		for _, job := range jobs {
			job(ctx)
		}
		for r := range dirty {
			pending[r] = true
		}
		if len(pending) == 0 && len(held) == 0 {
			continue
		}
		if first.IsZero() {
			first = time.Now()
		}
		if !(fired && len(dirty) == 0 && len(acks) == 0) && time.Since(first) < d.opt.RoomStateDelay {
			timer.Reset(d.opt.RoomStateQuiet)
			continue
		}
		d.recordAcks(ctx, held)
		held = nil
		rooms := make([]string, 0, len(pending))
		for r := range pending {
			rooms = append(rooms, r)
		}
		slices.Sort(rooms)
		pending, first = map[string]bool{}, time.Time{}
		for _, r := range rooms {
			if ctx.Err() != nil {
				return
			}
			if err := d.publishRoom(ctx, r); err != nil {
				d.host.Log().Warn("room state not published", "room", r, "err", err)
			}
		}
	}
}

// watchdog runs the schedule's watchdog every WatchEvery: wake-ups overdue
// without a result, and the check of the link before each day's first
// wake-up; while the link is down it raises at-risk for the wake-ups due
// within the preflight window.
func (d *Desk) watchdog(ctx context.Context) {
	t := time.NewTicker(d.opt.WatchEvery)
	defer t.Stop()
	for {
		d.watch(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (d *Desk) watch(ctx context.Context) {
	now := d.host.Now()
	var acts []wakeup.Action
	err := d.host.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if acts, err = d.sched.Due(tx, now); err != nil {
			return err
		}
		return d.publishInTx(tx, d.primary, acts)
	})
	if err != nil {
		if ctx.Err() == nil {
			d.host.Log().Error("wake-up watchdog", "err", err)
		}
		return
	}
	d.queueSends(d.primary, acts)
	for _, a := range acts {
		if p, ok := a.(wakeup.Publish); ok {
			d.markDirty(string(p.Room))
		}
	}
	if !d.linkUpOrNone() {
		d.linkDownCheck(ctx, now)
	}
	d.sendUndatedDue(ctx)
}

// linkDownCheck: the link is down and wake-ups are due within the
// preflight window.
func (d *Desk) linkDownCheck(ctx context.Context, now time.Time) {
	ws, err := d.sched.Pending(ctx, d.host.Store(), now)
	if err != nil {
		d.host.Log().Warn("wake-up link check", "err", err)
		return
	}
	horizon := now.Add(d.sched.Config().Preflight)
	byDate := map[wakeup.Date][]wakeup.Wakeup{}
	var dates []wakeup.Date
	for _, w := range ws {
		if w.PBXAt.After(horizon) {
			break
		}
		if _, ok := byDate[w.Date]; !ok {
			dates = append(dates, w.Date)
		}
		byDate[w.Date] = append(byDate[w.Date], w)
	}
	if len(dates) == 0 {
		return
	}
	err = d.host.InTx(ctx, func(tx *store.Tx) error {
		for _, dt := range dates {
			var rooms []hotel.Room
			for _, w := range byDate[dt] {
				rooms = append(rooms, w.Room)
			}
			if err := d.linkDownAtRisk(tx, dt, byDate[dt][0].PBXAt, rooms); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		d.host.Log().Warn("wake-up link check", "err", err)
	}
}
