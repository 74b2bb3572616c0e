package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"switchboard/test/peers"
)

// base is a valid config; cases append devices or override sections.
const base = "site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}\n"

const pbxSerial = base + `devices:
  - id: pbx1
    driver: pbx
    profile: avaya-ipoffice
    transport:
      serial: {port: /dev/ttyUSB0, baud: 9600, stop_bits: %s}
`

func TestParseDefaults(t *testing.T) {
	cfg, err := ParseWith([]byte(fmt.Sprintf(pbxSerial, "1")), "t.yaml", testDrivers{})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Site:  Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store: Store{Path: DefaultStorePath, RetentionDays: DefaultRetentionDays},
		MQTT:  MQTT{Embedded: &EmbeddedBroker{Listen: DefaultListen, Anonymous: RoleReadonly}},
		Log:   Log{Level: "info", Format: "text"},
		Devices: []Device{{
			ID: "pbx1", Driver: "pbx", Profile: "avaya-ipoffice",
			Transport: Transport{Serial: &Serial{Port: "/dev/ttyUSB0", Baud: 9600, DataBits: 8, Parity: "none", StopBits: "1", Flow: "none"}},
		}},
		Path: "t.yaml",
	}
	got := *cfg
	got.Site.loc = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if loc := cfg.Site.Location(); loc.String() != "Asia/Shanghai" {
		t.Errorf("Location() = %v", loc)
	}
}

func TestExternalHasNoEmbeddedDefault(t *testing.T) {
	cfg, err := ParseWith([]byte(base+"mqtt: {external: {urls: [tcp://192.0.2.1:1883]}}\n"), "t.yaml", testDrivers{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MQTT.Embedded != nil {
		t.Errorf("embedded broker defaulted next to an external one: %+v", cfg.MQTT.Embedded)
	}
	if got := cfg.MQTT.External.ProbeInterval(); got != 30*time.Second {
		t.Errorf("default probe interval %s, want 30s", got)
	}
	cfg, err = ParseWith([]byte(base+"mqtt: {external: {urls: [tcp://192.0.2.1:1883], probe_interval_s: 1}}\n"), "t.yaml", testDrivers{})
	if err != nil || cfg.MQTT.External.ProbeInterval() != time.Second {
		t.Errorf("probe_interval_s: 1: %v %+v", err, cfg)
	}
}

// stop_bits is a string field; YAML 1, 2 and 1.5 decode into it as written.
func TestStopBits(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want string // "" means invalid
	}{
		{"1", "1"}, {`"1"`, "1"}, {"2", "2"}, {"1.5", "1.5"}, {`"1.5"`, "1.5"},
		{"3", ""}, {"1.0", ""}, {"one", ""}, {"[1]", ""},
	} {
		t.Run(tc.yaml, func(t *testing.T) {
			cfg, err := ParseWith([]byte(fmt.Sprintf(pbxSerial, tc.yaml)), "t.yaml", testDrivers{})
			if tc.want == "" {
				if err == nil {
					t.Fatalf("stop_bits %s accepted", tc.yaml)
				}
				if !strings.Contains(err.Error(), "devices[0].transport.serial.stop_bits: ") {
					t.Fatalf("error not at stop_bits: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Devices[0].Transport.Serial.StopBits; got != tc.want {
				t.Errorf("stop_bits = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestParseProblems: each case lists every problem expected, as rendered by
// Problem.String, with its line, in order.
func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string // "line: path: message"
	}{
		{
			name: "unknown keys everywhere",
			yaml: base + "stor: {}\nmqtt: {embedded: {listen: 127.0.0.1:1883, port: 1}}\n",
			want: []string{
				"2: stor: unknown key (did you mean store?)",
				"3: mqtt.embedded.port: unknown key (expected one of listen, users, anonymous, rate_limits, tls, insecure)",
			},
		},
		{
			name: "bad baud",
			yaml: fmt.Sprintf(strings.Replace(pbxSerial, "9600", "9601", 1), "1"),
			want: []string{"7: devices[0].transport.serial.baud: 9601 is not a standard rate (use one of 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)"},
		},
		{
			name: "site levels",
			yaml: "site: {group: a/b, property: '', gateway: ' x', timezone: Nowhere/City}\n",
			want: []string{
				`1: site.group: "a/b" cannot be an MQTT topic level: '/' is not allowed`,
				"1: site.property: required",
				`1: site.gateway: " x" cannot be an MQTT topic level: no spaces or control characters`,
				`1: site.timezone: "Nowhere/City" is not a known IANA time zone (e.g. Asia/Shanghai, Europe/Paris)`,
			},
		},
		{
			name: "both brokers and a bad listen",
			yaml: base + "mqtt:\n  embedded: {listen: '127.0.0.1'}\n  external: {urls: ['tcp://h:1883'], cert: c.pem}\n",
			want: []string{
				"2: mqtt: embedded and external are both set; use exactly one",
				`3: mqtt.embedded.listen: "127.0.0.1" is not host:port`,
				"4: mqtt.external.key: required when cert is set (a client certificate needs both)",
				"4: mqtt.external.cert: c.pem: no such file or directory",
			},
		},
		{
			name: "probe interval",
			yaml: base + "mqtt:\n  external: {urls: ['tcp://h:1883'], probe_interval_s: 3601}\n",
			want: []string{"3: mqtt.external.probe_interval_s: 3601: want 1 to 3600 seconds (default 30)"},
		},
		{
			name: "ipp device",
			yaml: base + "devices:\n  - {id: p1, driver: ipp, transport: {file: {path: x}}, options: {uri: 'ipp://printer/ipp/print'}}\n  - {id: p2, driver: ipp, options: {uri: 'ipp://printer:0/'}}\n",
			want: []string{
				"3: devices[0].transport: driver ipp takes no transport (set options.uri to the device's ipp:// or ipps:// URL)",
				`4: devices[1].options.uri: "ipp://printer:0/": port "0" is not a number from 1 to 65535`,
			},
		},
		{
			name: "tcp both and login on listen",
			yaml: base + "devices:\n  - id: d\n    driver: pbx\n    profile: x\n    transport: {tcp: {connect: 'h:1', listen: ':2', login: [a]}}\n",
			want: []string{
				"6: devices[0].transport.tcp: connect and listen are both set; use exactly one",
				"6: devices[0].transport.tcp.login: only used with connect (lines sent after connecting)",
			},
		},
		{
			name: "tcp allow",
			yaml: base + "devices:\n  - {id: d, driver: pbx, profile: x, transport: {tcp: {listen: ':1150', allow: [192.0.2.10, 192.0.2.0/24, '2001:db8::/32', pbx.local, 10.0.0.0/40]}}}\n  - {id: e, driver: pbx, profile: x, transport: {tcp: {connect: 'h:1', allow: [192.0.2.10]}}}\n",
			want: []string{
				`3: devices[0].transport.tcp.allow[3]: "pbx.local" is not an IP address or CIDR network (e.g. 192.0.2.10 or 192.0.2.0/24; no host names: the check is on the connection's address)`,
				`3: devices[0].transport.tcp.allow[4]: "10.0.0.0/40" is not an IP address or CIDR network (e.g. 192.0.2.10 or 192.0.2.0/24; no host names: the check is on the connection's address)`,
				"4: devices[1].transport.tcp.allow: only used with listen (the addresses the device may connect from)",
			},
		},
		{
			name: "broker users: hashes and roles, never a plaintext password",
			yaml: base + "mqtt:\n  embedded:\n    users:\n      - {username: pms, password: s3cret, role: backoffice}\n      - {username: desk, role: operator}\n      - {username: tv, password_hash: 'sha256:abc', role: readonly}\n      - {username: gw, password_hash: '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', role: gateway}\n      - {username: switchboard-gateway, password_hash: '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', role: backoffice}\n    anonymous: all\n",
			want: []string{
				"5: mqtt.embedded.users[0].password: a plaintext password is not kept in the config: write password_hash, made by `switchboard passwd`",
				"6: mqtt.embedded.users[1].password_hash: required: the argon2id hash `switchboard passwd` prints",
				"7: mqtt.embedded.users[2].password_hash: not an argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash) (make one with `switchboard passwd`)",
				`8: mqtt.embedded.users[3].role: "gateway": want backoffice, operator or readonly`,
				`9: mqtt.embedded.users[4].username: "switchboard-gateway" is the daemon's own principal; choose another name`,
				`10: mqtt.embedded.anonymous: "all": want readonly (loopback clients without a username may read) or none`,
			},
		},
		{
			name: "wrong types do not also fail the rules",
			yaml: base + "store: {retention_days: 1.5}\ndevices: [{id: d, driver: pbx, profile: x, transport: {serial: {port: p, baud: '9600'}}}]\n",
			want: []string{
				`2: store.retention_days: expected an integer, got "1.5"`,
				`3: devices[0].transport.serial.baud: expected an integer, got "9600"`,
			},
		},
		{
			name: "problems in file order, not field order",
			yaml: "log: {level: loud}\n" + base,
			want: []string{`1: log.level: "loud" is not one of debug, info, warn, error`},
		},
		{
			name: "syntax error",
			yaml: base + "devices:\n  - id: a\n   driver: pbx\n",
			want: []string{"4: YAML syntax error: did not find expected '-' indicator (in what starts on line 2)"},
		},
		{
			name: "empty file",
			yaml: "",
			want: []string{"0: site: required: group, property, gateway and timezone name the hotel and its zone"},
		},
		{
			name: "scalar document",
			yaml: "hello\n",
			want: []string{`1: expected a mapping of site, store, mqtt, log, profiles, billing, rooms, devices, fax, console, backup, metrics, got "hello"`},
		},
		{
			name: "alias to a scalar where a mapping is expected",
			yaml: base + "store: {path: &p ./x.db}\nlog: *p\n",
			want: []string{`2: log: expected a mapping of level, format, got "./x.db"`},
		},
		{
			name: "merge of unknown key",
			yaml: base + "devices:\n  - id: d\n    driver: pbx\n    profile: x\n    transport:\n      file: {<<: {path: a, speed: 1}}\n",
			want: []string{"7: devices[0].transport.file.speed: unknown key (expected one of path, follow)"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseWith([]byte(tc.yaml), "t.yaml", testDrivers{})
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("got %v (cfg %v), want a *ValidationError", err, cfg)
			}
			var got []string
			for _, p := range verr.Problems {
				got = append(got, fmt.Sprintf("%d: %s", p.Line, p))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestValidationErrorFormat(t *testing.T) {
	e := &ValidationError{File: "sb.yaml", Problems: []Problem{
		{Path: "site.group", Message: "required", Line: 2},
		{Path: "site", Message: "required"},
		{Message: "YAML syntax error: x", Line: 9},
	}}
	want := "sb.yaml:2: site.group: required\nsb.yaml: site: required\nsb.yaml:9: YAML syntax error: x"
	if e.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", e.Error(), want)
	}
	e.File = ""
	if got := e.Error(); !strings.HasPrefix(got, "line 2: site.group: required\nsite: required\n") {
		t.Errorf("without file: %q", got)
	}
}

// testDrivers is the registry's answer for the four drivers the gateway
// has (switchboard/drivers), without importing them.
type testDrivers struct{ asked *[]string }

func (testDrivers) Names() []string { return []string{"faxmodem", "hotelink", "ipp", "pbx"} }

func (testDrivers) Driver(name string) (DriverInfo, bool) {
	switch name {
	case "pbx", "hotelink", "faxmodem":
		return DriverInfo{Profiled: true, Transport: true}, true
	case "ipp":
		return DriverInfo{URISchemes: []string{"ipp", "ipps"}}, true
	}
	return DriverInfo{}, false
}

func (d testDrivers) CheckProfile(driver, id, _ string) error {
	if d.asked != nil {
		*d.asked = append(*d.asked, driver+"/"+id)
	}
	if id == "known" || !strings.HasPrefix(id, "no") {
		return nil
	}
	return fmt.Errorf("no %s profile %q", driver, id)
}

func TestValidateAsksTheDrivers(t *testing.T) {
	cfg := &Config{
		Site: Site{Group: "g", Property: "p", Gateway: "gw", Timezone: "UTC"},
		Devices: []Device{
			{ID: "a", Driver: "pbx", Profile: "known", Transport: Transport{File: &File{Path: "x"}}},
			{ID: "b", Driver: "faxmodem", Profile: "nope", Transport: Transport{File: &File{Path: "x"}}},
			{ID: "c", Driver: "mystery", Profile: "nope", Transport: Transport{File: &File{Path: "x"}}},
		},
	}
	ApplyDefaults(cfg)
	var asked []string
	err := Validate(cfg, testDrivers{asked: &asked})
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("got %v", err)
	}
	want := []Problem{
		{Path: "devices[1].profile", Message: `no faxmodem profile "nope"`},
		{Path: "devices[2].driver", Message: `"mystery" is not a driver (use one of faxmodem, hotelink, ipp, pbx)`},
	}
	if !reflect.DeepEqual(verr.Problems, want) {
		t.Errorf("got %+v\nwant %+v", verr.Problems, want)
	}
	if !reflect.DeepEqual(asked, []string{"pbx/known", "faxmodem/nope"}) {
		t.Errorf("checker asked about %v (not about unknown drivers)", asked)
	}
}

func TestLocationWithoutValidate(t *testing.T) {
	if got := (Site{Timezone: "Europe/Paris"}).Location().String(); got != "Europe/Paris" {
		t.Errorf("got %s", got)
	}
	if got := (Site{Timezone: "bogus"}).Location(); got != time.UTC {
		t.Errorf("got %v, want UTC", got)
	}
}

func TestResolve(t *testing.T) {
	t.Setenv(EnvVar, "")
	if got := Resolve(""); got != "./switchboard.yaml" {
		t.Errorf("default: %q", got)
	}
	t.Setenv(EnvVar, "/etc/sb.yaml")
	if got := Resolve(""); got != "/etc/sb.yaml" {
		t.Errorf("env: %q", got)
	}
	if got := Resolve("x.yaml"); got != "x.yaml" {
		t.Errorf("flag: %q", got)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(good)
	if err != nil || cfg.Path != good {
		t.Fatalf("Load: %v, %+v", err, cfg)
	}
	_, err = Load(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want an os.ErrNotExist", err)
	}
}

func TestReadableFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, ca, want string
	}{
		{"missing", filepath.Join(dir, "nope.pem"), "no such file or directory"},
		{"directory", dir, "is not a regular file"},
		{"not pem", writeFile(t, dir, "x.txt", "hello"), "holds no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := base + fmt.Sprintf("mqtt: {external: {urls: ['ssl://h:8883'], ca: %q}}\n", tc.ca)
			_, err := ParseWith([]byte(yaml), "t.yaml", testDrivers{})
			if err == nil || !strings.Contains(err.Error(), "mqtt.external.ca: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want mqtt.external.ca ... %s", err, tc.want)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParent(t *testing.T) {
	for in, want := range map[string]string{
		"devices[1].transport.serial.baud": "devices[1].transport.serial",
		"devices[1]":                       "devices",
		"devices":                          "",
		"mqtt.external.urls[0]":            "mqtt.external.urls",
	} {
		if got := parent(in); got != want {
			t.Errorf("parent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBusinessTariff(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "business.yaml", "name: x\n")
	cfg, err := ParseWith([]byte(base+fmt.Sprintf("billing: {business_tariff: %q}\n", good)), "t.yaml", testDrivers{})
	if err != nil || cfg.Billing.BusinessTariff != good {
		t.Fatalf("business_tariff %s: %v, %+v", good, err, cfg)
	}
	if cfg, err := ParseWith([]byte(base), "t.yaml", testDrivers{}); err != nil || cfg.Billing.BusinessTariff != "" {
		t.Fatalf("default: %v, %q (want empty: the embedded tariffs/business-center.yaml)", err, cfg.Billing.BusinessTariff)
	}
	for _, tc := range []struct{ name, file, want string }{
		{"missing", filepath.Join(dir, "nope.yaml"), "4: billing.business_tariff: " + filepath.Join(dir, "nope.yaml") + ": no such file or directory"},
		{"directory", dir, "4: billing.business_tariff: " + dir + " is not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseWith([]byte(base+"billing:\n  plan: \"\"\n  business_tariff: "+fmt.Sprintf("%q", tc.file)+"\n"), "t.yaml", testDrivers{})
			var verr *ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) != 1 {
				t.Fatalf("got %v, want one problem: %s", err, tc.want)
			}
			if got := fmt.Sprintf("%d: %s", verr.Problems[0].Line, verr.Problems[0]); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// A listener other machines can reach takes passwords over TLS, unless
// insecure: true is written out; the TLS files are checked as the broker
// will load them.
func TestEmbeddedTLS(t *testing.T) {
	ca := peers.NewTestCA(t, "hotel")
	dir := t.TempDir()
	notPEM := writeFile(t, dir, "not.pem", "hello")
	missing := filepath.Join(dir, "missing.key")
	tlsOf := func(cert, key, clientCA string) string {
		return fmt.Sprintf(", tls: {cert: %q, key: %q, client_ca: %q}", cert, key, clientCA)
	}
	good := tlsOf(ca.CertFile, ca.KeyFile, "")
	bareCert, bareKey := certWithoutNames(t, dir)
	for _, tc := range []struct {
		name, listen, extra string
		want                []string // problems, each "path: start of the message"
	}{
		{"the default", "127.0.0.1:1883", "", nil},
		{"loopback", "127.0.0.2:1883", "", nil},
		{"localhost", "localhost:1883", "", nil},
		{"IPv6 loopback", "'[::1]:1883'", "", nil},
		{"every interface in clear", "0.0.0.0:1883", "", []string{"mqtt.embedded.listen: 0.0.0.0:1883 is not loopback: set mqtt.embedded.tls {cert, key} or write insecure: true to accept clients in clear"}},
		{"empty host in clear", "':1883'", "", []string{"mqtt.embedded.listen: :1883 is not loopback"}},
		{"IPv6 any in clear", "'[::]:1883'", "", []string{"mqtt.embedded.listen: [::]:1883 is not loopback"}},
		{"a LAN address in clear", "192.0.2.5:1883", "", []string{"mqtt.embedded.listen: 192.0.2.5:1883 is not loopback"}},
		{"a host name in clear", "gw.hotel.example:1883", "", []string{"mqtt.embedded.listen: gw.hotel.example:1883 is not loopback"}},
		{"insecure: false is not insecure", "0.0.0.0:1883", ", insecure: false", []string{"mqtt.embedded.listen: 0.0.0.0:1883 is not loopback"}},
		{"in clear on purpose", "0.0.0.0:1883", ", insecure: true", nil},
		{"TLS", "0.0.0.0:8883", good, nil},
		{"mutual TLS", "0.0.0.0:8883", tlsOf(ca.CertFile, ca.KeyFile, ca.CAFile), nil},
		{"TLS on loopback", "127.0.0.1:8883", good, nil},
		{"TLS and insecure", "0.0.0.0:8883", good + ", insecure: true", []string{"mqtt.embedded.insecure: true while tls is set"}},
		{"empty tls", "0.0.0.0:8883", ", tls: {}", []string{"mqtt.embedded.tls.cert: required", "mqtt.embedded.tls.key: required"}},
		{"missing key file", "0.0.0.0:8883", tlsOf(ca.CertFile, missing, ""), []string{"mqtt.embedded.tls.key: " + missing + ": no such file or directory"}},
		{"key of another certificate", "0.0.0.0:8883", tlsOf(ca.CertFile, peers.NewTestCA(t, "other").KeyFile, ""), []string{"mqtt.embedded.tls.cert: " + ca.CertFile + " and "}},
		{"key file holds a certificate", "0.0.0.0:8883", tlsOf(ca.CertFile, ca.CAFile, ""), []string{"mqtt.embedded.tls.cert: " + ca.CertFile + " and " + ca.CAFile + " are not a certificate and its key"}},
		{"a certificate that names no host", "0.0.0.0:8883", tlsOf(bareCert, bareKey, ""), []string{"mqtt.embedded.tls.cert: " + bareCert + " names no DNS name or IP address"}},
		{"client_ca not PEM", "0.0.0.0:8883", tlsOf(ca.CertFile, ca.KeyFile, notPEM), []string{"mqtt.embedded.tls.client_ca: " + notPEM + " holds no PEM certificate"}},
		{"client_ca missing", "0.0.0.0:8883", tlsOf(ca.CertFile, ca.KeyFile, missing), []string{"mqtt.embedded.tls.client_ca: " + missing + ": no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := base + fmt.Sprintf("mqtt: {embedded: {listen: %s%s}}\n", tc.listen, tc.extra)
			_, err := ParseWith([]byte(yaml), "t.yaml", testDrivers{})
			var got []string
			var verr *ValidationError
			if errors.As(err, &verr) {
				for _, p := range verr.Problems {
					got = append(got, p.String())
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("problem %d:\n  %s\nwant it to start with:\n  %s", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// certWithoutNames writes a self-signed certificate with a common name and
// no subject alternative name, and its key.
func certWithoutNames(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gw.hotel.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile = writeFile(t, dir, "bare.crt", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	keyFile = writeFile(t, dir, "bare.key", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	return certFile, keyFile
}
