package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
	pbxsim "switchboard/internal/sim/pbx"
	simsx200 "switchboard/internal/sim/sx200"
)

const simSX200Usage = `usage: switchboard sim sx200 --pty LINK [--script ROOM=ANSWER,...] [--maid ROOM=CODE@AFTER,...] [--tz ZONE] [flags]

Plays a Mitel SX-200's PMS port (the Lodgistix protocol) against the gateway's hotel link (a hotelink
device with profile mitel-sx200 and transport serial port LINK): ACK per message it understands (NAK
otherwise), room state (check-in, message lamp, DND, restriction, wake-ups), wake-ups rung on the wall
clock and reported WKR per room, maid status MDS on a schedule.
  --script 1203=noanswer,1203=answered   wake-up answers in order per room (answered, noanswer);
                                         rooms not named answer
  --maid 1203=3@30s,1204=1@1m            send maid status CODE for ROOM this long after the start
`

// parseWakeupScript reads ROOM=ANSWER pairs for the SX-200, which tells
// answered from not answered only (busy reports as not answered).
func parseWakeupScript(s string) (map[hotel.Room][]hotel.WakeupStatus, error) {
	out := map[hotel.Room][]hotel.WakeupStatus{}
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		room, ans, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || room == "" {
			return nil, fmt.Errorf("--script %q: want ROOM=ANSWER pairs separated by commas", part)
		}
		var st hotel.WakeupStatus
		switch strings.ToLower(ans) {
		case "answered", "ok", "1":
			st = hotel.WakeupAnswered
		case "noanswer", "no-answer", "no_answer", "busy", "0":
			st = hotel.WakeupNoAnswer
		default:
			return nil, fmt.Errorf("--script %s: answer %q: want answered or noanswer", room, ans)
		}
		out[hotel.Room(room)] = append(out[hotel.Room(room)], st)
	}
	return out, nil
}

type maidStatus struct {
	room  hotel.Room
	code  int
	after time.Duration
}

// parseMaid reads ROOM=CODE[@AFTER] entries.
func parseMaid(s string) ([]maidStatus, error) {
	var out []maidStatus
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		room, rest, ok := strings.Cut(part, "=")
		code, after, timed := strings.Cut(rest, "@")
		n, err := strconv.Atoi(code)
		if !ok || room == "" || err != nil || n < 0 {
			return nil, fmt.Errorf("--maid %q: want ROOM=CODE or ROOM=CODE@AFTER (e.g. 1203=3@30s)", part)
		}
		m := maidStatus{room: hotel.Room(room), code: n}
		if timed {
			if m.after, err = time.ParseDuration(after); err != nil || m.after < 0 {
				return nil, fmt.Errorf("--maid %q: %q is not a duration such as 30s", part, after)
			}
		}
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].after < out[j].after })
	return out, nil
}

func simSX200Flags(fs *pflag.FlagSet) simAction {
	ptyLink := fs.String("pty", "", "create a pty pair and symlink `LINK` to its slave (the gateway's serial port)")
	prof := fs.String("profile", "mitel-sx200", "hotel-link profile with the SX-200 function codes")
	script := fs.String("script", "", "wake-up answers per room: `ROOM=ANSWER,...` (answered, noanswer)")
	maid := fs.String("maid", "", "maid status to send: `ROOM=CODE@AFTER,...`")
	tz := fs.String("tz", "Local", "zone of the PBX clock (IANA name; the site's, e.g. Asia/Shanghai)")
	tick := fs.Duration("tick", time.Second, "how often the PBX looks for wake-ups that are due")
	return func(ctx context.Context, pos []string, stdout, stderr io.Writer) int {
		fail := func(format string, a ...any) int {
			fmt.Fprintf(stderr, "sim sx200: "+format+"\n", a...)
			return 2
		}
		if *ptyLink == "" || len(pos) > 0 {
			return fail("--pty LINK is required and no arguments are taken")
		}
		loc, err := time.LoadLocation(*tz)
		if err != nil {
			return fail("--tz: %v", err)
		}
		if *tick <= 0 {
			return fail("--tick must be positive")
		}
		answers, err := parseWakeupScript(*script)
		if err != nil {
			return fail("%v", err)
		}
		maids, err := parseMaid(*maid)
		if err != nil {
			return fail("%v", err)
		}
		p, err := hotelink.LoadProfile(*prof)
		if err != nil {
			return fail("%v", err)
		}
		pbx, err := simsx200.New(simsx200.Config{Profile: p, Answers: answers, Loc: loc})
		if err != nil {
			return fail("%v", err)
		}
		pt, err := pbxsim.OpenPTY(*ptyLink)
		if err != nil {
			return fail("%v", err)
		}
		defer pt.Close()
		var out sync.Mutex
		say := func(format string, a ...any) {
			out.Lock()
			defer out.Unlock()
			fmt.Fprintf(stdout, time.Now().In(loc).Format("15:04:05")+" "+format+"\n", a...)
		}
		say("SX-200 PMS port: pty %s linked at %s (profile %s)", pt.Slave, pt.Link, p.ID)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			seen := 0
			t := time.NewTicker(*tick)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				msgs := pbx.Received()
				for _, m := range msgs[seen:] {
					say("got %q: %s", m.Raw, map[byte]string{hotelink.ACK: "ACK", hotelink.NAK: "NAK", 0: "no answer"}[m.Answer])
				}
				seen = len(msgs)
				rung, err := pbx.Ring(time.Now())
				for _, r := range rung {
					say("rang room %s for %s: %s", r.Room, r.At.In(loc).Format("15:04"), r.Status)
				}
				if err != nil {
					say("WKR not sent: %v", err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			start := time.Now()
			for _, m := range maids {
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Until(start.Add(m.after))):
				}
				if err := pbx.RoomStatus(m.room, m.code); err != nil {
					say("MDS %s %d not sent: %v", m.room, m.code, err)
					continue
				}
				say("sent maid status %d for room %s", m.code, m.room)
			}
		}()
		err = pbx.Serve(ctx, pt.Master)
		cancel()
		wg.Wait()
		if err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "sim sx200: %v\n", err)
			return 1
		}
		say("stopped: %d messages received, %d wake-ups rung, %d held", len(pbx.Received()), len(pbx.Rung()), len(pbx.Wakeups()))
		return 0
	}
}
