package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/folio"
	"switchboard/tariffs"
)

// RateOnly is the not_posted reason of `switchboard rate`: it rates, it
// posts nothing.
const RateOnly = "rate only: no folio"

func rateFlags(fs *pflag.FlagSet) action {
	tariff := fs.String("tariff", "", "carrier tariff file (default: the embedded "+tariffs.DefaultTariff+")")
	plan := fs.String("plan", "", "hotel plan file (default: the embedded "+tariffs.DefaultPlan+")")
	homeArea := fs.String("home-area", "", "the site's area code, as billing.numbering.home_area (default: the tariff's)")
	trunk := fs.String("trunk-access", "", "trunk access codes the SMDR keeps in front of outside numbers, comma list (e.g. 9)")
	pbxCost := fs.String("pbx-cost", "", "what to do with a PBX's own cost, as billing.pbx_cost (ignore, compare, trust)")
	id := fs.String("profile", "", "read raw SMDR with this PBX profile instead of CallRecord JSON")
	tz := fs.String("tz", "UTC", "site time zone (IANA name): time bands and raw SMDR times")
	ref := fs.String("reference-date", "", "with --profile: date the output was received (YYYY-MM-DD), for dates printed without a year")
	dir := fs.String("profiles-dir", "", "with --profile: directory of profiles that override or add to the embedded ones")
	return func(pos []string, stdout, stderr io.Writer) int {
		if len(pos) > 1 {
			fmt.Fprintln(stderr, "usage: switchboard rate [--tariff F] [--plan P] [--profile ID --tz ZONE] [FILE|-]")
			return 2
		}
		loc, err := time.LoadLocation(*tz)
		if err != nil {
			fmt.Fprintf(stderr, "rate: --tz: %v\n", err)
			return 2
		}
		b := config.Billing{Tariff: *tariff, Plan: *plan, PBXCost: *pbxCost, Numbering: config.Numbering{HomeArea: *homeArea}}
		if *trunk != "" {
			b.Numbering.TrunkAccess = splitList(*trunk)
		}
		eng, err := folio.LoadEngine(b, nil)
		if err != nil {
			fmt.Fprintf(stderr, "rate: %v\n", err)
			return 2
		}
		biller := &folio.Biller{Engine: eng, Loc: loc}

		in := io.Reader(os.Stdin)
		if len(pos) == 1 && arg(pos, 0) != "-" {
			f, err := os.Open(arg(pos, 0))
			if err != nil {
				fmt.Fprintf(stderr, "rate: %v\n", err)
				return 2
			}
			defer f.Close()
			in = f
		}
		ok := true
		if *id != "" {
			// Raw SMDR: parse exactly as `switchboard smdr parse` does and rate
			// its output.
			p, err := lookupProfile(*id, *dir)
			if err != nil {
				fmt.Fprintf(stderr, "rate: %v\n", err)
				return 2
			}
			received := time.Now().In(loc)
			if *ref != "" {
				d, err := time.ParseInLocation(time.DateOnly, *ref, loc)
				if err != nil {
					fmt.Fprintf(stderr, "rate: --reference-date %q: want YYYY-MM-DD\n", *ref)
					return 2
				}
				received = d.Add(24*time.Hour - time.Second)
			}
			pr, pw := io.Pipe()
			parsed := make(chan error, 1)
			go func() {
				pok, err := parseStream(p, loc, received, in, pw, stderr)
				if err == nil && !pok {
					err = errUnparsed
				}
				pw.Close()
				parsed <- err
			}()
			ok = rateStream(biller, pr, stdout, stderr)
			_, _ = io.Copy(io.Discard, pr)
			if err := <-parsed; errors.Is(err, errUnparsed) {
				ok = false
			} else if err != nil {
				fmt.Fprintf(stderr, "rate: %v\n", err)
				return 2
			}
		} else {
			ok = rateStream(biller, in, stdout, stderr)
		}
		if !ok {
			return 1
		}
		return 0
	}
}

var errUnparsed = errors.New("some frames did not parse")

// rateStream reads CallRecord JSON lines and writes RatedCall JSON lines;
// ok is false when a line could not be read or a call could not be rated.
func rateStream(b *folio.Biller, in io.Reader, out, errw io.Writer) (ok bool) {
	ok = true
	bw := bufio.NewWriter(out)
	defer bw.Flush()
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var rec events.CallRecord
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			ok = false
			fmt.Fprintf(errw, "input line %d: not a CallRecord: %v\n", n, err)
			continue
		}
		rc, _, err := b.Rate(rec)
		switch {
		case err != nil:
			ok = false
			rc.NotPosted = "cannot rate: " + err.Error()
			fmt.Fprintf(errw, "input line %d: cannot rate %q: %v\n", n, rec.Dialed, err)
		case rec.Direction != events.Outgoing:
			rc.NotPosted = folio.NotOutgoing
		default:
			rc.NotPosted = RateOnly
		}
		if rc.Breakdown == nil {
			rc.Breakdown = []events.Line{}
		}
		if err := enc.Encode(rc); err != nil {
			fmt.Fprintf(errw, "rate: %v\n", err)
			return false
		}
	}
	if err := sc.Err(); err != nil {
		ok = false
		fmt.Fprintf(errw, "rate: %v\n", err)
	}
	return ok
}
