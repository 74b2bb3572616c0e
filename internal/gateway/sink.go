package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"switchboard/drivers"
	"switchboard/internal/config"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/store"
	"switchboard/internal/unparsed"
)

// deviceSink is the core's side of one device: it journals frames, turns
// what the driver made of them into ledger rows and outbox events, and
// publishes link state. It is the only place where a driver's output meets
// the store.
type deviceSink struct {
	g       *Gateway
	dev     desk.Device
	device  string
	driver  string
	profile string
	domain  string
	log     *slog.Logger

	mu     sync.Mutex
	health unparsed.Rate      // the share of unreadable frames: an alert
	noise  unparsed.Coalescer // which unreadable frames are published
	// seen, when set, hears what became of each frame once its delivery
	// committed (reprocess counts with it).
	seen func(r drivers.Result, status, note string)
}

func (g *Gateway) newSink(d config.Device) *deviceSink {
	dom := g.domainOf(d.Driver)
	return &deviceSink{g: g, device: d.ID, driver: d.Driver, profile: d.Profile, domain: dom,
		dev: g.deskDevice(d),
		log: g.log.With("device", d.ID), health: unparsed.Rate{Window: 20}, noise: g.tuning.Noise}
}

func (s *deviceSink) Journal(ctx context.Context, dir drivers.Direction, frames []drivers.Frame, at time.Time) ([]int64, error) {
	return s.g.st.AppendFrames(ctx, s.device, s.profile, string(dir), at, newFrames(frames))
}

func newFrames(frames []drivers.Frame) []store.NewFrame {
	nf := make([]store.NewFrame, len(frames))
	for i, f := range frames {
		nf[i] = store.NewFrame{Raw: f.Data, Key: f.Key}
	}
	return nf
}

// deskDevice is a configured device as the desks see it.
func (g *Gateway) deskDevice(d config.Device) desk.Device {
	return desk.Device{ID: d.ID, Driver: d.Driver, Profile: d.Profile, Domain: g.domainOf(d.Driver), Options: d.Options}
}

// tailSink is the sink of a device on a serial line: it also keeps the
// record being received (drivers.TailKeeper).
type tailSink struct{ *deviceSink }

// JournalTail journals frames and keeps the device's unfinished record in
// the same transaction.
func (s tailSink) JournalTail(ctx context.Context, dir drivers.Direction, frames []drivers.Frame, tail []byte, at time.Time) ([]int64, error) {
	return s.g.st.AppendFramesTail(ctx, s.device, s.profile, string(dir), at, newFrames(frames), tail)
}

// KeptTail is the unfinished record kept when the gateway last stopped.
func (s tailSink) KeptTail(ctx context.Context) ([]byte, time.Time, error) {
	return s.g.st.KeptTail(ctx, s.device)
}

func (s *deviceSink) LinkState(st events.DeviceState) {
	attrs := []any{"state", st.State, "endpoint", st.Endpoint}
	if st.Error != "" {
		attrs = append(attrs, "err", st.Error)
	}
	if st.State == "connected" {
		s.log.Info("device link up", attrs...)
	} else {
		s.log.Warn("device link "+st.State, attrs...)
	}
	if st.Since.IsZero() {
		st.Since = time.Now()
	}
	st.Since = st.Since.In(s.g.loc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.g.SetState(ctx, s.domain, s.device, "link", st); err != nil {
		s.log.Warn("link state not stored", "err", err)
	}
}

// Deliver commits every result and its events in one transaction.
func (s *deviceSink) Deliver(ctx context.Context, results []drivers.Result) error {
	return s.commit(ctx, func(*store.Tx) ([]drivers.Result, error) { return results, nil })
}

// Commit journals a read's frames and delivers what the driver made of
// them in one transaction (drivers.Committer).
func (s *deviceSink) Commit(ctx context.Context, dir drivers.Direction, frames []drivers.Frame, tail []byte, keepTail bool, at time.Time,
	interpret func(ids []int64) []drivers.Result) error {
	return s.commit(ctx, func(tx *store.Tx) ([]drivers.Result, error) {
		ids, err := tx.AppendFrames(s.device, s.profile, string(dir), at, newFrames(frames))
		if err != nil {
			return nil, err
		}
		if keepTail {
			if err := tx.KeepTail(s.device, at, tail); err != nil {
				return nil, err
			}
		}
		return interpret(ids), nil
	})
}

// commit applies the results results gives in one transaction.
func (s *deviceSink) commit(ctx context.Context, results func(tx *store.Tx) ([]drivers.Result, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	health, noise := s.health, s.noise
	var alerts []store.Event
	var outcomes []desk.Outcome
	var rs []drivers.Result
	at := s.g.Now()
	err := s.g.st.InTx(ctx, func(tx *store.Tx) (err error) {
		alerts = alerts[:0]
		// A retried transaction starts from the same windows.
		s.health, s.noise = health, noise
		if rs, err = results(tx); err != nil {
			return err
		}
		outcomes = make([]desk.Outcome, len(rs))
		for i, r := range rs {
			out, err := s.deliverOne(tx, r, at)
			if err != nil {
				return fmt.Errorf("journal frame %d: %w", r.FrameID, err)
			}
			outcomes[i] = out
			if r.Skipped {
				continue
			}
			for range max(r.Lines, 1) {
				if ev, ok := s.health.Observe(r.Err != nil); ok {
					alerts = append(alerts, s.alertEvent(ev, r.FrameID))
				}
			}
		}
		for _, ev := range alerts {
			if _, _, err := tx.Enqueue(ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.health, s.noise = health, noise
		return err
	}
	for _, ev := range alerts {
		s.log.Warn("device alert", "type", ev.Type, "alert", fmt.Sprint(ev.Data))
	}
	s.g.notify()
	if s.seen != nil {
		for i, r := range rs {
			s.seen(r, outcomes[i].Status, outcomes[i].Note)
		}
	}
	return nil
}

// deliverOne applies one result: the journal frame is marked with what
// became of it (unparsed frames are published for a person to look at).
func (s *deviceSink) deliverOne(tx *store.Tx, r drivers.Result, at time.Time) (desk.Outcome, error) {
	out, err := s.route(tx, r)
	if err != nil || r.FrameID == 0 {
		return out, err
	}
	if out.Status == "" {
		out.Status = store.FrameParsed
	}
	if err := tx.MarkFrame(r.FrameID, out.Status, out.Note); err != nil {
		return out, err
	}
	if r.Err == nil {
		return out, nil
	}
	publish, due := s.noise.Observe(r.FrameID, r.Err.Error(), at)
	if err := s.publishSummary(tx, due); err != nil {
		return out, err
	}
	if publish {
		_, _, err = tx.Enqueue(s.unparsedEvent(tx, r))
	}
	return out, err
}

// publishSummary enqueues the summary of a window of held-back unreadable
// frames (nothing when it covers none).
func (s *deviceSink) publishSummary(tx *store.Tx, sum unparsed.Summary) error {
	if sum.Count == 0 {
		return nil
	}
	raw, err := tx.FrameRaw(sum.SampleID)
	if err != nil {
		return err
	}
	raw = s.g.Biller().MaskDigits(raw) // billing.mask_dialed
	typ := s.unparsedType()
	_, _, err = tx.Enqueue(store.Event{Type: typ, Topic: s.g.topics.Event(s.domain, s.device, typ), Source: s.g.topics.Source(s.domain, s.device),
		Subject: fmt.Sprintf("journal/%d", sum.SampleID), IdemKey: fmt.Sprintf("%s/journal/%d-%d", s.device, sum.FirstID, sum.LastID),
		Data: sum.Event(s.device, s.profile, raw, s.g.loc)})
	return err
}

// flushNoise publishes the summary of a window of noise that is over (no
// frame came after it to close it).
func (s *deviceSink) flushNoise(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	noise := s.noise
	sum := s.noise.Due(s.g.Now())
	if sum.Count == 0 {
		return
	}
	if err := s.g.st.InTx(ctx, func(tx *store.Tx) error { return s.publishSummary(tx, sum) }); err != nil {
		s.noise = noise
		s.log.Warn("summary of unreadable frames not recorded; tried again", "err", err)
		return
	}
	s.g.notify()
}

// route hands a record to the first desk that takes it.
func (s *deviceSink) route(tx *store.Tx, r drivers.Result) (desk.Outcome, error) {
	switch {
	case r.Skipped:
		return desk.Skipped, nil
	case r.Err != nil:
		return desk.Refused(r.Err.Error()), nil
	}
	dr := desk.Record{Device: s.dev, FrameID: r.FrameID, Key: r.Key, Value: r.Record}
	for _, d := range s.g.desks {
		if h, ok := d.(desk.RecordHandler); ok && h.Takes(dr) {
			// What the desk enqueues for the record is the frame's doing:
			// kept with the frame for reconciliation.
			tx.ForFrame(r.FrameID)
			defer tx.ForFrame(0)
			return h.HandleRecord(tx, dr)
		}
	}
	return desk.Refused(fmt.Sprintf("no desk takes %T records", r.Record)), nil
}

func (s *deviceSink) unparsedEvent(tx *store.Tx, r drivers.Result) store.Event {
	raw, _ := tx.FrameRaw(r.FrameID)
	raw = s.g.Biller().MaskDigits(raw) // billing.mask_dialed
	u := events.Unparsed{Device: s.device, Profile: s.profile, JournalID: r.FrameID, Received: s.g.Now().In(s.g.loc), Reason: r.Err.Error(),
		Action: "kept in the journal; fix the profile or the port settings, then `switchboard reprocess --since ...`"}
	events.SetRaw(&u, raw)
	typ := s.unparsedType()
	return store.Event{Type: typ, Topic: s.g.topics.Event(s.domain, s.device, typ), Source: s.g.topics.Source(s.domain, s.device),
		Subject: fmt.Sprintf("journal/%d", r.FrameID), IdemKey: fmt.Sprintf("%s/journal/%d", s.device, r.FrameID), Data: u}
}

// unparsedType is the event of an unreadable frame of this device.
func (s *deviceSink) unparsedType() string {
	if e, _ := s.g.reg.Lookup(s.driver); e.Kind == drivers.KindSMDR {
		return "hotel." + s.domain + ".smdr.unparsed"
	}
	return "hotel." + s.domain + ".frame.unparsed"
}

func (s *deviceSink) alertEvent(a events.Alert, frameID int64) store.Event {
	a.Device = s.device
	typ := "hotel." + s.domain + ".device.alert"
	return store.Event{Type: typ, Topic: s.g.topics.Event(s.domain, s.device, typ), Source: s.g.topics.Source(s.domain, s.device),
		Subject: "device/" + s.device, IdemKey: fmt.Sprintf("%s/%s/%s/%d", s.device, a.Alert, a.State, frameID), Data: a}
}
