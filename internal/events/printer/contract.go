package printer

import (
	"time"

	"switchboard/internal/events"
	"switchboard/internal/rating"
)

// Print and copy command defaults and limits.
const (
	// MaxDocument is the largest document print.submit takes (decoded).
	MaxDocument = 20 << 20
	// DefaultMedia is what a job or a copy session is billed as when the
	// command names no media.
	DefaultMedia = "iso_a4_210x297mm"
)

// Values print.submit and copy.start take.
var (
	Formats = []string{"application/pdf", "application/postscript", "image/jpeg", "image/pwg-raster", "image/urf"}
	Sides   = []string{"one-sided", "two-sided-long-edge", "two-sided-short-edge"}
	Colors  = []string{"monochrome", "color"}
)

// SubmitData is the data of print/{device}/cmd/print.submit.
type SubmitData struct {
	Room     string `json:"room"`
	Operator string `json:"operator"`
	Copies   int    `json:"copies,omitempty"` // default 1
	Sides    string `json:"sides,omitempty"`  // one-sided (default), two-sided-long-edge, two-sided-short-edge
	Color    string `json:"color,omitempty"`  // monochrome (default), color
	Media    string `json:"media,omitempty"`  // PWG media name, default iso_a4_210x297mm
	Name     string `json:"name,omitempty"`   // job-name
	Format   string `json:"format,omitempty"` // MIME type; default: from the document's first bytes
	Document string `json:"document"`         // base64 (RFC 4648 §4), at most MaxDocument decoded
	// KeepUntil keeps the document after the job until then (RFC 3339, or
	// YYYY-MM-DD: to the end of that day in the site's zone); empty: the
	// document is deleted when the job ends.
	KeepUntil string `json:"keep_until,omitempty"`
}

// SubmitResult is the result of print.submit.
type SubmitResult struct {
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

// CancelData is the data of print/{device}/cmd/print.cancel.
type CancelData struct {
	JobID int `json:"job_id"`
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

// CompletedJob is the data of hotel.print.job.completed: a print job in
// its terminal state and what it cost. A cancelled or aborted job is billed
// for the impressions that came out.
type CompletedJob struct {
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
	events.Charge
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
	events.Charge
}
