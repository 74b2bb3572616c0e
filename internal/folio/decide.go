package folio

import (
	"time"

	"switchboard/internal/events"
	"switchboard/internal/folio/stays"
	"switchboard/internal/rating"
)

// Flags of the calls for the night audit.
const (
	// FlagEmergency: a call to an emergency number.
	FlagEmergency = "emergency"
	// FlagStayAmbiguous: the PBX's clock reads to the minute and a check-in
	// or check-out falls in the call's minute: which stay it belongs to is
	// for a person to decide.
	FlagStayAmbiguous = "stay-ambiguous"
)

// AfterCheckOutWindow is how long after a room's check-out a call from it
// is the guest who just left's (flagged after-checkout, not vacant-room),
// and how far back call.resolve looks for that guest's stay by itself.
const AfterCheckOutWindow = 24 * time.Hour

// Why a call is not posted.
const (
	NotOutgoing      = "not an outgoing call"
	UnknownExtension = "extension not in the room map"
	NotGuestRoom     = "not a guest room"
	VacantRoom       = "room vacant at the time of the call"
	AfterCheckOut    = "made after the guest checked out"
	NothingToCharge  = "nothing to charge"
	StayAmbiguous    = "the PBX prints the time to the minute and the guest checked in or out in that minute: decide which stay it belongs to"
)

// Decision is what happens to a rated call.
type Decision struct {
	Post      bool
	NotPosted string      // why not, when !Post
	Room      string      // "" when the extension is unknown
	RoomClass RoomClass   //
	Stay      *stays.Stay // the stay the call belongs to
	// Late: made during a stay that has since ended; posted as a late charge.
	Late bool
	// Emergency: a call to an emergency number; raise the alarm at once.
	Emergency bool
	// Flag: reasons to show the call to the night audit (vacant-room
	// outside call, late charge, rating fallback, PBX cost differs).
	Flags []string
}

// Decide applies the posting rules to one call. stay is the stay of the
// call's room at its start time (nil: none), current says whether that stay
// is still open. rated is nil for calls that were not rated (not outgoing).
func Decide(rec events.CallRecord, room string, class RoomClass, known bool, stay *stays.Stay, lastCheckOut *time.Time, rated *rating.Result) Decision {
	d := Decision{Room: room, RoomClass: class, Stay: stay}
	if rated != nil && rated.Class == rating.ClassEmergency {
		// Free, never a charge, and never silent: besides the alarm
		// (hotel.pbx.emergency.call) the call is in the night audit's list
		// of flagged calls (報警電話: the operator informs management,
		// engineering, security and the medical room at once).
		d.Emergency = true
		d.Flags = append(d.Flags, FlagEmergency)
	}
	if rated != nil {
		for _, f := range rated.Flags {
			if f == rating.FlagNoMatchFallback || f == rating.FlagPBXCostDiffers || f == rating.FlagUnknownNumber {
				d.Flags = append(d.Flags, f)
			}
		}
	}
	switch {
	case rec.Direction != events.Outgoing || rated == nil:
		d.NotPosted = NotOutgoing
		return d
	case !known:
		d.NotPosted = UnknownExtension
		d.Flags = append(d.Flags, "unknown-extension")
		return d
	case class != Guest:
		d.NotPosted = NotGuestRoom
		return d
	}
	outside := rated.Class != rating.ClassInternal && rated.Class != rating.ClassFree && rated.Class != rating.ClassEmergency
	switch {
	case stay == nil && lastCheckOut != nil && rec.Start.After(*lastCheckOut) && rec.Start.Sub(*lastCheckOut) < AfterCheckOutWindow:
		d.NotPosted = AfterCheckOut
		if outside {
			d.Flags = append(d.Flags, "after-checkout")
		}
		return d
	case stay == nil:
		d.NotPosted = VacantRoom
		if outside {
			d.Flags = append(d.Flags, "vacant-room")
		}
		return d
	case rated.Price <= 0:
		d.NotPosted = NothingToCharge
		return d
	}
	d.Post = true
	if stay.CheckOut != nil {
		d.Late = true
		d.Flags = append(d.Flags, "late-charge")
	}
	return d
}
