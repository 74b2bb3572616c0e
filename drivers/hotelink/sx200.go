package hotelink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"switchboard/drivers"
	"switchboard/internal/events/hotel"
)

// sx200Proto is the Mitel SX-200 PMS interface (the Lodgistix protocol):
// <STX>FC S RRRRR<ETX>, function code, a space, status 1/0, a space, the
// room extension right-aligned in 5 characters (SX-200 ICP MX Technician's
// Handbook p.274); the PBX answers ACK when it understood the message.
type sx200Proto struct{}

func (sx200Proto) serve(ctx context.Context, d *Driver, c *conn, rw io.ReadWriteCloser) error {
	s := &lineSession{d: d, c: c, rw: rw, in: make(chan rxItem, 64)}
	s.onFrame = s.sx200Inbound
	s.encode = func(cmd hotel.Command) ([][]byte, error) { return sx200Encode(d, cmd) }
	return s.run(ctx)
}

// encode: an SX-200 message depends on the profile only.
func (sx200Proto) encode(d *Driver, _ *conn, cmd hotel.Command) ([][]byte, error) {
	return sx200Encode(d, cmd)
}

// lineSession runs the simple serial protocols (SX-200, Shenou): the link is
// up while the port is open; each command is one message answered by the
// PBX (ACK, or the Shenou R10 echo).
type lineSession struct {
	d  *Driver
	c  *conn
	rw io.ReadWriteCloser
	in chan rxItem

	encode  func(hotel.Command) ([][]byte, error)
	onFrame func(ctx context.Context, id int64, ev Event) error
	// answered reports whether what arrived answers msg (nil: ACK/NAK).
	answered func(buf []byte, msg []byte) bool
	rxBuf    []byte
}

func (s *lineSession) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.read(ctx)
	defer s.rw.Close()
	s.d.linkState(ctx, s.c, hotel.LinkEvent{Kind: hotel.LinkUp, Detail: s.d.endpoint(), At: s.d.now()}, 0)
	defer s.d.linkState(context.WithoutCancel(ctx), s.c, hotel.LinkEvent{Kind: hotel.LinkDown, Detail: "port closed", At: s.d.now()}, 0)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case it := <-s.in:
			if it.err != nil {
				return it.err
			}
			if err := s.rx(ctx, it.ev); err != nil {
				return err
			}
		case r := <-s.c.reqs:
			ack, err := s.handle(ctx, r)
			r.result <- reply{ack, err}
		}
	}
}

func (s *lineSession) read(ctx context.Context) {
	fr := NewFramer(false)
	buf := make([]byte, 1024)
	for {
		n, err := s.rw.Read(buf)
		if n > 0 {
			var evs []Event
			if s.answered != nil {
				// Unframed protocol: every chunk is one journal frame.
				evs = append(evs, Event{Kind: EvRecord, Data: append([]byte(nil), buf[:n]...), Raw: append([]byte(nil), buf[:n]...)})
			} else {
				fr.Push(buf[:n])
				for ev, ok := fr.Next(); ok; ev, ok = fr.Next() {
					evs = append(evs, ev)
				}
			}
			for _, ev := range evs {
				select {
				case s.in <- rxItem{ev: ev}:
				case <-ctx.Done():
					return
				}
			}
		}
		if err != nil {
			select {
			case s.in <- rxItem{err: fmt.Errorf("hotelink: read: %w", err)}:
			case <-ctx.Done():
			}
			return
		}
	}
}

// rx handles an inbound event outside of a command exchange.
func (s *lineSession) rx(ctx context.Context, ev Event) error {
	switch ev.Kind {
	case EvACK, EvNAK, EvENQ:
		return nil // stray: no command is waiting
	}
	ids, err := s.d.journal(ctx, drivers.FromDevice, ev.Raw)
	if err != nil {
		return err
	}
	if ev.Kind == EvGarbage || ev.Kind == EvBadLRC {
		return s.d.deliver(ctx, drivers.Result{FrameID: ids[0], Err: fmt.Errorf("%d bytes outside a frame", len(ev.Raw))})
	}
	return s.onFrame(ctx, ids[0], ev)
}

func (s *lineSession) handle(ctx context.Context, r request) (hotel.CommandAck, error) {
	if r.cmd == nil {
		return hotel.CommandAck{OK: true}, nil // nothing to resync: these PBXs keep their own state
	}
	ref := r.cmd.Reference()
	msgs, err := s.encode(r.cmd)
	if err != nil {
		ack := hotel.CommandAck{Ref: ref, Reason: err.Error()}
		if errors.Is(err, hotel.ErrUnsupported) {
			ack.OperatorTask = true
		}
		return ack, err
	}
	// Messages the core journaled with the command are written as they
	// are (first try); these protocols number nothing, so they match.
	journaled := journaledAs(r.prepared, msgs)
	for _, m := range msgs {
		if err := s.exchange(ctx, m, journaled); err != nil {
			return hotel.CommandAck{Ref: ref, Reason: err.Error()}, err
		}
	}
	return hotel.CommandAck{Ref: ref, OK: true}, nil
}

// exchange journals and writes msg, then waits for its answer: ACK (NAK ->
// send again) or, for unframed protocols, the answer string. Up to
// `retries` retransmissions, each journaled; the first is not when the
// core journaled msg already.
func (s *lineSession) exchange(ctx context.Context, msg []byte, journaled bool) error {
	p := s.d.prof
	for try := 0; ; try++ {
		if try > p.Timers.Retries {
			return fmt.Errorf("%w: no acknowledgement after %d retransmissions", hotel.ErrNotAccepted, p.Timers.Retries)
		}
		if try > 0 || !journaled {
			if _, err := s.d.journal(ctx, drivers.ToDevice, msg); err != nil {
				return err
			}
		}
		if _, err := s.rw.Write(msg); err != nil {
			return fmt.Errorf("hotelink: write: %w", err)
		}
		s.rxBuf = s.rxBuf[:0]
		ok, err := s.await(ctx, msg)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
}

// await returns true on a positive answer, false on NAK or timeout.
func (s *lineSession) await(ctx context.Context, msg []byte) (bool, error) {
	timer := time.NewTimer(s.d.prof.Timers.AckTimeout)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-timer.C:
			return false, nil
		case it := <-s.in:
			if it.err != nil {
				return false, it.err
			}
			switch it.ev.Kind {
			case EvACK:
				if s.answered == nil {
					return true, nil
				}
			case EvNAK:
				if s.answered == nil {
					return false, nil
				}
			default:
				raw := it.ev.Raw
				if err := s.rx(ctx, it.ev); err != nil {
					return false, err
				}
				if s.answered != nil {
					s.rxBuf = append(s.rxBuf, raw...)
					if s.answered(s.rxBuf, msg) {
						return true, nil
					}
				}
			}
		}
	}
}

func sx200Msg(d *Driver, fn, status string, room hotel.Room, extra string) ([]byte, error) {
	w := d.prof.SX200.RoomWidth
	r := strings.TrimSpace(string(room))
	if r == "" || len(r) > w {
		return nil, fmt.Errorf("%w: room %q does not fit %d characters", hotel.ErrNotAccepted, room, w)
	}
	b := []byte{STX}
	b = append(b, fn...)
	b = append(b, ' ')
	b = append(b, status...)
	b = append(b, ' ')
	b = append(b, strings.Repeat(" ", w-len(r))...)
	b = append(b, r...)
	b = append(b, extra...)
	return append(b, ETX), nil
}

// sx200Encode turns a command into SX-200 PMS messages.
func sx200Encode(d *Driver, cmd hotel.Command) ([][]byte, error) {
	fns := d.prof.SX200.Functions
	fn := func(name string) (string, error) {
		f, ok := fns[name]
		if !ok {
			return "", fmt.Errorf("%w: profile %s has no SX-200 function %q", hotel.ErrUnsupported, d.prof.ID, name)
		}
		return f, nil
	}
	one := func(name, status string, room hotel.Room, extra string) ([][]byte, error) {
		f, err := fn(name)
		if err != nil {
			return nil, err
		}
		m, err := sx200Msg(d, f, status, room, extra)
		if err != nil {
			return nil, err
		}
		return [][]byte{m}, nil
	}
	bit := map[bool]string{true: "1", false: "0"}
	switch c := cmd.(type) {
	case hotel.MWL:
		return one("mwl", bit[c.On], c.Room, "")
	case hotel.DND:
		return one("dnd", bit[c.On], c.Room, "")
	case hotel.CheckIn:
		msgs, err := one("checkin", "1", c.Room, "")
		if err != nil || c.COS == "" {
			return msgs, err
		}
		more, err := sx200COS(d, c.Room, c.COS)
		return append(msgs, more...), err
	case hotel.CheckOut:
		return one("checkin", "0", c.Room, "")
	case hotel.SetCOS:
		return sx200COS(d, c.Room, c.COS)
	case hotel.WakeupSet:
		return one("wakeup", "1", c.Room, " "+c.At.In(d.loc).Format("1504"))
	case hotel.WakeupCancel:
		return one("wakeup", "0", c.Room, " "+c.At.In(d.loc).Format("1504"))
	}
	return nil, fmt.Errorf("%w: %T on the SX-200 PMS link: do it at the console", hotel.ErrUnsupported, cmd)
}

func sx200COS(d *Driver, room hotel.Room, cos hotel.COS) ([][]byte, error) {
	v, ok := d.prof.COS[cos]
	if !ok {
		return nil, fmt.Errorf("%w: class of service %q not in profile %s", hotel.ErrNotAccepted, cos, d.prof.ID)
	}
	f, ok := d.prof.SX200.Functions["cos"]
	if !ok {
		return nil, fmt.Errorf("%w: profile %s has no SX-200 function cos", hotel.ErrUnsupported, d.prof.ID)
	}
	m, err := sx200Msg(d, f, v, room, "")
	if err != nil {
		return nil, err
	}
	return [][]byte{m}, nil
}

// sx200Inbound handles a message from the PBX: ACK it, then deliver it.
func (s *lineSession) sx200Inbound(ctx context.Context, id int64, ev Event) error {
	if _, err := s.rw.Write([]byte{ACK}); err != nil {
		return fmt.Errorf("hotelink: write: %w", err)
	}
	rec, err := ParseSX200(ev.Data, s.d.prof, s.d.now().In(s.d.loc))
	return s.d.deliver(ctx, drivers.Result{FrameID: id, Record: rec, Err: err})
}

// ParseSX200 reads one PBX -> PMS message (without STX/ETX): maid status
// (function maid, status = code dialed) or a wake-up result (function
// wakeup_result, status 1 answered / 0 no answer, then HHMM). now dates a
// wake-up result, which carries only the time.
func ParseSX200(msg []byte, p *Profile, now time.Time) (any, error) {
	parts := strings.Fields(string(msg))
	if len(parts) < 3 {
		return nil, fmt.Errorf("sx200: %q: want function, status and room", msg)
	}
	fn, status, room := parts[0], parts[1], hotel.Room(parts[2])
	fns := p.SX200.Functions
	switch fn {
	case fns["maid"]:
		n, err := strconv.Atoi(status)
		if err != nil {
			return nil, fmt.Errorf("sx200: maid status %q is not a number", status)
		}
		return hotel.RoomStatus{Room: room, Code: n, Label: p.RoomStatus[n], Raw: string(msg)}, nil
	case fns["wakeup_result"]:
		r := hotel.WakeupResult{Room: room, Status: hotel.WakeupNoAnswer, Code: status, Raw: string(msg)}
		if status == "1" {
			r.Status = hotel.WakeupAnswered
		}
		if len(parts) > 3 {
			t, err := time.ParseInLocation("1504", parts[3], now.Location())
			if err != nil {
				return nil, fmt.Errorf("sx200: wake-up time %q is not HHMM", parts[3])
			}
			r.At = time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), 0, 0, now.Location())
		}
		return r, nil
	}
	return nil, fmt.Errorf("sx200: function %q not handled", fn)
}
