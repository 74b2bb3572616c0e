package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/events"
)

func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ev(i int) Event {
	return Event{Type: "hotel.test.thing", Topic: "hotel/a/b/edge/gw/event/test", Source: "/hotel/a/b/edge/gw",
		IdemKey: fmt.Sprintf("k%d", i), Data: map[string]int{"n": i}}
}

func TestEnqueueSeqGapFreeAndDedupe(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	for i := 1; i <= 5; i++ {
		seq, dup, err := s.Enqueue(ctx, ev(i))
		if err != nil || dup || seq != int64(i) {
			t.Fatalf("enqueue %d: seq=%d dup=%v err=%v", i, seq, dup, err)
		}
	}
	seq, dup, err := s.Enqueue(ctx, ev(3))
	if err != nil || !dup || seq != 3 {
		t.Fatalf("resend of k3: seq=%d dup=%v err=%v; want seq 3 dup", seq, dup, err)
	}
	// A rolled-back transaction must not burn a seq.
	boom := fmt.Errorf("boom")
	if err := s.InTx(ctx, func(tx *Tx) error {
		if _, _, err := tx.Enqueue(ev(99)); err != nil {
			return err
		}
		return boom
	}); err != boom {
		t.Fatalf("InTx err = %v", err)
	}
	seq, _, err = s.Enqueue(ctx, ev(6))
	if err != nil || seq != 6 {
		t.Fatalf("after rollback seq = %d, %v; want 6", seq, err)
	}
	rows, err := s.Pending(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("pending = %d rows, want 6", len(rows))
	}
	var env events.Envelope
	if err := json.Unmarshal(rows[0].Payload, &env); err != nil {
		t.Fatal(err)
	}
	if env.Seq != 1 || env.SeqEpoch != s.Epoch() || env.ID != events.EventID(env.Source, "hotel.test.thing", "k1", s.Epoch()) || env.Validate() != nil {
		t.Fatalf("envelope = %+v", env)
	}
}

func TestAckCursorMonotonicAndPurge(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	for i := 1; i <= 10; i++ {
		if _, _, err := s.Enqueue(ctx, ev(i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ ack, want int64 }{{4, 4}, {2, 4}, {50, 10}} {
		got, err := s.Ack(ctx, tc.ack)
		if err != nil || got != tc.want {
			t.Fatalf("Ack(%d) = %d, %v; want %d", tc.ack, got, err, tc.want)
		}
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Backlog != 0 || st.LastSeq != 10 || st.AckedSeq != 10 {
		t.Fatalf("stats = %+v, %v", st, err)
	}
	n, err := s.Purge(ctx, time.Now().Add(time.Second), time.Time{})
	if err != nil || n != 10 {
		t.Fatalf("purge = %d, %v", n, err)
	}
	// Purged numbers are never reused, and old keys still dedupe.
	seq, dup, err := s.Enqueue(ctx, ev(11))
	if err != nil || dup || seq != 11 {
		t.Fatalf("after purge seq = %d dup=%v %v", seq, dup, err)
	}
	if _, dup, _ := s.Enqueue(ctx, ev(2)); !dup {
		t.Fatal("key k2 re-enqueued after purge")
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sb.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	epoch := s.Epoch()
	id, err := s.AppendFrame(ctx, "pbx1", "avaya-ipoffice", time.Now(), []byte("raw line"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.InTx(ctx, func(tx *Tx) error {
		if _, _, err := tx.Enqueue(ev(1)); err != nil {
			return err
		}
		return tx.MarkFrame(id, FrameParsed, "")
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Epoch() != epoch {
		t.Fatalf("epoch changed on reopen: %s -> %s", epoch, s.Epoch())
	}
	fr, err := s.Frames(ctx, FrameFilter{Device: "pbx1"})
	if err != nil || len(fr) != 1 || fr[0].Status != FrameParsed || string(fr[0].Raw) != "raw line" {
		t.Fatalf("frames = %+v, %v", fr, err)
	}
}

// FrameFilter.Dir tells what a device sent from what was sent to it.
func TestFramesByDirection(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	at := time.Now()
	for _, dir := range []string{DirIn, DirOut, DirIn} {
		if _, err := s.AppendFrames(ctx, "pbx1", "fias", dir, at, []NewFrame{{Raw: []byte(dir)}}); err != nil {
			t.Fatal(err)
		}
	}
	for dir, want := range map[string]int{DirIn: 2, DirOut: 1, "": 3} {
		fr, err := s.Frames(ctx, FrameFilter{Device: "pbx1", Dir: dir})
		if err != nil || len(fr) != want {
			t.Errorf("Frames(dir %q) = %d frames, %v; want %d", dir, len(fr), err, want)
		}
		for _, f := range fr {
			if dir != "" && string(f.Raw) != dir {
				t.Errorf("Frames(dir %q) has %q", dir, f.Raw)
			}
		}
	}
}

func TestConcurrentEnqueue(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, _, err := s.Enqueue(ctx, ev(w*1000+i)); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	rows, err := s.Pending(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if r.Seq != int64(i+1) {
			t.Fatalf("row %d has seq %d: gap", i, r.Seq)
		}
	}
	if len(rows) != 200 {
		t.Fatalf("%d rows, want 200", len(rows))
	}
}

func BenchmarkEnqueueOnePerTx(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := s.Enqueue(ctx, ev(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkCommitLatency: the latency of a lone commit of one event
// (synchronous=FULL: one fsync of the WAL), as percentiles: the floor
// under every "one commit" latency target on this machine's disk.
func BenchmarkCommitLatency(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, _, err := s.Enqueue(ctx, ev(i)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)*999/1000].Microseconds())/1000, "p99.9-ms")
}

func BenchmarkEnqueueBatch100(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	b.ResetTimer()
	for i := 0; i < b.N; i += 100 {
		err := s.InTx(ctx, func(tx *Tx) error {
			for j := i; j < i+100 && j < b.N; j++ {
				if _, _, err := tx.Enqueue(ev(j)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func TestEventData(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	if _, _, err := s.Enqueue(ctx, ev(7)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		typ, key string
		ok       bool
		data     string
	}{
		{"hotel.test.thing", "k7", true, `{"n":7}`},
		{"hotel.test.thing", "k8", false, ""},
		{"hotel.test.other", "k7", false, ""},
	} {
		data, ok, err := s.EventData(ctx, tc.typ, tc.key)
		if err != nil || ok != tc.ok || string(data) != tc.data {
			t.Errorf("EventData(%s, %s) = %s, %v, %v; want %s, %v", tc.typ, tc.key, data, ok, err, tc.data, tc.ok)
		}
	}
}

// TestEventsData: the events of a type under a key prefix, in seq order;
// a key that only shares the prefix's beginning, or another type, is not
// among them.
func TestEventsData(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	for i, k := range []string{"fax1/fax-job/7/attempt/1/page/2/try/1", "fax1/fax-job/7/attempt/10/page/1/try/1",
		"fax1/fax-job/7/attempt/1/page/1/try/1", "fax1/fax-job/7/attempt/10", "fax1/fax-job/7/attempt/1/page/2/try/2"} {
		if _, _, err := s.Enqueue(ctx, Event{Type: "hotel.test.page", Topic: "t", IdemKey: k, Data: map[string]int{"n": i}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Enqueue(ctx, Event{Type: "hotel.test.other", Topic: "t", IdemKey: "fax1/fax-job/7/attempt/1/page/3/try/1", Data: 9}); err != nil {
		t.Fatal(err)
	}
	got, err := s.EventsData(ctx, "hotel.test.page", "fax1/fax-job/7/attempt/1/")
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for _, d := range got {
		list = append(list, string(d))
	}
	if want := `{"n":0} {"n":2} {"n":4}`; strings.Join(list, " ") != want {
		t.Errorf("EventsData = %v, want %s", list, want)
	}
	if _, err := s.EventsData(ctx, "hotel.test.page", ""); err == nil {
		t.Error("an empty prefix bounds no range: want an error")
	}
}

// TestEventIDs: an event of the gateway's own numbering (stay 1) gets a
// new id on a new database; an event whose key is the device's own data (a
// call's record) keeps its id, so a consumer deduping on id never takes a
// new stay for an old one, nor posts a resent call twice.
func TestEventIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// ids opens a new database as gateway gw and records stay 1 and a call.
	ids := func(gw string) (stay, call string) {
		s, err := Open(ctx, filepath.Join(t.TempDir(), "sb.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for _, ev := range []Event{
			{Type: "hotel.edge.folio.checked-in", Topic: "t/1", Source: "/hotel/acme/h042/edge/" + gw, IdemKey: "stay/1/hotel.edge.folio.checked-in"},
			{Type: "hotel.pbx.call.recorded", Topic: "t/2", Source: "/hotel/acme/h042/pbx/pbx1", IdemKey: "pbx1/6f2a9c", Stable: true},
		} {
			if _, _, err := s.Enqueue(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := s.Pending(ctx, 0, 10)
		if err != nil || len(rows) != 2 {
			t.Fatalf("%d rows %v", len(rows), err)
		}
		return rows[0].EventID, rows[1].EventID
	}
	stay1, call1 := ids("gw1")
	stay2, call2 := ids("gw1")
	other, _ := ids("gw2")
	if stay1 == stay2 {
		t.Errorf("stay 1 has the same id %s on a recreated database", stay1)
	}
	if call1 != call2 {
		t.Errorf("the same call got ids %s and %s", call1, call2)
	}
	if stay1 == other || stay2 == other {
		t.Errorf("stay 1 has the same id on two gateways")
	}
}

// TestFrameEvents: the events enqueued while a frame is being delivered
// are kept with it, those a record sent again finds already emitted too;
// nothing is attributed outside ForFrame.
func TestFrameEvents(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	for _, step := range []struct {
		frame int64
		evs   []int // ev(i) enqueued
	}{
		{7, []int{1, 2}}, // one frame, two events
		{0, []int{3}},    // not a frame's doing
		{8, []int{2}},    // the same event again: attributed to the repeat as well
		{9, nil},         // a frame that produced nothing
	} {
		err := s.InTx(ctx, func(tx *Tx) error {
			tx.ForFrame(step.frame)
			defer tx.ForFrame(0)
			for _, i := range step.evs {
				if _, _, err := tx.Enqueue(ev(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.FrameEvents(ctx, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []FrameEvent{{7, "hotel.test.thing", 1}, {7, "hotel.test.thing", 2}, {8, "hotel.test.thing", 2}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("FrameEvents = %v, want %v", got, want)
	}
	if got, _ := s.FrameEvents(ctx, 8, 8); len(got) != 1 {
		t.Errorf("FrameEvents(8, 8) = %v", got)
	}
}

func TestDeviceAlertOpen(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	open := func() bool {
		t.Helper()
		ok, err := s.DeviceAlertOpen(ctx, "gw1", "bus-session-lost")
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if open() {
		t.Fatal("open before it was raised")
	}
	at := time.Now()
	if err := s.InTx(ctx, func(tx *Tx) error {
		return tx.RaiseDeviceAlert(DeviceAlert{Device: "gw1", Domain: "edge", Alert: "bus-session-lost", Severity: "critical", Message: "m", Raised: at})
	}); err != nil {
		t.Fatal(err)
	}
	if !open() {
		t.Fatal("raised alert not open")
	}
	if err := s.InTx(ctx, func(tx *Tx) error { return tx.ClearDeviceAlert("gw1", "bus-session-lost", at.Add(time.Second)) }); err != nil {
		t.Fatal(err)
	}
	if open() {
		t.Fatal("cleared alert still open")
	}
}
