package hotelink

import (
	"fmt"
	"strings"

	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
)

// operatorTask is the answer of a PBX without a command link (Panasonic
// KX-TDA/TDE/NS: hotel functions are set at the attendant console; the PBX
// prints them in its SMDR stream).
func operatorTask(cmd hotel.Command, p *Profile) hotel.CommandAck {
	what := hotel.CommandName(cmd)
	return hotel.CommandAck{
		Ref:          cmd.Reference(),
		OperatorTask: true,
		Reason:       fmt.Sprintf("%s for room %s: %s has no PMS command link, set it at the attendant console", what, cmd.Target(), p.Vendor),
	}
}

// FromSMDR maps a hotel event the SMDR parser found (drivers/pbx with the
// panasonic-kx-tda profile: Check in/out, Timed Reminder) to the model,
// following the profile's smdr_kinds. ok is false for calls and kinds the
// profile does not map.
func FromSMDR(p *Profile, rec events.CallRecord) (any, bool) {
	target, ok := p.SMDRKinds[rec.Kind]
	if !ok {
		return nil, false
	}
	room := hotel.Room(rec.Extension)
	kind, status, _ := strings.Cut(target, "/")
	switch kind {
	case "CheckIn":
		return hotel.CheckIn{Room: room}, true
	case "CheckOut":
		return hotel.CheckOut{Room: room}, true
	case "WakeupSet":
		return hotel.WakeupSet{Room: room, At: rec.Start}, true
	case "WakeupResult":
		return hotel.WakeupResult{Room: room, At: rec.Start, Status: hotel.WakeupStatus(status), Raw: rec.Raw}, true
	}
	return nil, false
}
