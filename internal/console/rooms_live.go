package console

// The room grid follows the live stream: live.js reads a room's cell again
// (GET /rooms/cells?room=1203, the grid's own template, so a cell after an
// event shows exactly what a reload would) when an event names the room,
// and the whole grid (GET /rooms/grid) after the stream comes back from a
// drop or when the grid is filtered (a room may enter or leave it).
//
// Which events name a room: the stays' (hotel.edge.folio.checked-in/out,
// hotel.pbx.guest.checked-in/out/moved), the wake-ups' (hotel.pbx.wakeup.*)
// and, for DND, the lamp and the class of service, which have no event of
// their own, the command's reply: hotel.command.completed of dnd.set,
// mwl.set, cos.set (and of the stay and wake-up commands) carries the room
// in its result. A reply goes only to the operator who sent the command
// (mayWatch), so every session that sees the rooms gets instead a
// console.room.changed naming the rooms alone (roomNotice): nothing of
// the command, its sender or its result but the room numbers.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// cellView is one grid cell for the room_cell template: the page's view
// (labels, clock) and the room.
type cellView struct {
	V view
	R roomView
}

// RoomCell pairs a room with the view for the room_cell template.
func (v view) RoomCell(rv roomView) cellView { return cellView{V: v, R: rv} }

// maxCells bounds the rooms one GET /rooms/cells reads (live.js gathers
// the rooms of the events of 50 ms; more than that reads the grid).
const maxCells = 64

// roomLiveRoutes adds the grid's fragments live.js reads.
func (c *Console) roomLiveRoutes(h func(handler) http.Handler) {
	c.mux.Handle("GET /rooms/cells", h(c.roomCells))
	c.mux.Handle("GET /rooms/grid", h(c.roomGrid))
}

// roomCells renders the cells of the rooms named (?room=1203&room=1301),
// configured rooms only, as a list of the grid's <li> items.
func (c *Console) roomCells(w http.ResponseWriter, r *http.Request, s session) {
	var rooms []string
	for _, room := range r.URL.Query()["room"] {
		if slices.Contains(c.o.Rooms, room) && !slices.Contains(rooms, room) {
			rooms = append(rooms, room)
		}
	}
	if len(rooms) > maxCells {
		http.Error(w, "too many rooms: at most 64 a request; read /rooms/grid", http.StatusBadRequest)
		return
	}
	var vs []roomView
	var err error
	if len(rooms) > 0 { // none: an empty list (nil reads every room)
		vs, err = c.roomViews(r, rooms)
	}
	if err != nil {
		c.o.Log.Error("room cells", "err", err)
		http.Error(w, "the rooms cannot be read", http.StatusInternalServerError)
		return
	}
	v := view{Lang: c.lang(w, r), Session: &s, CSRF: s.csrf, loc: c.o.Location, Path: "/rooms"}
	var b bytes.Buffer
	b.WriteString(`<ul id="cells">`)
	for _, rv := range vs {
		if err := c.pages["rooms"].ExecuteTemplate(&b, "room_cell", v.RoomCell(rv)); err != nil {
			c.o.Log.Error("room cell not rendered", "room", rv.Room, "err", err)
			http.Error(w, "the rooms could not be shown", http.StatusInternalServerError)
			return
		}
	}
	b.WriteString(`</ul>`)
	writeFragment(w, b.Bytes())
}

// roomGrid renders the grid alone for the request's filter.
func (c *Console) roomGrid(w http.ResponseWriter, r *http.Request, s session) {
	data, err := c.roomsData(r)
	if err != nil {
		c.o.Log.Error("room grid", "err", err)
		http.Error(w, "the rooms cannot be read", http.StatusInternalServerError)
		return
	}
	c.fragment(w, r, s, "rooms", "rooms_grid", "/rooms", data)
}

// fragment renders one block of a page (what live.js swaps in), with the
// page's view, so an event shows exactly what a reload would.
func (c *Console) fragment(w http.ResponseWriter, r *http.Request, s session, page, block, path string, data map[string]any) {
	v := view{Lang: c.lang(w, r), Session: &s, CSRF: s.csrf, Data: data, loc: c.o.Location, Path: path}
	var b bytes.Buffer
	if err := c.pages[page].ExecuteTemplate(&b, block, v); err != nil {
		c.o.Log.Error("fragment not rendered", "page", page, "block", block, "err", err)
		http.Error(w, "this part of the page could not be shown", http.StatusInternalServerError)
		return
	}
	writeFragment(w, b.Bytes())
}

// writeFragment sends a rendered fragment, never cached.
func writeFragment(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// roomChanged is the type of the notice roomNotice derives.
const roomChanged = "console.room.changed"

// roomNotice is, for a session that sees the rooms, the rooms a command's
// final reply changed (its result's room, or from and to of a move) as a
// console.room.changed notice; ok is false for anything else. The notice
// keeps the reply's seq, so a page that reconnects resumes after it.
func roomNotice(s session, m liveMessage) (liveMessage, bool) {
	if !s.Rooms() || (m.Type != "hotel.command.completed" && m.Type != "hotel.command.failed") {
		return liveMessage{}, false
	}
	var rep struct {
		Result struct {
			Room string `json:"room"`
			From string `json:"from"`
			To   string `json:"to"`
		} `json:"result"`
	}
	if json.Unmarshal(m.Data, &rep) != nil {
		return liveMessage{}, false
	}
	var rooms []string
	for _, room := range []string{rep.Result.Room, rep.Result.From, rep.Result.To} {
		if roomPattern.MatchString(room) && !slices.Contains(rooms, room) {
			rooms = append(rooms, room)
		}
	}
	if len(rooms) == 0 {
		return liveMessage{}, false
	}
	data, err := json.Marshal(map[string][]string{"rooms": rooms})
	if err != nil {
		return liveMessage{}, false
	}
	return liveMessage{Seq: m.Seq, Type: roomChanged, Data: data}, true
}

// watchesStays says whether typ is a stay event the switchboard follows:
// the gateway's own (hotel.edge.folio.checked-in/out), which a check-in
// without a hotel link causes.
func watchesStays(typ string) bool { return strings.HasPrefix(typ, "hotel.edge.folio.") }
