package console

// Searching the register of received faxes (接收傳真程序: the front desk
// asks for "the fax for Mr Chen", "what came for 1203 last week", "what
// did that sender send"): by room, the guest's name as on the fax, the
// sending station's id, a day range and where the fax stands (waiting,
// delivered, unclaimed, archived), newest first, 50 a page with an "older"
// link. A GET form: a search is a link the clerk can keep.

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	faxjobs "switchboard/internal/fax/jobs"
)

// inboxSearchFields are the search form's fields; any of them given makes
// the register page a search.
var inboxSearchFields = []string{"room", "name", "remote", "from", "to", "stand", "before"}

// inboxSearchPage is how many lines a search page lists.
const inboxSearchPage = 50

// maxRemoteID bounds the station id searched: T.30's TSI is 20 characters.
const maxRemoteID = 20

// isInboxSearch: the request asks for a search rather than a day.
func isInboxSearch(q url.Values) bool {
	return slices.ContainsFunc(inboxSearchFields, func(k string) bool { return strings.TrimSpace(q.Get(k)) != "" })
}

// inboxSearchForm is the form as the clerk filled it in (shown again).
type inboxSearchForm struct {
	Room, Name, Remote, From, To, Stand string
}

// parseInboxSearch reads the form into a register query; the problem
// says what was wrong and how to write it.
func parseInboxSearch(q url.Values, loc *time.Location) (inboxSearchForm, faxjobs.Query, string) {
	f := inboxSearchForm{Room: strings.TrimSpace(q.Get("room")), Name: strings.TrimSpace(q.Get("name")), Remote: strings.TrimSpace(q.Get("remote")),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")), Stand: q.Get("stand")}
	fq := faxjobs.Query{Room: f.Room, Name: f.Name, RemoteID: f.Remote, Limit: inboxSearchPage}
	switch {
	case !plainText(f.Room, 16):
		return f, fq, "room: at most 16 printable characters"
	case !plainText(f.Name, maxGuestName):
		return f, fq, fmt.Sprintf("name: at most %d printable characters", maxGuestName)
	case !plainText(f.Remote, maxRemoteID):
		return f, fq, fmt.Sprintf("sender: at most %d printable characters (a fax station id is 20)", maxRemoteID)
	case f.Stand != "" && !slices.Contains(faxjobs.Stands, f.Stand):
		return f, fq, fmt.Sprintf("state %q: want one of %s", f.Stand, strings.Join(faxjobs.Stands, ", "))
	}
	fq.Stand = f.Stand
	for _, d := range []struct {
		name, v string
		to      *time.Time
		next    int
	}{{"from", f.From, &fq.From, 0}, {"to", f.To, &fq.To, 1}} {
		if d.v == "" {
			continue
		}
		t, err := time.ParseInLocation(time.DateOnly, d.v, loc)
		if err != nil {
			return f, fq, fmt.Sprintf("%s date %q: want YYYY-MM-DD", d.name, d.v)
		}
		*d.to = t.AddDate(0, 0, d.next) // "to" is the last day searched, included
	}
	if !fq.From.IsZero() && !fq.To.IsZero() && !fq.From.Before(fq.To) {
		return f, fq, fmt.Sprintf("dates: from %s is after to %s", f.From, f.To)
	}
	if b := q.Get("before"); b != "" {
		c, err := faxjobs.ParseCursor(b)
		if err != nil {
			return f, fq, "the page link is damaged: search again from the form"
		}
		fq.Before = &c
	}
	return f, fq, ""
}

// inboxSearch answers a register search: the form, the lines found and
// the link to the older ones.
func (c *Console) inboxSearch(w http.ResponseWriter, r *http.Request, s session) {
	q := r.URL.Query()
	form, fq, problem := parseInboxSearch(q, c.o.Location)
	day := startOfDay(c.now(), c.o.Location)
	data := map[string]any{"Search": form, "Stands": faxjobs.Stands, "Day": day.Format(time.DateOnly),
		"Prev": day.AddDate(0, 0, -1).Format(time.DateOnly), "Next": day.AddDate(0, 0, 1).Format(time.DateOnly)}
	if problem != "" {
		data["Problem"] = "search: " + problem
		c.render(w, r, http.StatusBadRequest, "fax_inbox", &s, data)
		return
	}
	list, more, err := faxjobs.Search(r.Context(), c.o.Host.Store(), fq)
	if err != nil {
		c.o.Log.Error("fax register search", "err", err)
		http.Error(w, "the fax register cannot be read", http.StatusInternalServerError)
		return
	}
	ret := c.faxOptions().Retention
	rows := make([]inboxRow, 0, len(list))
	for _, f := range list {
		rows = append(rows, inboxRow{Fax: f, Retention: retentionOf(f, ret)})
	}
	data["Rows"] = rows
	// The links keep the search (every field but the page's place).
	base := url.Values{}
	for _, k := range inboxSearchFields {
		if v := strings.TrimSpace(q.Get(k)); v != "" && k != "before" {
			base.Set(k, v)
		}
	}
	if fq.Before != nil {
		data["First"] = "/fax/inbox?" + base.Encode()
	}
	if more {
		last := list[len(list)-1]
		base.Set("before", faxjobs.Cursor{Received: last.Received, ID: last.ID}.String())
		data["Older"] = "/fax/inbox?" + base.Encode()
	}
	c.render(w, r, http.StatusOK, "fax_inbox", &s, data)
}
