package gateway

// Glue of the IPP driver (drivers/ipp) for the business center: printer
// state and alerts, print jobs billed by the impressions that came out, and
// walk-up copy sessions metered from the device counters.
//
// Records (inside the device's delivery transaction, journal first):
//   - PrinterStatus: device_status row, retained print/{device}/state/status
//     (published after the transaction by the glue's worker: SetState
//     writes the store itself, and the store has one writer).
//   - Alert: hotel.print.device.alert with an operator message, device_alerts row.
//   - JobDone: priced with the business tariff, business_charges row and
//     hotel.print.job.completed in the same transaction, exactly once per
//     job (idemkey: the job's identity from its journal key).
//   - JobUpdate, CounterReading: progress and last counters.
//
// Commands on print/{device}/cmd/: print.submit, print.cancel, copy.start,
// copy.stop (docs/printers.md, docs/events.md).

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"switchboard/drivers"
	"switchboard/drivers/ipp"
	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/events/printer"
	"switchboard/internal/rating"
	"switchboard/internal/store"
	"switchboard/tariffs"
)

func init() {
	deviceHooks = append(deviceHooks, printHook)
	recordHandlers = append(recordHandlers, printRecords)
}

// Print and copy defaults and limits.
const (
	// MaxPrintDocument is the largest document print.submit takes (decoded).
	MaxPrintDocument = 20 << 20
	// DefaultMedia is what a job or a copy session is billed as when the
	// command names no media.
	DefaultMedia = "iso_a4_210x297mm"
	// maxKeep bounds how long a guest's document may be kept.
	maxKeep = 90 * 24 * time.Hour
)

var (
	printFormats = []string{"application/pdf", "application/postscript", "image/jpeg", "image/pwg-raster", "image/urf"}
	printSides   = []string{"one-sided", "two-sided-long-edge", "two-sided-short-edge"}
	printColors  = []string{"monochrome", "color"}
)

// printGlue is the IPP glue of one gateway.
type printGlue struct {
	g          *Gateway
	tariff     *rating.BusinessTariff
	spoolDir   string
	maxDoc     int
	submitWait time.Duration
	sweepEvery time.Duration

	mu       sync.Mutex
	printers map[string]*ipp.Printer
	submitMu map[string]*sync.Mutex
	last     map[string]printer.PrinterStatus // last status seen (operator messages)
	publish  map[string]printer.PrinterStatus // statuses waiting for SetState
	kick     chan struct{}
	docCache struct {
		id  string
		doc []byte
	}
}

var (
	gluesMu sync.Mutex
	glues   = map[*Gateway]*printGlue{}

	// Read when a gateway's glue is made (tests shrink them).
	printDocLimit   = MaxPrintDocument
	printSubmitWait = 30 * time.Second // how long print.submit waits for the job's end
	printSweepEvery = 30 * time.Second // spool check for keep-until dates
)

// printGlueOf returns the gateway's print glue, making it on first use.
func printGlueOf(g *Gateway) (*printGlue, error) {
	gluesMu.Lock()
	defer gluesMu.Unlock()
	if pg := glues[g]; pg != nil {
		return pg, nil
	}
	t, err := loadBusinessTariff(g.cfg.Billing.BusinessTariff)
	if err != nil {
		return nil, err
	}
	pg := &printGlue{
		g: g, tariff: t, maxDoc: printDocLimit, submitWait: printSubmitWait, sweepEvery: printSweepEvery,
		spoolDir: filepath.Join(filepath.Dir(g.cfg.Store.Path), "spool", "print"),
		printers: map[string]*ipp.Printer{}, submitMu: map[string]*sync.Mutex{},
		last: map[string]printer.PrinterStatus{}, publish: map[string]printer.PrinterStatus{},
		kick: make(chan struct{}, 1),
	}
	if err := os.MkdirAll(pg.spoolDir, 0o700); err != nil {
		return nil, fmt.Errorf("print spool: %w", err)
	}
	glues[g] = pg
	// Not for an offline gateway, nor for a record delivered while the
	// gateway shuts down (the worker has gone and g.wg is being waited).
	if g.router != nil && !g.closing.Load() {
		g.Handle("print", "print.submit", printSubmitHandler{pg})
		g.Handle("print", "print.cancel", printCancelHandler{pg})
		g.Handle("print", "copy.start", copyStartHandler{pg})
		g.Handle("print", "copy.stop", copyStopHandler{pg})
		g.Worker(pg.run)
	}
	return pg, nil
}

// loadBusinessTariff reads billing.business_tariff, or the embedded
// tariffs/business-center.yaml when the config names none.
func loadBusinessTariff(path string) (*rating.BusinessTariff, error) {
	var data []byte
	var err error
	if path == "" {
		data, err = tariffs.FS.ReadFile(businessTariffFile)
	} else {
		data, err = os.ReadFile(path)
	}
	if err == nil {
		var t *rating.BusinessTariff
		if t, err = rating.LoadBusinessTariff(data); err == nil {
			return t, nil
		}
	}
	return nil, fmt.Errorf("billing.business_tariff %s: %w", orDefault(path, "tariffs/"+businessTariffFile), err)
}

// printHook keeps each IPP printer for the commands and resumes the jobs a
// previous run left unfinished (resumeJobs).
func printHook(g *Gateway, d config.Device, drv drivers.Driver) error {
	if d.Driver != "ipp" {
		return nil
	}
	p, ok := drv.(*ipp.Printer)
	if !ok {
		return fmt.Errorf("device %s: driver ipp made a %T, not an *ipp.Printer", d.ID, drv)
	}
	pg, err := printGlueOf(g)
	if err != nil {
		return fmt.Errorf("device %s: %w", d.ID, err)
	}
	pg.mu.Lock()
	pg.printers[d.ID] = p
	pg.submitMu[d.ID] = &sync.Mutex{}
	pg.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	jobs, err := pg.unfinished(ctx, d.ID)
	if err != nil {
		return fmt.Errorf("device %s: print jobs: %w", d.ID, err)
	}
	if len(jobs) > 0 && g.router != nil {
		// A worker: asking the printers must not hold up the start.
		g.Worker(func(ctx context.Context) { pg.resumeJobs(ctx, d.ID, p, jobs) })
	}
	pg.poke()
	return nil
}

// followNS is the state area where the glue keeps the identity of each
// running job (its print_jobs row id -> followed), for Follow after a restart.
const followNS = "print.follow"

// followed is a running job's identity as the driver reported it.
type followed struct {
	UUID      string    `json:"uuid,omitempty"`
	Submitted time.Time `json:"submitted"`
}

func followKey(device string, row int64) string { return device + "/" + strconv.FormatInt(row, 10) }

// resumable is a job a previous run left unfinished.
type resumable struct {
	row int64
	id  printer.JobID
	r   printer.Resume
}

// unfinished returns the device's jobs a previous run left running, and
// marks orphaned those that cannot be resumed: sent, but the printer's
// job-id never came back (the gateway stopped during Print-Job).
func (pg *printGlue) unfinished(ctx context.Context, device string) ([]resumable, error) {
	g := pg.g
	var out []resumable
	var lost int64
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		out = out[:0]
		res, err := tx.Exec(`UPDATE print_jobs SET state='orphaned', ended=?, reasons=? WHERE device=? AND ended IS NULL AND job_id IS NULL`,
			g.Now().UnixNano(), "the gateway stopped while the document was being sent: the printer's job-id is unknown, the job is not followed nor billed; check the printer's job history", device)
		if err != nil {
			return err
		}
		lost, _ = res.RowsAffected()
		rows, err := tx.Query(`SELECT j.id, j.job_id, j.name, j.format, j.copies, j.sides, j.color, j.media, j.operator, j.spool, j.submitted, j.state, j.impressions, kv.value
			FROM print_jobs j LEFT JOIN kv ON kv.ns=? AND kv.key=?||'/'||j.id WHERE j.device=? AND j.ended IS NULL ORDER BY j.id`, followNS, device, device)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var j resumable
			var id, submitted int64
			var state string
			var ident []byte
			jb := &j.r.Job
			if err := rows.Scan(&j.row, &id, &jb.Name, &jb.Format, &jb.Copies, &jb.Sides, &jb.ColorMode, &jb.Media, &jb.User, &jb.Path,
				&submitted, &state, &j.r.Impressions, &ident); err != nil {
				return err
			}
			j.id, j.r.State = printer.JobID(id), printer.JobState(state)
			var f followed
			if len(ident) > 0 && json.Unmarshal(ident, &f) == nil {
				j.r.UUID, j.r.Submitted = f.UUID, f.Submitted
			} else {
				// Stopped before the printer's first answer was kept:
				// without its job-uuid the job-id is trusted as it is.
				j.r.Submitted = time.Unix(0, submitted)
			}
			out = append(out, j)
		}
		return rows.Err()
	})
	if lost > 0 {
		g.log.Warn("print jobs whose job-id the printer never returned are not billed: check the printer's job history", "device", device, "jobs", lost)
	}
	return out, err
}

// resumeJobs follows again the jobs a previous run left running, so that
// each is billed once when it ends, with the idemkey it would have had.
// A job the printer no longer knows ends aborted with job-lost-by-printer:
// billed for the impressions seen, and listed by `report devices`.
func (pg *printGlue) resumeJobs(ctx context.Context, device string, p *ipp.Printer, jobs []resumable) {
	for _, j := range jobs {
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := p.Follow(fctx, j.id, j.r)
		cancel()
		switch {
		case err == nil:
			pg.g.log.Info("print job left running by the last run followed again", "device", device, "job", j.id, "uuid", j.r.UUID)
		case errors.Is(err, printer.ErrJobLost):
			pg.g.log.Warn("print job left running by the last run is lost by the printer", "device", device, "job", j.id, "err", err)
		case ctx.Err() != nil:
			return
		default:
			pg.g.log.Error("print job left running by the last run not followed: it stays running in `report devices`", "device", device, "job", j.id, "err", err)
		}
	}
}

func (pg *printGlue) printer(device string) *ipp.Printer {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	return pg.printers[device]
}

func (pg *printGlue) poke() {
	select {
	case pg.kick <- struct{}{}:
	default:
	}
}

// run publishes printer states after their transactions and deletes spooled
// documents whose job ended (or whose keep-until passed), until ctx ends.
func (pg *printGlue) run(ctx context.Context) {
	g := pg.g
	defer func() {
		gluesMu.Lock()
		delete(glues, g)
		gluesMu.Unlock()
	}()
	tick := time.NewTicker(pg.sweepEvery)
	defer tick.Stop()
	for {
		pg.mu.Lock()
		pub := pg.publish
		pg.publish = map[string]printer.PrinterStatus{}
		pg.mu.Unlock()
		for dev, st := range pub {
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if err := g.SetState(sctx, "print", dev, "status", statusIn(st, g.loc)); err != nil && ctx.Err() == nil {
				g.log.Warn("printer state not published", "device", dev, "err", err)
			}
			cancel()
		}
		pg.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-pg.kick:
		case <-tick.C:
		}
	}
}

// sweep deletes the spooled documents nobody asked to keep, or kept past
// their date (打印程序: ask whether to keep the file and how long, otherwise
// delete it).
func (pg *printGlue) sweep(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	now := pg.g.Now().UnixNano()
	rows, err := pg.g.st.Query(ctx, `SELECT id, spool FROM print_jobs WHERE spool <> '' AND ended IS NOT NULL AND (keep_until IS NULL OR keep_until <= ?)`, now)
	if err != nil {
		pg.g.log.Warn("print spool sweep", "err", err)
		return
	}
	type doc struct {
		id   int64
		path string
	}
	var docs []doc
	for rows.Next() {
		var d doc
		if rows.Scan(&d.id, &d.path) == nil {
			docs = append(docs, d)
		}
	}
	rows.Close()
	for _, d := range docs {
		if err := os.Remove(d.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			pg.g.log.Warn("spooled document not deleted", "file", d.path, "err", err)
			continue
		}
		if err := pg.g.st.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(`UPDATE print_jobs SET spool='', deleted=? WHERE id=?`, pg.g.Now().UnixNano(), d.id)
			return err
		}); err != nil {
			pg.g.log.Warn("spooled document deleted but not recorded", "file", d.path, "err", err)
		}
	}
}

// ---------------------------------------------------------------------------
// Records

func printRecords(s *deviceSink, tx *store.Tx, r drivers.Result) (bool, error) {
	switch r.Record.(type) {
	case printer.PrinterStatus, printer.Alert, printer.JobUpdate, printer.JobDone, printer.CounterReading:
	default:
		return false, nil
	}
	pg, err := printGlueOf(s.g)
	if err != nil {
		return true, err
	}
	switch rec := r.Record.(type) {
	case printer.PrinterStatus:
		err = pg.onStatus(s, tx, rec)
	case printer.Alert:
		err = pg.onAlert(s, tx, r, rec)
	case printer.JobUpdate:
		err = pg.onJobUpdate(s, tx, rec)
	case printer.JobDone:
		var dup bool
		if dup, err = pg.onJobDone(s, tx, r, rec); err == nil && dup {
			return true, tx.MarkFrame(r.FrameID, store.FrameDuplicate, "")
		}
	case printer.CounterReading:
		b, _ := json.Marshal(rec.Counters)
		_, err = tx.Exec(`INSERT INTO device_status(device, domain, state, status, updated, counters, counters_at) VALUES(?,?,'unknown','{}',?,?,?)
			ON CONFLICT(device) DO UPDATE SET counters=excluded.counters, counters_at=excluded.counters_at`,
			s.device, s.domain, rec.At.UnixNano(), string(b), rec.At.UnixNano())
	}
	if err != nil {
		return true, err
	}
	return true, tx.MarkFrame(r.FrameID, store.FrameParsed, "")
}

// statusIn shows a status's time in the site's zone.
func statusIn(st printer.PrinterStatus, loc *time.Location) printer.PrinterStatus {
	st.At = st.At.In(loc)
	return st
}

func (pg *printGlue) onStatus(s *deviceSink, tx *store.Tx, st printer.PrinterStatus) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO device_status(device, domain, state, status, updated) VALUES(?,?,?,?,?)
		ON CONFLICT(device) DO UPDATE SET domain=excluded.domain, state=excluded.state, status=excluded.status, updated=excluded.updated`,
		s.device, s.domain, st.State, string(b), st.At.UnixNano()); err != nil {
		return err
	}
	pg.mu.Lock()
	pg.last[s.device] = st
	pg.publish[s.device] = st
	pg.mu.Unlock()
	pg.poke()
	return nil
}

func (pg *printGlue) onAlert(s *deviceSink, tx *store.Tx, r drivers.Result, a printer.Alert) error {
	pg.mu.Lock()
	st := pg.last[s.device]
	pg.mu.Unlock()
	var prof *ipp.Profile
	if p := pg.printer(s.device); p != nil {
		prof = p.Profile()
	}
	al := alertMessage(a, st, prof)
	ev := s.alertEvent(al, r.FrameID)
	ev.Time = a.At.In(pg.g.loc)
	if _, _, err := tx.Enqueue(ev); err != nil {
		return err
	}
	if a.Change == printer.Raised {
		_, err := tx.Exec(`INSERT OR IGNORE INTO device_alerts(device, domain, alert, severity, message, detail, raised) VALUES(?,?,?,?,?,?,?)`,
			s.device, s.domain, string(a.Kind), al.Severity, al.Message, al.Detail, a.At.UnixNano())
		return err
	}
	_, err := tx.Exec(`UPDATE device_alerts SET cleared=? WHERE device=? AND alert=? AND cleared IS NULL`, a.At.UnixNano(), s.device, string(a.Kind))
	return err
}

// alertMessage says what the front desk must do about an alert, naming the
// tray and the paper where the printer tells them.
func alertMessage(a printer.Alert, st printer.PrinterStatus, prof *ipp.Profile) Alert {
	al := Alert{Alert: string(a.Kind), State: string(a.Change), Detail: strings.Join(a.Reasons, ",")}
	if a.Detail != "" {
		if al.Detail != "" {
			al.Detail += ": "
		}
		al.Detail += a.Detail
	}
	size := func(media string) string {
		if prof != nil {
			if s := prof.SizeOf(media); s != "" {
				return s
			}
		}
		return media
	}
	trays := func(empty bool) string {
		var out []string
		for _, t := range st.Trays {
			if (empty && t.Level == 0) || (!empty && t.Level > 0 && t.Capacity > 0 && t.Level*10 <= t.Capacity) {
				p := "paper"
				switch {
				case t.Media != "":
					p = size(t.Media) + " paper"
				case len(st.MediaReady) == 1:
					// printer-input-tray names no media (PWG 5100.13
					// §6.5.2); one media ready is the one it expects.
					p = size(st.MediaReady[0]) + " paper"
				}
				out = append(out, p+" in tray "+t.Name)
			}
		}
		return strings.Join(out, " and ")
	}
	if a.Change == printer.Cleared {
		al.Severity = "info"
		al.Message = map[printer.AlertKind]string{
			printer.AlertMediaEmpty: "paper loaded: printing resumes",
			printer.AlertMediaLow:   "paper refilled",
			printer.AlertMediaJam:   "paper jam cleared",
			printer.AlertTonerLow:   "toner replaced",
			printer.AlertTonerEmpty: "toner replaced: printing resumes",
			printer.AlertCoverOpen:  "cover closed",
			printer.AlertOffline:    "printer answers again",
		}[a.Kind]
		if al.Message == "" {
			al.Message = string(a.Kind) + " cleared"
		}
		return al
	}
	switch a.Kind {
	case printer.AlertMediaEmpty:
		al.Severity, al.Message = "critical", "load paper"
		if t := trays(true); t != "" {
			al.Message = "load " + t
		} else if len(st.MediaReady) > 0 {
			al.Message = "load " + size(st.MediaReady[0]) + " paper"
		}
	case printer.AlertMediaLow:
		al.Severity, al.Message = "warning", "paper low: add paper"
		if t := trays(false); t != "" {
			al.Message = "paper low: add " + t
		}
	case printer.AlertMediaJam:
		al.Severity, al.Message = "critical", "clear the paper jam (open the printer and remove the jammed sheet)"
	case printer.AlertTonerLow, printer.AlertTonerEmpty:
		var low []string
		for _, s := range st.Supplies {
			if s.Low || (a.Kind == printer.AlertTonerEmpty && s.Level == 0) {
				n := s.Name
				if s.Level >= 0 {
					n += fmt.Sprintf(" (%d%%)", s.Level)
				}
				low = append(low, n)
			}
		}
		what := "toner"
		if len(low) > 0 {
			what = strings.Join(low, ", ")
		}
		al.Severity, al.Message = "warning", "toner low: have a replacement ready for "+what
		if a.Kind == printer.AlertTonerEmpty {
			al.Severity, al.Message = "critical", "replace the toner: "+what
		}
	case printer.AlertCoverOpen:
		al.Severity, al.Message = "warning", "close the printer's cover or door"
	case printer.AlertOffline:
		al.Severity, al.Message = "critical", "printer does not answer: check its power and network cable"
		if st.Error != "" && al.Detail == "" {
			al.Detail = st.Error
		}
	default:
		al.Severity, al.Message = "warning", "check the printer: "+string(a.Kind)
	}
	return al
}

// PrintJobCompleted is the data of hotel.print.job.completed: a print job in
// its terminal state and what it cost. A cancelled or aborted job is billed
// for the impressions that came out.
type PrintJobCompleted struct {
	Device      string     `json:"device"`
	JobID       int        `json:"job_id"`
	CommandID   string     `json:"command_id,omitempty"`
	Room        string     `json:"room"`
	Operator    string     `json:"operator"`
	Name        string     `json:"name,omitempty"`
	State       string     `json:"state"` // completed, canceled, aborted
	Reasons     []string   `json:"reasons,omitempty"`
	Impressions int        `json:"impressions"`
	Sheets      int        `json:"sheets"`
	Copies      int        `json:"copies"`
	Color       string     `json:"color"` // monochrome, color
	Sides       string     `json:"sides"`
	Media       string     `json:"media"`
	Size        string     `json:"size,omitempty"`
	Submitted   time.Time  `json:"submitted"`
	Ended       time.Time  `json:"ended"`
	KeepUntil   *time.Time `json:"keep_until,omitempty"`
	Charge
}

func (pg *printGlue) price(it rating.BusinessItem) businessPrice { return priceItem(pg.tariff, it) }

// jobIdentity strips the state and impressions from a job frame's key
// (drivers/ipp: "{job-uuid or device/job/N/submitted}/{state}/{impressions}"):
// what is left names the job, whatever state it was seen ending in.
func jobIdentity(key string) string {
	for range 2 {
		i := strings.LastIndexByte(key, '/')
		if i <= 0 {
			return ""
		}
		key = key[:i]
	}
	return key
}

type jobRow struct {
	id        int64
	commandID string
	room      string
	operator  string
	name      string
	copies    int
	sides     string
	color     string
	media     string
	submitted int64
	keepUntil sql.NullInt64
}

const jobCols = `id, command_id, room, operator, name, copies, sides, color, media, submitted, keep_until`

func scanJob(row *sql.Row) (jobRow, error) {
	var j jobRow
	err := row.Scan(&j.id, &j.commandID, &j.room, &j.operator, &j.name, &j.copies, &j.sides, &j.color, &j.media, &j.submitted, &j.keepUntil)
	return j, err
}

// jobRowOf finds the print_jobs row of a job the driver reports. Among
// the running rows with its job-id (two share one when the printer
// restarted and reused it): the row whose kept job-uuid is uuid; else,
// when uuid is known, the newest row whose job-uuid is not known yet;
// else the newest. Failing that, the row being submitted (the printer can
// report a job before Print-Job has returned its id to the submitter;
// submissions to a device are serialized). sql.ErrNoRows: none.
func jobRowOf(tx *store.Tx, device string, id printer.JobID, uuid string) (int64, error) {
	rows, err := tx.Query(`SELECT j.id, COALESCE(kv.value, '') FROM print_jobs j LEFT JOIN kv ON kv.ns=? AND kv.key=?||'/'||j.id
		WHERE j.device=? AND j.job_id=? AND j.ended IS NULL ORDER BY j.id DESC`, followNS, device, device, int(id))
	if err != nil {
		return 0, err
	}
	var newest, unknown, same int64
	for rows.Next() {
		var row int64
		var ident []byte
		if err := rows.Scan(&row, &ident); err != nil {
			rows.Close()
			return 0, err
		}
		var f followed
		_ = json.Unmarshal(ident, &f)
		if newest == 0 {
			newest = row
		}
		if uuid != "" && f.UUID == uuid && same == 0 {
			same = row
		}
		if f.UUID == "" && unknown == 0 {
			unknown = row
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	switch {
	case same != 0:
		return same, nil
	case uuid != "" && unknown != 0:
		return unknown, nil
	case uuid == "" && newest != 0:
		return newest, nil
	}
	var row int64
	err = tx.QueryRow(`SELECT id FROM print_jobs WHERE device=? AND job_id IS NULL AND state='submitting' ORDER BY id DESC LIMIT 1`, device).Scan(&row)
	return row, err
}

// onJobUpdate records a running job's progress and keeps its identity
// (job-uuid, submission) for Follow after a restart.
func (pg *printGlue) onJobUpdate(s *deviceSink, tx *store.Tx, u printer.JobUpdate) error {
	row, err := jobRowOf(tx, s.device, u.JobID, u.UUID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not a print.submit job: billed without a room at its end
	}
	if err != nil {
		return err
	}
	// The row being submitted gets its job-id now: a gateway stopped
	// before Print-Job returned can still resume the job.
	if _, err := tx.Exec(`UPDATE print_jobs SET job_id=?, state=?, impressions=? WHERE id=?`, int(u.JobID), string(u.State), u.Impressions, row); err != nil {
		return err
	}
	b, err := json.Marshal(followed{UUID: u.UUID, Submitted: u.Submitted})
	if err != nil {
		return err
	}
	return tx.Put(followNS, followKey(s.device, row), b)
}

// onJobDone bills a job that ended; dup is true when it was billed before.
func (pg *printGlue) onJobDone(s *deviceSink, tx *store.Tx, r drivers.Result, d printer.JobDone) (dup bool, err error) {
	ident := jobIdentity(r.Key)
	if ident == "" {
		ident = fmt.Sprintf("%s/job/%d/journal/%d", s.device, d.JobID, r.FrameID)
	}
	idem := s.device + "/print/" + ident
	var one int
	switch err := tx.QueryRow(`SELECT 1 FROM business_charges WHERE idemkey=?`, idem).Scan(&one); {
	case err == nil:
		return true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, err
	}
	// The job's context: its row by job-id, else the one being submitted
	// (the printer can report a job's end before Print-Job has returned
	// its id to the submitter; submissions to a device are serialized).
	var j jobRow
	row, err := jobRowOf(tx, s.device, d.JobID, d.UUID)
	if err == nil {
		j, err = scanJob(tx.QueryRow(`SELECT `+jobCols+` FROM print_jobs WHERE id=?`, row))
	}
	if errors.Is(err, sql.ErrNoRows) {
		// Not ours (nothing else submits through this driver) or its row
		// is gone: bill it anyway, visibly without a room.
		res, ierr := tx.Exec(`INSERT INTO print_jobs(device, job_id, command_id, room, operator, name, copies, sides, color, media, bytes, submitted, state)
			VALUES(?,?,'','','',?,?,?,?,?,0,?,'pending')`, s.device, int(d.JobID), d.Name, d.Copies, d.Sides, colorMode(d.Color), d.Media, d.At.UnixNano())
		if ierr != nil {
			return false, ierr
		}
		id, _ := res.LastInsertId()
		j = jobRow{id: id, name: d.Name, copies: d.Copies, sides: d.Sides, color: colorMode(d.Color), media: d.Media, submitted: d.At.UnixNano()}
		err = nil
		s.log.Warn("print job ended that no print.submit recorded: billed without a room", "job", d.JobID)
	}
	if err != nil {
		return false, err
	}
	media := d.Media
	if media == "" {
		media = j.media
	}
	size := d.Size
	if size == "" {
		if p := pg.printer(s.device); p != nil {
			size = p.Profile().SizeOf(media)
		}
	}
	sides := d.Sides
	if sides == "" {
		sides = j.sides
	}
	bp := pg.price(rating.BusinessItem{Service: rating.ServicePrint, Size: size, Color: d.Color,
		Duplex: sides != "" && sides != "one-sided", Impressions: int64(d.Impressions)})
	loc := pg.g.loc
	data := PrintJobCompleted{
		Device: s.device, JobID: int(d.JobID), CommandID: j.commandID, Room: j.room, Operator: j.operator, Name: j.name,
		State: string(d.State), Reasons: d.Reasons, Impressions: d.Impressions, Sheets: d.Sheets, Copies: d.Copies,
		Color: colorMode(d.Color), Sides: sides, Media: media, Size: size,
		Submitted: time.Unix(0, j.submitted).In(loc), Ended: d.At.In(loc),
		Charge: bp.charge(pg.tariff.Name()),
	}
	if data.Copies == 0 {
		data.Copies = j.copies
	}
	if j.keepUntil.Valid {
		k := time.Unix(0, j.keepUntil.Int64).In(loc)
		data.KeepUntil = &k
	}
	ev := store.Event{Type: "hotel.print.job.completed", Topic: pg.g.topics.Event("print", s.device, "hotel.print.job.completed"),
		Source: pg.g.topics.Source("print", s.device), Subject: subjectOf(j.room, s.device), IdemKey: idem, Time: data.Ended, Data: data}
	seq, dup, err := tx.Enqueue(ev)
	if err != nil || dup {
		return dup, err
	}
	if err := insertCharge(tx, idem, rating.ServicePrint, s.device, fmt.Sprintf("print/%d", j.id), j.room, j.operator, d.At,
		int64(d.Impressions), size, d.Color, data.Sides != "one-sided", string(d.State), bp, pg.tariff.Name(), seq); err != nil {
		return false, err
	}
	state, reasons := string(d.State), strings.Join(d.Reasons, ",")
	if d.Lost != "" {
		// Billed for what was seen, but the printer may have printed more
		// (or all) of it unseen: `report devices` lists orphaned jobs.
		state = "orphaned"
		reasons = fmt.Sprintf("%s; billed for the %d impressions seen before; check the printer's job history", d.Lost, d.Impressions)
		s.log.Warn("print job lost by the printer: billed for the impressions seen", "job", d.JobID, "room", j.room, "impressions", d.Impressions, "reason", d.Lost)
	}
	_, err = tx.Exec(`UPDATE print_jobs SET job_id=?, state=?, reasons=?, impressions=?, sheets=?, counter_impressions=?, ended=?, charge=? WHERE id=?`,
		int(d.JobID), state, reasons, d.Impressions, d.Sheets, d.CounterImpressions, d.At.UnixNano(), idem, j.id)
	if err == nil {
		err = tx.Delete(followNS, followKey(s.device, j.id))
	}
	if err == nil {
		pg.poke() // the spooled document may go now
		s.log.Info("print job billed", "job", d.JobID, "room", j.room, "state", d.State, "impressions", d.Impressions, "amount", bp.res.Price.String(), "seq", seq)
	}
	return false, err
}

func colorMode(color bool) string {
	if color {
		return "color"
	}
	return "monochrome"
}

// ---------------------------------------------------------------------------
// Commands

// PrintSubmitData is the data of print/{device}/cmd/print.submit.
type PrintSubmitData struct {
	Room     string `json:"room"`
	Operator string `json:"operator"`
	Copies   int    `json:"copies,omitempty"` // default 1
	Sides    string `json:"sides,omitempty"`  // one-sided (default), two-sided-long-edge, two-sided-short-edge
	Color    string `json:"color,omitempty"`  // monochrome (default), color
	Media    string `json:"media,omitempty"`  // PWG media name, default iso_a4_210x297mm
	Name     string `json:"name,omitempty"`   // job-name
	Format   string `json:"format,omitempty"` // MIME type; default: from the document's first bytes
	Document string `json:"document"`         // base64 (RFC 4648 §4), at most MaxPrintDocument decoded
	// KeepUntil keeps the document after the job until then (RFC 3339, or
	// YYYY-MM-DD: to the end of that day in the site's zone); empty: the
	// document is deleted when the job ends.
	KeepUntil string `json:"keep_until,omitempty"`
}

// PrintResult is the result of print.submit.
type PrintResult struct {
	JobID       int           `json:"job_id"`
	State       string        `json:"state"`
	Impressions int           `json:"impressions"`
	Sheets      int           `json:"sheets,omitempty"`
	Amount      *rating.Money `json:"amount,omitempty"`
	AmountMinor *int64        `json:"amount_minor,omitempty"`
	Currency    string        `json:"currency,omitempty"`
	KeepUntil   *time.Time    `json:"keep_until,omitempty"`
	Note        string        `json:"note,omitempty"`
}

type printSubmitHandler struct{ pg *printGlue }

func (pg *printGlue) knownPrinter(c *bus.Command) (*ipp.Printer, error) {
	p := pg.printer(c.Device)
	if p == nil {
		pg.mu.Lock()
		var have []string
		for id := range pg.printers {
			have = append(have, id)
		}
		pg.mu.Unlock()
		slices.Sort(have)
		return nil, &bus.FieldError{Field: "topic", Problem: fmt.Sprintf("device %q is not a printer of this gateway (have %v)", c.Device, have)}
	}
	return p, nil
}

// checkMedia defaults and checks a media name: the printer's profile must
// know its size and the tariff must price it in that colour mode.
func (pg *printGlue) checkMedia(p *ipp.Printer, service, media, color string) (string, error) {
	if media == "" {
		media = DefaultMedia
	}
	size := p.Profile().SizeOf(media)
	if size == "" {
		return "", &bus.FieldError{Field: "data.media", Problem: fmt.Sprintf("%q: not a media size the printer's profile knows (e.g. %s)", media, DefaultMedia)}
	}
	if _, err := pg.tariff.Price(rating.BusinessItem{Service: service, Size: size, Color: color == "color", Impressions: 1}); err != nil {
		return "", &bus.FieldError{Field: "data.media", Problem: err.Error()}
	}
	return media, nil
}

// parseKeepUntil reads keep_until: RFC 3339, or a date kept to its end.
func parseKeepUntil(s string, now time.Time, loc *time.Location) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		d, derr := time.ParseInLocation(time.DateOnly, s, loc)
		if derr != nil {
			return nil, &bus.FieldError{Field: "data.keep_until", Problem: fmt.Sprintf("%q: want YYYY-MM-DD or an RFC 3339 time", s)}
		}
		t = d.AddDate(0, 0, 1)
	}
	switch {
	case !t.After(now):
		return nil, &bus.FieldError{Field: "data.keep_until", Problem: "in the past: leave it out to delete the document when the job ends"}
	case t.Sub(now) > maxKeep:
		return nil, &bus.FieldError{Field: "data.keep_until", Problem: fmt.Sprintf("more than %d days ahead", int(maxKeep.Hours()/24))}
	}
	t = t.In(loc)
	return &t, nil
}

// printJob is a validated print.submit.
type printJob struct {
	d    PrintSubmitData
	doc  []byte
	keep *time.Time
}

func (h printSubmitHandler) parse(c *bus.Command) (printJob, error) {
	pg := h.pg
	var j printJob
	p, err := pg.knownPrinter(c)
	if err != nil {
		return j, err
	}
	if err := bus.DecodeData(c, &j.d); err != nil {
		return j, err
	}
	d := &j.d
	if err := pg.checkRoom(d.Room); err != nil {
		return j, err
	}
	if err := plainText("data.operator", d.Operator, 32, true); err != nil {
		return j, err
	}
	if err := plainText("data.name", d.Name, 255, false); err != nil {
		return j, err
	}
	if d.Copies == 0 {
		d.Copies = 1
	}
	if d.Copies < 1 || d.Copies > 999 {
		return j, &bus.FieldError{Field: "data.copies", Problem: fmt.Sprintf("%d: want 1..999", d.Copies)}
	}
	if d.Sides, err = oneOf("data.sides", d.Sides, "one-sided", printSides); err != nil {
		return j, err
	}
	if d.Color, err = oneOf("data.color", d.Color, "monochrome", printColors); err != nil {
		return j, err
	}
	if d.Format, err = oneOf("data.format", d.Format, "", printFormats); err != nil {
		return j, err
	}
	if d.Media, err = pg.checkMedia(p, rating.ServicePrint, d.Media, d.Color); err != nil {
		return j, err
	}
	if j.keep, err = parseKeepUntil(d.KeepUntil, c.Received, pg.g.loc); err != nil {
		return j, err
	}
	if d.Document == "" {
		return j, &bus.FieldError{Field: "data.document", Problem: "required: the document, base64"}
	}
	if n := base64.StdEncoding.DecodedLen(len(d.Document)); n > pg.maxDoc+2 {
		return j, &bus.FieldError{Field: "data.document", Problem: fmt.Sprintf("about %.1f MiB: the limit is %.1f MiB", float64(n)/(1<<20), float64(pg.maxDoc)/(1<<20))}
	}
	pg.mu.Lock()
	if pg.docCache.id == c.ID {
		j.doc = pg.docCache.doc
	}
	pg.mu.Unlock()
	if j.doc == nil {
		if j.doc, err = base64.StdEncoding.DecodeString(d.Document); err != nil {
			return j, &bus.FieldError{Field: "data.document", Problem: "not base64: " + err.Error()}
		}
		if len(j.doc) > pg.maxDoc {
			return j, &bus.FieldError{Field: "data.document", Problem: fmt.Sprintf("%d bytes: the limit is %d", len(j.doc), pg.maxDoc)}
		}
		if len(j.doc) == 0 {
			return j, &bus.FieldError{Field: "data.document", Problem: "empty"}
		}
	}
	d.Document = ""
	return j, nil
}

func (h printSubmitHandler) Validate(c *bus.Command) error {
	j, err := h.parse(c)
	if err != nil {
		return err
	}
	// Execute follows at once on the router's goroutine: keep the decoded
	// document instead of decoding 20 MiB twice.
	h.pg.mu.Lock()
	h.pg.docCache.id, h.pg.docCache.doc = c.ID, j.doc
	h.pg.mu.Unlock()
	return nil
}

func (h printSubmitHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	pg, g := h.pg, h.pg.g
	j, err := h.parse(c)
	pg.mu.Lock()
	pg.docCache.id, pg.docCache.doc = "", nil
	mu := pg.submitMu[c.Device]
	pg.mu.Unlock()
	if err != nil {
		return nil, err
	}
	p := pg.printer(c.Device)
	sum := sha256.Sum256([]byte(c.ID))
	spool := filepath.Join(pg.spoolDir, fmt.Sprintf("%s-%s-%s", c.Device, time.Now().UTC().Format("20060102T150405"), hex.EncodeToString(sum[:6])))
	if err := os.WriteFile(spool, j.doc, 0o600); err != nil {
		return nil, fmt.Errorf("document not spooled: %w", err)
	}
	var keep any
	if j.keep != nil {
		keep = j.keep.UnixNano()
	}
	d := j.d
	mu.Lock()
	var rowID int64
	err = g.st.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`INSERT INTO print_jobs(device, command_id, room, operator, name, format, copies, sides, color, media, bytes, spool, keep_until, submitted, state)
			VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,'submitting')`,
			c.Device, c.ID, d.Room, d.Operator, d.Name, d.Format, d.Copies, d.Sides, d.Color, d.Media, len(j.doc), spool, keep, time.Now().UnixNano())
		if err != nil {
			return err
		}
		rowID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		mu.Unlock()
		os.Remove(spool)
		return nil, fmt.Errorf("print job not recorded: %w", err)
	}
	user := d.Operator
	jid, serr := p.Submit(ctx, printer.Job{Path: spool, Format: d.Format, Copies: d.Copies, Sides: d.Sides, ColorMode: d.Color,
		Media: d.Media, Name: d.Name, User: user})
	err = g.st.InTx(context.Background(), func(tx *store.Tx) error {
		if serr != nil {
			_, err := tx.Exec(`UPDATE print_jobs SET state='refused', reasons=?, ended=? WHERE id=? AND state='submitting'`, serr.Error(), time.Now().UnixNano(), rowID)
			return err
		}
		_, err := tx.Exec(`UPDATE print_jobs SET job_id=?, state=CASE WHEN state='submitting' THEN 'pending' ELSE state END WHERE id=?`, int(jid), rowID)
		return err
	})
	mu.Unlock()
	pg.poke()
	if serr != nil {
		if errors.Is(serr, printer.ErrFormat) {
			return nil, &bus.FieldError{Field: "data.format", Problem: serr.Error()}
		}
		return nil, fmt.Errorf("the printer refused the job: %w", serr)
	}
	if err != nil {
		g.log.Error("print job sent but its job-id not recorded: it will be billed without its context", "device", c.Device, "job", jid, "err", err)
	}
	g.log.Info("print job sent", "device", c.Device, "job", jid, "room", d.Room, "operator", d.Operator, "copies", d.Copies)

	// The router runs commands one at a time: wait for the job's end a
	// bounded time, then let the charge follow as hotel.print.job.completed.
	wait := pg.submitWait
	if c.Deadline != nil {
		if w := time.Until(*c.Deadline); w < wait {
			wait = max(w, time.Second)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	res := PrintResult{JobID: int(jid), KeepUntil: j.keep}
	done, werr := p.Wait(wctx, jid)
	if werr != nil {
		res.State = "processing"
		var imp int
		_ = g.st.QueryRow(ctx, `SELECT state, impressions FROM print_jobs WHERE id=?`, rowID).Scan(&res.State, &imp)
		res.Impressions = imp
		res.Note = fmt.Sprintf("still running after %s: the charge follows as hotel.print.job.completed (job %d)", wait.Round(time.Second), jid)
		return res, nil
	}
	res.State, res.Impressions, res.Sheets = string(done.State), done.Impressions, done.Sheets
	var amount string
	var minor int64
	var currency, unbilled string
	err = g.st.QueryRow(ctx, `SELECT c.amount, c.amount_minor, c.currency, c.unbilled FROM print_jobs j JOIN business_charges c ON c.idemkey=j.charge WHERE j.id=?`, rowID).
		Scan(&amount, &minor, &currency, &unbilled)
	switch {
	case err == nil:
		m, _ := rating.ParseMoney(amount)
		res.Amount, res.AmountMinor, res.Currency = &m, &minor, currency
		if unbilled != "" {
			res.Note = "not priced: " + unbilled
		}
	default:
		res.Note = "the charge was not recorded: see the gateway log"
	}
	if done.State != printer.JobCompleted {
		why := strings.Join(done.Reasons, ", ")
		if why == "" {
			why = "no reason given"
		}
		billed := ""
		if res.Amount != nil {
			billed = fmt.Sprintf("; %d impressions billed: %s %s", done.Impressions, res.Currency, res.Amount)
		}
		return nil, fmt.Errorf("job %d %s by the printer (%s)%s", jid, done.State, why, billed)
	}
	return res, nil
}

// PrintCancelData is the data of print/{device}/cmd/print.cancel.
type PrintCancelData struct {
	JobID int `json:"job_id"`
}

type printCancelHandler struct{ pg *printGlue }

func (h printCancelHandler) Validate(c *bus.Command) error {
	if _, err := h.pg.knownPrinter(c); err != nil {
		return err
	}
	var d PrintCancelData
	if err := bus.DecodeData(c, &d); err != nil {
		return err
	}
	if d.JobID < 1 {
		return &bus.FieldError{Field: "data.job_id", Problem: "required: the printer's job id"}
	}
	return nil
}

func (h printCancelHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	var d PrintCancelData
	if err := bus.DecodeData(c, &d); err != nil {
		return nil, err
	}
	if err := h.pg.printer(c.Device).Cancel(ctx, printer.JobID(d.JobID)); err != nil {
		return nil, err
	}
	return map[string]any{"job_id": d.JobID, "state": "cancel requested", "note": "the impressions completed until it stops are billed (hotel.print.job.completed)"}, nil
}

// CopyStartData is the data of print/{device}/cmd/copy.start.
type CopyStartData struct {
	Room     string `json:"room"`
	Operator string `json:"operator"`
	Media    string `json:"media,omitempty"` // billed size, default iso_a4_210x297mm
	Color    string `json:"color,omitempty"` // monochrome (default), color
}

// CopyStopData is the data of print/{device}/cmd/copy.stop.
type CopyStopData struct {
	Room string `json:"room"`
	// Void closes the session without billing (a counter that cannot be
	// trusted: replaced board, reset); Reason says why.
	Void   bool   `json:"void,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// CopyCompleted is the data of hotel.print.copy.completed.
type CopyCompleted struct {
	Device           string    `json:"device"`
	SessionID        int64     `json:"session_id"`
	Room             string    `json:"room"`
	Operator         string    `json:"operator"`
	Started          time.Time `json:"started"`
	Ended            time.Time `json:"ended"`
	Pages            int64     `json:"pages"`
	PrintImpressions int64     `json:"print_impressions"` // print jobs in between, subtracted
	CounterSource    string    `json:"counter_source"`
	CounterStart     int64     `json:"counter_start"`
	CounterEnd       int64     `json:"counter_end"`
	Media            string    `json:"media"`
	Size             string    `json:"size"`
	Color            string    `json:"color"`
	Charge
}

type copyStartHandler struct{ pg *printGlue }

func (h copyStartHandler) parse(c *bus.Command) (CopyStartData, error) {
	var d CopyStartData
	p, err := h.pg.knownPrinter(c)
	if err != nil {
		return d, err
	}
	if err := bus.DecodeData(c, &d); err != nil {
		return d, err
	}
	if err := h.pg.checkRoom(d.Room); err != nil {
		return d, err
	}
	if err := plainText("data.operator", d.Operator, 32, true); err != nil {
		return d, err
	}
	if d.Color, err = oneOf("data.color", d.Color, "monochrome", printColors); err != nil {
		return d, err
	}
	d.Media, err = h.pg.checkMedia(p, rating.ServiceCopy, d.Media, d.Color)
	return d, err
}

func (h copyStartHandler) Validate(c *bus.Command) error {
	_, err := h.parse(c)
	return err
}

type copySession struct {
	id        int64
	room      string
	operator  string
	media     string
	color     string
	started   int64
	source    string
	count     int64
	commandID string
}

func (pg *printGlue) openSession(ctx context.Context, device string) (copySession, bool, error) {
	var s copySession
	err := pg.g.st.QueryRow(ctx, `SELECT id, room, operator, media, color, started, source, start_count, command_id FROM copy_sessions WHERE device=? AND status='open'`, device).
		Scan(&s.id, &s.room, &s.operator, &s.media, &s.color, &s.started, &s.source, &s.count, &s.commandID)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	return s, err == nil, err
}

func (h copyStartHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	pg := h.pg
	d, err := h.parse(c)
	if err != nil {
		return nil, err
	}
	if s, ok, err := pg.openSession(ctx, c.Device); err != nil {
		return nil, err
	} else if ok {
		return nil, fmt.Errorf("%s already has an open copy session (room %s, since %s): stop it first",
			c.Device, s.room, time.Unix(0, s.started).In(pg.g.loc).Format("15:04"))
	}
	cnt, err := pg.printer(c.Device).Counters(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy counter of %s unreadable, no session started: %w", c.Device, err)
	}
	var id int64
	err = pg.g.st.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`INSERT INTO copy_sessions(device, room, operator, media, color, command_id, started, source, start_count, status) VALUES(?,?,?,?,?,?,?,?,?,'open')`,
			c.Device, d.Room, d.Operator, d.Media, d.Color, c.ID, cnt.At.UnixNano(), string(cnt.Source), cnt.Impressions)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("copy session not recorded: %w", err)
	}
	pg.g.log.Info("copy session started", "device", c.Device, "room", d.Room, "operator", d.Operator, "counter", cnt.Impressions, "source", cnt.Source)
	return map[string]any{"session_id": id, "room": d.Room, "counter": cnt.Impressions, "counter_source": cnt.Source, "started": cnt.At.In(pg.g.loc)}, nil
}

type copyStopHandler struct{ pg *printGlue }

func (h copyStopHandler) Validate(c *bus.Command) error {
	if _, err := h.pg.knownPrinter(c); err != nil {
		return err
	}
	var d CopyStopData
	if err := bus.DecodeData(c, &d); err != nil {
		return err
	}
	if err := plainText("data.room", d.Room, 16, true); err != nil {
		return err
	}
	if err := plainText("data.reason", d.Reason, 200, d.Void); err != nil {
		return err
	}
	return nil
}

func (h copyStopHandler) Execute(ctx context.Context, c *bus.Command) (any, error) {
	pg, g := h.pg, h.pg.g
	var d CopyStopData
	if err := bus.DecodeData(c, &d); err != nil {
		return nil, err
	}
	s, ok, err := pg.openSession(ctx, c.Device)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("%s has no open copy session", c.Device)
	case s.room != d.Room:
		return nil, &bus.FieldError{Field: "data.room", Problem: fmt.Sprintf("the open copy session on %s is for room %s", c.Device, s.room)}
	}
	if d.Void {
		err := g.st.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(`UPDATE copy_sessions SET status='void', stopped=?, reason=? WHERE id=? AND status='open'`, time.Now().UnixNano(), d.Reason, s.id)
			return err
		})
		if err != nil {
			return nil, err
		}
		g.log.Warn("copy session voided, not billed", "device", c.Device, "room", s.room, "reason", d.Reason)
		return map[string]any{"session_id": s.id, "status": "void"}, nil
	}
	// A print job still running has put some impressions on the counter
	// that are not known yet: the difference would bill them as copies.
	var running int
	if err := g.st.QueryRow(ctx, `SELECT COUNT(*) FROM print_jobs WHERE device=? AND ended IS NULL`, c.Device).Scan(&running); err != nil {
		return nil, err
	}
	if running > 0 {
		return nil, fmt.Errorf("%d print job(s) still running on %s: stop the copy session once they have ended (the session stays open)", running, c.Device)
	}
	end, err := pg.printer(c.Device).Counters(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy counter of %s unreadable: %w; the session stays open: try again, or stop it with void", c.Device, err)
	}
	start := printer.Counters{At: time.Unix(0, s.started), Source: printer.CounterSource(s.source), Impressions: s.count, Color: -1, Mono: -1}
	var jobs []printer.JobDone
	rows, err := g.st.Query(ctx, `SELECT ended, counter_impressions FROM print_jobs WHERE device=? AND ended > ? AND ended <= ? AND counter_impressions > 0`,
		c.Device, s.started, end.At.UnixNano())
	if err != nil {
		return nil, err
	}
	var printed int64
	for rows.Next() {
		var at int64
		var n int
		if err := rows.Scan(&at, &n); err != nil {
			rows.Close()
			return nil, err
		}
		jobs = append(jobs, printer.JobDone{At: time.Unix(0, at), CounterImpressions: n})
		printed += int64(n)
	}
	rows.Close()
	pages, err := printer.CopyPages(start, end, jobs)
	if err != nil {
		return nil, fmt.Errorf("%w; the session stays open: stop it with void and bill by hand", err)
	}
	size := pg.printer(c.Device).Profile().SizeOf(s.media)
	bp := pg.price(rating.BusinessItem{Service: rating.ServiceCopy, Size: size, Color: s.color == "color", Impressions: pages})
	loc := g.loc
	data := CopyCompleted{Device: c.Device, SessionID: s.id, Room: s.room, Operator: s.operator,
		Started: time.Unix(0, s.started).In(loc), Ended: end.At.In(loc), Pages: pages, PrintImpressions: printed,
		CounterSource: s.source, CounterStart: s.count, CounterEnd: end.Impressions, Media: s.media, Size: size, Color: s.color,
		Charge: bp.charge(pg.tariff.Name())}
	idem := fmt.Sprintf("%s/copy-session/%d", c.Device, s.id)
	ev := store.Event{Type: "hotel.print.copy.completed", Topic: g.topics.Event("print", c.Device, "hotel.print.copy.completed"),
		Source: g.topics.Source("print", c.Device), Subject: subjectOf(s.room, c.Device), IdemKey: idem, Time: data.Ended, Data: data}
	var seq int64
	err = g.st.InTx(ctx, func(tx *store.Tx) error {
		var dup bool
		var err error
		if seq, dup, err = tx.Enqueue(ev); err != nil || dup {
			return err
		}
		if err := insertCharge(tx, idem, rating.ServiceCopy, c.Device, fmt.Sprintf("copy/%d", s.id), s.room, s.operator, end.At,
			pages, size, s.color == "color", false, "completed", bp, pg.tariff.Name(), seq); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE copy_sessions SET status='billed', stopped=?, end_count=?, printed=?, pages=?, charge=? WHERE id=?`,
			end.At.UnixNano(), end.Impressions, printed, pages, idem, s.id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("copy session not billed: %w; the session stays open", err)
	}
	g.notify()
	g.log.Info("copy session billed", "device", c.Device, "room", s.room, "pages", pages, "amount", bp.res.Price.String(), "seq", seq)
	out := map[string]any{"session_id": s.id, "room": s.room, "pages": pages, "print_impressions": printed,
		"amount": bp.res.Price, "amount_minor": bp.res.Minor, "currency": bp.res.Currency, "event_seq": seq}
	if bp.unbilled != "" {
		out["note"] = "not priced: " + bp.unbilled
	}
	return out, nil
}
