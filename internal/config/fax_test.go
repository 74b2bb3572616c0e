package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFaxDefaultsAndKeys(t *testing.T) {
	cfg, err := Parse([]byte(base), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := cfg.Fax
	if f.Attempts() != 3 || f.RetryInterval() != 3*time.Minute || f.ArchiveAfter() != 10*24*time.Hour || f.DestroyAfter() != 90*24*time.Hour ||
		f.MaxDocument() != 10<<20 || f.Pages() != 50 || f.BitRate() != 9600 || f.Email != nil {
		t.Fatalf("defaults %+v", f)
	}
	cfg, err = Parse([]byte(base+`fax:
  retry_attempts: 5
  retry_interval_s: 60
  archive_days: 7
  destroy_days: 30
  max_document_mib: 4
  page_limit: 20
  quote_bitrate: 14400
  email: {server: "smtp.example.com:587", username: fd, password: pw, from: "Fax <fax@hotel.example>", to: frontdesk@hotel.example, starttls: optional}
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f = cfg.Fax
	if f.Attempts() != 5 || f.RetryInterval() != time.Minute || f.ArchiveAfter() != 7*24*time.Hour || f.DestroyAfter() != 30*24*time.Hour ||
		f.MaxDocument() != 4<<20 || f.Pages() != 20 || f.BitRate() != 14400 || f.Email == nil || f.Email.StartTLSRequired() ||
		f.Email.RetryInterval() != 5*time.Minute {
		t.Fatalf("keys %+v %+v", f, f.Email)
	}
}

func TestFaxProblems(t *testing.T) {
	y := base + `fax:
  retry_attempts: 0
  retry_interval_s: 5
  archive_days: 20
  destroy_days: 15
  max_document_mib: -1
  page_limit: 501
  quote_bitrate: 9601
  email:
    server: smtp.example.com
    username: fd
    from: not an address
    starttls: always
  pages: 3
`
	_, err := Parse([]byte(y), "t.yaml")
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("got %v", err)
	}
	var got []string
	for _, p := range verr.Problems {
		got = append(got, fmt.Sprintf("%d: %s", p.Line, p))
	}
	unknown := "15: fax.pages: unknown key (expected one of retry_attempts, retry_interval_s, archive_days, destroy_days, max_document_mib, page_limit, quote_bitrate, email)"
	if len(got) == 0 || got[len(got)-1] != unknown {
		t.Errorf("problems:\n  %s\nwant last:\n  %s", strings.Join(got, "\n  "), unknown)
	}
	_, err = Parse([]byte(strings.Replace(y, "  pages: 3\n", "", 1)), "t.yaml")
	if !errors.As(err, &verr) {
		t.Fatalf("got %v", err)
	}
	got = nil
	for _, p := range verr.Problems {
		got = append(got, fmt.Sprintf("%d: %s", p.Line, p))
	}
	want := []string{
		"4: fax.retry_interval_s: 5: want 10 to 3600 seconds (default 180)",
		"6: fax.destroy_days: 15 days is not after fax.archive_days (20): a fax is archived before it is destroyed",
		"7: fax.max_document_mib: -1: want 1 to 20 MiB (default 10)",
		"8: fax.page_limit: 501: want 1 to 500 pages (default 50)",
		"9: fax.quote_bitrate: 9601 is not a fax line speed (2400, 4800, 7200, 9600, 12000, 14400 bit/s)",
		"10: fax.email.to: required: an e-mail address",
		"10: fax.email.password: username and password go together (AUTH PLAIN/LOGIN) or are both left out",
		`11: fax.email.server: "smtp.example.com" is not host:port`,
		`13: fax.email.from: "not an address" is not an e-mail address`,
		"14: fax.email.starttls: \"always\" is not one of required, optional",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
