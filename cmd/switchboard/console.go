package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"switchboard/drivers/all"
	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/console"
	"switchboard/internal/folio"
	"switchboard/internal/gateway"
	"switchboard/internal/pdf"
	"switchboard/internal/store"
)

// consoleHost is the gateway's side of the console (console.Host): its
// commands go through the gateway's router, as MQTT commands do.
type consoleHost struct{ g *gateway.Gateway }

// consoleCommandWait is how long a page waits for a command's outcome;
// after it, the page shows `accepted` and the outcome follows in the log.
const consoleCommandWait = 15 * time.Second

func (h consoleHost) Command(ctx context.Context, domain, device, name string, data any, by bus.Principal) (bus.Reply, error) {
	r := h.g.Router()
	if r == nil {
		return bus.Reply{}, errors.New("the gateway takes no command (offline)")
	}
	ctx, cancel := context.WithTimeout(ctx, consoleCommandWait)
	defer cancel()
	return r.Send(ctx, domain, device, name, data, by, "console")
}

func (h consoleHost) Store() *store.Store { return h.g.Store() }

// Publish is console.Publisher: the console's own events (the day close's
// hotel.edge.day.closed) go to the outbox on the gateway's edge topic,
// committed with what fn writes, as the desks' events are (Gateway.Emit).
func (h consoleHost) Publish(ctx context.Context, ev store.Event, fn func(tx *store.Tx) error) error {
	t := h.g.Topics()
	ev.Topic, ev.Source = t.Event("edge", t.Gateway, ev.Type), t.Source("edge", t.Gateway)
	return h.g.Emit(ctx, ev, fn)
}

// serveConsole serves the console when the config has one, until ctx
// ends; url is "" when it has none. font draws the Chinese of its PDFs
// (loadPDFFont; nil: none).
func serveConsole(ctx context.Context, cfg *config.Config, g *gateway.Gateway, font *pdf.TrueType, log *slog.Logger) (url string, err error) {
	k := cfg.Console
	if k == nil {
		return "", nil
	}
	link, _ := hotelDevice(cfg, "") // none or several: wake-ups are not set from the console
	dir, err := folio.LoadDirectory(cfg.Rooms)
	if err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	devices := consoleDevices(cfg)
	tariff, mediaSize, err := consolePrint(cfg, g) // console_print.go
	if err != nil {
		return "", err
	}
	faxPages, err := consoleFax(cfg, g, devices) // console_fax.go
	if err != nil {
		return "", err
	}
	c, err := console.New(console.Options{Host: consoleHost{g}, Location: cfg.Site.Location(), Secure: k.TLS != nil, HotelLink: link, Log: log,
		Hotel: cfg.Site.Property, PDFFont: font,
		Rooms: dir.GuestRooms(), Devices: devices, BusinessTariff: tariff, MediaSize: mediaSize, Fax: faxPages,
		Gateway: g.Topics().Gateway, COSChoices: consoleCOS(g, link), // console_rooms.go
		MaskDialed: func(d string) string {
			if b := g.Biller(); b != nil { // billing reloads: the biller of now
				return b.MaskDialed(d)
			}
			return d
		}})
	if err != nil {
		return "", err
	}
	l, err := net.Listen("tcp", k.ListenAddr())
	if err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	scheme := "http"
	if k.TLS != nil {
		cert, err := tls.LoadX509KeyPair(k.TLS.Cert, k.TLS.Key)
		if err != nil {
			l.Close()
			return "", fmt.Errorf("console.tls: %w", err)
		}
		l, scheme = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), "https"
	}
	serveHTTP(ctx, l, c, "console", log)
	url = scheme + "://" + l.Addr().String() + "/"
	log.Info("console serving", "url", url)
	return url, nil
}

// consoleDevices names the configured devices for the console's devices
// page: driver, profile, and the registry's domain and kind.
func consoleDevices(cfg *config.Config) []console.DeviceInfo {
	reg := all.Registry()
	out := make([]console.DeviceInfo, 0, len(cfg.Devices))
	for _, d := range cfg.Devices {
		e, _ := reg.Lookup(d.Driver)
		out = append(out, console.DeviceInfo{ID: d.ID, Driver: d.Driver, Profile: d.Profile, Domain: e.Domain, Kind: e.Kind})
	}
	return out
}

// serveHTTP serves h on l until ctx ends, then shuts down within 5 s. The
// timeouts bound what a slow client may hold (a header in 10 s, a request in
// 30 s).
func serveHTTP(ctx context.Context, l net.Listener, h http.Handler, name string, log *slog.Logger) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error(name+" stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
}
