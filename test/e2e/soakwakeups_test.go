package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	simfias "switchboard/internal/sim/fias"
)

// soakWakeups is the hotel link's part of the fault soak: a simulated FIAS
// PBX (internal/sim/fias) that keeps dialling the gateway back after every
// fault, rings the wake-ups the back office set at their minute, and
// answers them. A wake-up must end with exactly one outcome the back
// office sees: its result (hotel.pbx.wakeup.answered) or, when the result
// was lost with the link (the PBX rang while the gateway was down; FIAS
// over TCP has no acknowledgement), an at-risk notice that sends a person
// to the room. Never none, never two.
type soakWakeups struct {
	t     *testing.T
	bo    *backOffice
	pbx   *simfias.PBX
	rooms []string
	set   map[int64]string // wake-up id -> room
	last  time.Time        // the latest wake-up's time
}

func startSoakWakeups(t *testing.T, addr string, bo *backOffice, loc *time.Location) *soakWakeups {
	pbx := simfias.New(simfias.Config{Loc: loc})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			_ = pbx.Dial(ctx, addr) // back after every fault, as the PBX's link does
			time.Sleep(200 * time.Millisecond)
		}
	}()
	go pbx.RunClock(ctx, time.Second)
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(20 * time.Second); !pbx.LinkUp(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the simulated FIAS PBX's link is not up within 20 s")
		}
	}
	return &soakWakeups{t: t, bo: bo, pbx: pbx, set: map[int64]string{}}
}

// schedule checks rooms in and sets one wake-up a minute, from the next
// minute that is at least lead away until until, each in the next room.
func (w *soakWakeups) schedule(rooms []string, until time.Time, lead time.Duration) {
	w.rooms = rooms
	for _, room := range rooms {
		r := w.bo.command("pbx", "link1", "guest.checkin", hotel.GuestCheckInData{Room: room, Reservation: "R" + room, Name: "Soak " + room}, 30*time.Second)
		if r.Status != "completed" {
			w.t.Fatalf("check-in of %s: %+v", room, r)
		}
	}
	at := time.Now().Add(lead).Truncate(time.Minute).Add(time.Minute)
	for i := 0; !at.After(until); i, at = i+1, at.Add(time.Minute) {
		room := rooms[i%len(rooms)]
		r := w.bo.command("pbx", "link1", "wakeup.set", hotel.WakeupSetData{Room: room, Time: at.Format(time.RFC3339), Operator: "9001"}, 30*time.Second)
		if r.Status != "completed" {
			w.t.Fatalf("wake-up %s at %s: %+v", room, at.Format("15:04"), r)
		}
		var res struct {
			ID int64 `json:"wakeup_id"`
		}
		if err := json.Unmarshal(r.Result, &res); err != nil || res.ID == 0 {
			w.t.Fatalf("wake-up %s: result %s: want its id", room, r.Result)
		}
		w.set[res.ID], w.last = room, at
	}
}

// outcomes waits until every wake-up has an outcome (or within passes)
// and reports each wake-up's count of results and at-risk notices.
func (w *soakWakeups) outcomes(within time.Duration) (answered, atRisk int, problems []string) {
	deadline := time.Now().Add(within)
	for {
		got := map[int64][2]int{}
		w.bo.mu.Lock()
		for _, e := range w.bo.envs {
			var d hotel.WakeupEvent
			switch e.Type {
			case "hotel.pbx.wakeup.answered", "hotel.pbx.wakeup.at-risk":
				if json.Unmarshal(e.Data, &d) != nil || d.WakeupID == 0 {
					continue
				}
				c := got[d.WakeupID]
				if e.Type == "hotel.pbx.wakeup.answered" {
					c[0]++
				} else {
					c[1]++
				}
				got[d.WakeupID] = c
			}
		}
		w.bo.mu.Unlock()
		answered, atRisk, problems = 0, 0, nil
		for id, room := range w.set {
			c := got[id]
			switch {
			case c[0] == 1 && c[1] == 0:
				answered++
			case c[0] == 0 && c[1] == 1:
				atRisk++
			default:
				problems = append(problems, fmt.Sprintf("wake-up %d (room %s): %d results, %d at-risk notices", id, room, c[0], c[1]))
			}
		}
		if len(problems) == 0 || time.Now().After(deadline) {
			return answered, atRisk, problems
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// reply is a command's final reply as the back office saw it.
type reply struct {
	Status string          `json:"status"`
	Reason string          `json:"reason"`
	Result json.RawMessage `json:"result"`
}

// command sends a back-office command and waits for its final reply,
// sending it again (same id: the gateway dedupes) while the gateway is
// down or busy with a fault.
func (b *backOffice) command(domain, device, name string, data any, within time.Duration) reply {
	b.t.Helper()
	id := fmt.Sprintf("soak-%s-%d", name, time.Now().UnixNano())
	raw, _ := json.Marshal(data)
	cmd := events.Envelope{SpecVersion: events.SpecVersion, ID: id, Source: "/backoffice", Type: "hotel." + domain + ".cmd." + name, Time: time.Now(),
		DataContentType: "application/json", DataSchema: events.SchemaURI("hotel." + domain + ".cmd." + name), ReplyTo: "soak", Data: raw}
	payload, _ := json.Marshal(cmd)
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		b.cl.PublishAsync(b.topics.Command(domain, device, name), 1, false, payload)
		for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if env := b.find(func(env events.Envelope) bool {
				return (env.Type == "hotel.command.completed" || env.Type == "hotel.command.failed") &&
					strings.Contains(string(env.Data), `"command_id":"`+id+`"`)
			}); env != nil {
				var r reply
				if err := json.Unmarshal(env.Data, &r); err != nil {
					b.t.Fatal(err)
				}
				return r
			}
		}
	}
	b.t.Fatal(errors.New("no final reply to " + name + " within " + within.String()))
	return reply{}
}
