package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"switchboard/internal/folio"
	"switchboard/internal/folio/ledger"
	"switchboard/internal/operators"
)

// Resolving the flagged calls (跑帳/漏帳, 話務員崗位職責 f: reported at once,
// settled by the front office and the night audit): supervisors and admins
// resolve them through the folio desk's call.resolve, the same command the
// back office sends over MQTT; operators see the list and how each was
// resolved.

// resolvers are the roles that resolve flagged calls. They send as the
// back office (busRole), which the bus ACL lets send call.resolve; the
// desk refuses it from an operator principal.
var resolvers = []operators.Role{operators.RoleSupervisor, operators.RoleAdmin}

// flaggedRow is a flagged call on the page with its resolution (nil: still
// to resolve).
type flaggedRow struct {
	callRow
	Resolution *ledger.Resolution
}

// Resolve says whether the session may resolve flagged calls.
func (s *session) Resolve() bool { return slices.Contains(resolvers, s.role) }

// flaggedData adds the day's flagged calls with their resolutions to a
// calls page's data, and the day's counts of calls to resolve and resolved.
func (c *Console) flaggedData(ctx context.Context, data map[string]any, day time.Time, flagged []ledger.Logged) error {
	st := c.o.Host.Store()
	end := day.AddDate(0, 0, 1)
	res, err := ledger.Resolutions(ctx, st, day, end)
	if err != nil {
		return err
	}
	open, resolved, err := ledger.FlaggedCounts(ctx, st, day, end)
	if err != nil {
		return err
	}
	rows := make([]flaggedRow, 0, len(flagged))
	for _, row := range c.callRows(flagged) {
		fr := flaggedRow{callRow: row}
		if r, ok := res[row.IdemKey]; ok {
			r.Resolved = r.Resolved.In(c.o.Location)
			fr.Resolution = &r
		}
		rows = append(rows, fr)
	}
	data["Flagged"], data["ToResolve"], data["Resolved"], data["Actions"] = rows, open, resolved, folio.ResolveActions
	return nil
}

// callResolve resolves one flagged call from its form: a write-off is
// confirmed first (no room will be charged); the command goes through the
// desk, whose refusal is shown on the calls page.
func (c *Console) callResolve(w http.ResponseWriter, r *http.Request, s session) {
	day := r.PostFormValue("day")
	if _, err := time.Parse("2006-01-02", day); err != nil {
		day = c.now().In(c.o.Location).Format("2006-01-02")
	}
	dt := folio.ResolveData{Call: r.PostFormValue("call"), Action: r.PostFormValue("action"), Reason: r.PostFormValue("reason"),
		Room: r.PostFormValue("room"), Amount: r.PostFormValue("amount")}
	if dt.Action == folio.ActionWriteOff {
		// The row's one form carries the room (for post and rerate) and
		// an amount (rerate): a write-off charges no room.
		dt.Room, dt.Amount = "", ""
	}
	if v := r.PostFormValue("stay"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			c.resolveRefused(w, r, s, day, translate(c.lang(w, r), "calls.resolve.badstay"))
			return
		}
		dt.StayID = id
	}
	if dt.Action == folio.ActionWriteOff && r.PostFormValue("confirmed") != "yes" {
		// Repeat what will happen before it does: nobody is charged.
		call, err := ledger.Get(ledger.StoreReader(r.Context(), c.o.Host.Store()), dt.Call)
		if err != nil && !errors.Is(err, ledger.ErrNoCall) {
			c.o.Log.Error("call to resolve", "call", dt.Call, "err", err)
			http.Error(w, "the call cannot be read", http.StatusInternalServerError)
			return
		}
		if err != nil || dt.Reason == "" {
			// The desk says what is wrong, in the same words as over MQTT.
			c.sendResolve(w, r, s, day, dt)
			return
		}
		c.render(w, r, http.StatusOK, "calls_resolve_confirm", &s, map[string]any{"Day": day, "Form": dt,
			"Call": callRow{Logged: ledger.Logged{IdemKey: call.IdemKey, Start: call.Start, DurationS: call.DurationS, Extension: call.Extension,
				Room: call.Room, Dialed: call.Dialed, AmountMinor: call.AmountMinor, Currency: call.Currency, Posted: call.Posted,
				NotPosted: call.NotPosted, Flags: call.Flags}, Masked: c.o.MaskDialed(call.Dialed)}})
		return
	}
	c.sendResolve(w, r, s, day, dt)
}

// sendResolve sends call.resolve as the session's operator and goes back
// to the day's calls: resolved, or with the desk's reason.
func (c *Console) sendResolve(w http.ResponseWriter, r *http.Request, s session, day string, dt folio.ResolveData) {
	rep, err := c.command(r.Context(), &s, "edge", c.o.Gateway, folio.ResolveCommand, dt)
	switch {
	case errors.Is(err, errNotYours):
		c.forbidden(w, r, s, "role")
		return
	case err != nil:
		c.o.Log.Error("call not resolved", "call", dt.Call, "err", err)
		c.resolveRefused(w, r, s, day, translate(c.lang(w, r), "calls.resolve.unsent"))
		return
	case rep.Status == "failed":
		c.resolveRefused(w, r, s, day, rep.Reason)
		return
	}
	c.o.Log.Info("flagged call resolved", "call", dt.Call, "action", dt.Action, "operator", s.code, "status", rep.Status)
	http.Redirect(w, r, "/calls?day="+url.QueryEscape(day)+"#flagged-heading", http.StatusSeeOther)
}

// resolveRefused shows the day's calls page with why the resolution was
// not made (422).
func (c *Console) resolveRefused(w http.ResponseWriter, r *http.Request, s session, day, why string) {
	r.URL.RawQuery = url.Values{"day": {day}}.Encode()
	c.showCalls(w, r, s, why)
}
