package printdesk

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"switchboard/internal/business"
	"switchboard/internal/desk"
	"switchboard/internal/events"
	"switchboard/internal/events/printer"
	printjobs "switchboard/internal/print/jobs"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// Takes is true for the printer model's records.
func (d *Desk) Takes(r desk.Record) bool {
	switch r.Value.(type) {
	case printer.PrinterStatus, printer.Alert, printer.JobUpdate, printer.JobDone, printer.CounterReading:
		return true
	}
	return false
}

// HandleRecord applies a printer's record in its delivery transaction.
func (d *Desk) HandleRecord(tx *store.Tx, r desk.Record) (desk.Outcome, error) {
	var err error
	switch rec := r.Value.(type) {
	case printer.PrinterStatus:
		err = d.onStatus(tx, r.Device, rec)
	case printer.Alert:
		err = d.onAlert(tx, r, rec)
	case printer.JobUpdate:
		err = d.onJobUpdate(tx, r.Device.ID, rec)
	case printer.JobDone:
		return d.onJobDone(tx, r, rec)
	case printer.CounterReading:
		var b []byte
		if b, err = json.Marshal(rec.Counters); err == nil {
			err = tx.SetDeviceCounters(r.Device.ID, r.Device.Domain, b, rec.At)
		}
	}
	return desk.Parsed, err
}

func (d *Desk) onStatus(tx *store.Tx, dev desk.Device, st printer.PrinterStatus) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := tx.SetDeviceStatus(dev.ID, dev.Domain, st.State, b, st.At); err != nil {
		return err
	}
	d.mu.Lock()
	d.last[dev.ID] = st
	d.mu.Unlock()
	// Published by the worker once committed: SetState writes the store
	// itself, and the store has one writer.
	tx.AfterCommit(func() {
		d.mu.Lock()
		d.publish[dev.ID] = st
		d.mu.Unlock()
		d.poke()
	})
	return nil
}

func (d *Desk) onAlert(tx *store.Tx, r desk.Record, a printer.Alert) error {
	d.mu.Lock()
	st := d.last[r.Device.ID]
	d.mu.Unlock()
	al := alertMessage(a, st, func(media string) string { return d.sizeOf(r.Device.ID, media) })
	al.Device = r.Device.ID
	typ := "hotel.print.device.alert"
	if _, _, err := d.host.Enqueue(tx, desk.Event{Domain: r.Device.Domain, Device: r.Device.ID, Type: typ, Subject: "device/" + r.Device.ID,
		IdemKey: fmt.Sprintf("%s/%s/%s/%d", r.Device.ID, al.Alert, al.State, r.FrameID), Time: a.At, Data: al}); err != nil {
		return err
	}
	if a.Change == printer.Raised {
		return tx.RaiseDeviceAlert(store.DeviceAlert{Device: r.Device.ID, Domain: r.Device.Domain, Alert: string(a.Kind), Severity: al.Severity,
			Message: al.Message, Detail: al.Detail, Raised: a.At})
	}
	return tx.ClearDeviceAlert(r.Device.ID, string(a.Kind), a.At)
}

// alertMessage says what the front desk must do about an alert, naming the
// tray and the paper where the printer tells them. size names a media's
// paper size.
func alertMessage(a printer.Alert, st printer.PrinterStatus, size func(media string) string) events.Alert {
	al := events.Alert{Alert: string(a.Kind), State: string(a.Change), Detail: strings.Join(a.Reasons, ",")}
	if a.Detail != "" {
		if al.Detail != "" {
			al.Detail += ": "
		}
		al.Detail += a.Detail
	}
	paper := func(media string) string {
		if s := size(media); s != "" {
			return s
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
					p = paper(t.Media) + " paper"
				case len(st.MediaReady) == 1:
					// printer-input-tray names no media (PWG 5100.13
					// §6.5.2); one media ready is the one it expects.
					p = paper(st.MediaReady[0]) + " paper"
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
			al.Message = "load " + paper(st.MediaReady[0]) + " paper"
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

// onJobUpdate records a running job's progress and keeps its identity
// (job-uuid, submission) for Follow after a restart.
func (d *Desk) onJobUpdate(tx *store.Tx, device string, u printer.JobUpdate) error {
	row, err := printjobs.RowOf(tx, device, u.JobID, u.UUID)
	if errors.Is(err, printjobs.ErrNotFound) {
		return nil // not a print.submit job: billed without a room at its end
	}
	if err != nil {
		return err
	}
	return printjobs.Progress(tx, device, row, u)
}

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

func colorMode(color bool) string {
	if color {
		return "color"
	}
	return "monochrome"
}

// onJobDone bills a job that ended, once.
func (d *Desk) onJobDone(tx *store.Tx, r desk.Record, done printer.JobDone) (desk.Outcome, error) {
	dev := r.Device.ID
	ident := jobIdentity(r.Key)
	if ident == "" {
		ident = fmt.Sprintf("%s/job/%d/journal/%d", dev, done.JobID, r.FrameID)
	}
	idem := dev + "/print/" + ident
	if billed, err := business.Billed(tx, idem); err != nil || billed {
		return desk.Duplicate, err
	}
	// The job's context: its row by job-id, else the one being submitted
	// (the printer can report a job's end before Print-Job has returned
	// its id to the submitter; submissions to a device are serialized).
	var j printjobs.Job
	row, err := printjobs.RowOf(tx, dev, done.JobID, done.UUID)
	if err == nil {
		j, err = printjobs.Get(tx, row)
	}
	if errors.Is(err, printjobs.ErrNotFound) {
		// Not ours (nothing else submits through this driver) or its row
		// is gone: bill it anyway, visibly without a room.
		if j, err = printjobs.Unknown(tx, dev, done, colorMode(done.Color)); err != nil {
			return desk.Outcome{}, err
		}
		d.host.Log().Warn("print job ended that no print.submit recorded: billed without a room", "device", dev, "job", done.JobID)
	}
	if err != nil {
		return desk.Outcome{}, err
	}
	media := done.Media
	if media == "" {
		media = j.Media
	}
	size := done.Size
	if size == "" {
		size = d.sizeOf(dev, media)
	}
	sides := done.Sides
	if sides == "" {
		sides = j.Sides
	}
	price := business.PriceOf(d.opt.Tariff, rating.BusinessItem{Service: rating.ServicePrint, Size: size, Color: done.Color,
		Duplex: sides != "" && sides != "one-sided", Impressions: int64(done.Impressions)})
	if j.Room == business.House {
		price = business.HousePrice(rating.ServicePrint, d.opt.Tariff.Currency())
	}
	loc := d.host.Location()
	data := printer.CompletedJob{
		Device: dev, JobID: int(done.JobID), CommandID: j.CommandID, Room: j.Room, Operator: j.Operator, Name: j.Name,
		State: string(done.State), Reasons: done.Reasons, Impressions: done.Impressions, Sheets: done.Sheets, Copies: done.Copies,
		Color: colorMode(done.Color), Sides: sides, Media: media, Size: size,
		Submitted: j.Submitted.In(loc), Ended: done.At.In(loc),
		Charge: price.Charge(d.opt.Tariff.Name()),
	}
	if data.Copies == 0 {
		data.Copies = j.Copies
	}
	if j.KeepUntil != nil {
		k := j.KeepUntil.In(loc)
		data.KeepUntil = &k
	}
	// The event and the charge are the print.submit command's (its sender
	// and shift), however long after it the printer reports the end.
	var seq int64
	var dup bool
	err = business.AsSender(tx, j.CommandID, j.Shift, func() error {
		var err error
		seq, dup, err = d.host.Enqueue(tx, desk.Event{Domain: "print", Device: dev, Type: "hotel.print.job.completed",
			Subject: desk.Subject(j.Room, dev), IdemKey: idem, Time: data.Ended, Data: data})
		if err != nil || dup {
			return err
		}
		return business.Record(tx, business.Entry{IdemKey: idem, Service: rating.ServicePrint, Device: dev, Ref: fmt.Sprintf("print/%d", j.Row),
			Room: j.Room, Operator: j.Operator, At: done.At, Units: int64(done.Impressions), Size: size, Color: done.Color,
			Duplex: data.Sides != "one-sided", State: string(done.State), Price: price, Tariff: d.opt.Tariff.Name(), Seq: seq,
			Shift: j.Shift}) // the shift that sent the job, not the one open when it ended
	})
	if err != nil {
		return desk.Outcome{}, err
	}
	if dup {
		return desk.Duplicate, nil
	}
	state, reasons := string(done.State), strings.Join(done.Reasons, ",")
	if done.Lost != "" {
		// Billed for what was seen, but the printer may have printed more
		// (or all) of it unseen: `report devices` lists orphaned jobs.
		state = "orphaned"
		reasons = fmt.Sprintf("%s; billed for the %d impressions seen before; check the printer's job history", done.Lost, done.Impressions)
		d.host.Log().Warn("print job lost by the printer: billed for the impressions seen", "device", dev, "job", done.JobID, "room", j.Room, "impressions", done.Impressions, "reason", done.Lost)
	}
	if err := printjobs.Ended(tx, dev, j.Row, printjobs.End{JobID: done.JobID, State: state, Reasons: reasons, Impressions: done.Impressions,
		Sheets: done.Sheets, CounterImpressions: done.CounterImpressions, At: done.At, Charge: idem}); err != nil {
		return desk.Outcome{}, err
	}
	tx.AfterCommit(d.poke) // the spooled document may go now
	d.host.Log().Info("print job billed", "device", dev, "job", done.JobID, "room", j.Room, "state", done.State, "impressions", done.Impressions, "amount", price.Price.String(), "seq", seq)
	return desk.Parsed, nil
}
