package pbxsim

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Kind is what a simulated record reports: a call of some direction, or one
// of the hotel events some PBXs print in the SMDR stream. Its string is the
// template key of the profile's simulate section.
type Kind string

// Kinds of simulated records.
const (
	Outgoing       Kind = "outgoing"
	Incoming       Kind = "incoming"
	Internal       Kind = "internal"
	Unanswered     Kind = "unanswered" // an incoming call nobody answered
	CheckIn        Kind = "checkin"
	CheckOut       Kind = "checkout"
	WakeupSet      Kind = "wakeup.set"
	WakeupAnswered Kind = "wakeup.answered"
	WakeupNoAnswer Kind = "wakeup.noanswer"
)

var callKinds = []Kind{Outgoing, Incoming, Internal, Unanswered}

var hotelKinds = []Kind{CheckIn, CheckOut, WakeupSet, WakeupAnswered, WakeupNoAnswer}

// IsCall reports whether k is a call (not a hotel event).
func (k Kind) IsCall() bool {
	switch k {
	case Outgoing, Incoming, Internal, Unanswered:
		return true
	}
	return false
}

// Category is the kind of number an outgoing call dialed (mainland China
// numbering plan, as the hotels this gateway serves dial it).
type Category string

// Outgoing call categories.
const (
	Local     Category = "local"     // 8-digit city number
	Mobile    Category = "mobile"    // 1[3-9]x + 8 digits
	DDD       Category = "ddd"       // 0 + area code + number
	IDD       Category = "idd"       // 00 + country code + number
	HKMoTW    Category = "hkmotw"    // 00852 / 00853 / 00886
	TollFree  Category = "tollfree"  // 400 / 800 + 7 digits
	Emergency Category = "emergency" // 110 police, 119 fire, 120 ambulance, 122 traffic
)

var categories = []Category{Local, Mobile, DDD, IDD, HKMoTW, TollFree, Emergency}

// defaultMix is a hotel's call mix (weights); a simulate section's mix
// overrides single entries.
var defaultMix = map[string]int{
	"outgoing": 45, "incoming": 30, "internal": 12, "unanswered": 10, "hotel": 3,
	"local": 30, "mobile": 35, "ddd": 15, "idd": 8, "hkmotw": 4, "tollfree": 6, "emergency": 2,
}

// per-category talk-time medians (seconds) and synthetic PBX charge per
// started minute (fen). The charge is what the PBX prints, not the hotel's tariff.
var catTalk = map[Category]float64{Local: 75, Mobile: 90, DDD: 150, IDD: 240, HKMoTW: 200, TollFree: 180, Emergency: 40}
var catRate = map[Category]int64{Local: 22, Mobile: 30, DDD: 70, IDD: 800, HKMoTW: 500, TollFree: 0, Emergency: 0}

// Area codes: two-digit codes take 8-digit numbers, three-digit ones 7 or 8.
var areas2 = []string{"10", "20", "21", "22", "23", "24", "25", "27", "28", "29"}
var areas3 = []string{"311", "371", "431", "451", "531", "571", "591", "731", "755", "769", "871", "898"}

// Country codes with the length of their national numbers.
var countries = []struct {
	cc string
	n  int
}{{"1", 10}, {"44", 10}, {"49", 10}, {"33", 9}, {"81", 10}, {"82", 9}, {"61", 9}, {"65", 8}, {"7", 10}, {"39", 10}, {"60", 9}, {"66", 9}}

var emergency = []string{"110", "119", "120", "122"}

// generator draws calls from a seeded source and hands them out in the order
// a PBX prints them: when they end.
type generator struct {
	rng        *rand.Rand
	next       time.Time // start of the next call to create
	gap        float64   // mean seconds between call starts
	frac       float64   // sub-second remainder of the arrival clock
	seq        int64
	firstRoom  int
	lastRoom   int
	accessCode string
	trunks     []string
	didPrefix  string
	kinds      []weighted[Kind]
	cats       []weighted[Category]
	pending    callHeap
	cos        func(room string) COS // nil: no barring
	refused    int                   // calls the PBX refused (beyond the room's class)
}

type weighted[T any] struct {
	v T
	w int
}

func pick[T any](r *rand.Rand, ws []weighted[T]) T {
	total := 0
	for _, w := range ws {
		total += w.w
	}
	n := r.IntN(total)
	for _, w := range ws {
		if n < w.w {
			return w.v
		}
		n -= w.w
	}
	return ws[len(ws)-1].v
}

func (g *generator) room() string {
	n := g.firstRoom + g.rng.IntN(g.lastRoom-g.firstRoom+1)
	if n%100 == 0 && n < g.lastRoom { // no room x00
		n++
	}
	return strconv.Itoa(n)
}

func (g *generator) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.rng.IntN(10))
	}
	return string(b)
}

// subscriber is a number that does not start with 0 or 1.
func (g *generator) subscriber(n int) string {
	return strconv.Itoa(2+g.rng.IntN(7)) + g.digits(n-1)
}

func (g *generator) number(c Category) string {
	r := g.rng
	switch c {
	case Local:
		return g.subscriber(8)
	case Mobile:
		return "1" + strconv.Itoa(3+r.IntN(7)) + g.digits(9)
	case DDD:
		if r.IntN(2) == 0 {
			return "0" + areas2[r.IntN(len(areas2))] + g.subscriber(8)
		}
		return "0" + areas3[r.IntN(len(areas3))] + g.subscriber(7+r.IntN(2))
	case IDD:
		cc := countries[r.IntN(len(countries))]
		return "00" + cc.cc + g.subscriber(cc.n)
	case HKMoTW:
		switch r.IntN(3) {
		case 0:
			return "00852" + strconv.Itoa(5+r.IntN(5)) + g.digits(7)
		case 1:
			return "00853" + "6" + g.digits(7)
		default:
			return "00886" + "9" + g.digits(8)
		}
	case TollFree:
		return []string{"400", "800"}[r.IntN(2)] + g.subscriber(7)
	default:
		return emergency[r.IntN(len(emergency))]
	}
}

// caller is an incoming call's CLI: mostly mobiles, some withheld.
func (g *generator) caller() string {
	switch n := g.rng.IntN(100); {
	case n < 55:
		return g.number(Mobile)
	case n < 80:
		return g.number(Local)
	case n < 92:
		return g.number(DDD)
	case n < 95:
		return g.number(IDD)
	default:
		return "" // withheld
	}
}

// talk is a log-normal talk time around median seconds, 3 s to 2 h.
func (g *generator) talk(median float64) time.Duration {
	s := median * math.Exp(0.9*g.rng.NormFloat64())
	s = math.Max(3, math.Min(s, 7200))
	return time.Duration(int64(s)) * time.Second
}

// ring is a ring time of at least min seconds, mean extra seconds over it.
func (g *generator) ring(min, mean, max float64) time.Duration {
	s := min + g.rng.ExpFloat64()*mean
	return time.Duration(int64(math.Min(s, max))) * time.Second
}

// create makes the call that starts at g.next and advances the arrival clock.
func (g *generator) create() *Call {
	g.seq++
	c := &Call{Seq: g.seq, Start: g.next, Ext: g.room()}
	c.Kind = pick(g.rng, g.kinds)
	switch c.Kind {
	case Outgoing:
		c.Category = pick(g.rng, g.cats)
		c.Dialed = g.number(c.Category)
		c.Keyed = g.accessCode + c.Dialed
		c.Trunk = g.trunks[g.rng.IntN(len(g.trunks))]
		c.Ring = g.ring(3, 8, 45)
		c.Duration = g.talk(catTalk[c.Category])
		c.Answered = true
		minutes := int64((c.Duration + time.Minute - 1) / time.Minute)
		c.CostFen = minutes * catRate[c.Category]
		if catRate[c.Category] > 0 {
			c.Units = int(minutes)
		}
	case Incoming, Unanswered:
		c.Caller = g.caller()
		c.DID = g.didPrefix + fmt.Sprintf("%04s", c.Ext)
		c.Trunk = g.trunks[g.rng.IntN(len(g.trunks))]
		if c.Kind == Incoming {
			c.Ring = g.ring(2, 5, 30)
			c.Duration = g.talk(120)
			c.Answered = true
		} else if g.rng.IntN(4) == 0 {
			c.Ring = g.ring(2, 3, 12) // caller gave up
		} else {
			c.Ring = g.ring(15, 15, 90)
		}
	case Internal:
		c.Dialed = g.room()
		for c.Dialed == c.Ext {
			c.Dialed = g.room()
		}
		c.Keyed = c.Dialed
		c.Ring = g.ring(2, 4, 20)
		c.Duration = g.talk(45)
		c.Answered = true
	}
	step := g.rng.ExpFloat64()*g.gap + g.frac
	whole := math.Floor(step)
	g.frac = step - whole
	g.next = g.next.Add(time.Duration(whole) * time.Second)
	return c
}

// maxRefusedInARow bounds the draws pop makes when the class of service
// refuses everything the mix can produce.
const maxRefusedInARow = 100000

// pop returns the next call to print: the one that ends first, once no call
// yet to start could end before it. Nil when the class of service refused
// maxRefusedInARow calls in a row.
func (g *generator) pop() *Call {
	inARow := 0
	for g.pending.Len() == 0 || !g.pending[0].End().Before(g.next) {
		c := g.create()
		if g.cos != nil && !g.cos(c.Ext).Allows(c) {
			g.refused++ // barred at the PBX: no record
			if inARow++; inARow >= maxRefusedInARow {
				return nil
			}
			continue
		}
		inARow = 0
		heap.Push(&g.pending, c)
	}
	return heap.Pop(&g.pending).(*Call)
}

type callHeap []*Call

func (h callHeap) Len() int { return len(h) }
func (h callHeap) Less(i, j int) bool {
	ei, ej := h[i].End(), h[j].End()
	if !ei.Equal(ej) {
		return ei.Before(ej)
	}
	return h[i].Seq < h[j].Seq
}
func (h callHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *callHeap) Push(x any)   { *h = append(*h, x.(*Call)) }
func (h *callHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return c
}
