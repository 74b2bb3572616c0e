package folio

import (
	"fmt"
	"os"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/rating"
	"switchboard/tariffs"
)

// LoadBiller builds the rating engine and the room map from the config:
// the carrier tariff and hotel plan (files, or the embedded defaults), the
// site's numbering, and the rooms. isPBX says which devices' drivers print
// calls, whose options may adjust the plan. Every problem is reported;
// nothing is guessed.
func LoadBiller(cfg *config.Config, topics events.Topics, loc *time.Location, isPBX func(driver string) bool) (*Biller, error) {
	dir, err := LoadDirectory(cfg.Rooms)
	if err != nil {
		return nil, err
	}
	eng, err := LoadEngine(cfg.Billing, dir)
	if err != nil {
		return nil, err
	}
	b := &Biller{Engine: eng, Dir: dir, Mask: cfg.Billing.MaskDialed, Topics: topics, Loc: loc, Devices: map[string]*rating.Engine{}}
	// A PBX may differ from the site's plan: analogue trunks without answer
	// supervision need a grace, a PBX that costs calls itself may be trusted.
	for i, d := range cfg.Devices {
		if !isPBX(d.Driver) {
			continue
		}
		p := eng.Plan
		changed := false
		if v, ok := d.Options["pbx_cost"]; ok {
			s, _ := v.(string)
			switch rating.PBXPolicy(s) {
			case rating.PBXTrust, rating.PBXIgnore, rating.PBXCompare:
			default:
				return nil, fmt.Errorf("devices[%d].options.pbx_cost: %q is not one of trust, ignore, compare", i, v)
			}
			p, changed = p.WithPBXPolicy(rating.PBXPolicy(s)), true
		}
		if v, ok := d.Options["grace_s"]; ok {
			n, isInt := v.(int)
			if !isInt || n < 0 || n > 600 {
				return nil, fmt.Errorf("devices[%d].options.grace_s: %v is not a number of seconds from 0 to 600", i, v)
			}
			sub, _ := d.Options["grace_subtract"].(bool)
			p, changed = p.WithGrace(n, sub), true
		}
		if changed {
			de, err := rating.NewEngine(eng.Tariff, p)
			if err != nil {
				return nil, fmt.Errorf("devices[%d]: %w", i, err)
			}
			b.Devices[d.ID] = de
		}
	}
	return b, nil
}

// LoadDirectory builds the room map of the config's rooms.
func LoadDirectory(rooms []config.Rooms) (*Directory, error) {
	var specs []RoomSpec
	for i, r := range rooms {
		from, to, err := config.ExtensionRange(r.Extensions)
		if err != nil {
			return nil, fmt.Errorf("rooms[%d]: %w", i, err)
		}
		specs = append(specs, RoomSpec{From: from, To: to, Room: r.Room, Class: RoomClass(r.Class)})
	}
	dir, err := NewDirectory(specs)
	if err != nil {
		return nil, fmt.Errorf("rooms: %w", err)
	}
	return dir, nil
}

// LoadEngine loads the tariff and plan a billing config names, with the
// site's numbering and its extensions as internal numbers.
func LoadEngine(b config.Billing, dir *Directory) (*rating.Engine, error) {
	var t *rating.Tariff
	var err error
	if b.Tariff == "" {
		t, err = rating.LoadTariffFS(tariffs.FS, tariffs.DefaultTariff)
	} else {
		t, err = rating.LoadTariffFS(os.DirFS("/"), trimRoot(b.Tariff))
	}
	if err != nil {
		return nil, fmt.Errorf("billing.tariff %s: %w", orDefault(b.Tariff, tariffs.DefaultTariff), err)
	}
	site := t.Site()
	if b.Numbering.HomeArea != "" {
		site.HomeArea = b.Numbering.HomeArea
	}
	if b.Numbering.TrunkAccess != nil {
		site.TrunkAccess = b.Numbering.TrunkAccess
	}
	if dir != nil {
		for _, r := range dir.Ranges() {
			site.Internal = append(site.Internal, rating.Range{From: r[0], To: r[1]})
		}
	}
	if t, err = t.WithSite(site); err != nil {
		return nil, fmt.Errorf("billing.numbering: %w", err)
	}
	var planData []byte
	if b.Plan == "" {
		planData, err = tariffs.FS.ReadFile(tariffs.DefaultPlan)
	} else {
		planData, err = os.ReadFile(b.Plan)
	}
	if err != nil {
		return nil, fmt.Errorf("billing.plan: %w", err)
	}
	p, err := rating.LoadPlan(planData)
	if err != nil {
		return nil, fmt.Errorf("billing.plan %s: %w", orDefault(b.Plan, tariffs.DefaultPlan), err)
	}
	if b.PBXCost != "" {
		p = p.WithPBXPolicy(rating.PBXPolicy(b.PBXCost))
	}
	return rating.NewEngine(t, p)
}

func orDefault(s, d string) string {
	if s == "" {
		return "(embedded " + d + ")"
	}
	return s
}

// trimRoot makes a path usable with os.DirFS("/"): absolute without the
// leading slash, relative resolved against the working directory.
func trimRoot(p string) string {
	if len(p) > 0 && p[0] == '/' {
		return p[1:]
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	return trimRoot(wd + "/" + p)
}
