package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
	simfias "switchboard/internal/sim/fias"
)

const simFIASUsage = `usage: switchboard sim fias --connect ADDR [--script ROOM=ANSWER,...] [--tz ZONE] [flags]

Plays a PBX's Oracle FIAS hotel interface (the "vendor system") against the gateway's hotel link
(a hotelink device with profile fias and transport tcp listen ADDR): link start, database resyncs,
wake-ups rung on the wall clock and answered per room, maid status and postings on request.
  --script 1203=busy,1204=noanswer,1204=answered   answers in order per room (answered, busy, noanswer;
                                                   or a raw FIAS AS code); rooms not named answer OK
`

// fiasAnswers maps script words to FIAS WA answer-status codes.
var fiasAnswers = map[string]string{"answered": "OK", "ok": "OK", "busy": "BY", "noanswer": "NR", "no-answer": "NR", "no_answer": "NR"}

// parseFIASScript reads ROOM=ANSWER pairs; a room named twice answers in
// that order (the first call, then the retry).
func parseFIASScript(s string) (map[hotel.Room][]string, error) {
	out := map[hotel.Room][]string{}
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		room, ans, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || room == "" || ans == "" {
			return nil, fmt.Errorf("--script %q: want ROOM=ANSWER pairs separated by commas", part)
		}
		code, known := fiasAnswers[strings.ToLower(ans)]
		if !known {
			if len(ans) != 2 || strings.ToUpper(ans) != ans {
				return nil, fmt.Errorf("--script %s: answer %q: want answered, busy, noanswer or a two-letter FIAS AS code", room, ans)
			}
			code = ans
		}
		out[hotel.Room(room)] = append(out[hotel.Room(room)], code)
	}
	return out, nil
}

func simFIASFlags(fs *pflag.FlagSet) simAction {
	connect := fs.String("connect", "", "the gateway's hotel link at `ADDR` (its tcp listen address)")
	script := fs.String("script", "", "wake-up answers per room: `ROOM=ANSWER,...` (answered, busy, noanswer)")
	tz := fs.String("tz", "Local", "zone of the PBX clock (IANA name; the site's, e.g. Asia/Shanghai)")
	tick := fs.Duration("tick", time.Second, "how often the PBX looks for wake-ups that are due")
	keepalive := fs.Duration("keepalive", 30*time.Second, "send LA (FIAS Link Alive) this often while the link is up; 0: never")
	retry := fs.Duration("retry", 2*time.Second, "wait between connection attempts")
	lrc := fs.Bool("lrc", false, "LRC after ETX (a serial profile's framing)")
	describes := fs.Bool("gateway-describes", false, "the gateway sends LD/LR (profile link.describe: gateway)")
	return func(ctx context.Context, pos []string, stdout, stderr io.Writer) int {
		fail := func(format string, a ...any) int {
			fmt.Fprintf(stderr, "sim fias: "+format+"\n", a...)
			return 2
		}
		if *connect == "" || len(pos) > 0 {
			return fail("--connect ADDR is required and no arguments are taken")
		}
		loc, err := time.LoadLocation(*tz)
		if err != nil {
			return fail("--tz: %v", err)
		}
		answers, err := parseFIASScript(*script)
		if err != nil {
			return fail("%v", err)
		}
		if *tick <= 0 {
			return fail("--tick must be positive")
		}
		pbx := simfias.New(simfias.Config{LRC: *lrc, GatewayDescribes: *describes, Answers: answers, Loc: loc})
		var out sync.Mutex
		say := func(format string, a ...any) {
			out.Lock()
			defer out.Unlock()
			fmt.Fprintf(stdout, time.Now().In(loc).Format("15:04:05")+" "+format+"\n", a...)
		}
		// The PBX's clock: ring what is due, report each call.
		go func() {
			t := time.NewTicker(*tick)
			defer t.Stop()
			lastLA := time.Now()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				if *keepalive > 0 && pbx.LinkUp() && time.Since(lastLA) >= *keepalive {
					// The gateway drops a link that stays silent for its
					// link_timeout (3 minutes by default).
					la := hotelink.Record{Type: "LA"}
					now := time.Now().In(loc)
					la.Add("DA", now.Format("060102"))
					la.Add("TI", now.Format("150405"))
					if err := pbx.Send(la); err == nil {
						lastLA = time.Now()
					}
				}
				rung, err := pbx.Ring(time.Now())
				for _, r := range rung {
					say("rang room %s for %s: WA AS%s", r.Room, r.At.In(loc).Format("2006-01-02 15:04"), r.Answer)
				}
				if err != nil {
					say("WA not sent: %v", err)
				}
			}
		}()
		say("FIAS PBX connecting to %s (answers: %s)", *connect, describeScript(answers))
		for ctx.Err() == nil {
			err := pbx.Dial(ctx, *connect)
			if ctx.Err() != nil {
				break
			}
			if err != nil {
				say("link: %v; again in %s", err, *retry)
			} else {
				say("link closed by the gateway; again in %s (holding %d wake-ups)", *retry, len(pbx.Wakeups()))
			}
			select {
			case <-ctx.Done():
			case <-time.After(*retry):
			}
		}
		say("stopped: %d records received, %d database swaps, %d wake-ups held", len(pbx.Received()), pbx.Resyncs(), len(pbx.Wakeups()))
		return 0
	}
}

func describeScript(a map[hotel.Room][]string) string {
	if len(a) == 0 {
		return "every room answers"
	}
	var parts []string
	for r, codes := range a {
		parts = append(parts, string(r)+"="+strings.Join(codes, "/"))
	}
	return strings.Join(parts, " ")
}
