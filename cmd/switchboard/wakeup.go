package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"switchboard/drivers"
	"switchboard/drivers/all"
	"switchboard/internal/config"
	"switchboard/internal/events/hotel"
	"switchboard/internal/gateway"
	"switchboard/internal/wakeup"
)

// The front office's hotel-link commands. All but `wakeup list` are MQTT
// clients of the running daemon (pbx/{device}/cmd/...); `wakeup list`
// reads the store directly, so the night shift gets its list even when the
// broker is down.

// hotelFlags are the flags every hotel-link command takes.
type hotelFlags struct {
	config  *string
	device  *string
	timeout *time.Duration
}

func newHotelFlags(fs *pflag.FlagSet) hotelFlags {
	return hotelFlags{
		config:  fs.String("config", "", "config file (default $"+config.EnvVar+", else "+config.DefaultPath+")"),
		device:  fs.String("device", "", "the hotel link (default: the config's only hotelink device)"),
		timeout: fs.Duration("timeout", 30*time.Second, "how long to wait for the gateway's outcome"),
	}
}

// hotelDevice picks the hotel link: --device, else the only hotelink device.
func hotelDevice(cfg *config.Config, flagValue string) (string, error) {
	var ids []string
	reg := all.Registry()
	for _, d := range cfg.Devices {
		if e, _ := reg.Lookup(d.Driver); e.Kind == drivers.KindHotelLink {
			ids = append(ids, d.ID)
		}
	}
	if flagValue != "" {
		for _, id := range ids {
			if id == flagValue {
				return id, nil
			}
		}
		return "", fmt.Errorf("--device %s: not a hotelink device of %s (have %s)", flagValue, cfg.Path, orNone(ids))
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("%s has no hotelink device", cfg.Path)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%s has several hotelink devices (%s): name one with --device", cfg.Path, strings.Join(ids, ", "))
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// hotelCommand loads the config and sends one command to the hotel link.
func hotelCommand(hf hotelFlags, name string, data any, stdout, stderr io.Writer) int {
	cfg, ok := loadConfig(*hf.config, stderr)
	if !ok {
		return 2
	}
	dev, err := hotelDevice(cfg, *hf.device)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard: %v\n", err)
		return 2
	}
	return sendCommand(cfg, "pbx", dev, name, data, *hf.timeout, stdout, stderr)
}

func usageError(stderr io.Writer, usage string, err error) int {
	if err != nil {
		fmt.Fprintf(stderr, "switchboard: %v\n", err)
	}
	fmt.Fprintln(stderr, usage)
	return 2
}

const wakeupUsage = `usage: switchboard wakeup set ROOM HH:MM --operator N [--date YYYY-MM-DD] [--daily [--until YYYY-MM-DD]] [--by guest|operator]
       switchboard wakeup cancel ROOM [--id N]
       switchboard wakeup list [--date YYYY-MM-DD|today|tomorrow]
HH:MM without --date is the next time the site's clock reads it (06:30 entered at 22:00 is tomorrow's).
Common flags: --config F, --device ID (default: the only hotelink device), --timeout D.`

// wakeupCommand is `switchboard wakeup set|cancel|list`.
func wakeupCommand() *cobra.Command {
	return group("wakeup", "wake-up calls: set ROOM HH:MM --operator N, cancel ROOM, list [--date D]", wakeupUsage,
		leaf("set ROOM HH:MM --operator N [--date YYYY-MM-DD] [--daily [--until YYYY-MM-DD]] [--by guest|operator]",
			"record a wake-up call and send it to the PBX", wakeupUsage, func(fs *pflag.FlagSet) action {
				hf := newHotelFlags(fs)
				operator := fs.String("operator", "", "the number of the operator who took the request (叫醒服務: recorded with it)")
				date := fs.String("date", "", "day of the wake-up (YYYY-MM-DD)")
				daily := fs.Bool("daily", false, "every day until check-out (or --until)")
				until := fs.String("until", "", "daily: the last day (YYYY-MM-DD)")
				by := fs.String("by", "guest", "who asked: guest or operator")
				return func(pos []string, stdout, stderr io.Writer) int {
					if len(pos) != 2 {
						return usageError(stderr, wakeupUsage, errors.New("wakeup set takes ROOM and HH:MM"))
					}
					return hotelCommand(hf, "wakeup.set", hotel.WakeupSetData{Room: pos[0], Time: pos[1], Date: *date, Daily: *daily,
						Until: *until, RequestedBy: *by, Operator: *operator}, stdout, stderr)
				}
			}),
		leaf("cancel ROOM [--id N]", "cancel a room's wake-up calls", wakeupUsage, func(fs *pflag.FlagSet) action {
			hf := newHotelFlags(fs)
			id := fs.Int64("id", 0, "the wake-up id (default: every active wake-up of the room)")
			return func(pos []string, stdout, stderr io.Writer) int {
				if len(pos) != 1 {
					return usageError(stderr, wakeupUsage, errors.New("wakeup cancel takes ROOM"))
				}
				return hotelCommand(hf, "wakeup.cancel", hotel.WakeupCancelData{Room: pos[0], ID: *id}, stdout, stderr)
			}
		}),
		leaf("list [--date YYYY-MM-DD|today|tomorrow]", "a day's wake-ups in time order, from the store (works without the broker)",
			wakeupUsage, func(fs *pflag.FlagSet) action {
				// list reads the store: --device and --timeout are accepted
				// for the common flags' sake and not used.
				hf := newHotelFlags(fs)
				date := fs.String("date", "", "the day (YYYY-MM-DD, today or tomorrow)")
				return func(pos []string, stdout, stderr io.Writer) int {
					if len(pos) != 0 {
						return usageError(stderr, wakeupUsage, errors.New("wakeup list takes no arguments"))
					}
					return listWakeups(*hf.config, *date, stdout, stderr)
				}
			}))
}

// listWakeups prints a day's wake-ups in time order, as the night shift
// hands them over (叫醒服務 c): time, room, who recorded it and when,
// status.
func listWakeups(configFlag, date string, stdout, stderr io.Writer) int {
	cfg, ok := loadConfig(configFlag, stderr)
	if !ok {
		return 2
	}
	loc := cfg.Site.Location()
	now := time.Now().In(loc)
	var d wakeup.Date
	switch date {
	case "", "today":
		d = wakeup.DateOf(now)
	case "tomorrow":
		d = wakeup.DateOf(now).AddDays(1)
	default:
		var err error
		if d, err = wakeup.ParseDate(date); err != nil {
			fmt.Fprintf(stderr, "switchboard wakeup list: --date %q: want YYYY-MM-DD, today or tomorrow\n", date)
			return 2
		}
	}
	sched, err := wakeup.New(wakeup.Config{Location: loc})
	if err != nil {
		fmt.Fprintf(stderr, "switchboard wakeup list: %v\n", err)
		return 2
	}
	g, err := gateway.OpenOffline(context.Background(), cfg, discardLogger())
	if err != nil {
		fmt.Fprintf(stderr, "switchboard wakeup list: %v\n", err)
		return 1
	}
	defer g.Close()
	ws, err := sched.ListDay(context.Background(), g.Store(), d)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard wakeup list: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wake-ups of %s (%s)\n", d, loc)
	fmt.Fprintf(stdout, "%-5s  %-6s  %-12s  %-16s  %-10s  %s\n", "TIME", "ROOM", "RECORDED BY", "RECORDED AT", "STATUS", "NOTE")
	for _, w := range ws {
		by := w.Operator
		if by == "" {
			by = string(w.RequestedBy)
		} else if w.RequestedBy != wakeup.ByGuest {
			by += " (" + string(w.RequestedBy) + ")"
		}
		var note []string
		if w.Daily {
			n := "daily"
			if !w.Until.IsZero() {
				n += " until " + w.Until.String()
			}
			note = append(note, n)
		}
		if w.Attempts > 0 {
			note = append(note, fmt.Sprintf("%d call(s), last %s", w.Attempts, w.LastResult))
		}
		if w.Resolution != wakeup.Exact {
			note = append(note, fmt.Sprintf("DST: rung at %s", w.At.In(loc).Format("15:04 MST")))
		}
		if w.Note != "" {
			note = append(note, w.Note)
		}
		if w.PBXReason != "" {
			note = append(note, "PBX: "+w.PBXReason)
		}
		fmt.Fprintf(stdout, "%-5s  %-6s  %-12s  %-16s  %-10s  %s\n", w.Clock, w.Room, by,
			w.RecordedAt.In(loc).Format("2006-01-02 15:04"), w.Status, strings.Join(note, "; "))
	}
	if len(ws) == 0 {
		fmt.Fprintln(stdout, "(none)")
	}
	return 0
}

// switchCommand is `switchboard dnd|mwl on|off ROOM`.
func switchCommand(what, short string) *cobra.Command {
	usage := fmt.Sprintf("usage: switchboard %s on|off ROOM [--device ID] [--config F]", what)
	return leaf(what+" on|off ROOM [--device ID] [--config F]", short, "", func(fs *pflag.FlagSet) action {
		hf := newHotelFlags(fs)
		return func(pos []string, stdout, stderr io.Writer) int {
			if len(pos) != 2 || (pos[0] != "on" && pos[0] != "off") {
				return usageError(stderr, usage, nil)
			}
			on := pos[0] == "on"
			return hotelCommand(hf, what+".set", hotel.SwitchData{Room: pos[1], On: &on}, stdout, stderr)
		}
	})
}

const guestUsage = `usage: switchboard guest checkin ROOM --name N [--reservation R] [--language L] [--vip] [--cos C]
       switchboard guest checkout ROOM
       switchboard guest move FROM TO
The name goes to the PBX (the room phone's display) and the gateway's store, never into an event.
Common flags: --config F, --device ID (default: the only hotelink device), --timeout D.`

// guestCommand is `switchboard guest checkin|checkout|move`.
func guestCommand() *cobra.Command {
	// guestLeaf is one guest subcommand: nargs positional arguments, sent
	// as the command data makes them.
	guestLeaf := func(use, short string, nargs int, data func(pos []string) (string, any), declare func(fs *pflag.FlagSet)) *cobra.Command {
		sub, _, _ := strings.Cut(use, " ")
		return leaf(use, short, guestUsage, func(fs *pflag.FlagSet) action {
			hf := newHotelFlags(fs)
			if declare != nil {
				declare(fs)
			}
			return func(pos []string, stdout, stderr io.Writer) int {
				if len(pos) != nargs {
					return usageError(stderr, guestUsage, fmt.Errorf("guest %s: wrong arguments %q", sub, pos))
				}
				name, d := data(pos)
				return hotelCommand(hf, name, d, stdout, stderr)
			}
		})
	}
	var name, reservation, language, cos *string
	var vip *bool
	return group("guest", "guests at the PBX and the folio: checkin ROOM --name N, checkout ROOM, move FROM TO", guestUsage,
		guestLeaf("checkin ROOM --name N [--reservation R] [--language L] [--vip] [--cos C]", "check a guest in at the PBX and the folio", 1,
			func(pos []string) (string, any) {
				return "guest.checkin", hotel.GuestCheckInData{Room: pos[0], Reservation: *reservation, Name: *name,
					Language: *language, VIP: *vip, COS: *cos}
			},
			func(fs *pflag.FlagSet) {
				name = fs.String("name", "", "guest name")
				reservation = fs.String("reservation", "", "reservation id")
				language = fs.String("language", "", "guest language (ISO 639-1: en, zh)")
				vip = fs.Bool("vip", false, "VIP guest")
				cos = fs.String("cos", "", "class of service: barred, internal, local, national, international")
			}),
		guestLeaf("checkout ROOM", "check a room's guest out", 1,
			func(pos []string) (string, any) { return "guest.checkout", hotel.GuestCheckOutData{Room: pos[0]} }, nil),
		guestLeaf("move FROM TO", "move a guest to another room", 2,
			func(pos []string) (string, any) { return "guest.move", hotel.GuestMoveData{From: pos[0], To: pos[1]} }, nil))
}
