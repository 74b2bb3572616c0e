package hotelink_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/drivers"
	"switchboard/drivers/hotelink"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/transport"
	"switchboard/internal/transport/ptytest"
)

// TestSX200OverPTY drives the Mitel SX-200 PMS protocol through a real
// serial port: the driver opens the pty slave with go.bug.st/serial via
// internal/transport, the test plays the PBX on the master.
func TestSX200OverPTY(t *testing.T) {
	pair := ptytest.New(t, filepath.Join(t.TempDir(), "ttySX200"))
	ser, err := transport.NewSerial(transport.SerialOptions{Port: pair.Link(), Baud: 9600, ReadTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	link := transport.NewLink("sx200", ser, transport.LinkOptions{MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond})
	sink := newSink()
	drv, err := hotelink.New(drivers.Device{ID: "sx200", Driver: "hotelink", Profile: "mitel-sx200", Options: map[string]any{"ack_timeout": "200ms"}, Location: site},
		drivers.Deps{Link: linkOpener{link, ser.String()}, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	drv.SetClock(fixedClock)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = drv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	sink.waitLinkUp(t, 1)

	master := pair.Master()
	read := func(want string) {
		t.Helper()
		master.SetReadDeadline(time.Now().Add(3 * time.Second))
		got := make([]byte, 0, len(want))
		buf := make([]byte, 64)
		for len(got) < len(want) {
			n, err := master.Read(buf[:len(want)-len(got)])
			if err != nil {
				t.Fatalf("read: %v (got %q, want %q)", err, got, want)
			}
			got = append(got, buf[:n]...)
		}
		if string(got) != want {
			t.Fatalf("PBX got %q, want %q", got, want)
		}
	}
	send := func(cmd hotel.Command) chan sendResult {
		ch := make(chan sendResult, 1)
		go func() { a, err := drv.Send(context.Background(), cmd); ch <- sendResult{a, err} }()
		return ch
	}

	// The handbook's example: message waiting on for room 2129.
	res := send(hotel.MWL{Ref: "1", Room: "2129", On: true})
	read("\x02MW 1  2129\x03")
	pair.Write([]byte{hotelink.ACK})
	if r := <-res; !r.ack.OK {
		t.Fatalf("MWL = %+v, %v", r.ack, r.err)
	}
	// NAK -> the message is sent again.
	res = send(hotel.CheckIn{Ref: "2", Room: "305", COS: hotel.COSLocal})
	read("\x02CHK 1   305\x03")
	pair.Write([]byte{hotelink.NAK})
	read("\x02CHK 1   305\x03")
	pair.Write([]byte{hotelink.ACK})
	read("\x02RST 1   305\x03")
	pair.Write([]byte{hotelink.ACK})
	if r := <-res; !r.ack.OK {
		t.Fatalf("CheckIn = %+v, %v", r.ack, r.err)
	}
	res = send(hotel.WakeupSet{Ref: "3", Room: "305", At: time.Date(2000, 10, 16, 6, 45, 0, 0, site)})
	read("\x02WAK 1   305 0645\x03")
	pair.Write([]byte{hotelink.ACK})
	if r := <-res; !r.ack.OK {
		t.Fatalf("WakeupSet = %+v, %v", r.ack, r.err)
	}
	// No answer at all: retransmissions, then a failed command.
	res = send(hotel.DND{Ref: "4", Room: "305", On: true})
	for i := 0; i < 4; i++ {
		read("\x02DND 1   305\x03")
	}
	if r := <-res; r.ack.OK || !strings.Contains(r.ack.Reason, "no acknowledgement") {
		t.Fatalf("DND = %+v, %v", r.ack, r.err)
	}
	// Room moves cannot be carried: an operator task.
	if a, err := drv.Send(context.Background(), hotel.RoomMove{Ref: "5", From: "305", To: "306"}); a.OK || !a.OperatorTask || err == nil {
		t.Fatalf("RoomMove = %+v, %v", a, err)
	}
	// PBX -> PMS: maid status and a wake-up result, each ACKed.
	pair.Write([]byte("\x02MDS 3   305\x03\x02WKR 0   305 0645\x03"))
	read("\x06\x06")
	sink.waitFor(t, "maid status and wake-up result", func() bool {
		return len(records[hotel.RoomStatus](sink)) == 1 && len(records[hotel.WakeupResult](sink)) == 1
	})
	if rs := records[hotel.RoomStatus](sink)[0]; rs.Room != "305" || rs.Code != 3 || rs.Label != "clean" {
		t.Errorf("RoomStatus = %+v", rs)
	}
	if wr := records[hotel.WakeupResult](sink)[0]; wr.Status != hotel.WakeupNoAnswer || wr.At.Hour() != 6 || wr.At.Minute() != 45 {
		t.Errorf("WakeupResult = %+v", wr)
	}
}

func TestShenouCOS(t *testing.T) {
	sink := newSink()
	conns := make(chan net.Conn, 1)
	drv, err := hotelink.New(drivers.Device{ID: "so", Driver: "hotelink", Profile: "shenou", Options: map[string]any{"ack_timeout": "100ms"}, Location: site},
		drivers.Deps{Link: pipeOpener{conns}, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = drv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	gw, pbx := net.Pipe()
	defer pbx.Close()
	conns <- gw
	sink.waitLinkUp(t, 1)
	res := make(chan sendResult, 1)
	go func() {
		a, err := drv.Send(context.Background(), hotel.SetCOS{Ref: "c", Room: "8012", COS: hotel.COSInternational})
		res <- sendResult{a, err}
	}()
	buf := make([]byte, 64)
	n, _ := pbx.Read(buf)
	if string(buf[:n]) != "Q10*3*8012#" {
		t.Fatalf("PBX got %q", buf[:n])
	}
	pbx.Write([]byte("R10*3*8012\r\n"))
	if r := <-res; !r.ack.OK {
		t.Fatalf("SetCOS = %+v, %v", r.ack, r.err)
	}
	if a, err := drv.Send(context.Background(), hotel.WakeupSet{Ref: "w", Room: "8012"}); !a.OperatorTask || err == nil {
		t.Fatalf("WakeupSet on Shenou = %+v, %v", a, err)
	}
}

func TestPanasonicOperatorTasksAndSMDRMapping(t *testing.T) {
	drv, err := hotelink.New(drivers.Device{ID: "kx", Driver: "hotelink", Profile: "panasonic-smdr", Location: site}, drivers.Deps{Sink: newSink()})
	if err != nil {
		t.Fatal(err)
	}
	a, err := drv.Send(context.Background(), hotel.WakeupSet{Ref: "w1", Room: "1234", At: fixedClock()})
	if err == nil || a.OK || !a.OperatorTask || a.Ref != "w1" || !strings.Contains(a.Reason, "attendant console") {
		t.Fatalf("WakeupSet = %+v, %v", a, err)
	}
	// Nothing to prepare: the command is an operator task, prepared or not.
	if _, err := drv.Prepare(hotel.WakeupSet{Ref: "w2", Room: "1234", At: fixedClock()}); !errors.Is(err, hotel.ErrUnsupported) {
		t.Fatalf("Prepare = %v, want ErrUnsupported", err)
	}
	a, err = drv.SendPrepared(context.Background(), hotel.Prepared{Cmd: hotel.WakeupSet{Ref: "w3", Room: "1234", At: fixedClock()}})
	if err == nil || a.OK || !a.OperatorTask || a.Ref != "w3" {
		t.Fatalf("SendPrepared = %+v, %v", a, err)
	}
	p := drv.Profile()
	at := time.Date(2002, 1, 2, 15, 50, 0, 0, site)
	for kind, want := range map[string]any{
		events.KindCheckIn:        hotel.CheckIn{Room: "1234"},
		events.KindWakeupNoAnswer: hotel.WakeupResult{Room: "1234", At: at, Status: hotel.WakeupNoAnswer},
		events.KindCall:           nil,
	} {
		got, ok := hotelink.FromSMDR(p, events.CallRecord{Kind: kind, Extension: "1234", Start: at})
		if (want == nil) == ok || (ok && got != want) {
			t.Errorf("FromSMDR(%s) = %+v, %v; want %+v", kind, got, ok, want)
		}
	}
}

func TestProfilesLoad(t *testing.T) {
	ids := hotelink.ProfileIDs()
	if len(ids) < 5 {
		t.Fatalf("profiles: %v", ids)
	}
	for _, id := range ids {
		p, err := hotelink.LoadProfile(id)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		// Inline examples: what the driver makes of a raw PBX record.
		for _, ex := range p.Examples {
			drv, err := hotelink.New(drivers.Device{ID: "x", Profile: id, Location: site}, drivers.Deps{Sink: newSink(), Link: pipeOpener{}})
			if err != nil {
				t.Fatal(err)
			}
			res := drv.Interpret(hotelink.AppendFrame(nil, []byte(ex.Raw), p.Framing.LRC), "", fixedClock())
			got := render(res.Record)
			for k, v := range ex.Expect {
				if k == "record" {
					k, v = "", v+" "
				} else {
					k += "="
				}
				if !strings.Contains(got+" ", k+v) {
					t.Errorf("%s example %q: got %s, want %s%s", id, ex.Raw, got, k, v)
				}
			}
		}
	}
	if _, err := hotelink.ParseProfile([]byte("id: x\nprotocol: fias\nframing: {ack: maybe}\n")); err == nil {
		t.Error("bad ack mode accepted")
	}
	if _, err := hotelink.ParseProfile([]byte("id: x\nprotocol: fias\nlrc: true\n")); err == nil {
		t.Error("unknown key accepted")
	}
}
