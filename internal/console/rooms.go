package console

// The rooms page (總機: the switchboard's view of the rooms): a grid of the
// configured guest rooms with their stay, do-not-disturb, message lamp,
// class of service and next wake-up, and a card per room to switch DND
// and the lamp, set the class of service, and check a guest in or out.
// Every act is a desk command through the router as the operator: the
// hotel link's dnd.set, mwl.set and cos.set; check-in, check-out and
// moves through the gateway's one stay path, on the hotel link when there
// is one, else on the gateway (rooms_stay.go). The grid follows the live
// stream (rooms_live.go).

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
	"switchboard/internal/hoteldesk"
	"switchboard/internal/operators"
)

// roomRoutes adds the rooms page's routes: the switchboard's work, not the
// business centre's.
func (c *Console) roomRoutes(roles []operators.Role) {
	c.mux.Handle("GET /rooms", c.page(roles, c.roomsPage))
	c.mux.Handle("GET /rooms/{room}", c.page(roles, c.roomPage))
	c.mux.Handle("POST /rooms/{room}/dnd", c.page(roles, c.roomSwitch("dnd.set")))
	c.mux.Handle("POST /rooms/{room}/mwl", c.page(roles, c.roomSwitch("mwl.set")))
	c.mux.Handle("POST /rooms/{room}/cos", c.page(roles, c.roomCOS))
	c.mux.Handle("POST /rooms/{room}/checkin/confirm", c.page(roles, c.roomCheckInConfirm))
	c.mux.Handle("POST /rooms/{room}/checkin", c.page(roles, c.roomCheckIn))
	c.mux.Handle("POST /rooms/{room}/checkout/confirm", c.page(roles, c.roomCheckOutConfirm))
	c.mux.Handle("POST /rooms/{room}/checkout", c.page(roles, c.roomCheckOut))
	c.roomStayRoutes(func(h handler) http.Handler { return c.page(roles, h) }) // rooms_stay.go
	c.roomLiveRoutes(func(h handler) http.Handler { return c.page(roles, h) }) // rooms_live.go
}

// Rooms: the room grid is the switchboard's.
func (s *session) Rooms() bool { return s.role != operators.RoleBusiness }

// roomView is one room as the grid and the card show it.
type roomView struct {
	Room       string
	Occupied   bool
	Guest      string // "" when vacant; kept in the gateway only
	Stay       *stays.Stay
	NextWakeup time.Time // zero: none
	hoteldesk.RoomSettings
}

// floor is one row of the grid.
type floor struct {
	Name  string // "12"; "" when the room numbers do not say
	Rooms []roomView
}

// roomFilter is the grid's filter: occupied rooms only, DND on, lamp on.
type roomFilter struct{ Occupied, DND, MWL bool }

// query is the filter as the grid's URL query ("" for every room).
func (f roomFilter) query() string {
	q := url.Values{}
	for k, on := range map[string]bool{"occupied": f.Occupied, "dnd": f.DND, "lamp": f.MWL} {
		if on {
			q.Set(k, "1")
		}
	}
	return q.Encode()
}

func (f roomFilter) keep(v roomView) bool {
	return (!f.Occupied || v.Occupied) && (!f.DND || v.DND) && (!f.MWL || v.MWL)
}

// roomViews reads the rooms' state: the stays, the recorded settings and
// the wake-ups still to ring, for the rooms named (every configured room
// when rooms is nil).
func (c *Console) roomViews(r *http.Request, rooms []string) ([]roomView, error) {
	ctx := r.Context()
	st := c.o.Host.Store()
	open, err := stays.Occupied(ctx, st)
	if err != nil {
		return nil, err
	}
	settings, err := hoteldesk.ReadRoomSettings(ctx, st)
	if err != nil {
		return nil, err
	}
	pending, err := c.wake.Pending(ctx, st, c.now())
	if err != nil {
		return nil, err
	}
	byRoom := map[string]*stays.Stay{}
	for i := range open {
		byRoom[open[i].Room] = &open[i]
	}
	next := map[string]time.Time{}
	for _, w := range pending { // in PBX-time order: the first is the next
		if _, ok := next[string(w.Room)]; !ok {
			next[string(w.Room)] = w.PBXAt
		}
	}
	if rooms == nil {
		rooms = c.o.Rooms
	}
	out := make([]roomView, 0, len(rooms))
	for _, room := range rooms {
		v := roomView{Room: room, RoomSettings: settings[room], NextWakeup: next[room]}
		if s := byRoom[room]; s != nil {
			v.Occupied, v.Guest, v.Stay = true, s.Guest, s
		}
		out = append(out, v)
	}
	return out, nil
}

// floors groups rooms by floor when every room number is digits with a
// floor in front of two digits (1203: floor 12), else one unnamed row.
func floors(rooms []roomView) []floor {
	var out []floor
	for _, v := range rooms {
		if len(v.Room) < 3 || strings.ContainsFunc(v.Room, func(r rune) bool { return r < '0' || r > '9' }) {
			return []floor{{Rooms: rooms}}
		}
		name := v.Room[:len(v.Room)-2]
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, floor{Name: name})
		}
		out[len(out)-1].Rooms = append(out[len(out)-1].Rooms, v)
	}
	return out
}

// roomsPage is the grid.
func (c *Console) roomsPage(w http.ResponseWriter, r *http.Request, s session) {
	data, err := c.roomsData(r)
	if err != nil {
		c.o.Log.Error("rooms", "err", err)
		http.Error(w, "the rooms cannot be read", http.StatusInternalServerError)
		return
	}
	c.takeFlash(w, r, data)
	c.render(w, r, http.StatusOK, "rooms", &s, data)
}

// roomsData is the grid's data for the request's filter (the page and
// the grid live.js reads again share it).
func (c *Console) roomsData(r *http.Request) (map[string]any, error) {
	q := r.URL.Query()
	f := roomFilter{Occupied: q.Get("occupied") != "", DND: q.Get("dnd") != "", MWL: q.Get("lamp") != ""}
	all, err := c.roomViews(r, nil)
	if err != nil {
		return nil, err
	}
	shown := slices.DeleteFunc(all, func(v roomView) bool { return !f.keep(v) })
	_, stayOK := c.stayRoute()
	return map[string]any{"Floors": floors(shown), "Filter": f, "Count": len(shown), "Configured": len(c.o.Rooms),
		"HotelLink": c.o.HotelLink, "Stays": stayOK, "Query": f.query(), "Filtered": f != roomFilter{}}, nil
}

// knownRoom is the path's room when the config has it.
func (c *Console) knownRoom(r *http.Request) (string, bool) {
	room := r.PathValue("room")
	return room, roomPattern.MatchString(room) && slices.Contains(c.o.Rooms, room)
}

// roomPage is one room's card with its actions.
func (c *Console) roomPage(w http.ResponseWriter, r *http.Request, s session) {
	c.roomCard(w, r, s, http.StatusOK, nil)
}

func (c *Console) roomCard(w http.ResponseWriter, r *http.Request, s session, status int, extra map[string]any) {
	room, ok := c.knownRoom(r)
	if !ok {
		c.render(w, r, http.StatusNotFound, "room", &s, map[string]any{"Unknown": true, "Room": room})
		return
	}
	vs, err := c.roomViews(r, []string{room})
	if err != nil {
		c.o.Log.Error("room", "room", room, "err", err)
		http.Error(w, "the room cannot be read", http.StatusInternalServerError)
		return
	}
	route, stayOK := c.stayRoute()
	data := map[string]any{"R": vs[0], "COSValues": c.cosChoices(), "HotelLink": c.o.HotelLink, "Stays": stayOK, "Route": route,
		"Rooms": c.o.Rooms}
	for k, v := range extra {
		data[k] = v
	}
	c.takeFlash(w, r, data)
	c.render(w, r, status, "room", &s, data)
}

// roomSwitch sets DND (dnd.set) or the lamp (mwl.set) to the form's "on":
// the state the operator saw the button offer, so that two operators
// pressing at once do not switch it back and forth.
func (c *Console) roomSwitch(name string) handler {
	return func(w http.ResponseWriter, r *http.Request, s session) {
		room, ok := c.knownRoom(r)
		on := r.PostFormValue("on")
		if !ok || (on != "true" && on != "false") {
			c.roomCard(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Problem": "room or on: want a configured room and true or false"})
			return
		}
		b := on == "true"
		c.roomCommand(w, r, s, room, name, hotel.SwitchData{Room: room, On: &b}, name+" "+room+" "+on)
	}
}

// roomCOS sets the class of service (the profile maps the classes it
// knows; the desk refuses one it does not, with its reason).
func (c *Console) roomCOS(w http.ResponseWriter, r *http.Request, s session) {
	room, ok := c.knownRoom(r)
	cos := r.PostFormValue("cos")
	if choices := c.cosChoices(); !ok || !slices.Contains(choices, cos) {
		c.roomCard(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Problem": "cos: want one of " + strings.Join(choices, ", ")})
		return
	}
	c.roomCommand(w, r, s, room, "cos.set", hotel.COSData{Room: room, COS: cos}, "cos.set "+room+" "+cos)
}

// Bounds of the check-in form (the schemas' maxLength: a name 100).
var (
	languagePattern = regexp.MustCompile(`^[A-Za-z]{0,3}(-[A-Za-z]{2,4})?$`)
	maxGuestName    = 100
	maxReservation  = 40
)

// plainText says whether v is at most max characters of printable text
// (no control characters: the name goes to the PBX's display).
func plainText(v string, max int) bool {
	return utf8.ValidString(v) && utf8.RuneCountInString(v) <= max && !strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) || r == '|' })
}

// checkInForm reads and checks the check-in form; problem is for the page.
func checkInForm(r *http.Request) (d hotel.GuestCheckInData, problem string) {
	d = hotel.GuestCheckInData{Room: r.PathValue("room"), Name: strings.TrimSpace(r.PostFormValue("name")),
		Reservation: strings.TrimSpace(r.PostFormValue("reservation")), Language: strings.TrimSpace(r.PostFormValue("language"))}
	switch {
	case d.Name == "" || !plainText(d.Name, maxGuestName):
		return d, "name: want the guest's name (at most 100 characters)"
	case !plainText(d.Reservation, maxReservation):
		return d, "reservation: at most 40 characters"
	case !languagePattern.MatchString(d.Language):
		return d, "language: want a language code such as en or zh-TW"
	}
	return d, ""
}

// roomCommand sends a hotel-link command for room as the operator and
// redirects back to the room's card with the reply as a flash message.
func (c *Console) roomCommand(w http.ResponseWriter, r *http.Request, s session, room, name string, data any, what string) {
	if c.o.HotelLink == "" {
		c.roomCard(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Problem": c.problem(w, r, "room.p.nolink")})
		return
	}
	c.sendRoom(w, r, s, stayRoute{Domain: "pbx", Device: c.o.HotelLink, Link: true}, room, name, data, what)
}

// flash is a command's outcome shown once on the page the browser is sent
// back to: kept in a short-lived cookie of the room pages (HttpOnly,
// SameSite=Strict like the session's), shown as text.
type flash struct {
	What   string `json:"w"`
	Status string `json:"s"`
	Reason string `json:"r,omitempty"`
}

const flashCookie = "sb_flash"

// maxFlashReason keeps the cookie well under a browser's 4 KiB.
const maxFlashReason = 600

func (c *Console) setFlash(w http.ResponseWriter, f flash) { c.setFlashAt(w, f, "/rooms") }

// setFlashAt keeps the outcome for the pages under path.
func (c *Console) setFlashAt(w http.ResponseWriter, f flash, path string) {
	if len(f.Reason) > maxFlashReason {
		f.Reason = strings.ToValidUTF8(f.Reason[:maxFlashReason], "") + "…"
	}
	b, _ := json.Marshal(f)
	ck := c.cookie(flashCookie, base64.RawURLEncoding.EncodeToString(b), 60)
	ck.Path = path
	http.SetCookie(w, ck)
}

// takeFlash puts the pending outcome, if any, into data and clears it.
func (c *Console) takeFlash(w http.ResponseWriter, r *http.Request, data map[string]any) {
	c.takeFlashAt(w, r, data, "/rooms")
}

// takeFlashAt is takeFlash for the pages under path.
func (c *Console) takeFlashAt(w http.ResponseWriter, r *http.Request, data map[string]any, path string) {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return
	}
	clear := c.cookie(flashCookie, "", -1)
	clear.Path = path
	http.SetCookie(w, clear)
	var f flash
	if b, err := base64.RawURLEncoding.DecodeString(ck.Value); err == nil && json.Unmarshal(b, &f) == nil && f.What != "" {
		data["Flash"] = f
	}
}

// RoomLabel is a room's name for a screen reader: "Room 1203, occupied,
// DND on, message lamp on, class local, wake-up 06:30".
func (v view) RoomLabel(rv roomView) string {
	parts := []string{v.T("rooms.room") + " " + rv.Room}
	if rv.Occupied {
		parts = append(parts, v.T("rooms.occupied"))
	} else {
		parts = append(parts, v.T("rooms.vacant"))
	}
	if rv.DND {
		parts = append(parts, v.T("rooms.dnd.on"))
	}
	if rv.MWL {
		parts = append(parts, v.T("rooms.lamp.on"))
	}
	if rv.COS != "" {
		parts = append(parts, v.T("rooms.cos")+" "+rv.COS)
	}
	if !rv.NextWakeup.IsZero() {
		parts = append(parts, v.T("rooms.wakeup")+" "+v.Clock(rv.NextWakeup))
	}
	return strings.Join(parts, v.T("rooms.sep"))
}
