package ipp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"switchboard/internal/events/printer"
	"time"

	goipp "github.com/phin1x/go-ipp"
)

// jobTrack is a job being followed.
type jobTrack struct {
	job       printer.Job
	perCopy   int // pages of one copy, 0 when unknown
	uuid      string
	submitted time.Time
	last      printer.JobUpdate
	lastKey   string
	finished  chan struct{}
	lost      string // why the printer no longer knows the job
}

var (
	sidesOK = []string{"one-sided", "two-sided-long-edge", "two-sided-short-edge"}
	colorOK = []string{"monochrome", "color"}
)

// Submit checks the document's format against the printer's
// document-format-supported (converting PostScript to PDF with Ghostscript
// when the printer does not take it and the profile says convert), sends
// it with Print-Job, and follows the job in the background until it ends
// (JobUpdate records while it runs, JobDone once). It returns the
// printer's job-id once the printer has accepted the job.
func (p *Printer) Submit(ctx context.Context, j printer.Job) (printer.JobID, error) {
	if j.Copies == 0 {
		j.Copies = 1
	}
	if j.Sides == "" {
		j.Sides = "one-sided"
	}
	if j.ColorMode == "" {
		j.ColorMode = "monochrome"
	}
	switch {
	case j.Copies < 1 || j.Copies > 999:
		return 0, fmt.Errorf("copies %d: want 1..999", j.Copies)
	case !slices.Contains(sidesOK, j.Sides):
		return 0, fmt.Errorf("sides %q: want one of %v", j.Sides, sidesOK)
	case !slices.Contains(colorOK, j.ColorMode):
		return 0, fmt.Errorf("color mode %q: want one of %v", j.ColorMode, colorOK)
	}
	if err := p.life.Err(); err != nil {
		return 0, fmt.Errorf("printer %s: stopped", p.dev.ID)
	}
	doc, cleanup, err := spool(j)
	if err != nil {
		return 0, err
	}
	defer cleanup()
	head := make([]byte, 512)
	n, _ := doc.ReadAt(head, 0)
	head = head[:n]
	format := j.Format
	if format == "" {
		format = sniff(head)
	}
	supported, err := p.supportedFormats(ctx)
	if err != nil {
		return 0, err
	}
	if !slices.Contains(supported, format) {
		if format == "application/postscript" && p.prof.PostScript == "convert" && slices.Contains(supported, "application/pdf") {
			pdf, err := psToPDF(ctx, p.opt.Ghostscript, doc.Name())
			if err != nil {
				return 0, err
			}
			defer os.Remove(pdf)
			doc.Close()
			if doc, err = os.Open(pdf); err != nil {
				return 0, err
			}
			format = "application/pdf"
		} else {
			// application/octet-stream in the list means "auto-detect what
			// I support", not "anything".
			return 0, fmt.Errorf("printer %s: %s: %w (it takes %v)", p.dev.ID, format, printer.ErrFormat, supported)
		}
	}
	defer doc.Close()
	fi, err := doc.Stat()
	if err != nil {
		return 0, err
	}
	perCopy := 0
	if format == "application/pdf" {
		perCopy = countPDFPages(doc)
	} else if strings.HasPrefix(format, "image/jpeg") {
		perCopy = 1
	}
	if _, err := doc.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}

	req := p.c.newRequest(opPrintJob)
	if j.User != "" {
		req.OperationAttributes[goipp.AttributeRequestingUserName] = j.User
	}
	if j.Name != "" {
		req.OperationAttributes[goipp.AttributeJobName] = j.Name
	}
	req.OperationAttributes[goipp.AttributeDocumentFormat] = format
	req.JobAttributes[goipp.AttributeCopies] = j.Copies
	req.JobAttributes[goipp.AttributeSides] = j.Sides
	req.JobAttributes["print-color-mode"] = j.ColorMode
	if j.Media != "" {
		req.JobAttributes[goipp.AttributeMedia] = j.Media
	}
	// The document size must be known (go-ipp's HttpAdapter drops the
	// document when Request.FileSize is -1); do sends Content-Length.
	req.File, req.FileSize = doc, int(fi.Size())
	resp, raw, err := p.c.do(ctx, "Print-Job", req, doc, fi.Size())
	if err != nil {
		if raw != nil {
			at := p.now()
			_ = p.emit(ctx, raw2frame(p.dev.ID, "Print-Job", 0, resp, err), p.key("print-job", at), at)
		}
		return 0, fmt.Errorf("printer %s: %w", p.dev.ID, err)
	}
	var ja Attrs
	if len(resp.JobAttributes) > 0 {
		ja = convertAttrs(resp.JobAttributes[0])
	}
	id, ok := ja.int("job-id")
	if !ok {
		return 0, fmt.Errorf("printer %s: Print-Job answer has no job-id", p.dev.ID)
	}
	jid := printer.JobID(id)
	tr := &jobTrack{job: j, perCopy: perCopy, finished: make(chan struct{}), submitted: p.now()}
	tr.job.Document = nil
	tr.job.Format = format
	p.mu.Lock()
	p.jobs[jid] = tr
	following := p.life.Err() == nil
	if following {
		p.wg.Add(1) // under mu, as in Follow
	}
	p.mu.Unlock()
	p.observe(ctx, jid, tr, "Print-Job", resp.StatusCode, ja)
	if following {
		go p.follow(jid, tr)
	}
	return jid, nil
}

func raw2frame(device, op string, id printer.JobID, resp *goipp.Response, err error) []byte {
	s := snapshot{Device: device, Op: op, JobID: id}
	if err != nil {
		s.Error = err.Error()
	}
	if resp != nil {
		s.Status = statusHex(resp.StatusCode)
		if len(resp.JobAttributes) > 0 {
			s.Attrs = convertAttrs(resp.JobAttributes[0])
		}
	}
	return mustJSON(s)
}

// supportedFormats is document-format-supported from the last poll, asked
// now when no poll has answered yet, or the profile's list.
func (p *Printer) supportedFormats(ctx context.Context) ([]string, error) {
	p.mu.Lock()
	f := p.formats
	p.mu.Unlock()
	if len(f) > 0 {
		return f, nil
	}
	req := p.c.newRequest(opGetPrinterAttributes)
	req.OperationAttributes[goipp.AttributeRequestedAttributes] = []string{"document-format-supported"}
	resp, _, err := p.c.do(ctx, "Get-Printer-Attributes", req, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("printer %s: %w", p.dev.ID, err)
	}
	if len(resp.PrinterAttributes) > 0 {
		f = convertAttrs(resp.PrinterAttributes[0]).strs("document-format-supported")
	}
	if len(f) == 0 {
		f = p.prof.Formats
	}
	p.mu.Lock()
	p.formats = f
	p.mu.Unlock()
	return f, nil
}

// spool gives the document as a file (the size must be known before
// sending, and PostScript conversion needs a file). A copy is removed by
// cleanup; a caller's Path is left alone.
func spool(j printer.Job) (*os.File, func(), error) {
	if j.Document == nil {
		if j.Path == "" {
			return nil, nil, errors.New("job: no document")
		}
		f, err := os.Open(j.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("job: %w", err)
		}
		return f, func() { f.Close() }, nil
	}
	f, err := os.CreateTemp("", "switchboard-print-*")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	if _, err := io.Copy(f, j.Document); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("job: read document: %w", err)
	}
	return f, cleanup, nil
}

// sniff guesses a MIME type from magic bytes.
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "application/pdf"
	case bytes.HasPrefix(b, []byte("%!")), bytes.HasPrefix(b, []byte("\x04%!")):
		return "application/postscript"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("RaS2PwgR")):
		return "image/pwg-raster"
	case bytes.HasPrefix(b, []byte("UNIRAST")):
		return "image/urf"
	}
	return "application/octet-stream"
}

var pageObj = regexp.MustCompile(`/Type\s*/Page\b`)

// countPDFPages counts page objects in an uncompressed PDF object table
// (what Ghostscript and most office tools write); 0 when it cannot tell
// (object streams), which only makes the duplex sheet count coarser.
func countPDFPages(f *os.File) int {
	fi, err := f.Stat()
	if err != nil || fi.Size() > 64<<20 {
		return 0
	}
	b, err := io.ReadAll(io.NewSectionReader(f, 0, fi.Size()))
	if err != nil || bytes.Contains(b, []byte("/ObjStm")) {
		return 0
	}
	return len(pageObj.FindAll(b, -1))
}

// jobAttrs is what following a job asks for.
var jobAttrs = []string{
	"job-id", "job-state", "job-state-reasons", "job-impressions", "job-impressions-completed",
	"job-media-sheets-completed", "copies", "sides", "media", "print-color-mode", "job-name",
	"job-originating-user-name", "job-uuid",
}

// follow polls a job until it ends or the printer is stopped.
func (p *Printer) follow(id printer.JobID, tr *jobTrack) {
	defer p.wg.Done()
	t := time.NewTicker(p.opt.JobPoll)
	defer t.Stop()
	for {
		select {
		case <-p.life.Done():
			return
		case <-t.C:
		}
		if ended, _ := p.pollJob(p.life, id, tr); ended {
			return
		}
	}
}

// JobLostError is Follow's answer for a job the printer no longer knows.
// Its JobDone (aborted, job-lost-by-printer, the impressions seen before,
// Lost = Reason) has been delivered.
type JobLostError struct {
	Device string
	JobID  printer.JobID
	Reason string
}

func (e *JobLostError) Error() string {
	return fmt.Sprintf("printer %s: job %d: %s", e.Device, e.JobID, e.Reason)
}

// Is makes errors.Is(err, ErrJobLost) true.
func (e *JobLostError) Is(target error) bool { return target == printer.ErrJobLost }

// Follow resumes following a job the printer accepted before the gateway
// restarted: Get-Job-Attributes every JobPoll until it ends, with the
// same records (JobUpdate, then JobDone once) and the same frame keys as
// for a job followed since Submit, so a job is billed once whatever the
// restarts. It asks the printer once before it returns:
//   - nil: the printer knows the job (same job-uuid), or it did not answer
//     (the job is followed and checked at the printer's first answer); a
//     job that ended meanwhile has had its JobDone delivered;
//   - a *JobLostError (errors.Is ErrJobLost): the printer no longer knows
//     the job, or the job-id is another job's (another job-uuid): the
//     printer restarted. The job's JobDone (aborted, Lost) was delivered.
//
// Following a job already followed does nothing.
func (p *Printer) Follow(ctx context.Context, id printer.JobID, r printer.Resume) error {
	if id < 1 {
		return fmt.Errorf("printer %s: follow job %d: not a job-id", p.dev.ID, id)
	}
	tr := &jobTrack{job: r.Job, uuid: r.UUID, submitted: r.Submitted, finished: make(chan struct{})}
	tr.job.Document = nil
	if tr.job.Copies == 0 {
		tr.job.Copies = 1
	}
	if tr.job.Sides == "" {
		tr.job.Sides = "one-sided"
	}
	if tr.job.ColorMode == "" {
		tr.job.ColorMode = "monochrome"
	}
	tr.last = printer.JobUpdate{State: r.State, Impressions: r.Impressions}
	if f, err := os.Open(r.Job.Path); r.Job.Path != "" && err == nil {
		head := make([]byte, 8)
		n, _ := f.ReadAt(head, 0)
		if sniff(head[:n]) == "application/pdf" {
			tr.perCopy = countPDFPages(f)
		}
		f.Close()
	}
	p.mu.Lock()
	if p.life.Err() != nil {
		p.mu.Unlock()
		return fmt.Errorf("printer %s: stopped", p.dev.ID)
	}
	if _, ok := p.jobs[id]; ok {
		p.mu.Unlock()
		return nil
	}
	p.jobs[id] = tr
	p.wg.Add(1) // under mu: Run's stop cannot be between the check and this
	p.mu.Unlock()
	ended, err := p.pollJob(ctx, id, tr)
	if ended {
		p.wg.Done()
		if tr.lost != "" {
			return &JobLostError{Device: p.dev.ID, JobID: id, Reason: tr.lost}
		}
		return nil
	}
	if err != nil {
		p.log.Warn("job resumed while the printer does not answer: checked at its first answer", "job", id, "err", err)
	}
	go p.follow(id, tr)
	return nil
}

// pollJob asks for a job once; true when the job has ended. err is why
// the printer gave no answer (the job is asked again at the next poll).
func (p *Printer) pollJob(ctx context.Context, id printer.JobID, tr *jobTrack) (ended bool, err error) {
	req := p.c.newRequest(opGetJobAttributes)
	req.OperationAttributes[goipp.AttributeJobID] = int(id)
	req.OperationAttributes[goipp.AttributeRequestedAttributes] = jobAttrs
	resp, _, err := p.c.do(ctx, "Get-Job-Attributes", req, nil, 0)
	var se *StatusError
	switch {
	case errors.As(err, &se) && se.Code == 0x0406: // client-error-not-found (RFC 8011 §6.1)
		// The printer forgot the job (restarted, or purged it): what was
		// seen completing is all that can be billed.
		tr.lost = fmt.Sprintf("the printer no longer knows job %d (client-error-not-found): it restarted or purged the job", id)
		return p.observe(ctx, id, tr, "Get-Job-Attributes", se.Code, lostAttrs()), nil
	case err != nil:
		p.log.Debug("follow job", "job", id, "err", err)
		return false, err
	}
	var ja Attrs
	if len(resp.JobAttributes) > 0 {
		ja = convertAttrs(resp.JobAttributes[0])
	}
	if uuid := ja.str("job-uuid"); tr.uuid != "" && uuid != "" && uuid != tr.uuid {
		// job-ids restart with the printer (RFC 8011 §5.3.2 job-id is
		// unique only while the printer runs; job-uuid, PWG 5100.13 §6.3.2,
		// is forever): this is a later job with the same id.
		tr.lost = fmt.Sprintf("job %d on the printer is another job (job-uuid %s, was %s): the printer restarted and reused the id", id, uuid, tr.uuid)
		return p.observe(ctx, id, tr, "Get-Job-Attributes", resp.StatusCode, lostAttrs()), nil
	}
	return p.observe(ctx, id, tr, "Get-Job-Attributes", resp.StatusCode, ja), nil
}

// lostAttrs are the attributes a job the printer lost ends with: aborted,
// job-lost-by-printer, and nothing else of what the printer says now.
func lostAttrs() Attrs {
	return Attrs{"job-state": {8}, "job-state-reasons": {"job-lost-by-printer"}}
}

// observe turns a job's attributes into JobUpdate (on a change) and, in a
// terminal state, JobDone. It reports whether the job has ended.
func (p *Printer) observe(ctx context.Context, id printer.JobID, tr *jobTrack, op string, status int16, ja Attrs) bool {
	at := p.now()
	if uuid := ja.str("job-uuid"); uuid != "" && tr.lost == "" {
		tr.uuid = uuid
	}
	u := printer.JobUpdate{Device: p.dev.ID, At: at, JobID: id, State: tr.last.State, Impressions: tr.last.Impressions, Total: tr.last.Total,
		UUID: tr.uuid, Submitted: tr.submitted}
	if v, ok := ja.int("job-state"); ok {
		u.State = jobStates[v]
	}
	if u.State == "" {
		u.State = printer.JobPending
	}
	u.Reasons = NormalizeReasons(ja.strs("job-state-reasons"))
	if v, ok := ja.int("job-impressions-completed"); ok && v >= u.Impressions {
		u.Impressions = v
	}
	if v, ok := ja.int("job-impressions"); ok {
		u.Total = v
	}
	// The uuid is part of a change: the gateway keeps it to resume the
	// job after a restart (Follow).
	key := fmt.Sprint(u.State, u.Reasons, u.Impressions, u.Total, u.UUID)
	if key == tr.lastKey {
		return false
	}
	tr.lastKey = key
	tr.last = u
	recs := []any{u}
	var done printer.JobDone
	if u.State.Terminal() {
		done = p.jobDone(tr, u, ja)
		recs = append(recs, done)
	}
	snap := snapshot{Device: p.dev.ID, Op: op, JobID: id, Status: statusHex(status), Attrs: ja, Error: tr.lost}
	// The key of a job frame is the job's identity and progress: the
	// printer's job-uuid (job-ids restart with the printer) or the
	// device, job-id and submission time.
	ident := tr.uuid
	if ident == "" {
		ident = p.dev.ID + "/job/" + itoa(int(id)) + "/" + tr.submitted.UTC().Format("20060102T150405.000000000Z")
	}
	key = ident + "/" + string(u.State) + "/" + itoa(u.Impressions)
	if err := p.emit(ctx, mustJSON(snap), key, at, recs...); err != nil {
		p.log.Error("deliver job", "job", id, "err", err)
		if !u.State.Terminal() {
			tr.lastKey = "" // resend on the next poll
			return false
		}
	}
	if u.State.Terminal() {
		p.mu.Lock()
		delete(p.jobs, id)
		p.done[id] = done
		p.doneIDs = append(p.doneIDs, id)
		if len(p.doneIDs) > 256 {
			delete(p.done, p.doneIDs[0])
			p.doneIDs = p.doneIDs[1:]
		}
		p.mu.Unlock()
		close(tr.finished)
		return true
	}
	return false
}

func (p *Printer) jobDone(tr *jobTrack, u printer.JobUpdate, ja Attrs) printer.JobDone {
	d := printer.JobDone{
		Device: p.dev.ID, At: u.At, JobID: u.JobID, State: u.State, Reasons: u.Reasons,
		Impressions: u.Impressions, Media: tr.job.Media, Color: tr.job.ColorMode == "color",
		Sides: tr.job.Sides, Copies: tr.job.Copies, Name: tr.job.Name, User: tr.job.User,
		UUID: tr.uuid, Submitted: tr.submitted, Lost: tr.lost,
	}
	if s := ja.str("sides"); s != "" {
		d.Sides = s
	}
	if m := ja.str("media"); m != "" {
		d.Media = m
	}
	if c := ja.str("print-color-mode"); c != "" {
		d.Color = c == "color"
	}
	d.Size = p.prof.SizeOf(d.Media)
	perCopy := tr.perCopy
	if perCopy == 0 && u.Total > 0 && d.Copies > 0 && u.Total%d.Copies == 0 {
		perCopy = u.Total / d.Copies
	}
	d.Sheets = Sheets(d.Impressions, perCopy, d.Sides)
	if v, ok := ja.int("job-media-sheets-completed"); ok && v > 0 {
		d.Sheets = v
	}
	d.CounterImpressions = d.Impressions
	if p.prof.duplexBlankBack() && d.Sides != "one-sided" && perCopy%2 == 1 {
		d.CounterImpressions += d.Impressions / perCopy // one blank back per finished copy
	}
	return d
}

// Sheets is the media sheets used by impressions printed with sides, when
// each copy has perCopy pages (0: unknown, then copies are not told apart).
// Two-sided, every copy starts on a new sheet: 3 pages x 2 copies use 4
// sheets, not 3.
func Sheets(impressions, perCopy int, sides string) int {
	if impressions <= 0 {
		return 0
	}
	if sides == "" || sides == "one-sided" {
		return impressions
	}
	if perCopy <= 0 {
		return (impressions + 1) / 2
	}
	full, rest := impressions/perCopy, impressions%perCopy
	return full*((perCopy+1)/2) + (rest+1)/2
}

// Wait blocks until the job ends and returns its JobDone.
func (p *Printer) Wait(ctx context.Context, id printer.JobID) (printer.JobDone, error) {
	p.mu.Lock()
	if d, ok := p.done[id]; ok {
		p.mu.Unlock()
		return d, nil
	}
	tr := p.jobs[id]
	p.mu.Unlock()
	if tr == nil {
		return printer.JobDone{}, fmt.Errorf("printer %s: job %d unknown", p.dev.ID, id)
	}
	select {
	case <-tr.finished:
	case <-ctx.Done():
		return printer.JobDone{}, ctx.Err()
	case <-p.life.Done():
		return printer.JobDone{}, fmt.Errorf("printer %s: stopped before job %d ended", p.dev.ID, id)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done[id], nil
}

// Cancel asks the printer to cancel a job (Cancel-Job, RFC 8011 §4.3.3).
// The job's JobDone follows once the printer has stopped it, with the
// impressions completed until then.
func (p *Printer) Cancel(ctx context.Context, id printer.JobID) error {
	req := p.c.newRequest(opCancelJob)
	req.OperationAttributes[goipp.AttributeJobID] = int(id)
	p.mu.Lock()
	tr := p.jobs[id]
	p.mu.Unlock()
	if tr != nil && tr.job.User != "" {
		req.OperationAttributes[goipp.AttributeRequestingUserName] = tr.job.User
	}
	resp, _, err := p.c.do(ctx, "Cancel-Job", req, nil, 0)
	at := p.now()
	_ = p.emit(ctx, raw2frame(p.dev.ID, "Cancel-Job", id, resp, err), p.key("cancel-job/"+itoa(int(id)), at), at)
	if err != nil {
		return fmt.Errorf("printer %s: cancel job %d: %w", p.dev.ID, id, err)
	}
	return nil
}
