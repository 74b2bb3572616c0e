package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/gateway"
	"switchboard/internal/metrics"
	"switchboard/internal/sdnotify"
)

// busWait bounds how long readiness waits for the MQTT session. The gateway
// is store-and-forward: with the broker down it still records every call
// (the outbox keeps the events), so a missing broker must not hold the unit
// in "activating" until systemd's start timeout (90 s) kills it.
const busWait = 20 * time.Second

// statusEvery is how often the STATUS= line is refreshed while running.
const statusEvery = 30 * time.Second

// service is the daemon's side of a systemd Type=notify unit
// (packaging/switchboard.service): READY=1 once the store, bus and devices
// are up, STATUS= lines, WATCHDOG=1 pings while the gateway is alive, and
// STOPPING=1 at shutdown. Outside systemd it sends nothing.
type service struct {
	n      *sdnotify.Notifier
	getenv func(string) string
	log    *slog.Logger
}

// newService reads $NOTIFY_SOCKET and, later, $WATCHDOG_USEC through getenv
// (os.Getenv; a map in tests).
func newService(log *slog.Logger, getenv func(string) string) *service {
	log = log.With("part", "systemd")
	n, err := sdnotify.FromEnv(getenv)
	if err != nil {
		// The daemon still runs; a Type=notify unit will time out its start
		// and say so in the journal next to this line.
		log.Error("systemd notifications disabled", "err", err)
		n, _ = sdnotify.New("")
	}
	return &service{n: n, getenv: getenv, log: log}
}

// send sends assignments, logging (not failing on) a socket error: systemd
// may be reloading, and the gateway's work matters more than its status.
func (s *service) send(assignments ...string) {
	if err := s.n.Send(assignments...); err != nil {
		s.log.Warn("systemd notification not sent", "err", err)
	}
}

func (s *service) status(format string, args ...any) {
	s.send(sdnotify.Status(fmt.Sprintf(format, args...)))
}

// attach registers the readiness and watchdog worker. The gateway's Run
// starts workers after it has started the devices, and New has opened the
// store and the bus session before: a worker running is the point where the
// store, bus and devices are up. The pings come from that worker and only
// while the store takes its write lock (metrics.StoreWritable, /readyz's
// store check): a gateway whose Run never reached its workers, or whose
// writer hangs holding the store, stops pinging and systemd restarts it
// (WatchdogSec= in the unit).
func (s *service) attach(cfg *config.Config, g *gateway.Gateway) {
	if !s.n.Enabled() {
		return
	}
	devices := metricsDevices(cfg, g)
	g.Worker(func(ctx context.Context) {
		wait := time.NewTimer(busWait)
		select {
		case <-g.BusUp():
		case <-wait.C:
		case <-ctx.Done():
		}
		wait.Stop()
		if ctx.Err() != nil {
			s.send(sdnotify.Stopping, sdnotify.Status("shutting down"))
			return
		}
		first := s.summary(ctx, g, devices)
		s.send(sdnotify.Ready, sdnotify.Status(first))
		s.log.Info("told systemd the gateway is ready", "status", first)

		var wg sync.WaitGroup
		if every, on, err := sdnotify.WatchdogInterval(s.getenv, os.Getpid()); err != nil {
			s.log.Error("systemd watchdog not served", "err", err)
		} else if on {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.n.KeepAlive(ctx, every, func(ctx context.Context) error {
					return metrics.StoreWritable(ctx, g.Store())
				}, func(err error) { s.log.Warn("systemd watchdog ping withheld", "err", err) })
			}()
		}
		tick := time.NewTicker(statusEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				s.send(sdnotify.Stopping, sdnotify.Status("shutting down"))
				wg.Wait()
				return
			case <-tick.C:
				// Sent each time, changed or not: a reload's line gives way
				// to the running state again (the journal keeps the reload).
				s.send(sdnotify.Status(s.summary(ctx, g, devices)))
			}
		}
	})
}

// summary is the STATUS= line: the bus session and each device's link, as
// /readyz sees them, in one line for `systemctl status`.
func (s *service) summary(ctx context.Context, g *gateway.Gateway, devices []metrics.Device) string {
	bus := "bus connected"
	select {
	case <-g.BusUp():
	default:
		bus = "bus not connected (events wait in the outbox)"
	}
	if len(devices) == 0 {
		return "running: " + bus + ", no devices configured"
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	links, err := metrics.LinkStates(lctx, g.Store(), devices)
	if err != nil {
		return fmt.Sprintf("running: %s, device links unreadable: %v", bus, err)
	}
	linked := 0
	var down []string
	for _, d := range devices {
		switch st := links[d.ID]; st {
		case "connected":
			linked++
		case "":
			down = append(down, d.ID+" no link state yet")
		default:
			down = append(down, d.ID+" "+st)
		}
	}
	sort.Strings(down)
	line := fmt.Sprintf("running: %s, %d/%d devices linked", bus, linked, len(devices))
	if len(down) > 0 {
		line += " (" + strings.Join(down, ", ") + ")"
	}
	return line
}
