package hotelink

// FIAS link control: LS, LD, LR, LA and LE (Oracle Hospitality FIAS,
// "Communications and Link Control" and "Usage of LS/LD/LA/LE Records").
// The gateway is the PMS side; the PBX is the vendor ("other") system.
//
//   - LS Link Start: the side that starts (or restarts) its link sends LS.
//     The other side answers it; then the describing side sends LD, one LR
//     per record it uses, and LA; the first LA answered with LA puts the
//     link up. A PBX that restarts sends LS again, so LD and LR are sent
//     again after every LS.
//   - LA Link Alive: after the link start, a keep-alive on an idle link.
//   - LE Link End: the side that stops its link sends it; the receiver takes
//     the link down, holds what it cannot discard, and brings the link back
//     at the sender's next communication, even if that LS is missed.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"switchboard/drivers"
	"switchboard/internal/events/hotel"
)

// timers runs the FIAS link timers: LS while the link is not up, LA when
// the link was idle for keepalive, and a dead link after link_timeout.
func (s *fiasSession) timers(ctx context.Context) error {
	now := time.Now()
	if lt := s.p.Timers.LinkTimeout; lt > 0 && now.Sub(s.lastRx) >= lt {
		return fmt.Errorf("%w (%v)", errLinkTimeout, lt)
	}
	ka := s.p.Timers.Keepalive
	if ka <= 0 {
		return nil
	}
	if !s.up && now.Sub(s.lastLS) >= ka {
		return s.startLink(ctx)
	}
	if s.up && now.Sub(s.lastTx) >= ka {
		if err := s.sendRecords(ctx, s.linkRecord("LA")); err != nil {
			return s.transmitFailed(ctx, err)
		}
	}
	return nil
}

// transmitFailed keeps the connection after an unacknowledged frame but
// restarts the link (the PBX's own LS, if that is why, is answered next);
// other errors end the connection.
func (s *fiasSession) transmitFailed(ctx context.Context, err error) error {
	if !errors.Is(err, errTransmit) {
		return err
	}
	if s.up {
		s.linkDown(ctx, err.Error(), 0)
	}
	if errors.Is(err, errPBXStart) {
		return nil
	}
	return s.startLink(ctx)
}

// startLink sends LS on the gateway's own initiative (FIAS "Link Start":
// either side may start the link). An LS the PBX does not acknowledge is
// only logged: the next try is a keep-alive period later, and an LS the
// PBX sends meanwhile is answered (onLS). Errors other than an
// unacknowledged frame end the connection.
func (s *fiasSession) startLink(ctx context.Context) error {
	s.lastLS = time.Now()
	s.answeredLS = time.Time{}
	err := s.sendRecords(ctx, s.linkRecord("LS"))
	switch {
	case errors.Is(err, errPBXStart):
		return nil // crossed the PBX's LS, which is answered next
	case errors.Is(err, errTransmit):
		s.d.log.Warn("LS not acknowledged: the PBX may be down", "err", err)
		return nil
	}
	return err
}

// linkRecord builds LS, LA, LE, DS or DE: the record type with the PMS's
// current date and time (FIAS link records carry DA and TI).
func (s *fiasSession) linkRecord(typ string) Record {
	r := Record{Type: typ}
	da, ti := fiasDateTime(s.d.now().In(s.d.loc))
	r.Add("DA", da)
	r.Add("TI", ti)
	return r
}

func (s *fiasSession) linkDown(ctx context.Context, why string, frameID int64) {
	s.up = false
	s.d.linkState(ctx, s.c, hotel.LinkEvent{Kind: hotel.LinkDown, Detail: why, At: s.d.now()}, frameID)
}

// linkUp completes a link start: the link is up, and what changed while it
// was down reaches the PBX as a full database swap (profile
// link.resync_on_link_start; the PBX replaces its data, so nothing doubles)
// unless swap is false (the PBX asked for one itself).
func (s *fiasSession) linkUp(ctx context.Context, frameID int64, swap bool) error {
	s.up, s.ended = true, false
	s.answeredLS = time.Time{}
	s.d.linkState(ctx, s.c, hotel.LinkEvent{Kind: hotel.LinkUp, Detail: s.d.endpoint(), At: s.d.now()}, frameID)
	if swap && s.p.Link.ResyncOnLinkStart && s.d.stateSource() != nil {
		return s.transmitFailed(ctx, s.resync(ctx))
	}
	return nil
}

// lsAnswerWindow is how soon after our answer to its LS a PBX's next LS is
// taken as its reply to that answer rather than as a new link start.
func (s *fiasSession) lsAnswerWindow() time.Duration {
	return max(s.p.Timers.AckTimeout, time.Second)
}

// onLS answers the PBX's Link Start. FIAS "Link Start": the PBX sends LS
// when it starts or restarts its interface, and every such LS is answered
// with our LS; then the describing side sends LD, its LR records and LA
// (profile link.describe: the spec has the vendor describe itself;
// "gateway" makes us send LD/LR/LA with the LS). A link that was up goes
// down first: the PBX has restarted and forgotten its link records.
//
// The one LS not answered with LS is a PBX's reply, at once, to the LS we
// just sent in answer to its own: a PBX that answers every LS with LS
// would otherwise ping-pong with us forever. Nothing else counts as a
// reply: an LS of ours the PBX never acknowledged, or one sent on a timer
// while the PBX was down, says nothing about the LS the PBX sends when it
// comes back.
func (s *fiasSession) onLS(ctx context.Context, ib inbound) error {
	if err := s.d.deliver(ctx, drivers.Result{FrameID: ib.id, Skipped: true}); err != nil {
		return err
	}
	if s.up {
		s.linkDown(ctx, "LS from PBX: link restart", ib.id)
	}
	s.ended = false
	s.setLR(nil)
	s.lastLS = time.Now()
	reply := !s.answeredLS.IsZero() && time.Since(s.answeredLS) < s.lsAnswerWindow()
	s.answeredLS = time.Time{}
	if reply {
		s.d.log.Debug("LS from PBX replies to our LS: not answered again")
		return nil
	}
	out := []Record{s.linkRecord("LS")}
	if s.p.Link.Describe == "gateway" {
		out = append(out, s.describe()...)
	}
	err := s.sendRecords(ctx, out...)
	if err == nil || errors.Is(err, errPBXStart) {
		s.answeredLS = time.Now() // sent; a PBX LS in reply is not answered again
	}
	return s.transmitFailed(ctx, err)
}

// describe is LD, one LR per record of the profile, LA.
func (s *fiasSession) describe() []Record {
	ld := s.linkRecord("LD")
	ld.Add("V#", s.p.Link.Version)
	ld.Add("IF", s.p.Link.Interface)
	out := []Record{ld}
	types := make([]string, 0, len(s.p.Records))
	for t := range s.p.Records {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		lr := Record{Type: "LR"}
		lr.Add("RI", t)
		fl := ""
		for _, f := range s.p.Records[t] {
			fl += f
		}
		lr.Add("FL", fl)
		out = append(out, lr)
	}
	return append(out, s.linkRecord("LA"))
}

// onLR keeps what the PBX asked for. FIAS "Link Record": RI names a record
// the vendor wants, FL lists its fields as concatenated two-character ids.
func (s *fiasSession) onLR(ctx context.Context, ib inbound) error {
	ri, _ := ib.rec.Get("RI")
	fl, _ := ib.rec.Get("FL")
	set := map[string]bool{}
	for i := 0; i+2 <= len(fl); i += 2 {
		set[fl[i:i+2]] = true
	}
	// A new map: the one published for Prepare is never changed.
	lr := make(linkRecords, len(s.pbxLR)+1)
	maps.Copy(lr, s.pbxLR)
	lr[ri] = set
	s.setLR(lr)
	return s.d.deliver(ctx, drivers.Result{FrameID: ib.id, Skipped: true})
}

// onLA: FIAS "Link Alive". The first LA after LS completes the link start
// (answered with our LA when the PBX described itself); later ones are
// keep-alives.
func (s *fiasSession) onLA(ctx context.Context, ib inbound) error {
	if err := s.d.deliver(ctx, drivers.Result{FrameID: ib.id, Skipped: true}); err != nil {
		return err
	}
	if s.up {
		return nil
	}
	if s.p.Link.Describe == "pbx" {
		if err := s.sendRecords(ctx, s.linkRecord("LA")); err != nil {
			return s.transmitFailed(ctx, err)
		}
	}
	return s.linkUp(ctx, ib.id, true)
}

// onLE: FIAS "Link End", sent by the PBX when it stops its interface. LE
// gets no record in answer; on a serial link it was acknowledged (ACK)
// like every frame. The link goes down: commands fail with ErrLinkDown and
// what they changed is held for the database swap of the next link start.
// The connection stays open for the PBX's return: its LS is answered
// (onLS), and should that LS be missed, its next record brings the link
// back all the same (reactivate).
func (s *fiasSession) onLE(ctx context.Context, ib inbound) error {
	if err := s.d.deliver(ctx, drivers.Result{FrameID: ib.id, Skipped: true}); err != nil {
		return err
	}
	if s.up {
		s.linkDown(ctx, "LE from PBX: link ended by the PBX", ib.id)
	}
	s.ended = true
	s.answeredLS = time.Time{}
	// Our own LS waits a keep-alive period: the PBX starts the link again.
	s.lastLS = time.Now()
	return nil
}

// reactivate brings the link back when the PBX talks again after its LE
// without an LS (FIAS "Link End": the link is reactivated at the next
// communication even if the Link Start is missed). The link records it
// sent before its LE still hold.
func (s *fiasSession) reactivate(ctx context.Context, ib inbound) error {
	if !s.ended || s.up {
		return nil
	}
	switch ib.rec.Type {
	case "LS", "LD", "LR", "LA", "LE":
		return nil // the link start itself, or another end
	}
	s.d.log.Info("PBX talks again after its LE without LS: link reactivated", "record", ib.rec.Type)
	// The record's own frame keeps what becomes of the record; a DR is
	// answered with its swap, which is the one the link start would send.
	return s.linkUp(ctx, 0, ib.rec.Type != "DR")
}
