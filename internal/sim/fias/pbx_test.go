package fias

import (
	"context"
	"net"
	"testing"
	"time"

	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
)

func TestSwapReplacesDatabaseAndRingFollowsScript(t *testing.T) {
	loc := time.UTC
	now := time.Date(2000, 10, 15, 12, 30, 45, 0, loc)
	p := New(Config{Loc: loc, Now: func() time.Time { return now }, Answers: map[hotel.Room][]string{"101": {"BY"}}})
	gw, pc := net.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, pc) }()
	in := make(chan hotelink.Event, 64)
	go func() {
		fr := hotelink.NewFramer(false)
		buf := make([]byte, 1024)
		for {
			n, err := gw.Read(buf)
			fr.Push(buf[:n])
			for ev, ok := fr.Next(); ok; ev, ok = fr.Next() {
				in <- ev
			}
			if err != nil {
				close(in)
				return
			}
		}
	}()
	if ev := <-in; string(ev.Data) != "LS|DA001015|TI123045|" {
		t.Fatalf("first record %q", ev.Data)
	}
	send := func(s string) {
		if _, err := gw.Write(hotelink.AppendFrame(nil, []byte(s), false)); err != nil {
			t.Fatal(err)
		}
	}
	send("WR|RN999|DA001016|TI060000|") // replaced by the swap below
	send("DS|DA001015|TI123045|")
	send("GI|RN101|G#1|GNAda|")
	send("WR|RN101|DA001016|TI063000|")
	send("WR|RN101|DA001016|TI063000|") // same wake-up twice: stored once
	send("DE|DA001015|TI123045|")
	if err := p.WaitFor(ctx, func(p *PBX) bool { return p.Resyncs() == 1 }); err != nil {
		t.Fatal(err)
	}
	if w := p.Wakeups(); len(w) != 1 || w[0].Room != "101" {
		t.Fatalf("wake-ups %+v", w)
	}
	go func() {
		if _, err := p.Ring(time.Date(2000, 10, 16, 6, 30, 0, 0, loc)); err != nil {
			t.Error(err)
		}
	}()
	for ev := range in {
		if ev.Kind == hotelink.EvRecord && string(ev.Data[:2]) == "WA" {
			if string(ev.Data) != "WA|RN101|DA001016|TI063000|ASBY|" {
				t.Fatalf("WA = %q", ev.Data)
			}
			break
		}
	}
	gw.Close()
	<-done
}
