package sx200

import (
	"context"
	"net"
	"testing"
	"time"

	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
)

// TestTranscript plays the PMS side byte for byte: ACK per understood
// message, NAK on request and for a malformed one, room state, wake-ups
// rung at their time with the scripted result, maid status.
func TestTranscript(t *testing.T) {
	loc := time.UTC
	now := time.Date(2000, 10, 15, 12, 30, 0, 0, loc)
	p, err := New(Config{Loc: loc, Now: func() time.Time { return now },
		Answers: map[hotel.Room][]hotel.WakeupStatus{"305": {hotel.WakeupNoAnswer}}})
	if err != nil {
		t.Fatal(err)
	}
	gw, pc := net.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, pc) }()
	in := make(chan []byte, 64)
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := gw.Read(buf)
			if n > 0 {
				in <- append([]byte(nil), buf[:n]...)
			}
			if err != nil {
				close(in)
				return
			}
		}
	}()
	expect := func(want string) {
		t.Helper()
		var got []byte
		for len(got) < len(want) {
			select {
			case b := <-in:
				got = append(got, b...)
			case <-ctx.Done():
				t.Fatalf("PMS got %q, want %q", got, want)
			}
		}
		if string(got) != want {
			t.Fatalf("PMS got %q, want %q", got, want)
		}
	}
	send := func(s string) {
		t.Helper()
		if _, err := gw.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	const ack, nak = "\x06", "\x15"

	send("\x02MW 1  2129\x03") // the handbook's example
	expect(ack)
	p.NAKNext(1)
	send("\x02CHK 1   305\x03")
	expect(nak)
	send("\x02CHK 1   305\x03")
	expect(ack)
	send("\x02RST 2   305\x03")
	expect(ack)
	send("\x02MW 1 2129\x03") // room not right-aligned in 5
	expect(nak)
	send("\x02XYZ 1   305\x03") // unknown function
	expect(nak)
	send("\x02RST 7   305\x03") // not a restriction of the profile
	expect(nak)
	send("\x02WAK 1   305 0645\x03\x02WAK 1   305 0700\x03\x02WAK 0   305 0700\x03")
	expect(ack + ack + ack)
	if r, ok := p.Room("2129"); !ok || !r.MWL {
		t.Errorf("2129: %+v", r)
	}
	r, _ := p.Room("305")
	if !r.CheckedIn || r.Restriction != "2" || len(r.Wakeups) != 1 || r.Wakeups[0] != "0645" {
		t.Errorf("305: %+v", r)
	}
	if w := p.Wakeups(); len(w) != 1 || !w[0].At.Equal(time.Date(2000, 10, 16, 6, 45, 0, 0, loc)) {
		t.Errorf("wake-ups: %+v (the next 06:45 after 12:30 is tomorrow's)", w)
	}

	// 06:44 nothing; 06:45 the call, not answered.
	if rung, _ := p.Ring(time.Date(2000, 10, 16, 6, 44, 59, 0, loc)); len(rung) != 0 {
		t.Fatalf("rang early: %+v", rung)
	}
	go func() {
		if _, err := p.Ring(time.Date(2000, 10, 16, 6, 45, 0, 0, loc)); err != nil {
			t.Error(err)
		}
	}()
	expect("\x02WKR 0   305 0645\x03")
	send(ack)
	go func() {
		if err := p.RoomStatus("305", 3); err != nil {
			t.Error(err)
		}
	}()
	expect("\x02MDS 3   305\x03")
	send(ack)
	if err := p.WaitFor(ctx, func(p *PBX) bool { a, _ := p.Acks(); return a == 2 }); err != nil {
		t.Fatal(err)
	}
	if rung := p.Rung(); len(rung) != 1 || rung[0].Status != hotel.WakeupNoAnswer {
		t.Errorf("rung: %+v", rung)
	}

	// Check-out: lamp, DND and wake-ups cleared, the phone barred.
	send("\x02WAK 1   305 0900\x03\x02DND 1   305\x03\x02CHK 0   305\x03")
	expect(ack + ack + ack)
	r, _ = p.Room("305")
	if r.CheckedIn || r.DND || len(r.Wakeups) != 0 || r.Restriction != "0" {
		t.Errorf("305 after check-out: %+v", r)
	}
	// Lost messages: no answer at all.
	p.IgnoreNext(1)
	send("\x02MW 0  2129\x03")
	send("\x02MW 0  2129\x03")
	expect(ack)
	msgs := p.Received()
	if n := len(msgs); msgs[n-2].Answer != 0 || msgs[n-1].Answer != hotelink.ACK || msgs[n-1].Func != "mwl" {
		t.Errorf("last messages: %+v", msgs[n-2:])
	}
	gw.Close()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestProfileMustBeSX200(t *testing.T) {
	fias, err := hotelink.LoadProfile("fias")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Profile: fias}); err == nil {
		t.Error("a FIAS profile accepted")
	}
}
