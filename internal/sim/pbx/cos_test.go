package pbxsim

import (
	"strings"
	"testing"

	"switchboard/drivers/pbx"
	"switchboard/internal/events"
)

// TestCOSBarringRoundTrip: rooms barred to a class print no outgoing call
// beyond it, every printed record still parses to its truth, and the
// printed calls are exactly the unbarred run's calls minus the refused ones.
func TestCOSBarringRoundTrip(t *testing.T) {
	var bar COSTable
	if err := bar.Add("101-103=internal, 104-105=local,106=national , 107=barred"); err != nil {
		t.Fatal(err)
	}
	for _, p := range simulated(t) {
		t.Run(p.ID, func(t *testing.T) {
			rooms := func(o *Options) { o.FirstRoom, o.LastRoom, o.Count = 101, 110, 1000 }
			// The unbarred run goes further, to cover every call the barred run printed.
			free := newSim(t, p, func(o *Options) { rooms(o); o.Count = 2000 })
			barred := newSim(t, p, func(o *Options) { rooms(o); o.COS = bar.Lookup })
			rt := &roundTrip{t: t, p: p, fr: pbx.NewFramer(p.Framing), ps: pbx.NewParser(p, site)}
			perClass := map[COS]map[Category]int{}
			printed := map[int64]*Call{}
			for {
				c, b, err := barred.Next()
				if err != nil {
					break
				}
				rt.feed(c, b)
				if t.Failed() {
					t.FailNow()
				}
				printed[c.Seq] = c
				if c.Kind == Outgoing {
					cos := bar.Lookup(c.Ext)
					if perClass[cos] == nil {
						perClass[cos] = map[Category]int{}
					}
					perClass[cos][c.Category]++
					if !cos.Allows(c) {
						t.Errorf("call %d: room %s (%s) dialed %s (%s)", c.Seq, c.Ext, cos, c.Dialed, c.Category)
					}
					if c.Truth.Direction != events.Outgoing {
						t.Errorf("call %d: truth %+v", c.Seq, c.Truth)
					}
				}
			}
			if rt.records != 1000 || rt.bad != 0 {
				t.Fatalf("%d records, %d bad frames; want 1000 and 0", rt.records, rt.bad)
			}
			if barred.Refused() == 0 {
				t.Fatal("nothing refused")
			}
			if n := perClass[COSInternal][Local] + perClass[COSInternal][Mobile] + perClass[COSInternal][DDD] + perClass[COSInternal][IDD]; n != 0 {
				t.Errorf("internal-only rooms made %d outside calls", n)
			}
			if perClass[COSInternational][IDD] == 0 || perClass[COSLocal][Local]+perClass[COSLocal][Mobile] == 0 {
				t.Errorf("calls a class allows are missing: %v", perClass)
			}
			// The same seed without barring: the same calls, plus the refused ones.
			refused := 0
			for {
				c, _, err := free.Next()
				if err != nil {
					break
				}
				got, ok := printed[c.Seq]
				switch {
				case !bar.Lookup(c.Ext).Allows(c):
					refused++
					if ok {
						t.Errorf("call %d beyond room %s's class printed", c.Seq, c.Ext)
					}
				case ok:
					if got.Truth.Dialed != c.Truth.Dialed || !got.Truth.Start.Equal(c.Truth.Start) || got.Ext != c.Ext {
						t.Errorf("call %d differs with barring: %+v vs %+v", c.Seq, got.Truth, c.Truth)
					}
					delete(printed, c.Seq)
				}
			}
			if refused == 0 || len(printed) != 0 {
				t.Errorf("refused %d in the unbarred run; %d barred-run calls not in it", refused, len(printed))
			}
			t.Logf("refused %d; outgoing per class %v", barred.Refused(), perClass)
		})
	}
}

func TestCOSTableAndFile(t *testing.T) {
	tab, err := ReadCOSFile(strings.NewReader("# floor 12 is local\ndefault national\n1201-1299 local\n1203=barred\n  8001 international # the manager\n"))
	if err != nil {
		t.Fatal(err)
	}
	for room, want := range map[string]COS{"1203": COSInternal, "1204": COSLocal, "1101": COSNational, "8001": COSInternational, "A12": COSNational} {
		if got := tab.Lookup(room); got != want {
			t.Errorf("%s: %s, want %s", room, got, want)
		}
	}
	for _, bad := range []string{"1203", "1203=gold", "12-1=local", "=local"} {
		var tb COSTable
		if err := tb.Add(bad); err == nil {
			t.Errorf("Add(%q) accepted", bad)
		}
	}
	if _, err := ReadCOSFile(strings.NewReader("1203 local extra\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad line: %v", err)
	}
	// Emergency calls go through every class; incoming calls are never barred.
	for _, c := range []*Call{{Kind: Outgoing, Category: Emergency}, {Kind: Incoming}, {Kind: Internal}} {
		if !COSInternal.Allows(c) {
			t.Errorf("internal class refuses %s/%s", c.Kind, c.Category)
		}
	}
	if COSNational.Allows(&Call{Kind: Outgoing, Category: HKMoTW}) || !COSNational.Allows(&Call{Kind: Outgoing, Category: DDD}) {
		t.Error("national class: HK must be barred, DDD allowed")
	}
}

// TestCOSRefusingEverything: a mix the class leaves nothing of ends in an
// error, not a hang.
func TestCOSRefusingEverything(t *testing.T) {
	p := simulated(t)[0]
	s := newSim(t, p, func(o *Options) {
		o.COS = func(string) COS { return COSInternal }
	})
	s.gen.kinds = []weighted[Kind]{{Outgoing, 1}}
	s.gen.cats = []weighted[Category]{{IDD, 1}}
	if _, _, err := s.Next(); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Next = %v", err)
	}
}
