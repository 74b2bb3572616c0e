package console

// Check-in, check-out and room moves from the room's card, through the
// one stay path of the gateway (internal/hoteldesk/stays.go: admit and
// depart). The console picks the command from what the gateway has:
//
//   - a hotel link: its guest.checkin, guest.checkout and guest.move
//     (pbx/{link}/cmd/...), which carry the class of service and move the
//     wake-ups with the guest;
//   - no hotel link (no PBX link and no PMS): the back office's
//     folio.checkin, folio.checkout and folio.move (edge/{gateway}/cmd/...),
//     the same admit, depart and moveStay with no PBX to tell.
//
// The MQTT ACL keeps folio.* for the back office (internal/bus/acl.go,
// operatorMay); the console lets its switchboard operators send the two
// stay commands in-process (mayCommand) because, with a hotel link, they
// may already open and close stays through guest.checkin/checkout: the
// same authority over the same path, under their own code and shift.

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
)

// isStayCommand names the gateway's stay commands a switchboard operator
// may send from the console where no hotel link takes guest.checkin/out.
func isStayCommand(name string) bool {
	return name == "folio.checkin" || name == "folio.checkout" || name == "folio.move"
}

// stayRoute is where a room's stay commands go.
type stayRoute struct {
	Domain, Device string
	Link           bool // through the hotel link (guest.*), else the gateway (folio.*)
}

// stayRoute is the hotel link when there is one, else the gateway's edge
// device; ok is false with neither (a console without a gateway id).
func (c *Console) stayRoute() (stayRoute, bool) {
	switch {
	case c.o.HotelLink != "":
		return stayRoute{Domain: "pbx", Device: c.o.HotelLink, Link: true}, true
	case c.o.Gateway != "":
		return stayRoute{Domain: "edge", Device: c.o.Gateway}, true
	}
	return stayRoute{}, false
}

// cosChoices are the classes of service the card offers: the PBX
// profile's, in the commands' order, when the link's profile names some;
// else every class a command may name.
func (c *Console) cosChoices() []string {
	if c.o.COSChoices == nil {
		return hotel.COSValues
	}
	have := c.o.COSChoices()
	out := slices.DeleteFunc(slices.Clone(hotel.COSValues), func(v string) bool { return !slices.Contains(have, v) })
	if len(out) == 0 {
		return hotel.COSValues
	}
	return out
}

// roomStayRoutes adds the move's routes (check-in and check-out are in
// roomRoutes, rooms.go).
func (c *Console) roomStayRoutes(h func(handler) http.Handler) {
	c.mux.Handle("POST /rooms/{room}/move/confirm", h(c.roomMoveConfirm))
	c.mux.Handle("POST /rooms/{room}/move", h(c.roomMove))
}

// problem is a refusal shown on the card in the page's language: the
// message of key, then the details.
func (c *Console) problem(w http.ResponseWriter, r *http.Request, key string, args ...any) string {
	return fmt.Sprintf(translate(c.lang(w, r), key), args...)
}

// occupant is the room's open stay (nil: vacant).
func (c *Console) occupant(r *http.Request, room string) (*stays.Stay, error) {
	s, err := stays.Current(r.Context(), c.o.Host.Store(), room)
	if err != nil {
		return nil, fmt.Errorf("room %s: reading its stay: %w", room, err)
	}
	return s, nil
}

// roomCheckInConfirm repeats the check-in before anything is sent; an
// occupied room is refused here, before the operator confirms (the desk
// refuses it again if a guest arrived meanwhile).
func (c *Console) roomCheckInConfirm(w http.ResponseWriter, r *http.Request, s session) {
	d, problem := checkInForm(r)
	if problem != "" {
		c.roomCard(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Problem": problem, "In": d})
		return
	}
	if _, ok := c.knownRoom(r); !ok {
		c.roomCard(w, r, s, http.StatusNotFound, nil)
		return
	}
	cur, err := c.occupant(r, d.Room)
	if err != nil {
		c.o.Log.Error("check-in", "err", err)
		http.Error(w, "the room's stay cannot be read", http.StatusInternalServerError)
		return
	}
	if cur != nil {
		c.roomCard(w, r, s, http.StatusConflict, map[string]any{"Problem": c.problem(w, r, "room.p.occupied", d.Room, cur.CheckIn.In(c.o.Location).Format("2006-01-02 15:04"))})
		return
	}
	c.roomCard(w, r, s, http.StatusOK, map[string]any{"ConfirmIn": d})
}

// roomCheckIn sends the check-in on the stay route: the hotel link's
// guest.checkin, else the gateway's folio.checkin.
func (c *Console) roomCheckIn(w http.ResponseWriter, r *http.Request, s session) {
	d, problem := checkInForm(r)
	if _, ok := c.knownRoom(r); !ok {
		problem = "room: not a configured room"
	}
	if problem != "" {
		c.roomCard(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Problem": problem, "In": d})
		return
	}
	route, ok := c.stayRoute()
	if !ok {
		c.roomCard(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Problem": c.problem(w, r, "room.p.noroute")})
		return
	}
	if route.Link {
		c.sendRoom(w, r, s, route, d.Room, "guest.checkin", d, "guest.checkin "+d.Room)
		return
	}
	c.sendRoom(w, r, s, route, d.Room, "folio.checkin",
		events.CheckInData{Room: d.Room, Reservation: d.Reservation, Name: d.Name, Language: d.Language}, "folio.checkin "+d.Room)
}

// roomCheckOutConfirm asks before the check-out (it closes the stay and
// cancels the room's wake-ups); a vacant room is refused here.
func (c *Console) roomCheckOutConfirm(w http.ResponseWriter, r *http.Request, s session) {
	room, ok := c.knownRoom(r)
	if !ok {
		c.roomCard(w, r, s, http.StatusNotFound, nil)
		return
	}
	cur, err := c.occupant(r, room)
	if err != nil {
		c.o.Log.Error("check-out", "err", err)
		http.Error(w, "the room's stay cannot be read", http.StatusInternalServerError)
		return
	}
	if cur == nil {
		c.roomCard(w, r, s, http.StatusConflict, map[string]any{"Problem": c.problem(w, r, "room.p.vacant", room)})
		return
	}
	c.roomCard(w, r, s, http.StatusOK, map[string]any{"ConfirmOut": true})
}

// roomCheckOut sends the check-out on the stay route: guest.checkout on
// the hotel link, else folio.checkout on the gateway.
func (c *Console) roomCheckOut(w http.ResponseWriter, r *http.Request, s session) {
	room, ok := c.knownRoom(r)
	if !ok {
		c.roomCard(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Problem": "room: not a configured room"})
		return
	}
	route, ok := c.stayRoute()
	if !ok {
		c.roomCard(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Problem": c.problem(w, r, "room.p.noroute")})
		return
	}
	if route.Link {
		c.sendRoom(w, r, s, route, room, "guest.checkout", hotel.GuestCheckOutData{Room: room}, "guest.checkout "+room)
		return
	}
	c.sendRoom(w, r, s, route, room, "folio.checkout", events.CheckOutData{Room: room}, "folio.checkout "+room)
}

// moveForm reads the move's rooms and says what is wrong with them: the
// guest's room must be occupied, the new one a vacant guest room.
func (c *Console) moveForm(w http.ResponseWriter, r *http.Request) (d hotel.GuestMoveData, status int, problem string, err error) {
	d = hotel.GuestMoveData{From: r.PathValue("room"), To: strings.TrimSpace(r.PostFormValue("to"))}
	if _, ok := c.knownRoom(r); !ok {
		return d, http.StatusNotFound, "", nil
	}
	if _, ok := c.stayRoute(); !ok {
		return d, http.StatusUnprocessableEntity, c.problem(w, r, "room.p.nomove"), nil
	}
	if !roomPattern.MatchString(d.To) || !slices.Contains(c.o.Rooms, d.To) {
		return d, http.StatusUnprocessableEntity, c.problem(w, r, "room.p.to", d.To), nil
	}
	if d.To == d.From {
		return d, http.StatusUnprocessableEntity, c.problem(w, r, "room.p.same"), nil
	}
	from, err := c.occupant(r, d.From)
	if err != nil {
		return d, 0, "", err
	}
	if from == nil {
		return d, http.StatusConflict, c.problem(w, r, "room.p.vacant", d.From), nil
	}
	to, err := c.occupant(r, d.To)
	if err != nil {
		return d, 0, "", err
	}
	if to != nil {
		return d, http.StatusConflict, c.problem(w, r, "room.p.occupied", d.To, to.CheckIn.In(c.o.Location).Format("2006-01-02 15:04")), nil
	}
	return d, http.StatusOK, "", nil
}

// roomMoveConfirm repeats the move (from, to) before it is sent.
func (c *Console) roomMoveConfirm(w http.ResponseWriter, r *http.Request, s session) {
	d, status, problem, err := c.moveForm(w, r)
	switch {
	case err != nil:
		c.o.Log.Error("move", "err", err)
		http.Error(w, "the rooms' stays cannot be read", http.StatusInternalServerError)
	case status != http.StatusOK:
		c.roomCard(w, r, s, status, map[string]any{"Problem": problem, "MoveTo": d.To})
	default:
		c.roomCard(w, r, s, http.StatusOK, map[string]any{"ConfirmMove": d})
	}
}

// roomMove sends guest.move on the hotel link, or folio.move to the
// gateway without one: the stay, its wake-ups and the room's DND, lamp and
// class move to the new room (hoteldesk.moveStay).
func (c *Console) roomMove(w http.ResponseWriter, r *http.Request, s session) {
	d, status, problem, err := c.moveForm(w, r)
	switch {
	case err != nil:
		c.o.Log.Error("move", "err", err)
		http.Error(w, "the rooms' stays cannot be read", http.StatusInternalServerError)
	case status == http.StatusNotFound || status == http.StatusUnprocessableEntity:
		c.roomCard(w, r, s, status, map[string]any{"Problem": problem, "MoveTo": d.To})
	default:
		// An occupancy found wrong here may have changed since: the desk
		// decides, as for a check-in.
		route, _ := c.stayRoute()
		name := "guest.move"
		if !route.Link {
			name = "folio.move"
		}
		c.sendRoomTo(w, r, s, route, d.From, d.To, name, d, name+" "+d.From+" → "+d.To)
	}
}

// sendRoom sends a room's command on route as the operator and goes back
// to the room's card with the reply shown once.
func (c *Console) sendRoom(w http.ResponseWriter, r *http.Request, s session, route stayRoute, room, name string, data any, what string) {
	c.sendRoomTo(w, r, s, route, room, room, name, data, what)
}

// sendRoomTo is sendRoom going back to the card of room back (a move
// shows the guest's new room when it was done, else the old one).
func (c *Console) sendRoomTo(w http.ResponseWriter, r *http.Request, s session, route stayRoute, room, back, name string, data any, what string) {
	rep, err := c.command(r.Context(), &s, route.Domain, route.Device, name, data)
	status, reason := rep.Status, rep.Reason
	if err != nil {
		if errors.Is(err, errNotYours) {
			c.forbidden(w, r, s, "role")
			return
		}
		c.o.Log.Error("console command", "what", what, "err", err)
		status, reason = "failed", err.Error()
	}
	if status == "failed" {
		back = room
	}
	c.setFlash(w, flash{What: what, Status: status, Reason: reason})
	http.Redirect(w, r, "/rooms/"+back, http.StatusSeeOther)
}
