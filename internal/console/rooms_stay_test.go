package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"switchboard/internal/bus"
	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
	"switchboard/internal/operators"
	"switchboard/internal/store"
)

// stayDesk stands in for the hotel desk's other stay commands: the
// gateway's folio.checkin and folio.checkout (edge/{gateway}/cmd/...) and
// the hotel link's guest.move, recording into the roomDesk's list and
// applying them to the stays as the desk does.
type stayDesk struct{ rd *roomDesk }

func (d stayDesk) Validate(c *bus.Command) error {
	switch c.Name {
	case "folio.checkin":
		var v events.CheckInData
		return bus.DecodeData(c, &v)
	case "folio.checkout":
		var v events.CheckOutData
		return bus.DecodeData(c, &v)
	}
	var v hotel.GuestMoveData
	return bus.DecodeData(c, &v)
}

func (d stayDesk) Execute(ctx context.Context, c *bus.Command) (any, error) {
	rd := d.rd
	rd.mu.Lock()
	defer rd.mu.Unlock()
	var line string
	res := map[string]any{}
	err := rd.st.InTx(ctx, func(tx *store.Tx) error {
		switch c.Name {
		case "folio.checkin":
			var v events.CheckInData
			_ = bus.DecodeData(c, &v)
			line, res["room"] = "folio.checkin "+v.Room+" "+v.Name+" "+v.Reservation+" "+v.Language, v.Room
			_, err := stays.CheckIn(tx, stays.Stay{Room: v.Room, Guest: v.Name, Reservation: v.Reservation, Language: v.Language, CheckIn: rd.now()})
			return err
		case "folio.checkout":
			var v events.CheckOutData
			_ = bus.DecodeData(c, &v)
			line, res["room"] = "folio.checkout "+v.Room, v.Room
			_, err := stays.CheckOut(tx, v.Room, rd.now())
			return err
		}
		var v hotel.GuestMoveData
		_ = bus.DecodeData(c, &v)
		line, res["from"], res["to"] = c.Name+" "+v.From+" "+v.To, v.From, v.To
		old, err := stays.CheckOut(tx, v.From, rd.now())
		if err != nil {
			return err
		}
		_, err = stays.CheckIn(tx, stays.Stay{Room: v.To, Guest: old.Guest, Reservation: old.Reservation, CheckIn: rd.now()})
		return err
	})
	if err != nil {
		if errors.Is(err, stays.ErrVacant) || errors.Is(err, stays.ErrOccupied) {
			return nil, &bus.FieldError{Field: "data.room", Problem: err.Error()}
		}
		return nil, err
	}
	rd.got = append(rd.got, line)
	return res, nil
}

// newStayFixture is newRoomsFixture with the gateway's stay commands and
// guest.move routed too, and the console given the gateway's id; link ""
// is a site without a hotel link.
func newStayFixture(t *testing.T, link string) (*fixture, *roomDesk) {
	t.Helper()
	desk := &roomDesk{}
	f := newFixture(t, false, func(st *store.Store) Host {
		desk.st = st
		r := bus.NewRouter(newTopics(), st, func(tx *store.Tx, ev store.Event) error { _, _, err := tx.Enqueue(ev); return err }, nil)
		for _, name := range []string{"dnd.set", "mwl.set", "cos.set", "guest.checkin", "guest.checkout"} {
			r.Handle("pbx", name, desk)
		}
		r.Handle("pbx", "guest.move", stayDesk{desk})
		r.Handle("edge", "folio.checkin", stayDesk{desk})
		r.Handle("edge", "folio.checkout", stayDesk{desk})
		r.Handle("edge", "folio.move", stayDesk{desk})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		return routerHost{r: r, st: st}
	})
	desk.now = f.clock.now
	f.c.o.Rooms = []string{"1201", "1202", "1203", "1301", "1302"}
	f.c.o.HotelLink, f.c.o.Gateway = link, newTopics().Gateway
	return f, desk
}

// commandTopics are the command log's (principal, role, status, topic).
func commandTopics(t *testing.T, st *store.Store) [][4]string {
	t.Helper()
	rows, err := store.All(context.Background(), st, func(r store.Scanner) ([4]string, error) {
		var v [4]string
		return v, r.Scan(&v[0], &v[1], &v[2], &v[3])
	}, `SELECT principal, role, status, topic FROM commands ORDER BY received, updated`)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// The console chooses the stay path from what the gateway has: the hotel
// link's guest commands with one, the gateway's folio commands without;
// an operator and a supervisor may, each under their own code.
func TestRoomStayPathChosen(t *testing.T) {
	for _, tc := range []struct {
		name, link, who string
		in, out         string // what the desk gets
		topic, role     string // of the check-in in the command log
	}{
		{"hotel link, operator", "link1", "0001", "guest.checkin 1202 Chen Wei R-9 zh-TW", "guest.checkout 1202", "pbx/link1/guest.checkin", "operator"},
		{"no hotel link, operator", "", "0001", "folio.checkin 1202 Chen Wei R-9 zh-TW", "folio.checkout 1202", "edge/gw1/folio.checkin", "operator"},
		{"no hotel link, supervisor", "", "0003", "folio.checkin 1202 Chen Wei R-9 zh-TW", "folio.checkout 1202", "edge/gw1/folio.checkin", "backoffice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, desk := newStayFixture(t, tc.link)
			b := f.browser(t)
			_, tok := b.signIn(tc.who, "1234")
			card := b.do("GET", "/rooms/1202", nil)
			if !strings.Contains(card.body, `action="/rooms/1202/checkin/confirm"`) {
				t.Fatalf("the card offers no check-in:\n%s", card.body)
			}
			if got := strings.Contains(card.body, `id="dnd-toggle"`); got != (tc.link != "") {
				t.Errorf("DND offered %v with link %q", got, tc.link)
			}
			form := url.Values{"csrf": {tok}, "name": {"Chen Wei"}, "reservation": {"R-9"}, "language": {"zh-TW"}}
			in := strings.Fields(tc.in)[0]
			page := b.follow(b.do("POST", "/rooms/1202/checkin", form))
			if !strings.Contains(page.body, in+" 1202: done (completed)") || !strings.Contains(page.body, `<span id="guest">Chen Wei</span>`) {
				t.Fatalf("after the check-in:\n%s", page.body)
			}
			out := b.follow(b.do("POST", "/rooms/1202/checkout", url.Values{"csrf": {tok}}))
			if !strings.Contains(out.body, strings.Fields(tc.out)[0]+" 1202: done (completed)") || !strings.Contains(out.body, `<td id="stay">vacant</td>`) {
				t.Fatalf("after the check-out:\n%s", out.body)
			}
			if got := desk.sent(); len(got) != 2 || got[0] != tc.in || got[1] != tc.out {
				t.Fatalf("the desk got %q, want %q then %q", got, tc.in, tc.out)
			}
			rows := commandTopics(t, f.st)
			want := [4]string{tc.who, tc.role, "completed", tc.topic}
			if len(rows) != 2 || rows[0] != want {
				t.Fatalf("command log %v, want first %v", rows, want)
			}
			if sh := b.do("GET", "/shift", nil); !strings.Contains(sh.body, in) {
				t.Errorf("the shift journal lacks %s", in)
			}
		})
	}
}

// The business centre may not check guests in, on either path: the route
// refuses it and so does mayCommand, which the bus does not (in-process
// commands skip the MQTT ACL).
func TestRoomStayRoles(t *testing.T) {
	for _, tc := range []struct {
		role         operators.Role
		domain, name string
		may          bool
	}{
		{operators.RoleOperator, "edge", "folio.checkin", true},
		{operators.RoleOperator, "edge", "folio.checkout", true},
		{operators.RoleOperator, "edge", "replay", false},
		{operators.RoleOperator, "edge", "folio.rerate", false},
		{operators.RoleOperator, "pbx", "guest.move", true},
		{operators.RoleSupervisor, "edge", "folio.checkin", true},
		{operators.RoleAdmin, "edge", "folio.checkout", true},
		{operators.RoleBusiness, "edge", "folio.checkin", false},
		{operators.RoleBusiness, "pbx", "guest.checkin", false},
		{operators.RoleBusiness, "pbx", "guest.move", false},
	} {
		if got := mayCommand(tc.role, tc.domain, tc.name); got != tc.may {
			t.Errorf("mayCommand(%s, %s, %s) = %v, want %v", tc.role, tc.domain, tc.name, got, tc.may)
		}
	}
	f, desk := newStayFixture(t, "")
	for _, tc := range []struct {
		who, path string
		csrf      bool
		code      int
	}{
		{"0002", "/rooms/1202/checkin", true, http.StatusForbidden},
		{"0002", "/rooms/1203/checkout", true, http.StatusForbidden},
		{"0002", "/rooms/1203/move/confirm", true, http.StatusForbidden},
		{"0001", "/rooms/1202/checkin", false, http.StatusForbidden},
		{"0001", "/rooms/1203/checkout", false, http.StatusForbidden},
		{"0001", "/rooms/1203/move", false, http.StatusForbidden},
	} {
		t.Run(tc.who+" "+tc.path, func(t *testing.T) {
			b := f.browser(t)
			_, tok := b.signIn(tc.who, "1234")
			form := url.Values{"name": {"A"}, "to": {"1301"}}
			if tc.csrf {
				form.Set("csrf", tok)
			}
			if res := b.do("POST", tc.path, form); res.code != tc.code {
				t.Fatalf("%d, want %d", res.code, tc.code)
			}
		})
	}
	if got := desk.sent(); len(got) != 0 {
		t.Fatalf("refused requests sent %q", got)
	}
}

// Clear refusals before anything is sent: an unknown room, an occupied
// room to check in or move to, a vacant one to check out or move from,
// a move without a hotel link.
func TestRoomStayProblems(t *testing.T) {
	for _, tc := range []struct {
		name, link, path string
		form             url.Values
		code             int
		want             string
	}{
		{"check-in to an occupied room", "", "/rooms/1203/checkin/confirm", url.Values{"name": {"Chen"}}, http.StatusConflict,
			"Room 1203 is occupied (checked in 2026-12-04 21:00): check that guest out first"},
		{"check-in to an unknown room", "", "/rooms/9999/checkin/confirm", url.Values{"name": {"Chen"}}, http.StatusNotFound, "not a guest room"},
		{"check-out of a vacant room", "", "/rooms/1201/checkout/confirm", nil, http.StatusConflict, "Room 1201 is vacant"},
		{"check-out of an unknown room", "", "/rooms/9999/checkout/confirm", nil, http.StatusNotFound, "not a guest room"},
		{"move with neither a hotel link nor a gateway id", "", "/rooms/1203/move/confirm", url.Values{"to": {"1301"}}, http.StatusUnprocessableEntity,
			"A move needs the hotel link or the gateway"},
		{"move to an occupied room", "link1", "/rooms/1301/move/confirm", url.Values{"to": {"1203"}}, http.StatusConflict,
			"Room 1203 is occupied"},
		{"move from a vacant room", "link1", "/rooms/1201/move/confirm", url.Values{"to": {"1202"}}, http.StatusConflict, "Room 1201 is vacant"},
		{"move to an unknown room", "link1", "/rooms/1203/move/confirm", url.Values{"to": {"9999"}}, http.StatusUnprocessableEntity,
			`To room &#34;9999&#34;: want a guest room`},
		{"move to the same room", "link1", "/rooms/1203/move", url.Values{"to": {"1203"}}, http.StatusUnprocessableEntity, "already"},
		{"zh-Hant", "", "/rooms/1203/checkin/confirm?lang=zh-Hant", url.Values{"name": {"Chen"}}, http.StatusConflict, "房間 1203 已有住客"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, desk := newStayFixture(t, tc.link)
			seedRooms(t, f)
			if tc.name == "move with neither a hotel link nor a gateway id" {
				f.c.o.Gateway = ""
			}
			if tc.name == "move to an occupied room" {
				if err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
					_, err := stays.CheckIn(tx, stays.Stay{Room: "1301", Guest: "Lin", CheckIn: f.clock.now()})
					return err
				}); err != nil {
					t.Fatal(err)
				}
			}
			b := f.browser(t)
			_, tok := b.signIn("0001", "1234")
			form := url.Values{"csrf": {tok}}
			for k, v := range tc.form {
				form[k] = v
			}
			res := b.do("POST", tc.path, form)
			if res.code != tc.code || !strings.Contains(res.body, tc.want) {
				t.Fatalf("%d, want %d with %q:\n%s", res.code, tc.code, tc.want, res.body)
			}
			if got := desk.sent(); len(got) != 0 {
				t.Fatalf("sent %q", got)
			}
		})
	}
}

// A move repeats both rooms, then sends guest.move on the hotel link (or
// the gateway's folio.move without one) and shows the guest's new room;
// the check-out asks first.
func TestRoomMove(t *testing.T) {
	for _, tc := range []struct{ link, command string }{{"link1", "guest.move"}, {"", "folio.move"}} {
		t.Run(tc.command, func(t *testing.T) { roomMove(t, tc.link, tc.command) })
	}
}

func roomMove(t *testing.T, link, command string) {
	f, desk := newStayFixture(t, link)
	seedRooms(t, f)
	b := f.browser(t)
	_, tok := b.signIn("0001", "1234")
	card := b.do("GET", "/rooms/1203", nil)
	if !strings.Contains(card.body, `action="/rooms/1203/move/confirm"`) || !strings.Contains(card.body, `<option value="1302">`) {
		t.Fatalf("the card offers no move:\n%s", card.body)
	}
	confirm := b.do("POST", "/rooms/1203/move/confirm", url.Values{"csrf": {tok}, "to": {"1302"}})
	for _, want := range []string{`<strong id="confirm-room">1203</strong>`, `<strong id="confirm-to">1302</strong>`, `action="/rooms/1203/move"`,
		`name="to" value="1302"`} {
		if !strings.Contains(confirm.body, want) {
			t.Fatalf("the confirm step lacks %s:\n%s", want, confirm.body)
		}
	}
	if got := desk.sent(); len(got) != 0 {
		t.Fatalf("the confirm step sent %q", got)
	}
	page := b.follow(b.do("POST", "/rooms/1203/move", url.Values{"csrf": {tok}, "to": {"1302"}}))
	if !strings.Contains(page.body, command+" 1203 → 1302: done (completed)") || !strings.Contains(page.body, `<span id="room">1302</span>`) ||
		!strings.Contains(page.body, `&lt;script&gt;`) {
		t.Fatalf("after the move:\n%s", page.body)
	}
	if got := desk.sent(); len(got) != 1 || got[0] != command+" 1203 1302" {
		t.Fatalf("the desk got %q", got)
	}
	if s, _ := stays.Current(context.Background(), f.st, "1203"); s != nil {
		t.Fatalf("1203 still occupied: %+v", s)
	}
	out := b.do("POST", "/rooms/1302/checkout/confirm", url.Values{"csrf": {tok}})
	if out.code != http.StatusOK || !strings.Contains(out.body, `action="/rooms/1302/checkout"`) {
		t.Fatalf("check-out confirm: %d\n%s", out.code, out.body)
	}
}

// The class-of-service choices are the PBX profile's when the link's
// profile names some (the desk refuses the others), else every class.
func TestRoomCOSChoices(t *testing.T) {
	for _, tc := range []struct {
		name     string
		profile  []string // nil: no COSChoices
		offered  []string
		refused  string // a class the card refuses ("" none)
		accepted string
	}{
		{"no profile", nil, hotel.COSValues, "premium", "international"},
		{"profile without classes", []string{}, hotel.COSValues, "", "barred"},
		{"profile's", []string{"local", "barred", "international"}, []string{"barred", "local", "international"}, "national", "local"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, desk := newStayFixture(t, "link1")
			if tc.profile != nil {
				f.c.o.COSChoices = func() []string { return tc.profile }
			}
			b := f.browser(t)
			_, tok := b.signIn("0001", "1234")
			card := b.do("GET", "/rooms/1201", nil)
			for _, c := range hotel.COSValues {
				want := slices.Contains(tc.offered, c)
				if got := strings.Contains(card.body, `<option value="`+c+`"`); got != want {
					t.Errorf("class %s offered %v, want %v", c, got, want)
				}
			}
			if tc.refused != "" {
				res := b.do("POST", "/rooms/1201/cos", url.Values{"csrf": {tok}, "cos": {tc.refused}})
				if res.code != http.StatusUnprocessableEntity || !strings.Contains(res.body, "cos: want one of "+strings.Join(tc.offered, ", ")) {
					t.Fatalf("class %s: %d\n%s", tc.refused, res.code, res.body)
				}
			}
			page := b.follow(b.do("POST", "/rooms/1201/cos", url.Values{"csrf": {tok}, "cos": {tc.accepted}}))
			if !strings.Contains(page.body, "cos.set 1201 "+tc.accepted+": done") {
				t.Fatalf("class %s:\n%s", tc.accepted, page.body)
			}
			if got := desk.sent(); len(got) != 1 || got[0] != "cos.set 1201 "+tc.accepted {
				t.Fatalf("the desk got %q", got)
			}
		})
	}
}
