package hotelink

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	hotelinkprofiles "switchboard/firmware-profiles/hotelink"
	"switchboard/internal/events/hotel"
)

// Protocols a profile can name.
const (
	ProtoFIAS      = "fias"
	ProtoSX200     = "sx200"
	ProtoShenou    = "shenou"
	ProtoPanasonic = "panasonic-smdr"
)

// Ack modes of the link layer.
const (
	AckNone   = "none"
	AckACKNAK = "ack_nak"
)

// Profile is one hotel-link profile (firmware-profiles/hotelink/*.yaml).
type Profile struct {
	ID          string `yaml:"id"`
	Extends     string `yaml:"extends"`
	Protocol    string `yaml:"protocol"`
	Vendor      string `yaml:"vendor"`
	Description string `yaml:"description"`
	Framing     struct {
		LRC bool   `yaml:"lrc"`
		Ack string `yaml:"ack"`
	} `yaml:"framing"`
	Timers struct {
		Keepalive   time.Duration `yaml:"keepalive"`
		LinkTimeout time.Duration `yaml:"link_timeout"`
		AckTimeout  time.Duration `yaml:"ack_timeout"`
		Retries     int           `yaml:"retries"`
	} `yaml:"timers"`
	Link struct {
		Describe          string `yaml:"describe"`
		Version           string `yaml:"version"`
		Interface         string `yaml:"interface"`
		ResyncOnLinkStart bool   `yaml:"resync_on_link_start"`
	} `yaml:"link"`
	Records       map[string][]string           `yaml:"records"`
	COS           map[hotel.COS]string          `yaml:"cos"`
	WakeupAnswers map[string]hotel.WakeupStatus `yaml:"wakeup_answers"`
	RoomStatus    map[int]string                `yaml:"room_status"`
	SX200         struct {
		RoomWidth int               `yaml:"room_width"`
		Functions map[string]string `yaml:"functions"`
	} `yaml:"sx200"`
	SMDRKinds map[string]string `yaml:"smdr_kinds"`
	// Capabilities say where the PBX's hotel interface falls short of the
	// full model; unset keys mean it does not.
	Capabilities struct {
		// Commands false: the PBX takes no command over its link, a
		// person sets each one at the attendant console (Panasonic).
		Commands *bool `yaml:"commands"`
		// DatedWakeups false: the PBX's wake-up record carries a time of
		// day and no date (SX-200 WAK HHMM), so it rings at the next such
		// time.
		DatedWakeups *bool `yaml:"dated_wakeups"`
	} `yaml:"capabilities"`
	Examples []ProfileExample `yaml:"examples"`
}

// HotelCapabilities is what the profile's PBX can do, for the hotel desk.
func (p *Profile) HotelCapabilities() hotel.Capabilities {
	c := hotel.Capabilities{Profile: p.ID, Commands: true, DatedWakeups: true, ResyncOnLinkStart: p.Link.ResyncOnLinkStart}
	if v := p.Capabilities.Commands; v != nil {
		c.Commands = *v
	}
	if v := p.Capabilities.DatedWakeups; v != nil {
		c.DatedWakeups = *v
	}
	for cos := range p.COS {
		c.COS = append(c.COS, cos)
	}
	slices.Sort(c.COS)
	return c
}

// ProfileExample is an inline example: a raw record from the PBX and what
// the driver must make of it.
type ProfileExample struct {
	Raw    string            `yaml:"raw"`
	Expect map[string]string `yaml:"expect"`
}

// LoadProfile reads an embedded profile by id, resolving `extends`.
func LoadProfile(id string) (*Profile, error) {
	return loadProfile(hotelinkprofiles.FS, id, 0)
}

// ProfileIDs lists the embedded profiles.
func ProfileIDs() []string {
	ents, _ := fs.ReadDir(hotelinkprofiles.FS, ".")
	var ids []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			ids = append(ids, n)
		}
	}
	sort.Strings(ids)
	return ids
}

func loadProfile(fsys fs.FS, id string, depth int) (*Profile, error) {
	if depth > 4 {
		return nil, fmt.Errorf("hotelink profile %s: extends chain too deep", id)
	}
	b, err := fs.ReadFile(fsys, id+".yaml")
	if err != nil {
		return nil, fmt.Errorf("hotelink profile %s: %w", id, err)
	}
	var head struct {
		Extends string `yaml:"extends"`
	}
	if err := yaml.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("hotelink profile %s: %w", id, err)
	}
	p := &Profile{}
	if head.Extends != "" {
		if p, err = loadProfile(fsys, head.Extends, depth+1); err != nil {
			return nil, fmt.Errorf("hotelink profile %s: %w", id, err)
		}
		p.Examples = nil // a child's examples are its own
	}
	if err := decodeInto(b, p); err != nil {
		return nil, fmt.Errorf("hotelink profile %s: %w", id, err)
	}
	if p.ID != id {
		return nil, fmt.Errorf("hotelink profile %s: id %q does not match the file name", id, p.ID)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("hotelink profile %s: %w", id, err)
	}
	return p, nil
}

// ParseProfile reads one profile without `extends` (tests, a site directory).
func ParseProfile(b []byte) (*Profile, error) {
	p := &Profile{}
	if err := decodeInto(b, p); err != nil {
		return nil, err
	}
	if p.Extends != "" {
		return nil, errors.New("hotelink profile: extends needs LoadProfile")
	}
	return p, p.validate()
}

func decodeInto(b []byte, p *Profile) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // unknown keys are typos, not extensions
	return dec.Decode(p)
}

func (p *Profile) validate() error {
	switch p.Protocol {
	case ProtoFIAS, ProtoSX200, ProtoShenou, ProtoPanasonic:
	default:
		return fmt.Errorf("protocol %q: want fias, sx200, shenou or panasonic-smdr", p.Protocol)
	}
	switch p.Framing.Ack {
	case "":
		p.Framing.Ack = AckNone
	case AckNone, AckACKNAK:
	default:
		return fmt.Errorf("framing.ack %q: want none or ack_nak", p.Framing.Ack)
	}
	switch p.Link.Describe {
	case "":
		p.Link.Describe = "pbx"
	case "pbx", "gateway":
	default:
		return fmt.Errorf("link.describe %q: want pbx or gateway", p.Link.Describe)
	}
	if p.Timers.Keepalive < 0 || p.Timers.LinkTimeout < 0 || p.Timers.AckTimeout < 0 || p.Timers.Retries < 0 {
		return errors.New("timers must not be negative")
	}
	if p.Timers.AckTimeout == 0 {
		p.Timers.AckTimeout = 2 * time.Second
	}
	if p.Timers.LinkTimeout == 0 && p.Timers.Keepalive > 0 {
		p.Timers.LinkTimeout = 3 * p.Timers.Keepalive
	}
	for c := range p.COS {
		switch c {
		case hotel.COSBarred, hotel.COSLocal, hotel.COSNational, hotel.COSInternational:
		default:
			return fmt.Errorf("cos %q: want barred, local, national or international", c)
		}
	}
	for code, st := range p.WakeupAnswers {
		switch st {
		case hotel.WakeupAnswered, hotel.WakeupBusy, hotel.WakeupNoAnswer, hotel.WakeupDeleted, hotel.WakeupRetry, hotel.WakeupUnprocessable:
		default:
			return fmt.Errorf("wakeup_answers %s: unknown outcome %q", code, st)
		}
	}
	for rec, fields := range p.Records {
		if len(rec) != 2 {
			return fmt.Errorf("records: %q is not a two-letter FIAS record id", rec)
		}
		for _, f := range fields {
			if len(f) != 2 {
				return fmt.Errorf("records %s: %q is not a two-character FIAS field id", rec, f)
			}
		}
	}
	if p.Protocol == ProtoSX200 && p.SX200.RoomWidth == 0 {
		p.SX200.RoomWidth = 5
	}
	return nil
}

// applyOptions lets a device's config override framing (e.g. a site that
// runs FIAS on serial without LRC).
func (p *Profile) applyOptions(opts map[string]any) error {
	for k, v := range opts {
		switch k {
		case "lrc":
			b, ok := v.(bool)
			if !ok {
				return fmt.Errorf("option lrc: want a bool, got %T", v)
			}
			p.Framing.LRC = b
		case "ack":
			s, ok := v.(string)
			if !ok || (s != AckNone && s != AckACKNAK) {
				return fmt.Errorf("option ack: want none or ack_nak, got %v", v)
			}
			p.Framing.Ack = s
		case "keepalive", "link_timeout", "ack_timeout":
			d, err := optDuration(v)
			if err != nil {
				return fmt.Errorf("option %s: %w", k, err)
			}
			switch k {
			case "keepalive":
				p.Timers.Keepalive = d
			case "link_timeout":
				p.Timers.LinkTimeout = d
			default:
				p.Timers.AckTimeout = d
			}
		case "describe":
			s, ok := v.(string)
			if !ok || (s != "pbx" && s != "gateway") {
				return fmt.Errorf("option describe: want pbx or gateway, got %v", v)
			}
			p.Link.Describe = s
		}
	}
	return nil
}

func optDuration(v any) (time.Duration, error) {
	switch x := v.(type) {
	case time.Duration:
		if x >= 0 {
			return x, nil
		}
	case string:
		d, err := time.ParseDuration(x)
		if err == nil && d >= 0 {
			return d, nil
		}
	}
	return 0, fmt.Errorf("want a non-negative duration such as 60s, got %v", v)
}
