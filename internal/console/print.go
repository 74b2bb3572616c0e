package console

// The print page (商務中心 打印程序): a clerk uploads a guest's document
// for a room with copies, sides, colour and paper, sees the price the
// print desk will bill (printdesk.QuoteJob, the desk's tariff) on a
// confirm step, and sends print/{printer}/cmd/print.submit as the
// operator; the job's page follows it to its end and shows the bill. The
// seed's question "keep the file until?" is the form's: kept until a date
// and time (print.submit's keep_until: the desk deletes it then), or
// deleted once the job ends.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"switchboard/internal/business"
	"switchboard/internal/events/printer"
	"switchboard/internal/operators"
	printjobs "switchboard/internal/print/jobs"
	"switchboard/internal/printdesk"
)

// printPages are the print and copy pages, with the documents uploaded
// and waiting for their confirm step.
type printPages struct {
	c *Console

	mu      sync.Mutex
	pending map[string]*pendingPrint // by the confirm form's token
}

// pendingPrint is an uploaded document waiting for the clerk's confirm:
// kept in memory, one per session (a new upload replaces it), for
// pendingFor at most.
type pendingPrint struct {
	session string
	at      time.Time
	form    printForm
	doc     printdesk.Document
	quote   printdesk.JobQuote
}

// Bounds of the documents waiting for their confirm step: each can be
// MaxDocument (20 MiB), so a handful at most, briefly.
const (
	pendingFor = 15 * time.Minute
	maxPending = 4
)

// printSubmitWait is how long the confirm waits for print.submit's
// outcome before it shows the job's page (the job goes on; the page
// follows it).
const printSubmitWait = 8 * time.Second

// recentJobs is how many of the newest print jobs the print page lists.
const recentJobs = 50

// printForm is the print form's fields.
type printForm struct {
	Device, Room, Sides, Color, Media, Name string
	Copies, Pages                           int
	Keep                                    string    // "no": delete after printing; "until": keep until KeepUntil
	KeepUntil                               time.Time // in the site's zone
	File                                    string    // the uploaded file's name
}

// KeepValue is KeepUntil as the form's datetime-local input shows it.
func (f printForm) KeepValue() string {
	if f.KeepUntil.IsZero() {
		return ""
	}
	return f.KeepUntil.Format("2006-01-02T15:04")
}

// mediaChoices are the paper sizes the form offers (PWG 5101.1 media
// names, as print.submit takes them); the quote asks the printer's
// profile for the size it bills.
var mediaChoices = []struct{ Media, Label string }{
	{"iso_a4_210x297mm", "A4"},
	{"iso_a3_297x420mm", "A3"},
	{"iso_a5_148x210mm", "A5"},
	{"na_letter_8.5x11in", "Letter"},
	{"na_legal_8.5x14in", "Legal"},
}

// Print: the print and copy desk is the business centre's, and its
// supervisors' and admins'; not the switchboard operators'.
func (s *session) Print() bool { return s.role != operators.RoleOperator }

func (c *Console) printRoutes() {
	roles := []operators.Role{operators.RoleBusiness, operators.RoleSupervisor, operators.RoleAdmin}
	p := &printPages{c: c, pending: map[string]*pendingPrint{}}
	c.mux.Handle("GET /print", c.page(roles, p.printPage))
	c.mux.Handle("POST /print/confirm", p.upload(roles, p.printConfirm))
	c.mux.Handle("POST /print/submit", c.page(roles, p.printSubmit))
	c.mux.Handle("GET /print/jobs/{id}", c.page(roles, p.jobPage))
	c.mux.Handle("POST /print/jobs/{id}/cancel", c.page(roles, p.jobCancel))
	c.mux.Handle("GET /copy", c.page(roles, p.copyPage))
	c.mux.Handle("POST /copy/start", c.page(roles, p.copyStart))
	c.mux.Handle("POST /copy/stop", c.page(roles, p.copyStop))
	c.mux.Handle("GET /copy/sessions/{id}", c.page(roles, p.sessionPage))
}

// printers are the configured devices of the print domain, in config order.
func (c *Console) printers() []string {
	var out []string
	for _, d := range c.o.Devices {
		if d.Domain == "print" {
			out = append(out, d.ID)
		}
	}
	return out
}

func (c *Console) maxDocument() int {
	if c.o.MaxDocument > 0 {
		return c.o.MaxDocument
	}
	return printer.MaxDocument
}

// dayStart is the start of the site's day of t: the pages list the day's work.
func (c *Console) dayStart(t time.Time) time.Time {
	t = t.In(c.o.Location)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.o.Location)
}

// printPage is the print form and the newest jobs.
func (p *printPages) printPage(w http.ResponseWriter, r *http.Request, s session) {
	p.render(w, r, s, http.StatusOK, map[string]any{"Form": printForm{Copies: 1, Sides: "one-sided", Color: "monochrome",
		Media: printer.DefaultMedia, Keep: "no"}})
}

// render shows the print page with data: the form, a problem, the newest jobs.
func (p *printPages) render(w http.ResponseWriter, r *http.Request, s session, status int, data map[string]any) {
	c := p.c
	jobs, err := printjobs.Recent(r.Context(), c.o.Host.Store(), recentJobs)
	if err != nil {
		c.o.Log.Error("print jobs", "err", err)
		http.Error(w, "the print jobs cannot be read", http.StatusInternalServerError)
		return
	}
	data["Jobs"], data["Printers"], data["MediaChoices"] = jobs, c.printers(), mediaChoices
	data["Sides"], data["Colors"], data["Max"] = printer.Sides, printer.Colors, sizeText(c.maxDocument())
	data["Quotes"] = c.o.BusinessTariff != nil && c.o.MediaSize != nil
	c.render(w, r, status, "print", &s, data)
}

// upload guards the upload form. The session, role and CSRF checks are
// the page guard's, done here because the guard bounds a body to 16 KiB
// and reads it as a small form: this one streams a document of up to
// MaxDocument, and takes it only after the CSRF field (sent first by the
// form) has matched, so nobody without the session's token can make the
// console read 20 MiB.
func (p *printPages) upload(roles []operators.Role, h func(w http.ResponseWriter, r *http.Request, s session, f uploaded)) http.Handler {
	c := p.c
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s session
		ok := false
		if ck, err := r.Cookie(sessionCookie); err == nil {
			s, ok = c.sessions.use(ck.Value, c.now())
		}
		if !ok {
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		if !slices.Contains(roles, s.role) {
			c.forbidden(w, r, s, "role")
			return
		}
		limit := c.maxDocument()
		// The document, and the form's few short fields around it.
		r.Body = http.MaxBytesReader(w, r.Body, int64(limit)+maxForm)
		f, problem := readUpload(r, s.csrf, limit)
		switch problem {
		case "":
			h(w, r, s, f)
		case "csrf":
			c.forbidden(w, r, s, "csrf")
		case "print.toolarge":
			detail := "at most " + sizeText(limit)
			if f.file != "" {
				detail = f.file + ": " + detail
			}
			p.render(w, r, s, http.StatusRequestEntityTooLarge, map[string]any{"Form": f.form(c.o.Location), "Problem": problem, "Detail": detail})
		default:
			p.render(w, r, s, http.StatusBadRequest, map[string]any{"Form": f.form(c.o.Location), "Problem": problem})
		}
	})
}

// JobState is a print job's state in the page's language (the IPP job
// states of RFC 8011 §5.3.7, and the desk's submitting, refused and
// orphaned); a state without a translation is shown as the desk names it.
func (v view) JobState(state string) string {
	key := "print.state." + state
	if t := v.T(key); t != key {
		return t
	}
	return state
}

// sizeText is a size limit as a clerk reads it.
func sizeText(n int) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// uploaded is the upload form as read: its fields and the document.
type uploaded struct {
	fields map[string]string
	file   string
	doc    []byte
}

// maxField bounds each of the upload form's text fields.
const maxField = 1 << 10

// readUpload reads the multipart form: the csrf field first, then the
// fields and the document, each within its bound. problem is a message
// key ("csrf": the token is missing or wrong).
func readUpload(r *http.Request, csrf string, limit int) (f uploaded, problem string) {
	f.fields = map[string]string{}
	mr, err := r.MultipartReader()
	if err != nil {
		return f, "print.notmultipart"
	}
	csrfOK := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return f, tooLargeOr(err, "print.badform")
		}
		name := part.FormName()
		if name == "document" {
			if !csrfOK {
				return f, "csrf"
			}
			f.file = part.FileName() // its base name (mime/multipart); "" when none was chosen
			f.doc, err = io.ReadAll(io.LimitReader(part, int64(limit)+1))
			if err != nil {
				return f, tooLargeOr(err, "print.badform")
			}
			if len(f.doc) > limit {
				return f, "print.toolarge"
			}
			continue
		}
		v, err := readField(part)
		if err != nil {
			return f, tooLargeOr(err, "print.badform")
		}
		f.fields[name] = v
		if name == "csrf" {
			csrfOK = sameToken(v, csrf)
		}
	}
	if !csrfOK {
		return f, "csrf"
	}
	return f, ""
}

func readField(part *multipart.Part) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, maxField+1))
	if err == nil && len(b) > maxField {
		err = fmt.Errorf("field %s over %d bytes", part.FormName(), maxField)
	}
	return strings.TrimSpace(string(b)), err
}

// tooLargeOr: the body went over its bound (the document is too large),
// else problem.
func tooLargeOr(err error, problem string) string {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return "print.toolarge"
	}
	return problem
}

// form reads the print form's fields as the clerk typed them (checked by
// check).
func (f uploaded) form(loc *time.Location) printForm {
	v := f.fields
	pf := printForm{Device: v["device"], Room: v["room"], Sides: v["sides"], Color: v["color"], Media: v["media"], Name: v["name"],
		Keep: v["keep"], File: f.file}
	pf.Copies, _ = strconv.Atoi(v["copies"])
	pf.Pages, _ = strconv.Atoi(v["pages"])
	if t, err := time.ParseInLocation("2006-01-02T15:04", v["keep_until"], loc); err == nil {
		pf.KeepUntil = t
	}
	if pf.Name == "" {
		// The file's name, within print.submit's 255 bytes.
		pf.Name = truncate(f.file, 255)
	}
	return pf
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// checkPrintForm checks the print form: a problem key and its detail, "" when it
// is fine.
func (c *Console) checkPrintForm(f printForm, raw map[string]string, now time.Time) (problem, detail string) {
	switch {
	case !slices.Contains(c.printers(), f.Device):
		return "print.noprinter", f.Device
	case f.Room == "" || len(f.Room) > 16:
		return "print.room", f.Room
	case f.Room != business.WalkIn && len(c.o.Rooms) > 0 && !slices.Contains(c.o.Rooms, f.Room):
		return "print.room", f.Room
	case f.Copies < 1 || f.Copies > 999:
		return "print.badcopies", raw["copies"]
	case !slices.Contains(printer.Sides, f.Sides):
		return "print.badform", "sides"
	case !slices.Contains(printer.Colors, f.Color):
		return "print.badform", "color"
	case !slices.ContainsFunc(mediaChoices, func(m struct{ Media, Label string }) bool { return m.Media == f.Media }):
		return "print.badform", "media"
	case len(f.Name) > 255:
		return "print.badform", "name"
	case f.Keep != "no" && f.Keep != "until":
		return "print.keepchoose", ""
	case f.Keep == "until" && f.KeepUntil.IsZero():
		return "print.keepwhen", raw["keep_until"]
	case f.Keep == "until" && !f.KeepUntil.After(now):
		return "print.keeppast", raw["keep_until"]
	case f.Keep == "until" && f.KeepUntil.Sub(now) > printdesk.MaxKeep:
		return "print.keepfar", fmt.Sprintf("%d", int(printdesk.MaxKeep.Hours()/24))
	}
	return "", ""
}

// printConfirm reads the upload, makes the document printable, counts its
// pages and prices the job: the confirm step shows the price before
// anything is printed.
func (p *printPages) printConfirm(w http.ResponseWriter, r *http.Request, s session, up uploaded) {
	c := p.c
	f := up.form(c.o.Location)
	again := func(status int, problem, detail string) {
		p.render(w, r, s, status, map[string]any{"Form": f, "Problem": problem, "Detail": detail})
	}
	if c.o.BusinessTariff == nil || c.o.MediaSize == nil {
		again(http.StatusServiceUnavailable, "print.noquote", "")
		return
	}
	if problem, detail := c.checkPrintForm(f, up.fields, c.now()); problem != "" {
		again(http.StatusUnprocessableEntity, problem, detail)
		return
	}
	if len(up.doc) == 0 {
		again(http.StatusUnprocessableEntity, "print.nofile", "")
		return
	}
	doc, err := printdesk.PrepareDocument(up.doc, c.maxDocument(), c.o.PDFFont)
	if err != nil {
		status := http.StatusUnprocessableEntity
		if !errors.Is(err, printdesk.ErrDocument) {
			c.o.Log.Error("print document", "file", f.File, "err", err)
			status = http.StatusInternalServerError
		}
		again(status, "print.document", err.Error())
		return
	}
	pages := doc.Pages
	if pages == 0 {
		// The file does not say: the clerk counts them.
		if pages = f.Pages; pages < 1 {
			again(http.StatusUnprocessableEntity, "print.pagesunknown", "")
			return
		}
	}
	q, err := printdesk.QuoteJob(c.o.BusinessTariff, c.o.MediaSize(f.Device, f.Media), pages, f.Copies, f.Sides, f.Color)
	if err != nil {
		again(http.StatusUnprocessableEntity, "print.noprice", err.Error())
		return
	}
	f.Pages = pages
	tok := token()
	now := c.now()
	p.mu.Lock()
	for k, pp := range p.pending {
		if pp.session == s.id || now.Sub(pp.at) > pendingFor {
			delete(p.pending, k)
		}
	}
	full := len(p.pending) >= maxPending
	if !full {
		p.pending[tok] = &pendingPrint{session: s.id, at: now, form: f, doc: doc, quote: q}
	}
	p.mu.Unlock()
	if full {
		again(http.StatusServiceUnavailable, "print.busy", "")
		return
	}
	c.render(w, r, http.StatusOK, "print_confirm", &s, map[string]any{"Form": f, "Quote": q, "Doc": doc, "Token": tok,
		"KB": (len(doc.Data) + 1023) / 1024})
}

// take removes and returns the session's document waiting under tok.
func (p *printPages) take(tok string, s session, now time.Time) (*pendingPrint, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pp, ok := p.pending[tok]
	if !ok || pp.session != s.id {
		return nil, false
	}
	delete(p.pending, tok)
	return pp, now.Sub(pp.at) <= pendingFor
}

// printSubmit sends the confirmed job: print/{printer}/cmd/print.submit as
// the operator, then the job's page.
func (p *printPages) printSubmit(w http.ResponseWriter, r *http.Request, s session) {
	c := p.c
	pp, ok := p.take(r.PostFormValue("token"), s, c.now())
	if !ok {
		p.render(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Form": printForm{Copies: 1, Sides: "one-sided", Color: "monochrome",
			Media: printer.DefaultMedia, Keep: "no"}, "Problem": "print.expired"})
		return
	}
	f := pp.form
	data := printer.SubmitData{Room: f.Room, Operator: s.code, Copies: f.Copies, Sides: f.Sides, Color: f.Color, Media: f.Media,
		Name: f.Name, Format: pp.doc.Format, Document: base64.StdEncoding.EncodeToString(pp.doc.Data)}
	if f.Keep == "until" {
		data.KeepUntil = f.KeepUntil.Format(time.RFC3339)
	}
	ctx, cancel := context.WithTimeout(r.Context(), printSubmitWait)
	defer cancel()
	rep, err := c.command(ctx, &s, "print", f.Device, "print.submit", data)
	if errors.Is(err, errNotYours) {
		c.forbidden(w, r, s, "role")
		return
	}
	if rep.CommandID != "" {
		// Sent: unless refused before it was recorded, the job's page
		// follows it (refused by the printer included). Sent without a
		// reply yet counts too: the router has it, and the form shown
		// again would invite a second print.
		_, recorded, _ := printjobs.ByCommand(r.Context(), c.o.Host.Store(), rep.CommandID)
		if recorded || rep.Status != "failed" {
			if err != nil {
				c.o.Log.Warn("print.submit: no outcome yet", "device", f.Device, "command", rep.CommandID, "err", err)
			}
			http.Redirect(w, r, "/print/jobs/"+rep.CommandID, http.StatusSeeOther)
			return
		}
	}
	reason := rep.Reason
	if err != nil {
		c.o.Log.Error("print.submit", "device", f.Device, "err", err)
		reason = err.Error()
	}
	p.render(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Form": f, "Problem": "print.failed", "Detail": reason})
}

// jobPage is a print job's progress, result and bill.
func (p *printPages) jobPage(w http.ResponseWriter, r *http.Request, s session) {
	p.job(w, r, s, http.StatusOK, nil)
}

func (p *printPages) job(w http.ResponseWriter, r *http.Request, s session, status int, data map[string]any) {
	c := p.c
	id := r.PathValue("id")
	j, ok, err := printjobs.ByCommand(r.Context(), c.o.Host.Store(), id)
	if err != nil {
		c.o.Log.Error("print job", "command", id, "err", err)
		http.Error(w, "the print job cannot be read", http.StatusInternalServerError)
		return
	}
	if data == nil {
		data = map[string]any{}
	}
	data["ID"], data["Found"] = id, ok
	if !ok {
		c.render(w, r, http.StatusNotFound, "print_job", &s, data)
		return
	}
	data["J"] = j
	if c.o.MediaSize != nil {
		data["Size"] = c.o.MediaSize(j.Device, j.Media)
	}
	if j.Charge != "" {
		bill, ok, err := business.Get(r.Context(), c.o.Host.Store(), j.Charge)
		if err != nil {
			c.o.Log.Error("print job charge", "charge", j.Charge, "err", err)
		} else if ok {
			data["Bill"] = bill
		}
	}
	c.render(w, r, status, "print_job", &s, data)
}

// jobCancel asks the printer to cancel a running job (print.cancel): the
// impressions made until it stops are billed.
func (p *printPages) jobCancel(w http.ResponseWriter, r *http.Request, s session) {
	c := p.c
	j, ok, err := printjobs.ByCommand(r.Context(), c.o.Host.Store(), r.PathValue("id"))
	if err != nil || !ok || !j.Running() || j.JobID == 0 {
		p.job(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Outcome": "print.cancel", "Status": "failed", "Reason": "print.notrunning"})
		return
	}
	rep, err := c.command(r.Context(), &s, "print", j.Device, "print.cancel", printer.CancelData{JobID: j.JobID})
	if errors.Is(err, errNotYours) {
		c.forbidden(w, r, s, "role")
		return
	}
	reason := rep.Reason
	if err != nil {
		c.o.Log.Error("print.cancel", "device", j.Device, "job", j.JobID, "err", err)
		rep.Status, reason = "failed", err.Error()
	}
	status := http.StatusOK
	if rep.Status == "failed" {
		status = http.StatusUnprocessableEntity
	}
	p.job(w, r, s, status, map[string]any{"Outcome": "print.cancel", "Status": rep.Status, "Reason": reason})
}
