// Package printer is the printer model the IPP driver and the print desk
// share: a printer's status and alerts, a job to print, its progress and
// its end (what billing needs), the device's lifetime counters, and the
// Printer seam the desk prints through. Drivers (drivers/ipp) produce it;
// the print desk consumes it; neither imports the other.
package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// PrinterStatus is the state of a printer after a poll. It is delivered when
// it differs from the previous poll's.
type PrinterStatus struct {
	Device string    `json:"device"`
	At     time.Time `json:"at"`
	// State is idle, processing or stopped (RFC 8011 §5.4.11
	// printer-state), or offline when the printer did not answer.
	State string `json:"state"`
	// Reasons are printer-state-reasons without their -report, -warning
	// and -error suffixes (RFC 8011 §5.4.12), "none" left out, sorted.
	Reasons   []string `json:"reasons,omitempty"`
	Message   string   `json:"message,omitempty"`
	Accepting bool     `json:"accepting"`
	// Alerts are the printer-alert values (PWG 5100.9), verbatim.
	Alerts   []string `json:"alerts,omitempty"`
	Supplies []Supply `json:"supplies,omitempty"`
	Trays    []Tray   `json:"trays,omitempty"`
	// MediaReady are the PWG media names loaded (media-ready).
	MediaReady []string `json:"media_ready,omitempty"`
	Error      string   `json:"error,omitempty"` // why offline
}

// Supply is one marker supply (toner, ink, waste), from the CUPS
// marker-names/-colors/-levels/-types attributes or from printer-supply
// (PWG 5100.13, values in the RFC 3805 prtMarkerSuppliesTable form).
// Level is a percentage; negative values keep RFC 3805's meaning (-2
// unknown, -3 some remaining).
type Supply struct {
	Name  string `json:"name"`
	Color string `json:"color,omitempty"`
	Type  string `json:"type,omitempty"`
	Level int    `json:"level"`
	Low   bool   `json:"low,omitempty"`
}

// Tray is one input tray (printer-input-tray, PWG 5100.13 §6.5).
type Tray struct {
	Name     string `json:"name"`
	Media    string `json:"media,omitempty"`
	Level    int    `json:"level"` // sheets, -2 unknown, -3 some
	Capacity int    `json:"capacity"`
}

// AlertKind is what the front desk must act on.
type AlertKind string

// Alert kinds.
const (
	AlertMediaEmpty AlertKind = "media-empty"
	AlertMediaLow   AlertKind = "media-low"
	AlertMediaJam   AlertKind = "media-jam"
	AlertTonerLow   AlertKind = "toner-low"
	AlertTonerEmpty AlertKind = "toner-empty"
	AlertCoverOpen  AlertKind = "cover-open"
	AlertOffline    AlertKind = "offline"
)

// AlertChange says whether an alert started or ended.
type AlertChange string

// Alert changes.
const (
	Raised  AlertChange = "raised"
	Cleared AlertChange = "cleared"
)

// Alert is an alert raised or cleared.
type Alert struct {
	Device string      `json:"device"`
	At     time.Time   `json:"at"`
	Kind   AlertKind   `json:"kind"`
	Change AlertChange `json:"change"`
	// Reasons are the printer-state-reasons (or SNMP conditions) behind it.
	Reasons []string `json:"reasons,omitempty"`
	Detail  string   `json:"detail,omitempty"`
}

// JobState is the job-state of RFC 8011 §5.3.7, as its keyword.
type JobState string

// Job states.
const (
	JobPending    JobState = "pending"
	JobHeld       JobState = "pending-held"
	JobProcessing JobState = "processing"
	JobStopped    JobState = "processing-stopped"
	JobCanceled   JobState = "canceled"
	JobAborted    JobState = "aborted"
	JobCompleted  JobState = "completed"
)

// Terminal reports whether the job will not change any more.
func (s JobState) Terminal() bool { return s == JobCanceled || s == JobAborted || s == JobCompleted }

// JobID is a job's id on its printer (job-id).
type JobID int

// JobUpdate is a job's progress, delivered when its state or its completed
// impressions change.
type JobUpdate struct {
	Device      string    `json:"device"`
	At          time.Time `json:"at"`
	JobID       JobID     `json:"job_id"`
	State       JobState  `json:"state"`
	Reasons     []string  `json:"reasons,omitempty"`
	Impressions int       `json:"impressions"` // job-impressions-completed
	Total       int       `json:"total,omitempty"`
	// UUID (job-uuid, "" until the printer has told it) and Submitted
	// (when the printer accepted the job) identify the job across
	// restarts: a gateway keeps them to resume it with Follow.
	UUID      string    `json:"uuid,omitempty"`
	Submitted time.Time `json:"submitted"`
}

// JobDone is a job in its terminal state: what billing needs. Impressions
// is job-impressions-completed (never job-impressions, which is what was
// asked for): a cancelled or aborted job is billed for what came out.
type JobDone struct {
	Device      string    `json:"device"`
	At          time.Time `json:"at"`
	JobID       JobID     `json:"job_id"`
	State       JobState  `json:"state"`
	Reasons     []string  `json:"reasons,omitempty"`
	Impressions int       `json:"impressions"`
	// Sheets are media sheets used: job-media-sheets-completed when the
	// printer reports it, else computed from Impressions and Sides.
	Sheets int `json:"sheets"`
	// Media is the PWG media name, Size its tariff size (A4, A3, Letter)
	// from the profile's media table ("" when unknown).
	Media  string `json:"media,omitempty"`
	Size   string `json:"size,omitempty"`
	Color  bool   `json:"color"`
	Sides  string `json:"sides"`
	Copies int    `json:"copies"`
	Name   string `json:"name,omitempty"`
	User   string `json:"user,omitempty"`
	// CounterImpressions is what the job added to the device's lifetime
	// counter (Impressions plus blank backs when the profile says the
	// engine counts them): a copy session subtracts it.
	CounterImpressions int `json:"counter_impressions"`
	// UUID and Submitted identify the job (see JobUpdate).
	UUID      string    `json:"uuid,omitempty"`
	Submitted time.Time `json:"submitted"`
	// Lost says why the printer no longer knows the job (it restarted or
	// purged it, or its job-id now names another job): State is aborted,
	// Reasons job-lost-by-printer, Impressions what was seen before. Such
	// a job needs a look at the printer's own job history.
	Lost string `json:"lost,omitempty"`
}

// CounterSource says where a counter reading came from.
type CounterSource string

// Counter sources.
const (
	FromIPP  CounterSource = "ipp"
	FromSNMP CounterSource = "snmp"
)

// Counters are a device's lifetime impression counters.
type Counters struct {
	At     time.Time     `json:"at"`
	Source CounterSource `json:"source"`
	// Impressions is the lifetime total (printer-impressions-completed or
	// prtMarkerLifeCount).
	Impressions int64 `json:"impressions"`
	// Color and Mono split it when the device reports that (IPP
	// printer-impressions-completed-col); -1 otherwise.
	Color int64 `json:"color"`
	Mono  int64 `json:"mono"`
}

// CounterReading is a Counters read, as a record.
type CounterReading struct {
	Device string `json:"device"`
	Counters
}

// Job is a document to print.
type Job struct {
	// Document is read once; Path is used when Document is nil.
	Document io.Reader
	Path     string
	// Format is the MIME type (application/pdf, application/postscript,
	// image/jpeg); empty: sniffed from the first bytes.
	Format string
	Copies int // 0 means 1
	// Sides: one-sided, two-sided-long-edge, two-sided-short-edge
	// (RFC 8011 §5.2.8); empty means one-sided.
	Sides string
	// ColorMode: monochrome or color (PWG 5100.13 print-color-mode);
	// empty means monochrome, so that a guest is never billed colour by
	// a printer default.
	ColorMode string
	// Media is a PWG media name (iso_a4_210x297mm); empty: the printer's
	// default.
	Media string
	Name  string // job-name
	User  string // requesting-user-name: the operator or the room
}

// ErrFormat means the printer cannot print the document's format.
var ErrFormat = errors.New("document format not supported by the printer")

// ErrJobLost means the printer no longer knows a job: it restarted or
// purged it, or its job-id now names another job (RFC 8011 job-ids
// restart with the printer).
var ErrJobLost = errors.New("job lost by the printer")

// Resume is what a gateway kept of a job it followed before it restarted:
// the job's identity (from its last JobUpdate) and what was asked.
type Resume struct {
	// UUID is the job's job-uuid ("" when the printer never gave one: the
	// job-id cannot then be told from a later job's after a printer
	// restart). Submitted is JobUpdate.Submitted. Together they keep the
	// keys of the job's frames (so its billing idemkey) what they were.
	UUID      string
	Submitted time.Time
	// Job is what was asked (copies, sides, colour, media, name, user:
	// JobDone's defaults when the printer does not report them); Path,
	// when the document is still spooled, gives its page count.
	Job Job
	// State and Impressions are the last seen: a job lost by the printer
	// is billed for Impressions.
	State       JobState
	Impressions int
}

// CopyPages is what a walk-up copy session made: the lifetime counter's
// difference between start and end minus what print jobs that ended in
// between added to it (their CounterImpressions). The error says why the
// readings cannot be compared (another source, the counter went back: a
// replaced board or a reset) or why the jobs do not fit (more than the
// counter moved: a reading taken before the engine counted).
func CopyPages(start, end Counters, jobs []JobDone) (int64, error) {
	if start.Source != end.Source {
		return 0, fmt.Errorf("copy session: counters from %s and %s cannot be compared", start.Source, end.Source)
	}
	if end.At.Before(start.At) {
		return 0, fmt.Errorf("copy session: end reading %v is before the start %v", end.At, start.At)
	}
	diff := end.Impressions - start.Impressions
	if diff < 0 {
		return 0, fmt.Errorf("copy session: counter went back from %d to %d (device reset or replaced)", start.Impressions, end.Impressions)
	}
	var printed int64
	for _, j := range jobs {
		if j.At.After(start.At) && !j.At.After(end.At) {
			printed += int64(j.CounterImpressions)
		}
	}
	if printed > diff {
		return 0, fmt.Errorf("copy session: print jobs made %d impressions but the counter moved %d", printed, diff)
	}
	return diff - printed, nil
}

// Printer is a printer or copier as the print desk uses it.
type Printer interface {
	// Submit sends a job and follows it in the background (JobUpdate
	// records while it runs, JobDone once); it returns the printer's
	// job-id once the printer accepted the job.
	Submit(ctx context.Context, j Job) (JobID, error)
	// Wait waits for a submitted job's end.
	Wait(ctx context.Context, id JobID) (JobDone, error)
	// Cancel asks the printer to cancel a job.
	Cancel(ctx context.Context, id JobID) error
	// Follow resumes following a job a previous run left running; an
	// error wrapping ErrJobLost: the printer no longer knows it.
	Follow(ctx context.Context, id JobID, r Resume) error
	// Counters reads the device's lifetime impression counters.
	Counters(ctx context.Context) (Counters, error)
	// SizeOf is the tariff size (A4, A3, Letter) of a PWG media name, ""
	// when the printer's profile does not know it.
	SizeOf(media string) string
}
