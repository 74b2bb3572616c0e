package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/store"
)

// Steps a frame goes through, in order.
const (
	StepJournal = "journal" // received and journaled
	StepParse   = "parse"   // read as a record by the device's profile
	StepRate    = "rate"    // a call rated into the calls ledger
	StepPost    = "post"    // charged to a guest folio (hotel.pbx.call.charged)
	StepPublish = "publish" // the charge PUBACKed by the broker
	StepAck     = "ack"     // the charge acknowledged by the back office
)

// Steps is the funnel in order.
var Steps = []string{StepJournal, StepParse, StepRate, StepPost, StepPublish, StepAck}

// StepCount is one line of the funnel: how many reached a step, went
// through it, and stopped there with or without an explanation.
type StepCount struct {
	Step        string `json:"step"`
	In          int    `json:"in"`
	Passed      int    `json:"passed"`
	Explained   int    `json:"explained"`
	Unexplained int    `json:"unexplained"`
}

// Stop is a frame that did not go through every step.
type Stop struct {
	JournalID int64     `json:"journal_id"`
	Device    string    `json:"device"`
	Received  time.Time `json:"received"`
	Step      string    `json:"step"` // where it stopped
	Explained bool      `json:"explained"`
	Reason    string    `json:"reason"`
	Call      *Call     `json:"call,omitempty"`
}

// Reconciliation follows every frame of a day from the journal to the back
// office. The bar is zero unexplained stops.
type Reconciliation struct {
	Period      Period      `json:"period"`
	AckedSeq    int64       `json:"acked_seq"`
	Steps       []StepCount `json:"steps"`
	Stops       []Stop      `json:"stops"`
	Unexplained int         `json:"unexplained"`
}

// Explanations of a stop that is not a fault.
const (
	WhySkipped       = "no record in it (header, separator, blank line or link control record)"
	WhyNotACall      = "not a call: recorded as "
	WhyNoEvent       = "applied, no event by design: "
	WhyWaitBroker    = "waiting for the broker: not yet published"
	WhyWaitBackOffce = "waiting for the back office: published, not yet acknowledged"
)

// Reconcile follows each frame of l through the steps.
func Reconcile(l *Ledger) Reconciliation {
	r := Reconciliation{Period: l.Period, AckedSeq: l.AckedSeq, Stops: []Stop{}}
	counts := map[string]*StepCount{}
	for _, s := range Steps {
		c := &StepCount{Step: s}
		counts[s] = c
		r.Steps = append(r.Steps, StepCount{})
	}
	calls := make(map[int64]*Call, len(l.Calls))
	for i := range l.Calls {
		calls[l.Calls[i].JournalID] = &l.Calls[i]
	}
	for _, f := range l.Frames {
		step, explained, reason := follow(f, calls[f.ID], l, counts)
		if step == "" {
			continue
		}
		c := counts[step]
		if explained {
			c.Explained++
		} else {
			c.Unexplained++
			r.Unexplained++
		}
		r.Stops = append(r.Stops, Stop{JournalID: f.ID, Device: f.Device, Received: f.Received, Step: step, Explained: explained,
			Reason: reason, Call: calls[f.ID]})
	}
	for i, s := range Steps {
		r.Steps[i] = *counts[s]
	}
	return r
}

// follow walks one frame down the funnel, counting it in and through each
// step, and returns where it stopped ("" = acknowledged by the back office).
func follow(f Frame, c *Call, l *Ledger, counts map[string]*StepCount) (step string, explained bool, reason string) {
	counts[StepJournal].In++
	counts[StepJournal].Passed++
	counts[StepParse].In++
	switch f.Status {
	case store.FrameNew:
		return StepParse, false, "still new: journaled but never interpreted (run `switchboard reprocess` or check the daemon's log)"
	case store.FrameSkipped:
		return StepParse, true, WhySkipped
	case store.FrameUnparsed:
		return StepParse, true, "unparsed: " + orNone(f.Reason) + " (kept in the journal; `switchboard reprocess` after a profile fix)"
	case store.FrameDuplicate:
		switch {
		case f.DuplicateOf > 0:
			return StepParse, true, fmt.Sprintf("duplicate: the PBX sent this call again; already recorded from journal %d", f.DuplicateOf)
		case f.RepeatOf > 0:
			return StepParse, true, fmt.Sprintf("duplicate: the PBX sent this record again; first received as journal %d", f.RepeatOf)
		case len(f.Events) > 0:
			return StepParse, true, "duplicate: the PBX sent this record again; already recorded as " + strings.Join(f.Events, ", ")
		}
		return StepParse, false, "marked duplicate, but no earlier record with its identity is in the ledger"
	case store.FrameParsed:
	default:
		return StepParse, false, fmt.Sprintf("unknown journal status %q", f.Status)
	}
	counts[StepParse].Passed++
	counts[StepRate].In++
	if c == nil {
		switch {
		case slices.Contains(f.Events, "hotel.pbx.call.recorded"):
			return StepRate, false, "call recorded (hotel.pbx.call.recorded) but no row in the calls ledger: never rated"
		case len(f.Events) > 0:
			return StepRate, true, WhyNotACall + strings.Join(f.Events, ", ")
		}
		if f.Reason != "" {
			// The desk applied the record and said why it emitted nothing
			// (a DND set on the room phone is room state; a wake-up answer
			// for a call already escalated changes nothing).
			return StepRate, true, WhyNoEvent + f.Reason
		}
		return StepRate, false, "parsed, but neither a call row nor an event carries its identity " + f.IdemKey
	}
	counts[StepRate].Passed++
	counts[StepPost].In++
	switch {
	case !c.Posted && c.NotPosted == "":
		return StepPost, false, "not posted, and no reason recorded"
	case !c.Posted && c.Resolution != nil:
		r := *c.Resolution
		r.At = r.At.In(l.Period.From.Location())
		return StepPost, true, "not posted: " + c.NotPosted + "; flagged, settled: " + r.String()
	case !c.Posted && len(c.Flags) > 0:
		// Explained, but a person still has to settle it (跑帳/漏帳).
		return StepPost, true, "not posted: " + c.NotPosted + "; flagged (" + strings.Join(c.Flags, ", ") + "): still to resolve (call.resolve)"
	case !c.Posted:
		return StepPost, true, "not posted: " + c.NotPosted
	case c.ChargedSeq == 0:
		return StepPost, false, "marked posted but no charge event (charged_seq empty)"
	}
	counts[StepPost].Passed++
	counts[StepPublish].In++
	d, inOutbox := l.Outbox[c.ChargedSeq]
	acked := c.ChargedSeq <= l.AckedSeq
	switch {
	case !inOutbox && !acked:
		return StepPublish, false, "charge event seq " + strconv.FormatInt(c.ChargedSeq, 10) + " missing from the outbox and never acknowledged"
	case inOutbox && !d.Published && !acked:
		return StepPublish, true, WhyWaitBroker + " (seq " + strconv.FormatInt(c.ChargedSeq, 10) + ")"
	}
	counts[StepPublish].Passed++
	counts[StepAck].In++
	if !acked {
		return StepAck, true, fmt.Sprintf("%s (seq %d > acked %d)", WhyWaitBackOffce, c.ChargedSeq, l.AckedSeq)
	}
	counts[StepAck].Passed++
	return "", true, ""
}

func orNone(s string) string {
	if s == "" {
		return "(no reason recorded)"
	}
	return s
}

// Tables renders the reconciliation.
func (r Reconciliation) Tables() []Table {
	steps := Table{Title: "Steps (frames)", Columns: []Column{{Name: "STEP"}, {Name: "IN", Right: true}, {Name: "PASSED", Right: true},
		{Name: "STOPPED, EXPLAINED", Right: true}, {Name: "UNEXPLAINED", Right: true}}}
	for _, s := range r.Steps {
		steps.Rows = append(steps.Rows, []string{s.Step, itoa(s.In), itoa(s.Passed), itoa(s.Explained), itoa(s.Unexplained)})
	}
	stops := Table{Title: "Stopped before the back office acknowledged", Empty: "none: every frame went through to the back office",
		Columns: []Column{{Name: "JOURNAL", Right: true}, {Name: "DEVICE"}, {Name: "STEP"}, {Name: "STATE"}, {Name: "ROOM"},
			{Name: "EXT"}, {Name: "START"}, {Name: "CLASS"}, {Name: "AMOUNT", Right: true}, {Name: "REASON"}}}
	for _, s := range r.Stops {
		state := "explained"
		if !s.Explained {
			state = "UNEXPLAINED"
		}
		row := []string{itoa64(s.JournalID), s.Device, s.Step, state, "", "", "", "", "", s.Reason}
		if c := s.Call; c != nil {
			row[4], row[5], row[6], row[7], row[8] = c.Room, c.Extension, c.Start.In(r.Period.From.Location()).Format("01-02 15:04:05"), c.Class, amount(c)
		}
		stops.Rows = append(stops.Rows, row)
	}
	return []Table{steps, stops}
}

// Heading is the report's first line.
func (r Reconciliation) Heading() string {
	verdict := "zero unexplained gaps"
	if r.Unexplained > 0 {
		verdict = fmt.Sprintf("%d UNEXPLAINED GAP(S)", r.Unexplained)
	}
	return fmt.Sprintf("Reconciliation %s (%s): %s; back office acknowledged up to seq %d",
		r.Period.Label, r.Period.From.Location(), verdict, r.AckedSeq)
}

func amount(c *Call) string {
	if c.Class == "" {
		return ""
	}
	return c.Price.String()
}

func itoa(n int) string     { return strconv.Itoa(n) }
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
