package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
	pbxsim "switchboard/internal/sim/pbx"
	simshenou "switchboard/internal/sim/shenou"
)

const simShenouUsage = `usage: switchboard sim shenou --pty LINK [--smdr-pty LINK2 --smdr-profile ID [SMDR flags]] [flags]

Plays a Shenou (申瓯) PBX's class-of-service port against the gateway's hotel link (a hotelink device
with profile shenou and transport serial port LINK): answers Q10*P*XXXX# with R10*P*XXXX and keeps each
room's level. With --smdr-pty the same PBX also prints SMDR on a second pty (profile --smdr-profile,
e.g. shenou-uso) and refuses the outgoing calls a room's level bars, so a cos.set or a check-out of
the gateway shows in the calls it records.
`

func simShenouFlags(fs *pflag.FlagSet) simAction {
	ptyLink := fs.String("pty", "", "create a pty pair and symlink `LINK` to its slave (the gateway's serial port)")
	prof := fs.String("profile", "shenou", "hotel-link profile with the levels")
	def := fs.String("default", "international", "class of rooms never set: barred, local, national or international")
	smdrLink := fs.String("smdr-pty", "", "also print SMDR on a pty symlinked at `LINK2`")
	smdrProf := fs.String("smdr-profile", "shenou-uso", "PBX profile of the SMDR (its simulate section)")
	rate := fs.Float64("rate", 1, "SMDR: calls per second (simulated and paced)")
	seed := fs.Uint64("seed", 1, "SMDR: seed of the call mix")
	rooms := fs.String("rooms", "101-1299", "SMDR: guest extensions FIRST-LAST")
	tz := fs.String("tz", "Local", "SMDR: zone of the PBX clock (IANA name)")
	return func(ctx context.Context, pos []string, stdout, stderr io.Writer) int {
		fail := func(format string, a ...any) int {
			fmt.Fprintf(stderr, "sim shenou: "+format+"\n", a...)
			return 2
		}
		if *ptyLink == "" || len(pos) > 0 {
			return fail("--pty LINK is required and no arguments are taken")
		}
		cos := hotel.COS(*def)
		switch cos {
		case hotel.COSBarred, hotel.COSLocal, hotel.COSNational, hotel.COSInternational:
		default:
			return fail("--default %q: want barred, local, national or international", *def)
		}
		p, err := hotelink.LoadProfile(*prof)
		if err != nil {
			return fail("%v", err)
		}
		pbx, err := simshenou.New(simshenou.Config{Profile: p, Default: cos})
		if err != nil {
			return fail("%v", err)
		}
		var smdr *pbxsim.Simulator
		if *smdrLink != "" {
			loc, err := time.LoadLocation(*tz)
			if err != nil {
				return fail("--tz: %v", err)
			}
			first, last, ok := parseRange(*rooms)
			if !ok {
				return fail("--rooms %q: want FIRST-LAST, e.g. 101-1299", *rooms)
			}
			sp, err := lookupProfile(*smdrProf, "")
			if err != nil {
				return fail("%v", err)
			}
			smdr, err = pbxsim.New(pbxsim.Options{Profile: sp, Seed: *seed, Location: loc, Rate: *rate,
				FirstRoom: first, LastRoom: last, COS: pbx.Class, ReplayBuffer: 0})
			if err != nil {
				return fail("%v", err)
			}
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
			fmt.Fprintf(stdout, time.Now().Format("15:04:05")+" "+format+"\n", a...)
		}
		say("Shenou COS port: pty %s linked at %s (profile %s, rooms %s until set)", pt.Slave, pt.Link, p.ID, cos)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var wg sync.WaitGroup
		if smdr != nil {
			spt, err := pbxsim.OpenPTY(*smdrLink)
			if err != nil {
				return fail("%v", err)
			}
			defer spt.Close()
			say("SMDR: pty %s linked at %s (profile %s)", spt.Slave, spt.Link, *smdrProf)
			wg.Add(1)
			go func() {
				defer wg.Done()
				calls := 0
				err := smdr.Run(ctx, spt.Master, func(*pbxsim.Call) { calls++ })
				if err != nil && !errors.Is(err, context.Canceled) {
					say("SMDR stopped: %v", err)
				}
				say("SMDR: %d records, %d calls refused by the class of service", calls, smdr.Refused())
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := 0
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				qs := pbx.Received()
				for _, q := range qs[seen:] {
					if q.Answered {
						say("room %s set to level %s (%s)", q.Room, q.Level, pbx.COS(q.Room))
					} else {
						say("ignored %q", q.Raw)
					}
				}
				seen = len(qs)
			}
		}()
		err = pbx.Serve(ctx, pt.Master)
		cancel()
		wg.Wait()
		if err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "sim shenou: %v\n", err)
			return 1
		}
		return 0
	}
}
