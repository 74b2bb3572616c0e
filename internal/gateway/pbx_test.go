package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "switchboard/drivers/pbx"
	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/store"
	"switchboard/internal/transport"
	"switchboard/internal/unparsed"
	"switchboard/schemas"
	"switchboard/test/peers"
)

// Avaya IP Office SMDR lines from the IP Office Manager "SMDR Examples".
var avayaLines = []string{
	"2008/06/28 09:28:41,00:00:00,9,8004206,I,4324,4324,,0,1000014155,0,E4324,Joe Bloggs,T9161,LINE 5.1,0,0",
	"2008/06/28 09:30:57,00:00:13,7,01707392200,I,299999,299999,,0,1000014160,1,E4750,John Smith,T9002,LINE 1.2,11,0",
	"2008/06/28 09:30:57,00:00:21,0,01707392200,I,299999,299999,,0,1000014160,0,V9502,VM Channel 2,T9002,LINE 1.2,0,0",
	"2008/08/01 15:14:19,00:00:05,7,01707299900,I,23,390664,,0,1000013,0,E23,Extn23,T9001,Line 1.2,0,0,,,,,,,,,,,,,,",
	"2008/06/26 10:27:44,00:00:44,4,4688,O,4207,4207,,1,1000013898,0,E4688,Joe Bloggs,E4207,John Smith,0,0",
}

func fileGateway(t *testing.T, dbPath, file, profile string) (*Gateway, func()) {
	t.Helper()
	return pbxGateway(t, dbPath, profile, config.Transport{File: &config.File{Path: file}})
}

// pbxGateway runs a gateway whose one device, pbx1, reads SMDR through tr.
func pbxGateway(t *testing.T, dbPath, profile string, tr config.Transport) (*Gateway, func()) {
	t.Helper()
	return pbxGatewayTuned(t, dbPath, profile, tr, Tuning{})
}

func pbxGatewayTuned(t *testing.T, dbPath, profile string, tr config.Transport, tn Tuning) (*Gateway, func()) {
	t.Helper()
	cfg := &config.Config{
		Site:    config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store:   config.Store{Path: dbPath},
		MQTT:    config.MQTT{Embedded: testBroker(peers.FreePort(t))},
		Devices: []config.Device{{ID: "pbx1", Driver: "pbx", Profile: profile, Transport: tr}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, err := NewTuned(ctx, cfg, quiet, tn)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- g.Run(ctx) }()
	return g, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
}

// waitFrames waits until the journal holds n frames, none still new.
func waitFrames(t *testing.T, st *store.Store, n int) map[string]int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := st.CountFrames(context.Background(), "pbx1")
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, v := range c {
			total += v
		}
		if total >= int64(n) && c[store.FrameNew] == 0 {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("journal has %v, want %d frames interpreted", c, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outboxByType reads every stored event, validating each against its schema.
func outboxByType(t *testing.T, st *store.Store) map[string][]events.Envelope {
	t.Helper()
	rows, err := st.Pending(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]events.Envelope{}
	for _, r := range rows {
		if err := schemas.Validate(r.Payload); err != nil {
			t.Errorf("seq %d %s does not match its schema: %v\n%s", r.Seq, r.Type, err, r.Payload)
		}
		var env events.Envelope
		if err := json.Unmarshal(r.Payload, &env); err != nil {
			t.Fatal(err)
		}
		out[env.Type] = append(out[env.Type], env)
	}
	return out
}

func TestSMDRFileToEvents(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "calls.txt")
	garbage := "\x15\x15garbage from a wrong baud rate\x7f"
	// The header line some collectors write, the calls, a garbage line, and a
	// truncated last line (no newline: a partial line at the end).
	content := "Call Start,Connected Time,Ring Time\n" + strings.Join(avayaLines, "\r\n") + "\r\n" + garbage + "\n2008/06/28 09:28:4"
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "sb.db")
	g, stop := fileGateway(t, db, file, "avaya-ipoffice")
	counts := waitFrames(t, g.Store(), 8)
	if counts[store.FrameParsed] != 5 || counts[store.FrameUnparsed] != 2 || counts[store.FrameSkipped] != 1 {
		t.Fatalf("journal statuses = %v; want 5 parsed, 2 unparsed, 1 skipped", counts)
	}
	byType := outboxByType(t, g.Store())
	if n := len(byType["hotel.pbx.call.recorded"]); n != 5 {
		t.Fatalf("%d call.recorded events, want 5", n)
	}
	un := byType["hotel.pbx.smdr.unparsed"]
	if len(un) != 2 {
		t.Fatalf("%d smdr.unparsed events, want 2", len(un))
	}
	var u events.Unparsed
	json.Unmarshal(un[0].Data, &u)
	if u.Raw != garbage || u.RawHex == "" && !strings.Contains(u.Raw, "garbage") || !strings.Contains(u.Reason, "line ") {
		t.Errorf("unparsed event = %+v", u)
	}
	var rec events.CallRecorded
	json.Unmarshal(byType["hotel.pbx.call.recorded"][0].Data, &rec)
	if rec.Caller != "8004206" || rec.Direction != events.Incoming || rec.Start.Format(time.RFC3339) != "2008-06-28T09:28:41+08:00" || rec.JournalID == 0 {
		t.Errorf("first call = %+v", rec)
	}
	stop()

	// Restart on the same store: the file is read again (as a PBX replays
	// its buffer); nothing is recorded twice.
	g, stop = fileGateway(t, db, file, "avaya-ipoffice")
	defer stop()
	counts = waitFrames(t, g.Store(), 16)
	if counts[store.FrameDuplicate] != 5 {
		t.Fatalf("after replay journal = %v; want the 5 calls marked duplicate", counts)
	}
	byType = outboxByType(t, g.Store())
	if n := len(byType["hotel.pbx.call.recorded"]); n != 5 {
		t.Fatalf("after replay %d call.recorded events, want still 5", n)
	}
}

// Two identical lines in one session: two calls where the record carries
// no identity of the call (two guests' identical calls in one minute on a
// Panasonic), one call where it carries the PBX's Call ID (Avaya IP Office:
// the same Call ID printed twice is a reprint, never a second call).
func TestIdenticalLinesInOneSession(t *testing.T) {
	cases := []struct {
		profile, line string
		calls         int
	}{
		{"panasonic-kx-tda", "01/02/02 01:07PM 1234  01 123456XX                       00:01'05            TR", 2},
		{"avaya-ipoffice", avayaLines[4], 1},
	}
	for _, tc := range cases {
		t.Run(tc.profile, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "calls.txt")
			os.WriteFile(file, []byte(tc.line+"\n"+tc.line+"\n"), 0o644)
			g, stop := fileGateway(t, filepath.Join(dir, "sb.db"), file, tc.profile)
			defer stop()
			counts := waitFrames(t, g.Store(), 2)
			if n := len(outboxByType(t, g.Store())["hotel.pbx.call.recorded"]); n != tc.calls {
				t.Fatalf("%d calls recorded from two identical lines, want %d (journal %v)", n, tc.calls, counts)
			}
			if tc.calls == 1 && counts[store.FrameDuplicate] != 1 {
				t.Fatalf("the reprint is not marked duplicate: journal %v", counts)
			}
		})
	}
}

func TestGarbageBurstRaisesPortAlert(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "calls.txt")
	var b strings.Builder
	for i := 0; i < 12; i++ {
		fmt.Fprintf(&b, "\xfe\x13%c noise %d\n", 'A'+i, i)
	}
	os.WriteFile(file, []byte(b.String()), 0o644)
	g, stop := fileGateway(t, filepath.Join(dir, "sb.db"), file, "avaya-ipoffice")
	defer stop()
	waitFrames(t, g.Store(), 1) // the twelve lines of noise, as one frame
	alerts := outboxByType(t, g.Store())["hotel.pbx.device.alert"]
	if len(alerts) != 1 || !strings.Contains(string(alerts[0].Data), "check SMDR port settings") {
		t.Fatalf("alerts = %d %v", len(alerts), alerts)
	}
}

// TestGarbageCoalesced: 2 MB of line noise on an SMDR port. Every byte is
// kept in the journal; the first few unreadable frames of each window are
// published alone, the rest summed up once a window is over, so the outbox
// stays small and the database grows by less than twice the garbage.
func TestGarbageCoalesced(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := make([]byte, 2<<20)
	rng := rand.New(rand.NewPCG(4, 2))
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	file := filepath.Join(dir, "noise.bin")
	if err := os.WriteFile(file, garbage, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty.db")
	st, err := store.Open(context.Background(), empty)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	base := dbSize(t, empty)
	db := filepath.Join(dir, "sb.db")
	g, stop := pbxGatewayTuned(t, db, "panasonic-kx-tda", config.Transport{File: &config.File{Path: file}},
		Tuning{Noise: unparsed.Coalescer{First: 5, Window: 2 * time.Second}})
	counts := waitFrames(t, g.Store(), 1)
	var covered, alone, summaries int
	deadline := time.Now().Add(20 * time.Second)
	for {
		covered, alone, summaries = 0, 0, 0
		for _, env := range outboxByType(t, g.Store())["hotel.pbx.smdr.unparsed"] {
			var u events.Unparsed
			json.Unmarshal(env.Data, &u)
			if u.Count > 0 {
				summaries++
				covered += u.Count
			} else {
				alone++
				covered++
			}
		}
		counts = waitFrames(t, g.Store(), 1)
		// Done when the whole file is read (the framer drops only the line
		// ends between frames) and every frame is covered: covered equals
		// the count early too, while the file is still being read.
		if (int64(covered) == counts[store.FrameUnparsed] && journaled(t, g.Store()) >= len(garbage)*9/10) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	stop()
	if int64(covered) != counts[store.FrameUnparsed] {
		t.Errorf("events cover %d unreadable frames, the journal has %d", covered, counts[store.FrameUnparsed])
	}
	if alone > 5*(summaries+1) || summaries == 0 {
		t.Errorf("%d published alone, %d summaries: want at most 5 alone a window", alone, summaries)
	}
	frames, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer frames.Close()
	// The framer drops only the line ends between frames.
	if kept := journaled(t, frames); kept < len(garbage)*9/10 {
		t.Errorf("journal keeps %d bytes of %d", kept, len(garbage))
	}
	if grew := dbSize(t, db) - base; grew > 2*int64(len(garbage)) {
		t.Errorf("database grew by %d bytes for %d bytes of garbage (%d frames, %d events)", grew, len(garbage), counts[store.FrameUnparsed], alone+summaries)
	}
	t.Logf("%d unreadable frames: %d events alone, %d summaries; database +%d bytes for %d bytes", counts[store.FrameUnparsed], alone, summaries, dbSize(t, db)-base, len(garbage))
}

// journaled is the bytes of raw frames a store's journal holds.
func journaled(t *testing.T, st *store.Store) int {
	t.Helper()
	var kept int
	if err := st.QueryRow(context.Background(), `SELECT COALESCE(SUM(LENGTH(raw)),0) FROM journal`).Scan(&kept); err != nil {
		t.Fatal(err)
	}
	return kept
}

// dbSize is a store's size on disk, its write-ahead log included.
func dbSize(t *testing.T, path string) int64 {
	t.Helper()
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// A PBX configured with the wrong profile: every line is kept and reported;
// after the fix, reprocess turns them into calls.
func TestWrongProfileThenReprocess(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "calls.txt")
	lines := []string{
		"01/02/02 10:07AM 1200  01 <I>                       0'05 00:01'05 9876543210",
		"01/02/02 01:07PM 1234  01 123456XX                       00:01'05            TR",
		"01/02/02 03:45PM 1234     EXT1235                        00:12'05 98765",
	}
	os.WriteFile(file, []byte(strings.Join(lines, "\r\n")+"\r\n"), 0o644)
	db := filepath.Join(dir, "sb.db")
	g, stop := fileGateway(t, db, file, "avaya-ipoffice")
	counts := waitFrames(t, g.Store(), 3)
	stop()
	if counts[store.FrameUnparsed] != 3 {
		t.Fatalf("journal = %v; want 3 unparsed with the wrong profile", counts)
	}
	cfg := g.cfg
	off, err := OpenOffline(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	res, err := off.Reprocess(context.Background(), ReprocessOptions{Profile: "panasonic-kx-tda"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Read != 3 || res[0].Parsed != 3 || len(res[0].StillUnparsed) != 0 {
		t.Fatalf("reprocess = %+v", res)
	}
	byType := outboxByType(t, off.Store())
	if len(byType["hotel.pbx.call.recorded"]) != 3 || len(byType["hotel.pbx.smdr.unparsed"]) != 3 {
		t.Fatalf("events after reprocess: %d calls, %d unparsed", len(byType["hotel.pbx.call.recorded"]), len(byType["hotel.pbx.smdr.unparsed"]))
	}
	// Reprocessing again finds nothing left to read.
	res, _ = off.Reprocess(context.Background(), ReprocessOptions{Profile: "panasonic-kx-tda"})
	if res[0].Read != 0 {
		t.Fatalf("second reprocess read %d frames", res[0].Read)
	}
}

// TestSMDRListenerServesOnePBX: on an SMDR listener (IP Office dials us), a
// second connection while the PBX is connected is refused; the call it
// sends is never journaled, let alone charged, and the PBX's calls go on.
func TestSMDRListenerServesOnePBX(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	g, stop := pbxGateway(t, filepath.Join(t.TempDir(), "sb.db"), "avaya-ipoffice", config.Transport{TCP: &config.TCP{Listen: addr}})
	defer stop()
	var pbx net.Conn
	for deadline := time.Now().Add(10 * time.Second); pbx == nil; time.Sleep(20 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			pbx = c
		} else if time.Now().After(deadline) {
			t.Fatalf("the gateway does not listen on %s: %v", addr, err)
		}
	}
	defer pbx.Close()
	fmt.Fprintf(pbx, "%s\r\n", avayaLines[0])
	waitFrames(t, g.Store(), 1)

	intruder, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer intruder.Close()
	fmt.Fprintf(intruder, "%s\r\n", avayaLines[4]) // extension 4688 calls 4207
	intruder.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := intruder.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("second connection not refused: %v", err)
	}

	fmt.Fprintf(pbx, "%s\r\n", avayaLines[3])
	if c := waitFrames(t, g.Store(), 2); c[store.FrameParsed] != 2 {
		t.Fatalf("journal = %v, want the PBX's 2 calls", c)
	}
	for _, env := range outboxByType(t, g.Store())["hotel.pbx.call.recorded"] {
		var rec events.CallRecorded
		json.Unmarshal(env.Data, &rec)
		if rec.Caller == "4688" {
			t.Fatalf("the refused connection's call was recorded: %+v", rec)
		}
	}
}

// TestSMDRListenerAllowFromConfig: tcp.allow reaches the listener: a
// connection from an address it does not name is refused.
func TestSMDRListenerAllowFromConfig(t *testing.T) {
	tr, err := transport.FromConfig("pbx1", config.Transport{TCP: &config.TCP{Listen: "127.0.0.1:0", Allow: []string{"192.0.2.10"}}}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	tl := tr.(*transport.TCPListener)
	defer tl.Close()
	addr, err := tl.Listen()
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection from 127.0.0.1 not refused: %v", err)
	}
}
