package gateway

import (
	"context"
	"fmt"
	"io"
	"time"

	"switchboard/drivers"
	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/transport"
)

// domainOf maps a driver to its topic domain.
func domainOf(driver string) string {
	switch driver {
	case "faxmodem":
		return "fax"
	case "ipp":
		return "print"
	default:
		return "pbx"
	}
}

// transportFor builds the byte stream a config device names.
func transportFor(d config.Device) (transport.Transport, error) {
	t := d.Transport
	switch {
	case t.Serial != nil:
		return transport.NewSerial(transport.SerialOptions{Port: t.Serial.Port, Baud: t.Serial.Baud, DataBits: t.Serial.DataBits,
			Parity: t.Serial.Parity, StopBits: t.Serial.StopBits, Flow: t.Serial.Flow})
	case t.TCP != nil && t.TCP.Connect != "":
		return transport.NewTCPClient(transport.TCPClientOptions{Address: t.TCP.Connect, Login: t.TCP.Login})
	case t.TCP != nil && t.TCP.Listen != "":
		return transport.NewTCPListener(transport.TCPListenOptions{Address: t.TCP.Listen})
	case t.File != nil:
		return transport.NewFile(transport.FileOptions{Path: t.File.Path, Follow: t.File.Follow})
	}
	return nil, fmt.Errorf("device %s: no transport", d.ID)
}

// opener adapts a transport.Link to the drivers' Opener seam.
type opener struct {
	l        *transport.Link
	endpoint string
}

func (o opener) Run(ctx context.Context, s func(context.Context, io.ReadWriteCloser) error) error {
	return o.l.Run(ctx, s)
}
func (o opener) String() string { return o.endpoint }

// startDevices builds every configured device's driver and runs it. A device
// that cannot be built is reported (state failed) and the others go on.
func (g *Gateway) startDevices(ctx context.Context) {
	for _, d := range g.cfg.Devices {
		d := d
		sink := g.newSink(d)
		dev := drivers.Device{ID: d.ID, Driver: d.Driver, Profile: d.Profile, Options: d.Options, Location: g.loc, ProfileDir: g.cfg.Profiles.Dir}
		deps := drivers.Deps{Sink: sink, Log: g.log.With("device", d.ID)}
		endpoint := ""
		if d.Driver != "ipp" {
			t, err := transportFor(d)
			if err != nil {
				g.deviceFailed(sink, err)
				continue
			}
			endpoint = t.String()
			deps.Link = opener{transport.NewLink(d.ID, t, transport.LinkOptions{OnState: func(sc transport.StateChange) {
				s := events.DeviceState{Device: d.ID, State: string(sc.State), Endpoint: sc.Endpoint, Attempt: sc.Attempt, Since: sc.At}
				if sc.Err != nil {
					s.Error = sc.Err.Error()
				}
				sink.LinkState(s)
			}}), endpoint}
		}
		drv, err := drivers.New(dev, deps)
		if err != nil {
			g.deviceFailed(sink, err)
			continue
		}
		g.log.Info("device starting", "device", d.ID, "driver", d.Driver, "profile", d.Profile, "endpoint", endpoint)
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			if err := drv.Run(ctx); err != nil && ctx.Err() == nil {
				g.deviceFailed(sink, err)
			}
		}()
	}
}

func (g *Gateway) deviceFailed(sink drivers.Sink, err error) {
	g.log.Error("device stopped: fix the config or the device and restart the gateway", "err", err)
	if s, ok := sink.(*deviceSink); ok {
		sink.LinkState(events.DeviceState{Device: s.device, State: "failed", Error: err.Error(), Since: time.Now()})
	}
}
