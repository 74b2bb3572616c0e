package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"switchboard/internal/config"
	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/faxdesk"
	"switchboard/test/peers"
)

// smtpDesk is an in-process SMTP server (go-smtp) on 127.0.0.1 with
// STARTTLS (a test CA's certificate) and AUTH PLAIN only after it.
type smtpDesk struct {
	mu    sync.Mutex
	msgs  [][]byte
	users []string
	tls   []bool
}

type smtpDeskSession struct {
	d    *smtpDesk
	c    *smtp.Conn
	user string
}

func (d *smtpDesk) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpDeskSession{d: d, c: c}, nil
}

func (s *smtpDeskSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpDeskSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "frontdesk" || password != "s3cret" {
			return errors.New("bad credentials")
		}
		s.user = username
		return nil
	}), nil
}

func (s *smtpDeskSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	return nil
}

func (s *smtpDeskSession) Rcpt(string, *smtp.RcptOptions) error { return nil }

func (s *smtpDeskSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.c.TLSConnectionState()
	s.d.mu.Lock()
	s.d.msgs, s.d.users, s.d.tls = append(s.d.msgs, b), append(s.d.users, s.user), append(s.d.tls, isTLS)
	s.d.mu.Unlock()
	return nil
}

func (s *smtpDeskSession) Reset() {}

func (s *smtpDeskSession) Logout() error { return nil }

// TestFaxReceivedEmailed: fax.email set, the SMTP server down when the fax
// comes in: the failure is recorded and retried, the register keeps the
// fax; once the server is up the PDF is mailed over STARTTLS with AUTH PLAIN.
func TestFaxReceivedEmailed(t *testing.T) {
	t.Parallel()
	ca := peers.NewTestCA(t, "smtp")
	addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))
	s := newFaxSiteWith(t, nil, config.Fax{Email: &config.FaxEmail{Server: addr, Username: "frontdesk", Password: "s3cret",
		From: "Switchboard <fax@hotel.example>", To: "frontdesk@hotel.example", StartTLS: "required", CA: ca.CAFile}},
		Tuning{Fax: faxdesk.Options{MailRetry: 200 * time.Millisecond}})
	ctx := context.Background()
	s.deliverReceived(fax.Received{Key: "fax1/rx/mail-1", RemoteID: "+86 10 1234", Pages: receivedPages(t, 2), BitRate: 9600,
		Start: time.Now(), Duration: 40 * time.Second, Complete: true})
	s.bo.event("hotel.fax.received", func(d map[string]any) bool { return d["id"] == float64(1) })
	waitUntil(t, "a failed e-mail attempt", func() bool {
		m, err := faxjobs.GetMail(ctx, s.g.st, 1)
		return err == nil && m.Attempts >= 1 && m.State == faxjobs.MailPending && m.LastError != ""
	})
	if f, err := faxjobs.GetFax(ctx, s.g.st, 1); err != nil || f.Status != faxjobs.Unassigned || f.PDF == "" {
		t.Fatalf("register after a failed e-mail: %+v %v", f, err)
	}

	cert, err := tls.LoadX509KeyPair(ca.CertFile, ca.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	desk := &smtpDesk{}
	srv := smtp.NewServer(desk)
	srv.Addr, srv.Domain = addr, "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.AllowInsecureAuth = false
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	waitUntil(t, "the e-mail", func() bool {
		m, err := faxjobs.GetMail(ctx, s.g.st, 1)
		return err == nil && m.State == faxjobs.MailSent
	})
	desk.mu.Lock()
	defer desk.mu.Unlock()
	if len(desk.msgs) != 1 || desk.users[0] != "frontdesk" || !desk.tls[0] {
		t.Fatalf("%d messages, users %v, tls %v", len(desk.msgs), desk.users, desk.tls)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(desk.msgs[0]))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.Header.Get("Subject"), "Fax 1 received") || msg.Header.Get("To") != "frontdesk@hotel.example" {
		t.Fatalf("headers %v", msg.Header)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var pdf []byte
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if p.FileName() == "fax-1.pdf" {
			pdf, _ = io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		}
	}
	f, _ := faxjobs.GetFax(ctx, s.g.st, 1)
	want, _ := os.ReadFile(f.PDF)
	if len(pdf) == 0 || !bytes.Equal(pdf, want) {
		t.Fatalf("attachment %d bytes, the fax's PDF %d", len(pdf), len(want))
	}
}
