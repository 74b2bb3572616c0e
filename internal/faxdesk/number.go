package faxdesk

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/rating"
)

// number is a destination checked against the dialing plan.
type number struct {
	dial        string // what the modem dials
	canonical   string // country code + national number
	kind        string // local, national, mobile, international
	zone        string // the business tariff's fax zone
	destination string // the call tariff's destination
}

// checkNumber validates a number with the dialing plan (發送傳真程序: check
// the country and area code) and says what the modem dials.
func (d *Desk) checkNumber(to string) (number, error) { return d.pricer().checkNumber(to) }

// checkNumber is the desk's number check (Desk.checkNumber), also the
// console's as the clerk types (Preview.CheckNumber): one rule for both.
func (p pricer) checkNumber(to string) (number, error) {
	bad := func(why string) (number, error) {
		return number{}, &bus.FieldError{Field: "data.to", Problem: fmt.Sprintf("%q: %s", to, why)}
	}
	if strings.TrimSpace(to) == "" {
		return bad("required")
	}
	site := p.opt.Billing().Engine.Tariff.Site()
	// A guest's number has no PBX access code: a leading 9 is a digit.
	plan := site
	plan.TrunkAccess = nil
	n, err := plan.Normalize(to)
	if err != nil {
		return bad("not a fax number (digits, spaces, dashes and a leading + only)")
	}
	cc := site.HomeCountry
	nat := strings.TrimPrefix(n.Digits, cc)
	minLocal := 0
	for _, l := range site.LocalLengths {
		if minLocal == 0 || l < minLocal {
			minLocal = l
		}
	}
	fn := number{canonical: n.Digits, kind: n.Kind.String(), zone: rating.FaxZoneDomestic}
	switch n.Kind {
	case rating.KindInternal:
		return bad("an extension of the hotel: no outside call")
	case rating.KindEmergency, rating.KindService:
		return bad("a short service or emergency number cannot receive a fax")
	case rating.KindUnknown:
		return bad(fmt.Sprintf("fits no rule of the dialing plan: a local number has %v digits; dial %s and the area code for another city, %s and the country code abroad",
			site.LocalLengths, site.NationalPrefix, site.InternationalPrefix))
	case rating.KindInternational:
		if len(n.Digits) < 7 || len(n.Digits) > 15 {
			// ITU-T E.164 §6: at most 15 digits with the country code.
			return bad(fmt.Sprintf("%d digits after the international prefix: a country code and number have 7 to 15", len(n.Digits)))
		}
		if cc != "" && strings.HasPrefix(n.Digits, cc) {
			// Our own country dialed the international way.
			if len(nat) < len(site.HomeArea)+minLocal {
				return bad("area code and number too short")
			}
			fn.kind, fn.dial = rating.KindNational.String(), site.NationalPrefix+nat
		} else {
			fn.zone, fn.dial = rating.FaxZoneInternation, site.InternationalPrefix+n.Digits
		}
	case rating.KindNational:
		if len(nat) < len(site.HomeArea)+minLocal {
			return bad(fmt.Sprintf("%s: the area code and a %v-digit number are needed", nat, site.LocalLengths))
		}
		fn.dial = site.NationalPrefix + nat
		if site.HomeArea != "" && strings.HasPrefix(nat, site.HomeArea) && slices.Contains(site.LocalLengths, len(nat)-len(site.HomeArea)) {
			fn.dial = nat[len(site.HomeArea):] // our own area: dialed as a local number
		}
	case rating.KindLocal:
		fn.dial = strings.TrimPrefix(nat, site.HomeArea)
	default: // mobile, free
		fn.dial = nat
	}
	call, err := p.rateCall(fn.dial, p.now(), time.Minute)
	if err != nil {
		return bad("no tariff destination for it: " + err.Error())
	}
	fn.destination = call.Destination
	return fn, nil
}
