package gateway

// Glue of the fax modem driver (drivers/faxmodem) for the business center
// (商務中心 發送傳真程序 / 接收傳真程序, docs/fax.md).
//
// Sending: fax.send validates the number with the dialing plan (country and
// area code), converts the document to fax pages, stores the job in the
// queue (internal/fax/jobs) and publishes hotel.fax.quoted in the same
// transaction. The glue's worker dials through the driver, tries busy and
// unanswered calls again (3 attempts, 3 minutes apart), writes a
// transmission report PDF, and bills what was confirmed page by page plus
// the rated call: business_charges row and hotel.fax.sent/failed in one
// transaction. A call with no confirmed page is not billed.
//
// Receiving: a faxmodem.Received record (inside the device's delivery
// transaction, journal first) is stored as TIFF Class F and PDF, entered in
// the register as unassigned and published as hotel.fax.received. fax.assign
// finds the guest (room and/or name; a guest who has left is marked
// checked-out with the date), fax.deliver records the hand-over and bills
// the received pages. Unclaimed faxes are archived after fax.archive_days
// and destroyed after fax.destroy_days (hotel.fax.archived,
// hotel.fax.destroyed). With fax.email set, each received fax is e-mailed
// (PDF) to the front desk by its own worker, retried until sent.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // fax.send documents
	_ "image/png"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"switchboard/drivers"
	"switchboard/internal/bus"
	"switchboard/internal/business"
	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/events/fax"
	"switchboard/internal/fax/codec"
	faxjobs "switchboard/internal/fax/jobs"
	faxpdf "switchboard/internal/fax/pdf"
	"switchboard/internal/fax/textpage"
	tifff "switchboard/internal/fax/tiff"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

func init() {
	deviceHooks = append(deviceHooks, faxHook)
	recordHandlers = append(recordHandlers, faxRecords)
}

// Fax limits by default (config fax.max_document_mib, fax.page_limit).
const (
	// MaxFaxDocument is the largest document fax.send takes (decoded) by default.
	MaxFaxDocument = config.DefaultFaxMaxDocumentMiB << 20
	// MaxFaxPages is the most pages one fax may have by default.
	MaxFaxPages = config.DefaultFaxPageLimit
)

// Internal timings (tests shrink them). The retry policy, retention,
// limits and quote speed come from the config's fax section.
var (
	faxPoll        = time.Second      // queue check
	faxSweepEvery  = 10 * time.Minute // retention check
	faxSendWait    = 3 * time.Minute  // how long fax.send waits for the first attempt's end
	faxCallTimeout = 15 * time.Minute // one call, whole
	faxGSTimeout   = 60 * time.Second // Ghostscript on one PDF
)

// Fine and standard page heights of an A4 page (297 mm at 7.7 and 3.85 lines/mm).
const (
	a4RowsFine     = 2287
	a4RowsStandard = 1143
)

// faxGlue is the fax glue of one gateway.
type faxGlue struct {
	g        *Gateway
	tariff   *rating.BusinessTariff
	dir      string // <store folder>/fax
	policy   faxjobs.Policy
	keep     faxjobs.Retention
	poll     time.Duration
	sweep    time.Duration
	wait     time.Duration
	docLimit int
	pages    int // page limit
	bitrate  int // the speed a quote assumes
	email    *config.FaxEmail
	roots    *x509.CertPool // fax.email.ca (nil: the system's)
	mailWait time.Duration  // before a failed e-mail is tried again
	mailCh   chan struct{}

	mu      sync.Mutex
	senders map[string]fax.Modem
	sending map[string]bool // modems whose queue a sender goroutine works
	wg      sync.WaitGroup  // those goroutines
	kick    chan struct{}
	sweepCh chan struct{}
	done    map[int64]chan struct{} // jobs someone waits for
}

var (
	faxGluesMu sync.Mutex
	faxGlues   = map[*Gateway]*faxGlue{}
)

// faxGlueOf returns the gateway's fax glue, making it on first use.
func faxGlueOf(g *Gateway) (*faxGlue, error) {
	faxGluesMu.Lock()
	defer faxGluesMu.Unlock()
	if fg := faxGlues[g]; fg != nil {
		return fg, nil
	}
	// The business tariff print is priced from too (billing.business_tariff).
	t, err := business.LoadTariff(g.cfg.Billing.BusinessTariff)
	if err != nil {
		return nil, err
	}
	fc := g.cfg.Fax
	fg := &faxGlue{g: g, tariff: t, dir: filepath.Join(filepath.Dir(g.cfg.Store.Path), "fax"),
		policy: faxjobs.Policy{Attempts: fc.Attempts(), Interval: fc.RetryInterval()},
		keep:   faxjobs.Retention{ArchiveAfter: fc.ArchiveAfter(), DestroyAfter: fc.DestroyAfter()},
		poll:   faxPoll, sweep: faxSweepEvery, wait: faxSendWait, docLimit: fc.MaxDocument(), pages: fc.Pages(), bitrate: fc.BitRate(), email: fc.Email,
		mailCh: make(chan struct{}, 1), senders: map[string]fax.Modem{}, sending: map[string]bool{}, kick: make(chan struct{}, 1), sweepCh: make(chan struct{}, 1), done: map[int64]chan struct{}{}}
	for _, sub := range []string{"out", "in", "archive"} {
		if err := os.MkdirAll(filepath.Join(fg.dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("fax folder: %w", err)
		}
	}
	if e := fc.Email; e != nil {
		fg.mailWait = e.RetryInterval()
		if e.CA != "" {
			pem, err := os.ReadFile(e.CA)
			if err != nil {
				return nil, fmt.Errorf("fax.email.ca: %w", err)
			}
			fg.roots = x509.NewCertPool()
			if !fg.roots.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("fax.email.ca %s: no PEM certificate", e.CA)
			}
		}
	}
	faxGlues[g] = fg
	if g.router != nil && !g.closing.Load() {
		g.Handle("fax", "fax.send", faxSendHandler{fg})
		g.Handle("fax", "fax.assign", faxAssignHandler{fg})
		g.Handle("fax", "fax.deliver", faxDeliverHandler{fg})
		g.Worker(fg.run)
		if fg.email != nil {
			g.Worker(fg.mailer)
		}
	}
	return fg, nil
}

// faxHook keeps each fax modem for the send queue.
func faxHook(g *Gateway, d config.Device, drv drivers.Driver) error {
	if d.Driver != "faxmodem" {
		return nil
	}
	s, ok := drv.(fax.Modem)
	if !ok {
		return fmt.Errorf("device %s: driver faxmodem made a %T, not a faxmodem.Sender", d.ID, drv)
	}
	fg, err := faxGlueOf(g)
	if err != nil {
		return fmt.Errorf("device %s: %w", d.ID, err)
	}
	fg.mu.Lock()
	fg.senders[d.ID] = s
	fg.mu.Unlock()
	return nil
}

func (fg *faxGlue) sender(device string) fax.Modem {
	fg.mu.Lock()
	defer fg.mu.Unlock()
	return fg.senders[device]
}

func (fg *faxGlue) poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// ---------------------------------------------------------------------------
// Worker: the send queue and the retention of unclaimed faxes.

func (fg *faxGlue) run(ctx context.Context) {
	g := fg.g
	defer func() {
		fg.wg.Wait() // each modem's sender ends its attempt first
		faxGluesMu.Lock()
		delete(faxGlues, g)
		faxGluesMu.Unlock()
	}()
	fg.interrupted(ctx)
	tick := time.NewTicker(fg.poll)
	defer tick.Stop()
	sweep := time.NewTicker(fg.sweep)
	defer sweep.Stop()
	fg.retain(ctx)
	for {
		fg.sendDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-fg.kick:
		case <-tick.C:
		case <-fg.sweepCh:
			fg.retain(ctx)
		case <-sweep.C:
			fg.retain(ctx)
		}
	}
}

// interrupted ends the jobs a stop cut off during a call: whether the fax
// went through is unknown, so they are not sent again (the guest could get
// it twice) nor billed; the operator checks the driver's journal. A job
// whose attempt has no dial in the journal placed no call (the driver
// commits the dial before the modem gets it): it is simply due again.
func (fg *faxGlue) interrupted(ctx context.Context) {
	jobs, err := faxjobs.Interrupted(ctx, fg.g.st)
	if err != nil {
		fg.g.log.Error("fax jobs interrupted by the last stop", "err", err)
		return
	}
	for _, j := range jobs {
		keyPrefix, dial := fg.sender(j.Device).DialEvidence(attemptKey(j))
		dialled, err := fg.g.st.SentToDevice(ctx, j.Device, j.Started, keyPrefix, dial)
		if err == nil && !dialled {
			why := "a gateway restart came before the dial: no call was placed; sent again"
			if err := fg.g.st.InTx(ctx, func(tx *store.Tx) error { return faxjobs.Unclaim(tx, j.ID, fg.g.Now(), why) }); err != nil {
				fg.g.log.Error("fax job not queued again", "job", j.ID, "err", err)
			} else {
				fg.g.log.Info("fax job queued again: the last stop came before its dial", "job", j.ID, "device", j.Device)
			}
			continue
		}
		a := faxjobs.Attempt{Outcome: faxjobs.Outcome{Pages: j.Pages,
			Error: "interrupted by a gateway restart during the call: not billed, not resent; check the device's journal"}, Start: j.Started,
			Total: j.Confirmed, Result: j.Result}
		fg.finish(ctx, j, a, faxjobs.Failed, fg.g.Now())
	}
}

// sendDue starts a sender for every modem with jobs due that has none: a
// modem that is away (its Send waits for the port to come back) holds up
// its own queue only, not the other modems' nor the retention sweep.
func (fg *faxGlue) sendDue(ctx context.Context) {
	due, err := faxjobs.Due(ctx, fg.g.st, fg.g.Now())
	if err != nil {
		if ctx.Err() == nil {
			fg.g.log.Warn("fax queue", "err", err)
		}
		return
	}
	for _, j := range due {
		fg.mu.Lock()
		start := !fg.sending[j.Device] && ctx.Err() == nil
		if start {
			fg.sending[j.Device] = true
			fg.wg.Add(1)
		}
		fg.mu.Unlock()
		if start {
			go fg.sendQueue(ctx, j.Device)
		}
	}
}

// sendQueue attempts one modem's due jobs, in queue order, until none is
// left; then the run loop looks again (a job may have come due meanwhile).
func (fg *faxGlue) sendQueue(ctx context.Context, device string) {
	defer func() {
		fg.mu.Lock()
		delete(fg.sending, device)
		fg.mu.Unlock()
		fg.wg.Done()
		fg.poke(fg.kick)
	}()
	for ctx.Err() == nil {
		due, err := faxjobs.Due(ctx, fg.g.st, fg.g.Now())
		if err != nil {
			if ctx.Err() == nil {
				fg.g.log.Warn("fax queue", "device", device, "err", err)
			}
			return
		}
		n := 0
		for _, j := range due {
			if j.Device != device {
				continue
			}
			if ctx.Err() != nil {
				return
			}
			fg.attempt(ctx, j)
			n++
		}
		if n == 0 {
			return
		}
	}
}

// attemptKey is the driver's session key of a job's current attempt (its
// journal frames are keyed under it).
func attemptKey(j faxjobs.Job) string {
	return fmt.Sprintf("%s/tx/job-%d/%d", j.Device, j.ID, j.Attempts)
}

// attempt dials one job once. Only the pages no earlier attempt had
// confirmed are sent (a line cut after some pages: the rest is re-queued).
func (fg *faxGlue) attempt(ctx context.Context, j faxjobs.Job) {
	g := fg.g
	now := g.Now()
	var claimed bool
	if err := g.st.InTx(ctx, func(tx *store.Tx) (err error) { claimed, err = faxjobs.Claim(tx, j.ID, now); return err }); err != nil || !claimed {
		return
	}
	j.Attempts++
	merged := jobPages(j)
	var todo []int // 0-based page indices still to send
	for i, p := range merged {
		if !p.Confirmed {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 { // cannot happen (the job would be sent): send it all
		for i := range merged {
			todo = append(todo, i)
		}
	}
	s := fg.sender(j.Device)
	var res fax.SendResult
	var err error
	pages, lerr := loadTIFFPages(j.Document)
	if lerr == nil && len(pages) != j.Pages {
		lerr = fmt.Errorf("%d pages in the file, %d in the job", len(pages), j.Pages)
	}
	switch {
	case lerr != nil:
		err = fmt.Errorf("the job's pages cannot be read: %w", lerr)
		res = fax.SendResult{Start: now, Pages: len(todo), Error: err.Error()}
	case s == nil:
		err = fmt.Errorf("device %s is not a fax modem of this gateway (any more)", j.Device)
		res = fax.SendResult{Start: now, Pages: len(todo), Error: err.Error()}
	default:
		resolution := fax.Standard
		if j.Fine {
			resolution = fax.Fine
		}
		send := make([]*codec.Bitmap, 0, len(todo))
		for _, i := range todo {
			send = append(send, pages[i])
		}
		g.log.Info("fax dialing", "device", j.Device, "job", j.ID, "attempt", j.Attempts, "pages", len(send), "of", len(pages))
		res, err = s.Send(ctx, fax.SendJob{Number: j.Dial, Pages: send, Resolution: resolution, Timeout: faxCallTimeout,
			Key: attemptKey(j)})
	}
	if res.Start.IsZero() {
		res.Start = now
	}
	if res.Pages == 0 {
		res.Pages = len(todo)
	}
	if err != nil && res.Error == "" {
		res.Error = err.Error()
	}
	if err != nil && ctx.Err() != nil {
		// Shutting down: the job stays in sending and is reported as
		// interrupted at the next start unless the call had ended.
		if res.PagesConfirmed == 0 {
			_ = g.st.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
				_, err := tx.Exec(`UPDATE fax_jobs SET state='retry', attempts=attempts-1, next_at=? WHERE id=? AND state='sending'`, now.UnixNano(), j.ID)
				return err
			})
			return
		}
	}
	// The attempt's pages in the job's numbering.
	confirmed := 0
	for i := range res.PerPage {
		p := &res.PerPage[i]
		if p.Page < 1 || p.Page > len(todo) {
			continue
		}
		orig := todo[p.Page-1]
		p.Page = orig + 1
		if p.Confirmed {
			confirmed++
		}
		merged[orig] = pageResult(*p, j.Attempts)
	}
	if len(res.PerPage) == 0 && res.PagesConfirmed > 0 {
		// A driver that counts without the page list: the first pages.
		for k := 0; k < res.PagesConfirmed && k < len(todo); k++ {
			merged[todo[k]] = FaxPage{Page: todo[k] + 1, Confirmed: true, Code: string(fax.MCF), Tries: 1, BitRate: res.BitRate, Attempt: j.Attempts}
		}
		confirmed = min(res.PagesConfirmed, len(todo))
	}
	o := faxjobs.Outcome{Pages: len(todo), Confirmed: confirmed, Retryable: res.Retryable || (err != nil && errors.Is(err, fax.ErrBusy)), Error: res.Error}
	end := g.Now()
	state, next := faxjobs.Decide(j, o, end)
	if err != nil && ctx.Err() == nil && errors.Is(err, fax.ErrModemGone) {
		// The modem itself went away (switched off, unplugged, crashed):
		// the front desk reads which modem and what to do, not only the
		// port's error.
		then := "then send the fax again"
		if state == faxjobs.Retry {
			then = "the fax is tried again once it answers"
		}
		res.Error = fmt.Sprintf("fax modem %s stopped answering: check that it is switched on and its cable plugged in; %s (%s)", j.Device, then, res.Error)
		o.Error = res.Error
	}
	a := faxjobs.Attempt{Outcome: o, BitRate: res.BitRate, RemoteID: res.RemoteID, Start: res.Start, Duration: res.Duration}
	for _, p := range merged {
		if p.Confirmed {
			a.Total++
		}
	}
	if b, merr := json.Marshal(merged); merr == nil {
		a.Result = string(b)
	}
	a.Report = fg.writeReport(j, res, state, a.Total)
	fg.finish(context.WithoutCancel(ctx), j, a, state, next)
}

// jobPages is the job's per-page results over its attempts so far (every
// page of the job, unconfirmed until an attempt confirmed it).
func jobPages(j faxjobs.Job) []FaxPage {
	out := make([]FaxPage, j.Pages)
	for i := range out {
		out[i] = FaxPage{Page: i + 1, Code: string(fax.None)}
	}
	var prev []FaxPage
	if j.Result != "" && json.Unmarshal([]byte(j.Result), &prev) == nil {
		for _, p := range prev {
			if p.Page >= 1 && p.Page <= len(out) {
				out[p.Page-1] = p
			}
		}
	}
	return out
}

// FaxPage is one page's result in hotel.fax.sent/failed.
type FaxPage struct {
	Page      int     `json:"page"`
	Confirmed bool    `json:"confirmed"`
	Code      string  `json:"code"` // MCF, RTP, RTN, PIP, PIN, none
	Tries     int     `json:"tries"`
	BitRate   int     `json:"bitrate"`
	DurationS float64 `json:"duration_s"`
	Attempt   int     `json:"attempt,omitempty"` // the attempt that sent it last
}

func pageResult(p fax.PageResult, attempt int) FaxPage {
	return FaxPage{Page: p.Page, Confirmed: p.Confirmed, Code: string(p.Code), Tries: p.Tries, BitRate: p.BitRate,
		DurationS: float64(p.Duration.Milliseconds()) / 1000, Attempt: attempt}
}

// writeReport writes the transmission report PDF (發送傳真程序: check the
// report's page count and result) next to the job's pages.
func (fg *faxGlue) writeReport(j faxjobs.Job, res fax.SendResult, state string, total int) string {
	result := "OK"
	if res.Error != "" {
		result = res.Error
	}
	if state == faxjobs.Retry {
		result += fmt.Sprintf(" (attempt %d of %d; next attempt in %s)", j.Attempts, j.MaxAttempts, j.RetryEvery)
	}
	extra := []string{
		fmt.Sprintf("Job: %d   Room: %s   Operator: %s   Attempt: %d of %d", j.ID, j.Room, j.Operator, j.Attempts, j.MaxAttempts),
		fmt.Sprintf("Number dialled: %s (%s, %s)", j.Dial, j.Destination, j.Kind),
	}
	if res.Pages != j.Pages || total != res.PagesConfirmed {
		extra = append(extra, fmt.Sprintf("Pages of the fax: %d; this attempt: %d; confirmed over all attempts: %d", j.Pages, res.Pages, total))
	}
	if res.RemoteID != "" {
		extra = append(extra, "Remote station: "+res.RemoteID)
	}
	for _, p := range res.PerPage {
		ok := "not confirmed"
		if p.Confirmed {
			ok = "confirmed"
		}
		extra = append(extra, fmt.Sprintf("Page %d: %s (%s), %d bit/s, %d tries, %.1f s", p.Page, ok, p.Code, p.BitRate, p.Tries, p.Duration.Seconds()))
	}
	d := faxpdf.New()
	d.AddReport(faxpdf.Report{Destination: j.Number, Start: res.Start.In(fg.g.loc), Duration: res.Duration, BitRate: res.BitRate,
		PagesSent: len(res.PerPage), PagesConfirmed: res.PagesConfirmed, Result: result, Extra: extra})
	var b bytes.Buffer
	if _, err := d.WriteTo(&b); err != nil {
		fg.g.log.Warn("fax transmission report not written", "job", j.ID, "err", err)
		return ""
	}
	path := filepath.Join(fg.dir, "out", fmt.Sprintf("job-%d-report-%d.pdf", j.ID, j.Attempts))
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		fg.g.log.Warn("fax transmission report not written", "job", j.ID, "err", err)
		return ""
	}
	return path
}

// FaxOutcome is the data of hotel.fax.sent and hotel.fax.failed (the
// whole job) and of hotel.fax.attempt (one attempt cut after some pages,
// billed, the rest re-queued): what was sent, page by page, and what it
// cost. Every attempt with confirmed pages is billed once for those pages
// and its call (one business charge each, Charges); the final event sums
// them. A failed fax with pages confirmed is billed for those.
type FaxOutcome struct {
	JobID          int64       `json:"job_id"`
	CommandID      string      `json:"command_id"`
	Device         string      `json:"device"`
	Room           string      `json:"room"`
	Operator       string      `json:"operator"`
	Number         string      `json:"number"` // canonical, masked per the config
	Destination    string      `json:"destination"`
	Zone           string      `json:"zone"`
	Pages          int         `json:"pages"`
	PagesConfirmed int         `json:"pages_confirmed"` // over all attempts (hotel.fax.attempt: so far)
	Attempts       int         `json:"attempts"`
	Start          time.Time   `json:"start"` // of the last attempt
	DurationS      float64     `json:"duration_s"`
	BitRate        int         `json:"bitrate"`
	RemoteID       string      `json:"remote_id,omitempty"`
	Result         string      `json:"result"` // OK or the reason
	PerPage        []FaxPage   `json:"per_page"`
	Report         string      `json:"report,omitempty"` // transmission report file (PDF) on the gateway
	Billed         bool        `json:"billed"`
	Charge                     // hotel.fax.sent/failed: every attempt's charge; hotel.fax.attempt: this one's
	Charges        []FaxCharge `json:"charges"`
	NextAt         *time.Time  `json:"next_attempt,omitempty"` // hotel.fax.attempt
}

// FaxCharge is the business charge of one attempt.
type FaxCharge struct {
	Attempt     int          `json:"attempt"`
	Pages       int          `json:"pages"` // confirmed in that attempt
	Amount      rating.Money `json:"amount"`
	AmountMinor int64        `json:"amount_minor"`
	IdemKey     string       `json:"idemkey"` // business_charges.idemkey
	Unbilled    string       `json:"unbilled,omitempty"`
}

// faxChargeIdem is the idemkey of an attempt's business charge (and of its
// hotel.fax.attempt event).
func faxChargeIdem(j faxjobs.Job, attempt int) string {
	return fmt.Sprintf("%s/fax-job/%d/attempt/%d", j.Device, j.ID, attempt)
}

// jobCharges reads the business charges earlier attempts of a job made.
func jobCharges(tx *store.Tx, j faxjobs.Job) ([]FaxCharge, []events.Line, error) {
	rows, err := tx.Query(`SELECT idemkey, units, amount, amount_minor, breakdown, unbilled FROM business_charges
		WHERE service=? AND device=? AND ref=? ORDER BY at, idemkey`, rating.ServiceFaxSend, j.Device, fmt.Sprintf("fax-job/%d", j.ID))
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []FaxCharge
	var lines []events.Line
	for rows.Next() {
		var c FaxCharge
		var amount, breakdown string
		if err := rows.Scan(&c.IdemKey, &c.Pages, &amount, &c.AmountMinor, &breakdown, &c.Unbilled); err != nil {
			return nil, nil, err
		}
		if c.Amount, err = rating.ParseMoney(amount); err != nil {
			return nil, nil, fmt.Errorf("charge %s: %w", c.IdemKey, err)
		}
		fmt.Sscanf(c.IdemKey[strings.LastIndex(c.IdemKey, "/")+1:], "%d", &c.Attempt)
		var ls []events.Line
		_ = json.Unmarshal([]byte(breakdown), &ls)
		lines = append(lines, ls...)
		out = append(out, c)
	}
	return out, lines, rows.Err()
}

// finish records an attempt. An attempt with confirmed pages is billed
// once (its own business charge); a cut one that is retried publishes
// hotel.fax.attempt with that charge, a final one hotel.fax.sent/failed
// with the sum over the attempts.
func (fg *faxGlue) finish(ctx context.Context, j faxjobs.Job, a faxjobs.Attempt, state string, next time.Time) {
	g := fg.g
	now := g.Now()
	var out FaxOutcome
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		if state == faxjobs.Retry && a.Confirmed == 0 {
			return faxjobs.Finish(tx, j.ID, a, state, next, now)
		}
		prior, priorLines, err := jobCharges(tx, j)
		if err != nil {
			return err
		}
		perPage := jobPages(j)
		if a.Result != "" {
			_ = json.Unmarshal([]byte(a.Result), &perPage)
		}
		out = FaxOutcome{JobID: j.ID, CommandID: j.CommandID, Device: j.Device, Room: j.Room, Operator: j.Operator,
			Number: g.Biller().MaskDialed(j.Canonical), Destination: j.Destination, Zone: j.Zone, Pages: j.Pages,
			PagesConfirmed: a.Total, Attempts: j.Attempts, Start: a.Start.In(g.loc), DurationS: a.Duration.Seconds(),
			BitRate: a.BitRate, RemoteID: a.RemoteID, Result: "OK", PerPage: perPage, Report: a.Report,
			Charge: Charge{Currency: fg.tariff.Currency(), Tariff: fg.tariff.Name(), Breakdown: []events.Line{}}, Charges: []FaxCharge{}}
		if a.Error != "" {
			out.Result = a.Error
		}
		typ, idem := "hotel.fax.sent", fmt.Sprintf("%s/fax-job/%d", j.Device, j.ID)
		switch state {
		case faxjobs.Failed:
			typ = "hotel.fax.failed"
		case faxjobs.Retry:
			typ, idem = "hotel.fax.attempt", faxChargeIdem(j, j.Attempts)
			n := next.In(g.loc)
			out.NextAt = &n
		}
		ev := store.Event{Type: typ, Topic: g.topics.Event("fax", j.Device, typ), Source: g.topics.Source("fax", j.Device),
			Subject: subjectOf(j.Room, j.Device), IdemKey: idem, Time: now.In(g.loc)}
		var bp businessPrice
		var unbilled []string
		if state != faxjobs.Retry {
			// The job's total: the earlier attempts' charges, then this one's.
			for _, c := range prior {
				out.Charges = append(out.Charges, c)
				out.Amount += c.Amount
				out.AmountMinor += c.AmountMinor
				if c.Unbilled != "" {
					unbilled = append(unbilled, fmt.Sprintf("attempt %d: %s", c.Attempt, c.Unbilled))
				}
			}
			out.Breakdown = append(out.Breakdown, priorLines...)
			out.Billed = len(prior) > 0
		}
		if a.Confirmed > 0 {
			// 發送傳真程序: bill the actual price: this attempt's confirmed pages and its call.
			bp = fg.sendPrice(j, a.Confirmed, a.Start, a.Duration)
			a.Charge = faxChargeIdem(j, j.Attempts)
			out.Billed = true
			out.Amount += bp.res.Price
			out.AmountMinor += bp.res.Minor
			out.Breakdown = append(out.Breakdown, bp.lines()...)
			out.Charges = append(out.Charges, FaxCharge{Attempt: j.Attempts, Pages: a.Confirmed, Amount: bp.res.Price, AmountMinor: bp.res.Minor,
				IdemKey: a.Charge, Unbilled: bp.unbilled})
			if bp.unbilled != "" {
				unbilled = append(unbilled, fmt.Sprintf("attempt %d: %s", j.Attempts, bp.unbilled))
			}
		}
		out.Unbilled = strings.Join(unbilled, "; ")
		ev.Data = out
		seq, dup, err := tx.Enqueue(ev)
		if err != nil {
			return err
		}
		if a.Confirmed > 0 && !dup {
			chargeState := "partial"
			if a.Error == "" && a.Confirmed >= a.Pages {
				chargeState = "completed"
			}
			if err := insertCharge(tx, a.Charge, rating.ServiceFaxSend, j.Device, fmt.Sprintf("fax-job/%d", j.ID), j.Room, j.Operator,
				a.Start.Add(a.Duration), int64(a.Confirmed), "", false, false, chargeState, bp, fg.tariff.Name(), seq); err != nil {
				return err
			}
		}
		return faxjobs.Finish(tx, j.ID, a, state, next, now)
	})
	if err != nil {
		g.log.Error("fax job outcome not recorded", "job", j.ID, "err", err)
		return
	}
	g.notify()
	g.log.Info("fax job "+state, "device", j.Device, "job", j.ID, "attempt", j.Attempts, "confirmed", a.Confirmed, "total", a.Total, "err", a.Error)
	fg.mu.Lock() // fax.send's reply waits for the first attempt's end
	if ch := fg.done[j.ID]; ch != nil {
		close(ch)
		delete(fg.done, j.ID)
	}
	fg.mu.Unlock()
}

// sendPrice is the business-center fee for the pages and the call's price
// from the rating engine (the carrier's rate for the destination and the
// time the call took, with the hotel's plan).
func (fg *faxGlue) sendPrice(j faxjobs.Job, pages int, start time.Time, dur time.Duration) businessPrice {
	bp := fg.price(rating.BusinessItem{Service: rating.ServiceFaxSend, Zone: j.Zone, Pages: int64(pages)})
	if bp.unbilled != "" {
		return bp
	}
	call, err := fg.rateCall(j.Dial, start, dur)
	switch {
	case err != nil:
		bp.unbilled = "call not rated: " + err.Error()
	case call.Currency != bp.res.Currency:
		bp.unbilled = fmt.Sprintf("call rated in %s, business tariff in %s", call.Currency, bp.res.Currency)
	default:
		bp.res.Breakdown = append(bp.res.Breakdown, rating.BusinessStep{Kind: "call", Label: call.Destination, Units: int64(call.BillableS), Amount: call.Price})
		bp.res.Price += call.Price
		bp.res.Minor = bp.res.Price.Minor(2, rating.HalfUp)
	}
	return bp
}

func (fg *faxGlue) price(it rating.BusinessItem) businessPrice { return priceItem(fg.tariff, it) }

// rateCall rates the fax call as the PBX would record it.
func (fg *faxGlue) rateCall(dial string, start time.Time, dur time.Duration) (rating.Result, error) {
	eng := fg.g.Biller().Engine
	site := eng.Tariff.Site()
	if len(site.TrunkAccess) > 0 {
		dial = site.TrunkAccess[0] + dial
	}
	yes := true
	return eng.Rate(rating.Call{Dialed: dial, Start: start.In(fg.g.loc), Duration: dur, Answered: &yes})
}

// ---------------------------------------------------------------------------
// Numbers

// faxNumber is a validated destination.
type faxNumber struct {
	dial, canonical, kind, zone, destination string
}

// checkNumber validates a number with the dialing plan (發送傳真程序: check
// the country and area code) and says what the modem dials.
func (fg *faxGlue) checkNumber(to string) (faxNumber, error) {
	bad := func(why string) (faxNumber, error) {
		return faxNumber{}, &bus.FieldError{Field: "data.to", Problem: fmt.Sprintf("%q: %s", to, why)}
	}
	if strings.TrimSpace(to) == "" {
		return bad("required")
	}
	site := fg.g.Biller().Engine.Tariff.Site()
	// A guest's number has no PBX access code: a leading 9 is a digit.
	plan := site
	plan.TrunkAccess = nil
	n, err := plan.Normalize(to)
	if err != nil {
		return bad("not a fax number (digits, spaces, dashes and a leading + only)")
	}
	cc := site.HomeCountry
	nat := strings.TrimPrefix(n.Digits, cc)
	minLocal := 0
	for _, l := range site.LocalLengths {
		if minLocal == 0 || l < minLocal {
			minLocal = l
		}
	}
	var fn faxNumber
	fn.canonical, fn.kind, fn.zone = n.Digits, n.Kind.String(), rating.FaxZoneDomestic
	switch n.Kind {
	case rating.KindInternal:
		return bad("an extension of the hotel: no outside call")
	case rating.KindEmergency, rating.KindService:
		return bad("a short service or emergency number cannot receive a fax")
	case rating.KindUnknown:
		return bad(fmt.Sprintf("fits no rule of the dialing plan: a local number has %v digits; dial %s and the area code for another city, %s and the country code abroad",
			site.LocalLengths, site.NationalPrefix, site.InternationalPrefix))
	case rating.KindInternational:
		if len(n.Digits) < 7 || len(n.Digits) > 15 {
			// ITU-T E.164 §6: at most 15 digits with the country code.
			return bad(fmt.Sprintf("%d digits after the international prefix: a country code and number have 7 to 15", len(n.Digits)))
		}
		if cc != "" && strings.HasPrefix(n.Digits, cc) {
			// Our own country dialed the international way.
			if len(nat) < len(site.HomeArea)+minLocal {
				return bad("area code and number too short")
			}
			fn.kind, fn.dial = rating.KindNational.String(), site.NationalPrefix+nat
		} else {
			fn.zone, fn.dial = rating.FaxZoneInternation, site.InternationalPrefix+n.Digits
		}
	case rating.KindNational:
		if len(nat) < len(site.HomeArea)+minLocal {
			return bad(fmt.Sprintf("%s: the area code and a %v-digit number are needed", nat, site.LocalLengths))
		}
		fn.dial = site.NationalPrefix + nat
		if site.HomeArea != "" && strings.HasPrefix(nat, site.HomeArea) && containsLen(site.LocalLengths, len(nat)-len(site.HomeArea)) {
			fn.dial = nat[len(site.HomeArea):] // our own area: dialed as a local number
		}
	case rating.KindLocal:
		fn.dial = strings.TrimPrefix(nat, site.HomeArea)
	default: // mobile, free
		fn.dial = nat
	}
	call, err := fg.rateCall(fn.dial, fg.g.Now(), time.Minute)
	if err != nil {
		return bad("no tariff destination for it: " + err.Error())
	}
	fn.destination = call.Destination
	return fn, nil
}

func containsLen(ls []int, n int) bool {
	for _, l := range ls {
		if l == n {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// Documents

// sniffFormat names a document's format from its first bytes.
func sniffFormat(doc []byte) string {
	switch {
	case bytes.HasPrefix(doc, []byte("%PDF-")):
		return "application/pdf"
	case bytes.HasPrefix(doc, []byte("II*\x00")), bytes.HasPrefix(doc, []byte("MM\x00*")):
		return "image/tiff"
	case bytes.HasPrefix(doc, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(doc, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case utf8.Valid(doc) && !bytes.ContainsAny(doc, "\x00"):
		return "text/plain"
	}
	return ""
}

var faxFormats = []string{"application/pdf", "image/tiff", "image/png", "image/jpeg", "text/plain"}

// toPages converts a document to A4 fax pages 1728 pels wide.
func toPages(ctx context.Context, doc []byte, format string, fine bool, maxPages int) ([]*codec.Bitmap, error) {
	rows := a4RowsStandard
	if fine {
		rows = a4RowsFine
	}
	var pages []*codec.Bitmap
	switch format {
	case "application/pdf":
		tif, err := ghostscriptTIFF(ctx, doc, fine, maxPages)
		if err != nil {
			return nil, err
		}
		if pages, err = tiffBitmaps(tif); err != nil {
			return nil, fmt.Errorf("ghostscript's pages: %w", err)
		}
	case "image/tiff":
		var err error
		if pages, err = tiffBitmaps(doc); err != nil {
			return nil, err
		}
	case "image/png", "image/jpeg":
		img, _, err := image.Decode(bytes.NewReader(doc))
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		ys := 0.5 // 98 lpi against 204 dpi
		if fine {
			ys = 196.0 / 204
		}
		b, err := codec.FromImage(img, codec.ScaleOptions{YScale: ys, Filter: codec.Box})
		if err != nil {
			return nil, err
		}
		pages = splitRows(b, rows)
	case "text/plain":
		// Chinese (any UTF-8) through a system TrueType font; plain ASCII
		// still goes out if that font is missing.
		var terr error
		if pages, terr = textpage.Render(string(doc), textpage.Options{Fine: fine}); terr != nil {
			if !isASCII(doc) {
				return nil, fmt.Errorf("text: %w", terr)
			}
			pages = textPages(string(doc), fine)
		}
	default:
		return nil, fmt.Errorf("format %q: want one of %s", format, strings.Join(faxFormats, ", "))
	}
	if len(pages) == 0 {
		return nil, errors.New("no page in the document")
	}
	if len(pages) > maxPages {
		return nil, fmt.Errorf("more than %d pages", maxPages)
	}
	for i, p := range pages {
		pages[i] = fitWidth(p)
	}
	return pages, nil
}

// ghostscriptTIFF renders a PDF to G3 TIFF at fax resolution, with a
// timeout and a page limit (one page over the limit is rendered to know).
func ghostscriptTIFF(ctx context.Context, pdf []byte, fine bool, maxPages int) ([]byte, error) {
	gs, err := exec.LookPath("gs")
	if err != nil {
		return nil, errors.New("PDF needs Ghostscript (gs), which is not installed on the gateway")
	}
	dir, err := os.MkdirTemp("", "switchboard-fax-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.tif")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		return nil, err
	}
	r := "-r204x196"
	if !fine {
		r = "-r204x98"
	}
	ctx, cancel := context.WithTimeout(ctx, faxGSTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gs, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffg3", r,
		"-sPAPERSIZE=a4", "-dFIXEDMEDIA", "-dPDFFitPage", "-dFirstPage=1", fmt.Sprintf("-dLastPage=%d", maxPages+1),
		"-sOutputFile="+out, in)
	cmd.Dir = dir
	msg, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("Ghostscript took more than %s", faxGSTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("not a PDF Ghostscript can render: %v: %s", err, strings.TrimSpace(string(msg)))
	}
	return os.ReadFile(out)
}

func tiffBitmaps(data []byte) ([]*codec.Bitmap, error) {
	tp, err := tifff.Read(data)
	if err != nil {
		return nil, fmt.Errorf("TIFF: %w", err)
	}
	var out []*codec.Bitmap
	for i, p := range tp {
		b, err := p.Decode()
		if err != nil {
			return nil, fmt.Errorf("TIFF page %d: %w", i+1, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// fitWidth centres a page on the 1728-pel A4 line (T.4 §2.2), cropping a
// wider one (US Letter from Ghostscript is 1734 pels).
func fitWidth(b *codec.Bitmap) *codec.Bitmap {
	if b.Width == codec.WidthA4 {
		return b
	}
	out := codec.NewBitmap(codec.WidthA4, b.Height)
	off := (codec.WidthA4 - b.Width) / 2
	for y := 0; y < b.Height; y++ {
		for x := 0; x < b.Width; x++ {
			if nx := x + off; nx >= 0 && nx < codec.WidthA4 && b.Black(x, y) {
				out.Set(nx, y, true)
			}
		}
	}
	return out
}

// splitRows cuts a tall bitmap into pages of at most rows rows.
func splitRows(b *codec.Bitmap, rows int) []*codec.Bitmap {
	if b.Height <= rows {
		return []*codec.Bitmap{b}
	}
	var out []*codec.Bitmap
	for y0 := 0; y0 < b.Height; y0 += rows {
		h := min(rows, b.Height-y0)
		p := codec.NewBitmap(b.Width, h)
		for y := 0; y < h; y++ {
			copy(p.Row(y), b.Row(y0+y))
		}
		out = append(out, p)
	}
	return out
}

// textPages sets plain text in the 7x13 fixed font scaled 3x (80 columns
// on the A4 line), 3x vertically at fine and 1.5x at standard resolution.
func textPages(text string, fine bool) []*codec.Bitmap {
	const cols, scale = 80, 3
	face := basicfont.Face7x13
	ys := 3.0
	rowsPerPage := a4RowsFine
	if !fine {
		ys, rowsPerPage = 1.5, a4RowsStandard
	}
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		l = strings.ReplaceAll(l, "\t", "    ")
		for utf8.RuneCountInString(l) > cols {
			r := []rune(l)
			lines, l = append(lines, string(r[:cols])), string(r[cols:])
		}
		lines = append(lines, l)
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	lineH := int(13 * ys)
	margin := int(40 * ys)
	perPage := (rowsPerPage - 2*margin) / lineH
	var pages []*codec.Bitmap
	for start := 0; start < len(lines) || start == 0; start += perPage {
		src := image.NewGray(image.Rect(0, 0, cols*7, perPage*13))
		draw.Draw(src, src.Bounds(), image.White, image.Point{}, draw.Src)
		d := font.Drawer{Dst: src, Src: image.Black, Face: face}
		for i := 0; i < perPage && start+i < len(lines); i++ {
			d.Dot = fixed.P(0, i*13+face.Ascent)
			d.DrawString(lines[start+i])
		}
		b := codec.NewBitmap(codec.WidthA4, rowsPerPage)
		left := (codec.WidthA4 - cols*7*scale) / 2
		for y := 0; y < perPage*lineH; y++ {
			sy := int(float64(y) / ys)
			for x := 0; x < cols*7*scale; x++ {
				if src.GrayAt(x/scale, sy).Y < 128 {
					b.Set(left+x, margin+y, true)
				}
			}
		}
		pages = append(pages, b)
		if len(lines) == 0 {
			break
		}
	}
	return pages
}

// writeTIFF stores pages as TIFF Class F (MR, K 4 fine / 2 standard).
func writeTIFF(path string, pages []*codec.Bitmap, fine bool, quality []tiffQuality) error {
	yres, k := float64(tifff.YResStandard), 2
	if fine {
		yres, k = tifff.YResFine, 4
	}
	var tp []*tifff.Page
	for i, b := range pages {
		p, err := tifff.NewPage(b, codec.Params{Scheme: codec.MR, K: k}, yres)
		if err != nil {
			return err
		}
		p.PageNumber, p.PageCount = i, len(pages)
		if i < len(quality) {
			p.BadFaxLines, p.ConsecutiveBadFaxLines = quality[i].bad, quality[i].consecutive
			if quality[i].bad > 0 {
				p.CleanFaxData = tifff.Regenerated
			}
		}
		tp = append(tp, p)
	}
	var buf bytes.Buffer
	if err := tifff.Write(&buf, tp); err != nil {
		return err
	}
	return writeFileSync(path, buf.Bytes())
}

type tiffQuality struct{ bad, consecutive int }

func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

func loadTIFFPages(path string) ([]*codec.Bitmap, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return tiffBitmaps(data)
}

// pdfOfTIFF writes the PDF of a TIFF Class F file (no re-encoding).
func pdfOfTIFF(tiffPath, pdfPath string) error {
	data, err := os.ReadFile(tiffPath)
	if err != nil {
		return err
	}
	tp, err := tifff.Read(data)
	if err != nil {
		return err
	}
	d := faxpdf.New()
	for _, p := range tp {
		img, err := faxpdf.ImageFromTIFF(p)
		if err != nil {
			return err
		}
		if err := d.AddFax(img); err != nil {
			return err
		}
	}
	var b bytes.Buffer
	if _, err := d.WriteTo(&b); err != nil {
		return err
	}
	return writeFileSync(pdfPath, b.Bytes())
}

// estimate is the call time a quote assumes: T.30 phase B and C set-up, each
// page's coded size at the quote's bit rate, and per-page phase D.
func estimate(pages []*codec.Bitmap, fine bool, bitrate int) time.Duration {
	k := 2
	if fine {
		k = 4
	}
	d := 25 * time.Second // dialling, answer, DIS/DCS, TCF, CFR
	for _, p := range pages {
		data, err := codec.Encode(p, codec.Params{Scheme: codec.MR, K: k, Width: p.Width})
		n := len(data)
		if err != nil {
			n = p.Width * p.Height / 8 / 10
		}
		d += time.Duration(float64(n*8)/float64(bitrate)*float64(time.Second)) + 3*time.Second // + MPS/MCF, retrain
	}
	return d
}

// ---------------------------------------------------------------------------
// fax.send

// FaxSendData is the data of fax/{device}/cmd/fax.send.
type FaxSendData struct {
	To         string `json:"to"`
	Room       string `json:"room"`
	Operator   string `json:"operator"`
	Document   string `json:"document"`             // base64, at most fax.max_document_mib decoded
	Format     string `json:"format,omitempty"`     // MIME type; default: from the first bytes
	Resolution string `json:"resolution,omitempty"` // fine (default), standard
}

// FaxQuote is the data of hotel.fax.quoted and part of fax.send's result:
// what the guest is told before the fax goes (發送傳真程序: tell the guest
// the price first).
type FaxQuote struct {
	JobID        int64  `json:"job_id"`
	CommandID    string `json:"command_id"`
	Device       string `json:"device"`
	Room         string `json:"room"`
	Operator     string `json:"operator"`
	Number       string `json:"number"` // canonical, masked per the config
	Kind         string `json:"kind"`
	Destination  string `json:"destination"`
	Zone         string `json:"zone"`
	Pages        int    `json:"pages"`
	Resolution   string `json:"resolution"`
	EstimatedS   int    `json:"estimated_s"`
	QuoteBitRate int    `json:"quote_bitrate"`
	Charge
	MaxAttempts int `json:"max_attempts"`
	RetryEveryS int `json:"retry_every_s"`
}

// FaxSendResult is the result of fax.send.
type FaxSendResult struct {
	JobID  int64       `json:"job_id"`
	State  string      `json:"state"` // sent, failed, retry, queued, sending
	Quote  FaxQuote    `json:"quote"`
	Sent   *FaxOutcome `json:"outcome,omitempty"`
	NextAt *time.Time  `json:"next_attempt,omitempty"`
	Note   string      `json:"note,omitempty"`
}

type faxSendHandler struct{ fg *faxGlue }

type faxSendJob struct {
	d    FaxSendData
	doc  []byte
	num  faxNumber
	fine bool
}

func (fg *faxGlue) knownModem(c *bus.Command) error {
	if fg.sender(c.Device) == nil {
		fg.mu.Lock()
		var have []string
		for id := range fg.senders {
			have = append(have, id)
		}
		fg.mu.Unlock()
		return &bus.FieldError{Field: "topic", Problem: fmt.Sprintf("device %q is not a fax modem of this gateway (have %v)", c.Device, have)}
	}
	return nil
}

func (h faxSendHandler) parse(c *bus.Command) (faxSendJob, error) {
	fg := h.fg
	var j faxSendJob
	if err := fg.knownModem(c); err != nil {
		return j, err
	}
	if err := bus.DecodeData(c, &j.d); err != nil {
		return j, err
	}
	d := &j.d
	if err := business.CheckRoom(fg.g.Biller().Dir, d.Room); err != nil {
		return j, err
	}
	if err := plainText("data.operator", d.Operator, 32, true); err != nil {
		return j, err
	}
	res, err := oneOf("data.resolution", d.Resolution, "fine", []string{"fine", "standard"})
	if err != nil {
		return j, err
	}
	d.Resolution, j.fine = res, res == "fine"
	if d.Format, err = oneOf("data.format", d.Format, "", faxFormats); err != nil {
		return j, err
	}
	if d.Document == "" {
		return j, &bus.FieldError{Field: "data.document", Problem: "required: the document, base64"}
	}
	if n := base64.StdEncoding.DecodedLen(len(d.Document)); n > fg.docLimit+2 {
		return j, &bus.FieldError{Field: "data.document", Problem: fmt.Sprintf("about %.1f MiB: the limit is %.1f MiB", float64(n)/(1<<20), float64(fg.docLimit)/(1<<20))}
	}
	if j.doc, err = base64.StdEncoding.DecodeString(d.Document); err != nil {
		return j, &bus.FieldError{Field: "data.document", Problem: "not base64: " + err.Error()}
	}
	if len(j.doc) == 0 || len(j.doc) > fg.docLimit {
		return j, &bus.FieldError{Field: "data.document", Problem: fmt.Sprintf("%d bytes: want 1 to %d", len(j.doc), fg.docLimit)}
	}
	if d.Format == "" {
		if d.Format = sniffFormat(j.doc); d.Format == "" {
			return j, &bus.FieldError{Field: "data.document", Problem: "not PDF, TIFF, PNG, JPEG or plain text"}
		}
	}
	d.Document = ""
	if j.num, err = fg.checkNumber(d.To); err != nil {
		return j, err
	}
	return j, nil
}

func (h faxSendHandler) Validate(c *bus.Command) error {
	_, err := h.parse(c)
	return err
}

// Execute waits for the job Prepare queued (its first attempt, or its end).
func (h faxSendHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	j, err := faxjobs.JobByCommand(ctx, h.fg.g.st, c.ID)
	if err != nil {
		return nil, fmt.Errorf("fax job of command %s: %w", c.ID, err)
	}
	return h.fg.waitJob(ctx, c, j.ID)
}

// Prepare converts the document, quotes it and queues the job before the
// `accepted` reply, which carries the quote (the business center tells the
// guest the price before sending).
func (h faxSendHandler) Prepare(ctx context.Context, c *bus.Command) (any, error) {
	fg, g := h.fg, h.fg.g
	if j, err := faxjobs.JobByCommand(ctx, g.st, c.ID); err == nil {
		return map[string]any{"job_id": j.ID, "note": "queued before"}, nil // a redelivered command: the job exists
	}
	j, err := h.parse(c)
	if err != nil {
		return nil, err
	}
	fg.mu.Lock()
	policy, pageLimit, bitrate := fg.policy, fg.pages, fg.bitrate
	fg.mu.Unlock()
	pages, err := toPages(ctx, j.doc, j.d.Format, j.fine, pageLimit)
	if err != nil {
		return nil, &bus.FieldError{Field: "data.document", Problem: err.Error()}
	}
	now := g.Now()
	path := filepath.Join(fg.dir, "out", fmt.Sprintf("%s-%s.tif", c.Device, now.UTC().Format("20060102T150405.000000000")))
	if err := writeTIFF(path, pages, j.fine, nil); err != nil {
		return nil, fmt.Errorf("fax pages not stored: %w", err)
	}
	// The quote: pages at the zone's fee and the call for the estimated time.
	est := estimate(pages, j.fine, bitrate)
	fake := faxjobs.Job{Zone: j.num.zone, Dial: j.num.dial}
	bp := fg.sendPrice(fake, len(pages), now, est)
	q := FaxQuote{CommandID: c.ID, Device: c.Device, Room: j.d.Room, Operator: j.d.Operator, Number: g.Biller().MaskDialed(j.num.canonical),
		Kind: j.num.kind, Destination: j.num.destination, Zone: j.num.zone, Pages: len(pages), Resolution: j.d.Resolution,
		EstimatedS: int(est.Seconds()), QuoteBitRate: bitrate, Charge: bp.charge(fg.tariff.Name()),
		MaxAttempts: policy.Attempts, RetryEveryS: int(policy.Interval.Seconds())}
	var id int64
	err = g.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = faxjobs.Enqueue(tx, faxjobs.Job{CommandID: c.ID, Device: c.Device, Number: j.d.To, Dial: j.num.dial, Canonical: j.num.canonical,
			Kind: j.num.kind, Zone: j.num.zone, Destination: j.num.destination, Room: j.d.Room, Operator: j.d.Operator,
			Document: path, Pages: len(pages), Fine: j.fine}, policy, now)
		if err != nil {
			return err
		}
		q.JobID = id
		b, _ := json.Marshal(q)
		if _, err := tx.Exec(`UPDATE fax_jobs SET quote=? WHERE id=?`, string(b), id); err != nil {
			return err
		}
		_, _, err = tx.Enqueue(store.Event{Type: "hotel.fax.quoted", Topic: g.topics.Event("fax", c.Device, "hotel.fax.quoted"),
			Source: g.topics.Source("fax", c.Device), Subject: subjectOf(j.d.Room, c.Device), IdemKey: fmt.Sprintf("%s/fax-job/%d/quote", c.Device, id),
			Time: now.In(g.loc), Data: q})
		return err
	})
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("fax job not queued: %w", err)
	}
	g.notify()
	g.log.Info("fax queued", "device", c.Device, "job", id, "room", j.d.Room, "pages", len(pages), "quote", q.Amount.String())
	return q, nil
}

// waitJob waits a bounded time for the job's first attempt (or its end)
// and reports it; the rest follows as hotel.fax.sent/failed.
func (fg *faxGlue) waitJob(ctx context.Context, c *bus.Command, id int64) (any, error) {
	g := fg.g
	wait := fg.wait
	if c.Deadline != nil {
		if w := time.Until(*c.Deadline); w < wait {
			wait = max(w, time.Second)
		}
	}
	ch := make(chan struct{})
	fg.mu.Lock()
	fg.done[id] = ch
	fg.mu.Unlock()
	fg.poke(fg.kick)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
	}
	fg.mu.Lock()
	delete(fg.done, id)
	fg.mu.Unlock()
	j, err := faxjobs.GetJob(context.WithoutCancel(ctx), g.st, id)
	if err != nil {
		return nil, err
	}
	res := FaxSendResult{JobID: id, State: j.State}
	_ = json.Unmarshal([]byte(j.Quote), &res.Quote)
	switch j.State {
	case faxjobs.Sent, faxjobs.Failed:
		var o FaxOutcome
		var payload []byte
		typ := "hotel.fax." + map[bool]string{true: "sent", false: "failed"}[j.State == faxjobs.Sent]
		if err := g.st.QueryRow(ctx, `SELECT o.payload FROM idem i JOIN outbox o ON o.seq=i.seq WHERE i.type=? AND i.idemkey=?`,
			typ, fmt.Sprintf("%s/fax-job/%d", j.Device, id)).Scan(&payload); err == nil {
			var env struct {
				Data FaxOutcome `json:"data"`
			}
			if json.Unmarshal(payload, &env) == nil {
				o = env.Data
			}
		}
		res.Sent = &o
		if j.State == faxjobs.Failed {
			billed := ""
			if o.Billed {
				billed = fmt.Sprintf("; %d of %d pages confirmed and billed: %s %s", o.PagesConfirmed, o.Pages, o.Currency, o.Amount)
			}
			return nil, fmt.Errorf("fax job %d failed after %d attempt(s): %s%s", id, j.Attempts, j.LastError, billed)
		}
	case faxjobs.Retry:
		n := j.NextAt.In(g.loc)
		res.NextAt = &n
		res.Note = fmt.Sprintf("attempt %d of %d: %s; next attempt at %s; the outcome follows as hotel.fax.sent or hotel.fax.failed",
			j.Attempts, j.MaxAttempts, j.LastError, n.Format("15:04:05"))
	default:
		res.Note = "still " + j.State + ": the outcome follows as hotel.fax.sent or hotel.fax.failed"
	}
	return res, nil
}

// ---------------------------------------------------------------------------
// Receiving

// FaxReceived is the data of hotel.fax.received.
type FaxReceived struct {
	ID        int64     `json:"id"`
	Device    string    `json:"device"`
	Received  time.Time `json:"received"`
	Pages     int       `json:"pages"`
	RemoteID  string    `json:"remote_id,omitempty"`
	BadLines  int       `json:"bad_lines"`
	Partial   bool      `json:"partial"`
	Complete  bool      `json:"complete"`
	BitRate   int       `json:"bitrate"`
	DurationS float64   `json:"duration_s"`
	Error     string    `json:"error,omitempty"`
	Status    string    `json:"status"`
}

func faxRecords(s *deviceSink, tx *store.Tx, r drivers.Result) (bool, error) {
	rec, ok := r.Record.(fax.Received)
	if !ok {
		return false, nil
	}
	fg, err := faxGlueOf(s.g)
	if err != nil {
		return true, err
	}
	dup, err := fg.onReceived(s, tx, r, rec)
	if err != nil {
		return true, err
	}
	if dup {
		return true, tx.MarkFrame(r.FrameID, store.FrameDuplicate, "")
	}
	return true, tx.MarkFrame(r.FrameID, store.FrameParsed, "")
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (fg *faxGlue) onReceived(s *deviceSink, tx *store.Tx, r drivers.Result, rec fax.Received) (dup bool, err error) {
	g := fg.g
	key := rec.Key
	if key == "" {
		key = r.Key
	}
	if key == "" {
		key = fmt.Sprintf("%s/rx/journal-%d", s.device, r.FrameID)
	}
	var one int
	if tx.QueryRow(`SELECT 1 FROM fax_register WHERE key=?`, key).Scan(&one) == nil {
		return true, nil
	}
	at := rec.Start
	if at.IsZero() {
		at = g.Now()
	}
	f := faxjobs.Fax{Key: key, Device: s.device, Received: at, Pages: len(rec.Pages), RemoteID: strings.TrimSpace(rec.RemoteID),
		Complete: rec.Complete, Partial: !rec.Complete, Error: rec.Error, BitRate: rec.BitRate}
	var bms []*codec.Bitmap
	var q []tiffQuality
	fine := false
	for i, p := range rec.Pages {
		params := p.Params
		if params.Height == 0 {
			params.Height = p.Height
		}
		pg, derr := codec.DecodePage(p.Data, params)
		if derr != nil || pg == nil || pg.Bitmap == nil {
			s.log.Warn("received fax page not decodable: kept as a white page, flagged partial", "key", key, "page", i+1, "err", derr)
			bms = append(bms, codec.NewBitmap(codec.WidthA4, a4RowsStandard))
			q = append(q, tiffQuality{bad: a4RowsStandard, consecutive: a4RowsStandard})
			f.Partial = true
			continue
		}
		bad := max(p.BadLines, pg.BadLines)
		f.BadLines += bad
		if p.Partial {
			f.Partial = true
		}
		fine = fine || p.Fine
		bms = append(bms, pg.Bitmap)
		q = append(q, tiffQuality{bad: bad, consecutive: max(p.MaxConsecutiveBad, pg.MaxConsecutiveBad)})
	}
	if len(bms) > 0 {
		day := filepath.Join(fg.dir, "in", at.In(g.loc).Format("2006-01-02"))
		if err := os.MkdirAll(day, 0o700); err != nil {
			return false, err
		}
		base := filepath.Join(day, unsafeName.ReplaceAllString(key, "_"))
		f.TIFF, f.PDF = base+".tif", base+".pdf"
		// A fax page in TIFF carries one resolution; a mixed fax (rare)
		// is stored at the first page's.
		if err := writeTIFF(f.TIFF, bms, fine, q); err != nil {
			return false, fmt.Errorf("received fax not stored: %w", err)
		}
		if err := pdfOfTIFF(f.TIFF, f.PDF); err != nil {
			return false, fmt.Errorf("received fax PDF: %w", err)
		}
	}
	id, dup, err := faxjobs.Register(tx, f)
	if err != nil || dup {
		return dup, err
	}
	if fg.email != nil && f.PDF != "" {
		// E-mailed to the front desk by the mailer, after this commits.
		if err := faxjobs.QueueMail(tx, id, g.Now()); err != nil {
			return false, err
		}
		defer fg.poke(fg.mailCh)
	}
	data := FaxReceived{ID: id, Device: s.device, Received: at.In(g.loc), Pages: f.Pages, RemoteID: f.RemoteID, BadLines: f.BadLines,
		Partial: f.Partial, Complete: f.Complete, BitRate: f.BitRate, DurationS: rec.Duration.Seconds(), Error: f.Error, Status: faxjobs.Unassigned}
	_, _, err = tx.Enqueue(store.Event{Type: "hotel.fax.received", Topic: g.topics.Event("fax", s.device, "hotel.fax.received"),
		Source: g.topics.Source("fax", s.device), Subject: fmt.Sprintf("fax/%d", id), IdemKey: key, Time: data.Received, Data: data})
	if err == nil {
		s.log.Info("fax received", "fax", id, "pages", f.Pages, "remote", f.RemoteID, "partial", f.Partial)
	}
	return false, err
}

// ---------------------------------------------------------------------------
// fax.assign, fax.deliver

// FaxAssignData is the data of fax/{device}/cmd/fax.assign.
type FaxAssignData struct {
	ID   int64  `json:"id"`
	Room string `json:"room,omitempty"`
	Name string `json:"name,omitempty"` // the guest's name as on the fax
}

// FaxAssigned is the data of hotel.fax.assigned (never the guest's name).
type FaxAssigned struct {
	ID         int64      `json:"id"`
	Device     string     `json:"device"`
	Status     string     `json:"status"` // assigned, checked-out
	Room       string     `json:"room"`
	Pages      int        `json:"pages"`
	Received   time.Time  `json:"received"`
	CheckedOut *time.Time `json:"checked_out,omitempty"`
	Note       string     `json:"note,omitempty"` // CHECK OUT 2026-11-27
}

type faxAssignHandler struct{ fg *faxGlue }

func (h faxAssignHandler) parse(c *bus.Command) (FaxAssignData, error) {
	var d FaxAssignData
	if err := bus.DecodeData(c, &d); err != nil {
		return d, err
	}
	if d.ID < 1 {
		return d, &bus.FieldError{Field: "data.id", Problem: "required: the register's fax id"}
	}
	d.Name = strings.Join(strings.Fields(d.Name), " ")
	if err := plainText("data.room", d.Room, 16, false); err != nil {
		return d, err
	}
	if err := plainText("data.name", d.Name, 100, false); err != nil {
		return d, err
	}
	if d.Room == "" && d.Name == "" {
		return d, &bus.FieldError{Field: "data.room", Problem: "a room or a name is needed to find the guest"}
	}
	return d, nil
}

func (h faxAssignHandler) Validate(c *bus.Command) error {
	_, err := h.parse(c)
	return err
}

type stayRow struct {
	id       int64
	room     string
	guest    string
	checkout *time.Time
}

func sameName(a, b string) bool {
	a, b = strings.ToLower(strings.Join(strings.Fields(a), " ")), strings.ToLower(strings.Join(strings.Fields(b), " "))
	return a != "" && (a == b || strings.Contains(a, b) || strings.Contains(b, a))
}

// findGuest matches a fax to a stay: the room's current guest (whose name
// must fit when one is given), else a guest of that name in the house,
// else the most recent guest of that room or name who has left.
func findGuest(tx *store.Tx, room, name string) (stayRow, error) {
	q := `SELECT id, room, guest, checkout FROM stays WHERE 1=1`
	var args []any
	if room != "" {
		q += ` AND room=?`
		args = append(args, room)
	}
	rows, err := tx.Query(q+` ORDER BY checkin DESC LIMIT 500`, args...)
	if err != nil {
		return stayRow{}, err
	}
	var open, left []stayRow
	for rows.Next() {
		var s stayRow
		var co *int64
		if err := rows.Scan(&s.id, &s.room, &s.guest, &co); err != nil {
			rows.Close()
			return s, err
		}
		if co != nil {
			t := time.Unix(0, *co)
			s.checkout = &t
		}
		if name != "" && !sameName(s.guest, name) {
			continue
		}
		if s.checkout == nil {
			open = append(open, s)
		} else {
			left = append(left, s)
		}
	}
	rows.Close()
	switch {
	case len(open) == 1:
		return open[0], nil
	case len(open) > 1:
		var rooms []string
		for _, s := range open {
			rooms = append(rooms, s.room)
		}
		return stayRow{}, &bus.FieldError{Field: "data.name", Problem: fmt.Sprintf("several guests in the house fit (rooms %s): give the room", strings.Join(rooms, ", "))}
	case len(left) > 0:
		return left[0], nil
	case room != "" && name != "":
		return stayRow{}, &bus.FieldError{Field: "data.name", Problem: fmt.Sprintf("no guest of that name has stayed in room %s", room)}
	case room != "":
		return stayRow{}, &bus.FieldError{Field: "data.room", Problem: fmt.Sprintf("room %s has no guest and had none", room)}
	}
	return stayRow{}, &bus.FieldError{Field: "data.name", Problem: "no guest of that name in the house or checked out"}
}

func (h faxAssignHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	g := h.fg.g
	d, err := h.parse(c)
	if err != nil {
		return nil, err
	}
	now := g.Now()
	var out FaxAssigned
	err = g.st.InTx(ctx, func(tx *store.Tx) error {
		s, err := findGuest(tx, d.Room, d.Name)
		if err != nil {
			return err
		}
		f, err := faxjobs.Assign(tx, d.ID, faxjobs.Assignment{Room: s.room, Name: s.guest, StayID: s.id, CheckedOut: s.checkout}, now)
		if err != nil {
			if errors.Is(err, faxjobs.ErrNotFound) {
				return &bus.FieldError{Field: "data.id", Problem: err.Error()}
			}
			return err
		}
		out = FaxAssigned{ID: f.ID, Device: f.Device, Status: f.Status, Room: f.Room, Pages: f.Pages, Received: f.Received.In(g.loc)}
		if s.checkout != nil {
			co := s.checkout.In(g.loc)
			out.CheckedOut = &co
			out.Note = "CHECK OUT " + co.Format(time.DateOnly)
		}
		_, _, err = tx.Enqueue(store.Event{Type: "hotel.fax.assigned", Topic: g.topics.Event("fax", f.Device, "hotel.fax.assigned"),
			Source: g.topics.Source("fax", f.Device), Subject: "room/" + f.Room, IdemKey: fmt.Sprintf("fax/%d/assigned/%d", f.ID, now.UnixNano()),
			Time: now.In(g.loc), Data: out})
		return err
	})
	if err != nil {
		return nil, err
	}
	g.notify()
	if out.Room != "" && out.CheckedOut == nil {
		// 接收傳真程序: the guest learns a fax is waiting: the room's
		// message lamp through the hotel link, when the hotel has one.
		g.MessageLamp(ctx, out.Room, true, "fax")
	}
	return out, nil
}

// FaxDeliverData is the data of fax/{device}/cmd/fax.deliver.
type FaxDeliverData struct {
	ID          int64  `json:"id"`
	DeliveredBy string `json:"delivered_by"` // operator or bellboy
	SignedBy    string `json:"signed_by"`    // who signed for it
}

// FaxDelivered is the data of hotel.fax.delivered with the charge for the
// received pages (the signer's name stays in the register).
type FaxDelivered struct {
	ID          int64     `json:"id"`
	Device      string    `json:"device"`
	Room        string    `json:"room"`
	Pages       int       `json:"pages"`
	Received    time.Time `json:"received"`
	Delivered   time.Time `json:"delivered"`
	DeliveredBy string    `json:"delivered_by"`
	Signed      bool      `json:"signed"`
	Charge
}

type faxDeliverHandler struct{ fg *faxGlue }

func (h faxDeliverHandler) parse(c *bus.Command) (FaxDeliverData, error) {
	var d FaxDeliverData
	if err := bus.DecodeData(c, &d); err != nil {
		return d, err
	}
	if d.ID < 1 {
		return d, &bus.FieldError{Field: "data.id", Problem: "required: the register's fax id"}
	}
	if err := plainText("data.delivered_by", d.DeliveredBy, 32, true); err != nil {
		return d, err
	}
	return d, plainText("data.signed_by", d.SignedBy, 100, true)
}

func (h faxDeliverHandler) Validate(c *bus.Command) error {
	_, err := h.parse(c)
	return err
}

func (h faxDeliverHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	fg, g := h.fg, h.fg.g
	d, err := h.parse(c)
	if err != nil {
		return nil, err
	}
	now := g.Now()
	var out FaxDelivered
	var waiting int // other faxes still waiting for the room's guest
	err = g.st.InTx(ctx, func(tx *store.Tx) error {
		f, err := faxjobs.GetFaxTx(tx, d.ID)
		if err != nil {
			return &bus.FieldError{Field: "data.id", Problem: err.Error()}
		}
		room := f.Room
		if room == "" {
			room = WalkIn
		}
		bp := fg.price(rating.BusinessItem{Service: rating.ServiceFaxReceive, Pages: int64(f.Pages)})
		idem := fmt.Sprintf("%s/fax/%d/delivered", f.Device, f.ID)
		if f, err = faxjobs.Deliver(tx, d.ID, d.DeliveredBy, d.SignedBy, idem, now); err != nil {
			return &bus.FieldError{Field: "data.id", Problem: err.Error()}
		}
		if waiting, err = faxjobs.Waiting(tx, room); err != nil {
			return err
		}
		out = FaxDelivered{ID: f.ID, Device: f.Device, Room: room, Pages: f.Pages, Received: f.Received.In(g.loc), Delivered: now.In(g.loc),
			DeliveredBy: d.DeliveredBy, Signed: d.SignedBy != "", Charge: bp.charge(fg.tariff.Name())}
		seq, _, err := tx.Enqueue(store.Event{Type: "hotel.fax.delivered", Topic: g.topics.Event("fax", f.Device, "hotel.fax.delivered"),
			Source: g.topics.Source("fax", f.Device), Subject: "room/" + room, IdemKey: idem, Time: out.Delivered, Data: out})
		if err != nil {
			return err
		}
		return insertCharge(tx, idem, rating.ServiceFaxReceive, f.Device, fmt.Sprintf("fax/%d", f.ID), room, d.DeliveredBy, now,
			int64(f.Pages), "", false, false, "completed", bp, fg.tariff.Name(), seq)
	})
	if err != nil {
		return nil, err
	}
	g.notify()
	if out.Room != "" && out.Room != WalkIn && waiting == 0 {
		// The lamp stays on while another fax waits for the guest.
		g.MessageLamp(ctx, out.Room, false, "fax")
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// Retention

// FaxRetained is the data of hotel.fax.archived and hotel.fax.destroyed.
type FaxRetained struct {
	ID       int64     `json:"id"`
	Device   string    `json:"device"`
	Status   string    `json:"status"` // archived, destroyed
	Received time.Time `json:"received"`
	Pages    int       `json:"pages"`
	Room     string    `json:"room,omitempty"`
	At       time.Time `json:"at"`
	Reason   string    `json:"reason"`
}

// retain archives unclaimed faxes and destroys archived ones past their time.
func (fg *faxGlue) retain(ctx context.Context) {
	g := fg.g
	now := g.Now()
	due, err := faxjobs.DueArchive(ctx, g.st, fg.keep, now)
	if err != nil && ctx.Err() == nil {
		g.log.Warn("fax retention", "err", err)
	}
	for _, f := range due {
		tif, pdf := moveTo(filepath.Join(fg.dir, "archive"), f.TIFF), moveTo(filepath.Join(fg.dir, "archive"), f.PDF)
		fg.retained(ctx, f, "archived", fmt.Sprintf("unclaimed %d days after it came in", int(fg.keep.ArchiveAfter.Hours()/24)), func(tx *store.Tx) (bool, error) {
			return faxjobs.MarkArchived(tx, f.ID, tif, pdf, now)
		})
	}
	due, err = faxjobs.DueDestroy(ctx, g.st, fg.keep, now)
	if err != nil && ctx.Err() == nil {
		g.log.Warn("fax retention", "err", err)
	}
	for _, f := range due {
		for _, p := range []string{f.TIFF, f.PDF} {
			if p != "" {
				if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
					g.log.Warn("archived fax not deleted", "fax", f.ID, "file", p, "err", err)
				}
			}
		}
		fg.retained(ctx, f, "destroyed", fmt.Sprintf("kept %d days", int(fg.keep.DestroyAfter.Hours()/24)), func(tx *store.Tx) (bool, error) {
			return faxjobs.MarkDestroyed(tx, f.ID, now)
		})
	}
}

func moveTo(dir, path string) string {
	if path == "" {
		return ""
	}
	dst := filepath.Join(dir, filepath.Base(path))
	if err := os.Rename(path, dst); err != nil {
		return path
	}
	return dst
}

func (fg *faxGlue) retained(ctx context.Context, f faxjobs.Fax, status, reason string, mark func(tx *store.Tx) (bool, error)) {
	g := fg.g
	now := g.Now()
	typ := "hotel.fax." + status
	data := FaxRetained{ID: f.ID, Device: f.Device, Status: status, Received: f.Received.In(g.loc), Pages: f.Pages, Room: f.Room, At: now.In(g.loc), Reason: reason}
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		ok, err := mark(tx)
		if err != nil || !ok {
			return err
		}
		_, _, err = tx.Enqueue(store.Event{Type: typ, Topic: g.topics.Event("fax", f.Device, typ), Source: g.topics.Source("fax", f.Device),
			Subject: fmt.Sprintf("fax/%d", f.ID), IdemKey: fmt.Sprintf("fax/%d/%s", f.ID, status), Time: data.At, Data: data})
		return err
	})
	if err != nil {
		g.log.Warn("fax "+status+" not recorded", "fax", f.ID, "err", err)
		return
	}
	g.notify()
	g.log.Info("fax "+status, "fax", f.ID, "received", f.Received)
}

// ---------------------------------------------------------------------------
// E-mail of received faxes to the front desk (config fax.email)

// faxMailTimeout bounds one SMTP session.
var faxMailTimeout = 2 * time.Minute

// mailer sends the queued e-mails of received faxes; a failure is logged
// and tried again after fax.email.retry_interval_s. The register is never
// touched: the fax stays there whatever happens to its e-mail.
func (fg *faxGlue) mailer(ctx context.Context) {
	tick := time.NewTicker(fg.poll)
	defer tick.Stop()
	for {
		fg.mailDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-fg.mailCh:
		case <-tick.C:
		}
	}
}

func (fg *faxGlue) mailDue(ctx context.Context) {
	g := fg.g
	due, err := faxjobs.DueMail(ctx, g.st, g.Now())
	if err != nil {
		if ctx.Err() == nil {
			g.log.Warn("fax e-mail queue", "err", err)
		}
		return
	}
	for _, id := range due {
		if ctx.Err() != nil {
			return
		}
		fg.mailOne(ctx, id)
	}
}

func (fg *faxGlue) mailOne(ctx context.Context, id int64) {
	g := fg.g
	state, errText, next := faxjobs.MailSent, "", g.Now()
	f, err := faxjobs.GetFax(ctx, g.st, id)
	var pdf []byte
	if err == nil {
		if f.Status == faxjobs.Destroyed || f.PDF == "" {
			state, errText = faxjobs.MailGivenUp, "the fax's files were destroyed before it could be e-mailed"
		} else if pdf, err = os.ReadFile(f.PDF); err != nil {
			err = fmt.Errorf("the fax's PDF: %w", err)
		}
	}
	if err == nil && state == faxjobs.MailSent {
		err = sendFaxMail(ctx, fg.email, fg.roots, faxMessage(fg.email, f, pdf, g.loc, g.Now()))
	}
	if err != nil {
		if ctx.Err() != nil {
			return // stopping: still pending, tried at the next start
		}
		fg.mu.Lock()
		wait := fg.mailWait
		fg.mu.Unlock()
		state, errText, next = faxjobs.MailPending, err.Error(), g.Now().Add(wait)
		g.log.Warn("fax not e-mailed to the front desk; tried again later", "fax", id, "to", fg.email.To, "next", next, "err", err)
	}
	if err := g.st.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		return faxjobs.MailDone(tx, id, state, errText, next, g.Now())
	}); err != nil {
		g.log.Error("fax e-mail state not recorded", "fax", id, "err", err)
		return
	}
	if state == faxjobs.MailSent {
		g.log.Info("fax e-mailed to the front desk", "fax", id, "to", fg.email.To, "pages", f.Pages)
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
// PLAIN (else LOGIN) when a username is set.
func sendFaxMail(ctx context.Context, e *config.FaxEmail, roots *x509.CertPool, msg []byte) error {
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
	ctx, cancel := context.WithTimeout(ctx, faxMailTimeout)
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

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
