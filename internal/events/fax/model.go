// Package fax is the fax model a fax modem driver and the fax desk share:
// a job to send and its page-by-page result, a fax received with its
// pages still coded as they came off the line, and the Modem seam the desk
// sends through. Drivers (drivers/faxmodem) produce it; the fax desk
// consumes it; neither imports the other.
package fax

import (
	"context"
	"errors"
	"time"

	"switchboard/internal/fax/codec"
)

// Resolution is the vertical resolution of a page (T.4 §2.2).
type Resolution int

const (
	Standard Resolution = iota // 3.85 lines/mm (98 lpi)
	Fine                       // 7.7 lines/mm (196 lpi)
)

// CodedPage is a page already coded (from a TIFF Class F file). It is
// decoded and re-coded for the line when the negotiated scheme, bit order
// or the receiver's minimum scan-line time need it.
type CodedPage struct {
	Data   []byte
	Params codec.Params // Scheme, Width, Order, Height
}

// SendJob is one fax to send.
type SendJob struct {
	Number     string          // dialled as the profile's dial prefix + Number
	Pages      []*codec.Bitmap // 1728 pels wide (A4)
	Coded      []CodedPage     // used when Pages is empty
	Resolution Resolution      // of the pages
	Ident      string          // our TSI (digits, '+', space; 20 at most)
	MaxRate    int             // bit/s cap (0: the profile's)
	NoECM      bool            // do not use ECM even if both sides can
	NoMR       bool            // send MH even if the receiver takes MR
	PageTries  int             // sends of a page answered RTN (0: 2)
	Timeout    time.Duration   // whole call (0: no limit beyond T.30's timers)
	Key        string          // business identity of the job (journal keys)
	// OnPage, when set, is told each page's post-page response as the
	// receiver gives it, during the call (the result lists them all only
	// once the call ends). It is called from the call's own goroutine, in
	// page order, between a page's response and the next page: it must
	// return at once (hand the progress on, never block on a store), or it
	// holds up T.30's phase C of the next page.
	OnPage func(PageProgress)
}

// PageProgress is one page's post-page response during a call (T.30
// §5.3.2.4 phase D: MPS/EOP answered MCF, RTP, RTN, PIP or PIN; in ECM,
// T.30 Annex A, MCF or ERR after the page's last PPS or EOR).
type PageProgress struct {
	Page      int // 1-based, in the job's Pages (or Coded)
	Pages     int // pages in the job
	Try       int // this page's sends in the call so far, this one included
	Code      PostPageResponse
	Confirmed bool // Code.Confirmed()
	// Again: not confirmed, and the driver sends the page again after
	// retraining (T.30 §5.3.6.1.6 RTN/PIN, within SendJob.PageTries).
	Again    bool
	BitRate  int
	Duration time.Duration // the page's phase C (and ECM's phase D)
}

// PostPageResponse is the receiver's answer to a page (T.30 §5.3.6.1.6).
type PostPageResponse string

const (
	MCF PostPageResponse = "MCF" // message confirmation: page received
	RTP PostPageResponse = "RTP" // retrain positive: received, retrain before the next
	RTN PostPageResponse = "RTN" // retrain negative: not received acceptably
	PIP PostPageResponse = "PIP" // procedure interrupt positive
	PIN PostPageResponse = "PIN" // procedure interrupt negative
	// ERR answers EOR in ECM: the sender stopped correcting a block, the
	// receiver keeps the page with its errors (T.30 Annex A §A.1.3).
	ERR  PostPageResponse = "ERR"
	None PostPageResponse = "none" // no valid response after three tries
)

// Confirmed is true for the responses that confirm the page.
func (r PostPageResponse) Confirmed() bool { return r == MCF || r == RTP || r == PIP }

// PageResult is one page sent.
type PageResult struct {
	Page      int // 1-based
	Confirmed bool
	Code      PostPageResponse
	Tries     int
	BitRate   int
	Scheme    string
	Bytes     int
	Duration  time.Duration
}

// SendResult is the outcome of Send; it is complete even when Send
// returns an error (the pages confirmed so far are billable).
type SendResult struct {
	Key            string
	Number         string
	PerPage        []PageResult
	Pages          int // pages in the job
	PagesConfirmed int
	BitRate        int
	ECM            bool
	Scheme         string
	RemoteID       string // the receiver's CSI
	Start          time.Time
	Duration       time.Duration
	Error          string
	Retryable      bool
	Profile        string
	// Trace is the session's T.30/AT trace (also journaled).
	Trace string
}

// ReceivedPage is one page received, still coded as it came off the line
// (bit order LSB first, as Params says).
type ReceivedPage struct {
	Data              []byte
	Params            codec.Params
	Fine              bool
	Height            int
	BadLines          int
	MaxConsecutiveBad int
	// Partial: the page did not end with RTC/EOFB or the call ended during it.
	Partial  bool
	Response PostPageResponse
	BitRate  int
}

// Received is a fax received; the driver delivers it as the record of its
// session's frame, keyed by the session key.
type Received struct {
	Key      string
	RemoteID string // the sender's TSI
	Pages    []ReceivedPage
	BitRate  int
	ECM      bool
	Start    time.Time
	Duration time.Duration
	// Complete: the sender ended with EOP and DCN.
	Complete bool
	Error    string
	Trace    string
}

// Modem is a fax modem as the fax desk uses it.
type Modem interface {
	// Send dials job.Number and sends the pages. The result is complete
	// even on error: the pages confirmed so far are billable.
	Send(ctx context.Context, job SendJob) (SendResult, error)
	// DialEvidence says how the dial of a job keyed key shows in the
	// device's journal (its frames' key prefix and the dial command), so
	// that after a stop the core can tell a job that dialled from one that
	// never did.
	DialEvidence(key string) (keyPrefix string, rawPrefix []byte)
}

// Errors a Modem returns.
var (
	// ErrBusy: the modem is in a call (or no session is up); retry later.
	ErrBusy = errors.New("faxmodem: modem busy or link down")
	// ErrModemGone: the modem's port closed (switched off, unplugged).
	ErrModemGone = errors.New("faxmodem: modem port closed")
)
