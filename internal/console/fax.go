package console

// The business centre's fax pages (商務中心 發送傳真程序): send a fax in
// three steps. The clerk uploads the document with the room and the
// number (checked against the dialing plan as it is typed, and again on
// submit); the console quotes it with the fax desk's own checks and
// pricing (faxdesk.Preview) on a confirm step, so the guest is told the
// price before anything is sent; confirming sends fax.send through the
// router as the clerk, and the job's page follows it page by page to its
// transmission report. The register of received faxes is fax_inbox.go.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/business"
	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/faxdesk"
	"switchboard/internal/operators"
)

// FaxDesk is what the send page asks the fax desk before sending:
// faxdesk.Preview, the checks and the quote of fax.send without queueing.
type FaxDesk interface {
	CheckNumber(to string) (faxdesk.Number, error)
	Quote(ctx context.Context, device string, data fax.SendData, doc []byte) (fax.Quote, error)
	MaxDocument() int
}

// FaxOptions are the fax pages' side of the gateway.
type FaxOptions struct {
	// Desk checks numbers and quotes; nil: faxes cannot be sent from the
	// console (the register is still shown).
	Desk FaxDesk
	// Devices are the fax modems, in the config's order (the first is the
	// default of the send form).
	Devices []string
	// Retention is the config's fax.archive_days and fax.destroy_days;
	// zero: their defaults.
	Retention faxjobs.Retention
	// MaxUpload bounds the send form's body; default DefaultFaxUpload.
	MaxUpload int64
	// SendWait is how long the confirmation waits for fax.send's
	// `accepted` (the job queued) before it shows today's list instead;
	// default DefaultFaxSendWait.
	SendWait time.Duration
}

// DefaultFaxSendWait: fax.send is accepted once the document is converted
// and the job queued (a second or two for most documents); its final
// reply comes only after the first call, which the page does not wait
// for: the job's page follows it.
const DefaultFaxSendWait = 3 * time.Second

// DefaultFaxUpload is the send form's body limit: larger than the desk's
// document limit (fax.max_document_mib, 10 MiB by default) so that a
// document over the desk's limit is refused with the desk's reason, and
// the form's fields fit beside it.
const DefaultFaxUpload = 20 << 20

// faxRoles may use the fax pages: the business centre, supervisors and
// admins; not the switchboard's operators.
var faxRoles = []operators.Role{operators.RoleBusiness, operators.RoleSupervisor, operators.RoleAdmin}

// Fax: the fax pages are the business centre's.
func (s *session) Fax() bool { return slices.Contains(faxRoles, s.role) }

func (c *Console) faxRoutes() {
	fo := c.faxOptions()
	c.mux.Handle("GET /fax", c.page(faxRoles, c.faxPage))
	c.mux.Handle("GET /api/fax/number", c.api(faxRoles, c.apiFaxNumber))
	c.mux.Handle("POST /fax/quote", c.upload(faxRoles, fo.MaxUpload, c.faxQuote))
	c.mux.Handle("POST /fax/send", c.page(faxRoles, c.faxSend))
	c.mux.Handle("GET /fax/jobs/{id}", c.page(faxRoles, c.faxJobPage))
	c.mux.Handle("GET /fax/jobs/{id}/report", c.page(faxRoles, c.faxJobReport))
	c.mux.Handle("POST /fax/jobs/{id}/resend", c.page(faxRoles, c.faxResend))     // fax_resend.go
	c.mux.Handle("POST /fax/jobs/{id}/print", c.page(faxRoles, c.faxPrintReport)) // fax_report_print.go
	c.inboxRoutes()                                                               // fax_inbox.go
}

// faxOptions are the options with their defaults filled in.
func (c *Console) faxOptions() FaxOptions {
	var fo FaxOptions
	if c.o.Fax != nil {
		fo = *c.o.Fax
	}
	if fo.MaxUpload <= 0 {
		fo.MaxUpload = DefaultFaxUpload
	}
	if fo.SendWait <= 0 {
		fo.SendWait = DefaultFaxSendWait
	}
	if fo.Retention.ArchiveAfter <= 0 || fo.Retention.DestroyAfter <= 0 {
		def := faxjobs.DefaultRetention()
		if fo.Retention.ArchiveAfter <= 0 {
			fo.Retention.ArchiveAfter = def.ArchiveAfter
		}
		if fo.Retention.DestroyAfter <= 0 {
			fo.Retention.DestroyAfter = def.DestroyAfter
		}
	}
	return fo
}

// faxForm is the send form as the clerk filled it in.
type faxForm struct {
	Device, Room, To, Resolution string
}

func readFaxForm(r *http.Request) faxForm {
	return faxForm{Device: r.PostFormValue("device"), Room: strings.TrimSpace(r.PostFormValue("room")),
		To: strings.TrimSpace(r.PostFormValue("to")), Resolution: r.PostFormValue("resolution")}
}

// faxPage is the send form with today's faxes sent.
func (c *Console) faxPage(w http.ResponseWriter, r *http.Request, s session) {
	c.faxSendForm(w, r, s, http.StatusOK, map[string]any{})
}

// faxSendForm renders the send form (data may carry Problem, Form,
// Quote/Token for the confirm step, Outcome).
func (c *Console) faxSendForm(w http.ResponseWriter, r *http.Request, s session, status int, data map[string]any) {
	fo := c.faxOptions()
	day := startOfDay(c.now(), c.o.Location)
	jobs, err := faxjobs.Jobs(r.Context(), c.o.Host.Store(), day, day.AddDate(0, 0, 1))
	if err != nil {
		c.o.Log.Error("fax jobs", "err", err)
		http.Error(w, "the fax jobs cannot be read", http.StatusInternalServerError)
		return
	}
	rows := make([]faxJobRow, 0, len(jobs))
	for i := len(jobs) - 1; i >= 0; i-- { // newest first
		j := jobs[i]
		rows = append(rows, faxJobRow{ID: j.ID, Created: j.Created, Room: j.Room, Number: c.o.MaskDialed(j.Canonical), Pages: j.Pages,
			Confirmed: j.Confirmed, State: j.State, Operator: j.Operator})
	}
	data["Jobs"], data["Devices"], data["Ready"] = rows, fo.Devices, fo.Desk != nil && len(fo.Devices) > 0
	data["Resolutions"], data["WalkIn"] = fax.Resolutions, business.WalkIn
	if fo.Desk != nil {
		data["MaxMiB"] = mib(int64(fo.Desk.MaxDocument()))
	}
	if _, ok := data["Form"]; !ok {
		f := faxForm{Resolution: "fine"}
		if len(fo.Devices) > 0 {
			f.Device = fo.Devices[0]
		}
		data["Form"] = f
	}
	c.render(w, r, status, "fax", &s, data)
}

// faxJobRow is a fax sent today as the send page lists it (the number
// masked as the events mask it).
type faxJobRow struct {
	ID               int64
	Created          time.Time
	Room, Number     string
	Pages, Confirmed int
	State, Operator  string
}

// mib is a size in MiB for a person: "10", "2.5".
func mib(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', -1, 64)
}

// startOfDay is midnight of t's day in loc.
func startOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// maxNumberInput bounds what the number check reads: a number with its
// spaces is far shorter.
const maxNumberInput = 40

// apiFaxNumber checks a number as the clerk types it, with the desk's own
// rule (faxdesk.Preview.CheckNumber): {"ok":true, kind, destination, ...}
// or {"ok":false, "problem": why}. The send form checks it again.
func (c *Console) apiFaxNumber(w http.ResponseWriter, r *http.Request, s session) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	desk := c.faxOptions().Desk
	if desk == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "problem": "no fax desk: fax numbers cannot be checked here"})
		return
	}
	to := r.URL.Query().Get("to")
	if len(to) > maxNumberInput {
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "problem": fmt.Sprintf("at most %d characters", maxNumberInput)})
		return
	}
	n, err := desk.CheckNumber(to)
	if err != nil {
		if p, ok := fieldProblem(err); ok {
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "problem": p})
			return
		}
		c.o.Log.Error("fax number check", "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "problem": "the number could not be checked: see the gateway's log"})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "number": n.Number, "kind": n.Kind, "zone": n.Zone, "destination": n.Destination})
}

// fieldProblem is a desk's refusal of a field as the page shows it.
func fieldProblem(err error) (string, bool) {
	var fe *bus.FieldError
	if errors.As(err, &fe) {
		return fe.Problem, true
	}
	return "", false
}

// faxQuote checks the form and the document as fax.send will and shows
// the quote on the confirm step; the document waits in memory for the
// confirmation (faxUploads).
func (c *Console) faxQuote(w http.ResponseWriter, r *http.Request, s session) {
	fo := c.faxOptions()
	form := readFaxForm(r)
	again := func(status int, problem string) {
		c.faxSendForm(w, r, s, status, map[string]any{"Problem": problem, "Form": form})
	}
	if fo.Desk == nil || len(fo.Devices) == 0 {
		again(http.StatusServiceUnavailable, "no fax modem is configured: faxes cannot be sent")
		return
	}
	if !slices.Contains(fo.Devices, form.Device) {
		again(http.StatusUnprocessableEntity, fmt.Sprintf("modem %q: want one of %s", form.Device, strings.Join(fo.Devices, ", ")))
		return
	}
	// The number first: it is what the clerk most often mistypes, and it
	// is checked without the document.
	if _, err := fo.Desk.CheckNumber(form.To); err != nil {
		p, ok := fieldProblem(err)
		if !ok {
			c.o.Log.Error("fax number check", "err", err)
			p = "the number could not be checked: see the gateway's log"
		}
		again(http.StatusUnprocessableEntity, "number "+p)
		return
	}
	file, hdr, err := r.FormFile("document")
	if err != nil {
		again(http.StatusUnprocessableEntity, "document: choose the file to send (PDF, image or text)")
		return
	}
	defer file.Close()
	limit := int64(fo.Desk.MaxDocument())
	if hdr.Size > limit {
		again(http.StatusRequestEntityTooLarge, fmt.Sprintf("document %s: %s MiB, over the fax limit of %s MiB (fax.max_document_mib): split it or send it as a smaller file",
			hdr.Filename, mib(hdr.Size), mib(limit)))
		return
	}
	doc, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		again(http.StatusBadRequest, "document: the upload could not be read: "+err.Error())
		return
	}
	data := fax.SendData{To: form.To, Room: form.Room, Operator: s.code, Resolution: form.Resolution}
	q, err := fo.Desk.Quote(r.Context(), form.Device, data, doc)
	if err != nil {
		var fe *bus.FieldError
		p := "the fax could not be quoted: see the gateway's log"
		if errors.As(err, &fe) {
			p = strings.TrimPrefix(fe.Field, "data.") + ": " + fe.Problem
		} else {
			c.o.Log.Error("fax quote", "err", err)
		}
		again(http.StatusUnprocessableEntity, p)
		return
	}
	tok := c.faxUploads.put(faxUpload{session: s.id, operator: s.code, device: form.Device, data: data, doc: doc, name: hdr.Filename, at: c.now()})
	c.faxSendForm(w, r, s, http.StatusOK, map[string]any{"Form": form, "Quote": q, "Token": tok, "File": hdr.Filename})
}

// faxSend sends the confirmed fax: fax.send through the router as the
// clerk, then the job's page.
func (c *Console) faxSend(w http.ResponseWriter, r *http.Request, s session) {
	u, ok := c.faxUploads.take(r.PostFormValue("token"), s.id, c.now())
	if !ok {
		c.faxSendForm(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Problem": "the confirmation expired or was already sent: check today's faxes below, or upload the document again"})
		return
	}
	data := u.data
	data.Document = base64.StdEncoding.EncodeToString(u.doc)
	ctx, cancel := context.WithTimeout(r.Context(), c.faxOptions().SendWait)
	defer cancel()
	rep, err := c.command(ctx, &s, "fax", u.device, "fax.send", data)
	form := faxForm{Device: u.device, Room: u.data.Room, To: u.data.To, Resolution: u.data.Resolution}
	switch {
	case errors.Is(err, errNotYours):
		c.forbidden(w, r, s, "role")
		return
	case errors.Is(err, context.DeadlineExceeded) && rep.CommandID != "":
		// No answer within the wait: the desk may still be converting a
		// long document. Whether it was queued shows in today's list; the
		// clerk must not send it again blindly.
		c.o.Log.Warn("fax.send not answered within the page's wait", "command", rep.CommandID, "err", err)
	case err != nil || rep.Status == "failed":
		reason := rep.Reason
		if err != nil {
			c.o.Log.Error("console command", "what", "fax.send", "err", err)
			reason = err.Error()
		}
		c.faxSendForm(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Problem": "not sent: " + reason, "Form": form})
		return
	}
	j, err := faxjobs.JobByCommand(r.Context(), c.o.Host.Store(), rep.CommandID)
	if err != nil {
		// Not queued yet (or the store failed): the list of today's
		// faxes shows it once queued.
		c.o.Log.Warn("fax job of a sent command not found", "command", rep.CommandID, "err", err)
		c.faxSendForm(w, r, s, http.StatusAccepted, map[string]any{"Sent": rep.CommandID, "Form": form})
		return
	}
	http.Redirect(w, r, "/fax/jobs/"+strconv.FormatInt(j.ID, 10), http.StatusSeeOther)
}

// pageState is one page of a fax being sent, as the job page shows it.
type pageState struct {
	Page      int
	State     string // confirmed, refused, retrain (being sent again), waiting
	Code      string // MCF, RTN, ...
	Tries     int
	Attempt   int
	DurationS float64
}

// pageStates lists every page of the job: the ones tried with their
// result, the others waiting. During a call, a page the receiver refused
// that goes again after a retrain (hotel.fax.page's retrain) says so.
func pageStates(v faxdesk.JobView) []pageState {
	byPage := map[int]fax.Page{}
	for _, p := range v.PerPage {
		byPage[p.Page] = p
	}
	again := map[int]bool{}
	for _, l := range v.Live { // in order: a page's last answer wins
		again[l.Page] = l.Result == fax.PageRetrain
	}
	out := make([]pageState, 0, v.Pages)
	for i := 1; i <= v.Pages; i++ {
		ps := pageState{Page: i, State: "waiting"}
		if p, ok := byPage[i]; ok {
			ps.Code, ps.Tries, ps.Attempt, ps.DurationS = p.Code, p.Tries, p.Attempt, p.DurationS
			switch {
			case p.Confirmed:
				ps.State = "confirmed"
			case again[i]:
				ps.State = "retrain"
			default:
				ps.State = "refused"
			}
		}
		out = append(out, ps)
	}
	return out
}

// pathID is the path's job or fax id (a positive integer).
func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// faxJobPage is one fax being sent: state, attempts, each page's result
// (live.js re-reads its pages on the job's hotel.fax.page and reloads it
// on the attempt's end), the quote, the outcome and the transmission
// report once done.
func (c *Console) faxJobPage(w http.ResponseWriter, r *http.Request, s session) {
	if v, ok := c.readJobView(w, r, s); ok {
		c.faxJobView(w, r, s, http.StatusOK, v, nil)
	}
}

// readJobView reads the path's job; false when it answered.
func (c *Console) readJobView(w http.ResponseWriter, r *http.Request, s session) (faxdesk.JobView, bool) {
	id, ok := pathID(r)
	var v faxdesk.JobView
	var err error
	if ok {
		v, err = faxdesk.ReadJob(r.Context(), c.o.Host.Store(), id)
	}
	switch {
	case !ok || errors.Is(err, faxjobs.ErrNotFound):
		c.render(w, r, http.StatusNotFound, "fax_job", &s, map[string]any{"Missing": r.PathValue("id")})
		return v, false
	case err != nil:
		c.o.Log.Error("fax job", "job", id, "err", err)
		http.Error(w, "the fax job cannot be read", http.StatusInternalServerError)
		return v, false
	}
	return v, true
}

// faxJobView renders job v's page with extra data (a problem, the
// re-send's quote): its re-send links, and the re-send and print buttons
// where they apply.
func (c *Console) faxJobView(w http.ResponseWriter, r *http.Request, s session, status int, v faxdesk.JobView, extra map[string]any) {
	links, err := c.resendLinksOf(r.Context(), v.Job)
	if err != nil {
		c.o.Log.Error("fax job re-send links", "job", v.ID, "err", err)
	}
	data := map[string]any{"J": v, "Pages": pageStates(v), "Final": v.Final(), "Links": links, "Printers": c.printers(),
		"CanResend": v.State == faxjobs.Failed && links.As == 0 && !links.Pending && c.faxOptions().Desk != nil}
	for k, x := range extra {
		data[k] = x
	}
	c.takeFlashAt(w, r, data, "/fax")
	c.render(w, r, status, "fax_job", &s, data)
}

// faxJobReport serves the job's transmission report (a PDF the desk wrote).
func (c *Console) faxJobReport(w http.ResponseWriter, r *http.Request, s session) {
	id, ok := pathID(r)
	if !ok {
		http.Error(w, "no such fax job", http.StatusNotFound)
		return
	}
	j, err := faxjobs.GetJob(r.Context(), c.o.Host.Store(), id)
	if err != nil || j.Report == "" {
		http.Error(w, "this fax job has no transmission report (yet)", http.StatusNotFound)
		return
	}
	c.servePDF(w, r, j.Report, fmt.Sprintf("fax-job-%d-report.pdf", id))
}

// servePDF serves a PDF file the fax desk wrote (its path from the store,
// never from the request) inline as name.
func (c *Console) servePDF(w http.ResponseWriter, r *http.Request, path, name string) {
	f, err := os.Open(path)
	if err != nil {
		c.o.Log.Error("fax PDF", "file", path, "err", err)
		http.Error(w, "the PDF file is missing on the gateway", http.StatusNotFound)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		http.Error(w, "the PDF file cannot be read", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename=%q`, name))
	w.Header().Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", st.ModTime(), f)
}
