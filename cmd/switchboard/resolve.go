package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"switchboard/internal/bus"
	"switchboard/internal/desk"
	"switchboard/internal/folio"
	"switchboard/internal/gateway"
	"switchboard/internal/store"
)

// attachCallResolve registers call.resolve (settling a flagged call) on
// the gateway's router. internal/gateway is at its line budget, so the
// daemon wires it here: a call-billing desk on the gateway's store, biller
// and router (the same ledger and outbox as the desk the gateway built).
// When the gateway can take it, its attachDesks calls g.calls.Commands()
// and this goes.
func attachCallResolve(g *gateway.Gateway, log *slog.Logger) {
	folio.NewDesk(resolveHost{g: g, log: log}, g.Biller).Commands()
}

// resolveHost is the gateway as the resolving desk sees it (desk.Host),
// made of what the gateway exports.
type resolveHost struct {
	g   *gateway.Gateway
	log *slog.Logger
}

var _ desk.Host = resolveHost{}

func (h resolveHost) InTx(ctx context.Context, fn func(tx *store.Tx) error) error {
	return h.g.Store().InTx(ctx, fn)
}

func (h resolveHost) Store() *store.Store { return h.g.Store() }

// Enqueue adds ev to the outbox as the gateway's host does. The publisher
// is woken by the command's `completed` reply, committed right after (the
// outbox publishes in seq order, so the events go out before the reply).
func (h resolveHost) Enqueue(tx *store.Tx, ev desk.Event) (int64, bool, error) {
	t := h.g.Topics()
	device := ev.Device
	if ev.Domain == "edge" && device == "" {
		device = t.Gateway
	}
	at := ev.Time
	if at.IsZero() {
		at = h.g.Now()
	}
	return tx.Enqueue(store.Event{Type: ev.Type, Topic: t.Event(ev.Domain, device, ev.Type), Source: t.Source(ev.Domain, device),
		Subject: ev.Subject, IdemKey: ev.IdemKey, Stable: ev.Stable, Time: at.In(h.g.Location()), Data: ev.Data})
}

func (h resolveHost) SetState(ctx context.Context, s desk.State) error {
	return h.g.SetState(ctx, s.Domain, s.Device, s.Aspect, s.Data)
}

// Handle registers a command on the router; an offline gateway has none.
func (h resolveHost) Handle(domain, command string, hd bus.Handler) {
	if r := h.g.Router(); r != nil {
		r.Handle(domain, command, hd)
	}
}

func (h resolveHost) Go(w func(ctx context.Context)) { h.g.Worker(w) }
func (h resolveHost) Now() time.Time                 { return h.g.Now() }
func (h resolveHost) Location() *time.Location       { return h.g.Location() }
func (h resolveHost) Log() *slog.Logger              { return h.log }

const callUsage = "usage: switchboard call resolve CALL --action post|write-off|rerate --reason TEXT [--room R] [--stay ID] [--amount A]"

// callCommand is `switchboard call resolve`: settle a flagged call (跑帳/漏帳)
// through the running gateway, as the back office would over MQTT.
func callCommand() *cobra.Command {
	return group("call", "flagged calls: resolve CALL (post, write-off, rerate)", callUsage,
		leaf("resolve CALL --action post|write-off|rerate --reason TEXT [--room R] [--stay ID] [--amount A]",
			"settle a flagged call once: post it to a room, write it off, or rate it again and post it", callUsage, callResolveFlags))
}

func callResolveFlags(fl *pflag.FlagSet) action {
	configFlag := configFlag(fl)
	act := fl.String("action", "", "post (to --room), write-off (no room is charged) or rerate (now, or --amount given by hand)")
	reason := fl.String("reason", "", "why (kept with the resolution and published)")
	room := fl.String("room", "", "the room to post to (post: required; rerate: default the call's room)")
	stay := fl.Int64("stay", 0, "the stay to post to (default: the room's stay at the call, else its last one if it ended less than 24 h before the call)")
	amount := fl.String("amount", "", "rerate: the amount given by hand, e.g. 12.50")
	timeout := fl.Duration("timeout", 15*time.Second, "how long to wait for the gateway")
	return func(pos []string, stdout, stderr io.Writer) int {
		if len(pos) != 1 {
			fmt.Fprintln(stderr, callUsage)
			return 2
		}
		cfg, ok := loadConfig(*configFlag, stderr)
		if !ok {
			return 2
		}
		return sendCommand(cfg, "edge", cfg.Site.Gateway, folio.ResolveCommand,
			folio.ResolveData{Call: pos[0], Action: *act, Reason: *reason, Room: *room, StayID: *stay, Amount: *amount}, *timeout, stdout, stderr)
	}
}
