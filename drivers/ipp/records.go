package ipp

import (
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

var jobStates = map[int]JobState{3: JobPending, 4: JobHeld, 5: JobProcessing, 6: JobStopped, 7: JobCanceled, 8: JobAborted, 9: JobCompleted}

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
