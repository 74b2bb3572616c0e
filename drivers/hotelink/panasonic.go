package hotelink

import (
	"fmt"
	"strings"

	"switchboard/internal/events"
)

// operatorTask is the answer of a PBX without a command link (Panasonic
// KX-TDA/TDE/NS: hotel functions are set at the attendant console; the PBX
// prints them in its SMDR stream).
func operatorTask(cmd Command, p *Profile) CommandAck {
	what := strings.TrimPrefix(fmt.Sprintf("%T", cmd), "hotelink.")
	return CommandAck{
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
	room := Room(rec.Extension)
	kind, status, _ := strings.Cut(target, "/")
	switch kind {
	case "CheckIn":
		return CheckIn{Room: room}, true
	case "CheckOut":
		return CheckOut{Room: room}, true
	case "WakeupSet":
		return WakeupSet{Room: room, At: rec.Start}, true
	case "WakeupResult":
		return WakeupResult{Room: room, At: rec.Start, Status: WakeupStatus(status), Raw: rec.Raw}, true
	}
	return nil, false
}
