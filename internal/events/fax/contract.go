package fax

// The fax desk's contract with the back office: the data of its commands
// (fax/{device}/cmd/fax.send, fax.assign, fax.deliver) and of the events it
// publishes (hotel.fax.*). schemas/ validates every one of them; a field
// renamed here is a breaking change for the consumers.

import (
	"time"

	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/rating"
)

// Fax limits by default (config fax.max_document_mib, fax.page_limit).
const (
	// MaxDocument is the largest document fax.send takes (decoded) by default.
	MaxDocument = config.DefaultFaxMaxDocumentMiB << 20
	// MaxPages is the most pages one fax may have by default.
	MaxPages = config.DefaultFaxPageLimit
)

// Values fax.send takes.
var (
	Formats     = []string{"application/pdf", "image/tiff", "image/png", "image/jpeg", "text/plain"}
	Resolutions = []string{"fine", "standard"}
)

// SendData is the data of fax/{device}/cmd/fax.send.
type SendData struct {
	To         string `json:"to"`
	Room       string `json:"room"`
	Operator   string `json:"operator"`
	Document   string `json:"document"`             // base64, at most fax.max_document_mib decoded
	Format     string `json:"format,omitempty"`     // MIME type; default: from the first bytes
	Resolution string `json:"resolution,omitempty"` // fine (default), standard
}

// Quote is the data of hotel.fax.quoted and part of fax.send's result:
// what the guest is told before the fax goes (發送傳真程序: tell the guest
// the price first).
type Quote struct {
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
	events.Charge
	MaxAttempts int `json:"max_attempts"`
	RetryEveryS int `json:"retry_every_s"`
}

// SendReply is the result of fax.send (the model's SendResult is a modem's call).
type SendReply struct {
	JobID  int64      `json:"job_id"`
	State  string     `json:"state"` // sent, failed, retry, queued, sending
	Quote  Quote      `json:"quote"`
	Sent   *Outcome   `json:"outcome,omitempty"`
	NextAt *time.Time `json:"next_attempt,omitempty"`
	Note   string     `json:"note,omitempty"`
}

// Page is one page's result in hotel.fax.sent/failed.
type Page struct {
	Page      int     `json:"page"`
	Confirmed bool    `json:"confirmed"`
	Code      string  `json:"code"` // MCF, RTP, RTN, PIP, PIN, none
	Tries     int     `json:"tries"`
	BitRate   int     `json:"bitrate"`
	DurationS float64 `json:"duration_s"`
	Attempt   int     `json:"attempt,omitempty"` // the attempt that sent it last
}

// Outcome is the data of hotel.fax.sent and hotel.fax.failed (the whole
// job) and of hotel.fax.attempt (one attempt cut after some pages, billed,
// the rest re-queued): what was sent, page by page, and what it cost.
// Every attempt with confirmed pages is billed once for those pages and
// its call (one business charge each, Charges); the final event sums
// them. A failed fax with pages confirmed is billed for those.
type Outcome struct {
	JobID          int64      `json:"job_id"`
	CommandID      string     `json:"command_id"`
	Device         string     `json:"device"`
	Room           string     `json:"room"`
	Operator       string     `json:"operator"`
	Number         string     `json:"number"` // canonical, masked per the config
	Destination    string     `json:"destination"`
	Zone           string     `json:"zone"`
	Pages          int        `json:"pages"`
	PagesConfirmed int        `json:"pages_confirmed"` // over all attempts (hotel.fax.attempt: so far)
	Attempts       int        `json:"attempts"`
	Start          time.Time  `json:"start"` // of the last attempt
	DurationS      float64    `json:"duration_s"`
	BitRate        int        `json:"bitrate"`
	RemoteID       string     `json:"remote_id,omitempty"`
	Result         string     `json:"result"` // OK or the reason
	PerPage        []Page     `json:"per_page"`
	Report         string     `json:"report,omitempty"` // transmission report file (PDF) on the gateway
	Billed         bool       `json:"billed"`
	events.Charge             // hotel.fax.sent/failed: every attempt's charge; hotel.fax.attempt: this one's
	Charges        []Charge   `json:"charges"`
	NextAt         *time.Time `json:"next_attempt,omitempty"` // hotel.fax.attempt
}

// Page results of hotel.fax.page.
const (
	PageConfirmed    = "confirmed"     // MCF, RTP, PIP
	PageRetrain      = "retrain"       // RTN or PIN: the page goes again after a retrain
	PageNotConfirmed = "not-confirmed" // refused for the last time, or ECM's ERR
)

// PageSent is the data of hotel.fax.page: one page's answer from the
// receiver during the call, as it comes (T.30 §5.3.6.1.6, the post-page
// response), in the job's page numbers. It is not billed: the attempt's
// end bills the confirmed pages (hotel.fax.attempt, sent or failed).
type PageSent struct {
	JobID          int64   `json:"job_id"`
	CommandID      string  `json:"command_id"`
	Device         string  `json:"device"`
	Room           string  `json:"room"`
	Attempt        int     `json:"attempt"`
	Page           int     `json:"page"`
	Pages          int     `json:"pages"`           // in the job
	PagesConfirmed int     `json:"pages_confirmed"` // over the job so far, this page included
	Result         string  `json:"result"`          // confirmed, retrain, not-confirmed
	Code           string  `json:"code"`            // MCF, RTP, PIP, RTN, PIN, ERR
	Try            int     `json:"try"`             // the page's send in this attempt
	BitRate        int     `json:"bitrate"`
	DurationS      float64 `json:"duration_s"`
}

// Charge is the business charge of one attempt.
type Charge struct {
	Attempt     int          `json:"attempt"`
	Pages       int          `json:"pages"` // confirmed in that attempt
	Amount      rating.Money `json:"amount"`
	AmountMinor int64        `json:"amount_minor"`
	IdemKey     string       `json:"idemkey"` // business_charges.idemkey
	Unbilled    string       `json:"unbilled,omitempty"`
}

// Registered is the data of hotel.fax.received: a received fax entered in
// the register (the driver's record of the session is Received).
type Registered struct {
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

// AssignData is the data of fax/{device}/cmd/fax.assign.
type AssignData struct {
	ID   int64  `json:"id"`
	Room string `json:"room,omitempty"`
	Name string `json:"name,omitempty"` // the guest's name as on the fax
}

// Assigned is the data of hotel.fax.assigned (never the guest's name).
type Assigned struct {
	ID         int64      `json:"id"`
	Device     string     `json:"device"`
	Status     string     `json:"status"` // assigned, checked-out
	Room       string     `json:"room"`
	Pages      int        `json:"pages"`
	Received   time.Time  `json:"received"`
	CheckedOut *time.Time `json:"checked_out,omitempty"`
	Note       string     `json:"note,omitempty"` // CHECK OUT 2026-11-27
}

// DeliverData is the data of fax/{device}/cmd/fax.deliver.
type DeliverData struct {
	ID          int64  `json:"id"`
	DeliveredBy string `json:"delivered_by"` // operator or bellboy
	SignedBy    string `json:"signed_by"`    // who signed for it
}

// Delivered is the data of hotel.fax.delivered with the charge for the
// received pages (the signer's name stays in the register).
type Delivered struct {
	ID          int64     `json:"id"`
	Device      string    `json:"device"`
	Room        string    `json:"room"`
	Pages       int       `json:"pages"`
	Received    time.Time `json:"received"`
	Delivered   time.Time `json:"delivered"`
	DeliveredBy string    `json:"delivered_by"`
	Signed      bool      `json:"signed"`
	events.Charge
}

// Retained is the data of hotel.fax.archived and hotel.fax.destroyed.
type Retained struct {
	ID       int64     `json:"id"`
	Device   string    `json:"device"`
	Status   string    `json:"status"` // archived, destroyed
	Received time.Time `json:"received"`
	Pages    int       `json:"pages"`
	Room     string    `json:"room,omitempty"`
	At       time.Time `json:"at"`
	Reason   string    `json:"reason"`
}
