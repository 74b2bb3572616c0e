package hoteldesk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/desk"
	"switchboard/internal/events/hotel"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

// sendOutcome is what became of one command to the PBX.
type sendOutcome struct {
	Ack     hotel.CommandAck
	Err     error
	Retries int
}

func (o sendOutcome) ok() bool { return o.Err == nil && o.Ack.OK }

// operatorTask: the PBX cannot take it over its link; a person sets it at
// the console (Panasonic).
func (o sendOutcome) operatorTask() bool { return o.Ack.OperatorTask }

// reason says why the PBX did not take the command, as the reply names it.
func (o sendOutcome) reason() string {
	switch {
	case o.ok():
		return ""
	case errors.Is(o.Err, hotel.ErrLinkDown):
		return fmt.Sprintf("link down after %d retries", o.Retries)
	case o.Ack.OperatorTask:
		return "set at the console: " + o.Ack.Reason
	case errors.Is(o.Err, hotel.ErrNotAccepted) || (o.Err == nil && !o.Ack.OK):
		// FIAS: the reason carries the PBX's answer status (AS code).
		return "PBX refused: " + o.Ack.Reason
	case errors.Is(o.Err, hotel.ErrUnsupported):
		return "not supported by this PBX: " + o.Ack.Reason
	}
	return "not sent: " + o.Err.Error()
}

// pbxStatus is the outcome in a command's result.
func (o sendOutcome) pbxStatus() string {
	switch {
	case o.ok():
		return "sent"
	case o.Ack.OperatorTask:
		return "operator-task"
	case errors.Is(o.Err, hotel.ErrLinkDown):
		return "pending: sent when the link is back"
	}
	return "failed"
}

// undatedWindow is how far ahead a wake-up goes to a PBX whose wake-up
// record carries no date.
const undatedWindow = 23 * time.Hour

// errHeldUndated: the wake-up waits in the schedule (see send).
var errHeldUndated = errors.New("held: this PBX's wake-up has no date, so it is sent on the day before it is due")

// held reports whether cmd waits in the schedule instead of going to l now.
// The PBX's wake-up record has a time and no date (Mitel SX-200 PMS:
// function WAK, HHMM): it rings at the next such time. A wake-up for a
// later day waits in the schedule and goes to the PBX within the last day
// before it is due (the watchdog sends it).
func (d *Desk) held(l *link, cmd hotel.Command) bool {
	ws, ok := cmd.(hotel.WakeupSet)
	return ok && !l.drv.Capabilities().DatedWakeups && ws.At.Sub(d.host.Now()) > undatedWindow
}

// journaled are the commands a transaction journaled for the hotel links
// with what it recorded, by link and command reference; send writes their
// frames once it committed, without another commit.
type journaled map[sentKey]hotel.Prepared

type sentKey struct{ device, ref string }

// journal has device's link encode cmd and journals its frames in tx: the
// command's state change and the frames that tell the PBX commit together,
// one fsync instead of two, still journal first. The commands' handlers
// do; the worker's sends (a wake-up re-sent after a link start, a retry
// the PBX's result asked for, what a PBX's own check-out means for the
// other links) have no transaction of their own before them and are sent
// as before, the link journaling what it writes. A link that cannot
// prepare cmd now (down: FIAS encodes by its link start's LR records; no
// command link; a refusal) or a command held in the schedule journals
// nothing here: send then sends it as it always has, and the link
// journals what it writes. j is the transaction's (made again when it is
// retried), used once it committed.
func (d *Desk) journal(tx *store.Tx, j journaled, device string, cmd hotel.Command) error {
	l := d.link(device)
	if l == nil || d.held(l, cmd) {
		return nil
	}
	pr, ok := l.drv.(hotel.Preparer)
	if !ok {
		return nil
	}
	p, err := pr.Prepare(cmd)
	if err != nil {
		return nil // not prepared: send answers for the command as it always has
	}
	frames := make([]store.NewFrame, len(p.Frames))
	for i, f := range p.Frames {
		frames[i] = store.NewFrame{Raw: f.Data}
	}
	ids, err := tx.AppendFrames(device, l.profile, store.DirOut, d.host.Now(), frames)
	if err != nil {
		return fmt.Errorf("%s for room %s: %w", hotel.CommandName(cmd), cmd.Target(), err)
	}
	for i := range p.Frames {
		p.Frames[i].JournalID = ids[i]
	}
	j[sentKey{device, cmd.Reference()}] = p
	return nil
}

// journalActs journals the commands of the schedule's SendToPBX and
// CancelAtPBX actions for device in tx.
func (d *Desk) journalActs(tx *store.Tx, j journaled, device string, acts []wakeup.Action) error {
	for _, a := range acts {
		cmd, ok := actCommand(a)
		if !ok {
			continue
		}
		if err := d.journal(tx, j, device, cmd); err != nil {
			return err
		}
	}
	return nil
}

// send sends cmd on device, trying again up to retries times while the
// link is down (at once when it comes up). A command its transaction
// journaled (in j) is written as journaled on the first try; a retry,
// after the link went down, is sent afresh: the link journals what it
// writes then, and the first frames stay journaled, never written, as a
// frame whose write failed always has.
func (d *Desk) send(ctx context.Context, device string, cmd hotel.Command, j journaled, retries int) sendOutcome {
	l := d.link(device)
	if l == nil {
		return sendOutcome{Ack: hotel.CommandAck{Ref: cmd.Reference(), Reason: "no such hotel link"}, Err: fmt.Errorf("device %s is not a hotel link", device)}
	}
	if d.held(l, cmd) {
		return sendOutcome{Ack: hotel.CommandAck{Ref: cmd.Reference()}, Err: errHeldUndated}
	}
	p, prepared := j[sentKey{device, cmd.Reference()}]
	pr, _ := l.drv.(hotel.Preparer)
	for try := 0; ; try++ {
		up := l.waitUp()
		sctx, cancel := context.WithTimeout(ctx, d.opt.SendTimeout)
		var ack hotel.CommandAck
		var err error
		if prepared && pr != nil && try == 0 {
			ack, err = pr.SendPrepared(sctx, p)
		} else {
			ack, err = l.drv.Send(sctx, cmd)
		}
		cancel()
		ack.Ref = cmd.Reference()
		if !errors.Is(err, hotel.ErrLinkDown) || try >= retries {
			return sendOutcome{Ack: ack, Err: err, Retries: try}
		}
		t := time.NewTimer(d.opt.RetryWait)
		select {
		case <-up:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return sendOutcome{Ack: ack, Err: err, Retries: try}
		}
		t.Stop()
	}
}

// dispatch sends the schedule's SendToPBX and CancelAtPBX actions (in
// order; those in j as their transaction journaled them) and applies the
// PBX's answers to the schedule; the notices that come of them are
// published in the same transaction. It returns the outcome of each, by
// wake-up command reference.
func (d *Desk) dispatch(ctx context.Context, device string, acts []wakeup.Action, j journaled, retries int) map[string]sendOutcome {
	out := map[string]sendOutcome{}
	for i := 0; i < len(acts); i++ {
		cmd, ok := actCommand(acts[i])
		if !ok {
			continue
		}
		d.claim(cmd.Reference()) // released once the answer is recorded
		o := d.send(ctx, device, cmd, j, retries)
		out[cmd.Reference()] = o
		if o.ok() {
			// An acknowledgement changes no more than the wake-up's PBX
			// state: recorded by the worker, many in one transaction.
			d.mu.Lock()
			d.acks = append(d.acks, queuedAck{device: device, ack: o.Ack})
			d.mu.Unlock()
			d.poke()
			continue
		}
		more, err := d.applyAck(ctx, device, cmd, o)
		d.release(cmd.Reference())
		if err != nil {
			d.host.Log().Error("wake-up answer of the PBX not recorded", "device", device, "ref", cmd.Reference(), "err", err)
		}
		acts = append(acts, more...)
	}
	return out
}

// applyAck records the PBX's answer to a wake-up command. A link that is
// down changes nothing: the wake-up stays unconfirmed and goes to the PBX
// on the next link start.
func (d *Desk) applyAck(ctx context.Context, device string, cmd hotel.Command, o sendOutcome) ([]wakeup.Action, error) {
	if errors.Is(o.Err, hotel.ErrLinkDown) || errors.Is(o.Err, errHeldUndated) || errors.Is(o.Err, context.Canceled) || errors.Is(o.Err, context.DeadlineExceeded) {
		return nil, nil
	}
	ack := o.Ack
	if !o.ok() && ack.Reason == "" && o.Err != nil {
		ack.Reason = o.Err.Error()
	}
	var more []wakeup.Action
	err := d.host.InTx(ctx, func(tx *store.Tx) error {
		acts, err := d.sched.Acked(tx, ack, d.host.Now())
		if err != nil {
			if errors.Is(err, wakeup.ErrNotFound) {
				return nil
			}
			return err
		}
		if o.operatorTask() {
			if err := d.operatorTaskEvent(tx, device, cmd, "", o); err != nil {
				return err
			}
		}
		if err := d.publishInTx(tx, device, acts); err != nil {
			return err
		}
		more = acts
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.markDirty(string(cmd.Target()))
	return more, nil
}

// recordAcks records acknowledged wake-up commands in one transaction.
func (d *Desk) recordAcks(ctx context.Context, acks []queuedAck) {
	if len(acks) == 0 {
		return
	}
	defer func() {
		for _, a := range acks {
			d.release(a.ack.Ref)
		}
	}()
	err := d.host.InTx(ctx, func(tx *store.Tx) error {
		for _, a := range acks {
			if _, err := d.sched.Acked(tx, a.ack, d.host.Now()); err != nil && !errors.Is(err, wakeup.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		d.host.Log().Warn("wake-up acknowledgements not recorded; the next link start sends them again", "n", len(acks), "err", err)
	}
}

// stillWanted checks a queued action against the stored wake-up: a
// command may have changed it since.
func (d *Desk) stillWanted(ctx context.Context, a wakeup.Action) bool {
	switch a := a.(type) {
	case wakeup.SendToPBX:
		w, err := d.sched.Get(ctx, d.host.Store(), a.Wakeup.ID)
		return err == nil && w.Status.Active() && w.PBX == wakeup.PBXSending && w.Room == a.Room && w.PBXAt.Equal(a.At)
	case wakeup.CancelAtPBX:
		w, err := d.sched.Get(ctx, d.host.Store(), a.Wakeup.ID)
		return err == nil && w.PBX == wakeup.PBXCancelling
	}
	return false
}

// ResendUnconfirmed sends the wake-ups the PBX has not confirmed, as after
// a link start on links that do not resync (FIAS does: the driver sent them
// in its database swap, and the snapshot counted them as held).
func (d *Desk) ResendUnconfirmed(ctx context.Context, device string) {
	l := d.link(device)
	if l == nil || device != d.primary || l.drv.Capabilities().ResyncOnLinkStart {
		return
	}
	us, err := d.sched.UnconfirmedSets(ctx, d.host.Store(), d.host.Now())
	if err != nil {
		d.host.Log().Warn("wake-ups not re-sent after link start", "device", device, "err", err)
		return
	}
	for _, u := range us {
		d.resend(ctx, device, hotel.WakeupSet{Ref: u.Ref, Room: u.Room, At: u.At})
	}
	// Cancels the PBX never confirmed (the link was down): without a
	// database swap, nothing else would stop the PBX ringing the room.
	cs, err := d.sched.UnconfirmedCancels(ctx, d.host.Store(), d.host.Now())
	if err != nil {
		d.host.Log().Warn("wake-up cancels not re-sent after link start", "device", device, "err", err)
		return
	}
	for _, u := range cs {
		d.resend(ctx, device, hotel.WakeupCancel{Ref: u.Ref, Room: u.Room, At: u.At})
	}
}

// sendUndatedDue sends the held wake-ups that entered the last day before
// they are due, on a PBX whose wake-ups carry no date.
func (d *Desk) sendUndatedDue(ctx context.Context) {
	l := d.link(d.primary)
	if l == nil || l.drv.Capabilities().DatedWakeups || !l.drv.LinkUp() {
		return
	}
	now := d.host.Now()
	us, err := d.sched.UnconfirmedSets(ctx, d.host.Store(), now)
	if err != nil {
		d.host.Log().Warn("held wake-ups not sent", "err", err)
		return
	}
	for _, u := range us {
		if u.At.Sub(now) > undatedWindow {
			break // in time order: the rest are later still
		}
		d.resend(ctx, d.primary, hotel.WakeupSet{Ref: u.Ref, Room: u.Room, At: u.At})
	}
}

// resend sends a wake-up command the PBX has not confirmed again, unless
// it is on its way already (a command or the other worker sending it), and
// records the answer.
func (d *Desk) resend(ctx context.Context, device string, cmd hotel.Command) {
	defer d.release(cmd.Reference())
	if !d.claim(cmd.Reference()) {
		return
	}
	o := d.send(ctx, device, cmd, nil, 0)
	if _, err := d.applyAck(ctx, device, cmd, o); err != nil {
		d.host.Log().Warn("wake-up answer not recorded", "device", device, "ref", cmd.Reference(), "err", err)
	}
}

// finish turns the PBX's answer to a room command into its reply: an
// operator task completes (with hotel.pbx.operator.task), a link that
// stayed down or a refusal fails, saying what the store kept.
func (d *Desk) finish(ctx context.Context, c *bus.Command, cmd hotel.Command, o sendOutcome, res map[string]any, kept string) (any, error) {
	res["pbx"] = o.pbxStatus()
	switch {
	case o.ok():
		return res, nil
	case o.operatorTask():
		res["operator_task"] = o.Ack.Reason
		err := d.host.InTx(ctx, func(tx *store.Tx) error { return d.operatorTaskEvent(tx, c.Device, cmd, c.ID, o) })
		if err != nil {
			return res, fmt.Errorf("operator task not recorded: %w", err)
		}
		return res, nil
	}
	return res, fmt.Errorf("%s: %s", o.reason(), kept)
}

// event is a hotel event of a device.
func (d *Desk) event(device, typ, subject, idemkey string, data any) desk.Event {
	return desk.Event{Domain: "pbx", Device: device, Type: typ, Subject: subject, IdemKey: idemkey, Time: d.host.Now(), Data: data}
}

func (d *Desk) operatorTaskEvent(tx *store.Tx, device string, cmd hotel.Command, commandID string, o sendOutcome) error {
	key := "operator-task/" + device + "/" + cmd.Reference()
	if commandID != "" {
		key = "operator-task/" + device + "/command/" + commandID
	}
	_, _, err := d.host.Enqueue(tx, d.event(device, "hotel.pbx.operator.task", "room/"+string(cmd.Target()), key,
		hotel.OperatorTask{Device: device, Command: hotel.CommandName(cmd), CommandID: commandID, Room: string(cmd.Target()), Task: o.Ack.Reason, Priority: "high"}))
	return err
}

// actCommand is the command a schedule's action sends to the PBX (ok false:
// the action sends none).
func actCommand(a wakeup.Action) (hotel.Command, bool) {
	switch a := a.(type) {
	case wakeup.SendToPBX:
		return a.Command(), true
	case wakeup.CancelAtPBX:
		return a.Command(), true
	}
	return nil, false
}
