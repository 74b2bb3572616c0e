package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/profile"
	pbxsim "switchboard/internal/sim/pbx"
	"switchboard/internal/store"
	"switchboard/test/peers"
)

// smdrSite is a site whose PBX (Avaya IP Office, SMDR over TCP) dials in
// to the gateway's listener; extra is more of the config.
func smdrSite(t *testing.T, extra string) (*hostileSite, string) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	s := startHostileSite(t, "", extra+fmt.Sprintf(`
devices:
  - {id: pbx1, driver: pbx, profile: avaya-ipoffice, transport: {tcp: {listen: %s}}}
`, addr))
	return s, addr
}

// dialPBX connects to the gateway's SMDR listener as the PBX does,
// retrying until it listens.
func dialPBX(t *testing.T, addr string) net.Conn {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway does not listen on %s: %v", addr, err)
		}
	}
}

// garbageProbe is the garbage probe between its start and its check.
type garbageProbe struct {
	s       *hostileSite
	w       *watcher
	garbage []byte
	base    int64 // the store's size before the garbage
	sentAt  time.Time
}

// startGarbage: 2 MB of random bytes (seeded) on the SMDR port, as from a
// PBX at the wrong speed or a cable beside a motor.
func startGarbage(t *testing.T) *garbageProbe {
	t.Helper()
	s, addr := smdrSite(t, "")
	g := &garbageProbe{s: s, w: s.watch(asReadonly, s.root()+"pbx/pbx1/event/#"), garbage: make([]byte, 2<<20)}
	rng := rand.New(rand.NewPCG(4, 2))
	for i := range g.garbage {
		g.garbage[i] = byte(rng.UintN(256))
	}
	conn := dialPBX(t, addr)
	g.base, g.sentAt = s.storeSize(), time.Now()
	if _, err := conn.Write(append(g.garbage, '\r', '\n')); err != nil {
		t.Fatal(err)
	}
	return g
}

// check: the first five unreadable frames are published alone, the rest
// summed up once their minute is over (unparsed.Coalescer); the journal
// keeps every byte but the line ends, and the store grows by less than
// twice the garbage.
func (g *garbageProbe) check(t *testing.T) {
	s := g.s.on(t)
	unparsed := func(m bus.Message) (events.Unparsed, bool) {
		var env events.Envelope
		var u events.Unparsed
		if json.Unmarshal(m.Payload, &env) != nil || env.Type != "hotel.pbx.smdr.unparsed" || json.Unmarshal(env.Data, &u) != nil {
			return u, false
		}
		return u, true
	}
	g.w.wait(t, "the summary of the minute of noise", 90*time.Second, func(m bus.Message) bool {
		u, ok := unparsed(m)
		return ok && u.Count > 0
	})
	summedAfter := time.Since(g.sentAt)
	time.Sleep(200 * time.Millisecond)
	live := s.storeSize()
	var alone, summaries, covered, alerts int
	seen := map[string]bool{} // nobody acknowledges here: the outbox sends the events again after 30 s
	for _, m := range g.w.messages() {
		var env events.Envelope
		if json.Unmarshal(m.Payload, &env) != nil || seen[env.ID] {
			continue
		}
		seen[env.ID] = true
		if u, ok := unparsed(m); ok && u.Count > 0 {
			summaries++
			covered += u.Count
		} else if ok {
			alone++
			covered++
		} else if bytes.Contains(m.Payload, []byte("hotel.pbx.device.alert")) {
			alerts++
		}
	}
	s.d.stop()
	// Stopped, the store has folded its write-ahead log into the file: its
	// size is what the garbage costs. Running, the log (reused, at most
	// about SQLite's 1,000-page auto-checkpoint) comes on top.
	size := s.storeSize()
	st, err := store.Open(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	frames, err := st.CountFrames(context.Background(), "pbx1")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.Query(context.Background(), `SELECT raw FROM journal WHERE device='pbx1'`)
	if err != nil {
		t.Fatal(err)
	}
	var kept int
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		kept += notLineEnds(raw)
	}
	rows.Close()
	if alone != 5 || summaries == 0 {
		t.Errorf("%d unreadable frames published alone, %d summaries: want the first 5 alone, then summaries", alone, summaries)
	}
	if int64(covered) != frames[store.FrameUnparsed] {
		t.Errorf("the events cover %d unreadable frames, the journal has %d", covered, frames[store.FrameUnparsed])
	}
	// The framer drops only the line ends (CR, LF) between frames; the
	// seed makes no line longer than the profile's max_length.
	if want := notLineEnds(g.garbage); kept != want {
		t.Errorf("the journal keeps %d bytes besides line ends, the garbage has %d", kept, want)
	}
	grew := size - g.base
	if grew > 2*int64(len(g.garbage)) {
		t.Errorf("the store grew by %d bytes for %d bytes of garbage", grew, len(g.garbage))
	}
	t.Logf("garbage SMDR: %d bytes -> %d unreadable frames in the journal (every byte but %d line ends kept); published: %d alone, %d summary (%d device alerts), "+
		"the summary %s after the garbage; store +%d bytes (%.2f x the garbage; running, with its write-ahead log, +%d bytes)",
		len(g.garbage), frames[store.FrameUnparsed], len(g.garbage)-kept, alone, summaries, alerts, summedAfter.Round(time.Second), grew, float64(grew)/float64(len(g.garbage)), live-g.base)
}

func notLineEnds(b []byte) int {
	return len(b) - bytes.Count(b, []byte{'\r'}) - bytes.Count(b, []byte{'\n'})
}

// maskDigits is the PBX site's billing.mask_dialed.
const maskDigits = 6

// pbxSite is a site whose simulated Avaya IP Office is connected to the
// SMDR listener, with room 1203 occupied and 1205 vacant, and dialed
// numbers masked in events (billing.mask_dialed).
type pbxSite struct {
	s      *hostileSite
	addr   string
	conn   net.Conn // the PBX's connection
	sim    *pbxsim.Simulator
	w      *watcher // every event of pbx1
	at     time.Time
	seq    int64
	dialed []string // every number a call was printed with
}

func startPBXSite(t *testing.T) *pbxSite {
	t.Helper()
	s, addr := smdrSite(t, fmt.Sprintf(`
billing: {numbering: {home_area: "21", trunk_access: ["9"]}, mask_dialed: %d}
rooms:
  - {extensions: "1201-1299", class: guest}
`, maskDigits))
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Now().In(loc).Truncate(time.Minute)
	p := &pbxSite{s: s, addr: addr, w: s.watch(asBackoffice, s.root()+"pbx/pbx1/event/#"), at: now.Add(-time.Hour)}
	desk := s.requester(asBackoffice, "desk", false)
	since := now.Add(-2 * time.Hour)
	desk.send("edge", "gw1", "folio.checkin", "checkin-1203", events.CheckInData{Room: "1203", Reservation: "R1203", Name: "Zhang Wei", At: &since})
	if r := desk.waitFinal(t, "checkin-1203", 15*time.Second); r.Status != "completed" {
		t.Fatalf("check-in of room 1203: %+v", r.Reply)
	}
	prof, err := profile.Lookup("avaya-ipoffice")
	if err != nil {
		t.Fatal(err)
	}
	if p.sim, err = pbxsim.New(pbxsim.Options{Profile: prof, Seed: 1, Start: p.at, Location: loc, AccessCode: "9"}); err != nil {
		t.Fatal(err)
	}
	p.conn = dialPBX(t, addr)
	return p
}

// call is an answered outgoing call from ext to dialed, a minute after the
// previous one, as the PBX prints it.
func (p *pbxSite) call(t *testing.T, ext, dialed string, cat pbxsim.Category) (*pbxsim.Call, []byte) {
	t.Helper()
	p.seq++
	p.at = p.at.Add(time.Minute)
	p.dialed = append(p.dialed, dialed)
	c := &pbxsim.Call{Seq: p.seq, Kind: pbxsim.Outgoing, Category: cat, Ext: ext, Dialed: dialed, Keyed: dialed, Trunk: "9001",
		Start: p.at, Ring: 4 * time.Second, Duration: 65 * time.Second, Answered: true}
	b, err := p.sim.Print(c)
	if err != nil {
		t.Fatal(err)
	}
	return c, b
}

// send prints calls on the PBX's own connection.
func (p *pbxSite) send(t *testing.T, lines ...[]byte) {
	t.Helper()
	for _, b := range lines {
		if _, err := p.conn.Write(b); err != nil {
			t.Fatalf("the PBX's connection: %v", err)
		}
	}
}

// waitEvent waits for an event of typ about the call that started at.
func (p *pbxSite) waitEvent(t *testing.T, typ string, at time.Time) events.Envelope {
	t.Helper()
	var env events.Envelope
	p.w.wait(t, fmt.Sprintf("%s of the call at %s", typ, at.Format("15:04")), 15*time.Second, func(m bus.Message) bool {
		var start struct {
			Start time.Time `json:"start"`
		}
		return json.Unmarshal(m.Payload, &env) == nil && env.Type == typ && json.Unmarshal(env.Data, &start) == nil && start.Start.Equal(at)
	})
	return env
}

// secondConnection: while the PBX is connected, a second connection to
// the SMDR listener is closed unread and logged; the IDD call it sends
// from an occupied room is never recorded, let alone charged; the PBX's
// own calls still are.
func (p *pbxSite) secondConnection(t *testing.T) {
	s := p.s.on(t)
	first, b := p.call(t, "1203", "63451234", pbxsim.Local)
	p.send(t, b)
	p.waitEvent(t, "hotel.pbx.call.recorded", first.Start)

	intruder, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer intruder.Close()
	forgedCall, fb := p.call(t, "1203", "0033142685300", pbxsim.IDD)
	start := time.Now()
	if _, err := intruder.Write(fb); err != nil {
		t.Logf("the second connection's write: %v", err)
	}
	intruder.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = intruder.Read(make([]byte, 1))
	closed := time.Since(start)
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("second connection not closed within 5 s: %v", err)
	}
	own, ob := p.call(t, "1203", "00442079460123", pbxsim.IDD)
	p.send(t, ob)
	p.waitEvent(t, "hotel.pbx.call.charged", own.Start)
	for _, m := range p.w.messages() {
		var env events.Envelope
		var d struct {
			Start time.Time `json:"start"`
		}
		if json.Unmarshal(m.Payload, &env) == nil && json.Unmarshal(env.Data, &d) == nil && d.Start.Equal(forgedCall.Start) {
			t.Errorf("the second connection's call reached the back office: %s %s", env.Type, env.Data)
		}
	}
	if s.d.countLines(`msg="connection refused"`, "endpoint=", "reason=") == 0 {
		t.Errorf("the refused connection is not in the daemon's log")
	}
	t.Logf("second PBX connection: closed unread %s after it sent an IDD call from room 1203 (%v), logged; that call never recorded; the PBX's own IDD call charged",
		closed.Round(10*time.Microsecond), err)
}

// maskedNumbers: with billing.mask_dialed, every published event that
// carries a dialed number shows its first digits after the trunk access
// code and stars for the rest (call.recorded and its raw line, charged,
// flagged, emergency), and the raw line shows no party name (Avaya's
// party names are private fields of the profile). The ledger keeps the
// whole number.
func (p *pbxSite) maskedNumbers(t *testing.T) {
	s := p.s.on(t)
	idd, b1 := p.call(t, "1203", "00442079460124", pbxsim.IDD)       // occupied: charged
	vacant, b2 := p.call(t, "1205", "00442079460125", pbxsim.IDD)    // vacant: flagged
	sos, b3 := p.call(t, "1203", "110", pbxsim.Emergency)            // free, flagged, emergency
	access, b4 := p.call(t, "1203", "90085221234567", pbxsim.HKMoTW) // a PBX that prints the access code
	p.send(t, b1, b2, b3, b4)
	p.waitEvent(t, "hotel.pbx.call.charged", idd.Start)
	p.waitEvent(t, "hotel.pbx.call.flagged", vacant.Start)
	p.waitEvent(t, "hotel.pbx.emergency.call", sos.Start)
	p.waitEvent(t, "hotel.pbx.call.flagged", sos.Start)
	p.waitEvent(t, "hotel.pbx.call.charged", access.Start)
	time.Sleep(200 * time.Millisecond)

	numbers := map[string]string{} // every number printed, by the PBX or the intruder -> as events must show it
	for _, d := range p.dialed {
		numbers[d] = maskedAs(d)
	}
	byType := map[string]int{}
	for _, m := range p.w.messages() {
		var env events.Envelope
		if json.Unmarshal(m.Payload, &env) != nil {
			continue
		}
		var d struct {
			Dialed *string `json:"dialed"`
			Raw    string  `json:"raw"`
		}
		if json.Unmarshal(env.Data, &d) != nil || d.Dialed == nil {
			continue
		}
		byType[env.Type]++
		if !isMasked(*d.Dialed) {
			t.Errorf("%s: dialed %q is not masked to %d digits after the access code", env.Type, *d.Dialed, maskDigits)
		}
		for full, masked := range numbers {
			// The whole number, or the digits it hides when there are
			// enough of them not to be found by chance in a time or an id.
			keep := strings.IndexByte(masked, '*')
			if keep < 0 {
				continue
			}
			if hidden := full[keep:]; bytes.Contains(m.Payload, []byte(full)) || len(hidden) >= 5 && bytes.Contains(m.Payload, []byte(hidden)) {
				t.Errorf("%s shows %s, masked %s: %s", env.Type, full, masked, env.Data)
			}
		}
		if env.Type == "hotel.pbx.call.recorded" {
			if strings.Contains(d.Raw, "Extn") || strings.Contains(d.Raw, "Line 9001") {
				t.Errorf("call.recorded's raw line shows a party name: %q", d.Raw)
			}
			if !strings.Contains(d.Raw, *d.Dialed) {
				t.Errorf("call.recorded's raw line %q does not show %s", d.Raw, *d.Dialed)
			}
		}
	}
	for _, typ := range []string{"hotel.pbx.call.recorded", "hotel.pbx.call.charged", "hotel.pbx.call.flagged", "hotel.pbx.emergency.call"} {
		if byType[typ] == 0 {
			t.Errorf("no %s with a dialed number", typ)
		}
	}
	s.d.stop()
	st, err := store.Open(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.QueryRow(context.Background(), `SELECT COUNT(*) FROM calls WHERE dialed IN (?, ?)`, idd.Dialed, access.Dialed).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("the ledger has %d of the 2 calls with their whole number", n)
	}
	t.Logf("masked numbers (mask_dialed %d): %v events with a dialed number, each masked (e.g. %s -> %s, %s -> %s), raw lines without party names; the ledger keeps the whole numbers",
		maskDigits, byType, idd.Dialed, numbers[idd.Dialed], access.Dialed, numbers[access.Dialed])
}

// maskedAs is dialed as billing.mask_dialed shows it: the trunk access
// code (9) when the PBX printed it, maskDigits digits, then stars.
func maskedAs(dialed string) string {
	keep := maskDigits
	if strings.HasPrefix(dialed, "9") {
		keep++
	}
	if len(dialed) <= keep {
		return dialed
	}
	return dialed[:keep] + strings.Repeat("*", len(dialed)-keep)
}

// isMasked: at most maskDigits digits after an access code, then only stars.
func isMasked(d string) bool {
	digits, _, _ := strings.Cut(d, "*")
	rest := d[len(digits):]
	return strings.Trim(rest, "*") == "" && len(strings.TrimPrefix(digits, "9")) <= maskDigits
}
