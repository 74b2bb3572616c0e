package rating

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Class is the charging class of a destination.
type Class string

// Classes. A hotel plan sets its markup per class; reports count IDD/DDD.
const (
	ClassInternal  Class = "internal"  // hotel extension to extension
	ClassEmergency Class = "emergency" // 110, 119, 120, 122, 112: free, raises an alert
	ClassFree      Class = "free"      // 400/800 and free service numbers
	ClassLocal     Class = "local"     // within the home area
	ClassMobile    Class = "mobile"    // national mobile
	ClassDDD       Class = "ddd"       // domestic long distance
	ClassHKMOTW    Class = "hkmotw"    // Hong Kong, Macau, Taiwan
	ClassIDD       Class = "idd"       // international
	ClassSpecial   Class = "special"   // premium or service numbers priced on their own
)

var classes = []Class{ClassInternal, ClassEmergency, ClassFree, ClassLocal, ClassMobile, ClassDDD, ClassHKMOTW, ClassIDD, ClassSpecial}

func (c Class) valid() bool {
	for _, k := range classes {
		if c == k {
			return true
		}
	}
	return false
}

// Destination is one entry of a destination deck.
type Destination struct {
	Prefix string `yaml:"prefix"` // canonical digits: "81", "8610", "86139"
	Name   string `yaml:"name"`   // "Japan", "Beijing"
	Class  Class  `yaml:"class"`
	Rate   string `yaml:"rate"` // id of a rate of the same tariff version
}

// BandPolicy says how a call that crosses a band edge is rated.
type BandPolicy string

const (
	// Split prices each charging unit at the band in force when the unit
	// starts (units are counted from the call's start as if there were no
	// bands; only their price changes).
	Split BandPolicy = "split"
	// Start prices the whole call at the band in force when it starts.
	Start BandPolicy = "start"
)

// Limits that keep the per-call work (and the stack arrays it uses) bounded.
const (
	maxGroups = 8
	maxBands  = 15
)

// --- the file format (see docs/tariffs.md) ---------------------------------

type tariffSpec struct {
	Tariff          string                  `yaml:"tariff"`
	Description     string                  `yaml:"description"`
	Currency        string                  `yaml:"currency"`
	MinorUnits      *int                    `yaml:"minor_units"`
	Rounding        string                  `yaml:"rounding"`
	Site            *Site                   `yaml:"site"`
	Holidays        []string                `yaml:"holidays"`
	Workdays        []string                `yaml:"workdays"`
	LocalRate       string                  `yaml:"local_rate"`
	Fallback        map[string]fallbackSpec `yaml:"fallback"`
	Version         string                  `yaml:"version"`
	Effective       string                  `yaml:"effective"`
	Rates           []rateSpec              `yaml:"rates"`
	Destinations    []Destination           `yaml:"destinations"`
	DestinationsCSV string                  `yaml:"destinations_csv"`
	Versions        []versionSpec           `yaml:"versions"`
	Sources         []string                `yaml:"sources"`
}

type fallbackSpec struct {
	Name  string `yaml:"name"`
	Class Class  `yaml:"class"`
	Rate  string `yaml:"rate"`
}

type versionSpec struct {
	Version      string        `yaml:"version"`
	Effective    string        `yaml:"effective"`
	Note         string        `yaml:"note"`
	Rates        []rateSpec    `yaml:"rates"`
	Destinations []Destination `yaml:"destinations"`
	Remove       []string      `yaml:"remove"`
}

type rateSpec struct {
	ID      string     `yaml:"id"`
	Name    string     `yaml:"name"`
	Connect Money      `yaml:"connect"`
	Steps   []stepSpec `yaml:"steps"`
	Bands   []bandSpec `yaml:"bands"`
	Policy  BandPolicy `yaml:"band_policy"`
	Cap     Money      `yaml:"cap"`
}

type stepSpec struct {
	UnitS int   `yaml:"unit_s"`
	Units int   `yaml:"units"` // 0: repeats to the end of the call (last step only)
	Price Money `yaml:"price"`
}

type bandSpec struct {
	Name   string   `yaml:"name"`
	Days   []string `yaml:"days"`
	From   string   `yaml:"from"`
	To     string   `yaml:"to"`
	Factor *Percent `yaml:"factor"`
	Rate   string   `yaml:"rate"`
}

// --- the compiled form ------------------------------------------------------

// Tariff is a loaded, validated carrier tariff: its versions, each with a
// destination deck in a digit trie and its rates. It is immutable and safe
// for concurrent use.
type Tariff struct {
	name       string
	currency   string
	minorUnits int
	rounding   RoundingMode
	site       Site
	holidays   map[int32]bool // civil date yyyymmdd
	workdays   map[int32]bool
	versions   []*version // by effective, ascending
	warnings   Errors
}

type version struct {
	id        string
	effective int64 // civil yyyymmddhhmm in the site's zone
	trie      *trie
	dests     []dest
	rates     map[string]*rate
	local     *rate
	fallback  [KindInternational + 1]*dest
}

type dest struct {
	Destination
	rate *rate
}

type rate struct {
	id      string
	connect Money
	groups  []group
	bands   []band
	policy  BandPolicy
	cap     Money // 0: none
	// sched[day type] covers 0..86400 s with band indexes (-1 base).
	sched [dayTypes][]segment
}

type group struct {
	start int64 // offset of its first unit from the call's start, seconds
	unitS int64
	units int64 // 0: unlimited
	price Money
}

type band struct {
	name   string
	factor Percent // 0 when the band has its own rate
	rate   *rate   // nil when the band applies a factor
	prices []Money // per group, for the split policy
}

type segment struct {
	from, to int32 // seconds of the day
	band     int16 // -1: base
}

// Day types: time.Weekday 0..6, then holiday and make-up working day.
const (
	dayHoliday = 7
	dayWorkday = 8
	dayTypes   = 9
)

// Name is the tariff's name.
func (t *Tariff) Name() string { return t.name }

// Currency is the ISO 4217 code of every amount in the tariff.
func (t *Tariff) Currency() string { return t.currency }

// Site returns the dialing plan used to normalize numbers.
func (t *Tariff) Site() Site { return t.site }

// Warnings lists what loaded but looks wrong (a prefix that repeats its
// parent's class and rate).
func (t *Tariff) Warnings() []Problem { return t.warnings }

// Versions lists the version ids with their effective times, ascending.
func (t *Tariff) Versions() []string {
	out := make([]string, len(t.versions))
	for i, v := range t.versions {
		out[i] = v.id
	}
	return out
}

// WithSite returns a copy of the tariff that normalizes numbers with site's
// dialing plan (the hotel's area, trunk access codes and extensions).
func (t *Tariff) WithSite(site Site) (*Tariff, error) {
	var errs Errors
	site.validate("site", &errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	c := *t
	c.site = site
	return &c, nil
}

// LoadTariff reads a tariff from YAML. A tariff that refers to a CSV deck
// (destinations_csv) needs LoadTariffFS.
func LoadTariff(data []byte) (*Tariff, error) {
	return loadTariff(data, nil, "")
}

// LoadTariffFS reads the tariff file name from fsys; destinations_csv is
// resolved relative to it.
func LoadTariffFS(fsys fs.FS, name string) (*Tariff, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("tariff: %w", err)
	}
	t, err := loadTariff(data, fsys, path.Dir(name))
	if err != nil {
		return nil, fmt.Errorf("tariff %s: %w", name, err)
	}
	return t, nil
}

// ReadTariff is LoadTariff from an io.Reader.
func ReadTariff(r io.Reader) (*Tariff, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("tariff: %w", err)
	}
	return LoadTariff(data)
}

func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty document")
		}
		return err
	}
	return nil
}

func loadTariff(data []byte, fsys fs.FS, dir string) (*Tariff, error) {
	var spec tariffSpec
	if err := decodeStrict(data, &spec); err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	var errs Errors
	base := spec.Destinations
	var csvLines []int
	basePath := func(i int) string {
		if i < len(spec.Destinations) {
			return fmt.Sprintf("destinations[%d]", i)
		}
		return fmt.Sprintf("%s:%d", spec.DestinationsCSV, csvLines[i-len(spec.Destinations)])
	}
	if spec.DestinationsCSV != "" {
		if fsys == nil {
			errs.add("destinations_csv", "a CSV deck needs LoadTariffFS")
		} else if f, err := fsys.Open(path.Join(dir, spec.DestinationsCSV)); err != nil {
			errs.addf("destinations_csv", "%v", err)
		} else {
			var deck []Destination
			deck, csvLines, err = readDeckCSV(f, spec.DestinationsCSV)
			f.Close()
			var de Errors
			if errors.As(err, &de) {
				errs = append(errs, de...)
			} else if err != nil {
				errs.addf("destinations_csv", "%v", err)
			}
			base = append(append([]Destination(nil), base...), deck...)
		}
	}
	t := compile(&spec, base, basePath, &errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	return t, nil
}

// compile validates spec and builds the tariff; problems go to errs.
func compile(spec *tariffSpec, base []Destination, basePath func(int) string, errs *Errors) *Tariff {
	t := &Tariff{name: spec.Tariff, currency: spec.Currency, minorUnits: 2}
	if t.name == "" {
		errs.add("tariff", "is required (the tariff's name)")
	}
	if len(t.currency) != 3 || strings.ToUpper(t.currency) != t.currency {
		errs.addf("currency", "%q is not an ISO 4217 code", t.currency)
	}
	if spec.MinorUnits != nil {
		if *spec.MinorUnits < 0 || *spec.MinorUnits > 4 {
			errs.addf("minor_units", "%d: want 0..4", *spec.MinorUnits)
		} else {
			t.minorUnits = *spec.MinorUnits
		}
	}
	if spec.Rounding != "" {
		m, err := ParseRoundingMode(spec.Rounding)
		if err != nil {
			errs.add("rounding", err.Error())
		}
		t.rounding = m
	}
	if spec.Site != nil {
		t.site = *spec.Site
		t.site.validate("site", errs)
	} else {
		errs.add("site", "is required (at least home_country)")
	}
	t.holidays = parseDates("holidays", spec.Holidays, errs)
	t.workdays = parseDates("workdays", spec.Workdays, errs)

	// The base version, then each amendment over the one before it.
	type vsrc struct {
		spec versionSpec
		path string
	}
	all := []vsrc{{versionSpec{Version: spec.Version, Effective: spec.Effective, Rates: spec.Rates, Destinations: base}, ""}}
	for i, v := range spec.Versions {
		all = append(all, vsrc{v, fmt.Sprintf("versions[%d].", i)})
	}
	var prev *version
	for i, vs := range all {
		v := &version{id: vs.spec.Version}
		if v.id == "" {
			errs.add(vs.path+"version", "is required")
		}
		eff, err := parseCivil(vs.spec.Effective)
		if err != nil {
			errs.addf(vs.path+"effective", "%v", err)
		}
		v.effective = eff
		if prev != nil && eff <= prev.effective && err == nil {
			errs.addf(vs.path+"effective", "%q is not after version %q", vs.spec.Effective, prev.id)
		}
		if prev != nil && v.id == prev.id {
			errs.addf(vs.path+"version", "%q repeats the previous version", v.id)
		}
		v.rates = compileRates(vs.path, vs.spec.Rates, prev, errs)
		if i == 0 && len(vs.spec.Rates) == 0 {
			errs.add("rates", "at least one rate is required")
		}
		pathOf := func(k int) string { return fmt.Sprintf("%sdestinations[%d]", vs.path, k) }
		if i == 0 {
			pathOf = basePath
		}
		t.compileDeck(v, prev, vs.path, vs.spec.Destinations, pathOf, vs.spec.Remove, errs, i == 0)
		if spec.LocalRate != "" {
			if v.local = v.rates[spec.LocalRate]; v.local == nil {
				errs.addf("local_rate", "unknown rate %q in version %q", spec.LocalRate, v.id)
			}
		}
		for _, kind := range sortedKeys(spec.Fallback) {
			fb := spec.Fallback[kind]
			p := "fallback." + kind
			k, ok := parseKind(kind)
			if !ok {
				errs.addf(p, "unknown number kind %q", kind)
				continue
			}
			if !fb.Class.valid() {
				errs.addf(p+".class", "unknown class %q", fb.Class)
			}
			r := v.rates[fb.Rate]
			if r == nil {
				errs.addf(p+".rate", "unknown rate %q in version %q", fb.Rate, v.id)
			}
			v.fallback[k] = &dest{Destination: Destination{Name: fb.Name, Class: fb.Class, Rate: fb.Rate}, rate: r}
		}
		t.versions = append(t.versions, v)
		prev = v
	}
	return t
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func parseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), true
		}
	}
	return 0, false
}

// compileDeck builds v's deck: the previous version's with changes, or
// (first version) a fresh one.
func (t *Tariff) compileDeck(v, prev *version, vpath string, ds []Destination, pathOf func(int) string, remove []string, errs *Errors, first bool) {
	if prev != nil && len(ds) == 0 && len(remove) == 0 {
		// Same deck; rates may have changed, so re-point the entries.
		v.trie = prev.trie
		v.dests = make([]dest, len(prev.dests))
		for i, d := range prev.dests {
			v.dests[i] = dest{Destination: d.Destination, rate: v.rates[d.Rate]}
		}
		return
	}
	if prev == nil {
		v.trie = newTrie(len(ds) * 3)
	} else {
		v.trie = prev.trie.clone()
		v.dests = make([]dest, len(prev.dests), len(prev.dests)+len(ds))
		for i, d := range prev.dests {
			v.dests[i] = dest{Destination: d.Destination, rate: v.rates[d.Rate]}
		}
	}
	for i, p := range remove {
		if !isDigits(p) {
			errs.addf(fmt.Sprintf("%sremove[%d]", vpath, i), "%q must be digits", p)
			continue
		}
		if v.trie.set(p, 0) == 0 {
			errs.addf(fmt.Sprintf("%sremove[%d]", vpath, i), "prefix %q is not in the deck", p)
		}
	}
	where := make(map[int32]int, len(ds)) // dest index+1 -> position in ds, for duplicates
	for i, d := range ds {
		p := pathOf(i)
		if d.Prefix == "" {
			errs.add(p+".prefix", "is required")
			continue
		}
		if !isDigits(d.Prefix) {
			errs.addf(p+".prefix", "%q %s", d.Prefix, notDigitsWhy(d.Prefix))
			continue
		}
		if d.Name == "" {
			errs.add(p+".name", "is required")
		}
		if !d.Class.valid() {
			errs.addf(p+".class", "unknown class %q", d.Class)
		}
		r := v.rates[d.Rate]
		if r == nil {
			errs.addf(p+".rate", "unknown rate %q", d.Rate)
		}
		v.dests = append(v.dests, dest{Destination: d, rate: r})
		idx := int32(len(v.dests))
		old := v.trie.set(d.Prefix, idx)
		if old != 0 {
			if j, ok := where[old]; ok {
				errs.addf(p+".prefix", "%q duplicates %s", d.Prefix, pathOf(j))
			} else if first {
				errs.addf(p+".prefix", "%q is defined twice", d.Prefix)
			}
			// In an amendment, replacing an older entry is the point.
		}
		where[idx] = i
	}
	// Overlaps that change nothing are probably copy-paste slips.
	for i, d := range ds {
		if !isDigits(d.Prefix) {
			continue
		}
		if a := v.trie.ancestor(d.Prefix); a != 0 {
			pd := v.dests[a-1]
			if pd.Class == d.Class && pd.Rate == d.Rate && pd.Name == d.Name {
				t.warnings.addf(pathOf(i)+".prefix",
					"%q repeats its parent %q (same name, class and rate)", d.Prefix, pd.Prefix)
			}
		}
	}
}

func notDigitsWhy(s string) string {
	for _, c := range s {
		switch {
		case c == ' ':
			return "contains a space"
		case c == '+':
			return "contains '+' (write country codes without it)"
		case c < '0' || c > '9':
			return fmt.Sprintf("contains %q (digits only)", c)
		}
	}
	return "must be digits"
}

var dayNames = map[string][]int{
	"sun": {0}, "mon": {1}, "tue": {2}, "wed": {3}, "thu": {4}, "fri": {5}, "sat": {6},
	"weekday": {1, 2, 3, 4, 5, dayWorkday}, "weekend": {0, 6}, "holiday": {dayHoliday},
	"all": {0, 1, 2, 3, 4, 5, 6, dayHoliday, dayWorkday},
}

var dayTypeNames = [dayTypes]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat", "holiday", "workday"}

// version returns the version in force at the wall-clock key.
func (t *Tariff) version(key int64) *version {
	vs := t.versions
	i := sort.Search(len(vs), func(i int) bool { return vs[i].effective > key })
	if i == 0 {
		return nil
	}
	return vs[i-1]
}

// dayType returns the day type of a civil date.
func (t *Tariff) dayType(y int, m time.Month, d int, wd time.Weekday) int {
	if t.holidays != nil || t.workdays != nil {
		k := dateKey(y, m, d)
		if t.holidays[k] {
			return dayHoliday
		}
		if t.workdays[k] {
			return dayWorkday
		}
	}
	return int(wd)
}
