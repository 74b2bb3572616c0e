package folio

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/folio/ledger"
	"switchboard/internal/folio/stays"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// RatedCall is a CallRecord with its rating and what was posted: the output
// of `switchboard rate` and the ledger's record of a call.
type RatedCall struct {
	events.CallRecord
	Class         rating.Class  `json:"class,omitempty"`
	Destination   string        `json:"destination,omitempty"`
	MatchedPrefix string        `json:"matched_prefix,omitempty"`
	RateID        string        `json:"rate_id,omitempty"`
	TariffVersion string        `json:"tariff_version,omitempty"`
	BillableS     int           `json:"billable_s"`
	CarrierCost   rating.Money  `json:"carrier_cost"`
	Price         rating.Money  `json:"price"`
	Currency      string        `json:"currency,omitempty"`
	AmountMinor   int64         `json:"amount_minor"`
	Breakdown     []events.Line `json:"breakdown"`
	RatingFlags   []string      `json:"rating_flags,omitempty"`
	Posted        bool          `json:"posted"`
	NotPosted     string        `json:"not_posted,omitempty"`
	Room          string        `json:"room,omitempty"`
	Flags         []string      `json:"flags,omitempty"`
}

// Charge is the data of hotel.pbx.call.charged: one posting to a guest's folio.
type Charge struct {
	Device        string        `json:"device"`
	JournalID     int64         `json:"journal_id"`
	Room          string        `json:"room"`
	Reservation   string        `json:"reservation,omitempty"`
	StayID        int64         `json:"stay_id"`
	Extension     string        `json:"extension"`
	Class         rating.Class  `json:"class"`
	Destination   string        `json:"destination"`
	Dialed        string        `json:"dialed"` // masked per billing.mask_dialed
	Start         time.Time     `json:"start"`
	DurationS     int           `json:"duration_s"`
	BillableS     int           `json:"billable_s"`
	CarrierCost   rating.Money  `json:"carrier_cost"`
	Breakdown     []events.Line `json:"breakdown"`
	Amount        rating.Money  `json:"amount"`
	AmountMinor   int64         `json:"amount_minor"`
	Currency      string        `json:"currency"`
	TariffVersion string        `json:"tariff_version"`
	Late          bool          `json:"late,omitempty"`
}

// Flagged is the data of hotel.pbx.call.flagged: a call the night audit
// should look at (vacant room, after check-out, late charge, fallback rate).
type Flagged struct {
	Device    string   `json:"device"`
	JournalID int64    `json:"journal_id"`
	Room      string   `json:"room,omitempty"`
	Extension string   `json:"extension"`
	Flags     []string `json:"flags"`
	Posted    bool     `json:"posted"`
	NotPosted string   `json:"not_posted,omitempty"`
	// Candidates are the stays a call whose time the PBX prints to the
	// minute may belong to (stay-ambiguous): stay ids, 0 for "none, the
	// room was vacant".
	Candidates  []int64      `json:"candidate_stays,omitempty"`
	Class       rating.Class `json:"class,omitempty"`
	Destination string       `json:"destination,omitempty"`
	Dialed      string       `json:"dialed"`
	Start       time.Time    `json:"start"`
	DurationS   int          `json:"duration_s"`
	Amount      rating.Money `json:"amount"`
	Currency    string       `json:"currency,omitempty"`
}

// Emergency is the data of hotel.pbx.emergency.call: raised at once.
type Emergency struct {
	Device    string    `json:"device"`
	Room      string    `json:"room,omitempty"`
	Extension string    `json:"extension"`
	Dialed    string    `json:"dialed"`
	Service   string    `json:"service"` // police, fire, ambulance, traffic police
	Start     time.Time `json:"start"`
	Priority  string    `json:"priority"`
}

// emergencyServices names China's emergency numbers (and GSM 112).
var emergencyServices = map[string]string{"110": "police", "119": "fire", "120": "ambulance", "122": "traffic police", "112": "emergency"}

// Biller rates calls and posts them.
type Biller struct {
	Engine *rating.Engine
	// Devices holds engines for PBXs whose grace or cost policy differs
	// from the plan's (device options grace_s, pbx_cost).
	Devices map[string]*rating.Engine
	Dir     *Directory
	Mask    int // leading digits of a dialed number kept in events; 0 = all
	Topics  events.Topics
	Loc     *time.Location
}

// minorDigits of a currency (ISO 4217).
func minorDigits(cur string) int {
	switch cur {
	case "JPY", "KRW", "VND":
		return 0
	}
	return 2
}

// ForDevice is the biller for one PBX: its own engine when its options
// change the plan, the site's otherwise.
func (b *Biller) ForDevice(device string) *Biller {
	if e, ok := b.Devices[device]; ok {
		c := *b
		c.Engine = e
		return &c
	}
	return b
}

// Rate rates one call (outgoing calls only) and decides nothing.
func (b *Biller) Rate(rec events.CallRecord) (RatedCall, *rating.Result, error) {
	return b.rate(rec, true)
}

// RateTotals is Rate without the breakdown lines (their text costs more than
// the rating itself): for re-rating, which compares totals first.
func (b *Biller) RateTotals(rec events.CallRecord) (RatedCall, *rating.Result, error) {
	return b.rate(rec, false)
}

func (b *Biller) rate(rec events.CallRecord, lines bool) (RatedCall, *rating.Result, error) {
	rc := RatedCall{CallRecord: rec}
	if rec.Direction != events.Outgoing {
		return rc, nil, nil
	}
	// Only calls the PBX marked outgoing are rated: they went out, so
	// their numbers are the network's (an emergency number is never a
	// room's extension).
	call := rating.Call{Dialed: rec.Dialed, Start: rec.Start.In(b.Loc), Duration: time.Duration(rec.DurationS) * time.Second,
		Answered: rec.Answered, Trunk: rec.Trunk, Outside: true}
	if rec.PBXCost != "" {
		if m, err := rating.ParseMoney(rec.PBXCost); err == nil {
			call.PBXCost = &m
		}
	}
	res, err := b.Engine.Rate(call)
	if err != nil {
		return rc, nil, err
	}
	rc.Class, rc.Destination, rc.MatchedPrefix, rc.RateID, rc.TariffVersion = res.Class, res.Destination, res.MatchedPrefix, res.RateID, res.TariffVersion
	rc.BillableS, rc.CarrierCost, rc.Price, rc.Currency = res.BillableS, res.CarrierCost, res.Price, res.Currency
	rc.AmountMinor = res.Price.Minor(minorDigits(res.Currency), rating.HalfUp)
	rc.RatingFlags = res.Flags
	if !lines {
		return rc, &res, nil
	}
	for _, s := range res.Breakdown {
		rc.Breakdown = append(rc.Breakdown, events.Line{Step: s.String(), Amount: s.Amount, Included: s.Included})
	}
	return rc, &res, nil
}

// MaskDialed hides the trailing digits of a dialed number (privacy: reports
// and events need the destination, not the guest's contact's whole number).
// billing.mask_dialed digits are kept after the trunk access code, which
// says nothing of the destination: "9 0139 1234 5678" with 7 keeps
// 9 0139123.
func (b *Biller) MaskDialed(d string) string {
	if b.Mask <= 0 {
		return d
	}
	access := b.accessCode(d)
	if len(d)-len(access) <= b.Mask {
		return d
	}
	keep := len(access) + b.Mask
	return d[:keep] + strings.Repeat("*", len(d)-keep)
}

// accessCode is the trunk access code d begins with ("" for none), the
// longest of the dialing plan's.
func (b *Biller) accessCode(d string) string {
	access := ""
	if b.Engine != nil {
		for _, a := range b.Engine.Tariff.Site().TrunkAccess {
			if len(a) > len(access) && len(d) > len(a) && strings.HasPrefix(d, a) {
				access = a
			}
		}
	}
	return access
}

// MaskRecord is a call record as it may be published: its dialed number
// masked (billing.mask_dialed), in the record's raw text too, wherever the
// text shows it: a PBX may print the number more than once, with or
// without the trunk access code (Avaya IP Office's called and dialled
// number fields). When the raw text does not show the number as read, it
// is withheld (the journal keeps it whole).
func (b *Biller) MaskRecord(rec events.CallRecord) events.CallRecord {
	if b.Mask <= 0 || rec.Dialed == "" {
		return rec
	}
	masked := b.MaskDialed(rec.Dialed)
	if masked == rec.Dialed {
		return rec
	}
	// The number without its access code is in every place the text
	// shows it, so replacing it masks them all.
	access := len(b.accessCode(rec.Dialed))
	if number := rec.Dialed[access:]; strings.Contains(rec.Raw, number) {
		rec.Raw = strings.ReplaceAll(rec.Raw, number, masked[access:])
	} else {
		rec.Raw = "(withheld: billing.mask_dialed; the journal keeps the line)"
	}
	rec.Dialed = masked
	return rec
}

// MaskDigits is a line the gateway could not read as it may be published
// (smdr.unparsed): a call line among them would show its number whole, so
// with billing.mask_dialed every run of digits longer than the kept ones
// (after a trunk access code it starts with) is masked as MaskDialed
// masks a number. Shorter runs (extensions, times, durations) stay; the
// journal keeps the line whole. A nil Biller (no billing) masks nothing.
func (b *Biller) MaskDigits(raw []byte) []byte {
	if b == nil || b.Mask <= 0 {
		return raw
	}
	out := append([]byte(nil), raw...)
	for i := 0; i < len(out); {
		if out[i] < '0' || out[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(out) && out[j] >= '0' && out[j] <= '9' {
			j++
		}
		copy(out[i:j], b.MaskDialed(string(out[i:j])))
		i = j
	}
	return out
}

// Bill rates and posts one newly recorded call inside tx: the ledger row
// and its events (charged, flagged, emergency) commit with the call itself,
// so a crash can leave neither a charge without its call nor the reverse.
//
// stable says the idemkey is the record's own data (store.Event.Stable).
func (b *Biller) Bill(tx *store.Tx, device string, journalID int64, idemkey string, stable bool, recordedSeq int64, rec events.CallRecord) (RatedCall, error) {
	rc, res, err := b.Rate(rec)
	var rateErr error
	if err != nil {
		rateErr = err
	}
	room, class, known := b.Dir.Lookup(rec.Extension)
	rc.Room = room
	var stay *stays.Stay
	var lastCO *time.Time
	if known {
		if stay, lastCO, err = stays.At(tx, room, rec.Start); err != nil {
			return rc, err
		}
	}
	dec := Decide(rec, room, class, known, stay, lastCO, res)
	var candidates []int64
	if known && dec.NotPosted != NotOutgoing {
		if candidates, err = ambiguousStay(tx, room, rec, stay); err != nil {
			return rc, err
		}
	}
	if candidates != nil && (dec.Post || dec.NotPosted == VacantRoom || dec.NotPosted == AfterCheckOut) {
		// The PBX's clock cannot tell which side of the check-in or
		// check-out the call was: a person decides (docs/tariffs.md).
		dec.Post, dec.Late, dec.NotPosted = false, false, StayAmbiguous
		dec.Flags = append(slices.DeleteFunc(dec.Flags, func(f string) bool {
			return f == "vacant-room" || f == "after-checkout" || f == "late-charge"
		}), FlagStayAmbiguous)
	}
	if rateErr != nil {
		dec.Post, dec.NotPosted = false, "cannot rate: "+rateErr.Error()
		dec.Flags = append(dec.Flags, FlagUnrateable)
	}
	rc.Posted, rc.NotPosted, rc.Flags = dec.Post, dec.NotPosted, dec.Flags
	source := b.Topics.Source("pbx", device)
	subject := "extension/" + rec.Extension
	if room != "" {
		subject = "room/" + room
	}
	start := rec.Start.In(b.Loc)
	var chargedSeq *int64
	if dec.Post {
		ch := Charge{Device: device, JournalID: journalID, Room: room, Reservation: stay.Reservation, StayID: stay.ID, Extension: rec.Extension,
			Class: rc.Class, Destination: rc.Destination, Dialed: b.MaskDialed(rec.Dialed), Start: start, DurationS: rec.DurationS,
			BillableS: rc.BillableS, CarrierCost: rc.CarrierCost, Breakdown: rc.Breakdown, Amount: rc.Price, AmountMinor: rc.AmountMinor,
			Currency: rc.Currency, TariffVersion: rc.TariffVersion, Late: dec.Late}
		seq, _, err := tx.Enqueue(store.Event{Type: "hotel.pbx.call.charged", Topic: b.Topics.Event("pbx", device, "hotel.pbx.call.charged"),
			Source: source, Subject: subject, IdemKey: idemkey, Stable: stable, Time: start, Data: ch})
		if err != nil {
			return rc, err
		}
		chargedSeq = &seq
	}
	if dec.Emergency {
		// The dialing plan's canonical number: the PBX prints the trunk
		// access code in front ("9110").
		number := strings.TrimPrefix(res.Number, b.Engine.Tariff.Site().HomeCountry)
		svc := emergencyServices[number]
		if svc == "" {
			svc = "emergency"
		}
		if _, _, err := tx.Enqueue(store.Event{Type: "hotel.pbx.emergency.call", Topic: b.Topics.Event("pbx", device, "hotel.pbx.emergency.call"),
			Source: source, Subject: subject, IdemKey: idemkey, Stable: stable, Time: start,
			Data: Emergency{Device: device, Room: room, Extension: rec.Extension, Dialed: number, Service: svc, Start: start, Priority: "high"}}); err != nil {
			return rc, err
		}
	}
	if len(dec.Flags) > 0 {
		if _, _, err := tx.Enqueue(store.Event{Type: "hotel.pbx.call.flagged", Topic: b.Topics.Event("pbx", device, "hotel.pbx.call.flagged"),
			Source: source, Subject: subject, IdemKey: idemkey, Stable: stable, Time: start,
			Data: Flagged{Device: device, JournalID: journalID, Room: room, Extension: rec.Extension, Flags: dec.Flags, Posted: dec.Post,
				NotPosted: dec.NotPosted, Candidates: candidates, Class: rc.Class, Destination: rc.Destination, Dialed: b.MaskDialed(rec.Dialed), Start: start,
				DurationS: rec.DurationS, Amount: rc.Price, Currency: rc.Currency}}); err != nil {
			return rc, err
		}
	}
	rated, err := json.Marshal(rc)
	if err != nil {
		return rc, err
	}
	flags, _ := json.Marshal(dec.Flags)
	row := ledger.Call{IdemKey: idemkey, Device: device, JournalID: journalID, Start: rec.Start, DurationS: rec.DurationS,
		Direction: string(rec.Direction), Extension: rec.Extension, Room: room, RoomClass: string(class), Dialed: rec.Dialed,
		Answered: rec.Answered, Trunk: rec.Trunk, PBXCost: rec.PBXCost, Rating: ledgerRating(rc, rated),
		Flags: flags, Posted: dec.Post, NotPosted: dec.NotPosted, Late: dec.Late, RecordedSeq: recordedSeq}
	if stay != nil {
		row.StayID, row.Reservation = stay.ID, stay.Reservation
	}
	if chargedSeq != nil {
		row.ChargedSeq = *chargedSeq
	}
	if err := ledger.Insert(tx, row); err != nil {
		return rc, err
	}
	return rc, nil
}

// ambiguousStay: when the PBX prints its times to the minute, the call
// really started anywhere in [Start, Start+resolution). If the room's stay
// at the end of that window is not the one at its start (a check-in or a
// check-out inside it), the call's stay is ambiguous: the candidate stays'
// ids (0: vacant) are returned; nil when the stay is certain.
func ambiguousStay(tx *store.Tx, room string, rec events.CallRecord, stay *stays.Stay) ([]int64, error) {
	if rec.TimeResolutionS <= 0 {
		return nil, nil
	}
	late, _, err := stays.At(tx, room, rec.Start.Add(time.Duration(rec.TimeResolutionS)*time.Second-time.Nanosecond))
	if err != nil {
		return nil, err
	}
	id := func(s *stays.Stay) int64 {
		if s == nil {
			return 0
		}
		return s.ID
	}
	if id(stay) == id(late) {
		return nil, nil
	}
	return []int64{id(stay), id(late)}, nil
}

// ledgerRating is a rated call as the ledger stores it (rated: its JSON).
func ledgerRating(rc RatedCall, rated []byte) ledger.Rating {
	return ledger.Rating{Class: string(rc.Class), Destination: rc.Destination, MatchedPrefix: rc.MatchedPrefix, RateID: rc.RateID,
		TariffVersion: rc.TariffVersion, BillableS: rc.BillableS, CarrierCost: rc.CarrierCost.String(), Price: rc.Price.String(),
		AmountMinor: rc.AmountMinor, Currency: rc.Currency, Rated: rated}
}
