package hotelink_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"switchboard/drivers"
	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
	simfias "switchboard/internal/sim/fias"
)

// peer is a scripted PBX on the far end of a pipe.
type peer struct {
	t    *testing.T
	c    net.Conn
	lrc  bool
	wire chan byte
}

func startPipe(t *testing.T, profile string, opts map[string]any) (*hotelink.Driver, *memSink, *peer) {
	t.Helper()
	sink := newSink()
	conns := make(chan net.Conn, 1)
	drv, err := hotelink.New(drivers.Device{ID: "pbx1", Driver: "hotelink", Profile: profile, Options: opts, Location: site},
		drivers.Deps{Link: pipeOpener{conns}, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	drv.SetClock(fixedClock)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = drv.Run(ctx) }()
	gw, pc := net.Pipe()
	conns <- gw
	p := &peer{t: t, c: pc, lrc: drv.Profile().Framing.LRC, wire: make(chan byte, 1<<16)}
	go func() {
		buf := make([]byte, 512)
		for {
			n, err := pc.Read(buf)
			for _, c := range buf[:n] {
				p.wire <- c
			}
			if err != nil {
				close(p.wire)
				return
			}
		}
	}()
	t.Cleanup(func() { cancel(); pc.Close(); <-done })
	return drv, sink, p
}

func (p *peer) frame(rec string) []byte { return hotelink.AppendFrame(nil, []byte(rec), p.lrc) }

func (p *peer) send(b []byte) {
	p.t.Helper()
	if _, err := p.c.Write(b); err != nil {
		p.t.Fatal(err)
	}
}

func (p *peer) expect(want []byte) {
	p.t.Helper()
	got := make([]byte, 0, len(want))
	timeout := time.After(3 * time.Second)
	for len(got) < len(want) {
		select {
		case c, ok := <-p.wire:
			if !ok {
				p.t.Fatalf("closed after %q, want %q", got, want)
			}
			got = append(got, c)
		case <-timeout:
			p.t.Fatalf("got %q, want %q", got, want)
		}
	}
	if !bytes.Equal(got, want) {
		p.t.Fatalf("got %q, want %q", got, want)
	}
}

// handshakeSerial runs the link start on an ACK/NAK link.
func (p *peer) handshakeSerial(sink *memSink) {
	p.t.Helper()
	p.send(p.frame("LS|DA001015|TI123045|"))
	p.expect([]byte{hotelink.ACK})
	p.expect(p.frame("LS|DA001015|TI123045|"))
	p.send([]byte{hotelink.ACK})
	p.send(p.frame("LA|DA001015|TI123045|"))
	p.expect([]byte{hotelink.ACK})
	p.expect(p.frame("LA|DA001015|TI123045|"))
	p.send([]byte{hotelink.ACK})
	sink.waitLinkUp(p.t, 1)
}

func TestNAKRetransmitThreeTimesThenFail(t *testing.T) {
	drv, sink, p := startPipe(t, "fias-serial", map[string]any{"keepalive": "0s"})
	p.handshakeSerial(sink)
	res := make(chan sendResult, 1)
	go func() {
		ack, err := drv.Send(context.Background(), hotel.MWL{Ref: "m1", Room: "2781", On: true})
		res <- sendResult{ack, err}
	}()
	f := p.frame("RE|RN2781|MLY|")
	for i := 0; i < 4; i++ { // the first send and 3 retransmissions
		p.expect(f)
		p.send([]byte{hotelink.NAK})
	}
	r := <-res
	if r.ack.OK || r.err == nil || !strings.Contains(r.ack.Reason, "NAK after 3 retransmissions") {
		t.Fatalf("Send = %+v, %v", r.ack, r.err)
	}
	// The link restarts: down, then a fresh LS from the gateway.
	p.expect(p.frame("LS|DA001015|TI123045|"))
	if drv.LinkUp() {
		t.Error("link still up after a frame failed")
	}
	if n := strings.Count(strings.Join(sink.sent(), ""), "RE|RN2781|MLY|"); n != 4 {
		t.Errorf("journaled %d transmissions, want 4", n)
	}
}

func TestNoACKSendsENQThenFails(t *testing.T) {
	drv, sink, p := startPipe(t, "fias-serial", map[string]any{"keepalive": "0s", "ack_timeout": "20ms"})
	p.handshakeSerial(sink)
	res := make(chan sendResult, 1)
	go func() {
		ack, err := drv.Send(context.Background(), hotel.DND{Ref: "d1", Room: "2781", On: true})
		res <- sendResult{ack, err}
	}()
	p.expect(p.frame("RE|RN2781|DNY|"))
	for i := 0; i < 3; i++ {
		p.expect([]byte{hotelink.ENQ})
	}
	r := <-res
	if r.ack.OK || !strings.Contains(r.ack.Reason, "no ACK") {
		t.Fatalf("Send = %+v, %v", r.ack, r.err)
	}
}

func TestENQAnsweredAfterACKRecovers(t *testing.T) {
	drv, sink, p := startPipe(t, "fias-serial", map[string]any{"keepalive": "0s", "ack_timeout": "50ms"})
	p.handshakeSerial(sink)
	res := make(chan sendResult, 1)
	go func() {
		ack, err := drv.Send(context.Background(), hotel.DND{Ref: "d1", Room: "2781", On: true})
		res <- sendResult{ack, err}
	}()
	p.expect(p.frame("RE|RN2781|DNY|"))
	p.expect([]byte{hotelink.ENQ}) // our ACK was "lost"; the gateway asks
	p.send([]byte{hotelink.ACK})
	if r := <-res; !r.ack.OK {
		t.Fatalf("Send = %+v, %v", r.ack, r.err)
	}
}

func TestFrameFromPBXWhileWaitingForACK(t *testing.T) {
	drv, sink, p := startPipe(t, "fias-serial", map[string]any{"keepalive": "0s"})
	p.handshakeSerial(sink)
	res := make(chan sendResult, 1)
	go func() {
		ack, err := drv.Send(context.Background(), hotel.MWL{Ref: "m", Room: "2781", On: true})
		res <- sendResult{ack, err}
	}()
	p.expect(p.frame("RE|RN2781|MLY|"))
	p.send(p.frame("RE|RN2781|RS4|")) // crosses our frame on the line
	p.expect([]byte{hotelink.ACK})
	p.send([]byte{hotelink.ACK})
	if r := <-res; !r.ack.OK {
		t.Fatalf("Send = %+v, %v", r.ack, r.err)
	}
	sink.waitFor(t, "RoomStatus", func() bool { return len(records[hotel.RoomStatus](sink)) == 1 })
}

func TestGarbageBetweenRecords(t *testing.T) {
	_, sink, p := startPipe(t, "fias", map[string]any{"keepalive": "0s"})
	p.send([]byte("\r\nnoise"))
	p.send(p.frame("RE|RN101|RS1|"))
	p.send([]byte("\x00\xff"))
	p.send(append([]byte("\x02RE|RN10"), p.frame("RE|RN102|RS2|")...)) // a frame cut by a new STX
	sink.waitFor(t, "two RoomStatus", func() bool { return len(records[hotel.RoomStatus](sink)) == 2 })
	sink.waitFor(t, "three garbage results", func() bool { return len(sink.errors()) == 3 })
	sink.mu.Lock()
	defer sink.mu.Unlock()
	var in []string
	for _, f := range sink.frames {
		if f.dir == drivers.FromDevice {
			in = append(in, string(f.data))
		}
	}
	want := []string{"\r\nnoise", "\x02RE|RN101|RS1|\x03", "\x00\xff", "\x02RE|RN10", "\x02RE|RN102|RS2|\x03"}
	if strings.Join(in, "/") != strings.Join(want, "/") {
		t.Errorf("journal = %q, want %q", in, want)
	}
}

func TestDisconnectMidRecordThenReconnect(t *testing.T) {
	h := startTCP(t, "fias", map[string]any{"keepalive": "0s"})
	pbx, done := startSim(t, h, simfias.Config{}, 1)
	rec := hotelink.Record{Type: "PS"}
	rec.Add("RN", "101")
	rec.Add("P#", "9")
	if err := pbx.CutMidRecord(rec); err != nil {
		t.Fatal(err)
	}
	<-done
	h.sink.waitFor(t, "the cut record journaled as garbage", func() bool { return len(h.sink.errors()) == 1 })
	go func() { done <- pbx.Dial(ctxT(t), h.addr) }()
	h.sink.waitLinkUp(t, 2)
	if len(records[hotel.Posting](h.sink)) != 0 {
		t.Error("a half record became a posting")
	}
	ack, err := h.drv.Send(ctxT(t), hotel.MWL{Ref: "m", Room: "101", On: true})
	if err != nil || !ack.OK {
		t.Fatalf("Send after reconnect = %+v, %v", ack, err)
	}
}

func TestLinkDownSend(t *testing.T) {
	drv, _, _ := startPipe(t, "fias", map[string]any{"keepalive": "0s"})
	ack, err := drv.Send(context.Background(), hotel.MWL{Ref: "m", Room: "1", On: true})
	if !errors.Is(err, hotel.ErrLinkDown) || ack.OK || ack.Ref != "m" {
		t.Fatalf("Send before link start = %+v, %v", ack, err)
	}
}

// Before its link start a link prepares nothing: FIAS encodes by the LR
// records of the link start. The core sends the command unprepared, which
// fails as it always has.
func TestLinkDownPrepare(t *testing.T) {
	drv, _, _ := startPipe(t, "fias", map[string]any{"keepalive": "0s"})
	if p, err := drv.Prepare(hotel.MWL{Ref: "m", Room: "1", On: true}); !errors.Is(err, hotel.ErrLinkDown) || len(p.Frames) != 0 {
		t.Fatalf("Prepare before link start = %+v, %v", p, err)
	}
}
