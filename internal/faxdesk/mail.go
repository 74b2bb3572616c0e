package faxdesk

// E-mail of received faxes to the front desk (config fax.email): each one
// is sent by the mailer worker, as a PDF attachment, retried until sent.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"switchboard/internal/config"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/store"
)

// mailer sends the queued e-mails of received faxes; a failure is logged
// and tried again after fax.email.retry_interval_s. The register is never
// touched: the fax stays there whatever happens to its e-mail.
func (d *Desk) mailer(ctx context.Context) {
	tick := time.NewTicker(d.opt.Poll)
	defer tick.Stop()
	for {
		d.mailDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-d.mailCh:
		case <-tick.C:
		}
	}
}

func (d *Desk) mailDue(ctx context.Context) {
	due, err := faxjobs.DueMail(ctx, d.host.Store(), d.host.Now())
	if err != nil {
		if ctx.Err() == nil {
			d.host.Log().Warn("fax e-mail queue", "err", err)
		}
		return
	}
	for _, id := range due {
		if ctx.Err() != nil {
			return
		}
		d.mailOne(ctx, id)
	}
}

// mailOne sends the e-mail of one received fax and records how it went.
func (d *Desk) mailOne(ctx context.Context, id int64) {
	host, e := d.host, d.opt.Email
	log := host.Log()
	state, errText, next := faxjobs.MailSent, "", host.Now()
	f, err := faxjobs.GetFax(ctx, host.Store(), id)
	var pdf []byte
	if err == nil {
		if f.Status == faxjobs.Destroyed || f.PDF == "" {
			state, errText = faxjobs.MailGivenUp, "the fax's files were destroyed before it could be e-mailed"
		} else if pdf, err = os.ReadFile(f.PDF); err != nil {
			err = fmt.Errorf("the fax's PDF: %w", err)
		}
	}
	if err == nil && state == faxjobs.MailSent {
		err = sendFaxMail(ctx, e, d.roots, d.opt.MailTimeout, faxMessage(e, f, pdf, host.Location(), host.Now()))
	}
	if err != nil {
		if ctx.Err() != nil {
			return // stopping: still pending, tried at the next start
		}
		state, errText, next = faxjobs.MailPending, err.Error(), host.Now().Add(d.opt.MailRetry)
		log.Warn("fax not e-mailed to the front desk; tried again later", "fax", id, "to", e.To, "next", next, "err", err)
	}
	if err := host.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		return faxjobs.MailDone(tx, id, state, errText, next, host.Now())
	}); err != nil {
		log.Error("fax e-mail state not recorded", "fax", id, "err", err)
		return
	}
	if state == faxjobs.MailSent {
		log.Info("fax e-mailed to the front desk", "fax", id, "to", e.To, "pages", f.Pages)
	}
}

// faxMessage is the e-mail of a received fax: a short text and the PDF.
// It carries no guest name (the fax is not assigned yet).
func faxMessage(e *config.FaxEmail, f faxjobs.Fax, pdf []byte, loc *time.Location, now time.Time) []byte {
	recv := f.Received.In(loc)
	from := f.RemoteID
	if from == "" {
		from = "an unidentified sender"
	}
	subject := fmt.Sprintf("Fax %d received %s: %d page(s) from %s", f.ID, recv.Format("2006-01-02 15:04"), f.Pages, from)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := func(k, v string) string { return k + ": " + v + "\r\n" }
	var b bytes.Buffer
	b.WriteString(h("From", e.From))
	b.WriteString(h("To", e.To))
	b.WriteString(h("Subject", mime.QEncoding.Encode("utf-8", subject)))
	b.WriteString(h("Date", now.In(loc).Format(time.RFC1123Z)))
	b.WriteString(h("Message-ID", fmt.Sprintf("<fax-%d-%d@switchboard>", f.ID, f.Received.UnixNano())))
	b.WriteString(h("MIME-Version", "1.0"))
	b.WriteString(h("Content-Type", `multipart/mixed; boundary="`+mw.Boundary()+`"`))
	b.WriteString("\r\n")
	text := fmt.Sprintf("Fax %d came in on %s at %s: %d page(s) from %s.\r\n", f.ID, f.Device, recv.Format("2006-01-02 15:04"), f.Pages, from)
	if f.Partial {
		text += "PARTIAL: a page was cut or the sender did not end the call properly. Verify the page count.\r\n"
	}
	text += "Find the guest (fax.assign) and deliver it (fax.deliver) as usual; the PDF is attached.\r\n"
	tp, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Transfer-Encoding": {"8bit"}})
	tp.Write([]byte(text))
	name := fmt.Sprintf("fax-%d.pdf", f.ID)
	ap, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {`application/pdf; name="` + name + `"`},
		"Content-Disposition": {`attachment; filename="` + name + `"`}, "Content-Transfer-Encoding": {"base64"}})
	enc := base64.StdEncoding.EncodeToString(pdf)
	for len(enc) > 76 {
		ap.Write([]byte(enc[:76] + "\r\n"))
		enc = enc[76:]
	}
	ap.Write([]byte(enc + "\r\n"))
	mw.Close()
	b.Write(body.Bytes())
	return b.Bytes()
}

// sendFaxMail submits msg through the configured server: STARTTLS when the
// server offers it (required unless fax.email.starttls is optional), AUTH
// PLAIN (else LOGIN) when a username is set; the session whole within
// timeout.
func sendFaxMail(ctx context.Context, e *config.FaxEmail, roots *x509.CertPool, timeout time.Duration, msg []byte) error {
	from, err := mail.ParseAddress(e.From)
	if err != nil {
		return fmt.Errorf("fax.email.from: %w", err)
	}
	to, err := mail.ParseAddress(e.To)
	if err != nil {
		return fmt.Errorf("fax.email.to: %w", err)
	}
	host, _, _ := net.SplitHostPort(e.Server)
	tlsCfg := &tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dial := func() (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", e.Server)
		if err != nil {
			return nil, err
		}
		dl, _ := ctx.Deadline()
		conn.SetDeadline(dl)
		return conn, nil
	}
	conn, err := dial()
	if err != nil {
		return err
	}
	c := smtp.NewClient(conn)
	defer func() { c.Close() }()
	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		// go-smtp starts TLS on a fresh connection: the first one only
		// asked whether the server offers it.
		c.Close()
		if conn, err = dial(); err != nil {
			return err
		}
		if c, err = smtp.NewClientStartTLS(conn, tlsCfg); err != nil {
			conn.Close()
			c = smtp.NewClient(conn)
			return fmt.Errorf("STARTTLS: %w", err)
		}
	} else if e.StartTLSRequired() {
		return fmt.Errorf("%s does not offer STARTTLS (fax.email.starttls: required)", e.Server)
	}
	if e.Username != "" {
		var a sasl.Client
		switch {
		case c.SupportsAuth(sasl.Plain):
			a = sasl.NewPlainClient("", e.Username, e.Password)
		case c.SupportsAuth(sasl.Login):
			a = sasl.NewLoginClient(e.Username, e.Password)
		default:
			return fmt.Errorf("%s offers neither AUTH PLAIN nor AUTH LOGIN", e.Server)
		}
		if err := c.Auth(a); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(from.Address, nil); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to.Address, nil); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	_ = c.Quit()
	return nil
}
