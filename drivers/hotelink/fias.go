package hotelink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"switchboard/drivers"
	"switchboard/internal/events/hotel"
)

// fiasProto is Oracle Hospitality FIAS (IFC8 FIAS Interface Specification
// 2.20.23) with the gateway as the PMS side and the PBX as the vendor system.
type fiasProto struct{}

func (fiasProto) serve(ctx context.Context, d *Driver, c *conn, rw io.ReadWriteCloser) error {
	s := &fiasSession{d: d, p: d.prof, c: c, rw: rw, in: make(chan rxItem, 64), lastAnswer: ACK}
	return s.run(ctx)
}

// encode is what the session would send for cmd now: the records filtered
// by the LR records the session last published for c.
func (fiasProto) encode(d *Driver, c *conn, cmd hotel.Command) ([][]byte, error) {
	var lr linkRecords
	if p := c.lr.Load(); p != nil {
		lr = *p
	}
	recs, err := fiasEncoder{p: d.prof, loc: d.loc, lr: lr}.encode(cmd)
	if err != nil {
		return nil, err
	}
	frames, _ := fiasFrames(recs, d.prof.Framing.LRC)
	return frames, nil
}

type rxItem struct {
	ev  Event
	err error
}

// inbound is a record that passed the link layer (journaled, ACKed).
type inbound struct {
	id  int64
	key string
	raw []byte
	rec Record
	err error
}

type fiasSession struct {
	d  *Driver
	p  *Profile
	c  *conn
	rw io.ReadWriteCloser
	in chan rxItem

	up         bool
	ended      bool        // the PBX sent LE and has not started the link again
	answeredLS time.Time   // when we answered the PBX's LS with ours (zero: not waiting)
	pbxLR      linkRecords // records and fields the PBX asked for (LR); nil: none sent
	lastRx     time.Time   // monotonic, for link_timeout
	lastTx     time.Time   // monotonic, for keep-alive
	lastLS     time.Time
	lastAnswer byte // ACK or NAK we last sent; repeated on ENQ
	backlog    []inbound
}

// enc encodes records as this link start stands.
func (s *fiasSession) enc() fiasEncoder {
	return fiasEncoder{p: s.p, loc: s.d.loc, lr: s.pbxLR}
}

// setLR replaces what the PBX asked for and publishes it for Prepare; lr
// is not changed afterwards (Prepare reads it from another goroutine).
func (s *fiasSession) setLR(lr linkRecords) {
	s.pbxLR = lr
	s.c.lr.Store(&lr)
}

func (s *fiasSession) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.read(ctx)
	defer s.rw.Close() // unblocks the reader
	defer func() {
		if s.up {
			s.linkDown(context.WithoutCancel(ctx), "connection closed", 0)
		}
	}()
	// Give the PBX one keep-alive period to send LS before we do.
	s.lastRx, s.lastTx, s.lastLS = time.Now(), time.Now(), time.Now()
	tick := time.NewTicker(s.tickEvery())
	defer tick.Stop()
	for {
		for len(s.backlog) > 0 {
			ib := s.backlog[0]
			s.backlog = s.backlog[1:]
			if err := s.dispatch(ctx, ib); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			if s.up {
				// FIAS "Link End": sent by the side that stops the link.
				_ = s.sendRecords(context.WithoutCancel(ctx), s.linkRecord("LE"))
			}
			return ctx.Err()
		case it := <-s.in:
			if it.err != nil {
				return it.err
			}
			ib, ok, err := s.rxLink(ctx, it.ev)
			if err != nil {
				return err
			}
			if ok {
				if err := s.dispatch(ctx, ib); err != nil {
					return err
				}
			}
		case r := <-s.c.reqs:
			ack, err := s.handleRequest(ctx, r)
			r.result <- reply{ack, err}
			if errors.Is(err, errTransmit) {
				if err := s.transmitFailed(ctx, err); err != nil {
					return err
				}
			}
		case <-tick.C:
			if err := s.timers(ctx); err != nil {
				return err
			}
		}
	}
}

func (s *fiasSession) tickEvery() time.Duration {
	t := s.p.Timers.Keepalive / 4
	if lt := s.p.Timers.LinkTimeout / 4; lt > 0 && (t == 0 || lt < t) {
		t = lt
	}
	return min(max(t, 5*time.Millisecond), time.Second)
}

// read runs the framer over the stream and hands events to the session.
func (s *fiasSession) read(ctx context.Context) {
	fr := NewFramer(s.p.Framing.LRC)
	buf := make([]byte, 4096)
	for {
		n, err := s.rw.Read(buf)
		if n > 0 {
			fr.Push(buf[:n])
			for ev, ok := fr.Next(); ok; ev, ok = fr.Next() {
				select {
				case s.in <- rxItem{ev: ev}:
				case <-ctx.Done():
					return
				}
			}
		}
		if err != nil {
			// A record cut by the disconnect is still journaled as garbage.
			fr.Flush()
			for ev, ok := fr.Next(); ok; ev, ok = fr.Next() {
				select {
				case s.in <- rxItem{ev: ev}:
				case <-ctx.Done():
					return
				}
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			select {
			case s.in <- rxItem{err: fmt.Errorf("hotelink: read: %w", err)}:
			case <-ctx.Done():
			}
			return
		}
	}
}

func (s *fiasSession) ackMode() bool { return s.p.Framing.Ack == AckACKNAK }

// rxLink is the link layer for one event: journal every frame first, then
// ACK or NAK it on serial links (FIAS "Low level protocol": the receiver
// answers each frame with ACK, or NAK when the LRC is wrong). It returns a
// record for the application layer when ok.
func (s *fiasSession) rxLink(ctx context.Context, ev Event) (inbound, bool, error) {
	s.lastRx = time.Now()
	switch ev.Kind {
	case EvACK, EvNAK:
		s.d.log.Debug("stray link character", "char", ev.Kind.String())
		return inbound{}, false, nil
	case EvENQ:
		// The sender lost our answer: repeat it.
		if s.ackMode() {
			return inbound{}, false, s.write([]byte{s.lastAnswer})
		}
		return inbound{}, false, nil
	}
	var rec Record
	var perr error
	key := ""
	if ev.Kind == EvRecord {
		rec, perr = ParseRecord(ev.Data)
		if perr == nil {
			key = recordKey(rec)
		}
	}
	ids, err := s.d.journalKeyed(ctx, drivers.FromDevice, key, ev.Raw)
	if err != nil {
		return inbound{}, false, err
	}
	id := ids[0]
	switch ev.Kind {
	case EvGarbage:
		return inbound{}, false, s.d.deliver(ctx, drivers.Result{FrameID: id, Err: fmt.Errorf("fias: %d bytes outside a frame", len(ev.Raw))})
	case EvBadLRC:
		if s.ackMode() {
			if err := s.answer(NAK); err != nil {
				return inbound{}, false, err
			}
		}
		return inbound{}, false, s.d.deliver(ctx, drivers.Result{FrameID: id, Err: errors.New("fias: LRC mismatch")})
	}
	if s.ackMode() {
		if err := s.answer(ACK); err != nil {
			return inbound{}, false, err
		}
	}
	return inbound{id: id, key: key, raw: ev.Data, rec: rec, err: perr}, true, nil
}

// recordKey is the business identity of a vendor record that may be sent
// again: a posting by room and P#, a wake-up answer by room, time and AS.
func recordKey(r Record) string {
	rn, _ := r.Get("RN")
	switch r.Type {
	case "PS":
		pn, _ := r.Get("P#")
		return "fias/PS/" + rn + "/" + pn
	case "WA":
		da, _ := r.Get("DA")
		ti, _ := r.Get("TI")
		as, _ := r.Get("AS")
		return "fias/WA/" + rn + "/" + da + ti + "/" + as
	}
	return ""
}

func (s *fiasSession) answer(c byte) error {
	s.lastAnswer = c
	return s.write([]byte{c})
}

func (s *fiasSession) write(b []byte) error {
	if _, err := s.rw.Write(b); err != nil {
		return fmt.Errorf("hotelink: write: %w", err)
	}
	s.lastTx = time.Now()
	return nil
}

// errTransmit marks a frame the PBX never acknowledged.
var errTransmit = errors.New("fias: frame not acknowledged")

// errPBXStart marks a frame whose acknowledgement is no longer awaited
// because the PBX started its link again meanwhile (its LS is answered).
var errPBXStart = fmt.Errorf("%w: the PBX started its link again (LS)", errTransmit)

// sendRecords journals and sends records in order. Without ACK/NAK they go
// out in one write; with it, one frame at a time, each acknowledged.
func (s *fiasSession) sendRecords(ctx context.Context, recs ...Record) error {
	return s.sendFrames(ctx, recs, nil)
}

// fiasFrames frames records for the wire: each frame, and all of them in
// one buffer (the frames are slices of it).
func fiasFrames(recs []Record, lrc bool) (frames [][]byte, all []byte) {
	frames = make([][]byte, len(recs))
	for i, r := range recs {
		start := len(all)
		all = AppendFrame(all, r.AppendTo(nil), lrc)
		frames[i] = all[start:len(all):len(all)]
	}
	return frames, all
}

// sendFrames frames and sends records as sendRecords does. Frames the core
// journaled already (prepared, when they are these very bytes) are written
// without another commit; otherwise they are journaled first.
func (s *fiasSession) sendFrames(ctx context.Context, recs []Record, prepared []hotel.Frame) error {
	if len(recs) == 0 {
		return nil
	}
	frames, all := fiasFrames(recs, s.p.Framing.LRC)
	if !journaledAs(prepared, frames) {
		if len(prepared) > 0 {
			s.d.log.Info("prepared frames are not what the link sends now (new LR records): journaled again", "frames", len(frames))
		}
		if _, err := s.d.journal(ctx, drivers.ToDevice, frames...); err != nil {
			return err
		}
	}
	if !s.ackMode() {
		return s.write(all)
	}
	for _, f := range frames {
		if err := s.transmit(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// transmit sends one frame on an ACK/NAK link (FIAS "Low level protocol"):
// NAK -> send again; no answer within ack_timeout -> ENQ to ask for the
// answer again; after `retries` retransmissions or ENQs the frame fails.
// Frames the PBX sends meanwhile are ACKed and kept for later; an LS among
// them ends the wait at once (FIAS "Link Start": the PBX restarted its
// link, and the frame belonged to the link it left).
func (s *fiasSession) transmit(ctx context.Context, frame []byte) error {
	if err := s.write(frame); err != nil {
		return err
	}
	tries := 0
	timer := time.NewTimer(s.p.Timers.AckTimeout)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case it := <-s.in:
			if it.err != nil {
				return it.err
			}
			switch it.ev.Kind {
			case EvACK:
				return nil
			case EvNAK:
				tries++
				if tries > s.p.Timers.Retries {
					return fmt.Errorf("%w: NAK after %d retransmissions", errTransmit, s.p.Timers.Retries)
				}
				s.d.log.Warn("NAK: retransmitting", "try", tries)
				if _, err := s.d.journal(ctx, drivers.ToDevice, frame); err != nil {
					return err
				}
				if err := s.write(frame); err != nil {
					return err
				}
				timer.Reset(s.p.Timers.AckTimeout)
			default:
				ib, ok, err := s.rxLink(ctx, it.ev)
				if err != nil {
					return err
				}
				if ok {
					s.backlog = append(s.backlog, ib)
					if ib.err == nil && ib.rec.Type == "LS" {
						return errPBXStart
					}
				}
			}
		case <-timer.C:
			tries++
			if tries > s.p.Timers.Retries {
				return fmt.Errorf("%w: no ACK within %v after %d tries", errTransmit, s.p.Timers.AckTimeout, s.p.Timers.Retries)
			}
			s.d.log.Warn("no ACK: sending ENQ", "try", tries)
			if err := s.write([]byte{ENQ}); err != nil {
				return err
			}
			timer.Reset(s.p.Timers.AckTimeout)
		}
	}
}

// dispatch is the application layer for one inbound record.
func (s *fiasSession) dispatch(ctx context.Context, ib inbound) error {
	if ib.err != nil {
		return s.d.deliver(ctx, drivers.Result{FrameID: ib.id, Err: ib.err})
	}
	r := ib.rec
	skip := drivers.Result{FrameID: ib.id, Skipped: true}
	if err := s.reactivate(ctx, ib); err != nil {
		return err
	}
	switch r.Type {
	case "LS":
		return s.onLS(ctx, ib)
	case "LD":
		// FIAS "Link Description": the vendor's date, time, version and
		// interface type (IFPB for a PBX).
		return s.d.deliver(ctx, skip)
	case "LR":
		return s.onLR(ctx, ib)
	case "LA":
		return s.onLA(ctx, ib)
	case "LE":
		return s.onLE(ctx, ib)
	case "DR":
		// FIAS "Database Resync Request": answer DS, the data, DE.
		ev := hotel.LinkEvent{Kind: hotel.LinkResyncRequested, Detail: "DR from PBX", At: s.d.now()}
		if err := s.d.deliver(ctx, drivers.Result{FrameID: ib.id, Record: ev}); err != nil {
			return err
		}
		return s.transmitFailed(ctx, s.resync(ctx))
	case "PS":
		return s.onPosting(ctx, ib)
	}
	recs, err := decodeFIAS(s.p, s.d.loc, r, string(ib.raw))
	if err != nil {
		return s.d.deliver(ctx, drivers.Result{FrameID: ib.id, Err: err})
	}
	if len(recs) == 0 {
		return s.d.deliver(ctx, skip)
	}
	rs := make([]drivers.Result, len(recs))
	for i, rec := range recs {
		rs[i] = drivers.Result{FrameID: ib.id, Record: rec, Key: ib.key}
	}
	return s.d.deliver(ctx, rs...)
}

// onPosting delivers a PS and answers PA with the same P# once the core
// committed it (FIAS "Posting Simple" / "Posting Answer"): a PBX resends
// an unanswered posting, so none is lost and the P# dedupes repeats.
func (s *fiasSession) onPosting(ctx context.Context, ib inbound) error {
	p, err := decodePosting(s.d.loc, ib.rec, string(ib.raw))
	as := "OK"
	if err != nil {
		// Unreadable postings stay in the journal for reprocessing; UR
		// tells the PBX not to resend it forever.
		as = "UR"
		if derr := s.d.deliver(ctx, drivers.Result{FrameID: ib.id, Err: err}); derr != nil {
			return derr
		}
	} else if err := s.d.deliver(ctx, drivers.Result{FrameID: ib.id, Record: p, Key: ib.key}); err != nil {
		return err // no PA: the PBX sends the posting again
	}
	pa := Record{Type: "PA"}
	rn, _ := ib.rec.Get("RN")
	pn, _ := ib.rec.Get("P#")
	da, _ := ib.rec.Get("DA")
	ti, _ := ib.rec.Get("TI")
	pa.Add("RN", rn)
	pa.Add("AS", as)
	pa.Add("P#", pn)
	pa.Add("DA", da)
	pa.Add("TI", ti)
	return s.transmitFailed(ctx, s.sendRecords(ctx, pa))
}

func (s *fiasSession) handleRequest(ctx context.Context, r request) (hotel.CommandAck, error) {
	ref := ""
	if r.cmd != nil {
		ref = r.cmd.Reference()
	}
	if !s.up {
		return hotel.CommandAck{Ref: ref, Reason: "link down"}, hotel.ErrLinkDown
	}
	if r.cmd == nil {
		return hotel.CommandAck{OK: true}, s.resync(ctx)
	}
	recs, err := s.enc().encode(r.cmd)
	if err != nil {
		return hotel.CommandAck{Ref: ref, Reason: err.Error()}, err
	}
	if err := s.sendFrames(ctx, recs, r.prepared); err != nil {
		return hotel.CommandAck{Ref: ref, Reason: err.Error()}, err
	}
	return hotel.CommandAck{Ref: ref, OK: true}, nil
}

// resync sends the StateSource's snapshot: DS, GI and RE per occupied
// room, WR per pending wake-up, DE (FIAS "Database Resync").
func (s *fiasSession) resync(ctx context.Context) error {
	src := s.d.stateSource()
	if src == nil {
		return s.sendRecords(ctx, s.linkRecord("DS"), s.linkRecord("DE"))
	}
	snap, err := src.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("hotelink: resync snapshot: %w", err)
	}
	recs, err := s.resyncRecords(snap)
	if err != nil {
		return err
	}
	return s.sendRecords(ctx, recs...)
}

func (s *fiasSession) resyncRecords(snap hotel.Snapshot) ([]Record, error) {
	e := s.enc()
	recs := make([]Record, 0, 2+2*len(snap.Rooms)+len(snap.Wakeups))
	recs = append(recs, s.linkRecord("DS"))
	add := func(r Record) {
		if f, err := e.filter(r); err == nil {
			recs = append(recs, f)
		}
	}
	for _, rm := range snap.Rooms {
		gi := e.guestInfo("GI", rm.Room, "", rm.Reservation, rm.Guest, rm.Language, rm.VIP)
		gi.Add("SF", "") // FIAS SF (swap flag): this record belongs to a database swap
		add(gi)
		re := Record{Type: "RE"}
		re.Add("RN", string(rm.Room))
		if rm.COS != "" {
			cs, ok := s.p.COS[rm.COS]
			if !ok {
				return nil, fmt.Errorf("room %s: class of service %q not in profile %s", rm.Room, rm.COS, s.p.ID)
			}
			re.Add("CS", cs)
		}
		re.Add("DN", yn(rm.DND))
		re.Add("ML", yn(rm.MWL))
		add(re)
	}
	for _, w := range snap.Wakeups {
		add(e.wakeupRecord("WR", w.Room, w.At))
	}
	return append(recs, s.linkRecord("DE")), nil
}
