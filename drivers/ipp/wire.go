package ipp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	goipp "github.com/phin1x/go-ipp"
)

// Attribute names go-ipp's AttributeTagMapping lacks: its encoder refuses
// ("cannot get tag of attribute ...") any name it has no tag for. The
// tags are those of RFC 8011 §5.2 and PWG 5100.13/5100.14.
var extraTags = map[string]int8{
	"print-color-mode":         goipp.TagKeyword,
	"ipp-attribute-fidelity":   goipp.TagBoolean,
	"compression":              goipp.TagKeyword,
	"output-bin":               goipp.TagKeyword,
	"print-content-optimize":   goipp.TagKeyword,
	"job-account-id":           goipp.TagName,
	"job-mandatory-attributes": goipp.TagKeyword,
	"document-format-detected": goipp.TagMimeType,
}

func init() {
	// init runs before any goroutine of this package can use the map, so
	// writing go-ipp's global here is race-free.
	for k, v := range extraTags {
		if _, ok := goipp.AttributeTagMapping[k]; !ok {
			goipp.AttributeTagMapping[k] = v
		}
	}
}

// Operation codes (RFC 8011 §5.4.15).
const (
	opPrintJob             = int16(goipp.OperationPrintJob)
	opCancelJob            = int16(goipp.OperationCancelJob)
	opGetJobAttributes     = int16(goipp.OperationGetJobAttributes)
	opGetPrinterAttributes = int16(goipp.OperationGetPrinterAttributes)
)

// maxResponse bounds what a printer may answer (a full Get-Printer-Attributes
// of a large MFP is ~100 KiB).
const maxResponse = 8 << 20

// client speaks IPP over HTTP to one printer URI with go-ipp's low-level
// codec. It does not use go-ipp's HttpAdapter: the adapter sends no
// document unless FileSize is set, its client skips TLS verification, and
// it reads unbounded responses. Our http.Client has timeouts and the
// request carries the caller's context.
type client struct {
	uri      string // ipp:// or ipps:// as configured (the printer-uri attribute)
	httpURL  string // http:// or https:// to POST to
	user     string
	password string
	hc       *http.Client
	reqID    atomic.Int32
}

// ErrUnreachable wraps transport failures: the printer did not answer.
// It is retryable; an IPP status error is not.
var ErrUnreachable = errors.New("printer unreachable")

// StatusError is a non-successful IPP status code (RFC 8011 §4.1.6.1).
type StatusError struct {
	Op      string
	Code    int16
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("ipp %s: status 0x%04x: %s", e.Op, uint16(e.Code), e.Message)
}

// TLSOptions say how an ipps printer is verified: against the CA file,
// against a pinned certificate (SHA-256 of its DER, hex), or by the
// system roots when neither is given. Verification is never skipped.
type TLSOptions struct {
	CAFile string
	Pin    string
}

func newClient(uri, user, password string, tlsOpt TLSOptions, timeout time.Duration) (*client, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("uri %q: %w", uri, err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("uri %q: no host", uri)
	}
	hu := *u
	switch u.Scheme {
	case "ipp":
		hu.Scheme = "http"
	case "ipps":
		hu.Scheme = "https"
	case "http", "https":
	default:
		return nil, fmt.Errorf("uri %q: scheme must be ipp or ipps", uri)
	}
	if u.Port() == "" {
		hu.Host = net.JoinHostPort(u.Hostname(), "631") // RFC 8010 §5.1: IPP's default port
	}
	tc, err := tlsConfig(u.Hostname(), tlsOpt)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: 2 * timeout, // a Print-Job answers once the document is spooled
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2,
	}
	c := &client{
		uri: uri, httpURL: hu.String(), user: user, password: password,
		hc: &http.Client{Transport: tr},
	}
	return c, nil
}

func tlsConfig(host string, o TLSOptions) (*tls.Config, error) {
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca %s: no PEM certificate in it", o.CAFile)
		}
		tc.RootCAs = pool
	}
	if o.Pin != "" {
		want, err := hex.DecodeString(strings.ReplaceAll(strings.ToLower(o.Pin), ":", ""))
		if err != nil || len(want) != sha256.Size {
			return nil, fmt.Errorf("pin %q: want the certificate's SHA-256 in hex", o.Pin)
		}
		// A pinned certificate replaces chain verification (printers'
		// self-signed certificates have no chain), but is checked always.
		tc.InsecureSkipVerify = true
		tc.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("ipps: printer sent no certificate")
			}
			got := sha256.Sum256(raw[0])
			if !bytes.Equal(got[:], want) {
				return fmt.Errorf("ipps: certificate sha256 %x does not match the pinned %x", got, want)
			}
			return nil
		}
	}
	return tc, nil
}

// newRequest builds a request addressed to the printer. go-ipp's encoder
// deletes printer-uri and job-id from OperationAttributes and adds the
// charset and language while encoding, so a request must never be encoded
// twice: build a fresh one (or encode a clone, see encode).
func (c *client) newRequest(op int16) *goipp.Request {
	r := goipp.NewRequest(op, c.reqID.Add(1))
	r.OperationAttributes[goipp.AttributeCharset] = "utf-8"
	r.OperationAttributes[goipp.AttributeNaturalLanguage] = "en"
	r.OperationAttributes[goipp.AttributePrinterURI] = c.uri
	return r
}

// encode encodes a copy of r so r itself stays usable (go-ipp's Encode
// mutates the request's maps).
func encode(r *goipp.Request) ([]byte, error) {
	cp := *r
	cp.OperationAttributes = maps.Clone(r.OperationAttributes)
	cp.JobAttributes = maps.Clone(r.JobAttributes)
	cp.PrinterAttributes = maps.Clone(r.PrinterAttributes)
	return cp.Encode()
}

// do sends r with an optional document of size bytes (-1: unknown, sent
// chunked) and decodes the answer. The caller's context bounds it.
func (c *client) do(ctx context.Context, name string, r *goipp.Request, doc io.Reader, size int64) (*goipp.Response, []byte, error) {
	payload, err := encode(r)
	if err != nil {
		return nil, nil, fmt.Errorf("ipp %s: encode: %w", name, err)
	}
	var body io.Reader = bytes.NewReader(payload)
	length := int64(len(payload))
	if doc != nil {
		body = io.MultiReader(body, doc)
		if size >= 0 {
			length += size
		} else {
			length = -1
		}
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.httpURL, body)
	if err != nil {
		return nil, nil, fmt.Errorf("ipp %s: %w", name, err)
	}
	hr.ContentLength = length
	hr.Header.Set("Content-Type", goipp.ContentTypeIPP)
	if c.user != "" {
		hr.SetBasicAuth(c.user, c.password)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, nil, fmt.Errorf("ipp %s %s: %w: %w", name, c.uri, ErrUnreachable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, nil, fmt.Errorf("ipp %s %s: read answer: %w: %w", name, c.uri, ErrUnreachable, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		scheme, _, _ := strings.Cut(resp.Header.Get("WWW-Authenticate"), " ")
		if c.user == "" {
			return nil, nil, fmt.Errorf("ipp %s %s: printer wants %s authentication; set username and password", name, c.uri, scheme)
		}
		if scheme != "" && !strings.EqualFold(scheme, "Basic") {
			return nil, nil, fmt.Errorf("ipp %s %s: printer wants %s authentication; only Basic is supported", name, c.uri, scheme)
		}
		return nil, nil, fmt.Errorf("ipp %s %s: username or password refused", name, c.uri)
	case resp.StatusCode != http.StatusOK:
		return nil, nil, fmt.Errorf("ipp %s %s: HTTP %s", name, c.uri, resp.Status)
	case len(raw) > maxResponse:
		return nil, nil, fmt.Errorf("ipp %s %s: answer larger than %d bytes", name, c.uri, maxResponse)
	}
	ir, err := decodeResponse(raw)
	if err != nil {
		return nil, raw, fmt.Errorf("ipp %s %s: %w", name, c.uri, err)
	}
	if ir.StatusCode > 0x00ff { // 0x0000-0x00ff: successful-ok and its variants
		msg := "no status-message"
		if v := ir.OperationAttributes["status-message"]; len(v) > 0 {
			msg, _ = v[0].Value.(string)
		}
		return ir, raw, &StatusError{Op: name, Code: ir.StatusCode, Message: msg}
	}
	return ir, raw, nil
}

// decodeResponse decodes with go-ipp and turns its panics into errors:
// its decoder makes slices from length fields it does not check (a
// negative dateTime or rangeOfInteger length panics in make).
func decodeResponse(raw []byte) (resp *goipp.Response, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = nil, fmt.Errorf("malformed IPP response: %v", r)
		}
	}()
	resp, err = goipp.NewResponseDecoder(bytes.NewReader(raw)).Decode(nil)
	if err != nil {
		return nil, fmt.Errorf("malformed IPP response: %w", err)
	}
	return resp, nil
}

// Value is one decoded attribute value, typed for our use: int, bool,
// string, time.Time (dateTime), Range, Collection.
type Value any

// Range is a rangeOfInteger.
type Range struct{ Lower, Upper int32 }

// Collection is a decoded collection.
type Collection map[string][]Value

// Attrs is an attribute group decoded into our types. It marshals to
// compact, key-sorted JSON: the raw frame the journal keeps.
type Attrs map[string][]Value

func convertAttrs(in goipp.Attributes) Attrs {
	out := make(Attrs, len(in))
	for name, vals := range in {
		out[name] = convertValues(vals)
	}
	return out
}

func convertValues(vals []goipp.Attribute) []Value {
	vs := make([]Value, 0, len(vals))
	for _, a := range vals {
		vs = append(vs, convertValue(a))
	}
	return vs
}

func convertValue(a goipp.Attribute) Value {
	switch v := a.Value.(type) {
	case []int:
		if a.Tag == goipp.TagDate {
			if t, err := parseDateTime(v); err == nil {
				return t
			}
		}
		return v
	case []int32:
		if len(v) == 2 {
			return Range{v[0], v[1]}
		}
		return v
	case goipp.Collection:
		c := make(Collection, len(v))
		for k, m := range v {
			c[k] = convertValues(m)
		}
		return c
	case goipp.Resolution:
		return fmt.Sprintf("%dx%d", v.Width, v.Height)
	}
	return a.Value
}

// parseDateTime reads an RFC 2579 DateAndTime (RFC 8010 §3.9: 11 octets).
// go-ipp decodes each octet into a signed int8, so 2026 arrives as
// [7, -22] and a minute of 59 is fine but 200 would be -56: every octet is
// taken back as unsigned first.
func parseDateTime(v []int) (time.Time, error) {
	if len(v) != 11 {
		return time.Time{}, fmt.Errorf("dateTime: %d octets, want 11", len(v))
	}
	b := make([]int, 11)
	for i, x := range v {
		b[i] = int(uint8(int8(x)))
	}
	year := b[0]<<8 | b[1]
	off := (b[9]*60 + b[10]) * 60
	switch b[8] {
	case '+':
	case '-':
		off = -off
	default:
		return time.Time{}, fmt.Errorf("dateTime: direction %q", rune(b[8]))
	}
	if b[2] < 1 || b[2] > 12 || b[3] < 1 || b[3] > 31 || b[4] > 23 || b[5] > 59 || b[6] > 60 || b[7] > 9 {
		return time.Time{}, fmt.Errorf("dateTime: out of range %v", b)
	}
	loc := time.UTC
	if off != 0 {
		loc = time.FixedZone("", off)
	}
	return time.Date(year, time.Month(b[2]), b[3], b[4], b[5], b[6], b[7]*100_000_000, loc), nil
}

// helpers to read Attrs

func (a Attrs) str(name string) string {
	if v := a[name]; len(v) > 0 {
		if s, ok := v[0].(string); ok {
			return s
		}
	}
	return ""
}

func (a Attrs) strs(name string) []string {
	var out []string
	for _, v := range a[name] {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (a Attrs) int(name string) (int, bool) {
	if v := a[name]; len(v) > 0 {
		if i, ok := v[0].(int); ok {
			return i, true
		}
	}
	return 0, false
}

func (a Attrs) ints(name string) []int {
	var out []int
	for _, v := range a[name] {
		if i, ok := v.(int); ok {
			out = append(out, i)
		}
	}
	return out
}

func (a Attrs) bool(name string) (bool, bool) {
	if v := a[name]; len(v) > 0 {
		if b, ok := v[0].(bool); ok {
			return b, true
		}
	}
	return false, false
}

func (c Collection) int(name string) (int, bool) {
	if v := c[name]; len(v) > 0 {
		if i, ok := v[0].(int); ok {
			return i, true
		}
	}
	return 0, false
}

func itoa(i int) string { return strconv.Itoa(i) }
