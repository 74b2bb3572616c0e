package metrics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"switchboard/internal/store"
)

// BenchmarkScrape scrapes a ledger of 100,000 outbox rows (the last 10,000
// unacknowledged) and 100,000 journal frames over two devices:
//
//	go test -p 1 -run '^$' -bench Scrape -benchtime 10x ./internal/metrics
func BenchmarkScrape(b *testing.B) {
	st := openStore(b)
	ctx := context.Background()
	now := time.Now()
	for i := range 10 {
		enqueue(b, st, 10_000, now.Add(time.Duration(i-10)*time.Hour))
	}
	if err := st.MarkPublished(ctx, 95_000); err != nil {
		b.Fatal(err)
	}
	if _, err := st.Ack(ctx, 90_000); err != nil {
		b.Fatal(err)
	}
	frames := make([]store.NewFrame, 1000)
	for i := range frames {
		frames[i] = store.NewFrame{Raw: []byte("03/14 09:01 00:02:11 1203 T001 0085212345678      \r\n"), Key: fmt.Sprint(i)}
	}
	for i := range 100 {
		dev := []string{"pbx1", "fias"}[i%2]
		if _, err := st.AppendFrames(ctx, dev, "sx200", "in", now.Add(time.Duration(i-100)*time.Minute), frames); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE journal SET status = CASE WHEN id % 50 = 0 THEN 'unparsed' ELSE 'parsed' END`)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	setLink(b, st, devices[0], "connected")
	for _, bc := range []struct {
		name    string
		recount bool
	}{{"steady", false}, {"recount", true}} {
		// steady: the journal counted since the last scrape only; recount:
		// a first scrape (or one each RecountEvery), counting it in full.
		b.Run(bc.name, func(b *testing.B) {
			h := NewHandler(Options{Source: Source{Store: st, Devices: devices}})
			scrape(b, h)
			for b.Loop() {
				if bc.recount {
					h = NewHandler(Options{Source: Source{Store: st, Devices: devices}})
				}
				got := scrape(b, h)
				if got["switchboard_scrape_error"] != "0" || got["switchboard_outbox_backlog_events"] != "10000" {
					b.Fatalf("scrape: error %s, backlog %s", got["switchboard_scrape_error"], got["switchboard_outbox_backlog_events"])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/scrape")
		})
	}
}
