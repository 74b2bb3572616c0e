package console

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/internal/operators"
)

// A command's final reply that names rooms becomes a room notice with the
// rooms alone, for the roles that see the rooms.
func TestRoomNotice(t *testing.T) {
	op := session{code: "0001", role: operators.RoleOperator}
	for _, tc := range []struct {
		name string
		s    session
		typ  string
		data string
		want string // the notice's data; "" none
	}{
		{"dnd.set", op, "hotel.command.completed", `{"command":"dnd.set","status":"completed","result":{"room":"1203","dnd":false}}`, `{"rooms":["1203"]}`},
		{"move", op, "hotel.command.completed", `{"command":"guest.move","result":{"from":"1203","to":"1302","stay_id":4}}`, `{"rooms":["1203","1302"]}`},
		{"failed with a room", op, "hotel.command.failed", `{"command":"cos.set","result":{"room":"1201"}}`, `{"rooms":["1201"]}`},
		{"accepted", op, "hotel.command.accepted", `{"command":"dnd.set","result":{"room":"1203"}}`, ""},
		{"no room", op, "hotel.command.completed", `{"command":"fax.send","result":{"job_id":3}}`, ""},
		{"a room that is not a room", op, "hotel.command.completed", `{"result":{"room":"<b>1203</b>"}}`, ""},
		{"a result that is not an object", op, "hotel.command.completed", `{"result":"done"}`, ""},
		{"not a reply", op, "hotel.pbx.call.charged", `{"room":"1203"}`, ""},
		{"business centre", session{code: "0002", role: operators.RoleBusiness}, "hotel.command.completed", `{"result":{"room":"1203"}}`, ""},
		{"supervisor", session{code: "0003", role: operators.RoleSupervisor}, "hotel.command.completed", `{"result":{"room":"1203"}}`, `{"rooms":["1203"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, ok := roomNotice(tc.s, liveMessage{Seq: 7, Type: tc.typ, Principal: "0009", Data: []byte(tc.data)})
			if ok != (tc.want != "") {
				t.Fatalf("notice %v, want %q", ok, tc.want)
			}
			if ok && (n.Type != roomChanged || string(n.Data) != tc.want || n.Seq != 7 || n.Principal != "") {
				t.Fatalf("notice %+v (data %s), want %s", n, n.Data, tc.want)
			}
		})
	}
}

// The grid's fragments: the cells of the rooms named (configured ones
// only), and the grid for a filter; the business centre gets neither.
func TestRoomFragments(t *testing.T) {
	f, _ := newStayFixture(t, "link1")
	seedRooms(t, f)
	b := f.browser(t)
	b.signIn("0001", "1234")
	for _, tc := range []struct {
		path      string
		code      int
		want, not []string
	}{
		{"/rooms/cells?room=1203&room=1301&room=9999&room=1203", http.StatusOK,
			[]string{`<li id="cell-1203">`, `<span class="badge dnd">DND</span>`, `<li id="cell-1301">`, `aria-label="Room 1301, vacant, message lamp on"`,
				"&lt;script&gt;alert(1)&lt;/script&gt;"},
			[]string{"cell-9999", "cell-1201", evilName}},
		{"/rooms/cells", http.StatusOK, []string{`<ul id="cells"></ul>`}, []string{"<li"}},
		{"/rooms/grid?dnd=1", http.StatusOK, []string{`id="rooms-grid"`, `data-filtered="1"`, `data-query="dnd=1"`, `id="cell-1203"`, "1 / 5"},
			[]string{"cell-1301", "<html"}},
		{"/rooms/grid", http.StatusOK, []string{`data-query=""`, `id="cell-1201"`, `id="cell-1302"`}, []string{"data-filtered"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res := b.do("GET", tc.path, nil)
			if res.code != tc.code {
				t.Fatalf("%d, want %d\n%s", res.code, tc.code, res.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.body, w) {
					t.Errorf("lacks %s:\n%s", w, res.body)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(res.body, w) {
					t.Errorf("has %s:\n%s", w, res.body)
				}
			}
		})
	}
	many := url.Values{}
	f.c.o.Rooms = nil
	for i := range maxCells + 1 {
		room := fmt.Sprint(2000 + i)
		f.c.o.Rooms = append(f.c.o.Rooms, room)
		many.Add("room", room)
	}
	if res := b.do("GET", "/rooms/cells?"+many.Encode(), nil); res.code != http.StatusBadRequest {
		t.Errorf("%d rooms at once: %d, want 400", maxCells+1, res.code)
	}
	nobody := f.browser(t)
	for _, p := range []string{"/rooms/cells?room=1203", "/rooms/grid"} {
		if res := nobody.do("GET", p, nil); res.code != http.StatusSeeOther || res.header.Get("Location") != "/signin" {
			t.Errorf("no session %s: %d to %q, want the sign-in page", p, res.code, res.header.Get("Location"))
		}
	}
	if res := nobody.do("POST", "/rooms/1203/move", url.Values{"to": {"1301"}}); res.code != http.StatusSeeOther {
		t.Errorf("no session, a move: %d", res.code)
	}
	clerk := f.browser(t)
	clerk.signIn("0002", "1234")
	for _, p := range []string{"/rooms/cells?room=1203", "/rooms/grid"} {
		if res := clerk.do("GET", p, nil); res.code != http.StatusForbidden {
			t.Errorf("business centre %s: %d, want 403", p, res.code)
		}
	}
}

// A DND set by someone else reaches an operator's stream as a room notice
// (not as the other's reply), and the cell read then shows the change; a
// check-in recorded at the gateway reaches the operator's stream too.
func TestRoomLiveEventChangesCell(t *testing.T) {
	f, _ := newStayFixture(t, "link1")
	seedRooms(t, f)
	srv := httptest.NewServer(f.c)
	t.Cleanup(srv.Close)
	op := f.browser(t)
	op.signIn("0001", "1234")
	stream, _ := op.openStream(srv, "")
	time.Sleep(50 * time.Millisecond) // subscribed
	before := op.do("GET", "/rooms/cells?room=1203", nil)
	if !strings.Contains(before.body, `<span class="badge dnd">DND</span>`) {
		t.Fatalf("1203 has no DND before:\n%s", before.body)
	}

	sup := f.browser(t)
	_, tok := sup.signIn("0003", "1234")
	sup.follow(sup.do("POST", "/rooms/1203/dnd", url.Values{"csrf": {tok}, "on": {"false"}}))
	m := stream.next(t, time.Second)
	if m.event != roomChanged || m.data != `{"rooms":["1203"]}` || m.id == "" {
		t.Fatalf("the operator's stream got %+v, want a room notice for 1203 with an id", m)
	}
	after := op.do("GET", "/rooms/cells?room=1203", nil)
	if strings.Contains(after.body, "badge dnd") || !strings.Contains(after.body, `aria-label="Room 1203, occupied, class of service local, next wake-up 06:30"`) {
		t.Fatalf("1203's cell after the DND event:\n%s", after.body)
	}

	enqueue(t, f.st, "hotel.edge.folio.checked-in", "stay-9", map[string]any{"room": "1201", "stay_id": 9, "checked_in": "2026-12-04T22:00:00+08:00"})
	if m := stream.next(t, time.Second); m.event != "hotel.edge.folio.checked-in" || !strings.Contains(m.data, `"room":"1201"`) {
		t.Fatalf("the operator's stream got %+v, want the stay event", m)
	}
	stream.quiet(t, 200*time.Millisecond)
}
