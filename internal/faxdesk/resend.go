package faxdesk

// Re-sending a failed fax (the console's job page): a new fax.send with
// the same pages, number, room and resolution. The desk keeps a job's
// pages (the TIFF Class F file fax.send wrote to out/) until the retention
// purge removes the job (internal/retention: sent and failed jobs past
// retention_days, with their document and report files), so a failed
// job's document is still there to send again without asking the guest
// for the original; the re-send is a new job of its own, quoted and billed
// as any fax.send.

import (
	"errors"
	"fmt"
	"os"

	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
)

// ErrNotResendable is wrapped by Resend's refusals (a fax that went
// through, one still being sent, one whose pages are gone).
var ErrNotResendable = errors.New("not re-sendable")

// Resend is what a new fax.send of failed job j carries: its data (the
// number as the clerk gave it, the room, the resolution, the pages' format)
// and its pages (the stored TIFF). operator is who sends it again.
func Resend(j faxjobs.Job, operator string) (fax.SendData, []byte, error) {
	switch j.State {
	case faxjobs.Failed:
	case faxjobs.Sent:
		return fax.SendData{}, nil, fmt.Errorf("fax job %d went through (every page confirmed): %w; send a new fax from the form for another copy", j.ID, ErrNotResendable)
	default:
		return fax.SendData{}, nil, fmt.Errorf("fax job %d is still %s: %w until it has failed", j.ID, j.State, ErrNotResendable)
	}
	if j.Document == "" {
		return fax.SendData{}, nil, fmt.Errorf("fax job %d has no stored pages: %w; upload the document again", j.ID, ErrNotResendable)
	}
	doc, err := os.ReadFile(j.Document)
	if errors.Is(err, os.ErrNotExist) {
		return fax.SendData{}, nil, fmt.Errorf("fax job %d: its pages (%s) were deleted (retention): %w; upload the document again", j.ID, j.Document, ErrNotResendable)
	}
	if err != nil {
		return fax.SendData{}, nil, fmt.Errorf("fax job %d: its pages: %w", j.ID, err)
	}
	res := "standard"
	if j.Fine {
		res = "fine"
	}
	return fax.SendData{To: j.Number, Room: j.Room, Operator: operator, Resolution: res, Format: "image/tiff"}, doc, nil
}
