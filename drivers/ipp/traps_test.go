package ipp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"switchboard/test/peers"
	"sync/atomic"
	"testing"
	"time"

	goipp "github.com/phin1x/go-ipp"

	"switchboard/drivers"
)

func selfSignedPEM(t testing.TB) []byte {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// ippResponder answers every IPP request with a fixed printer-attributes
// response and records the request body.
type ippResponder struct {
	resp    *goipp.Response
	raw     []byte // when set, sent as is
	bodies  atomic.Value
	docSize atomic.Int64
}

func (h *ippResponder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.bodies.Store(body)
	// The document is what follows the request's attributes.
	var doc bytes.Buffer
	if _, err := goipp.NewRequestDecoder(bytes.NewReader(body)).Decode(&doc); err == nil {
		h.docSize.Store(int64(doc.Len()))
	}
	w.Header().Set("Content-Type", goipp.ContentTypeIPP)
	if h.raw != nil {
		w.Write(h.raw)
		return
	}
	b, _ := h.resp.Encode()
	w.Write(b)
}

func okResponse() *goipp.Response {
	r := goipp.NewResponse(goipp.StatusOk, 1)
	r.OperationAttributes["attributes-charset"] = []goipp.Attribute{{Tag: goipp.TagCharset, Name: "attributes-charset", Value: "utf-8"}}
	r.PrinterAttributes = append(r.PrinterAttributes, goipp.Attributes{
		"printer-state": {{Tag: goipp.TagEnum, Name: "printer-state", Value: 3}},
	})
	return r
}

// Trap: go-ipp's encoder knows no tag for print-color-mode (and others)
// and refuses the request; init adds them.
func TestTrapTagMappingExtended(t *testing.T) {
	for name := range extraTags {
		if _, ok := goipp.AttributeTagMapping[name]; !ok {
			t.Fatalf("%s not in AttributeTagMapping", name)
		}
	}
	c, _ := newClient("ipp://127.0.0.1:1/ipp/print", "", "", TLSOptions{}, time.Second)
	r := c.newRequest(opPrintJob)
	r.JobAttributes["print-color-mode"] = "color"
	if _, err := encode(r); err != nil {
		t.Fatal(err)
	}
	r.JobAttributes["no-such-attribute-xyz"] = "x"
	if _, err := encode(r); err == nil || !strings.Contains(err.Error(), "cannot get tag") {
		t.Fatalf("unknown attribute: %v", err)
	}
}

// Trap: Encode deletes printer-uri/job-id from the request's maps; a
// retried request would go out without its target.
func TestTrapEncodeMutatesRequest(t *testing.T) {
	c, _ := newClient("ipp://127.0.0.1:1/ipp/print", "", "", TLSOptions{}, time.Second)
	raw := c.newRequest(opGetJobAttributes)
	raw.OperationAttributes[goipp.AttributeJobID] = 7
	if _, err := raw.Encode(); err != nil {
		t.Fatal(err)
	}
	if _, still := raw.OperationAttributes[goipp.AttributePrinterURI]; still {
		t.Fatal("go-ipp no longer deletes printer-uri on Encode: this workaround can go")
	}
	ours := c.newRequest(opGetJobAttributes)
	ours.OperationAttributes[goipp.AttributeJobID] = 7
	a, err := encode(ours)
	if err != nil {
		t.Fatal(err)
	}
	b, err := encode(ours)
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range [][]byte{a, b} {
		req, err := goipp.NewRequestDecoder(bytes.NewReader(enc)).Decode(nil)
		if err != nil {
			t.Fatal(err)
		}
		if req.OperationAttributes[goipp.AttributePrinterURI] != c.uri || req.OperationAttributes[goipp.AttributeJobID] != 7 {
			t.Fatalf("encoded request lost its target: %v", req.OperationAttributes)
		}
	}
}

// Trap: dateTime octets decode as signed bytes: 2026 is [7, -22].
func TestTrapDateTimeSignedBytes(t *testing.T) {
	want := time.Date(2026, 11, 27, 9, 41, 21, 0, time.FixedZone("", 8*3600))
	// RFC 2579 DateAndTime, as go-ipp hands it over.
	octets := []byte{0x07, 0xea, 11, 27, 9, 41, 21, 0, '+', 8, 0}
	signed := make([]int, len(octets))
	for i, o := range octets {
		signed[i] = int(int8(o))
	}
	if signed[1] != -22 {
		t.Fatalf("test premise: %v", signed)
	}
	got, err := parseDateTime(signed)
	if err != nil || !got.Equal(want) {
		t.Fatalf("parseDateTime = %v, %v; want %v", got, err, want)
	}
	// Through the real decoder: build a response carrying the dateTime.
	raw := rawResponse(t, func(b *bytes.Buffer) {
		b.WriteByte(byte(goipp.TagDate))
		writeStr(b, "printer-current-time")
		binary.Write(b, binary.BigEndian, int16(11))
		b.Write(octets)
	})
	resp, err := decodeResponse(raw)
	if err != nil {
		t.Fatal(err)
	}
	v := convertAttrs(resp.PrinterAttributes[0])["printer-current-time"][0]
	if tm, ok := v.(time.Time); !ok || !tm.Equal(want) {
		t.Fatalf("decoded %T %v", v, v)
	}
	if _, err := parseDateTime([]int{1, 2, 3}); err == nil {
		t.Fatal("short dateTime accepted")
	}
}

// Trap: go-ipp panics on a negative length (make with a negative size);
// decodeResponse turns it into an error.
func TestTrapMalformedResponseDoesNotPanic(t *testing.T) {
	raw := rawResponse(t, func(b *bytes.Buffer) {
		b.WriteByte(byte(goipp.TagDate))
		writeStr(b, "printer-current-time")
		binary.Write(b, binary.BigEndian, int16(-5))
	})
	if _, err := decodeResponse(raw); err == nil {
		t.Fatal("malformed response decoded")
	}
	if _, err := decodeResponse([]byte{2}); err == nil {
		t.Fatal("truncated response decoded")
	}
}

func writeStr(b *bytes.Buffer, s string) {
	binary.Write(b, binary.BigEndian, int16(len(s)))
	b.WriteString(s)
}

// rawResponse builds version 2.0, successful-ok, id 1, an operation group
// with the charset, a printer group with attr, end.
func rawResponse(t *testing.T, attr func(*bytes.Buffer)) []byte {
	t.Helper()
	var b bytes.Buffer
	b.Write([]byte{2, 0, 0, 0, 0, 0, 0, 1, byte(goipp.TagDelimiterOperation)})
	b.WriteByte(byte(goipp.TagCharset))
	writeStr(&b, "attributes-charset")
	writeStr(&b, "utf-8")
	b.WriteByte(byte(goipp.TagDelimiterPrinter))
	attr(&b)
	b.WriteByte(byte(goipp.TagDelimiterEnd))
	return b.Bytes()
}

// Trap: go-ipp's HttpAdapter sends no document when FileSize is -1 (the
// NewRequest default); our client always sends it.
func TestTrapDocumentSentWithoutFileSize(t *testing.T) {
	h := &ippResponder{resp: okResponse()}
	srv := httptest.NewServer(h)
	defer srv.Close()
	doc := peers.PDF(1)

	adapter := goipp.NewHttpAdapter("127.0.0.1", 0, "", "", false)
	req := goipp.NewRequest(goipp.OperationPrintJob, 1)
	req.OperationAttributes[goipp.AttributePrinterURI] = "ipp://x/ipp/print"
	req.File = bytes.NewReader(doc) // FileSize left at -1
	if _, err := adapter.SendRequest(srv.URL, req, nil); err != nil {
		t.Fatal(err)
	}
	if n := h.docSize.Load(); n != 0 {
		t.Fatalf("go-ipp sent %d document bytes with FileSize -1; the trap is gone", n)
	}
	c, _ := newClient(strings.Replace(srv.URL, "http://", "ipp://", 1)+"/ipp/print", "", "", TLSOptions{}, time.Second)
	r := c.newRequest(opPrintJob)
	if _, _, err := c.do(context.Background(), "Print-Job", r, bytes.NewReader(doc), -1); err != nil {
		t.Fatal(err)
	}
	if n := h.docSize.Load(); n != int64(len(doc)) {
		t.Fatalf("our client sent %d document bytes, want %d", n, len(doc))
	}
}

// Trap: a printer that stops answering must not hang a poll: our client
// honours the context and its timeouts.
func TestTrapContextBoundsRequest(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	c, _ := newClient(strings.Replace(srv.URL, "http://", "ipp://", 1), "", "", TLSOptions{}, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, _, err := c.do(ctx, "Get-Printer-Attributes", c.newRequest(opGetPrinterAttributes), nil, 0)
	if !errors.Is(err, ErrUnreachable) || time.Since(t0) > 2*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(t0))
	}
}

// Trap: go-ipp's default client skips TLS verification; ours verifies.
func TestTrapTLSVerified(t *testing.T) {
	srv := httptest.NewTLSServer(&ippResponder{resp: okResponse()})
	defer srv.Close()
	adapter := goipp.NewHttpAdapter("127.0.0.1", 0, "", "", true)
	req := goipp.NewRequest(goipp.OperationGetPrinterAttributes, 1)
	req.OperationAttributes[goipp.AttributePrinterURI] = "ipps://x/ipp/print"
	if _, err := adapter.SendRequest(srv.URL, req, nil); err != nil {
		t.Fatalf("go-ipp default adapter: %v (expected it to accept any certificate)", err)
	}
	c, _ := newClient(strings.Replace(srv.URL, "https://", "ipps://", 1), "", "", TLSOptions{}, time.Second)
	_, _, err := c.do(context.Background(), "Get-Printer-Attributes", c.newRequest(opGetPrinterAttributes), nil, 0)
	var uae x509.UnknownAuthorityError
	if !errors.As(err, &uae) {
		t.Fatalf("unverified certificate: %v", err)
	}
}

func TestBasicAuthOnly(t *testing.T) {
	var scheme atomic.Value
	scheme.Store("Basic")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if scheme.Load() != "Basic" || !ok || u != "frontdesk" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", scheme.Load().(string)+` realm="printer"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		(&ippResponder{resp: okResponse()}).ServeHTTP(w, r)
	}))
	defer srv.Close()
	uri := strings.Replace(srv.URL, "http://", "ipp://", 1)
	poll := func(user, pass string) error {
		p, err := New(drivers.Device{ID: "p", Options: map[string]any{"uri": uri, "username": user, "password": pass}}, drivers.Deps{Sink: &recSink{}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Poll(context.Background())
		return err
	}
	if err := poll("frontdesk", "s3cret"); err != nil {
		t.Fatal(err)
	}
	if err := poll("", ""); err == nil || !strings.Contains(err.Error(), "set username") {
		t.Fatalf("no credentials: %v", err)
	}
	if err := poll("frontdesk", "wrong"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("wrong password: %v", err)
	}
	scheme.Store("Digest")
	if err := poll("frontdesk", "s3cret"); err == nil || !strings.Contains(err.Error(), "only Basic") {
		t.Fatalf("digest: %v", err)
	}
}

func FuzzDecodeResponse(f *testing.F) {
	b, _ := okResponse().Encode()
	f.Add(b)
	f.Add(rawResponse(&testing.T{}, func(b *bytes.Buffer) {
		b.WriteByte(byte(goipp.TagBeginCollection))
		writeStr(b, "media-col")
		writeStr(b, "")
		b.WriteByte(byte(goipp.TagEndCollection))
		writeStr(b, "")
		writeStr(b, "")
	}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		resp, err := decodeResponse(raw)
		if err != nil {
			return
		}
		for _, g := range resp.PrinterAttributes {
			st := parseStatus("p", time.Time{}, convertAttrs(g))
			_ = mustJSON(st)
		}
	})
}
