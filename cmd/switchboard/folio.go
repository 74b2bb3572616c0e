package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/folio/stays"
	"switchboard/internal/gateway"
)

func runFolio(args []string, stdout, stderr io.Writer) int {
	usage := "usage: switchboard folio checkin ROOM [--reservation R] [--name N] [--language L] [--vip] [--at TIME]\n" +
		"       switchboard folio checkout ROOM [--at TIME]\n       switchboard folio list"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	sub := args[0]
	fl := flag.NewFlagSet("folio "+sub, flag.ContinueOnError)
	fl.SetOutput(stderr)
	configFlag := fl.String("config", "", "config file (default $"+config.EnvVar+", else "+config.DefaultPath+")")
	reservation := fl.String("reservation", "", "reservation id")
	name := fl.String("name", "", "guest name (kept in the gateway's store, never published)")
	language := fl.String("language", "", "guest language")
	vip := fl.Bool("vip", false, "VIP guest")
	at := fl.String("at", "", "when (RFC 3339 or 2006-01-02T15:04 in the site zone; default now)")
	timeout := fl.Duration("timeout", 15*time.Second, "how long to wait for the gateway")
	// Flags may follow the room: move the room out of the way first.
	var room string
	rest := args[1:]
	if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		room, rest = rest[0], rest[1:]
	}
	if err := fl.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg, ok := loadConfig(*configFlag, stderr)
	if !ok {
		return 2
	}
	var when *time.Time
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			t, err = time.ParseInLocation("2006-01-02T15:04", *at, cfg.Site.Location())
		}
		if err != nil {
			fmt.Fprintf(stderr, "switchboard folio: --at %q: want RFC 3339 or 2006-01-02T15:04\n", *at)
			return 2
		}
		when = &t
	}
	switch sub {
	case "checkin", "checkout":
		if room == "" {
			fmt.Fprintln(stderr, usage)
			return 2
		}
		if sub == "checkin" {
			return sendCommand(cfg, "edge", cfg.Site.Gateway, "folio.checkin",
				events.CheckInData{Room: room, Reservation: *reservation, Name: *name, Language: *language, VIP: *vip, At: when}, *timeout, stdout, stderr)
		}
		return sendCommand(cfg, "edge", cfg.Site.Gateway, "folio.checkout", events.CheckOutData{Room: room, At: when}, *timeout, stdout, stderr)
	case "list":
		g, err := gateway.OpenOffline(context.Background(), cfg, discardLogger())
		if err != nil {
			fmt.Fprintf(stderr, "switchboard folio: %v\n", err)
			return 1
		}
		defer g.Close()
		occupied, err := stays.Occupied(context.Background(), g.Store())
		if err != nil {
			fmt.Fprintf(stderr, "switchboard folio: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%-6s %-12s %-20s %-4s %s\n", "ROOM", "RESERVATION", "GUEST", "VIP", "CHECKED IN")
		for _, s := range occupied {
			v := ""
			if s.VIP {
				v = "yes"
			}
			fmt.Fprintf(stdout, "%-6s %-12s %-20s %-4s %s\n", s.Room, s.Reservation, s.Guest, v, s.CheckIn.In(cfg.Site.Location()).Format("2006-01-02 15:04"))
		}
		return 0
	}
	fmt.Fprintln(stderr, usage)
	return 2
}
