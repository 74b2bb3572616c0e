package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"switchboard/drivers/pbx"
	"switchboard/internal/profile"
)

const smdrUsage = "usage: switchboard smdr parse --profile ID [--tz ZONE] [--reference-date YYYY-MM-DD] [--profiles-dir DIR] [FILE|-]"

// smdrCommand is `switchboard smdr parse`: SMDR/CDR output to CallRecord
// JSON lines, one failed line a line on stderr.
func smdrCommand() *cobra.Command {
	return group("smdr", "parse SMDR/CDR output with a PBX profile (smdr parse --profile ID [FILE|-])", smdrUsage,
		leaf("parse --profile ID [--tz ZONE] [--reference-date YYYY-MM-DD] [--profiles-dir DIR] [FILE|-]",
			"parse SMDR/CDR output to CallRecord JSON lines", smdrUsage+"\nExit status: 0 every line parsed, 1 some did not, 2 bad usage.", smdrParseFlags))
}

func smdrParseFlags(fs *pflag.FlagSet) action {
	id := fs.String("profile", "", "PBX profile id (see `switchboard profiles list`)")
	tz := fs.String("tz", "UTC", "site time zone (IANA name, e.g. Asia/Shanghai)")
	ref := fs.String("reference-date", "", "date the output was received (YYYY-MM-DD); resolves dates printed without a year (default: now)")
	dir := fs.String("profiles-dir", "", "directory of profiles that override or add to the embedded ones")
	return func(pos []string, stdout, stderr io.Writer) int {
		if *id == "" || len(pos) > 1 {
			fmt.Fprintln(stderr, "smdr parse: --profile is required and at most one FILE is allowed")
			return 2
		}
		loc, err := time.LoadLocation(*tz)
		if err != nil {
			fmt.Fprintf(stderr, "smdr parse: --tz: %v\n", err)
			return 2
		}
		received := time.Now().In(loc)
		if *ref != "" {
			d, err := time.ParseInLocation(time.DateOnly, *ref, loc)
			if err != nil {
				fmt.Fprintf(stderr, "smdr parse: --reference-date %q: want YYYY-MM-DD\n", *ref)
				return 2
			}
			received = d.Add(24*time.Hour - time.Second)
		}
		p, err := lookupProfile(*id, *dir)
		if err != nil {
			fmt.Fprintf(stderr, "smdr parse: %v\n", err)
			return 2
		}
		in := io.Reader(os.Stdin)
		if len(pos) == 1 && pos[0] != "-" {
			f, err := os.Open(pos[0])
			if err != nil {
				fmt.Fprintf(stderr, "smdr parse: %v\n", err)
				return 2
			}
			defer f.Close()
			in = f
		}
		ok, err := parseStream(p, loc, received, in, stdout, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "smdr parse: %v\n", err)
			return 2
		}
		if !ok {
			return 1
		}
		return 0
	}
}

func lookupProfile(id, dir string) (*profile.PBX, error) {
	if dir == "" {
		return profile.Lookup(id)
	}
	reg, err := profile.Load(dir)
	if err != nil {
		return nil, err
	}
	return reg.Lookup(id)
}

// parseStream frames in with p's framing and writes one JSON record a line to
// out and one "line N: reason" a failed frame to errw. ok is false when any
// frame failed.
func parseStream(p *profile.PBX, loc *time.Location, received time.Time, in io.Reader, out, errw io.Writer) (ok bool, err error) {
	fr := pbx.NewFramer(p.Framing)
	ps := pbx.NewParser(p, loc)
	bw := bufio.NewWriter(out)
	defer bw.Flush()
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	ok = true
	drain := func() error {
		for {
			f, more := fr.Next()
			if !more {
				return nil
			}
			if f.Junk != "" {
				ok = false
				fmt.Fprintf(errw, "line %d: %v\n", f.Line, &pbx.JunkError{Kind: f.Junk, Len: len(f.Data)})
				continue
			}
			rec, err := ps.Parse(f.Data, received)
			if errors.Is(err, pbx.ErrSkip) {
				continue
			}
			if err != nil {
				ok = false
				fmt.Fprintf(errw, "line %d: %v\n", f.Line, err)
				continue
			}
			rec.Line = f.Line
			if err := enc.Encode(rec); err != nil {
				return err
			}
		}
	}
	buf := make([]byte, 32*1024)
	for {
		n, rerr := in.Read(buf)
		fr.Push(buf[:n])
		if err := drain(); err != nil {
			return false, err
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return false, rerr
		}
	}
	fr.Flush()
	if err := drain(); err != nil {
		return false, err
	}
	if d := fr.Dropped(); d > 0 {
		ok = false
		fmt.Fprintf(errw, "%d frame(s) dropped: longer than max_length %d\n", d, p.Framing.MaxLength)
	}
	return ok, nil
}
