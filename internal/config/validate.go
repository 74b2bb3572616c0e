package config

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the mini-PC may have no zoneinfo; billing times depend on the site's zone
	"unicode"
	"unicode/utf8"

	"switchboard/internal/passwd"
)

// Accepted values; the order is the one messages and docs list them in.
var (
	standardBauds = []int{300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200}
	parities      = []string{"none", "odd", "even", "mark", "space"}
	stopBits      = []string{"1", "1.5", "2"}
	flows         = []string{"none", "rtscts", "xonxoff"}
	logLevels     = []string{"debug", "info", "warn", "error"}
	logFormats    = []string{"text", "json"}
	brokerSchemes = []string{"tcp", "ssl", "tls", "mqtt", "mqtts", "ws", "wss"}
)

// Location is the site's time zone, in which the PBX stamps its calls and in
// which tariffs and reports are read. It is loaded once by Validate (so by
// Load and Parse, which reject a zone that does not load). On a Site that
// never went through Validate it loads Timezone itself and, if that fails,
// falls back to UTC.
func (s Site) Location() *time.Location {
	if s.loc != nil {
		return s.loc
	}
	if loc, err := loadZone(s.Timezone); err == nil {
		return loc
	}
	return time.UTC
}

// loadZone loads an IANA zone name; "" and "Local" are refused because the
// gateway's own clock zone is not necessarily the hotel's.
func loadZone(name string) (*time.Location, error) {
	switch name {
	case "":
		return nil, fmt.Errorf("required (an IANA zone name such as Asia/Shanghai)")
	case "Local":
		return nil, fmt.Errorf("must name the hotel's zone (e.g. Asia/Shanghai), not Local: the gateway's clock zone may differ")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a known IANA time zone (e.g. Asia/Shanghai, Europe/Paris)", name)
	}
	return loc, nil
}

// Validate checks cfg against every rule and returns a *ValidationError
// listing all problems in the order of the Config fields, or nil. check,
// when non-nil, is asked about each device's driver and profile; without
// it those are not checked. Validate does not
// apply defaults (see ApplyDefaults); it records the loaded site zone.
func Validate(cfg *Config, check Drivers) error {
	if ps := validate(cfg, check); len(ps) > 0 {
		return &ValidationError{File: cfg.Path, Problems: ps}
	}
	return nil
}

// checker collects problems.
type checker struct {
	problems []Problem
}

func (c *checker) add(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func validate(cfg *Config, check Drivers) []Problem {
	c := &checker{}
	c.site(&cfg.Site)
	c.store(cfg.Store)
	c.mqtt(cfg.MQTT)
	c.log(cfg.Log)
	c.profiles(cfg.Profiles)
	c.billing(cfg.Billing)
	c.rooms(cfg.Rooms)
	c.devices(cfg.Devices, cfg.Profiles.Dir, check)
	c.fax(cfg.Fax)
	c.console(cfg.Console)
	c.metrics(cfg.Metrics)
	c.backup(cfg.Backup)
	return c.problems
}

var roomClasses = []string{"guest", "admin", "lobby", "business"}

func (c *checker) billing(b Billing) {
	for _, f := range []struct{ path, file string }{{"billing.tariff", b.Tariff}, {"billing.plan", b.Plan}, {"billing.business_tariff", b.BusinessTariff}} {
		if f.file != "" {
			c.readable(f.path, f.file)
		}
	}
	if a := b.Numbering.HomeArea; a != "" && (!isDigitString(a) || a[0] == '0') {
		c.add("billing.numbering.home_area", "%q is not an area code (digits, without the national 0)", b.Numbering.HomeArea)
	}
	for i, code := range b.Numbering.TrunkAccess {
		if !isDigitString(code) {
			c.add(fmt.Sprintf("billing.numbering.trunk_access[%d]", i), "%q is not a dialing code (digits only)", code)
		}
	}
	if b.MaskDialed < 0 {
		c.add("billing.mask_dialed", "%d: cannot be negative (0 keeps every digit)", b.MaskDialed)
	}
	if b.PBXCost != "" {
		c.oneOf("billing.pbx_cost", b.PBXCost, []string{"trust", "ignore", "compare"})
	}
}

func isDigitString(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ExtensionRange splits "1101-1299" (or "8000") into its bounds; both have
// the same number of digits.
func ExtensionRange(s string) (from, to string, err error) {
	from, to, isRange := strings.Cut(s, "-")
	if !isRange {
		to = from
	}
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	switch {
	case !isDigitString(from) || !isDigitString(to):
		return "", "", fmt.Errorf("%q: want an extension (8000) or a range of extensions (1101-1299)", s)
	case len(from) != len(to):
		return "", "", fmt.Errorf("%q: both ends of a range need the same number of digits", s)
	case from > to:
		return "", "", fmt.Errorf("%q: the range runs backwards", s)
	}
	return from, to, nil
}

func (c *checker) rooms(rs []Rooms) {
	parsed := make([]extSpan, len(rs))
	errs := make([]error, len(rs))
	spans := make([]extSpan, 0, len(rs))
	for i, r := range rs {
		from, to, err := ExtensionRange(r.Extensions)
		parsed[i], errs[i] = extSpan{from: from, to: to, i: i}, err
		if err == nil {
			spans = append(spans, parsed[i])
		}
	}
	overlaps := overlappingRooms(spans)
	for i, r := range rs {
		p := fmt.Sprintf("rooms[%d]", i)
		if errs[i] != nil {
			c.add(p+".extensions", "%v", errs[i])
		} else {
			for len(overlaps) > 0 && overlaps[0].later.i == i {
				o := overlaps[0].earlier
				c.add(p+".extensions", "%q overlaps rooms[%d] (%s-%s): an extension belongs to one room", r.Extensions, o.i, o.from, o.to)
				overlaps = overlaps[1:]
			}
			if r.Room != "" && parsed[i].from != parsed[i].to {
				c.add(p+".room", "a room number can only be given for a single extension, not a range")
			}
		}
		if r.Class == "" {
			c.add(p+".class", "required: one of %s", strings.Join(roomClasses, ", "))
		} else {
			c.oneOf(p+".class", r.Class, roomClasses)
		}
	}
}

// extSpan is the valid extension range of rooms[i].
type extSpan struct {
	from, to string
	i        int
}

// overlap says that rooms[later.i] shares extensions with rooms[earlier.i]
// (earlier.i < later.i: the problem is reported on the later entry, the
// one an operator most likely just added).
type overlap struct{ earlier, later extSpan }

// overlappingRooms finds the rooms that share an extension with another, in
// O(n log n): the spans are sorted by length of the extension, then start,
// then position, and swept once, keeping the span that reaches furthest so
// far. A span that starts before that reach overlaps it. Each overlapping
// span is reported once, against one span it overlaps, rather than against
// every one (3,000 identical ranges gave 4.5 million pairs), so every room
// involved is named at least once in at most len(spans)-1 problems. The
// result is ordered by the later entry, then the earlier one, the order in
// which rooms reports them.
func overlappingRooms(spans []extSpan) []overlap {
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b extSpan) int {
		return cmp.Or(cmp.Compare(len(a.from), len(b.from)), strings.Compare(a.from, b.from), cmp.Compare(a.i, b.i))
	})
	var found []overlap
	var reach extSpan // the span with the highest end among those swept, of the current length
	for k, s := range sorted {
		// Only ranges of the same length can share an extension: "900" and
		// "9000" are different extensions. Equal-length digit strings
		// compare as numbers.
		if k == 0 || len(s.from) != len(reach.from) {
			reach = s
			continue
		}
		if s.from <= reach.to {
			if s.i < reach.i {
				found = append(found, overlap{earlier: s, later: reach})
			} else {
				found = append(found, overlap{earlier: reach, later: s})
			}
		}
		if s.to > reach.to {
			reach = s
		}
	}
	slices.SortFunc(found, func(a, b overlap) int {
		return cmp.Or(cmp.Compare(a.later.i, b.later.i), cmp.Compare(a.earlier.i, b.earlier.i))
	})
	return found
}

func (c *checker) site(s *Site) {
	if s.Group == "" && s.Property == "" && s.Gateway == "" && s.Timezone == "" {
		c.add("site", "required: group, property, gateway and timezone name the hotel and its zone")
		return
	}
	c.topicLevel("site.group", s.Group)
	c.topicLevel("site.property", s.Property)
	c.topicLevel("site.gateway", s.Gateway)
	loc, err := loadZone(s.Timezone)
	if err != nil {
		c.add("site.timezone", "%v", err)
		return
	}
	s.loc = loc
}

// topicLevel checks that v can be one level of an MQTT topic (MQTT 3.1.1
// §4.7: "/" separates levels, "+" and "#" are wildcards). Spaces and control
// characters are legal but break every shell and log line they appear in.
func (c *checker) topicLevel(path, v string) {
	if v == "" {
		c.add(path, "required")
		return
	}
	if !utf8.ValidString(v) {
		c.add(path, "%q is not valid UTF-8", v)
		return
	}
	for _, r := range v {
		switch {
		case r == '/' || r == '+' || r == '#':
			c.add(path, "%q cannot be an MQTT topic level: %q is not allowed", v, r)
			return
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == 0:
			c.add(path, "%q cannot be an MQTT topic level: no spaces or control characters", v)
			return
		}
	}
}

func (c *checker) store(s Store) {
	if s.Path == "" {
		c.add("store.path", "required")
	}
	if s.RetentionDays < 0 {
		c.add("store.retention_days", "%d is negative (days to keep billing records; default %d)", s.RetentionDays, DefaultRetentionDays)
	}
	c.retention(s)
}

func (c *checker) mqtt(m MQTT) {
	if m.Embedded != nil && m.External != nil {
		c.add("mqtt", "embedded and external are both set; use exactly one")
	}
	if e := m.Embedded; e != nil {
		c.hostPort("mqtt.embedded.listen", e.Listen, true)
		seen := map[string]int{}
		for i, u := range e.Users {
			p := fmt.Sprintf("mqtt.embedded.users[%d]", i)
			if u.Username == "" {
				c.add(p+".username", "required")
			} else if u.Username == GatewayBrokerUser {
				c.add(p+".username", "%q is the daemon's own principal; choose another name", u.Username)
			} else if j, dup := seen[u.Username]; dup {
				c.add(p+".username", "%q is already used by mqtt.embedded.users[%d]", u.Username, j)
			} else {
				seen[u.Username] = i
			}
			switch {
			case u.Password != "":
				c.add(p+".password", "a plaintext password is not kept in the config: write password_hash, made by `switchboard passwd`")
			case u.PasswordHash == "":
				c.add(p+".password_hash", "required: the argon2id hash `switchboard passwd` prints")
			}
			if err := passwd.Check(u.PasswordHash); u.PasswordHash != "" && err != nil {
				c.add(p+".password_hash", "%v (make one with `switchboard passwd`)", err)
			}
			if u.Role != RoleBackoffice && u.Role != RoleOperator && u.Role != RoleReadonly {
				c.add(p+".role", "%q: want backoffice, operator or readonly", u.Role)
			}
		}
		for _, r := range []struct {
			role string
			v    float64
		}{{"backoffice", e.RateLimits.Backoffice}, {"operator", e.RateLimits.Operator}, {"readonly", e.RateLimits.Readonly}} {
			if r.v < 0 || r.v > 1e6 {
				c.add("mqtt.embedded.rate_limits."+r.role, "%g: want publishes per second, 0 (the default) to 1000000", r.v)
			}
		}
		switch e.Anonymous {
		case RoleReadonly, AnonymousNone:
		default:
			c.add("mqtt.embedded.anonymous", "%q: want readonly (loopback clients without a username may read) or none", e.Anonymous)
		}
		c.embeddedTLS(e)
	}
	if e := m.External; e != nil {
		c.external(e)
	}
}

// embeddedTLS checks the embedded broker's TLS files, and that a listener
// reachable from other machines does not take passwords in clear unless
// insecure: true says it on purpose.
func (c *checker) embeddedTLS(e *EmbeddedBroker) {
	if host, _, err := net.SplitHostPort(e.Listen); err == nil && !loopbackHost(host) && e.TLS == nil && !e.Insecure {
		c.add("mqtt.embedded.listen", "%s is not loopback: set mqtt.embedded.tls {cert, key} or write insecure: true to accept clients in clear", e.Listen)
	}
	t := e.TLS
	if t == nil {
		return
	}
	if e.Insecure {
		c.add("mqtt.embedded.insecure", "true while tls is set: the listener then never accepts clients in clear; remove one of them")
	}
	c.keyPair("mqtt.embedded.tls", t.Cert, t.Key)
	if t.ClientCA != "" {
		if data, ok := c.readable("mqtt.embedded.tls.client_ca", t.ClientCA); ok && !x509.NewCertPool().AppendCertsFromPEM(data) {
			c.add("mqtt.embedded.tls.client_ca", "%s holds no PEM certificate", t.ClientCA)
		}
	}
}

// keyPair checks a TLS listener's PEM certificate and key, path being the
// YAML path of their tls block.
func (c *checker) keyPair(path, cert, key string) {
	var certOK, keyOK bool
	if cert == "" {
		c.add(path+".cert", "required: the PEM server certificate (then any intermediates)")
	} else {
		_, certOK = c.readable(path+".cert", cert)
	}
	if key == "" {
		c.add(path+".key", "required: the PEM private key of cert")
	} else {
		_, keyOK = c.readable(path+".key", key)
	}
	if certOK && keyOK {
		kp, err := tls.LoadX509KeyPair(cert, key)
		switch {
		case err != nil:
			c.add(path+".cert", "%s and %s are not a certificate and its key: %v", cert, key, err)
		case kp.Leaf != nil && len(kp.Leaf.DNSNames) == 0 && len(kp.Leaf.IPAddresses) == 0:
			// Clients check the subject alternative names; Go's (the CLI,
			// paho) and browsers ignore the common name, as RFC 6125
			// §6.4.4 advises.
			c.add(path+".cert", "%s names no DNS name or IP address (subject alternative name): clients could not check it; reissue it with the names clients dial", cert)
		}
	}
}

// loopbackHost says whether a listen host accepts connections from this
// machine only: 127.0.0.0/8, ::1 or localhost. An empty host, 0.0.0.0 and
// :: listen on every interface; any other name may resolve anywhere.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *checker) external(e *ExternalBroker) {
	if len(e.URLs) == 0 {
		c.add("mqtt.external.urls", "required: at least one broker URL, e.g. tls://broker.example.com:8883")
	}
	for i, raw := range e.URLs {
		p := fmt.Sprintf("mqtt.external.urls[%d]", i)
		if raw == "" {
			c.add(p, "empty URL")
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			c.add(p, "%q is not a URL: %v", raw, unwrapURLError(err))
			continue
		}
		if !slices.Contains(brokerSchemes, u.Scheme) {
			c.add(p, "%q: scheme must be one of %s", raw, strings.Join(brokerSchemes, ", "))
			continue
		}
		if u.Hostname() == "" {
			c.add(p, "%q has no host", raw)
			continue
		}
		if msg := portProblem(u.Port()); msg != "" {
			c.add(p, "%q: %s", raw, msg)
		}
	}
	if e.Password != "" && e.Username == "" {
		c.add("mqtt.external.password", "given without a username")
	}
	c.intRange("mqtt.external.probe_interval_s", e.ProbeIntervalS, 1, 3600, DefaultProbeIntervalS, "seconds")
	if (e.Cert == "") != (e.Key == "") {
		if e.Cert == "" {
			c.add("mqtt.external.cert", "required when key is set (a client certificate needs both)")
		} else {
			c.add("mqtt.external.key", "required when cert is set (a client certificate needs both)")
		}
	}
	if e.CA != "" {
		if data, ok := c.readable("mqtt.external.ca", e.CA); ok {
			if !x509.NewCertPool().AppendCertsFromPEM(data) {
				c.add("mqtt.external.ca", "%s holds no PEM certificate", e.CA)
			}
		}
	}
	var certOK, keyOK bool
	if e.Cert != "" {
		_, certOK = c.readable("mqtt.external.cert", e.Cert)
	}
	if e.Key != "" {
		_, keyOK = c.readable("mqtt.external.key", e.Key)
	}
	if certOK && keyOK {
		if _, err := tls.LoadX509KeyPair(e.Cert, e.Key); err != nil {
			c.add("mqtt.external.cert", "%s and %s are not a certificate and its key: %v", e.Cert, e.Key, err)
		}
	}
}

// readable checks that name is a regular file the gateway can read and
// returns its content. Relative names are relative to the working directory,
// as the daemon will open them. Only regular files: opening a FIFO blocks.
func (c *checker) readable(path, name string) ([]byte, bool) {
	fi, err := os.Stat(name)
	if err != nil {
		c.add(path, "%s", pathErr(err))
		return nil, false
	}
	if !fi.Mode().IsRegular() {
		c.add(path, "%s is not a regular file", name)
		return nil, false
	}
	data, err := os.ReadFile(name)
	if err != nil {
		c.add(path, "%s", pathErr(err))
		return nil, false
	}
	return data, true
}

// pathErr renders an *fs.PathError as "name: reason" without the "stat"/"open" verb.
func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (c *checker) log(l Log) {
	c.oneOf("log.level", l.Level, logLevels)
	c.oneOf("log.format", l.Format, logFormats)
}

func (c *checker) profiles(p Profiles) {
	if p.Dir == "" {
		return
	}
	fi, err := os.Stat(p.Dir)
	switch {
	case err != nil:
		c.add("profiles.dir", "%s", pathErr(err))
	case !fi.IsDir():
		c.add("profiles.dir", "%s is not a directory", p.Dir)
	}
}

func (c *checker) devices(devs []Device, dir string, check Drivers) {
	seen := map[string]int{}
	for i := range devs {
		d := &devs[i]
		p := fmt.Sprintf("devices[%d]", i)
		if d.ID != "" {
			if j, dup := seen[d.ID]; dup {
				c.add(p+".id", "%q is already used by devices[%d]", d.ID, j)
			} else {
				seen[d.ID] = i
			}
		}
		c.topicLevel(p+".id", d.ID)
		c.device(p, d, dir, check)
	}
}

func (c *checker) device(p string, d *Device, dir string, check Drivers) {
	var info DriverInfo
	known := false
	if check != nil {
		info, known = check.Driver(d.Driver)
		names := strings.Join(check.Names(), ", ")
		switch {
		case d.Driver == "":
			c.add(p+".driver", "required: one of %s", names)
		case !known:
			c.add(p+".driver", "%q is not a driver (use one of %s)", d.Driver, names)
		}
	} else if d.Driver == "" {
		c.add(p+".driver", "required")
	}
	switch {
	case d.Profile == "" && info.Profiled:
		c.add(p+".profile", "required for driver %s (the firmware profile of the device model)", d.Driver)
	case d.Profile != "" && known:
		if err := check.CheckProfile(d.Driver, d.Profile, dir); err != nil {
			c.add(p+".profile", "%v", err)
		}
	}

	t := d.Transport
	var given []string
	if t.Serial != nil {
		given = append(given, "serial")
	}
	if t.TCP != nil {
		given = append(given, "tcp")
	}
	if t.File != nil {
		given = append(given, "file")
	}
	switch {
	case known && !info.Transport:
		schemes := strings.Join(info.URISchemes, ":// or ") + "://"
		if len(given) > 0 {
			c.add(p+".transport", "driver %s takes no transport (set options.uri to the device's %s URL)", d.Driver, schemes)
		}
		c.deviceURI(p+".options.uri", d.Driver, info.URISchemes, d.Options)
	case len(given) == 0 && known && info.Transport:
		c.add(p+".transport", "required: exactly one of serial, tcp, file")
	case len(given) == 2:
		c.add(p+".transport", "%s and %s are both set; use exactly one", given[0], given[1])
	case len(given) == 3:
		c.add(p+".transport", "serial, tcp and file are all set; use exactly one")
	}
	if t.Serial != nil {
		c.serial(p+".transport.serial", t.Serial)
	}
	if t.TCP != nil {
		c.tcp(p+".transport.tcp", t.TCP)
	}
	if t.File != nil && t.File.Path == "" {
		c.add(p+".transport.file.path", "required (a file to replay, or - for stdin)")
	}
}

func (c *checker) deviceURI(path, driver string, schemes []string, opts map[string]any) {
	v, ok := opts["uri"]
	if !ok || v == nil {
		c.add(path, "required for driver %s: the device's %s:// URL", driver, strings.Join(schemes, ":// or "))
		return
	}
	raw, ok := v.(string)
	if !ok {
		c.add(path, "must be a string URL, got %v", v)
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		c.add(path, "%q is not a URL: %v", raw, unwrapURLError(err))
		return
	}
	if !slices.Contains(schemes, u.Scheme) {
		c.add(path, "%q: scheme must be %s", raw, strings.Join(schemes, " or "))
		return
	}
	if u.Hostname() == "" {
		c.add(path, "%q has no host", raw)
		return
	}
	if port := u.Port(); port != "" {
		if msg := portProblem(port); msg != "" {
			c.add(path, "%q: %s", raw, msg)
		}
	}
}

func (c *checker) serial(p string, s *Serial) {
	if s.Port == "" {
		c.add(p+".port", "required (e.g. /dev/ttyUSB0)")
	}
	switch {
	case s.Baud == 0:
		c.add(p+".baud", "required (use one of %s)", joinInts(standardBauds))
	case !slices.Contains(standardBauds, s.Baud):
		c.add(p+".baud", "%d is not a standard rate (use one of %s)", s.Baud, joinInts(standardBauds))
	}
	if s.DataBits < 5 || s.DataBits > 8 {
		c.add(p+".data_bits", "%d is out of range (5 to 8)", s.DataBits)
	}
	c.oneOf(p+".parity", s.Parity, parities)
	c.oneOf(p+".stop_bits", s.StopBits, stopBits)
	c.oneOf(p+".flow", s.Flow, flows)
}

func (c *checker) tcp(p string, t *TCP) {
	switch {
	case t.Connect != "" && t.Listen != "":
		c.add(p, "connect and listen are both set; use exactly one")
	case t.Connect == "" && t.Listen == "":
		c.add(p, "required: connect (host:port of the device) or listen (host:port the device connects to)")
	}
	if t.Connect != "" {
		c.hostPort(p+".connect", t.Connect, false)
	}
	if t.Listen != "" {
		c.hostPort(p+".listen", t.Listen, true)
		if len(t.Login) > 0 {
			c.add(p+".login", "only used with connect (lines sent after connecting)")
		}
	}
	if len(t.Allow) > 0 && t.Connect != "" && t.Listen == "" {
		c.add(p+".allow", "only used with listen (the addresses the device may connect from)")
	}
	for i, a := range t.Allow {
		if !isAddrOrCIDR(a) {
			c.add(fmt.Sprintf("%s.allow[%d]", p, i), "%q is not an IP address or CIDR network (e.g. 192.0.2.10 or 192.0.2.0/24; no host names: the check is on the connection's address)", a)
		}
	}
}

// isAddrOrCIDR reports whether s is an IP address or a CIDR network, as
// transport.ParseAllow reads them.
func isAddrOrCIDR(s string) bool {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		_, err := netip.ParsePrefix(s)
		return err == nil
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// hostPort checks a host:port; a listener may leave the host empty (all interfaces).
func (c *checker) hostPort(path, v string, listen bool) {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		c.add(path, "%q is not host:port", v)
		return
	}
	if host == "" && !listen {
		c.add(path, "%q has no host", v)
		return
	}
	if strings.ContainsFunc(host, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		c.add(path, "%q: the host has spaces or control characters", v)
		return
	}
	if msg := portProblem(port); msg != "" {
		c.add(path, "%q: %s", v, msg)
	}
}

// portProblem describes what is wrong with a numeric port, "" if nothing.
func portProblem(port string) string {
	if port == "" {
		return "no port"
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("port %q is not a number from 1 to 65535", port)
	}
	return ""
}

func (c *checker) oneOf(path, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		c.add(path, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
