package rating

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGoldenSample rates testdata/calls.csv with the shipped tariff and the
// example hotel plan and compares with testdata/rated.golden.
func TestGoldenSample(t *testing.T) {
	site := cnTelecom(t).Site()
	site.Internal = []Range{{From: "2000", To: "2999"}}
	tr, err := cnTelecom(t).WithSite(site)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(tr, mustPlan(t, string(readShipped(t, "example-hotel-plan.yaml"))))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/calls.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		fs := strings.Split(line, ",")
		start, err := time.ParseInLocation("2006-01-02T15:04:05", fs[1], cst)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := strconv.Atoi(fs[2])
		c := Call{Dialed: fs[0], Start: start, Duration: sec(d)}
		switch fs[3] {
		case "y":
			c.Answered = yes()
		case "n":
			c.Answered = no()
		}
		if fs[4] != "-" {
			m := MustMoney(fs[4])
			c.PBXCost = &m
		}
		fmt.Fprintf(&out, "== %s\n", line)
		r, err := e.Rate(c)
		if err != nil {
			fmt.Fprintf(&out, "error: %v\n\n", err)
			continue
		}
		checkSum(t, r)
		fmt.Fprintf(&out, "%s %s %q prefix=%s rate=%s version=%s dur=%ds billable=%ds carrier=%s price=%s %s flags=%v\n%s\n",
			r.Number, r.Class, r.Destination, r.MatchedPrefix, r.RateID, r.TariffVersion, r.DurationS, r.BillableS,
			r.CarrierCost, r.Price, r.Currency, r.Flags, FormatBreakdown(r.Breakdown))
	}
	const golden = "testdata/rated.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != out.String() {
		t.Errorf("rated sample differs from %s (run with -update and review the diff):\n%s", golden, out.String())
	}
}
