package config

import (
	"net/mail"
	"strings"
	"time"
)

// Fax is the business center's fax settings (docs/fax.md). Every key is
// optional; zero means the default (the accessors below apply them).
type Fax struct {
	// RetryAttempts is how many times a fax is dialled in all (busy, no
	// answer, line cut after some pages): default 3.
	RetryAttempts int `yaml:"retry_attempts"`
	// RetryIntervalS is the time between the end of one attempt and the
	// next, in seconds: default 180.
	RetryIntervalS int `yaml:"retry_interval_s"`
	// ArchiveDays: unclaimed received faxes are archived this many days
	// after they came in (default 10); DestroyDays: their files are
	// deleted this many days after they came in (default 90).
	ArchiveDays int `yaml:"archive_days"`
	DestroyDays int `yaml:"destroy_days"`
	// MaxDocumentMiB is the largest document fax.send takes, decoded
	// (default 10).
	MaxDocumentMiB int `yaml:"max_document_mib"`
	// PageLimit is the most pages one fax may have (default 50).
	PageLimit int `yaml:"page_limit"`
	// QuoteBitRate is the line speed a quote assumes (default 9600).
	QuoteBitRate int `yaml:"quote_bitrate"`
	// Email sends each received fax (PDF) to the front desk; nil: off.
	Email *FaxEmail `yaml:"email"`
}

// FaxEmail is the front desk's mailbox for received faxes.
type FaxEmail struct {
	Server   string `yaml:"server"`   // host:port of the SMTP submission server
	Username string `yaml:"username"` // AUTH PLAIN (or LOGIN) when set
	Password string `yaml:"password"`
	From     string `yaml:"from"`
	To       string `yaml:"to"`
	// StartTLS: required (default: refuse a server without STARTTLS) or
	// optional (use it when offered).
	StartTLS string `yaml:"starttls"`
	// CA is a PEM file of the CA that signed the server's certificate
	// (default: the system's roots).
	CA string `yaml:"ca"`
	// RetryIntervalS is the time before a failed e-mail is tried again, in
	// seconds (default 300).
	RetryIntervalS int `yaml:"retry_interval_s"`
}

// Fax defaults.
const (
	DefaultFaxRetryAttempts  = 3
	DefaultFaxRetryIntervalS = 180
	DefaultFaxArchiveDays    = 10
	DefaultFaxDestroyDays    = 90
	DefaultFaxMaxDocumentMiB = 10
	DefaultFaxPageLimit      = 50
	DefaultFaxQuoteBitRate   = 9600
	DefaultFaxEmailRetryS    = 300
	DefaultFaxStartTLS       = "required"
)

// Fax line speeds a quote may assume (V.27 ter, V.29, V.17).
var faxBitRates = []int{2400, 4800, 7200, 9600, 12000, 14400}

func orDefault(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

// Attempts is retry_attempts or its default.
func (f Fax) Attempts() int { return orDefault(f.RetryAttempts, DefaultFaxRetryAttempts) }

// RetryInterval is retry_interval_s or its default.
func (f Fax) RetryInterval() time.Duration {
	return time.Duration(orDefault(f.RetryIntervalS, DefaultFaxRetryIntervalS)) * time.Second
}

// ArchiveAfter is archive_days or its default.
func (f Fax) ArchiveAfter() time.Duration {
	return time.Duration(orDefault(f.ArchiveDays, DefaultFaxArchiveDays)) * 24 * time.Hour
}

// DestroyAfter is destroy_days or its default.
func (f Fax) DestroyAfter() time.Duration {
	return time.Duration(orDefault(f.DestroyDays, DefaultFaxDestroyDays)) * 24 * time.Hour
}

// MaxDocument is max_document_mib in bytes, or the default.
func (f Fax) MaxDocument() int { return orDefault(f.MaxDocumentMiB, DefaultFaxMaxDocumentMiB) << 20 }

// Pages is page_limit or its default.
func (f Fax) Pages() int { return orDefault(f.PageLimit, DefaultFaxPageLimit) }

// BitRate is quote_bitrate or its default.
func (f Fax) BitRate() int { return orDefault(f.QuoteBitRate, DefaultFaxQuoteBitRate) }

// StartTLSRequired is true unless starttls is optional.
func (e FaxEmail) StartTLSRequired() bool { return e.StartTLS != "optional" }

// RetryInterval is email.retry_interval_s or its default.
func (e FaxEmail) RetryInterval() time.Duration {
	return time.Duration(orDefault(e.RetryIntervalS, DefaultFaxEmailRetryS)) * time.Second
}

func (c *checker) intRange(path string, v, lo, hi, def int, unit string) {
	if v != 0 && (v < lo || v > hi) {
		c.add(path, "%d: want %d to %d %s (default %d)", v, lo, hi, unit, def)
	}
}

func (c *checker) fax(f Fax) {
	c.intRange("fax.retry_attempts", f.RetryAttempts, 1, 10, DefaultFaxRetryAttempts, "attempts in all")
	c.intRange("fax.retry_interval_s", f.RetryIntervalS, 10, 3600, DefaultFaxRetryIntervalS, "seconds")
	c.intRange("fax.archive_days", f.ArchiveDays, 1, 365, DefaultFaxArchiveDays, "days")
	c.intRange("fax.destroy_days", f.DestroyDays, 1, 3650, DefaultFaxDestroyDays, "days")
	if f.ArchiveDays >= 0 && f.DestroyDays >= 0 && f.DestroyAfter() <= f.ArchiveAfter() {
		c.add("fax.destroy_days", "%d days is not after fax.archive_days (%d): a fax is archived before it is destroyed",
			orDefault(f.DestroyDays, DefaultFaxDestroyDays), orDefault(f.ArchiveDays, DefaultFaxArchiveDays))
	}
	c.intRange("fax.max_document_mib", f.MaxDocumentMiB, 1, 20, DefaultFaxMaxDocumentMiB, "MiB") // 20: what a command may carry (schemas, bus.MaxPacketSize)
	c.intRange("fax.page_limit", f.PageLimit, 1, 500, DefaultFaxPageLimit, "pages")
	if f.QuoteBitRate != 0 && !containsInt(faxBitRates, f.QuoteBitRate) {
		c.add("fax.quote_bitrate", "%d is not a fax line speed (%s bit/s)", f.QuoteBitRate, joinInts(faxBitRates))
	}
	if e := f.Email; e != nil {
		if e.Server == "" {
			c.add("fax.email.server", "required: host:port of the SMTP server (e.g. mail.example.com:587)")
		} else {
			c.hostPort("fax.email.server", e.Server, false)
		}
		for _, a := range []struct{ path, v string }{{"fax.email.from", e.From}, {"fax.email.to", e.To}} {
			if a.v == "" {
				c.add(a.path, "required: an e-mail address")
			} else if addr, err := mail.ParseAddress(a.v); err != nil || strings.ContainsAny(addr.Address, "\r\n") {
				c.add(a.path, "%q is not an e-mail address", a.v)
			}
		}
		if (e.Username == "") != (e.Password == "") {
			c.add("fax.email.password", "username and password go together (AUTH PLAIN/LOGIN) or are both left out")
		}
		if e.StartTLS != "" {
			c.oneOf("fax.email.starttls", e.StartTLS, []string{"required", "optional"})
		}
		if e.CA != "" {
			c.readable("fax.email.ca", e.CA)
		}
		c.intRange("fax.email.retry_interval_s", e.RetryIntervalS, 10, 86400, DefaultFaxEmailRetryS, "seconds")
	}
}

func containsInt(ns []int, n int) bool {
	for _, x := range ns {
		if x == n {
			return true
		}
	}
	return false
}
