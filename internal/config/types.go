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
	Devices  []Device `yaml:"devices"`
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
}

// MQTT is either an embedded broker or a list of external brokers (exactly one).
type MQTT struct {
	Embedded *EmbeddedBroker `yaml:"embedded"`
	External *ExternalBroker `yaml:"external"`
}

// EmbeddedBroker runs mochi-mqtt inside the daemon.
type EmbeddedBroker struct {
	Listen string `yaml:"listen"` // host:port, default 127.0.0.1:1883
	// Users allowed from non-loopback addresses (anonymous only on loopback).
	Users []BrokerUser `yaml:"users"`
}

// BrokerUser is one credential of the embedded broker.
type BrokerUser struct {
	Username string `yaml:"username"`
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
}

// File replays a file ("-" is stdin).
type File struct {
	Path   string `yaml:"path"`
	Follow bool   `yaml:"follow"`
}
