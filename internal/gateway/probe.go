package gateway

import (
	"context"
	"fmt"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/store"
)

// probeBus attaches the session probe to an external broker's session
// (bus.Probe): another client with the gateway's client id, or a broker
// that lost its subscriptions, would leave the gateway deaf to commands
// while it looks connected. The embedded broker needs none: the gateway's
// client id is refused to anyone without its per-process credential, and
// commands reach the gateway through the broker's tap, not a subscription.
func (g *Gateway) probeBus(ctx context.Context, every time.Duration) error {
	gw := g.cfg.Site.Gateway
	open, err := g.st.DeviceAlertOpen(ctx, gw, bus.ProbeAlert)
	if err != nil {
		return err
	}
	g.probe = bus.NewProbe(g.client, bus.ProbeOptions{
		Topic:    g.topics.Probe(),
		Interval: every,
		Device:   gw,
		Payload:  bus.ProbeEnvelope(g.topics.Source("edge", gw), g.bootID, func() time.Time { return time.Now().In(g.loc) }),
		Alert:    g.EdgeAlert,
		Raised:   open,
		Log:      g.log,
	})
	return nil
}

// EdgeAlert records and publishes an alert of the gateway itself (the bus
// probe's, the disk guard's: hotel.edge.device.alert on
// edge/{gateway}/event/device.alert), with its row in device_alerts for the
// shift handover, as the desks do theirs. An alert is essential: it passes
// the store's write gate (a full disk is what it may be telling).
func (g *Gateway) EdgeAlert(ctx context.Context, a events.Alert) error {
	ctx, gw := store.Essential(ctx), g.cfg.Site.Gateway
	at := g.Now()
	const typ = "hotel.edge.device.alert"
	ev := store.Event{Type: typ, Topic: g.topics.Event("edge", gw, typ), Source: g.topics.Source("edge", gw), Subject: "device/" + gw,
		IdemKey: fmt.Sprintf("%s/%s/%s/%s/%d", gw, a.Alert, a.State, g.bootID, at.UnixNano()), Time: at.In(g.loc), Data: a}
	err := g.Emit(ctx, ev, func(tx *store.Tx) error {
		if a.State == "raised" {
			return tx.RaiseDeviceAlert(store.DeviceAlert{Device: gw, Domain: "edge", Alert: a.Alert, Severity: a.Severity,
				Message: a.Message, Detail: a.Detail, Raised: at})
		}
		return tx.ClearDeviceAlert(gw, a.Alert, at)
	})
	if err != nil {
		return fmt.Errorf("gateway alert %s %s: %w", a.Alert, a.State, err)
	}
	return nil
}

// ProbeStats are the bus probe's counters (zero on the embedded broker).
func (g *Gateway) ProbeStats() bus.ProbeStats {
	if g.probe == nil {
		return bus.ProbeStats{}
	}
	return g.probe.Stats()
}
