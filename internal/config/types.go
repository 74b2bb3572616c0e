// Package config reads and validates switchboard.yaml, the gateway's own
// configuration: the site, the store, the MQTT side and the devices. Every
// problem is reported with its YAML path so `switchboard check` can list them
// all at once.
package config

import "time"

// Config is the whole of switchboard.yaml.
type Config struct {
	Site     Site     `yaml:"site"`
	Store    Store    `yaml:"store"`
	MQTT     MQTT     `yaml:"mqtt"`
	Log      Log      `yaml:"log"`
	Profiles Profiles `yaml:"profiles"`
	Billing  Billing  `yaml:"billing"`
	Rooms    []Rooms  `yaml:"rooms"`
	Devices  []Device `yaml:"devices"`
	Fax      Fax      `yaml:"fax"`
	Console  *Console `yaml:"console"`
	Backup   *Backup  `yaml:"backup"`
	Metrics  *Metrics `yaml:"metrics"`
	// Path is the file the config was read from (not a YAML key).
	Path string `yaml:"-"`
}

// Site names the hotel. Group and property become topic levels.
type Site struct {
	Group    string `yaml:"group"`
	Property string `yaml:"property"`
	Gateway  string `yaml:"gateway"`
	Timezone string `yaml:"timezone"` // IANA zone, e.g. Asia/Shanghai

	// loc caches the loaded Timezone; set by Validate (and so by Load and Parse).
	loc *time.Location
}

// Store is the SQLite ledger.
type Store struct {
	Path string `yaml:"path"`
	// RetentionDays for billing records; default 400.
	RetentionDays int `yaml:"retention_days"`
	// RetentionAt is the site's wall-clock time (HH:MM) of the nightly
	// retention run (internal/retention); default 03:30.
	RetentionAt string `yaml:"retention_at"`
	// MaskDialedAfterDays masks the dialed numbers the store keeps once
	// they are this many days old; 0 (the default) never does.
	MaskDialedAfterDays int `yaml:"mask_dialed_after_days"`
	// MinFreeMB is the free space (MiB) on the store's file system below
	// which the gateway takes no new work (internal/diskguard); default 64.
	MinFreeMB int `yaml:"min_free_mb"`
}

// MQTT is either an embedded broker or a list of external brokers (exactly one).
type MQTT struct {
	Embedded *EmbeddedBroker `yaml:"embedded"`
	External *ExternalBroker `yaml:"external"`
}

// EmbeddedBroker runs mochi-mqtt inside the daemon.
type EmbeddedBroker struct {
	Listen string `yaml:"listen"` // host:port, default 127.0.0.1:1883
	// Users are the principals of the broker, each with a role.
	Users []BrokerUser `yaml:"users"`
	// Anonymous is the role of a client without a username (loopback
	// only): readonly (the default) or none (refused).
	Anonymous string `yaml:"anonymous"`
	// RateLimits are the publishes per second one principal of each role
	// may send (0: the default); a faster one is slowed, never refused.
	RateLimits RateLimits `yaml:"rate_limits"`
	// TLS makes the TCP listener speak MQTT over TLS only (MQTT 5 §5.4.9;
	// port 8883 is IANA's for MQTT over TLS, §4.2); nil serves in clear.
	TLS *BrokerTLS `yaml:"tls"`
	// Insecure, written out, accepts clients in clear on a listen address
	// that is not loopback; without it such an address needs TLS.
	Insecure bool `yaml:"insecure"`
}

// BrokerTLS are the embedded broker's PEM files, read at start.
type BrokerTLS struct {
	Cert string `yaml:"cert"` // the server certificate, then any intermediates
	Key  string `yaml:"key"`
	// ClientCA, when set, makes a client certificate signed by one of its
	// certificates a condition of every TCP connection (mutual TLS); the
	// username and password are still asked for.
	ClientCA string `yaml:"client_ca"`
}

// Roles of the embedded broker's users and of its anonymous clients.
const (
	RoleBackoffice = "backoffice"
	RoleOperator   = "operator"
	RoleReadonly   = "readonly"
	AnonymousNone  = "none"
	// GatewayBrokerUser is the daemon's own principal on its embedded
	// broker (a per-process credential); no configured user may take it.
	GatewayBrokerUser = "switchboard-gateway"
)

// RateLimits are publishes per second per principal, by role.
type RateLimits struct {
	Backoffice float64 `yaml:"backoffice"` // default 5000
	Operator   float64 `yaml:"operator"`   // default 50
	Readonly   float64 `yaml:"readonly"`   // default 5 (anonymous clients too)
}

// BrokerUser is one principal of the embedded broker.
type BrokerUser struct {
	Username string `yaml:"username"`
	// PasswordHash is argon2id or bcrypt in PHC string form, as
	// `switchboard passwd` prints it.
	PasswordHash string `yaml:"password_hash"`
	Role         string `yaml:"role"` // backoffice, operator, readonly
	// Password (plaintext) is refused by validation, with the hint.
	Password string `yaml:"password"`
}

// ExternalBroker is reached through paho.
type ExternalBroker struct {
	URLs     []string `yaml:"urls"` // tcp://, ssl://, tls://, ws://, wss://
	Username string   `yaml:"username"`
	Password string   `yaml:"password"`
	CA       string   `yaml:"ca"`
	Cert     string   `yaml:"cert"`
	Key      string   `yaml:"key"`
	ClientID string   `yaml:"client_id"`
	// ProbeIntervalS is how often the gateway checks, with a probe it
	// sends itself, that its session still hears its subscriptions
	// (internal/bus.Probe); seconds, default 30.
	ProbeIntervalS int `yaml:"probe_interval_s"`
}

// DefaultProbeIntervalS is mqtt.external.probe_interval_s's default.
const DefaultProbeIntervalS = 30

// ProbeInterval is probe_interval_s or its default.
func (e ExternalBroker) ProbeInterval() time.Duration {
	return time.Duration(orDefault(e.ProbeIntervalS, DefaultProbeIntervalS)) * time.Second
}

// Log settings.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text, json
}

// Profiles lets the site add or override embedded firmware profiles.
type Profiles struct {
	Dir string `yaml:"dir"`
}

// Billing says how calls are rated and posted.
type Billing struct {
	// Tariff is the carrier tariff file; "" = the embedded tariffs/cn-telecom.yaml.
	Tariff string `yaml:"tariff"`
	// Plan is the hotel plan (markup, service, tax, grace); "" = the
	// embedded tariffs/example-hotel-plan.yaml.
	Plan string `yaml:"plan"`
	// BusinessTariff prices the business center (print, copy, fax
	// services); "" = the embedded tariffs/business-center.yaml.
	BusinessTariff string `yaml:"business_tariff"`
	// Numbering overrides the tariff's dialing plan for this site.
	Numbering Numbering `yaml:"numbering"`
	// MaskDialed keeps this many digits of a dialed number, after the
	// trunk access code, in every published event (call.recorded with its
	// raw line, charged, flagged, fax numbers; the rest become *); 0 keeps
	// every digit. The journal and the ledger keep the whole number.
	MaskDialed int `yaml:"mask_dialed"`
	// PBXCost: trust | ignore | compare (default: the plan's policy).
	PBXCost string `yaml:"pbx_cost"`
}

// Numbering is the site's dialing plan (the fields of rating.Site a hotel sets).
type Numbering struct {
	HomeArea    string   `yaml:"home_area"`    // "10" Beijing, "21" Shanghai
	TrunkAccess []string `yaml:"trunk_access"` // codes the SMDR keeps in front of outside numbers: "9"
}

// Rooms maps extensions to rooms and to what they are.
type Rooms struct {
	// Extensions: one extension ("8000") or an inclusive range of equal
	// length ("1101-1299"). The room number is the extension unless Room is set.
	Extensions string `yaml:"extensions"`
	Room       string `yaml:"room"`
	// Class: guest, admin, lobby, business (only guest rooms are posted).
	Class string `yaml:"class"`
}

// Device is one piece of hotel hardware.
type Device struct {
	ID        string    `yaml:"id"`
	Driver    string    `yaml:"driver"` // pbx | hotelink | faxmodem | ipp
	Profile   string    `yaml:"profile"`
	Transport Transport `yaml:"transport"`
	// Options are driver-specific settings; each driver validates its own.
	Options map[string]any `yaml:"options"`
}

// Transport: exactly one of the four.
type Transport struct {
	Serial *Serial `yaml:"serial"`
	TCP    *TCP    `yaml:"tcp"`
	File   *File   `yaml:"file"`
}

// Serial is an RS-232 port (or USB adapter).
type Serial struct {
	Port     string `yaml:"port"`
	Baud     int    `yaml:"baud"`
	DataBits int    `yaml:"data_bits"` // 5..8
	Parity   string `yaml:"parity"`    // none, odd, even, mark, space
	StopBits string `yaml:"stop_bits"` // "1", "1.5", "2"
	Flow     string `yaml:"flow"`      // none, rtscts, xonxoff
}

// TCP is either a client (connect) or a listener (listen), not both.
type TCP struct {
	Connect string `yaml:"connect"`
	Listen  string `yaml:"listen"`
	// Login lines sent after connecting (Panasonic port 2300: "SMDR" then a password).
	Login []string `yaml:"login"`
	// Allow (listen only): the addresses and CIDR networks the device may
	// connect from; empty allows any. Whatever it says, one connection is
	// served at a time and a second one is refused while it lasts.
	Allow []string `yaml:"allow"`
}

// File replays a file ("-" is stdin).
type File struct {
	Path   string `yaml:"path"`
	Follow bool   `yaml:"follow"`
}
