package hotelink_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"switchboard/internal/events/hotel"
	simfias "switchboard/internal/sim/fias"
)

func bigSnapshot(n int) hotel.Snapshot {
	var s hotel.Snapshot
	at := time.Date(2000, 10, 16, 6, 30, 0, 0, site)
	for i := 0; i < n; i++ {
		room := hotel.Room(fmt.Sprintf("%d", 1000+i))
		s.Rooms = append(s.Rooms, hotel.OccupiedRoom{Room: room, Reservation: fmt.Sprint(50000 + i), Guest: "Guest Name " + string(room),
			Language: "en", COS: hotel.COSNational, DND: i%7 == 0, MWL: i%5 == 0})
		s.Wakeups = append(s.Wakeups, hotel.Wakeup{Room: room, At: at})
	}
	return s
}

// BenchmarkResync1000Rooms: a PBX's DR for a 1,000-room hotel with a
// wake-up per room (DS, 1,000 GI, 1,000 RE, 1,000 WR, DE = 3,002 records)
// over TCP on loopback, until the simulated PBX has applied DE.
func BenchmarkResync1000Rooms(b *testing.B) {
	h := startTCP(b, "fias", map[string]any{"keepalive": "0s"})
	src := &snapSource{snap: bigSnapshot(1000)}
	h.drv.SetStateSource(src)
	pbx := simfias.New(simfias.Config{Loc: site, Now: fixedClock})
	go pbx.Dial(context.Background(), h.addr)
	defer pbx.Close()
	ctx := context.Background()
	if err := pbx.WaitFor(ctx, func(p *simfias.PBX) bool { return p.Resyncs() == 1 }); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := h.drv.Resync(ctx); err != nil {
			b.Fatal(err)
		}
		if err := pbx.WaitFor(ctx, func(p *simfias.PBX) bool { return p.Resyncs() == i+2 }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := len(pbx.Wakeups()); n != 1000 {
		b.Fatalf("PBX holds %d wake-ups, want 1000", n)
	}
	perOp := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(3002/perOp.Seconds(), "records/s")
	b.ReportMetric(float64(perOp.Milliseconds()), "ms/resync")
}

// BenchmarkSendCommand: one WakeupSet through Send (encode, journal,
// write) over TCP; reports the p99 of the gateway's share.
func BenchmarkSendCommand(b *testing.B) {
	h := startTCP(b, "fias", map[string]any{"keepalive": "0s"})
	pbx := simfias.New(simfias.Config{Loc: site, Now: fixedClock})
	go pbx.Dial(context.Background(), h.addr)
	defer pbx.Close()
	h.sink.waitLinkUp(b, 1)
	ctx := context.Background()
	at := time.Date(2000, 10, 16, 6, 30, 0, 0, site)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		ack, err := h.drv.Send(ctx, hotel.WakeupSet{Ref: "r", Room: hotel.Room(fmt.Sprint(1000 + i%1000)), At: at})
		lat = append(lat, time.Since(t0))
		if err != nil || !ack.OK {
			b.Fatal(ack, err)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
}
