package faxdesk

// Receiving (接收傳真程序): a fax the modem took is stored as TIFF Class F
// and PDF, entered in the register as unassigned and published as
// hotel.fax.received, in the delivery transaction of its journal frame.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"switchboard/internal/desk"
	"switchboard/internal/events/fax"
	"switchboard/internal/fax/codec"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/store"
)

// Takes is true for a fax a modem received.
func (d *Desk) Takes(r desk.Record) bool {
	_, ok := r.Value.(fax.Received)
	return ok
}

// HandleRecord registers a received fax once: a session delivered again
// (the driver's resend, a reprocess) is a duplicate.
func (d *Desk) HandleRecord(tx *store.Tx, r desk.Record) (desk.Outcome, error) {
	rec, ok := r.Value.(fax.Received)
	if !ok {
		return desk.Refused(fmt.Sprintf("the fax desk takes received faxes, not %T", r.Value)), nil
	}
	dup, err := d.onReceived(tx, r, rec)
	switch {
	case err != nil:
		return desk.Outcome{}, fmt.Errorf("received fax of %s: %w", r.Device.ID, err)
	case dup:
		return desk.Duplicate, nil
	}
	return desk.Parsed, nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (d *Desk) onReceived(tx *store.Tx, r desk.Record, rec fax.Received) (dup bool, err error) {
	host, device := d.host, r.Device.ID
	log := host.Log().With("device", device)
	key := rec.Key
	if key == "" {
		key = r.Key
	}
	if key == "" {
		key = fmt.Sprintf("%s/rx/journal-%d", device, r.FrameID)
	}
	if seen, err := faxjobs.Registered(tx, key); err != nil || seen {
		return seen, err
	}
	at := rec.Start
	if at.IsZero() {
		at = host.Now()
	}
	f := faxjobs.Fax{Key: key, Device: device, Received: at, Pages: len(rec.Pages), RemoteID: strings.TrimSpace(rec.RemoteID),
		Complete: rec.Complete, Partial: !rec.Complete, Error: rec.Error, BitRate: rec.BitRate}
	var bms []*codec.Bitmap
	var q []tiffQuality
	fine := false
	for i, p := range rec.Pages {
		params := p.Params
		if params.Height == 0 {
			params.Height = p.Height
		}
		pg, derr := codec.DecodePage(p.Data, params)
		if derr != nil || pg == nil || pg.Bitmap == nil {
			log.Warn("received fax page not decodable: kept as a white page, flagged partial", "key", key, "page", i+1, "err", derr)
			bms = append(bms, codec.NewBitmap(codec.WidthA4, a4RowsStandard))
			q = append(q, tiffQuality{bad: a4RowsStandard, consecutive: a4RowsStandard})
			f.Partial = true
			continue
		}
		bad := max(p.BadLines, pg.BadLines)
		f.BadLines += bad
		if p.Partial {
			f.Partial = true
		}
		fine = fine || p.Fine
		bms = append(bms, pg.Bitmap)
		q = append(q, tiffQuality{bad: bad, consecutive: max(p.MaxConsecutiveBad, pg.MaxConsecutiveBad)})
	}
	if len(bms) > 0 {
		day := filepath.Join(d.opt.Dir, "in", at.In(host.Location()).Format("2006-01-02"))
		if err := os.MkdirAll(day, 0o700); err != nil {
			return false, fmt.Errorf("received fax folder: %w", err)
		}
		base := filepath.Join(day, unsafeName.ReplaceAllString(key, "_"))
		f.TIFF, f.PDF = base+".tif", base+".pdf"
		// A fax page in TIFF carries one resolution; a mixed fax (rare)
		// is stored at the first page's.
		if err := writeTIFF(f.TIFF, bms, fine, q); err != nil {
			return false, fmt.Errorf("received fax not stored: %w", err)
		}
		if err := pdfOfTIFF(f.TIFF, f.PDF); err != nil {
			return false, fmt.Errorf("received fax PDF: %w", err)
		}
	}
	id, dup, err := faxjobs.Register(tx, f)
	if err != nil || dup {
		return dup, err
	}
	if d.opt.Email != nil && f.PDF != "" {
		// E-mailed to the front desk by the mailer, once this commits.
		if err := faxjobs.QueueMail(tx, id, host.Now()); err != nil {
			return false, err
		}
		tx.AfterCommit(func() { d.poke(d.mailCh) })
	}
	data := fax.Registered{ID: id, Device: device, Received: at.In(host.Location()), Pages: f.Pages, RemoteID: f.RemoteID, BadLines: f.BadLines,
		Partial: f.Partial, Complete: f.Complete, BitRate: f.BitRate, DurationS: rec.Duration.Seconds(), Error: f.Error, Status: faxjobs.Unassigned}
	if _, _, err := host.Enqueue(tx, desk.Event{Domain: "fax", Device: device, Type: "hotel.fax.received", Subject: fmt.Sprintf("fax/%d", id),
		IdemKey: key, Time: data.Received, Data: data}); err != nil {
		return false, err
	}
	log.Info("fax received", "fax", id, "pages", f.Pages, "remote", f.RemoteID, "partial", f.Partial)
	return false, nil
}
