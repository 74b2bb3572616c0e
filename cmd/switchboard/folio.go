package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
	"switchboard/internal/gateway"
)

const folioUsage = "usage: switchboard folio checkin ROOM [--reservation R] [--name N] [--language L] [--vip] [--at TIME]\n" +
	"       switchboard folio checkout ROOM [--at TIME]\n       switchboard folio move FROM TO\n       switchboard folio list"

// folioCommand is `switchboard folio checkin|checkout|move|list`: guest
// stays used for call postings, for hotels without a PMS link.
func folioCommand() *cobra.Command {
	return group("folio", "guest stays used for call postings: checkin ROOM, checkout ROOM, move FROM TO, list", folioUsage,
		leaf("checkin ROOM [--reservation R] [--name N] [--language L] [--vip] [--at TIME]", "open a stay: calls from ROOM are posted to it",
			folioUsage, folioFlags("checkin")),
		leaf("checkout ROOM [--at TIME]", "close the room's stay", folioUsage, folioFlags("checkout")),
		leaf("move FROM TO", "move the guest of FROM to the vacant room TO (換房): the stay and its wake-ups follow", folioUsage, folioFlags("move")),
		leaf("list", "the open stays, from the store", folioUsage, folioFlags("list")))
}

// folioArgs is a folio command line once parsed.
type folioArgs struct {
	sub, room, to, config           string
	reservation, name, language, at string
	vip                             bool
	timeout                         time.Duration
}

// folioFlags declares the flags of `folio sub`: checkin takes the guest's,
// checkin and checkout take --at.
func folioFlags(sub string) func(fl *pflag.FlagSet) action {
	return func(fl *pflag.FlagSet) action {
		configFlag := configFlag(fl)
		reservation, name, language, at := new(string), new(string), new(string), new(string)
		vip := new(bool)
		if sub == "checkin" {
			reservation = fl.String("reservation", "", "reservation id")
			name = fl.String("name", "", "guest name (kept in the gateway's store, never published)")
			language = fl.String("language", "", "guest language")
			vip = fl.Bool("vip", false, "VIP guest")
		}
		if sub == "checkin" || sub == "checkout" {
			at = fl.String("at", "", "when (RFC 3339 or 2006-01-02T15:04 in the site zone; default now)")
		}
		timeout := fl.Duration("timeout", 15*time.Second, "how long to wait for the gateway")
		return func(pos []string, stdout, stderr io.Writer) int {
			nargs := 1 // the room
			switch sub {
			case "list":
				nargs = 0
			case "move":
				nargs = 2 // from, to
			}
			if len(pos) != nargs {
				fmt.Fprintln(stderr, folioUsage)
				return 2
			}
			return runFolio(folioArgs{sub: sub, room: arg(pos, 0), to: arg(pos, 1), config: *configFlag, reservation: *reservation, name: *name,
				language: *language, at: *at, vip: *vip, timeout: *timeout}, stdout, stderr)
		}
	}
}

func runFolio(a folioArgs, stdout, stderr io.Writer) int {
	sub, room, reservation, name, language, vip, at, timeout := a.sub, a.room, a.reservation, a.name, a.language, a.vip, a.at, a.timeout
	cfg, ok := loadConfig(a.config, stderr)
	if !ok {
		return 2
	}
	var when *time.Time
	if at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t, err = time.ParseInLocation("2006-01-02T15:04", at, cfg.Site.Location())
		}
		if err != nil {
			fmt.Fprintf(stderr, "switchboard folio: --at %q: want RFC 3339 or 2006-01-02T15:04\n", at)
			return 2
		}
		when = &t
	}
	switch sub {
	case "checkin", "checkout":
		if sub == "checkin" {
			return sendCommand(cfg, "edge", cfg.Site.Gateway, "folio.checkin",
				events.CheckInData{Room: room, Reservation: reservation, Name: name, Language: language, VIP: vip, At: when}, timeout, stdout, stderr)
		}
		return sendCommand(cfg, "edge", cfg.Site.Gateway, "folio.checkout", events.CheckOutData{Room: room, At: when}, timeout, stdout, stderr)
	case "move":
		return sendCommand(cfg, "edge", cfg.Site.Gateway, "folio.move", hotel.GuestMoveData{From: room, To: a.to}, timeout, stdout, stderr)
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
	fmt.Fprintln(stderr, folioUsage)
	return 2
}
