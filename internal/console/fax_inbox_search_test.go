package console

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/store"
)

// inboxIDs are the fax ids a register page lists, in its order.
func inboxIDs(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<td><a href="/fax/inbox/(\d+)">`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestFaxRegisterSearch: the register is searched by room, part of the
// guest's name (any case, % taken literally), part of the sender's id, a
// day range (both days included) and where the fax stands, newest first;
// a bad field is a 400 saying what was wrong.
func TestFaxRegisterSearch(t *testing.T) {
	f, _, _ := newFaxFixture(t)
	now := f.clock.now()
	day := startOfDay(now, site)
	type line struct {
		key, room, name, remote, status string
		ago                             time.Duration
	}
	ids := map[string]int64{}
	for _, l := range []line{
		{key: "chen-today", room: "1203", name: "Chen Jian", remote: "+86 21 5555", status: faxjobs.Assigned, ago: time.Hour},
		{key: "chen-old", room: "1105", name: "CHEN Li", remote: "ACME HK", status: faxjobs.Delivered, ago: 10 * 24 * time.Hour},
		{key: "percent", room: "1203", name: "100% Travel", remote: "+86 21 5555", status: faxjobs.Delivered, ago: 2 * 24 * time.Hour},
		{key: "nobody", remote: "ACME HK", status: faxjobs.Unassigned, ago: 3 * 24 * time.Hour},
		{key: "left", room: "1210", name: "Wang", remote: "+852 2222", status: faxjobs.CheckedOut, ago: 4 * 24 * time.Hour},
		{key: "archived", remote: "+852 2222", status: faxjobs.Archived, ago: 40 * 24 * time.Hour},
	} {
		id := registerFax(t, f.st, faxjobs.Fax{Key: l.key, Device: "fax1", Received: now.Add(-l.ago), Pages: 1, RemoteID: l.remote})
		ids[l.key] = id
		err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
			a := faxjobs.Assignment{Room: l.room, Name: l.name}
			if l.status == faxjobs.CheckedOut {
				out := now.Add(-l.ago)
				a.CheckedOut = &out
			}
			if l.room != "" || l.name != "" {
				if _, err := faxjobs.Assign(tx, id, a, now); err != nil {
					return err
				}
			}
			switch l.status {
			case faxjobs.Delivered:
				_, err := faxjobs.Deliver(tx, id, "0002", "guest", "", now)
				return err
			case faxjobs.Archived:
				_, err := faxjobs.MarkArchived(tx, id, "", "", now)
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	date := func(back int) string { return day.AddDate(0, 0, -back).Format(time.DateOnly) }
	b, _ := signedIn(t, f, "0002")
	for _, tc := range []struct {
		name  string
		query url.Values
		want  []string // keys, newest first
		bad   string
	}{
		{name: "room", query: url.Values{"room": {"1203"}}, want: []string{"chen-today", "percent"}},
		{name: "name any case", query: url.Values{"name": {"chen"}}, want: []string{"chen-today", "chen-old"}},
		{name: "percent literal", query: url.Values{"name": {"0%"}}, want: []string{"percent"}},
		{name: "underscore literal", query: url.Values{"name": {"_"}}, want: nil},
		{name: "sender", query: url.Values{"remote": {"acme"}}, want: []string{"nobody", "chen-old"}},
		{name: "day range", query: url.Values{"from": {date(4)}, "to": {date(2)}}, want: []string{"percent", "nobody", "left"}},
		{name: "one day", query: url.Values{"from": {date(0)}, "to": {date(0)}}, want: []string{"chen-today"}},
		{name: "waiting", query: url.Values{"stand": {"waiting"}}, want: []string{"chen-today"}},
		{name: "delivered", query: url.Values{"stand": {"delivered"}}, want: []string{"percent", "chen-old"}},
		{name: "unclaimed", query: url.Values{"stand": {"unclaimed"}}, want: []string{"nobody", "left"}},
		{name: "archived", query: url.Values{"stand": {"archived"}}, want: []string{"archived"}},
		{name: "room and state", query: url.Values{"room": {"1203"}, "stand": {"delivered"}}, want: []string{"percent"}},
		{name: "sender and range", query: url.Values{"remote": {"+852"}, "from": {date(60)}, "to": {date(5)}}, want: []string{"archived"}},
		{name: "bad date", query: url.Values{"from": {"4 Dec"}}, bad: "from date"},
		{name: "dates reversed", query: url.Values{"from": {date(1)}, "to": {date(3)}}, bad: "is after"},
		{name: "bad state", query: url.Values{"stand": {"lost"}}, bad: "want one of waiting"},
		{name: "long sender", query: url.Values{"remote": {strings.Repeat("9", 21)}}, bad: "sender"},
		{name: "damaged page link", query: url.Values{"room": {"1203"}, "before": {"x"}}, bad: "damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := b.do("GET", "/fax/inbox?"+tc.query.Encode(), nil)
			if tc.bad != "" {
				if res.code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(res.body), tc.bad) {
					t.Errorf("%d, want 400 saying %q:\n%s", res.code, tc.bad, res.body)
				}
				return
			}
			if res.code != http.StatusOK {
				t.Fatalf("%d", res.code)
			}
			var want []string
			for _, k := range tc.want {
				want = append(want, fmt.Sprint(ids[k]))
			}
			if got := inboxIDs(res.body); !slices.Equal(got, want) {
				t.Errorf("found %v, want %v (%v)", got, want, tc.want)
			}
			for k, v := range tc.query { // the form shows the search again
				if !strings.Contains(html.UnescapeString(res.body), fmt.Sprintf(`value="%s"`, v[0])) {
					t.Errorf("the form does not keep %s=%q", k, v[0])
				}
			}
		})
	}
}

// TestFaxRegisterSearchPages: a search lists 50 faxes a page, newest
// first; "older" goes on from the last one, keeping the search, until the
// last page, with no fax twice or left out.
func TestFaxRegisterSearchPages(t *testing.T) {
	f, _, _ := newFaxFixture(t)
	now := f.clock.now()
	type placed struct {
		at time.Time
		id int64
	}
	var want []placed
	for i := 0; i < 120; i++ {
		room := "1203"
		if i%4 == 3 {
			room = "1204"
		}
		// Two faxes in the same nanosecond: the order falls back on the id.
		at := now.Add(-time.Duration(i/2) * time.Minute)
		id := registerFax(t, f.st, faxjobs.Fax{Key: fmt.Sprint("k", i), Device: "fax1", Received: at, Pages: 1})
		if err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
			_, err := faxjobs.Assign(tx, id, faxjobs.Assignment{Room: room}, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if room == "1203" {
			want = append(want, placed{at, id})
		}
	}
	// Newest first: by time, then the higher id.
	slices.SortFunc(want, func(a, b placed) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return int(b.id - a.id)
	})
	var order []string
	for _, p := range want {
		order = append(order, fmt.Sprint(p.id))
	}
	b, _ := signedIn(t, f, "0002")
	var got []string
	var sizes []int
	next := "/fax/inbox?room=1203"
	for pages := 0; next != "" && pages < 10; pages++ {
		res := b.do("GET", next, nil)
		if res.code != http.StatusOK {
			t.Fatalf("%s: %d", next, res.code)
		}
		page := inboxIDs(res.body)
		got, sizes = append(got, page...), append(sizes, len(page))
		next = ""
		if m := regexp.MustCompile(`<a href="([^"]+)" id="search-older">`).FindStringSubmatch(res.body); m != nil {
			next = html.UnescapeString(m[1])
			if !strings.Contains(next, "room=1203") {
				t.Errorf("the older link %q loses the search", next)
			}
		}
		if pages > 0 && !strings.Contains(res.body, `id="search-first"`) {
			t.Errorf("page %d has no link back to the newest", pages+1)
		}
	}
	if !slices.Equal(sizes, []int{50, 40}) {
		t.Errorf("pages of %v, want 50 and 40", sizes)
	}
	if !slices.Equal(got, order) {
		t.Errorf("listed %v,\nwant %v", got, order)
	}
}

// TestFaxRegisterSearchRoles: a switchboard operator cannot search the
// register.
func TestFaxRegisterSearchRoles(t *testing.T) {
	f, _, _ := newFaxFixture(t)
	b, _ := signedIn(t, f, "0001")
	if res := b.do("GET", "/fax/inbox?name=chen", nil); res.code != http.StatusForbidden {
		t.Errorf("an operator's search: %d, want 403", res.code)
	}
}

// TestFaxRegisterSearchPlan: a search by room is served by the room index
// (store migration 13), not by reading the register in time order.
func TestFaxRegisterSearchPlan(t *testing.T) {
	f, _, _ := newFaxFixture(t)
	for _, tc := range []struct {
		q    faxjobs.Query
		want string
	}{
		{faxjobs.Query{Room: "1203"}, "USING INDEX fax_register_room (room=?)"},
		{faxjobs.Query{Room: "1203", From: f.clock.now().AddDate(0, 0, -7)}, "USING INDEX fax_register_room (room=? AND received>?)"},
		{faxjobs.Query{From: f.clock.now().AddDate(0, 0, -7)}, "USING INDEX fax_register_received (received>?)"},
	} {
		plan, err := faxjobs.ExplainSearch(context.Background(), f.st, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if p := strings.Join(plan, "; "); !strings.Contains(p, tc.want) || strings.Contains(p, "SCAN") {
			t.Errorf("%+v: plan %q, want a search %s", tc.q, p, tc.want)
		}
	}
}
