package faxdesk

// Retention (接收傳真程序): a fax nobody claimed is archived after
// fax.archive_days and its files destroyed after fax.destroy_days; the
// register line stays.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"switchboard/internal/desk"
	"switchboard/internal/events/fax"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/store"
)

// retain archives unclaimed faxes and destroys archived ones past their time.
func (d *Desk) retain(ctx context.Context) {
	host, keep := d.host, d.opt.Retention
	log := host.Log()
	now := host.Now()
	due, err := faxjobs.DueArchive(ctx, host.Store(), keep, now)
	if err != nil && ctx.Err() == nil {
		log.Warn("fax retention", "err", err)
	}
	archive := filepath.Join(d.opt.Dir, "archive")
	for _, f := range due {
		tif, pdf := moveTo(archive, f.TIFF), moveTo(archive, f.PDF)
		d.retained(ctx, f, "archived", fmt.Sprintf("unclaimed %d days after it came in", int(keep.ArchiveAfter.Hours()/24)), func(tx *store.Tx) (bool, error) {
			return faxjobs.MarkArchived(tx, f.ID, tif, pdf, now)
		})
	}
	due, err = faxjobs.DueDestroy(ctx, host.Store(), keep, now)
	if err != nil && ctx.Err() == nil {
		log.Warn("fax retention", "err", err)
	}
	for _, f := range due {
		for _, p := range []string{f.TIFF, f.PDF} {
			if p != "" {
				if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
					log.Warn("archived fax not deleted", "fax", f.ID, "file", p, "err", err)
				}
			}
		}
		d.retained(ctx, f, "destroyed", fmt.Sprintf("kept %d days", int(keep.DestroyAfter.Hours()/24)), func(tx *store.Tx) (bool, error) {
			return faxjobs.MarkDestroyed(tx, f.ID, now)
		})
	}
}

// moveTo moves a file into dir and says where it is now (where it was
// when it cannot be moved: the register keeps a path that exists).
func moveTo(dir, path string) string {
	if path == "" {
		return ""
	}
	dst := filepath.Join(dir, filepath.Base(path))
	if err := os.Rename(path, dst); err != nil {
		return path
	}
	return dst
}

// retained records a fax archived or destroyed (mark) with its event.
func (d *Desk) retained(ctx context.Context, f faxjobs.Fax, status, reason string, mark func(tx *store.Tx) (bool, error)) {
	host := d.host
	now, loc := host.Now(), host.Location()
	typ := "hotel.fax." + status
	data := fax.Retained{ID: f.ID, Device: f.Device, Status: status, Received: f.Received.In(loc), Pages: f.Pages, Room: f.Room, At: now.In(loc), Reason: reason}
	err := host.InTx(ctx, func(tx *store.Tx) error {
		ok, err := mark(tx)
		if err != nil || !ok {
			return err
		}
		_, _, err = host.Enqueue(tx, desk.Event{Domain: "fax", Device: f.Device, Type: typ, Subject: fmt.Sprintf("fax/%d", f.ID),
			IdemKey: fmt.Sprintf("fax/%d/%s", f.ID, status), Time: data.At, Data: data})
		return err
	})
	if err != nil {
		host.Log().Warn("fax "+status+" not recorded", "fax", f.ID, "err", err)
		return
	}
	host.Log().Info("fax "+status, "fax", f.ID, "received", f.Received)
}
