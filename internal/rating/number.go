package rating

import (
	"errors"
	"fmt"
	"strings"
)

// Site holds what a hotel's own dialing plan adds to a carrier tariff: its
// country and area, the codes its PBX puts in front of outside numbers, and
// which numbers are its own extensions.
type Site struct {
	HomeCountry         string   `yaml:"home_country"`         // "86"
	HomeArea            string   `yaml:"home_area"`            // "10" Beijing, "21" Shanghai
	TrunkAccess         []string `yaml:"trunk_access"`         // seize-a-line codes the SMDR keeps: "9", "0"
	InternationalPrefix string   `yaml:"international_prefix"` // "00"
	NationalPrefix      string   `yaml:"national_prefix"`      // "0"
	// LocalLengths are the lengths of subscriber numbers dialed without an
	// area code (China: 7 or 8 digits).
	LocalLengths []int `yaml:"local_lengths"`
	// Emergency numbers are dialed as is: 110 police, 119 fire, 120
	// ambulance, 122 traffic police, 112 (GSM emergency).
	Emergency []string `yaml:"emergency"`
	// MobilePrefix and MobileLength recognize mobile numbers dialed without
	// any prefix: China "1" + [3-9], 11 digits.
	MobilePrefix []string `yaml:"mobile_prefix"`
	MobileLength int      `yaml:"mobile_length"`
	// FreePrefix and FreeLength recognize nationwide numbers (400/800, 10 digits).
	FreePrefix []string `yaml:"free_prefix"`
	FreeLength int      `yaml:"free_length"`
	// ServicePrefix marks short national service numbers (China 1xxxx:
	// 114, 10000, 12345 ...) of at most ServiceMaxLength digits.
	ServicePrefix    []string `yaml:"service_prefix"`
	ServiceMaxLength int      `yaml:"service_max_length"`
	// Internal are the hotel's extension ranges; a dialed number within one
	// of them is an internal call and never rated.
	Internal []Range `yaml:"internal"`
}

// Range is an inclusive range of extension numbers of equal length:
// {From: "2000", To: "2999"}.
type Range struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

func (r Range) contains(s string) bool {
	return len(s) == len(r.From) && s >= r.From && s <= r.To
}

// ChinaSite is the dialing plan of a site in mainland China in area home
// (e.g. "10" Beijing), with trunk access code 9 kept in the SMDR.
func ChinaSite(home string) Site {
	return Site{
		HomeCountry:         "86",
		HomeArea:            home,
		TrunkAccess:         []string{"9"},
		InternationalPrefix: "00",
		NationalPrefix:      "0",
		LocalLengths:        []int{7, 8},
		Emergency:           []string{"110", "119", "120", "122", "112"},
		MobilePrefix:        []string{"13", "14", "15", "16", "17", "18", "19"},
		MobileLength:        11,
		FreePrefix:          []string{"400", "800"},
		FreeLength:          10,
		ServicePrefix:       []string{"1"},
		ServiceMaxLength:    6,
	}
}

// Kind is what normalization recognized in a dialed number, before any
// tariff is consulted.
type Kind uint8

// Kinds of dialed numbers.
const (
	KindUnknown       Kind = iota // digits that fit no rule of the dialing plan
	KindInternal                  // one of the hotel's extensions
	KindEmergency                 // 110, 119, 120, 122, 112
	KindService                   // short national service number (114, 10000)
	KindFree                      // 400/800 nationwide number
	KindMobile                    // national mobile number
	KindLocal                     // subscriber number in the home area
	KindNational                  // national prefix + area code + number
	KindInternational             // international prefix + country code + number
)

var kindNames = [...]string{"unknown", "internal", "emergency", "service", "free", "mobile", "local", "national", "international"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Number is a dialed number in canonical form.
type Number struct {
	// Digits is the number as the destination deck is keyed: country code
	// and national number for every outside number ("861012345678",
	// "81312345678", "86110"); the bare extension for internal calls.
	Digits string
	Kind   Kind
}

// ErrNotANumber is returned (wrapped) for dialed strings with no digits or
// with characters that are not digits or PBX marks (e.g. "*72#").
var ErrNotANumber = errors.New("not a dialable number")

// pbxMarks are characters PBXs print inside dialed digits: pause (P, ','),
// flash (F), '=' and '.' separators, 'X' for masked digits, '-' and spaces.
const pbxMarks = "PpFf=.,Xx- \t"

// maxDigits bounds a dialed number (ITU-T E.164 allows 15 digits; the
// access and international prefixes come on top).
const maxDigits = 24

// Normalize turns a dialed string as the PBX recorded it into a canonical
// Number. It never panics and allocates only for the result's digits. A
// number within the hotel's extension ranges is internal: use it for what
// the PBX did not send out (a number typed at the front desk, a call with
// no trunk and no outgoing mark).
func (s *Site) Normalize(dialed string) (Number, error) {
	return s.normalize(dialed, false)
}

// NormalizeOutside is Normalize for a call the PBX sent out (it seized a
// trunk, or marked the call outgoing): the number is the network's, never
// an extension. In a hotel whose rooms are 101-999, 110, 119, 120 and 122
// are rooms too, and a guest calling the police or the fire brigade must
// not be taken for a call to a room.
func (s *Site) NormalizeOutside(dialed string) (Number, error) {
	return s.normalize(dialed, true)
}

func (s *Site) normalize(dialed string, outside bool) (Number, error) {
	d, err := stripMarks(dialed)
	if err != nil {
		return Number{}, err
	}
	if !outside {
		for _, r := range s.Internal {
			if r.contains(d) {
				return Number{Digits: d, Kind: KindInternal}, nil
			}
		}
	}
	plus := false
	if d[0] == '+' {
		plus = true
		d = d[1:]
	} else if len(s.TrunkAccess) > 0 {
		// The longest access code that leaves a number behind.
		best := ""
		for _, a := range s.TrunkAccess {
			if len(a) > len(best) && len(d) > len(a) && strings.HasPrefix(d, a) {
				best = a
			}
		}
		d = d[len(best):]
		if len(d) > 0 && d[0] == '+' {
			plus = true
			d = d[1:]
		}
	}
	if d == "" || strings.IndexByte(d, '+') >= 0 {
		return Number{}, fmt.Errorf("%q: %w", dialed, ErrNotANumber)
	}
	cc := s.HomeCountry
	switch {
	case plus:
		return Number{Digits: d, Kind: KindInternational}, nil
	case s.InternationalPrefix != "" && strings.HasPrefix(d, s.InternationalPrefix):
		rest := d[len(s.InternationalPrefix):]
		if rest == "" {
			return Number{}, fmt.Errorf("%q: international prefix alone: %w", dialed, ErrNotANumber)
		}
		return Number{Digits: rest, Kind: KindInternational}, nil
	case s.NationalPrefix != "" && strings.HasPrefix(d, s.NationalPrefix):
		rest := d[len(s.NationalPrefix):]
		if rest == "" {
			return Number{}, fmt.Errorf("%q: national prefix alone: %w", dialed, ErrNotANumber)
		}
		if s.isMobile(rest) { // 0 + mobile: the old way to dial an out-of-area mobile
			return Number{Digits: cc + rest, Kind: KindMobile}, nil
		}
		return Number{Digits: cc + rest, Kind: KindNational}, nil
	case contains(s.Emergency, d):
		return Number{Digits: cc + d, Kind: KindEmergency}, nil
	case s.isMobile(d):
		return Number{Digits: cc + d, Kind: KindMobile}, nil
	case len(d) == s.FreeLength && hasAnyPrefix(d, s.FreePrefix):
		return Number{Digits: cc + d, Kind: KindFree}, nil
	case len(d) <= s.ServiceMaxLength && hasAnyPrefix(d, s.ServicePrefix):
		return Number{Digits: cc + d, Kind: KindService}, nil
	case containsInt(s.LocalLengths, len(d)):
		return Number{Digits: cc + s.HomeArea + d, Kind: KindLocal}, nil
	}
	return Number{Digits: cc + s.HomeArea + d, Kind: KindUnknown}, nil
}

func (s *Site) isMobile(d string) bool {
	return s.MobileLength > 0 && len(d) == s.MobileLength && hasAnyPrefix(d, s.MobilePrefix)
}

// stripMarks removes PBX marks and checks that only digits (and a leading
// '+') remain. It returns a substring of dialed when there is nothing to strip.
func stripMarks(dialed string) (string, error) {
	clean := true
	n := 0
	for i := 0; i < len(dialed); i++ {
		c := dialed[i]
		switch {
		case c >= '0' && c <= '9':
			n++
		case c == '+': // Normalize accepts it only in front of the number
		case strings.IndexByte(pbxMarks, c) >= 0:
			clean = false
		default:
			return "", fmt.Errorf("%q: character %q: %w", dialed, c, ErrNotANumber)
		}
	}
	if n == 0 {
		return "", fmt.Errorf("%q: no digits: %w", dialed, ErrNotANumber)
	}
	if n > maxDigits {
		return "", fmt.Errorf("%q: more than %d digits: %w", dialed, maxDigits, ErrNotANumber)
	}
	if clean {
		return dialed, nil
	}
	b := make([]byte, 0, n+1)
	for i := 0; i < len(dialed); i++ {
		if c := dialed[i]; c >= '0' && c <= '9' || c == '+' {
			b = append(b, c)
		}
	}
	return string(b), nil
}

func hasAnyPrefix(s string, ps []string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func contains(ss []string, s string) bool {
	for _, v := range ss {
		if v == s {
			return true
		}
	}
	return false
}

func containsInt(ns []int, n int) bool {
	for _, v := range ns {
		if v == n {
			return true
		}
	}
	return false
}

// validate lists problems of the site's dialing plan under path.
func (s *Site) validate(path string, errs *Errors) {
	digits := func(field, v string, required bool) {
		if v == "" {
			if required {
				errs.add(path+"."+field, "is required")
			}
			return
		}
		if !isDigits(v) {
			errs.add(path+"."+field, fmt.Sprintf("%q must be digits", v))
		}
	}
	digits("home_country", s.HomeCountry, true)
	digits("home_area", s.HomeArea, false)
	digits("international_prefix", s.InternationalPrefix, false)
	digits("national_prefix", s.NationalPrefix, false)
	for i, v := range s.TrunkAccess {
		digits(fmt.Sprintf("trunk_access[%d]", i), v, true)
	}
	for i, v := range s.Emergency {
		digits(fmt.Sprintf("emergency[%d]", i), v, true)
	}
	for i, v := range s.MobilePrefix {
		digits(fmt.Sprintf("mobile_prefix[%d]", i), v, true)
	}
	for i, v := range s.FreePrefix {
		digits(fmt.Sprintf("free_prefix[%d]", i), v, true)
	}
	for i, v := range s.ServicePrefix {
		digits(fmt.Sprintf("service_prefix[%d]", i), v, true)
	}
	for i, r := range s.Internal {
		p := fmt.Sprintf("%s.internal[%d]", path, i)
		switch {
		case !isDigits(r.From) || !isDigits(r.To):
			errs.add(p, fmt.Sprintf("%q..%q must be digits", r.From, r.To))
		case len(r.From) != len(r.To):
			errs.add(p, fmt.Sprintf("%q..%q must have the same length", r.From, r.To))
		case r.From > r.To:
			errs.add(p, fmt.Sprintf("%q is after %q", r.From, r.To))
		}
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
