package metrics

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/backup"
	"switchboard/internal/events"
	"switchboard/internal/store"
)

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

var devices = []Device{
	{ID: "pbx1", Domain: "pbx", LinkKey: "hotel/pbx/pbx1/state/link"},
	{ID: "fias", Domain: "hotel", LinkKey: "hotel/hotel/fias/state/link"},
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "switchboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func setLink(t testing.TB, st *store.Store, d Device, state string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"data": events.DeviceState{Device: d.ID, State: state, Since: t0}})
	if err := st.Put(context.Background(), "retained", d.LinkKey, b); err != nil {
		t.Fatal(err)
	}
}

func enqueue(t testing.TB, st *store.Store, n int, at time.Time) {
	t.Helper()
	err := st.InTx(context.Background(), func(tx *store.Tx) error {
		for i := range n {
			if _, _, err := tx.Enqueue(store.Event{Type: "hotel.pbx.call.recorded", Topic: "t", Source: "s",
				IdemKey: fmt.Sprintf("%d-%d", at.UnixNano(), i), Time: at, Data: map[string]int{"i": i}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ledger fills a store: 5 events (3 acked), 3 frames (one unparsed),
// commands, wake-ups, fax pages, print impressions, a backup.
func ledger(t *testing.T) *store.Store {
	st := openStore(t)
	ctx := context.Background()
	enqueue(t, st, 5, t0.Add(-10*time.Minute))
	if err := st.MarkPublished(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Ack(ctx, 3); err != nil {
		t.Fatal(err)
	}
	ids, err := st.AppendFrames(ctx, "pbx1", "sx200", "in", t0.Add(-time.Minute), []store.NewFrame{{Raw: []byte("a")}, {Raw: []byte("b")}, {Raw: []byte("c")}})
	if err != nil {
		t.Fatal(err)
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		for i, id := range ids {
			s := "parsed"
			if i == 2 {
				s = "unparsed"
			}
			if err := tx.MarkFrame(id, s, ""); err != nil {
				return err
			}
		}
		for i, s := range []string{"completed", "completed", "failed", "accepted"} {
			if err := tx.PutCommand(store.CommandRow{ID: fmt.Sprint("c", i), Topic: "t", Client: "bo", Received: t0, Status: s}); err != nil {
				return err
			}
		}
		for i, w := range []struct {
			status string
			at     time.Time
		}{{"answered", t0.Add(-2 * time.Hour)}, {"pending", t0.Add(20 * time.Minute)}, {"pending", t0.Add(3 * time.Hour)}} {
			if _, err := tx.Exec(`INSERT INTO wakeups(series, room, date, clock, wall, at, resolution, daily, requested_by, recorded_at, status,
				pbx_state, pbx_wall, pbx_at, watch_at, updated) VALUES(?,?,?,'','',?,'exact',0,'pms',0,?,'held','',?,0,0)`,
				i, fmt.Sprint("12", i), fmt.Sprint("d", i), w.at.UnixNano(), w.status, w.at.UnixNano()); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`INSERT INTO fax_register(key, device, received, pages, status) VALUES('k','fax1',0,4,'assigned')`); err != nil {
			return err
		}
		// The outbox stamps rows with the clock of now: move them to the test's.
		if _, err := tx.Exec(`UPDATE outbox SET created=?`, t0.Add(-10*time.Minute).UnixNano()); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO print_jobs(device, command_id, room, operator, copies, sides, color, media, bytes, submitted, state, impressions)
			VALUES('lobby','c9','1203','0001',1,'one-sided','monochrome','iso_a4',10,0,'completed',7)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := backup.Record(ctx, st, t0.Add(-time.Hour), backup.Result{}, nil); err != nil {
		t.Fatal(err)
	}
	setLink(t, st, devices[0], "connected")
	setLink(t, st, devices[1], "disconnected")
	return st
}

// scrape returns the exposition's samples: `name{labels}` -> value.
func scrape(t testing.TB, h http.Handler) map[string]string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		out[line[:i]] = line[i+1:]
	}
	return out
}

func TestMetricsScrape(t *testing.T) {
	st := ledger(t)
	h := NewHandler(Options{Source: Source{Store: st, Devices: devices, Now: func() time.Time { return t0 }}})
	got := scrape(t, h)
	for _, tc := range []struct{ sample, want string }{
		{"switchboard_outbox_backlog_events", "2"},
		{"switchboard_outbox_unpublished_events", "1"},
		{"switchboard_outbox_oldest_unacked_age_seconds", "600"},
		{"switchboard_events_enqueued_total", "5"},
		{"switchboard_events_published_total", "4"},
		{"switchboard_events_acknowledged_total", "3"},
		{`switchboard_device_up{device="pbx1",domain="pbx"}`, "1"},
		{`switchboard_device_up{device="fias",domain="hotel"}`, "0"},
		{`switchboard_last_record_timestamp_seconds{device="pbx1"}`, strconv.FormatFloat(float64(t0.Add(-time.Minute).Unix()), 'g', -1, 64)},
		{`switchboard_records_total{device="pbx1",profile="sx200",status="parsed"}`, "2"},
		{`switchboard_records_total{device="pbx1",profile="sx200",status="unparsed"}`, "1"},
		{`switchboard_commands_total{outcome="completed"}`, "2"},
		{`switchboard_commands_total{outcome="failed"}`, "1"},
		{`switchboard_commands_total{outcome="accepted"}`, "1"},
		{`switchboard_wakeups_total{result="answered"}`, "1"},
		{`switchboard_wakeups_total{result="pending"}`, "2"},
		{"switchboard_wakeup_next_due_seconds", "1200"},
		{`switchboard_fax_pages_total{direction="received"}`, "4"},
		{`switchboard_fax_pages_total{direction="sent"}`, "0"},
		{`switchboard_print_impressions_total{device="lobby"}`, "7"},
		{"switchboard_backup_last_timestamp_seconds", strconv.FormatFloat(float64(t0.Add(-time.Hour).Unix()), 'g', -1, 64)},
		{"switchboard_backup_last_success", "1"},
		{"switchboard_scrape_error", "0"},
	} {
		if g, ok := got[tc.sample]; !ok || g != tc.want {
			t.Errorf("%s = %q (present %v), want %q", tc.sample, g, ok, tc.want)
		}
	}
	for _, name := range []string{"switchboard_store_size_bytes", "switchboard_store_wal_size_bytes", "switchboard_scrape_duration_seconds", "go_goroutines"} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
}

// A store that does not answer within the scrape timeout is reported, not
// waited for.
func TestMetricsScrapeError(t *testing.T) {
	st := openStore(t)
	st.Close()
	got := scrape(t, NewHandler(Options{Source: Source{Store: st}}))
	if got["switchboard_scrape_error"] != "1" {
		t.Errorf("switchboard_scrape_error = %q, want 1", got["switchboard_scrape_error"])
	}
}

func TestMetricsHealthReady(t *testing.T) {
	st := ledger(t)
	bus := false
	h := NewHandler(Options{Source: Source{Store: st, Devices: devices}, BusUp: func() bool { return bus }})
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	code, body := get("/readyz")
	if code != http.StatusServiceUnavailable || body != "bus: not connected\ndevice fias: disconnected\n" {
		t.Errorf("/readyz: %d %q, want 503 with the bus and fias", code, body)
	}
	bus = true
	setLink(t, st, devices[1], "connected")
	if code, body := get("/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz: %d %q, want 200", code, body)
	}
}

// The journal is counted incrementally: a frame still being interpreted
// ('new') waits until it is settled, then counts once.
func TestMetricsJournalIncremental(t *testing.T) {
	st := ledger(t)
	ctx := context.Background()
	h := NewHandler(Options{Source: Source{Store: st, Devices: devices, Now: func() time.Time { return t0 }}})
	const unparsed = `switchboard_records_total{device="pbx1",profile="sx200",status="unparsed"}`
	ids, err := st.AppendFrames(ctx, "pbx1", "sx200", "in", t0, []store.NewFrame{{Raw: []byte("d")}, {Raw: []byte("e")}})
	if err != nil {
		t.Fatal(err)
	}
	mark := func(id int64) {
		if err := st.InTx(ctx, func(tx *store.Tx) error { return tx.MarkFrame(id, "unparsed", "") }); err != nil {
			t.Fatal(err)
		}
	}
	mark(ids[1])
	// ids[1] is settled but waits behind ids[0], still new; then both count.
	for i, want := range []string{"1", "3"} {
		if got := scrape(t, h)[unparsed]; got != want {
			t.Errorf("scrape %d: %s = %q, want %q", i, unparsed, got, want)
		}
		mark(ids[0])
	}
}
