package faxdesk

// The checks and the quote of fax.send, without queueing anything: the
// console checks a number as the clerk types it and shows the quote on a
// confirm step before the fax is sent (發送傳真程序: check the country and
// area code; tell the guest the price first). They are the desk's own
// code (pricer), so the console and fax.send never disagree.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events/fax"
)

// pricer is what checking a number and pricing a fax need: the options in
// force, the clock and the site's zone.
type pricer struct {
	opt Options
	now func() time.Time
	loc func() *time.Location
}

func (d *Desk) pricer() pricer { return pricer{opt: d.opt, now: d.host.Now, loc: d.host.Location} }

// Preview checks numbers and quotes faxes as fax.send does, without a
// desk, a modem or the store.
type Preview struct{ p pricer }

// NewPreview makes a Preview from the fax desk's options (Tariff and
// Billing are required; the rest default as the desk's do), the site's
// zone and the clock (nil: time.Now).
func NewPreview(o Options, loc *time.Location, now func() time.Time) (*Preview, error) {
	if o.Tariff == nil || o.Billing == nil {
		return nil, errors.New("fax preview: the business tariff and the dialing plan (Billing) are required")
	}
	if loc == nil {
		return nil, errors.New("fax preview: the site's time zone is required")
	}
	if now == nil {
		now = time.Now
	}
	return &Preview{p: pricer{opt: o.withDefaults(), now: now, loc: func() *time.Location { return loc }}}, nil
}

// errNoBilling: the gateway has no billing loaded (yet): nothing can be
// checked or priced.
var errNoBilling = errors.New("fax preview: no billing is loaded (the gateway's tariffs): numbers cannot be checked nor faxes quoted")

// Number is a fax number as the dialing plan reads it.
type Number struct {
	Number      string `json:"number"`      // country code and national number, masked as the events mask it
	Kind        string `json:"kind"`        // local, national, mobile, international
	Zone        string `json:"zone"`        // the business tariff's fax zone
	Destination string `json:"destination"` // the call tariff's destination
}

// CheckNumber checks a number as fax.send will; a refusal is a
// *bus.FieldError (field data.to) whose Problem says why.
func (v *Preview) CheckNumber(to string) (Number, error) {
	if v.p.opt.Billing() == nil {
		return Number{}, errNoBilling
	}
	n, err := v.p.checkNumber(to)
	if err != nil {
		return Number{}, err
	}
	return Number{Number: v.p.opt.Billing().MaskDialed(n.canonical), Kind: n.kind, Zone: n.zone, Destination: n.destination}, nil
}

// MaxDocument is the largest document fax.send takes, in bytes.
func (v *Preview) MaxDocument() int { return v.p.opt.MaxDocument }

// Quote checks a fax as fax.send will (room, operator, resolution, format,
// document, number), converts the document to fax pages and quotes it on
// device: the pages at the zone's fee and the call for the estimated time.
// Nothing is queued or stored; the quote has no job or command id. A
// refusal is a *bus.FieldError.
func (v *Preview) Quote(ctx context.Context, device string, data fax.SendData, doc []byte) (fax.Quote, error) {
	if v.p.opt.Billing() == nil {
		return fax.Quote{}, errNoBilling
	}
	j := sendJob{data: data, doc: doc}
	j.data.Document = ""
	var err error
	if j.fine, err = v.p.checkFields(&j.data); err != nil {
		return fax.Quote{}, err
	}
	if err := v.p.checkDocument(&j); err != nil {
		return fax.Quote{}, err
	}
	pages, err := toPages(ctx, j.doc, j.data.Format, j.fine, v.p.opt.PageLimit, v.p.opt.GSTimeout)
	if err != nil {
		return fax.Quote{}, &bus.FieldError{Field: "data.document", Problem: err.Error()}
	}
	if len(pages) == 0 {
		return fax.Quote{}, &bus.FieldError{Field: "data.document", Problem: fmt.Sprintf("no page in the %s document", j.data.Format)}
	}
	return v.p.quote(device, j, len(pages), estimate(pages, j.fine, v.p.opt.QuoteBitRate), v.p.now()), nil
}
