package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/faxdesk"
	"switchboard/internal/gateway"
	"switchboard/internal/operators"
	"switchboard/internal/profile"
	pbxsim "switchboard/internal/sim/pbx"
)

const demoConfig = `# Written by switchboard demo: the embedded default with a simulated PBX.
site: {group: demo, property: h001, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %[1]s/switchboard.db}
mqtt:
  embedded: {listen: %[2]s}
console: {listen: %[4]s}
billing:
  numbering: {home_area: "10", trunk_access: ["9"]}
  mask_dialed: 7
rooms:
  - {extensions: "101-999", class: guest}
  - {extensions: "1000-1299", class: guest}
  - {extensions: "8000", class: business}
devices:
  - id: pbx1
    driver: pbx
    profile: %[3]s
    transport:
      serial: {port: %[1]s/ttyPBX, baud: 9600, data_bits: 8, parity: none, stop_bits: 1, flow: none}
`

// demoFlags is `make run`: a demo folder (./var/demo) with a config, a pty
// on which a simulated PBX prints SMDR as the real one does on its serial
// port, the gateway reading it through go.bug.st/serial, a few guests
// checked in, and the events printed as they are published.
func demoFlags(fl *pflag.FlagSet) action {
	dir := fl.String("dir", "var/demo", "folder for the demo's config, store, pty and log")
	prof := fl.String("profile", "panasonic-kx-tda", "the simulated PBX's profile")
	rate := fl.Float64("rate", 0.5, "simulated calls per second")
	listen := fl.String("listen", "127.0.0.1:1883", "embedded broker address (a free port is taken if this one is busy)")
	consoleListen := fl.String("console", "127.0.0.1:8080", "web console address (a free port is taken if this one is busy)")
	return func(pos []string, stdout, stderr io.Writer) int {
		p, err := profile.Lookup(*prof)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard demo: %v\n", err)
			return 2
		}
		abs, err := filepath.Abs(*dir)
		if err == nil {
			err = os.MkdirAll(abs, 0o750)
		}
		if err != nil {
			fmt.Fprintf(stderr, "switchboard demo: %v\n", err)
			return 1
		}
		addr, err := freeAddr(*listen, "the embedded broker", stderr)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard demo: no port for the broker: %v\n", err)
			return 1
		}
		consoleAddr, err := freeAddr(*consoleListen, "the console", stderr)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard demo: no port for the console: %v\n", err)
			return 1
		}
		cfgPath := filepath.Join(abs, "switchboard.yaml")
		if err := os.WriteFile(cfgPath, fmt.Appendf(nil, demoConfig, abs, addr, p.ID, consoleAddr), 0o640); err != nil {
			fmt.Fprintf(stderr, "switchboard demo: %v\n", err)
			return 1
		}
		cfg, ok := loadConfig(cfgPath, stderr)
		if !ok {
			return 2
		}
		logFile, err := os.OpenFile(filepath.Join(abs, "switchboard.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard demo: %v\n", err)
			return 1
		}
		defer logFile.Close()
		log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))

		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()

		// The simulated PBX: a pty whose slave is the "serial port".
		pty, err := pbxsim.OpenPTY(filepath.Join(abs, "ttyPBX"))
		if err != nil {
			fmt.Fprintf(stderr, "switchboard demo: pty: %v\n", err)
			return 1
		}
		defer pty.Close()

		// One Chinese font for every PDF the gateway writes (console_pdf.go):
		// the fax desk's transmission reports take it through the desks'
		// options (gateway.Tuning, whose zero value is production's).
		font := loadPDFFont(pdfFontPaths(), log)
		g, err := gateway.NewTuned(ctx, cfg, log, gateway.Tuning{Fax: faxdesk.Options{PDFFont: font}})
		if err != nil {
			fmt.Fprintf(stderr, "switchboard demo: %v\n", err)
			return 1
		}
		attachCallResolve(g, log) // resolve.go
		// One demo sign-in per role, so that every page of the console can
		// be tried at once (the switchboard's, the business centre's, the
		// supervisor's reports and day close, the admin's operators page).
		for _, o := range demoOperators {
			err = operators.New(g.Store()).Add(ctx, operators.Operator{Code: o.code, Name: o.name, Role: o.role}, o.pin, time.Now())
			if err != nil && !errors.Is(err, operators.ErrExists) {
				fmt.Fprintf(stderr, "switchboard demo: %v\n", err)
				return 1
			}
		}
		consoleURL, err := serveConsole(ctx, cfg, g, font, log)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard demo: %v\n", err)
			return 1
		}
		done := make(chan error, 1)
		go func() { done <- g.Run(ctx) }()

		// Show every message of the site as the back office would see it.
		cl, err := brokerClient(cfg, "demo")
		if err != nil {
			fmt.Fprintf(stderr, "switchboard demo: %v\n", err)
			return 1
		}
		cl.Subscribe("hotel/"+cfg.Site.Group+"/"+cfg.Site.Property+"/#", func(m bus.Message) {
			fmt.Fprintln(stdout, formatMessage(m))
		})
		cl.Start()
		defer cl.Disconnect(100 * time.Millisecond)

		fmt.Fprintf(stderr, `switchboard demo
  config   %s
  store    %s
  broker   tcp://%s (embedded)
  PBX      simulated %s printing SMDR on %s (a pty, read through go.bug.st/serial)
  log      %s
  console  %s  (operator code 0001, PIN 1234; business centre 0002, PIN 2345;
           supervisor 0003, PIN 3456; admin 0004, PIN 4567)
In a second terminal:  bin/switchboard tail --config %s
Ctrl-C stops.

`, cfgPath, cfg.Store.Path, addr, p.ID, pty.Link, logFile.Name(), consoleURL, cfgPath)

		// Rooms 101-124 are occupied (125-130 vacant) so that calls are posted,
		// and a call from a vacant room is flagged.
		go func() {
			time.Sleep(time.Second)
			for r := 101; r <= 124; r++ {
				room := fmt.Sprint(r)
				sendCommand(cfg, "edge", cfg.Site.Gateway, "folio.checkin", events.CheckInData{Room: room, Reservation: "DEMO-" + room,
					At: ptrTime(time.Now().Add(-24 * time.Hour))}, 10*time.Second, io.Discard, io.Discard)
			}
		}()
		sim, err := pbxsim.New(pbxsim.Options{Profile: p, Seed: uint64(time.Now().UnixNano()), Start: time.Now(), Location: cfg.Site.Location(),
			Rate: *rate, FirstRoom: 101, LastRoom: 130, AccessCode: "9", Noise: 0.01})
		if err != nil {
			fmt.Fprintf(stderr, "switchboard demo: simulator: %v\n", err)
			return 1
		}
		go func() {
			time.Sleep(2 * time.Second)
			if err := sim.Run(ctx, pty.Master, nil); err != nil && ctx.Err() == nil {
				log.Error("simulator stopped", "err", err)
			}
		}()
		if err := <-done; err != nil {
			fmt.Fprintf(stderr, "switchboard demo: %v\n", err)
			return 1
		}
		return 0
	}
}

// demoOperators are the demo's console sign-ins, one per role (the banner
// prints them; a real site adds its own with `switchboard operator add`).
var demoOperators = []struct {
	code, name, pin string
	role            operators.Role
}{
	{"0001", "Demo Operator", "1234", operators.RoleOperator},
	{"0002", "Demo Business Centre", "2345", operators.RoleBusiness},
	{"0003", "Demo Supervisor", "3456", operators.RoleSupervisor},
	{"0004", "Demo Admin", "4567", operators.RoleAdmin},
}

func ptrTime(t time.Time) *time.Time { return &t }

// freeAddr is addr if it is free, else a free loopback port (said on stderr).
func freeAddr(addr, what string, stderr io.Writer) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err == nil {
		l.Close()
		return addr, nil
	}
	l2, err2 := net.Listen("tcp", "127.0.0.1:0")
	if err2 != nil {
		return "", err
	}
	free := l2.Addr().String()
	l2.Close()
	fmt.Fprintf(stderr, "switchboard demo: %s is busy, %s listens on %s\n", addr, what, free)
	return free, nil
}
