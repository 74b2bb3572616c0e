// Package gateway assembles the daemon: it opens the store, starts the
// embedded broker or connects to an external one, runs the outbox publisher
// and the command router, and supervises the devices of the config. It is
// the only package that knows every other one; drivers and the core stay
// ignorant of each other.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/drivers"
	"switchboard/drivers/all"
	"switchboard/internal/bus"
	"switchboard/internal/business"
	"switchboard/internal/config"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/faxdesk"
	"switchboard/internal/folio"
	"switchboard/internal/hoteldesk"
	"switchboard/internal/printdesk"
	"switchboard/internal/rating"
	"switchboard/internal/store"
	"switchboard/internal/unparsed"
)

// Version is set at build time (-ldflags "-X switchboard/internal/gateway.Version=...").
var Version = "dev"

// Gateway is one running daemon.
type Gateway struct {
	cfg    *config.Config
	log    *slog.Logger
	loc    *time.Location
	topics events.Topics
	bootID string
	start  time.Time

	st       *store.Store
	broker   *bus.Broker
	client   *bus.Client
	outbox   *bus.Outbox
	router   *bus.Router
	retained *bus.Retained
	probe    *bus.Probe // external broker only
	biller   atomic.Pointer[folio.Biller]
	closing  atomic.Bool

	// Now is the gateway's clock (tests replace it): the desks read it.
	Now func() time.Time

	reg *drivers.Registry // the drivers the config may name

	workersMu sync.Mutex
	workers   []func(ctx context.Context) // started by Run, stopped with it

	// The desks, in the order they were attached: a record goes to the
	// first that takes it, a device to every one that can use it.
	desks   []any
	calls   *folio.Desk
	hotel   *hoteldesk.Desk
	print   *printdesk.Desk
	fax     *faxdesk.Desk
	tuning  Tuning
	drvMu   sync.Mutex
	drivers map[string]drivers.Driver // the running devices' drivers

	wg sync.WaitGroup
}

// Tuning changes the desks' waits and limits from their defaults (tests
// shorten them); the zero Tuning is production's. What the config sets is
// ignored here but for the fax and e-mail retries (tests: < 1 s).
type Tuning struct {
	Hotel hoteldesk.Options
	Print printdesk.Options
	Fax   faxdesk.Options
	Noise unparsed.Coalescer // unreadable frames summed up (default: 5 a minute alone)
	// ProbeInterval replaces mqtt.external.probe_interval_s (tests: < 1 s).
	ProbeInterval time.Duration
}

// New opens the store and prepares the MQTT side; Run starts everything.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Gateway, error) {
	return NewTuned(ctx, cfg, log, Tuning{})
}

// NewTuned is New with the desks' waits and limits tuned.
func NewTuned(ctx context.Context, cfg *config.Config, log *slog.Logger, t Tuning) (*Gateway, error) {
	loc, err := time.LoadLocation(cfg.Site.Timezone)
	if err != nil {
		return nil, fmt.Errorf("site.timezone: %w", err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	g := &Gateway{
		cfg:    cfg,
		log:    log,
		loc:    loc,
		topics: events.Topics{Group: cfg.Site.Group, Property: cfg.Site.Property, Gateway: cfg.Site.Gateway},
		bootID: hex.EncodeToString(b[:]),
		start:  time.Now(),
		Now:    time.Now,
		tuning: t,
		reg:    all.Registry(),
	}
	bl, err := folio.LoadBiller(cfg, g.topics, g.loc, g.isPBX)
	if err != nil {
		return nil, err
	}
	g.biller.Store(bl)
	if g.st, err = store.Open(ctx, cfg.Store.Path); err != nil {
		return nil, err
	}
	if err := g.openBus(ctx); err != nil {
		g.st.Close()
		return nil, err
	}
	if err := g.attachDesks(); err != nil {
		if g.broker != nil {
			g.broker.Close()
		}
		g.st.Close()
		return nil, err
	}
	return g, nil
}

func (g *Gateway) openBus(ctx context.Context) error {
	cl, br, err := bus.OpenSession(bus.SessionOptions{MQTT: g.cfg.MQTT, Topics: g.topics, Socket: bus.LocalSocket(g.cfg.Store.Path),
		Will: g.statusPayload(bus.Status{State: "offline", Reason: "connection lost"}), Log: g.log})
	if err != nil {
		return err
	}
	g.broker = br
	g.client = cl
	g.outbox = bus.NewOutbox(g.st, cl, g.log)
	g.router = bus.NewRouter(g.topics, g.st, g.enqueueReply, g.log)
	g.retained = bus.NewRetained(g.st, cl, g.log)
	g.router.Handle("edge", "ping", bus.Ping{Gateway: g.cfg.Site.Gateway, Loc: g.loc, BootID: g.bootID, Version: Version})
	g.router.Handle("edge", "replay", bus.Replay{Gateway: g.cfg.Site.Gateway, Outbox: g.outbox})
	if g.broker != nil {
		// The embedded broker says who sent each command and ack.
		g.broker.Tap(g.topics.Commands(), g.router.Deliver)
		g.broker.Tap(g.topics.Ack(), g.onAck)
	} else {
		cl.Subscribe(g.topics.Commands(), g.router.Deliver)
		cl.Subscribe(g.topics.Ack(), g.onAck)
		every := g.tuning.ProbeInterval
		if every <= 0 {
			every = g.cfg.MQTT.External.ProbeInterval()
		}
		if err := g.probeBus(ctx, every); err != nil {
			return err
		}
	}
	cl.OnConnect(func(uint64) { g.publishStatus("online", "") })
	return nil
}

// OpenOffline opens the store of a config without the MQTT side, for tools
// that write events the running daemon will publish (reprocess, rerate).
func OpenOffline(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Gateway, error) {
	loc, err := time.LoadLocation(cfg.Site.Timezone)
	if err != nil {
		return nil, fmt.Errorf("site.timezone: %w", err)
	}
	g := &Gateway{cfg: cfg, log: log, loc: loc, start: time.Now(), Now: time.Now, reg: all.Registry(),
		topics: events.Topics{Group: cfg.Site.Group, Property: cfg.Site.Property, Gateway: cfg.Site.Gateway}}
	bl, err := folio.LoadBiller(cfg, g.topics, g.loc, g.isPBX)
	if err != nil {
		return nil, err
	}
	g.biller.Store(bl)
	if g.st, err = store.Open(ctx, cfg.Store.Path); err != nil {
		return nil, err
	}
	g.retained = bus.NewRetained(g.st, nil, log)
	if err := g.attachDesks(); err != nil {
		g.st.Close()
		return nil, err
	}
	return g, nil
}

// attachDesks builds the front-office desks and attaches them, in the
// order records are offered to them.
func (g *Gateway) attachDesks() error {
	h := host{g}
	g.calls = folio.NewDesk(h, g.Biller)
	ho := g.tuning.Hotel
	ho.Billing, ho.Calls, ho.Links = g.Biller, g.calls, nil
	for _, d := range g.cfg.Devices {
		if e, _ := g.reg.Lookup(d.Driver); e.Kind == drivers.KindHotelLink {
			ho.Links = append(ho.Links, g.deskDevice(d))
		}
	}
	var err error
	if g.hotel, err = hoteldesk.New(h, ho); err != nil {
		return err
	}
	// The hotel desk takes the check-ins a PBX prints in its SMDR stream
	// before call billing takes the rest of the stream.
	g.desks = append(g.desks, g.hotel, g.calls)
	bt, err := business.LoadTariff(g.cfg.Billing.BusinessTariff)
	if err != nil {
		return err
	}
	po := g.tuning.Print
	po.Tariff, po.Billing = bt, g.Biller
	po.SpoolDir = filepath.Join(filepath.Dir(g.cfg.Store.Path), "spool", "print")
	if g.print, err = printdesk.New(h, po); err != nil {
		return err
	}
	g.desks = append(g.desks, g.print)
	if g.fax, err = faxdesk.New(host{g}, g.faxOptions(bt)); err != nil {
		return err
	}
	g.desks = append(g.desks, g.fax)
	return nil
}

// faxOptions: the config's fax section, print's business tariff, the tuning.
func (g *Gateway) faxOptions(bt *rating.BusinessTariff) faxdesk.Options {
	fc := g.cfg.Fax
	fo := g.tuning.Fax
	fo.Tariff, fo.Billing = bt, g.Biller
	fo.Dir = filepath.Join(filepath.Dir(g.cfg.Store.Path), "fax")
	// The room's message lamp is the hotel desk's (without a hotel link
	// it does nothing).
	fo.Lamp = g.hotel
	if fo.Policy.Attempts <= 0 {
		fo.Policy.Attempts = fc.Attempts()
	}
	if fo.Policy.Interval <= 0 {
		fo.Policy.Interval = fc.RetryInterval()
	}
	fo.Retention = faxjobs.Retention{ArchiveAfter: fc.ArchiveAfter(), DestroyAfter: fc.DestroyAfter()}
	fo.MaxDocument, fo.PageLimit, fo.QuoteBitRate, fo.Email = fc.MaxDocument(), fc.Pages(), fc.BitRate(), fc.Email
	if fc.Email != nil && fo.MailRetry <= 0 {
		fo.MailRetry = fc.Email.RetryInterval()
	}
	return fo
}

// Driver is a running device's driver (nil before Run started it).
func (g *Gateway) Driver(device string) drivers.Driver {
	g.drvMu.Lock()
	defer g.drvMu.Unlock()
	return g.drivers[device]
}

// Close closes an offline gateway's store.
func (g *Gateway) Close() error { return g.st.Close() }

// Worker registers a background task that Run starts (after the devices)
// and whose ctx ends at shutdown: the desks' schedulers and purges.
func (g *Gateway) Worker(w func(ctx context.Context)) {
	g.workersMu.Lock()
	defer g.workersMu.Unlock()
	g.workers = append(g.workers, w)
}

// Biller is the rating engine and room map in force.
func (g *Gateway) Biller() *folio.Biller { return g.biller.Load() }

// ReloadBilling reads the tariff, plan and rooms again (SIGHUP). A tariff
// with problems is refused with every problem listed, and the gateway keeps
// rating with its last good one.
func (g *Gateway) ReloadBilling() error {
	b, err := folio.LoadBiller(g.cfg, g.topics, g.loc, g.isPBX)
	if err != nil {
		g.log.Error("tariff reload refused; still rating with the last good tariff", "err", err)
		return err
	}
	g.biller.Store(b)
	g.log.Info("tariff reloaded", "tariff", b.Engine.Tariff.Name(), "versions", b.Engine.Tariff.Versions())
	return nil
}

// Store is the gateway's ledger (for the offline tools and tests).
func (g *Gateway) Store() *store.Store { return g.st }

// Router is the command router (nil offline): the console sends through it.
func (g *Gateway) Router() *bus.Router { return g.router }

// BusUp is closed while the MQTT session is connected (for /readyz).
func (g *Gateway) BusUp() <-chan struct{} { return g.client.Up() }

// Topics is the site's topic tree.
func (g *Gateway) Topics() events.Topics { return g.topics }

// Location is the site's time zone.
func (g *Gateway) Location() *time.Location { return g.loc }

// BrokerURL is the URL clients use to reach the embedded broker ("" when external).
func (g *Gateway) BrokerURL() string {
	if g.broker == nil {
		return ""
	}
	return g.broker.URL()
}

// Emit commits ev (and whatever fn writes) in one transaction and wakes the
// publisher. A duplicate idemkey commits fn's changes but adds no event.
func (g *Gateway) Emit(ctx context.Context, ev store.Event, fn func(tx *store.Tx) error) error {
	if ev.Source == "" {
		ev.Source = "/hotel/" + g.cfg.Site.Group + "/" + g.cfg.Site.Property + "/edge/" + g.cfg.Site.Gateway
	}
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		if fn != nil {
			if err := fn(tx); err != nil {
				return err
			}
		}
		_, _, err := tx.Enqueue(ev)
		return err
	})
	if err != nil {
		return err
	}
	g.notify()
	return nil
}

// enqueueReply adds a command reply in tx; the publisher wakes at commit.
func (g *Gateway) enqueueReply(tx *store.Tx, ev store.Event) error {
	if _, _, err := tx.Enqueue(ev); err != nil {
		return err
	}
	tx.AfterCommit(g.notify)
	return nil
}

// notify wakes the publisher; an offline gateway (a CLI tool working on the
// store while the daemon runs) leaves the rows for the daemon's publisher.
func (g *Gateway) notify() {
	if g.outbox != nil {
		g.outbox.Notify()
	}
}

// SetState publishes retained state (stored first, republished on reconnect).
func (g *Gateway) SetState(ctx context.Context, domain, device, aspect string, data any) error {
	return host{g}.SetState(ctx, desk.State{Domain: domain, Device: device, Aspect: aspect, Data: data})
}

// Run starts the session and the workers and blocks until ctx ends, then
// shuts down cleanly: an explicit offline status, the broker, the store.
func (g *Gateway) Run(ctx context.Context) error {
	if n, err := g.router.Interrupted(ctx); err != nil {
		g.log.Error("commands interrupted by the last stop not answered", "err", err)
	} else if n > 0 {
		g.log.Warn("answered commands a restart interrupted", "commands", n)
	}
	g.client.Start()
	g.wg.Add(3)
	go func() { defer g.wg.Done(); g.outbox.Run(ctx) }()
	go func() { defer g.wg.Done(); g.router.Run(ctx) }()
	go func() { defer g.wg.Done(); g.statusLoop(ctx) }()
	if g.probe != nil {
		g.wg.Add(1)
		go func() { defer g.wg.Done(); g.probe.Run(ctx) }()
	}
	g.startDevices(ctx)
	g.workersMu.Lock()
	for _, w := range g.workers {
		w := w
		g.wg.Add(1)
		go func() { defer g.wg.Done(); w(ctx) }()
	}
	g.workersMu.Unlock()
	g.log.Info("gateway running", "gateway", g.cfg.Site.Gateway, "version", Version, "boot_id", g.bootID, "store", g.st.Path())
	<-ctx.Done()
	return g.shutdown()
}

func (g *Gateway) shutdown() error {
	g.log.Info("shutting down")
	g.closing.Store(true)
	// An explicit offline before the clean disconnect: the will only fires
	// on an unclean one.
	pctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	select {
	case <-g.client.Up():
		_ = g.client.Publish(pctx, g.topics.Status(), 1, true, g.statusPayload(bus.Status{State: "offline", Reason: "shutdown"}))
	default:
	}
	cancel()
	g.wg.Wait()
	g.client.Disconnect(500 * time.Millisecond)
	var errs []error
	if g.broker != nil {
		errs = append(errs, g.broker.Close())
	}
	errs = append(errs, g.st.Close())
	return errors.Join(errs...)
}

func (g *Gateway) statusPayload(s bus.Status) []byte {
	s.Gateway, s.Version, s.BootID, s.Started = g.cfg.Site.Gateway, Version, g.bootID, g.start.In(g.loc)
	if g.st != nil {
		s.SeqEpoch = g.st.Epoch()
	}
	return bus.StatusMessage(g.topics, s, time.Now().In(g.loc))
}

func (g *Gateway) publishStatus(state, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := bus.Status{State: state, Reason: reason}
	if st, err := g.st.Stats(ctx); err == nil {
		s.Outbox = &st
	}
	s.AcksRefused = g.outbox.AcksRefused()
	if err := g.client.Publish(ctx, g.topics.Status(), 1, true, g.statusPayload(s)); err != nil {
		g.log.Warn("status not published", "err", err)
	}
}

// statusLoop refreshes the retained status (outbox backlog) every 30 s.
// Acknowledged events are purged by the nightly retention job
// (internal/retention, started by cmd/switchboard run).
func (g *Gateway) statusLoop(ctx context.Context) {
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		select {
		case <-g.client.Up():
			g.publishStatus("online", "")
		default:
		}
	}
}

// onAck hands "consumed up to seq N" to the outbox (it checks and counts).
func (g *Gateway) onAck(m bus.Message) {
	if g.closing.Load() {
		// An ack lost at shutdown is sent again by the consumer, or the
		// events are re-sent and acknowledged again after the restart.
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = g.outbox.HandleAck(ctx, m)
}
