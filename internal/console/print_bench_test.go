package console

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"switchboard/internal/business"
	"switchboard/internal/events/printer"
	printjobs "switchboard/internal/print/jobs"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// BenchmarkPrintPages: the print and copy pages' server time on a 400-day
// ledger of 50,000 print jobs (125 a day, each billed) and 10,000 copy
// sessions (25 a day), one page per iteration.
func BenchmarkPrintPages(b *testing.B) {
	f := newFixture(b, false, nil)
	tariff, err := business.LoadTariff("")
	if err != nil {
		b.Fatal(err)
	}
	f.c.o.Devices = []DeviceInfo{{ID: "prn1", Domain: "print"}}
	f.c.o.BusinessTariff = tariff
	f.c.o.MediaSize = func(string, string) string { return "A4" }
	now := f.clock.now()
	price := business.PriceOf(tariff, rating.BusinessItem{Service: rating.ServicePrint, Size: "A4", Impressions: 4})
	const days, jobsPerDay, sessionsPerDay = 400, 125, 25
	err = f.st.InTx(context.Background(), func(tx *store.Tx) error {
		for d := range days {
			day := now.AddDate(0, 0, -d)
			for i := range jobsPerDay {
				at := day.Add(-time.Duration(i) * time.Minute)
				cmd := fmt.Sprintf("cmd-%d-%d", d, i)
				row, err := printjobs.Submitting(tx, printjobs.Job{Device: "prn1", CommandID: cmd, Room: "1203", Operator: "0002", Name: "doc.pdf",
					Copies: 2, Sides: "one-sided", Color: "monochrome", Media: "iso_a4_210x297mm", Submitted: at})
				if err != nil {
					return err
				}
				if err := business.Record(tx, business.Entry{IdemKey: "prn1/print/" + cmd, Service: rating.ServicePrint, Device: "prn1", Room: "1203",
					Operator: "0002", At: at, Units: 4, Size: "A4", State: "completed", Price: price, Tariff: tariff.Name()}); err != nil {
					return err
				}
				if err := printjobs.Ended(tx, "prn1", row, printjobs.End{JobID: printer.JobID(i + 1), State: "completed", Impressions: 4, At: at,
					Charge: "prn1/print/" + cmd}); err != nil {
					return err
				}
			}
			for i := range sessionsPerDay {
				at := day.Add(-time.Duration(i) * time.Minute)
				id, err := printjobs.StartSession(tx, printjobs.Session{Device: "prn1", Room: "1205", Operator: "0002", Media: "iso_a4_210x297mm",
					Color: "monochrome", CommandID: "c", Start: printer.Counters{At: at, Source: printer.FromIPP, Impressions: 100}})
				if err != nil {
					return err
				}
				if err := printjobs.BillSession(tx, id, printer.Counters{At: at, Impressions: 110}, 0, 10, ""); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	br := f.browser(b)
	br.signIn("0002", "1234")
	for _, path := range []string{"/print", "/print/jobs/cmd-200-60", "/copy", "/copy/sessions/5000"} {
		b.Run(path, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				if res := br.do("GET", path, nil); res.code != http.StatusOK {
					b.Fatalf("%s: %d", path, res.code)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[int(0.95*float64(len(lat)-1))].Microseconds())/1000, "p95-ms")
		})
	}
}
