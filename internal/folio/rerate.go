package folio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/folio/ledger"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// AdjustedType is the event of a posted call whose amount changed on re-rating.
const AdjustedType = "hotel.pbx.call.adjusted"

// Adjusted is the data of hotel.pbx.call.adjusted: the correction of a charge
// already posted (hotel.pbx.call.charged), never a second posting. The back
// office posts Difference (new minus original) against the same
type Adjusted struct {
	Call                  string       `json:"call"` // the call's idemkey, as on its charged event
	Device                string       `json:"device"`
	JournalID             int64        `json:"journal_id"`
	ChargedSeq            int64        `json:"charged_seq"`
	Room                  string       `json:"room"`
	Reservation           string       `json:"reservation,omitempty"`
	StayID                int64        `json:"stay_id,omitempty"`
	Class                 rating.Class `json:"class"`
	Destination           string       `json:"destination"`
	Start                 time.Time    `json:"start"`
	OriginalAmount        rating.Money `json:"original_amount"`
	OriginalAmountMinor   int64        `json:"original_amount_minor"`
	NewAmount             rating.Money `json:"new_amount"`
	NewAmountMinor        int64        `json:"new_amount_minor"`
	Difference            rating.Money `json:"difference"`
	DifferenceMinor       int64        `json:"difference_minor"`
	Currency              string       `json:"currency"`
	OriginalTariffVersion string       `json:"original_tariff_version"`
	NewTariffVersion      string       `json:"new_tariff_version"`
	Reason                string       `json:"reason"`
}

// RerateOptions select the calls to re-rate: those that started in
// [Since, Until).
type RerateOptions struct {
	Since, Until time.Time
	DryRun       bool // compute and report; write nothing
	Batch        int  // calls read and written per transaction; 0 = 5000
}

// RerateChange is a call whose rating changed.
type RerateChange struct {
	Call          string       `json:"call"`
	Room          string       `json:"room,omitempty"`
	Extension     string       `json:"extension"`
	Start         time.Time    `json:"start"`
	Posted        bool         `json:"posted"`
	NotPosted     string       `json:"not_posted,omitempty"`
	OldAmount     rating.Money `json:"old_amount"`
	NewAmount     rating.Money `json:"new_amount"`
	Currency      string       `json:"currency"`
	OldVersion    string       `json:"old_tariff_version"`
	NewVersion    string       `json:"new_tariff_version"`
	AdjustmentSeq int64        `json:"adjustment_seq,omitempty"` // the hotel.pbx.call.adjusted event
	// Note says what a person should look at: a call never posted that now
	// has a price, or an adjustment that was emitted before.
	Note string `json:"note,omitempty"`
}

// RerateResult counts what re-rating found.
type RerateResult struct {
	Calls     int            `json:"calls"`     // outgoing calls read
	Unchanged int            `json:"unchanged"` // same rating, or posted with the same amount
	Refreshed int            `json:"refreshed"` // not posted: ledger row updated, nothing to adjust
	Adjusted  int            `json:"adjusted"`  // posted: adjustment event and ledger row
	Review    int            `json:"review"`    // changes that need a person (see Note)
	Failed    int            `json:"failed"`    // could not be rated now
	Changes   []RerateChange `json:"changes"`
}

// Rerate rates stored calls again with the gateway's current tariff and
// plan. A posted call whose amount changes gets a hotel.pbx.call.adjusted
// event (through the outbox, in the transaction that updates its ledger row);
// a call not posted gets its ledger row refreshed. Nothing is ever posted a
// second time. It works on an offline gateway: the daemon publishes.
func (d *Desk) Rerate(ctx context.Context, o RerateOptions) (RerateResult, error) {
	res := RerateResult{Changes: []RerateChange{}}
	if !o.Until.After(o.Since) {
		return res, fmt.Errorf("rerate: until %s is not after since %s", o.Until.Format(time.RFC3339), o.Since.Format(time.RFC3339))
	}
	batch := o.Batch
	if batch <= 0 {
		batch = 5000
	}
	// One biller for the whole run, even if a SIGHUP reloads the tariff
	// meanwhile: every call of a run is re-rated on the same tariff.
	b := d.billing()
	lastStart, lastKey := o.Since.UnixNano()-1, "\uffff"
	for {
		// Only what rating and the comparison need: the rest of a row is
		// read for the few calls that change (rerateWrite).
		rows, err := ledger.PagePriced(ctx, d.host.Store(), string(events.Outgoing), lastStart, lastKey, o.Until.UnixNano(), batch)
		if err != nil {
			return res, fmt.Errorf("rerate: %w", err)
		}
		if len(rows) == 0 {
			break
		}
		lastStart, lastKey = rows[len(rows)-1].Start, rows[len(rows)-1].IdemKey
		if err := d.rerateBatch(ctx, b, rows, o.DryRun, &res); err != nil {
			return res, err
		}
		if len(rows) < batch {
			break
		}
	}
	return res, nil
}

// pending is a change to write.
type pending struct {
	row ledger.Priced
	rc  RatedCall
	ch  int // index in res.Changes
}

func (d *Desk) rerateBatch(ctx context.Context, b *Biller, rows []ledger.Priced, dry bool, res *RerateResult) error {
	var writes []pending
	for _, r := range rows {
		res.Calls++
		rec := events.CallRecord{Direction: events.Outgoing, Start: time.Unix(0, r.Start), DurationS: int(r.DurationS),
			Extension: r.Extension, Dialed: r.Dialed, Trunk: r.Trunk, PBXCost: r.PBXCost}
		if r.Answered.Valid {
			a := r.Answered.Bool
			rec.Answered = &a
		}
		db := b.ForDevice(r.Device)
		rc, _, err := db.RateTotals(rec)
		if err != nil {
			res.Failed++
			d.host.Log().Warn("rerate: cannot rate", "call", r.IdemKey, "err", err)
			continue
		}
		sameAmount := rc.Price.String() == r.Price && rc.AmountMinor == r.AmountMinor && rc.Currency == r.Currency
		same := sameAmount && string(rc.Class) == r.Class && rc.Destination == r.Destination && rc.MatchedPrefix == r.MatchedPrefix &&
			rc.RateID == r.RateID && rc.TariffVersion == r.TariffVersion && int64(rc.BillableS) == r.BillableS && rc.CarrierCost.String() == r.CarrierCost
		// A posting stands unless its amount changes.
		if same || (r.Posted && sameAmount) {
			res.Unchanged++
			continue
		}
		old, _ := rating.ParseMoney(r.Price)
		ch := RerateChange{Call: r.IdemKey, Room: r.Room, Extension: r.Extension, Start: rec.Start.In(d.host.Location()), Posted: r.Posted,
			NotPosted: r.NotPosted, OldAmount: old, NewAmount: rc.Price, Currency: rc.Currency, OldVersion: r.TariffVersion, NewVersion: rc.TariffVersion}
		if r.Posted {
			res.Adjusted++
		} else {
			res.Refreshed++
			if r.NotPosted == NothingToCharge && rc.Price > 0 {
				ch.Note = "not posted before (nothing to charge); now priced: review and post by hand if due"
				res.Review++
			}
		}
		res.Changes = append(res.Changes, ch)
		if rc, _, err = db.Rate(rec); err != nil { // with its breakdown, to store
			res.Failed++
			continue
		}
		writes = append(writes, pending{row: r, rc: rc, ch: len(res.Changes) - 1})
	}
	if dry || len(writes) == 0 {
		return nil
	}
	var notes []func()
	err := d.host.InTx(ctx, func(tx *store.Tx) error {
		notes = notes[:0]
		for _, w := range writes {
			note, err := d.rerateWrite(tx, w, res)
			if err != nil {
				return err
			}
			if note != nil {
				notes = append(notes, note)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rerate: %w", err)
	}
	for _, n := range notes {
		n()
	}
	return nil
}

// rerateWrite updates one ledger row and, for a posted call, emits its
// adjustment. The result is updated by the returned func once committed.
func (d *Desk) rerateWrite(tx *store.Tx, w pending, res *RerateResult) (func(), error) {
	r, rc := w.row, w.rc
	p, err := ledger.PostingOf(tx, r.IdemKey)
	if err != nil {
		return nil, err
	}
	var note func()
	if r.Posted {
		old, err := rating.ParseMoney(r.Price)
		if err != nil {
			return nil, fmt.Errorf("call %s price: %w", r.IdemKey, err)
		}
		data := Adjusted{Call: r.IdemKey, Device: r.Device, JournalID: p.JournalID, ChargedSeq: p.ChargedSeq, Room: r.Room,
			Reservation: p.Reservation, StayID: p.StayID, Class: rc.Class, Destination: rc.Destination, Start: time.Unix(0, r.Start).In(d.host.Location()),
			OriginalAmount: old, OriginalAmountMinor: r.AmountMinor, NewAmount: rc.Price, NewAmountMinor: rc.AmountMinor,
			Difference: rc.Price - old, DifferenceMinor: rc.AmountMinor - r.AmountMinor, Currency: rc.Currency,
			OriginalTariffVersion: r.TariffVersion, NewTariffVersion: rc.TariffVersion, Reason: "re-rated with the current tariff and plan"}
		key := r.IdemKey + "/adjust/" + rc.TariffVersion + "/" + rc.Price.String()
		seq, dup, err := d.host.Enqueue(tx, desk.Event{Domain: "pbx", Device: r.Device, Type: AdjustedType, Subject: "room/" + r.Room,
			IdemKey: key, Time: time.Now(), Data: data})
		if err != nil {
			return nil, err
		}
		if dup {
			// The same adjustment went out before (the tariff went back and
			// forth): the folio's state is unknown here, so the row stays
			// and a person decides.
			return func() {
				c := &res.Changes[w.ch]
				c.AdjustmentSeq, c.Note = seq, "this adjustment was emitted before (seq "+fmt.Sprint(seq)+"): not emitted again, ledger row left; review"
				res.Adjusted--
				res.Review++
			}, nil
		}
		note = func() { res.Changes[w.ch].AdjustmentSeq = seq }
	}
	// The stored RatedCall keeps what was decided (posted, room, flags) and
	// takes the new rating.
	var stored RatedCall
	if err := json.Unmarshal(p.Rated, &stored); err != nil {
		return nil, fmt.Errorf("call %s rated: %w", r.IdemKey, err)
	}
	stored.Class, stored.Destination, stored.MatchedPrefix, stored.RateID, stored.TariffVersion = rc.Class, rc.Destination, rc.MatchedPrefix, rc.RateID, rc.TariffVersion
	stored.BillableS, stored.CarrierCost, stored.Price, stored.Currency, stored.AmountMinor = rc.BillableS, rc.CarrierCost, rc.Price, rc.Currency, rc.AmountMinor
	stored.Breakdown, stored.RatingFlags = rc.Breakdown, rc.RatingFlags
	rated, err := json.Marshal(stored)
	if err != nil {
		return nil, err
	}
	ok, err := ledger.Rerate(tx, r.IdemKey, r.Price, r.TariffVersion, ledgerRating(rc, rated))
	if err != nil {
		return nil, err
	}
	if !ok {
		// Another rerate changed the row since it was read: roll back this
		// batch rather than emit an adjustment from a stale amount.
		return nil, errors.New("call " + r.IdemKey + " changed while being re-rated (another rerate running?): run it again")
	}
	return note, nil
}
