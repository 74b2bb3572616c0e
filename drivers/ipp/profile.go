package ipp

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	printerprofiles "switchboard/firmware-profiles/printer"
	"switchboard/internal/events/printer"
)

// Profile is a printer model's quirks: where its counters come from, how
// it counts duplex and blank pages, its media names and formats. It is data
// (firmware-profiles/printer/*.yaml); keys are in docs/printers.md.
type Profile struct {
	ID          string   `yaml:"id"`
	Kind        string   `yaml:"kind"`
	Extends     string   `yaml:"extends"`
	Vendor      string   `yaml:"vendor"`
	Models      []string `yaml:"models"`
	Description string   `yaml:"description"`
	Counters    struct {
		Source          string `yaml:"source"` // ipp, snmp, auto
		IPPAttribute    string `yaml:"ipp_attribute"`
		IPPColAttribute string `yaml:"ipp_col_attribute"`
	} `yaml:"counters"`
	Impressions struct {
		DuplexBlankBackCounted *bool `yaml:"duplex_blank_back_counted"`
		BlankPagesCounted      *bool `yaml:"blank_pages_counted"`
	} `yaml:"impressions"`
	Media      map[string]string `yaml:"media"`
	Formats    []string          `yaml:"formats"`
	PostScript string            `yaml:"postscript"` // convert, reject
	Examples   []ProfileExample  `yaml:"examples"`
}

// ProfileExample is an inline check of the profile: these
// printer-state-reasons must normalize to these reasons and alerts.
type ProfileExample struct {
	Reasons       []string `yaml:"reasons"`
	ExpectReasons []string `yaml:"expect_reasons"`
	ExpectAlerts  []string `yaml:"expect_alerts"`
}

// LoadProfile reads profile id from dir (when not nil, it overrides and
// adds) or from the embedded profiles, resolving extends.
func LoadProfile(id string, dir fs.FS) (*Profile, error) {
	return loadProfile(id, dir, nil)
}

func loadProfile(id string, dir fs.FS, seen []string) (*Profile, error) {
	if slices.Contains(seen, id) {
		return nil, fmt.Errorf("printer profile %s: extends loop %v", id, append(seen, id))
	}
	data, err := readProfile(id, dir)
	if err != nil {
		return nil, err
	}
	var p Profile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt quirk is an error, not a silent default
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("printer profile %s: %w", id, err)
	}
	if p.ID != id {
		return nil, fmt.Errorf("printer profile %s: file says id %q", id, p.ID)
	}
	if p.Kind != "printer" {
		return nil, fmt.Errorf("printer profile %s: kind %q, want printer", id, p.Kind)
	}
	if p.Extends != "" {
		base, err := loadProfile(p.Extends, dir, append(seen, id))
		if err != nil {
			return nil, err
		}
		p = merge(*base, p)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("printer profile %s: %w", id, err)
	}
	return &p, nil
}

func readProfile(id string, dir fs.FS) ([]byte, error) {
	if strings.ContainsAny(id, "/\\") || id == "" {
		return nil, fmt.Errorf("printer profile %q: bad id", id)
	}
	name := id + ".yaml"
	if dir != nil {
		b, err := fs.ReadFile(dir, name)
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	b, err := fs.ReadFile(printerprofiles.FS, name)
	if err != nil {
		return nil, fmt.Errorf("printer profile %q: not found (have %v)", id, ProfileIDs())
	}
	return b, nil
}

// ProfileIDs lists the embedded printer profiles.
func ProfileIDs() []string {
	ents, _ := fs.ReadDir(printerprofiles.FS, ".")
	var ids []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			ids = append(ids, n)
		}
	}
	return ids
}

// merge lays child over base: set keys win, maps merge.
func merge(base, c Profile) Profile {
	out := base
	out.ID, out.Extends, out.Kind = c.ID, c.Extends, c.Kind
	if c.Vendor != "" {
		out.Vendor = c.Vendor
	}
	if c.Models != nil {
		out.Models = c.Models
	}
	if c.Description != "" {
		out.Description = c.Description
	}
	if c.Counters.Source != "" {
		out.Counters.Source = c.Counters.Source
	}
	if c.Counters.IPPAttribute != "" {
		out.Counters.IPPAttribute = c.Counters.IPPAttribute
	}
	if c.Counters.IPPColAttribute != "" {
		out.Counters.IPPColAttribute = c.Counters.IPPColAttribute
	}
	if c.Impressions.DuplexBlankBackCounted != nil {
		out.Impressions.DuplexBlankBackCounted = c.Impressions.DuplexBlankBackCounted
	}
	if c.Impressions.BlankPagesCounted != nil {
		out.Impressions.BlankPagesCounted = c.Impressions.BlankPagesCounted
	}
	if c.Media != nil {
		m := make(map[string]string, len(base.Media)+len(c.Media))
		for k, v := range base.Media {
			m[k] = v
		}
		for k, v := range c.Media {
			m[k] = v
		}
		out.Media = m
	}
	if c.Formats != nil {
		out.Formats = c.Formats
	}
	if c.PostScript != "" {
		out.PostScript = c.PostScript
	}
	out.Examples = append(slices.Clone(base.Examples), c.Examples...)
	return out
}

func (p *Profile) validate() error {
	switch p.Counters.Source {
	case "ipp", "snmp", "auto":
	default:
		return fmt.Errorf("counters.source %q: want ipp, snmp or auto", p.Counters.Source)
	}
	switch p.PostScript {
	case "convert", "reject":
	default:
		return fmt.Errorf("postscript %q: want convert or reject", p.PostScript)
	}
	for _, f := range p.Formats {
		if !strings.Contains(f, "/") {
			return fmt.Errorf("formats: %q is not a MIME type", f)
		}
	}
	return nil
}

// CheckExamples runs the profile's inline examples.
func (p *Profile) CheckExamples() error {
	var errs []error
	for i, ex := range p.Examples {
		got := NormalizeReasons(ex.Reasons)
		want := slices.Clone(ex.ExpectReasons)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			errs = append(errs, fmt.Errorf("example %d: reasons %v, want %v", i+1, got, want))
		}
		var kinds []string
		for k := range activeAlerts(printer.PrinterStatus{Reasons: got}) {
			kinds = append(kinds, string(k))
		}
		slices.Sort(kinds)
		wantA := slices.Clone(ex.ExpectAlerts)
		slices.Sort(wantA)
		if !slices.Equal(kinds, wantA) {
			errs = append(errs, fmt.Errorf("example %d: alerts %v, want %v", i+1, kinds, wantA))
		}
	}
	return errors.Join(errs...)
}

// SizeOf maps a PWG media name to the tariff size ("A4"), through the
// profile's table or, failing that, the name's size part: a media-key such
// as iso_a4_210x297mm_main_stationery still maps to A4.
func (p *Profile) SizeOf(media string) string {
	if s, ok := p.Media[media]; ok {
		return s
	}
	for name, s := range p.Media {
		if strings.HasPrefix(media, name+"_") {
			return s
		}
	}
	return ""
}

func (p *Profile) duplexBlankBack() bool {
	return p.Impressions.DuplexBlankBackCounted != nil && *p.Impressions.DuplexBlankBackCounted
}
