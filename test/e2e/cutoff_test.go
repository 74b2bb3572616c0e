package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/profile"
	pbxsim "switchboard/internal/sim/pbx"
	"switchboard/internal/store"
	"switchboard/test/peers"
)

// lastRecordCut splits what the PBX prints for one call in the middle of
// its record line (page headers before it stay whole).
func lastRecordCut(b []byte) int {
	body := bytes.TrimRight(b, "\r\n")
	start := bytes.LastIndexByte(body, '\n') + 1
	return start + (len(body)-start)/2
}

// waitKeptTail waits until the daemon has committed the start of the
// record it is receiving (the state it must find again after a kill).
func waitKeptTail(t *testing.T, db string, want []byte) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := store.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		tail, _, err := st.KeptTail(context.Background(), "pbx1")
		st.Close()
		if err == nil && bytes.HasSuffix(tail, want) && len(want) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kept tail %q (%v), want it to end with %q", tail, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The daemon is killed -9 while a Panasonic is half-way through printing a
// record on the serial line (a pty read through go.bug.st/serial). The
// bytes already read are not lost: with the PBX holding the rest until the
// port is back, the call is recorded whole, once; with the PBX gone on to
// the next record, that one is recorded and the cut-off start is reported
// as unparsed, raw text kept.
func TestSerialRecordCutByKill9(t *testing.T) {
	pty, cfg, db, bo := serialPBXRig(t, "panasonic-kx-tda")
	p, _ := profile.Lookup("panasonic-kx-tda")
	loc, _ := time.LoadLocation("Asia/Shanghai")
	sim, err := pbxsim.New(pbxsim.Options{Profile: p, Seed: 11, Start: time.Date(2026, 11, 27, 7, 0, 0, 0, loc), Location: loc,
		Count: 8, FirstRoom: 101, LastRoom: 1299, AccessCode: "9"})
	if err != nil {
		t.Fatal(err)
	}
	tr := &truths{calls: map[string]*pbxsim.Call{}}
	next := func() (*pbxsim.Call, []byte) {
		c, b, err := sim.Next()
		if err != nil {
			t.Fatal(err)
		}
		return c, b
	}
	write := func(b []byte) {
		if _, err := pty.Master.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	recorded := func(n int) { waitCount(t, bo, "hotel.pbx.call.recorded", n, 30*time.Second) }

	d := startDaemon(t, cfg)
	time.Sleep(500 * time.Millisecond) // the daemon opens the port
	for i := 0; i < 3; i++ {
		c, b := next()
		tr.add(c)
		write(b)
	}
	recorded(tr.n)

	// Flow control: the rest comes when the port is open again.
	c, b := next()
	tr.add(c)
	k := lastRecordCut(b)
	write(b[:k])
	waitKeptTail(t, db, bytes.TrimLeft(b[bytes.LastIndexByte(b[:k], '\n')+1:k], "\r\n"))
	d.kill9()
	d = startDaemon(t, cfg)
	time.Sleep(500 * time.Millisecond)
	write(b[k:])
	c, b = next()
	tr.add(c)
	write(b)
	recorded(tr.n)

	// The PBX went on: the cut record's rest never comes.
	_, cut := next()
	k = lastRecordCut(cut)
	write(cut[:k])
	head := bytes.TrimLeft(cut[bytes.LastIndexByte(cut[:k], '\n')+1:k], "\r\n")
	waitKeptTail(t, db, head)
	d.kill9()
	d = startDaemon(t, cfg)
	defer d.stop()
	time.Sleep(500 * time.Millisecond)
	c, b = next()
	tr.add(c)
	write(b)
	recorded(tr.n)
	waitCount(t, bo, "hotel.pbx.smdr.unparsed", 1, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	tr.check(t, bo)

	bo.mu.Lock()
	defer bo.mu.Unlock()
	var unparsed []map[string]any
	for _, env := range bo.envs {
		if env.Type == "hotel.pbx.smdr.unparsed" {
			var u map[string]any
			json.Unmarshal(env.Data, &u)
			unparsed = append(unparsed, u)
		}
	}
	if len(unparsed) != 1 || unparsed[0]["raw"] != string(head) || !strings.Contains(unparsed[0]["reason"].(string), "cut off when the gateway stopped") {
		t.Fatalf("unparsed events %v, want one: the cut-off start %q", unparsed, head)
	}
}

// The daemon is killed -9 while a Panasonic on TCP (port 2300: the gateway
// connects and logs in) is half-way through sending a record. This PBX
// neither replays nor resends: after the reconnect it goes on where it was
// cut off, so the start the daemon had read must still be there. The call
// is recorded whole, once, with every other call. (A PBX that resends
// whole records, Avaya IP Office, is TestAvayaReplayAfterKill9: its profile
// says tcp.resends_records and no start is kept.)
func TestTCPRecordCutByKill9(t *testing.T) {
	mq := peers.StartMosquitto(t)
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	db := filepath.Join(dir, "sb.db")
	cfg := writeConfig(t, dir, fmt.Sprintf(`
site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s}
mqtt: {external: {urls: [%s]}}
devices:
  - {id: pbx1, driver: pbx, profile: panasonic-kx-tda, transport: {tcp: {connect: %s, login: [SMDR, PCCSMDR]}}}
`, db, mq.URL(), ln.Addr()))
	bo := newBackOffice(t, mq.URL(), events.Topics{Group: "acme", Property: "h042", Gateway: "gw1"})
	p, _ := profile.Lookup("panasonic-kx-tda")
	loc, _ := time.LoadLocation("Asia/Shanghai")
	sim, err := pbxsim.New(pbxsim.Options{Profile: p, Seed: 12, Start: time.Date(2026, 11, 27, 7, 0, 0, 0, loc), Location: loc,
		Count: 8, FirstRoom: 101, LastRoom: 1299, AccessCode: "9"})
	if err != nil {
		t.Fatal(err)
	}
	tr := &truths{calls: map[string]*pbxsim.Call{}}
	next := func() (*pbxsim.Call, []byte) {
		c, b, err := sim.Next()
		if err != nil {
			t.Fatal(err)
		}
		return c, b
	}
	// accept waits for the daemon's connection and plays the PBX's login.
	accept := func() net.Conn {
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(30 * time.Second))
		conn, err := ln.Accept()
		if err != nil {
			t.Fatalf("the daemon did not connect: %v", err)
		}
		t.Cleanup(func() { conn.Close() })
		if err := sim.Login(conn); err != nil {
			t.Fatalf("login: %v", err)
		}
		return conn
	}
	write := func(conn net.Conn, b []byte) {
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}

	d := startDaemon(t, cfg)
	conn := accept()
	for range 3 {
		c, b := next()
		tr.add(c)
		write(conn, b)
	}
	waitCount(t, bo, "hotel.pbx.call.recorded", tr.n, 30*time.Second)
	c, b := next()
	tr.add(c)
	k := lastRecordCut(b)
	write(conn, b[:k])
	waitKeptTail(t, db, bytes.TrimLeft(b[bytes.LastIndexByte(b[:k], '\n')+1:k], "\r\n"))
	d.kill9()
	conn.Close()
	d = startDaemon(t, cfg)
	defer d.stop()
	conn = accept()
	write(conn, b[k:])
	for range 2 {
		c, b = next()
		tr.add(c)
		write(conn, b)
	}
	waitCount(t, bo, "hotel.pbx.call.recorded", tr.n, 30*time.Second)
	time.Sleep(300 * time.Millisecond)
	tr.check(t, bo)
	if n := bo.count("hotel.pbx.smdr.unparsed"); n != 0 {
		t.Errorf("%d unparsed events: the record cut by the kill was not put back together", n)
	}
}
