// Package faxmodem is the host side of a Class 1 fax modem (ITU-T T.31):
// the gateway runs T.30 itself, as HylaFAX does, so that it sees every
// page's confirmation (MCF/RTN) that billing needs. It owns the AT layer
// (commands, result codes, DLE-shielded data, XON/XOFF), HDLC framing over
// AT+FTH/AT+FRH, the T.30 state machine for calling and answering, and
// modem quirks from firmware profiles (firmware-profiles/faxmodem).
//
// The core calls Send with a SendJob and gets a SendResult; a fax received
// is delivered through the drivers.Sink as a Received record. Every AT
// exchange, HDLC frame and T.30 decision is journaled first.
package faxmodem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/drivers"
	"switchboard/internal/events/fax"
)

// Entry is this driver in the registry (drivers/all).
func Entry() drivers.Entry {
	return drivers.Entry{Name: "faxmodem", Domain: "fax", Kind: drivers.KindFaxModem, Transport: true, Profiled: true,
		CheckProfile: func(id, dir string) error {
			if id == "auto" {
				return nil // probed on each connection
			}
			if _, err := LoadProfile(id, dir); err != nil {
				return fmt.Errorf("no fax modem profile %q (have auto and %v)", id, ProfileIDs())
			}
			return nil
		},
		ProfileIDs: ProfileIDs,
		New:        func(dev drivers.Device, deps drivers.Deps) (drivers.Driver, error) { return New(dev, deps) }}
}

// Driver is one fax modem.
type Driver struct {
	dev  drivers.Device
	prof *Profile // nil: probe at each connection
	link drivers.Opener
	sink drivers.Sink
	log  *slog.Logger
	now  func() time.Time

	// AnswerRings: answer after this many RINGs (0: never answer).
	AnswerRings int
	// Ident is our CSI when answering and the default TSI.
	Ident string
	// T4 is the response timer (T.30 §5.4.3.1: 3 s ± 15 %; 4.5 s is used
	// by some terminals on long-delay circuits).
	T4 time.Duration

	// ecmFaults is a test hook (ecm.go), set by the package's tests
	// before Run; zero in production.
	ecmFaults ecmFaults

	reqs    chan sendReq
	seq     atomic.Int64
	mu      sync.Mutex
	current string
	react   *reactionStats
}

type sendReq struct {
	ctx   context.Context
	job   fax.SendJob
	reply chan sendReply
}

type sendReply struct {
	res fax.SendResult
	err error
}

var (
	_ drivers.Driver = (*Driver)(nil)
	_ fax.Modem      = (*Driver)(nil)
)

// New builds a driver. dev.Profile names a profile ("" or "auto": probe the
// modem); dev.Options may set rings (answer after N rings), ident, t4 (a
// Go duration).
func New(dev drivers.Device, deps drivers.Deps) (*Driver, error) {
	d := &Driver{dev: dev, link: deps.Link, sink: deps.Sink, log: deps.Log, now: time.Now,
		AnswerRings: 2, T4: T4, reqs: make(chan sendReq), react: newReactionStats()}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if dev.Profile != "" && dev.Profile != "auto" {
		p, err := LoadProfile(dev.Profile, dev.ProfileDir)
		if err != nil {
			return nil, fmt.Errorf("device %s: %w", dev.ID, err)
		}
		d.prof = p
	}
	for k, v := range dev.Options {
		s := fmt.Sprint(v)
		switch k {
		case "rings":
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("device %s: option rings %q", dev.ID, s)
			}
			d.AnswerRings = n
		case "ident":
			d.Ident = s
		case "t4":
			t, err := time.ParseDuration(s)
			if err != nil || t < time.Second {
				return nil, fmt.Errorf("device %s: option t4 %q", dev.ID, s)
			}
			d.T4 = t
		default:
			return nil, fmt.Errorf("device %s: unknown option %q (rings, ident, t4)", dev.ID, k)
		}
	}
	if d.sink == nil {
		return nil, fmt.Errorf("device %s: faxmodem needs a sink", dev.ID)
	}
	if d.link == nil {
		return nil, fmt.Errorf("device %s: faxmodem needs a link (serial port)", dev.ID)
	}
	d.log = d.log.With("device", dev.ID)
	return d, nil
}

// Run serves the modem until ctx ends; the link reopens the port after an
// error (a modem reset by closing the port included).
func (d *Driver) Run(ctx context.Context) error {
	return d.link.Run(ctx, d.Serve)
}

// Send dials job.Number and sends the pages. It waits until the modem is
// free of an incoming call. The result is complete even on error.
func (d *Driver) Send(ctx context.Context, job fax.SendJob) (fax.SendResult, error) {
	r := sendReq{ctx: ctx, job: job, reply: make(chan sendReply, 1)}
	select {
	case d.reqs <- r:
	case <-ctx.Done():
		return fax.SendResult{Error: fax.ErrBusy.Error(), Retryable: true}, fax.ErrBusy
	}
	select {
	case rep := <-r.reply:
		return rep.res, rep.err
	case <-ctx.Done():
		rep := <-r.reply // the call ends promptly once ctx is done
		return rep.res, rep.err
	}
}

// Serve runs one connection to the modem (the Opener's session): probe,
// init, then wait for a job or for RINGs.
func (d *Driver) Serve(ctx context.Context, rw io.ReadWriteCloser) error {
	defer rw.Close()
	m := NewModem(rw, d.profileOrDefault(), nil)
	m.react = d.react
	prof := d.prof
	if prof == nil {
		pr, id, err := probe(ctx, m)
		if err != nil {
			return fmt.Errorf("probe: %w", err)
		}
		prof, err = LoadProfile(id, d.dev.ProfileDir)
		if err != nil {
			return err
		}
		d.log.Info("modem probed", "profile", id, "fclass", pr.FClass, "fmi", pr.FMI, "ati3", pr.ATI3)
	}
	m.prof = prof
	if err := initModem(ctx, m, prof); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	d.log.Info("modem ready", "profile", prof.ID)
	for {
		select {
		case <-ctx.Done():
			return nil
		case r := <-d.reqs:
			res, err := d.runSend(r.ctx, m, prof, r.job)
			r.reply <- sendReply{res, err}
			if errors.Is(err, fax.ErrModemGone) {
				return err
			}
			if err := initModem(ctx, m, prof); err != nil {
				return fmt.Errorf("re-init after a call: %w", err)
			}
		default:
		}
		line, err := m.readLine(ctx, time.Now().Add(100*time.Millisecond), true)
		switch {
		case errors.Is(err, ErrTimeout):
			continue
		case err != nil:
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if line != "RING" && !(len(line) > 5 && line[:5] == "RING ") {
			continue
		}
		n := int(m.rings.Load())
		if d.AnswerRings > 0 && n >= d.AnswerRings {
			m.Rings()
			if err := d.runReceive(ctx, m, prof); errors.Is(err, fax.ErrModemGone) {
				return err
			}
			if err := initModem(ctx, m, prof); err != nil {
				return fmt.Errorf("re-init after a call: %w", err)
			}
		}
	}
}

func (d *Driver) profileOrDefault() *Profile {
	if d.prof != nil {
		return d.prof
	}
	return DefaultProfile()
}

// initModem resets the modem and sends the profile's init strings.
func initModem(ctx context.Context, m *Modem, prof *Profile) error {
	var err error
	for try := 0; try < 3; try++ {
		if _, err = m.Expect(ctx, "AT", "OK", 2*time.Second); err == nil {
			break
		}
		if errors.Is(err, fax.ErrModemGone) {
			return err
		}
	}
	if err != nil {
		return err
	}
	for _, cmd := range prof.Init {
		if _, err := m.Expect(ctx, cmd, "OK", 3*time.Second); err != nil {
			return err
		}
	}
	m.Rings()
	return nil
}

func (d *Driver) newCall(m *Modem, prof *Profile, key string) *call {
	j := newJournal(d.sink, key, d.now)
	m.tr = j
	return &call{m: m, prof: prof, j: j, t4: d.T4, faults: d.ecmFaults}
}

func (d *Driver) sessionKey(kind, key string) string {
	if key != "" {
		return key
	}
	return fmt.Sprintf("%s/%s/%s-%d", d.dev.ID, kind, d.now().UTC().Format("20060102T150405.000"), d.seq.Add(1))
}

func (d *Driver) runSend(ctx context.Context, m *Modem, prof *Profile, job fax.SendJob) (fax.SendResult, error) {
	key := d.sessionKey("tx", job.Key)
	res := fax.SendResult{Key: key, Number: job.Number, Start: d.now(), Profile: prof.ID}
	if job.Ident == "" {
		job.Ident = d.Ident
	}
	if job.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, job.Timeout)
		defer cancel()
	}
	c := d.newCall(m, prof, key)
	if prof.ECM && !job.NoECM {
		// ECM is negotiated only where implemented (see ecm.go).
		job.NoECM = !ecmSupported
	}
	err := c.send(ctx, job, &res)
	if err != nil {
		c.j.t30("call failed: %v", err)
	}
	c.hangup(ctx)
	m.tr = nil
	res.Duration = d.now().Sub(res.Start)
	if err != nil {
		res.Error = err.Error()
		res.Retryable = retryable(err)
	}
	if _, jerr := c.j.flush(); jerr != nil {
		d.log.Error("journal", "err", jerr)
	}
	res.Trace = c.j.text()
	d.log.Info("fax sent", "key", key, "pages", res.Pages, "confirmed", res.PagesConfirmed, "bitrate", res.BitRate, "err", err)
	return res, err
}

func (d *Driver) runReceive(ctx context.Context, m *Modem, prof *Profile) error {
	key := d.sessionKey("rx", "")
	rec := fax.Received{Key: key, Start: d.now()}
	c := d.newCall(m, prof, key)
	err := c.receive(ctx, d.Ident, &rec)
	if err != nil {
		c.j.t30("call failed: %v", err)
		rec.Error = err.Error()
	}
	c.hangup(ctx)
	m.tr = nil
	rec.Duration = d.now().Sub(rec.Start)
	last, jerr := c.j.flush()
	rec.Trace = c.j.text()
	if jerr != nil {
		d.log.Error("journal", "err", jerr)
		return jerr
	}
	if len(rec.Pages) > 0 || err == nil {
		if derr := d.sink.Deliver(context.WithoutCancel(ctx), []drivers.Result{{FrameID: last, Record: rec, Key: key}}); derr != nil {
			d.log.Error("deliver", "err", derr)
		}
	}
	d.log.Info("fax received", "key", key, "pages", len(rec.Pages), "remote", rec.RemoteID, "err", err)
	return err
}
