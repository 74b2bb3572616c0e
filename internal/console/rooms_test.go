package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

// roomNS is the hotel desk's namespace of the rooms' DND, lamp and class
// of service (hoteldesk.ReadRoomSettings reads it); roomDesk writes it as
// the desk does.
const roomNS = "hotelink.room"

// roomDesk stands in for the hotel desk's room commands: it records what
// it got and applies it to the store as the desk does (the stays through
// the stays store, the settings in the desk's namespace).
type roomDesk struct {
	st  *store.Store
	now func() time.Time
	mu  sync.Mutex
	got []string // "dnd.set 1203 true", "guest.checkin 1202 <name>", ...
}

func (d *roomDesk) Validate(c *bus.Command) error {
	switch c.Name {
	case "dnd.set", "mwl.set":
		var v hotel.SwitchData
		if err := bus.DecodeData(c, &v); err != nil {
			return err
		}
		if v.On == nil {
			return &bus.FieldError{Field: "data.on", Problem: "required"}
		}
		return nil
	case "cos.set":
		var v hotel.COSData
		return bus.DecodeData(c, &v)
	case "guest.checkin":
		var v hotel.GuestCheckInData
		return bus.DecodeData(c, &v)
	}
	var v hotel.GuestCheckOutData
	return bus.DecodeData(c, &v)
}

func (d *roomDesk) Execute(ctx context.Context, c *bus.Command) (any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var line, room string
	err := d.st.InTx(ctx, func(tx *store.Tx) error {
		setting := func(room string, fn func(map[string]any)) error {
			m := map[string]any{}
			if b, ok, err := tx.Get(roomNS, room); err != nil {
				return err
			} else if ok {
				_ = json.Unmarshal(b, &m)
			}
			fn(m)
			b, _ := json.Marshal(m)
			return tx.Put(roomNS, room, b)
		}
		switch c.Name {
		case "dnd.set", "mwl.set":
			var v hotel.SwitchData
			_ = bus.DecodeData(c, &v)
			line, room = c.Name+" "+v.Room+" "+map[bool]string{true: "true", false: "false"}[*v.On], v.Room
			return setting(v.Room, func(m map[string]any) { m[strings.TrimSuffix(c.Name, ".set")] = *v.On })
		case "cos.set":
			var v hotel.COSData
			_ = bus.DecodeData(c, &v)
			line, room = "cos.set "+v.Room+" "+v.COS, v.Room
			return setting(v.Room, func(m map[string]any) { m["cos"] = v.COS })
		case "guest.checkin":
			var v hotel.GuestCheckInData
			_ = bus.DecodeData(c, &v)
			line, room = "guest.checkin "+v.Room+" "+v.Name+" "+v.Reservation+" "+v.Language, v.Room
			_, err := stays.CheckIn(tx, stays.Stay{Room: v.Room, Guest: v.Name, Reservation: v.Reservation, Language: v.Language, CheckIn: d.now()})
			return err
		}
		var v hotel.GuestCheckOutData
		_ = bus.DecodeData(c, &v)
		line, room = "guest.checkout "+v.Room, v.Room
		if _, err := stays.CheckOut(tx, v.Room, d.now()); err != nil {
			return err
		}
		return tx.Put(roomNS, v.Room, []byte(`{}`)) // the check-out resets the room
	})
	if err != nil {
		if errors.Is(err, stays.ErrVacant) || errors.Is(err, stays.ErrOccupied) {
			return nil, &bus.FieldError{Field: "data.room", Problem: err.Error()}
		}
		return nil, err
	}
	d.got = append(d.got, line)
	return map[string]string{"room": room}, nil // as the desk's results name the room
}

func (d *roomDesk) sent() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.got...)
}

// newRoomsFixture is a console with guest rooms 1201-1203 and 1301-1302
// whose room commands go through a real bus.Router to a roomDesk.
func newRoomsFixture(t *testing.T) (*fixture, *roomDesk) {
	t.Helper()
	desk := &roomDesk{}
	f := newFixture(t, false, func(st *store.Store) Host {
		desk.st = st
		r := bus.NewRouter(newTopics(), st, func(tx *store.Tx, ev store.Event) error { _, _, err := tx.Enqueue(ev); return err }, nil)
		for _, name := range []string{"dnd.set", "mwl.set", "cos.set", "guest.checkin", "guest.checkout"} {
			r.Handle("pbx", name, desk)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		return routerHost{r: r, st: st}
	})
	desk.now = f.clock.now
	f.c.o.Rooms = []string{"1201", "1202", "1203", "1301", "1302"}
	return f, desk
}

const evilName = `<script>alert(1)</script>`

// seedRooms: 1203 occupied by a guest with a hostile name, DND on, class
// local, a wake-up tomorrow 06:30; 1301 vacant with its lamp on.
func seedRooms(t *testing.T, f *fixture) {
	t.Helper()
	now := f.clock.now()
	sched, _ := wakeup.New(wakeup.Config{Location: site})
	err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		if _, err := stays.CheckIn(tx, stays.Stay{Room: "1203", Guest: evilName, Reservation: "R-77", CheckIn: now.Add(-time.Hour)}); err != nil {
			return err
		}
		if err := tx.Put(roomNS, "1203", []byte(`{"dnd":true,"cos":"local"}`)); err != nil {
			return err
		}
		if err := tx.Put(roomNS, "1301", []byte(`{"mwl":true}`)); err != nil {
			return err
		}
		_, _, err := sched.Set(tx, wakeup.Request{Room: "1203", Date: wakeup.DateOf(now).AddDays(1), Clock: wakeup.Clock{Hour: 6, Minute: 30},
			By: wakeup.ByGuest, Operator: "0001"}, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The grid lists the configured rooms by floor with their state, named
// for a screen reader, filtered on request; a guest's name is text.
func TestRoomsGrid(t *testing.T) {
	f, _ := newRoomsFixture(t)
	seedRooms(t, f)
	b := f.browser(t)
	b.signIn("0001", "1234")
	all := b.do("GET", "/rooms", nil)
	if all.code != http.StatusOK {
		t.Fatalf("GET /rooms: %d\n%s", all.code, all.body)
	}
	for _, want := range []string{
		`<th scope="row">12</th>`, `<th scope="row">13</th>`,
		`aria-label="Room 1203, occupied, DND on, class of service local, next wake-up 06:30"`,
		`aria-label="Room 1201, vacant"`,
		`aria-label="Room 1301, vacant, message lamp on"`,
		`<a href="/rooms/1302"`,
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		`<a href="/rooms">Rooms</a>`, // in the navigation
	} {
		if !strings.Contains(all.body, want) {
			t.Errorf("the grid lacks %s", want)
		}
	}
	if strings.Contains(all.body, evilName) {
		t.Error("the guest's name is not escaped")
	}
	for _, tc := range []struct {
		query      string
		shown, not []string
	}{
		{"", []string{"1201", "1202", "1203", "1301", "1302"}, nil},
		{"occupied=1", []string{"1203"}, []string{"1201", "1202", "1301", "1302"}},
		{"dnd=1", []string{"1203"}, []string{"1201", "1301"}},
		{"lamp=1", []string{"1301"}, []string{"1203", "1302"}},
		{"occupied=1&lamp=1", nil, []string{"1203", "1301"}},
	} {
		t.Run("filter "+tc.query, func(t *testing.T) {
			res := b.do("GET", "/rooms?"+tc.query, nil)
			for _, room := range tc.shown {
				if !strings.Contains(res.body, `id="room-`+room+`"`) {
					t.Errorf("room %s not shown", room)
				}
			}
			for _, room := range tc.not {
				if strings.Contains(res.body, `id="room-`+room+`"`) {
					t.Errorf("room %s shown", room)
				}
			}
		})
	}
	zh := b.do("GET", "/rooms?lang=zh-Hant", nil)
	if !strings.Contains(zh.body, `aria-label="房間 1203，住客，請勿打擾，話務等級 local，下次叫醒 06:30"`) {
		t.Errorf("zh-Hant grid:\n%s", zh.body)
	}
	card := b.do("GET", "/rooms/1203?lang=en", nil)
	if card.code != http.StatusOK || !strings.Contains(card.body, `<span id="guest">&lt;script&gt;alert(1)&lt;/script&gt;</span>`) ||
		strings.Contains(card.body, evilName) || !strings.Contains(card.body, "Turn DND off") {
		t.Fatalf("card:\n%s", card.body)
	}
	if res := b.do("GET", "/rooms/9999", nil); res.code != http.StatusNotFound {
		t.Errorf("an unknown room: %d", res.code)
	}
}

// follow is the page a POST redirected to.
func (b *browser) follow(res response) response {
	b.t.Helper()
	if res.code != http.StatusSeeOther {
		b.t.Fatalf("want a redirect, got %d\n%s", res.code, res.body)
	}
	return b.do("GET", res.header.Get("Location"), nil)
}

// DND, lamp and class of service go through the router as the operator;
// a check-in and a check-out go through the single stay path with a
// confirm step each; every reply is shown once after the redirect.
func TestRoomActionsThroughTheRouter(t *testing.T) {
	f, desk := newRoomsFixture(t)
	seedRooms(t, f)
	ctx := context.Background()
	b := f.browser(t)
	_, tok := b.signIn("0001", "1234")

	steps := []struct {
		name, path string
		form       url.Values
		sent       string // what the desk got ("" nothing)
		flash      string // on the page redirected to
		check      string // then on the card
	}{
		{"DND off", "/rooms/1203/dnd", url.Values{"on": {"false"}}, "dnd.set 1203 false", "dnd.set 1203 false: done (completed)", "Turn DND on"},
		{"lamp on", "/rooms/1202/mwl", url.Values{"on": {"true"}}, "mwl.set 1202 true", "mwl.set 1202 true: done", "Put the message lamp out"},
		{"class", "/rooms/1202/cos", url.Values{"cos": {"national"}}, "cos.set 1202 national", "cos.set 1202 national: done", `<td id="cos">national</td>`},
		{"check-in", "/rooms/1202/checkin", url.Values{"name": {evilName}, "reservation": {"R-9"}, "language": {"en"}},
			"guest.checkin 1202 " + evilName + " R-9 en", "guest.checkin 1202: done", `<span id="guest">&lt;script&gt;`},
		{"check-out", "/rooms/1203/checkout", url.Values{}, "guest.checkout 1203", "guest.checkout 1203: done", `<td id="stay">vacant</td>`},
		{"check-out of a vacant room", "/rooms/1203/checkout", url.Values{}, "", "guest.checkout 1203: not done (failed) — ", `<td id="stay">vacant</td>`},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := len(desk.sent())
			st.form.Set("csrf", tok)
			page := b.follow(b.do("POST", st.path, st.form))
			if !strings.Contains(page.body, st.flash) || !strings.Contains(page.body, st.check) {
				t.Fatalf("after %s, want %q and %q:\n%s", st.name, st.flash, st.check, page.body)
			}
			if strings.Contains(page.body, evilName) {
				t.Fatal("a guest's name is not escaped")
			}
			got := desk.sent()[before:]
			if (st.sent == "" && len(got) != 0) || (st.sent != "" && (len(got) != 1 || got[0] != st.sent)) {
				t.Fatalf("the desk got %q, want %q", got, st.sent)
			}
			if again := b.do("GET", "/rooms/1203", nil); strings.Contains(again.body, `id="flash"`) {
				t.Fatal("the outcome is shown twice")
			}
		})
	}
	if s, err := stays.Current(ctx, f.st, "1202"); err != nil || s == nil || s.Guest != evilName || s.Reservation != "R-9" {
		t.Fatalf("1202's stay: %+v %v", s, err)
	}
	if s, _ := stays.Current(ctx, f.st, "1203"); s != nil {
		t.Fatalf("1203 still occupied: %+v", s)
	}
	// Every command is in the log under the operator's code, the last one failed.
	rows, err := store.All(ctx, f.st, func(r store.Scanner) ([4]string, error) {
		var v [4]string
		return v, r.Scan(&v[0], &v[1], &v[2], &v[3])
	}, `SELECT principal, role, status, topic FROM commands ORDER BY received, updated`)
	if err != nil || len(rows) != len(steps) {
		t.Fatalf("command log: %v %v", rows, err)
	}
	for i, row := range rows {
		want := [3]string{"0001", "operator", "completed"}
		if i == len(rows)-1 {
			want[2] = "failed"
		}
		cmd := []string{"dnd.set", "mwl.set", "cos.set", "guest.checkin", "guest.checkout", "guest.checkout"}[i]
		if [3]string(row[:3]) != want || row[3] != "pbx/link1/"+cmd {
			t.Errorf("command %d (%s): %v, want %v on pbx/link1/%s", i, steps[i].name, row, want, cmd)
		}
	}
	// The shift journal has them.
	if sh := b.do("GET", "/shift", nil); !strings.Contains(sh.body, "guest.checkin") || !strings.Contains(sh.body, "dnd.set") {
		t.Errorf("shift journal:\n%s", sh.body)
	}
}

// Check-in and check-out each ask first: the confirm step repeats what
// will be sent and sends nothing; a bad form is refused before it.
func TestRoomConfirmSteps(t *testing.T) {
	f, desk := newRoomsFixture(t)
	seedRooms(t, f)
	b := f.browser(t)
	_, tok := b.signIn("0001", "1234")
	for _, tc := range []struct {
		name, path string
		form       url.Values
		code       int
		want       []string
	}{
		{"check-in", "/rooms/1201/checkin/confirm", url.Values{"name": {"Chen Wei"}, "reservation": {"R-1"}, "language": {"zh-TW"}}, http.StatusOK,
			[]string{`<strong id="confirm-room">1201</strong>`, `<strong id="confirm-guest">Chen Wei</strong>`, `action="/rooms/1201/checkin"`, `name="name" value="Chen Wei"`}},
		{"check-in escapes", "/rooms/1201/checkin/confirm", url.Values{"name": {evilName}}, http.StatusOK,
			[]string{`<strong id="confirm-guest">&lt;script&gt;alert(1)&lt;/script&gt;</strong>`}},
		{"check-out", "/rooms/1203/checkout/confirm", url.Values{}, http.StatusOK,
			[]string{`<strong id="confirm-room">1203</strong>`, `action="/rooms/1203/checkout"`, "wake-ups are cancelled"}},
		{"no name", "/rooms/1201/checkin/confirm", url.Values{"name": {" "}}, http.StatusUnprocessableEntity, []string{"name: want the guest"}},
		{"a name with a control character", "/rooms/1201/checkin", url.Values{"name": {"A\x07B"}}, http.StatusUnprocessableEntity, []string{"name: want"}},
		{"a bad language", "/rooms/1201/checkin", url.Values{"name": {"A"}, "language": {"english!"}}, http.StatusUnprocessableEntity, []string{"language: want"}},
		{"an unknown room", "/rooms/9999/checkin", url.Values{"name": {"A"}}, http.StatusNotFound, []string{"not a guest room"}},
		{"DND without on", "/rooms/1201/dnd", url.Values{}, http.StatusUnprocessableEntity, nil},
		{"an unknown class", "/rooms/1201/cos", url.Values{"cos": {"premium"}}, http.StatusUnprocessableEntity, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("csrf", tok)
			res := b.do("POST", tc.path, tc.form)
			if res.code != tc.code {
				t.Fatalf("%d, want %d\n%s", res.code, tc.code, res.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.body, w) {
					t.Errorf("lacks %s:\n%s", w, res.body)
				}
			}
			if strings.Contains(res.body, evilName) {
				t.Error("a guest's name is not escaped")
			}
		})
	}
	if got := desk.sent(); len(got) != 0 {
		t.Fatalf("the confirm steps sent %q", got)
	}
}

// The rooms are the switchboard's: the business centre neither sees nor
// changes them; every POST needs the session's token.
func TestRoomsGuards(t *testing.T) {
	f, desk := newRoomsFixture(t)
	seedRooms(t, f)
	for _, tc := range []struct {
		who         string
		method, url string
		csrf        bool
		code        int
	}{
		{"0002", "GET", "/rooms", false, http.StatusForbidden},
		{"0002", "GET", "/rooms/1203", false, http.StatusForbidden},
		{"0002", "POST", "/rooms/1203/dnd", true, http.StatusForbidden},
		{"0002", "POST", "/rooms/1201/checkin", true, http.StatusForbidden},
		{"0001", "POST", "/rooms/1203/dnd", false, http.StatusForbidden},
		{"0001", "POST", "/rooms/1203/checkout", false, http.StatusForbidden},
		{"0003", "GET", "/rooms", false, http.StatusOK},
		{"0004", "GET", "/rooms/1203", false, http.StatusOK},
		{"", "GET", "/rooms", false, http.StatusSeeOther}, // to the sign-in page
	} {
		t.Run(tc.who+" "+tc.method+" "+tc.url, func(t *testing.T) {
			b := f.browser(t)
			tok := ""
			if tc.who != "" {
				_, tok = b.signIn(tc.who, "1234")
			}
			var form url.Values
			if tc.method == "POST" {
				form = url.Values{"on": {"false"}, "name": {"A"}}
				if tc.csrf {
					form.Set("csrf", tok)
				}
			}
			res := b.do(tc.method, tc.url, form)
			if res.code != tc.code {
				t.Fatalf("%d, want %d", res.code, tc.code)
			}
			if tc.who == "0002" && strings.Contains(b.do("GET", "/", nil).body, `href="/rooms"`) {
				t.Error("the business centre's navigation offers the rooms")
			}
		})
	}
	if got := desk.sent(); len(got) != 0 {
		t.Fatalf("refused requests sent %q", got)
	}
}
