package folio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/folio/ledger"
	"switchboard/internal/folio/stays"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// Resolving a flagged call: the seed's operators report an escaped or
// missed charge (跑帳、漏帳) to the supervisor (領班) at once (話務員崗位職責
// f), and the bills go to the night audit (結帳程序 10). call.resolve is how
// a supervisor or the back office settles it, once per call, with who,
// when and why.

// ResolveCommand is the command that settles a flagged call
// (edge/{gateway}/cmd/call.resolve).
const ResolveCommand = "call.resolve"

// ResolvedType is the event of a flagged call settled.
const ResolvedType = "hotel.pbx.call.resolved"

// ChargedType is the event of a call posted to a guest's folio.
const ChargedType = "hotel.pbx.call.charged"

// What a resolution does.
const (
	// ActionPost posts the call to a room's stay (a late call of the guest
	// who just left; a "vacant" room that was in fact occupied). A call
	// posted already is confirmed where it is, never posted again.
	ActionPost = "post"
	// ActionWriteOff: the hotel absorbs it; no room is charged. A call
	// posted already gets its charge credited (hotel.pbx.call.adjusted).
	ActionWriteOff = "write-off"
	// ActionRerate rates it again now (the current tariff) or takes the
	// amount given by hand, and posts it.
	ActionRerate = "rerate"
)

// ResolveActions are the actions call.resolve takes.
var ResolveActions = []string{ActionPost, ActionWriteOff, ActionRerate}

// Limits of call.resolve's fields (schemas/hotel.edge.cmd.call.resolve.json).
const (
	maxCallKey = 200
	maxReason  = 500
	maxRoom    = 16
)

// ResolveData is the data of call.resolve.
type ResolveData struct {
	Call   string `json:"call"` // the call's idemkey, as on its events
	Action string `json:"action"`
	Reason string `json:"reason"`
	Room   string `json:"room,omitempty"`    // post: required; rerate: default the call's room
	StayID int64  `json:"stay_id,omitempty"` // post, rerate: default the room's stay at the call, else its last one if it ended within AfterCheckOutWindow
	Amount string `json:"amount,omitempty"`  // rerate: the amount given by hand ("12.50")
}

// Resolved is the data of hotel.pbx.call.resolved.
type Resolved struct {
	Call          string       `json:"call"`
	Device        string       `json:"device"`
	JournalID     int64        `json:"journal_id"`
	Extension     string       `json:"extension"`
	Start         time.Time    `json:"start"`
	Flags         []string     `json:"flags"`
	NotPosted     string       `json:"not_posted,omitempty"` // why it was not posted before
	Action        string       `json:"action"`
	Reason        string       `json:"reason"`
	Room          string       `json:"room,omitempty"`
	StayID        int64        `json:"stay_id,omitempty"`
	Reservation   string       `json:"reservation,omitempty"`
	Amount        rating.Money `json:"amount"`
	AmountMinor   int64        `json:"amount_minor"`
	Currency      string       `json:"currency,omitempty"`
	Manual        bool         `json:"manual_amount,omitempty"`
	TariffVersion string       `json:"tariff_version,omitempty"`
	ChargeSeq     int64        `json:"charge_seq,omitempty"` // its call.charged (post, rerate) or call.adjusted (a posted call written off)
	By            string       `json:"by"`
	Role          string       `json:"role,omitempty"`
	CommandID     string       `json:"command_id"`
}

// ResolveResult is call.resolve's result.
type ResolveResult struct {
	Call        string       `json:"call"`
	Action      string       `json:"action"`
	Room        string       `json:"room,omitempty"`
	StayID      int64        `json:"stay_id,omitempty"`
	Amount      rating.Money `json:"amount"`
	AmountMinor int64        `json:"amount_minor"`
	Currency    string       `json:"currency,omitempty"`
	EventSeq    int64        `json:"event_seq"`
	ChargeSeq   int64        `json:"charge_seq,omitempty"`
	Note        string       `json:"note,omitempty"`
}

// Commands registers the desk's commands: call.resolve.
func (d *Desk) Commands() { d.host.Handle("edge", ResolveCommand, resolveHandler{d}) }

type resolveHandler struct{ d *Desk }

func (h resolveHandler) Validate(c *bus.Command) error {
	if c.By != nil && c.By.Role != bus.RoleBackoffice {
		// Settling a charge is the supervisors' and the night audit's, not
		// the desk's: the console sends them as the back office, and the
		// bus ACL keeps operators to the front-office commands (an external
		// broker's ACL decides for its clients: By is nil).
		return fmt.Errorf("call.resolve is for supervisors, admins and the back office, not the %s role", c.By.Role)
	}
	var dt ResolveData
	if err := bus.DecodeData(c, &dt); err != nil {
		return err
	}
	_, err := h.d.checkResolve(ledger.StoreReader(context.Background(), h.d.host.Store()), dt)
	return err
}

func (h resolveHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	var dt ResolveData
	if err := bus.DecodeData(c, &dt); err != nil {
		return nil, err
	}
	by, role := c.Client, ""
	if a, ok := events.ActorFrom(ctx); ok {
		by, role = a.Principal, a.Role
	} else if c.By != nil {
		by, role = c.By.Username, string(c.By.Role)
	}
	if by == "" {
		by = "unknown" // no principal, no reply topic: the command log keeps the topic
	}
	var res ResolveResult
	err := h.d.host.InTx(ctx, func(tx *store.Tx) error {
		// Checked again in the transaction: another resolution or a
		// re-rating may have changed the call since Validate.
		call, err := h.d.checkResolve(tx, dt)
		if err != nil {
			return err
		}
		res, err = h.d.resolve(tx, c.ID, by, role, dt, call)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkResolve checks a resolution against the call as r reads it.
func (d *Desk) checkResolve(r ledger.Reader, dt ResolveData) (ledger.Stored, error) {
	var call ledger.Stored
	if err := desk.Text("data.call", dt.Call, maxCallKey, true); err != nil {
		return call, err
	}
	if dt.Action == "" {
		return call, &bus.FieldError{Field: "data.action", Problem: "required: one of post, write-off, rerate"}
	}
	if _, err := desk.OneOf("data.action", dt.Action, "", ResolveActions); err != nil {
		return call, err
	}
	if err := desk.Text("data.reason", dt.Reason, maxReason, true); err != nil {
		return call, err
	}
	if err := desk.Text("data.room", dt.Room, maxRoom, false); err != nil {
		return call, err
	}
	switch {
	case dt.Action == ActionWriteOff && (dt.Room != "" || dt.StayID != 0):
		return call, &bus.FieldError{Field: "data.room", Problem: "a write-off posts to no room: leave room and stay_id out"}
	case dt.Action == ActionPost && dt.Room == "":
		return call, &bus.FieldError{Field: "data.room", Problem: "required: the room to post the call to"}
	case dt.Amount != "" && dt.Action != ActionRerate:
		return call, &bus.FieldError{Field: "data.amount", Problem: "an amount is given only with action rerate"}
	case dt.StayID < 0:
		return call, &bus.FieldError{Field: "data.stay_id", Problem: "not a stay id"}
	}
	if dt.Amount != "" {
		m, err := rating.ParseMoney(dt.Amount)
		if err != nil || m <= 0 {
			return call, &bus.FieldError{Field: "data.amount", Problem: fmt.Sprintf("%q: want an amount above 0 such as 12.50", dt.Amount)}
		}
	}
	call, err := ledger.Get(r, dt.Call)
	if errors.Is(err, ledger.ErrNoCall) {
		return call, &bus.FieldError{Field: "data.call", Problem: fmt.Sprintf("no call %q in the ledger (a call's id is the idemkey of its events)", dt.Call)}
	}
	if err != nil {
		return call, err
	}
	if len(call.Flags) == 0 {
		return call, &bus.FieldError{Field: "data.call", Problem: fmt.Sprintf("call %s is not flagged: there is nothing to resolve", dt.Call)}
	}
	first, resolved, err := ledger.ResolutionOf(r, dt.Call)
	if err != nil {
		return call, err
	}
	if resolved {
		return call, AlreadyResolved(first)
	}
	room := dt.Room
	if room == "" {
		room = call.Room
	}
	switch {
	case dt.Action == ActionPost && call.Posted && room != call.Room:
		return call, fmt.Errorf("call %s is posted already to room %s (charge seq %d): it is never posted twice; to take it off room %s, resolve it with write-off",
			dt.Call, call.Room, call.ChargedSeq, call.Room)
	case dt.Action == ActionPost && !call.Posted && call.AmountMinor <= 0 && slices.Contains(call.Flags, FlagUnrateable):
		return call, fmt.Errorf("call %s has no price (it could not be rated): resolve it with rerate (now, or with an amount)", dt.Call)
	case dt.Action == ActionPost && !call.Posted && call.AmountMinor <= 0:
		return call, fmt.Errorf("call %s costs nothing: there is nothing to post; resolve it with write-off", dt.Call)
	case dt.Action == ActionRerate && call.Posted:
		return call, fmt.Errorf("call %s is posted already (charge seq %d): `switchboard rerate` corrects a posted call's price", dt.Call, call.ChargedSeq)
	case dt.Action == ActionRerate && room == "":
		return call, &bus.FieldError{Field: "data.room", Problem: fmt.Sprintf("required: extension %s is in no room; name the room to post the call to", call.Extension)}
	}
	if dt.Action != ActionWriteOff && !slices.Contains(d.billing().Dir.GuestRooms(), room) {
		return call, &bus.FieldError{Field: "data.room", Problem: fmt.Sprintf("room %q is not a guest room of the room map (config rooms)", room)}
	}
	return call, nil
}

// FlagUnrateable is the flag of a call the tariff could not rate.
const FlagUnrateable = "unrateable"

// ClassUnrated is the class of a call the tariff could not rate, posted
// with an amount given by hand (call.resolve rerate).
const ClassUnrated rating.Class = "unrated"

// AlreadyResolved is the refusal of a second resolution: it names the first.
func AlreadyResolved(first ledger.Resolution) error {
	how := first.Action
	if first.Room != "" {
		how += " to room " + first.Room
	}
	return fmt.Errorf("call %s was resolved already: %s by %s at %s (command %s, reason %q); a call is resolved once",
		first.Call, how, first.Principal, first.Resolved.Format(time.RFC3339), first.CommandID, first.Reason)
}

// resolve applies a checked resolution in tx: the charge or credit, the
// ledger row, the resolution and its event, all in one transaction.
func (d *Desk) resolve(tx *store.Tx, cmdID, by, role string, dt ResolveData, call ledger.Stored) (ResolveResult, error) {
	b := d.billing()
	loc := d.host.Location()
	now := d.host.Now()
	res := ResolveResult{Call: call.IdemKey, Action: dt.Action}
	ev := Resolved{Call: call.IdemKey, Device: call.Device, JournalID: call.JournalID, Extension: call.Extension, Start: call.Start.In(loc),
		Flags: call.Flags, NotPosted: call.NotPosted, Action: dt.Action, Reason: dt.Reason, Currency: call.Currency, TariffVersion: call.TariffVersion,
		By: by, Role: role, CommandID: cmdID}
	price, err := rating.ParseMoney(call.Price)
	if err != nil {
		return res, fmt.Errorf("call %s price: %w", call.IdemKey, err)
	}
	ev.Amount, ev.AmountMinor = price, call.AmountMinor
	manual := false
	switch {
	case dt.Action == ActionPost && call.Posted:
		// Confirmed where it is: the charge stands, nothing is posted.
		ev.Room, ev.StayID, ev.Reservation, ev.ChargeSeq = call.Room, call.StayID, call.Reservation, call.ChargedSeq
		res.Note = "posted already: confirmed, not posted again"
	case dt.Action == ActionPost, dt.Action == ActionRerate:
		room := dt.Room
		if room == "" {
			room = call.Room
		}
		var rated *RatedCall
		if dt.Action == ActionRerate {
			rc, err := d.rerateOne(b, call, dt.Amount)
			if err != nil {
				return res, err
			}
			rated, manual = &rc, dt.Amount != ""
			ev.Amount, ev.AmountMinor, ev.Currency, ev.TariffVersion = rc.Price, rc.AmountMinor, rc.Currency, rc.TariffVersion
		}
		stay, err := stayFor(tx, room, dt.StayID, call.Start)
		if err != nil {
			return res, err
		}
		seq, err := d.postResolved(tx, b, call, room, stay, rated)
		if err != nil {
			return res, err
		}
		ev.Room, ev.StayID, ev.Reservation, ev.ChargeSeq = room, stay.ID, stay.Reservation, seq
	case call.Posted: // write-off of a posted call: credit its charge
		seq, err := d.creditResolved(tx, call, price, dt.Reason, now)
		if err != nil {
			return res, err
		}
		ev.ChargeSeq = seq
	}
	ev.Manual = manual
	subject := "extension/" + call.Extension
	if ev.Room != "" {
		subject = "room/" + ev.Room
	} else if call.Room != "" {
		subject = "room/" + call.Room
	}
	seq, dup, err := d.host.Enqueue(tx, desk.Event{Domain: "pbx", Device: call.Device, Type: ResolvedType, Subject: subject,
		IdemKey: call.IdemKey + "/resolved", Time: now, Data: ev})
	if err != nil {
		return res, err
	}
	if dup {
		return res, fmt.Errorf("call %s: its resolution was published before (seq %d) but is not in the ledger: look at the store", call.IdemKey, seq)
	}
	r := ledger.Resolution{Call: call.IdemKey, CallStart: call.Start, Action: dt.Action, Reason: dt.Reason, Room: ev.Room, StayID: ev.StayID,
		Price: ev.Amount.String(), AmountMinor: ev.AmountMinor, Currency: ev.Currency, Manual: manual, Principal: by, Role: role, CommandID: cmdID,
		Resolved: now, EventSeq: seq, ChargeSeq: ev.ChargeSeq}
	first, ok, err := ledger.Resolve(tx, r)
	if err != nil {
		return res, err
	}
	if !ok {
		return res, AlreadyResolved(first)
	}
	res.Room, res.StayID, res.Amount, res.AmountMinor, res.Currency, res.EventSeq, res.ChargeSeq =
		ev.Room, ev.StayID, ev.Amount, ev.AmountMinor, ev.Currency, seq, ev.ChargeSeq
	return res, nil
}

// rerateOne rates a stored call again with the tariff in force, or takes
// the amount given by hand (in the tariff's currency).
func (d *Desk) rerateOne(b *Biller, call ledger.Stored, amount string) (RatedCall, error) {
	rec := events.CallRecord{Direction: events.Direction(call.Direction), Start: call.Start, DurationS: call.DurationS, Extension: call.Extension,
		Dialed: call.Dialed, Answered: call.Answered, Trunk: call.Trunk, PBXCost: call.PBXCost}
	rc, _, err := b.ForDevice(call.Device).Rate(rec)
	if amount != "" {
		m, perr := rating.ParseMoney(amount)
		if perr != nil {
			return rc, &bus.FieldError{Field: "data.amount", Problem: perr.Error()}
		}
		if err != nil || rc.Currency == "" {
			// Not rateable now either: the amount is the whole rating.
			rc = RatedCall{CallRecord: rec, Class: ClassUnrated, Currency: b.Engine.Tariff.Currency(), RatingFlags: []string{"manual-amount"}}
		}
		rc.Price, rc.AmountMinor = m, m.Minor(minorDigits(rc.Currency), rating.HalfUp)
		rc.Breakdown = []events.Line{{Step: "amount given by hand (call.resolve)", Amount: m}}
		return rc, nil
	}
	if err != nil {
		return rc, &bus.FieldError{Field: "data.amount", Problem: fmt.Sprintf("the call cannot be rated now (%v): give the amount by hand", err)}
	}
	if rc.AmountMinor <= 0 {
		return rc, fmt.Errorf("call %s rated now costs nothing (%s): there is nothing to post; resolve it with write-off", call.IdemKey, rc.Class)
	}
	return rc, nil
}

// stayFor is the stay a resolved call is posted to: the one named, else
// the room's stay at the call, else the room's last stay if it ended
// within AfterCheckOutWindow before it (the guest who just left). An older
// stay is never taken by itself: a guest gone for days is named or not
// charged.
func stayFor(tx *store.Tx, room string, id int64, at time.Time) (*stays.Stay, error) {
	if id != 0 {
		s, err := stays.ByID(tx, id)
		if errors.Is(err, stays.ErrNoStay) {
			return nil, &bus.FieldError{Field: "data.stay_id", Problem: fmt.Sprintf("no stay %d", id)}
		}
		if err != nil {
			return nil, err
		}
		if s.Room != room {
			return nil, &bus.FieldError{Field: "data.stay_id", Problem: fmt.Sprintf("stay %d is room %s's, not room %s's", id, s.Room, room)}
		}
		return s, nil
	}
	s, _, err := stays.At(tx, room, at)
	if err != nil || s != nil {
		return s, err
	}
	if s, err = stays.LastBefore(tx, room, at); err != nil {
		return nil, err
	}
	if s != nil && at.Sub(*s.CheckOut) < AfterCheckOutWindow {
		return s, nil
	}
	if s != nil {
		return nil, &bus.FieldError{Field: "data.stay_id", Problem: fmt.Sprintf("room %s had no guest at the call's time; its last stay (%d) ended at %s, more than %s before the call: name the stay if it is that guest's",
			room, s.ID, s.CheckOut.Format(time.RFC3339), AfterCheckOutWindow)}
	}
	return nil, &bus.FieldError{Field: "data.stay_id", Problem: fmt.Sprintf("room %s has no stay at the call's time nor one that ended before it: name the stay", room)}
}

// postResolved emits the call's charge, the event the ledger emits for a
// call posted at once, under the call's own idemkey: the store's dedupe
// (type, idemkey) makes sure a call is charged once, whatever posted it.
func (d *Desk) postResolved(tx *store.Tx, b *Biller, call ledger.Stored, room string, stay *stays.Stay, rated *RatedCall) (int64, error) {
	loc := d.host.Location()
	ch := Charge{Device: call.Device, JournalID: call.JournalID, Room: room, Reservation: stay.Reservation, StayID: stay.ID, Extension: call.Extension,
		Class: rating.Class(call.Class), Destination: call.Destination, Dialed: b.MaskDialed(call.Dialed), Start: call.Start.In(loc), DurationS: call.DurationS,
		BillableS: call.BillableS, Currency: call.Currency, TariffVersion: call.TariffVersion, AmountMinor: call.AmountMinor, Late: stay.CheckOut != nil}
	var err error
	if ch.CarrierCost, err = rating.ParseMoney(call.CarrierCost); err != nil {
		return 0, fmt.Errorf("call %s carrier cost: %w", call.IdemKey, err)
	}
	if ch.Amount, err = rating.ParseMoney(call.Price); err != nil {
		return 0, fmt.Errorf("call %s price: %w", call.IdemKey, err)
	}
	var stored RatedCall
	storedOK := json.Unmarshal(call.Rated, &stored) == nil
	if storedOK {
		ch.Breakdown = stored.Breakdown
	}
	if rated != nil {
		ch.Class, ch.Destination, ch.BillableS, ch.CarrierCost, ch.Breakdown = rated.Class, rated.Destination, rated.BillableS, rated.CarrierCost, rated.Breakdown
		ch.Amount, ch.AmountMinor, ch.Currency, ch.TariffVersion = rated.Price, rated.AmountMinor, rated.Currency, rated.TariffVersion
		// The stored RatedCall keeps what was recorded and takes the new rating.
		stored.Class, stored.Destination, stored.MatchedPrefix, stored.RateID, stored.TariffVersion = rated.Class, rated.Destination, rated.MatchedPrefix, rated.RateID, rated.TariffVersion
		stored.BillableS, stored.CarrierCost, stored.Price, stored.Currency, stored.AmountMinor = rated.BillableS, rated.CarrierCost, rated.Price, rated.Currency, rated.AmountMinor
		stored.Breakdown, stored.RatingFlags = rated.Breakdown, rated.RatingFlags
	}
	// The stored RatedCall says what was decided, as Bill's does: posted,
	// to which room. One that cannot be read is left as it was (its rating
	// columns are the ledger's truth).
	var newRating *ledger.Rating
	if storedOK || rated != nil {
		stored.Posted, stored.NotPosted, stored.Room = true, "", room
		js, err := json.Marshal(stored)
		if err != nil {
			return 0, err
		}
		lr := call.Rating
		if rated != nil {
			lr = ledgerRating(stored, js)
		}
		lr.Rated = js
		newRating = &lr
	}
	if ch.Breakdown == nil {
		ch.Breakdown = []events.Line{}
	}
	stable := call.IdemKey != fmt.Sprintf("%s/journal/%d", call.Device, call.JournalID)
	seq, dup, err := d.host.Enqueue(tx, desk.Event{Domain: "pbx", Device: call.Device, Type: ChargedType, Subject: "room/" + room,
		IdemKey: call.IdemKey, Stable: stable, Time: call.Start, Data: ch})
	if err != nil {
		return 0, err
	}
	if dup {
		return 0, fmt.Errorf("call %s was charged before (event seq %d): a call is never posted twice", call.IdemKey, seq)
	}
	if err := ledger.Posted(tx, call.IdemKey, room, stay.ID, stay.Reservation, stay.CheckOut != nil, seq, newRating); err != nil {
		return 0, err
	}
	return seq, nil
}

// creditResolved credits a posted call written off: the correction of its
// charge (hotel.pbx.call.adjusted to 0), never a second posting.
func (d *Desk) creditResolved(tx *store.Tx, call ledger.Stored, price rating.Money, reason string, now time.Time) (int64, error) {
	data := Adjusted{Call: call.IdemKey, Device: call.Device, JournalID: call.JournalID, ChargedSeq: call.ChargedSeq, Room: call.Room,
		Reservation: call.Reservation, StayID: call.StayID, Class: rating.Class(call.Class), Destination: call.Destination,
		Start: call.Start.In(d.host.Location()), OriginalAmount: price, OriginalAmountMinor: call.AmountMinor, NewAmount: 0, NewAmountMinor: 0,
		Difference: -price, DifferenceMinor: -call.AmountMinor, Currency: call.Currency, OriginalTariffVersion: call.TariffVersion,
		NewTariffVersion: call.TariffVersion, Reason: "written off (call.resolve): " + reason}
	seq, dup, err := d.host.Enqueue(tx, desk.Event{Domain: "pbx", Device: call.Device, Type: AdjustedType, Subject: "room/" + call.Room,
		IdemKey: call.IdemKey + "/adjust/write-off", Time: now, Data: data})
	if err != nil {
		return 0, err
	}
	if dup {
		return 0, fmt.Errorf("call %s was credited before (event seq %d): not credited twice", call.IdemKey, seq)
	}
	if err := ledger.WrittenOff(tx, call.IdemKey, "written off: "+reason); err != nil {
		return 0, err
	}
	return seq, nil
}
