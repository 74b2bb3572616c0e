package console

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"switchboard/internal/business"
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
	err = f.st.InTx(context.Background(), func(tx *store.Tx) error { return fillPrint(tx, tariff, now, 400, 125, 25) })
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
