package hotelink

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/events/hotel"
)

// linkRecords are the records, and their fields, that the PBX asked for in
// its LR records (FIAS "Link Record"), by record type.
type linkRecords map[string]map[string]bool

// fiasEncoder encodes PMS -> vendor records as a link start left them: the
// profile's records and fields, filtered by the PBX's LR records. It holds
// no I/O and changes nothing, so the session and Prepare share it.
type fiasEncoder struct {
	p   *Profile
	loc *time.Location
	lr  linkRecords // nil: the PBX sent no LR
}

// encode turns a command into FIAS records (PMS -> vendor).
func (s fiasEncoder) encode(cmd hotel.Command) ([]Record, error) {
	var recs []Record
	switch c := cmd.(type) {
	case hotel.CheckIn:
		// FIAS "Guest Check-in" GI: RN room, G# reservation, GN name,
		// GL language, GV VIP status.
		recs = append(recs, s.guestInfo("GI", c.Room, "", c.Reservation, c.Guest, c.Language, c.VIP))
		if c.COS != "" {
			re, err := s.cosRecord(c.Room, c.COS)
			if err != nil {
				return nil, err
			}
			recs = append(recs, re)
		}
	case hotel.CheckOut:
		// FIAS "Guest Check-out" GO: RN, G#.
		r := Record{Type: "GO"}
		r.Add("RN", string(c.Room))
		if c.Reservation != "" {
			r.Add("G#", c.Reservation)
		}
		recs = append(recs, r)
	case hotel.RoomMove:
		// FIAS "Guest Data Change" GC with RO (old room) is a room move.
		recs = append(recs, s.guestInfo("GC", c.To, c.From, c.Reservation, c.Guest, c.Language, false))
	case hotel.NameChange:
		recs = append(recs, s.guestInfo("GC", c.Room, "", c.Reservation, c.Guest, c.Language, false))
	case hotel.SetCOS:
		re, err := s.cosRecord(c.Room, c.COS)
		if err != nil {
			return nil, err
		}
		recs = append(recs, re)
	case hotel.DND:
		// FIAS "Room Equipment Status" RE, DN do-not-disturb Y/N.
		r := Record{Type: "RE"}
		r.Add("RN", string(c.Room))
		r.Add("DN", yn(c.On))
		recs = append(recs, r)
	case hotel.MWL:
		// RE, ML message light Y/N.
		r := Record{Type: "RE"}
		r.Add("RN", string(c.Room))
		r.Add("ML", yn(c.On))
		recs = append(recs, r)
	case hotel.WakeupSet:
		// FIAS "Wakeup Request" WR: RN, DA, TI. No repeat flag: the core
		// re-arms daily wake-ups after each WA.
		recs = append(recs, s.wakeupRecord("WR", c.Room, c.At))
	case hotel.WakeupCancel:
		// FIAS "Wakeup Clear" WC: the same RN, DA, TI as the WR.
		recs = append(recs, s.wakeupRecord("WC", c.Room, c.At))
	default:
		return nil, fmt.Errorf("%w: %T", hotel.ErrUnsupported, cmd)
	}
	for i, r := range recs {
		if r.Type != "GI" && r.Type != "GC" {
			if v, _ := r.Get("RN"); v == "" {
				return nil, fmt.Errorf("%w: %s without a room", hotel.ErrNotAccepted, r.Type)
			}
		}
		f, err := s.filter(r)
		if err != nil {
			return nil, err
		}
		// Guest records may lose optional fields (no GV on this PBX); a
		// room-equipment or wake-up record without its payload means the
		// PBX cannot do what was asked.
		if r.Type != "GI" && r.Type != "GC" && len(f.Fields) < len(r.Fields) {
			var lost []string
			for _, fl := range r.Fields {
				if !f.Has(fl.ID) {
					lost = append(lost, fl.ID)
				}
			}
			return nil, fmt.Errorf("%w: the PBX did not ask for %s fields %v (LR)", hotel.ErrUnsupported, r.Type, lost)
		}
		recs[i] = f
	}
	return recs, nil
}

func (s fiasEncoder) guestInfo(typ string, room, from hotel.Room, resv, guest, lang string, vip bool) Record {
	r := Record{Type: typ}
	r.Add("RN", string(room))
	if from != "" {
		r.Add("RO", string(from))
	}
	if resv != "" {
		r.Add("G#", resv)
	}
	if guest != "" {
		r.Add("GN", guest)
	}
	if lang != "" {
		r.Add("GL", strings.ToUpper(lang))
	}
	if typ == "GI" {
		r.Add("GV", map[bool]string{true: "1", false: "0"}[vip])
	}
	return r
}

func (s fiasEncoder) cosRecord(room hotel.Room, cos hotel.COS) (Record, error) {
	cs, ok := s.p.COS[cos]
	if !ok {
		return Record{}, fmt.Errorf("%w: class of service %q not in profile %s", hotel.ErrNotAccepted, cos, s.p.ID)
	}
	// FIAS RE, CS class of service.
	r := Record{Type: "RE"}
	r.Add("RN", string(room))
	r.Add("CS", cs)
	return r, nil
}

func (s fiasEncoder) wakeupRecord(typ string, room hotel.Room, at time.Time) Record {
	r := Record{Type: typ}
	r.Add("RN", string(room))
	da, ti := fiasDateTime(at.In(s.loc))
	r.Add("DA", da)
	r.Add("TI", ti)
	return r
}

// filter keeps the fields the PBX asked for in its LR records (FIAS "Link
// Record": the vendor only receives the records and fields it listed) and
// the fields the profile lists. A record type the PBX did not list is not
// sent at all.
func (s fiasEncoder) filter(r Record) (Record, error) {
	var want map[string]bool
	if s.lr != nil {
		w, ok := s.lr[r.Type]
		if !ok {
			return Record{}, fmt.Errorf("%w: the PBX did not ask for %s records (no LR)", hotel.ErrUnsupported, r.Type)
		}
		want = w
	}
	prof, hasProf := s.p.Records[r.Type]
	if want == nil && !hasProf {
		return r, nil
	}
	out := Record{Type: r.Type, Fields: make([]Field, 0, len(r.Fields))}
	for _, f := range r.Fields {
		if want != nil && !want[f.ID] {
			continue
		}
		if hasProf && !containsStr(prof, f.ID) {
			continue
		}
		out.Fields = append(out.Fields, f)
	}
	return out, nil
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// decode turns a vendor record into model records.
func decodeFIAS(p *Profile, loc *time.Location, r Record, raw string) ([]any, error) {
	rn, _ := r.Get("RN")
	room := hotel.Room(strings.TrimSpace(rn))
	switch r.Type {
	case "WA":
		// FIAS "Wakeup Answer" WA: the WR's RN, DA, TI echoed, AS answer status.
		if room == "" {
			return nil, fmt.Errorf("%w: WA without RN", ErrRecord)
		}
		at, err := parseRecordTime(r, loc)
		if err != nil {
			return nil, err
		}
		code, _ := r.Get("AS")
		st, ok := p.WakeupAnswers[code]
		if !ok {
			st = hotel.WakeupUnknown
		}
		return []any{hotel.WakeupResult{Room: room, At: at, Status: st, Code: code, Raw: raw}}, nil
	case "RE":
		// FIAS "Room Equipment Status" from the vendor: RS maid status
		// dialed on the room phone, DN set on the phone, ML cleared.
		if room == "" {
			return nil, fmt.Errorf("%w: RE without RN", ErrRecord)
		}
		var out []any
		if v, ok := r.Get("RS"); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("%w: RE RS %q is not a number", ErrRecord, v)
			}
			out = append(out, hotel.RoomStatus{Room: room, Code: n, Label: p.RoomStatus[n], Raw: raw})
		}
		if v, ok := r.Get("DN"); ok {
			out = append(out, hotel.DND{Room: room, On: v == "Y"})
		}
		if v, ok := r.Get("ML"); ok {
			out = append(out, hotel.MWL{Room: room, On: v == "Y"})
		}
		return out, nil
	case "GI", "GO", "GC":
		// Guest check-in, check-out and change from the PBX's side (a PBX
		// whose own console checks guests in, or one that passes on its
		// PMS's records): the same fields the gateway sends (RN room, RO old
		// room of a move, G# reservation, GN name, GL language, GV VIP).
		if room == "" {
			return nil, fmt.Errorf("%w: %s without RN", ErrRecord, r.Type)
		}
		resv, _ := r.Get("G#")
		name, _ := r.Get("GN")
		lang, _ := r.Get("GL")
		switch r.Type {
		case "GI":
			vip, _ := r.Get("GV")
			return []any{hotel.CheckIn{Room: room, Reservation: resv, Guest: name, Language: strings.ToLower(lang), VIP: vip != "" && vip != "0"}}, nil
		case "GO":
			return []any{hotel.CheckOut{Room: room, Reservation: resv}}, nil
		}
		if ro, ok := r.Get("RO"); ok && strings.TrimSpace(ro) != "" && hotel.Room(strings.TrimSpace(ro)) != room {
			return []any{hotel.RoomMove{From: hotel.Room(strings.TrimSpace(ro)), To: room, Reservation: resv, Guest: name, Language: strings.ToLower(lang)}}, nil
		}
		return nil, nil // a change of name or language only: nothing the gateway keeps
	case "WR", "WC":
		// A wake-up the guest set or cleared on the room phone.
		at, err := parseRecordTime(r, loc)
		if err != nil {
			return nil, err
		}
		if r.Type == "WR" {
			return []any{hotel.WakeupSet{Room: room, At: at}}, nil
		}
		return []any{hotel.WakeupCancel{Room: room, At: at}}, nil
	}
	return nil, fmt.Errorf("%w: record %s not handled", hotel.ErrUnsupported, r.Type)
}

func decodePosting(loc *time.Location, r Record, raw string) (hotel.Posting, error) {
	p := hotel.Posting{Raw: raw}
	rn, _ := r.Get("RN")
	p.Room = hotel.Room(strings.TrimSpace(rn))
	p.Number, _ = r.Get("P#")
	if p.Room == "" || p.Number == "" {
		return p, fmt.Errorf("%w: PS needs RN and P#", ErrRecord)
	}
	at, err := parseRecordTime(r, loc)
	if err != nil {
		return p, err
	}
	p.At = at
	p.Dialed, _ = r.Get("DD")
	p.CallType, _ = r.Get("CT")
	p.PostingType, _ = r.Get("PT")
	if v, ok := r.Get("DU"); ok && v != "" {
		d, err := parseHHMMSS(v)
		if err != nil {
			return p, fmt.Errorf("%w: PS DU %q: %v", ErrRecord, v, err)
		}
		p.Duration = d
	}
	if v, ok := r.Get("MP"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, fmt.Errorf("%w: PS MP %q is not a pulse count", ErrRecord, v)
		}
		p.MeterPulses = n
	}
	if v, ok := r.Get("TA"); ok && v != "" {
		// FIAS TA: total amount in the smallest currency unit, no point.
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return p, fmt.Errorf("%w: PS TA %q is not an amount in minor units", ErrRecord, v)
		}
		p.Amount = n
	}
	return p, nil
}

// fiasDateTime formats DA (YYMMDD) and TI (HHMMSS), FIAS "Field
// definitions".
func fiasDateTime(t time.Time) (string, string) {
	return t.Format("060102"), t.Format("150405")
}

func parseRecordTime(r Record, loc *time.Location) (time.Time, error) {
	da, _ := r.Get("DA")
	ti, _ := r.Get("TI")
	return parseFIASDateTime(da, ti, loc)
}

func parseFIASDateTime(da, ti string, loc *time.Location) (time.Time, error) {
	if len(ti) == 4 {
		ti += "00"
	}
	t, err := time.ParseInLocation("060102150405", da+ti, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: DA %q TI %q: not YYMMDD HHMMSS", ErrRecord, da, ti)
	}
	return t, nil
}

func parseHHMMSS(v string) (time.Duration, error) {
	if len(v) != 6 {
		return 0, fmt.Errorf("want HHMMSS")
	}
	var n [3]int
	for i := range n {
		x, err := strconv.Atoi(v[2*i : 2*i+2])
		if err != nil || x < 0 {
			return 0, fmt.Errorf("want HHMMSS")
		}
		n[i] = x
	}
	return time.Duration(n[0])*time.Hour + time.Duration(n[1])*time.Minute + time.Duration(n[2])*time.Second, nil
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}
