package console

// The copy page (商務中心 複印程序): a walk-up copy session is started for
// a room on a copier (copy.start: the desk reads the device's lifetime
// counter), listed while open, and stopped (copy.stop: read again; the
// difference less the print jobs in between is billed); the session's
// page is the bill.

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"switchboard/internal/business"
	"switchboard/internal/events/printer"
	printjobs "switchboard/internal/print/jobs"
)

// copyForm is the start form's fields.
type copyForm struct{ Device, Room, Media, Color string }

// copyPage is the start form and the open and the day's sessions.
func (p *printPages) copyPage(w http.ResponseWriter, r *http.Request, s session) {
	p.copies(w, r, s, http.StatusOK, map[string]any{"Form": copyForm{Media: printer.DefaultMedia, Color: "monochrome"}})
}

func (p *printPages) copies(w http.ResponseWriter, r *http.Request, s session, status int, data map[string]any) {
	c := p.c
	list, err := printjobs.Sessions(r.Context(), c.o.Host.Store(), c.dayStart(c.now()), 100)
	if err != nil {
		c.o.Log.Error("copy sessions", "err", err)
		http.Error(w, "the copy sessions cannot be read", http.StatusInternalServerError)
		return
	}
	data["Sessions"], data["Printers"], data["MediaChoices"], data["Colors"] = list, c.printers(), mediaChoices, printer.Colors
	c.render(w, r, status, "copy", &s, data)
}

// copyStart sends print/{copier}/cmd/copy.start as the operator.
func (p *printPages) copyStart(w http.ResponseWriter, r *http.Request, s session) {
	c := p.c
	f := copyForm{Device: r.PostFormValue("device"), Room: r.PostFormValue("room"), Media: r.PostFormValue("media"), Color: r.PostFormValue("color")}
	problem := ""
	switch {
	case !slices.Contains(c.printers(), f.Device):
		problem = "print.noprinter"
	case f.Room == "" || len(f.Room) > 16 || (f.Room != business.WalkIn && len(c.o.Rooms) > 0 && !slices.Contains(c.o.Rooms, f.Room)):
		problem = "print.room"
	case !slices.Contains(printer.Colors, f.Color):
		problem = "print.badform"
	case !slices.ContainsFunc(mediaChoices, func(m struct{ Media, Label string }) bool { return m.Media == f.Media }):
		problem = "print.badform"
	}
	if problem != "" {
		p.copies(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Form": f, "Problem": problem})
		return
	}
	rep, err := c.command(r.Context(), &s, "print", f.Device, "copy.start",
		printer.CopyStartData{Room: f.Room, Operator: s.code, Media: f.Media, Color: f.Color})
	p.copyOutcome(w, r, s, f, "copy.start", rep.Status, rep.Reason, err)
}

// copyStop stops an open session (copy.stop as the operator) and shows
// its bill; with void, closes it unbilled.
func (p *printPages) copyStop(w http.ResponseWriter, r *http.Request, s session) {
	c := p.c
	id, _ := strconv.ParseInt(r.PostFormValue("session"), 10, 64)
	sv, ok, err := printjobs.SessionByID(r.Context(), c.o.Host.Store(), id)
	if err != nil {
		c.o.Log.Error("copy session", "id", id, "err", err)
		http.Error(w, "the copy session cannot be read", http.StatusInternalServerError)
		return
	}
	if !ok || sv.Status != "open" {
		p.copies(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Form": copyForm{Media: printer.DefaultMedia, Color: "monochrome"},
			"Outcome": "copy.stop", "Status": "failed", "Reason": "copy.notopen"})
		return
	}
	data := printer.CopyStopData{Room: sv.Room}
	if r.PostFormValue("void") != "" {
		// A counter that cannot be trusted (replaced board, reset): closed
		// unbilled, with the reason the desk records.
		data.Void, data.Reason = true, strings.TrimSpace(r.PostFormValue("reason"))
		if data.Reason == "" || len(data.Reason) > 200 {
			p.copies(w, r, s, http.StatusUnprocessableEntity, map[string]any{"Form": copyForm{Media: printer.DefaultMedia, Color: "monochrome"},
				"Outcome": "copy.stop", "Status": "failed", "Reason": "copy.voidreason"})
			return
		}
	}
	rep, err := c.command(r.Context(), &s, "print", sv.Device, "copy.stop", data)
	if err == nil && rep.Status == "completed" {
		http.Redirect(w, r, "/copy/sessions/"+strconv.FormatInt(sv.ID, 10), http.StatusSeeOther)
		return
	}
	p.copyOutcome(w, r, s, copyForm{Media: printer.DefaultMedia, Color: "monochrome"}, "copy.stop", rep.Status, rep.Reason, err)
}

// copyOutcome shows the copy page with a command's outcome.
func (p *printPages) copyOutcome(w http.ResponseWriter, r *http.Request, s session, f copyForm, what, status, reason string, err error) {
	if err == errNotYours {
		p.c.forbidden(w, r, s, "role")
		return
	}
	if err != nil {
		p.c.o.Log.Error("console command", "what", what, "err", err)
		status, reason = "failed", err.Error()
	}
	code := http.StatusOK
	if status == "failed" {
		code = http.StatusUnprocessableEntity
	}
	p.copies(w, r, s, code, map[string]any{"Form": f, "Outcome": what, "Status": status, "Reason": reason})
}

// sessionPage is a copy session and, once billed, its bill.
func (p *printPages) sessionPage(w http.ResponseWriter, r *http.Request, s session) {
	c := p.c
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	sv, ok, err := printjobs.SessionByID(r.Context(), c.o.Host.Store(), id)
	if err != nil {
		c.o.Log.Error("copy session", "id", id, "err", err)
		http.Error(w, "the copy session cannot be read", http.StatusInternalServerError)
		return
	}
	data := map[string]any{"Found": ok, "ID": r.PathValue("id")}
	if !ok {
		c.render(w, r, http.StatusNotFound, "copy_session", &s, data)
		return
	}
	data["S"] = sv
	if c.o.MediaSize != nil {
		data["Size"] = c.o.MediaSize(sv.Device, sv.Media)
	}
	if sv.Charge != "" {
		bill, ok, err := business.Get(r.Context(), c.o.Host.Store(), sv.Charge)
		if err != nil {
			c.o.Log.Error("copy session charge", "charge", sv.Charge, "err", err)
		} else if ok {
			data["Bill"] = bill
		}
	}
	c.render(w, r, http.StatusOK, "copy_session", &s, data)
}
