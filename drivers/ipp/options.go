package ipp

import (
	"fmt"
	"time"
)

// Options are a printer's `options:` in the config:
//
//	options:
//	  uri: ipp://192.0.2.10:631/ipp/print   # or ipps://
//	  ca: /etc/switchboard/printer-ca.pem   # ipps: verify against this CA
//	  pin: 2d93...2e43                      # ipps: or pin the certificate (SHA-256 hex)
//	  username: frontdesk                   # HTTP Basic (the only scheme supported)
//	  password: secret
//	  poll: 10s                             # Get-Printer-Attributes interval
//	  job_poll: 2s                          # Get-Job-Attributes interval while a job runs
//	  timeout: 10s                          # connect/TLS/answer timeout
//	  snmp: {address: 192.0.2.10:161, community: public, timeout: 2s, retries: 1}
//	  ghostscript: /usr/bin/gs
type Options struct {
	URI         string
	TLS         TLSOptions
	Username    string
	Password    string
	Poll        time.Duration
	JobPoll     time.Duration
	Timeout     time.Duration
	SNMP        *SNMPOptions
	Ghostscript string
}

// SNMPOptions say where the Printer-MIB agent is (SNMPv2c).
type SNMPOptions struct {
	Address   string // host:port
	Community string
	Timeout   time.Duration
	Retries   int
}

// ParseOptions reads a device's options map; unknown keys are errors.
func ParseOptions(m map[string]any) (Options, error) {
	o := Options{Poll: 10 * time.Second, JobPoll: 2 * time.Second, Timeout: 10 * time.Second, Ghostscript: "gs"}
	var err error
	for k, v := range m {
		switch k {
		case "uri":
			o.URI, err = str(k, v)
		case "ca":
			o.TLS.CAFile, err = str(k, v)
		case "pin":
			o.TLS.Pin, err = str(k, v)
		case "username":
			o.Username, err = str(k, v)
		case "password":
			o.Password, err = str(k, v)
		case "poll":
			o.Poll, err = dur(k, v)
		case "job_poll":
			o.JobPoll, err = dur(k, v)
		case "timeout":
			o.Timeout, err = dur(k, v)
		case "ghostscript":
			o.Ghostscript, err = str(k, v)
		case "snmp":
			o.SNMP, err = snmpOpts(v)
		default:
			err = fmt.Errorf("options.%s: unknown key", k)
		}
		if err != nil {
			return o, err
		}
	}
	if o.URI == "" {
		return o, fmt.Errorf("options.uri: required (ipp://host:631/ipp/print)")
	}
	if o.Poll < 100*time.Millisecond || o.JobPoll < 50*time.Millisecond {
		return o, fmt.Errorf("options: poll %v / job_poll %v too short", o.Poll, o.JobPoll)
	}
	return o, nil
}

func snmpOpts(v any) (*SNMPOptions, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("options.snmp: want a map {address, community}")
	}
	s := &SNMPOptions{Community: "public", Timeout: 2 * time.Second, Retries: 1}
	var err error
	for k, v := range m {
		switch k {
		case "address":
			s.Address, err = str("snmp."+k, v)
		case "community":
			s.Community, err = str("snmp."+k, v)
		case "timeout":
			s.Timeout, err = dur("snmp."+k, v)
		case "retries":
			n, ok := v.(int)
			if !ok || n < 0 {
				err = fmt.Errorf("options.snmp.retries: want a count")
			}
			s.Retries = n
		default:
			err = fmt.Errorf("options.snmp.%s: unknown key", k)
		}
		if err != nil {
			return nil, err
		}
	}
	if s.Address == "" {
		return nil, fmt.Errorf("options.snmp.address: required (host:161)")
	}
	return s, nil
}

func str(k string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("options.%s: want a string, got %T", k, v)
	}
	return s, nil
}

func dur(k string, v any) (time.Duration, error) {
	switch x := v.(type) {
	case string:
		d, err := time.ParseDuration(x)
		if err != nil {
			return 0, fmt.Errorf("options.%s: %w", k, err)
		}
		return d, nil
	case time.Duration:
		return x, nil
	case int:
		return time.Duration(x) * time.Second, nil
	}
	return 0, fmt.Errorf("options.%s: want a duration such as 10s, got %T", k, v)
}
