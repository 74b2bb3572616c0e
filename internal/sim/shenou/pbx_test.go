package shenou

import (
	"context"
	"net"
	"testing"
	"time"

	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
	"switchboard/internal/profile"
	pbxsim "switchboard/internal/sim/pbx"
)

// TestQueriesAndSMDRBarring: Q10 queries (split across reads, with noise
// before them) are answered R10 and kept; an unknown level is not
// answered; the SMDR the same PBX prints then bars the rooms as set.
func TestQueriesAndSMDRBarring(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	gw, pc := net.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, pc) }()
	in := make(chan []byte, 16)
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
				t.Fatalf("got %q, want %q", got, want)
			}
		}
		if string(got) != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	for _, chunk := range []string{"\xff\xfeQ1", "0*0*1", "01#"} {
		if _, err := gw.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	expect("R10*0*101\r\n")
	if _, err := gw.Write([]byte("Q10*9*102#Q10*1*1a2#Q10*1*102#")); err != nil {
		t.Fatal(err)
	}
	expect("R10*1*102\r\n") // level 9 and extension 1a2: no answer
	p.IgnoreNext(1)
	if _, err := gw.Write([]byte("Q10*2*103#Q10*2*103#")); err != nil {
		t.Fatal(err)
	}
	expect("R10*2*103\r\n")
	if q := p.Received(); len(q) != 6 || q[1].Answered || q[4].Answered || !q[5].Answered {
		t.Errorf("queries: %+v", q)
	}
	for room, want := range map[hotel.Room]pbxsim.COS{"101": pbxsim.COSInternal, "102": pbxsim.COSLocal, "103": pbxsim.COSNational, "104": pbxsim.COSInternational} {
		if got := p.Class(string(room)); got != want {
			t.Errorf("room %s: class %s, want %s", room, got, want)
		}
	}
	if p.Level("101") != "0" || p.COS("101") != hotel.COSBarred {
		t.Errorf("101: level %q cos %s", p.Level("101"), p.COS("101"))
	}
	gw.Close()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}

	// The PBX's SMDR: room 101 makes no outside call but emergencies, 102 no long distance.
	prof, err := profile.Lookup("shenou-uso")
	if err != nil {
		t.Fatal(err)
	}
	sim, err := pbxsim.New(pbxsim.Options{Profile: prof, Seed: 7, Start: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC),
		Count: 500, FirstRoom: 101, LastRoom: 104, COS: p.Class})
	if err != nil {
		t.Fatal(err)
	}
	outside := map[string]int{}
	for {
		c, _, err := sim.Next()
		if err != nil {
			break
		}
		if c.Kind == pbxsim.Outgoing {
			outside[c.Ext]++
			if !p.Class(c.Ext).Allows(c) {
				t.Errorf("room %s (%s) dialed %s", c.Ext, p.Class(c.Ext), c.Dialed)
			}
		}
	}
	if sim.Refused() == 0 || outside["104"] == 0 {
		t.Errorf("refused %d; outside calls per room %v", sim.Refused(), outside)
	}
}

func TestProfileMustBeShenou(t *testing.T) {
	sx, err := hotelink.LoadProfile("mitel-sx200")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Profile: sx}); err == nil {
		t.Error("an SX-200 profile accepted")
	}
}
