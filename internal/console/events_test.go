package console

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/store"
)

// sseMessage is one server-sent event as a browser sees it.
type sseMessage struct {
	id, event, data string
}

// sseClient is an EventSource in a few lines: it reads /events into a channel.
type sseClient struct {
	res  *http.Response
	msgs chan sseMessage
}

// openStream opens /events on srv with the browser's session and, when
// lastID is not "", a Last-Event-ID.
func (b *browser) openStream(srv *httptest.Server, lastID string) (*sseClient, int) {
	b.t.Helper()
	req, err := http.NewRequest("GET", srv.URL+"/events", nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, ck := range b.cookies {
		req.AddCookie(ck)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, res.StatusCode
	}
	c := &sseClient{res: res, msgs: make(chan sseMessage, 1024)}
	go c.read()
	b.t.Cleanup(c.close)
	return c, res.StatusCode
}

func (c *sseClient) read() {
	defer close(c.msgs)
	sc := bufio.NewScanner(c.res.Body)
	var m sseMessage
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if m.event != "" || m.data != "" {
				c.msgs <- m
			}
			m = sseMessage{}
		case strings.HasPrefix(line, "id: "):
			m.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			m.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			m.data = line[6:]
		}
	}
}

func (c *sseClient) close() { c.res.Body.Close() }

// next is the next message within d, or fails.
func (c *sseClient) next(t *testing.T, d time.Duration) sseMessage {
	t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			t.Fatal("the stream ended")
		}
		return m
	case <-time.After(d):
		t.Fatalf("no event within %v", d)
	}
	return sseMessage{}
}

// quiet fails if a message arrives within d.
func (c *sseClient) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m, ok := <-c.msgs:
		if ok {
			t.Fatalf("unexpected event %+v", m)
		}
	case <-time.After(d):
	}
}

// enqueue commits an event of type typ with key key as a desk does.
func enqueue(t testing.TB, st *store.Store, typ, key string, data any) int64 {
	t.Helper()
	seq, _, err := st.Enqueue(context.Background(), store.Event{Type: typ, Topic: "acme/h042/pbx/pbx1/event/" + typ, Source: "/hotel/acme/h042/pbx/pbx1",
		Subject: "room/1203", IdemKey: key, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func chargedData(room, ext string) map[string]any {
	return map[string]any{"device": "pbx1", "journal_id": 1, "room": room, "stay_id": 1, "extension": ext, "class": "idd",
		"destination": "Japan", "dialed": "900813****", "start": "2026-12-04T21:30:00+08:00", "duration_s": 95, "billable_s": 120,
		"amount": "12.40", "amount_minor": 1240, "currency": "CNY", "tariff_version": "v1"}
}

func TestEventsStream(t *testing.T) {
	f := newFixture(t, false, nil)
	srv := httptest.NewServer(f.c)
	t.Cleanup(srv.Close)
	if _, code := f.browser(t).openStream(srv, ""); code != http.StatusUnauthorized {
		t.Fatalf("/events without a session: %d, want 401", code)
	}
	b := f.browser(t)
	b.signIn("0001", "1234")
	s, _ := b.openStream(srv, "")
	time.Sleep(50 * time.Millisecond) // the stream has subscribed
	sent := time.Now()
	seq := enqueue(t, f.st, "hotel.pbx.call.charged", "call-1", chargedData("1203", "1203"))
	m := s.next(t, time.Second)
	if m.id != strconv.FormatInt(seq, 10) || m.event != "hotel.pbx.call.charged" || !strings.Contains(m.data, `"amount_minor":1240`) ||
		strings.Contains(m.data, "specversion") {
		t.Fatalf("got %+v, want id %d and the envelope's data", m, seq)
	}
	t.Logf("event to stream in %v", time.Since(sent))
}

// A browser that lost its stream resumes after its last event id: what
// was committed meanwhile arrives once, in order, and then the live ones.
func TestEventsResume(t *testing.T) {
	f := newFixture(t, false, nil)
	srv := httptest.NewServer(f.c)
	t.Cleanup(srv.Close)
	b := f.browser(t)
	b.signIn("0001", "1234")
	s, _ := b.openStream(srv, "")
	time.Sleep(50 * time.Millisecond)
	first := enqueue(t, f.st, "hotel.pbx.call.charged", "call-1", chargedData("1203", "1203"))
	if m := s.next(t, time.Second); m.id != fmt.Sprint(first) {
		t.Fatalf("first %+v", m)
	}
	s.close()
	var missed []string
	for i := 2; i <= 4; i++ {
		missed = append(missed, fmt.Sprint(enqueue(t, f.st, "hotel.pbx.call.charged", fmt.Sprint("call-", i), chargedData("1203", "1203"))))
	}
	enqueue(t, f.st, "hotel.fax.received", "fax-1", map[string]any{"pages": 1}) // not the operator's: skipped, not lost
	s2, _ := b.openStream(srv, fmt.Sprint(first))
	for _, want := range missed {
		if m := s2.next(t, time.Second); m.id != want {
			t.Fatalf("resumed %+v, want id %s", m, want)
		}
	}
	live := enqueue(t, f.st, "hotel.pbx.call.charged", "call-5", chargedData("1203", "1203"))
	if m := s2.next(t, time.Second); m.id != fmt.Sprint(live) {
		t.Fatalf("after resume %+v, want %d (no duplicate)", m, live)
	}
	s2.quiet(t, 300*time.Millisecond)
}

// Each role's stream carries its own work only.
func TestEventsByRole(t *testing.T) {
	f := newFixture(t, false, nil)
	srv := httptest.NewServer(f.c)
	t.Cleanup(srv.Close)
	streams := map[string]*sseClient{}
	for _, code := range []string{"0001", "0002", "0003"} {
		b := f.browser(t)
		b.signIn(code, "1234")
		streams[code], _ = b.openStream(srv, "")
	}
	time.Sleep(50 * time.Millisecond)
	enqueue(t, f.st, "hotel.pbx.call.charged", "call-1", chargedData("1203", "1203"))
	enqueue(t, f.st, "hotel.fax.received", "fax-1", map[string]any{"pages": 1})
	enqueue(t, f.st, "hotel.edge.device.alert", "alert-1", map[string]any{"alert": "bus"})
	for _, tc := range []struct {
		code string
		want []string
	}{
		{"0001", []string{"hotel.pbx.call.charged"}},
		{"0002", []string{"hotel.fax.received"}},
		{"0003", []string{"hotel.pbx.call.charged", "hotel.fax.received", "hotel.edge.device.alert"}},
	} {
		for _, want := range tc.want {
			if m := streams[tc.code].next(t, time.Second); m.event != want {
				t.Errorf("%s got %s, want %s", tc.code, m.event, want)
			}
		}
		streams[tc.code].quiet(t, 200*time.Millisecond)
	}
}

// A subscriber that does not read is dropped when its buffer is full;
// the others get every event, without waiting for it.
func TestFeedSlowSubscriber(t *testing.T) {
	f := newFixture(t, false, nil)
	ctx := context.Background()
	slow, _, err := f.c.feed.subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fast, _, err := f.c.feed.subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.c.feed.unsubscribe(slow)
	defer f.c.feed.unsubscribe(fast)
	// Two bursts, each smaller than a subscriber's buffer, the reader
	// draining each before the next: it never falls behind, while the one
	// that reads nothing overflows in the second (one burst bigger than the
	// buffer would drop a reader the scheduler had not run yet too).
	n := subscriberBuffer + 50
	got := 0
	for _, burst := range []int{subscriberBuffer - 56, n - (subscriberBuffer - 56)} {
		from := got
		err = f.st.InTx(ctx, func(tx *store.Tx) error {
			for i := from; i < from+burst; i++ {
				if _, _, err := tx.Enqueue(store.Event{Type: "hotel.pbx.call.charged", Topic: "t", Source: "/s", IdemKey: fmt.Sprint("k", i), Data: i}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.After(3 * time.Second)
		for ; got < from+burst; got++ {
			select {
			case _, ok := <-fast.ch:
				if !ok {
					t.Fatalf("the reading subscriber was dropped after %d", got)
				}
			case <-deadline:
				t.Fatalf("the reading subscriber got %d of %d", got, n)
			}
		}
	}
	left := 0
	for range slow.ch { // closed when dropped
		left++
	}
	if left != subscriberBuffer {
		t.Fatalf("slow subscriber had %d buffered, want %d then dropped", left, subscriberBuffer)
	}
}

// BenchmarkEventToBrowser: an event committed to the store reaches a
// browser's stream (enqueue → SSE message read over HTTP), one at a time.
// Each event is committed after a random pause (outside the timing), so
// that commits fall anywhere in the feed's poll period, as the PBX's do.
func BenchmarkEventToBrowser(b *testing.B) {
	f := newFixture(b, false, nil)
	srv := httptest.NewServer(f.c)
	b.Cleanup(srv.Close)
	br := f.browser(b)
	br.signIn("0001", "1234")
	s, _ := br.openStream(srv, "")
	time.Sleep(50 * time.Millisecond)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		time.Sleep(time.Duration(rand.Int64N(int64(DefaultLivePoll))))
		b.StartTimer()
		start := time.Now()
		enqueue(b, f.st, "hotel.pbx.call.charged", fmt.Sprint("bench-", i), chargedData("1203", "1203"))
		select {
		case <-s.msgs:
		case <-time.After(5 * time.Second):
			b.Fatal("no event within 5 s")
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// reportLatency reports the 50th and 99th percentiles in milliseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
