package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/events/hotel"
	"switchboard/internal/folio/stays"
	"switchboard/internal/operators"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

// routerHost is the gateway's console.Host in a few lines: commands go
// through a real bus.Router, as MQTT commands do.
type routerHost struct {
	r  *bus.Router
	st *store.Store
}

func (h routerHost) Store() *store.Store { return h.st }

func (h routerHost) Command(ctx context.Context, domain, device, name string, data any, by bus.Principal) (bus.Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return h.r.Send(ctx, domain, device, name, data, by, "console")
}

// wakeupDesk stands in for the hotel desk's wake-up commands.
type wakeupDesk struct{ set []hotel.WakeupSetData }

func (d *wakeupDesk) Validate(c *bus.Command) error {
	if c.Name == "wakeup.cancel" {
		var v hotel.WakeupCancelData
		return bus.DecodeData(c, &v)
	}
	var v hotel.WakeupSetData
	return bus.DecodeData(c, &v)
}

func (d *wakeupDesk) Execute(ctx context.Context, c *bus.Command) (any, error) {
	if c.Name == "wakeup.set" {
		var v hotel.WakeupSetData
		_ = bus.DecodeData(c, &v)
		d.set = append(d.set, v)
	}
	return map[string]string{"ok": "yes"}, nil
}

func newRouterFixture(t *testing.T) (*fixture, *wakeupDesk) {
	t.Helper()
	desk := &wakeupDesk{}
	f := newFixture(t, false, func(st *store.Store) Host {
		r := bus.NewRouter(newTopics(), st, func(tx *store.Tx, ev store.Event) error { _, _, err := tx.Enqueue(ev); return err }, nil)
		r.Handle("pbx", "wakeup.set", desk)
		r.Handle("pbx", "wakeup.cancel", desk)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		return routerHost{r: r, st: st}
	})
	return f, desk
}

// A wake-up set from the console goes through the router as the operator,
// after a confirm step that repeats room and time; the shift journal lists
// it and closing the shift records the journal. A guest's name is escaped.
func TestWakeupThroughTheRouter(t *testing.T) {
	f, desk := newRouterFixture(t)
	ctx := context.Background()
	now := f.clock.now()
	evil := `<script>alert(1)</script>`
	sched, _ := wakeup.New(wakeup.Config{Location: site})
	err := f.st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := stays.CheckIn(tx, stays.Stay{Room: "1203", Guest: evil, CheckIn: now.Add(-time.Hour)}); err != nil {
			return err
		}
		_, _, err := sched.Set(tx, wakeup.Request{Room: "1203", Date: wakeup.DateOf(now).AddDays(1), Clock: wakeup.Clock{Hour: 6, Minute: 30},
			By: wakeup.ByGuest, Operator: "0003"}, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b := f.browser(t)
	_, tok := b.signIn("0001", "1234")

	list := b.do("GET", "/wakeups", nil)
	if list.code != http.StatusOK || !strings.Contains(list.body, "<td>06:30</td><td>1203</td>") || !strings.Contains(list.body, "<td>0003</td>") {
		t.Fatalf("wake-up list:\n%s", list.body)
	}
	for _, page := range []string{list.body, b.do("POST", "/wakeups/confirm", url.Values{"csrf": {tok}, "room": {"1203"}, "time": {"07:15"}}).body} {
		if strings.Contains(page, evil) || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Fatalf("the guest's name is not escaped:\n%s", page)
		}
	}
	confirm := b.do("POST", "/wakeups/confirm", url.Values{"csrf": {tok}, "room": {"1203"}, "time": {"07:15"}})
	if !strings.Contains(confirm.body, `<strong id="confirm-room">1203</strong>`) || !strings.Contains(confirm.body, `<strong id="confirm-time">07:15</strong>`) {
		t.Fatalf("the confirm step does not repeat room and time:\n%s", confirm.body)
	}
	if len(desk.set) != 0 {
		t.Fatal("the confirm step sent the command")
	}
	for _, bad := range []url.Values{{"room": {"1203"}, "time": {"7:15"}}, {"room": {"12/03"}, "time": {"07:15"}}} {
		bad.Set("csrf", tok)
		if res := b.do("POST", "/wakeups/set", bad); res.code != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d", bad, res.code)
		}
	}
	set := b.do("POST", "/wakeups/set", url.Values{"csrf": {tok}, "room": {"1203"}, "time": {"07:15"}})
	if set.code != http.StatusOK || !strings.Contains(set.body, "wakeup.set 1203 07:15: completed") {
		t.Fatalf("set:\n%d %s", set.code, set.body)
	}
	if len(desk.set) != 1 || desk.set[0] != (hotel.WakeupSetData{Room: "1203", Time: "07:15", RequestedBy: "guest", Operator: "0001"}) {
		t.Fatalf("the desk got %+v", desk.set)
	}
	rows, err := store.All(ctx, f.st, func(r store.Scanner) ([2]string, error) {
		var v [2]string
		return v, r.Scan(&v[0], &v[1])
	}, `SELECT principal, role FROM commands`)
	if err != nil || len(rows) != 1 || rows[0] != [2]string{"0001", "operator"} {
		t.Fatalf("command log: %v %v", rows, err)
	}

	shift := b.do("GET", "/shift", nil)
	if !strings.Contains(shift.body, "<td>pbx/wakeup</td><td>wakeup.set</td><td>link1</td><td>completed</td>") {
		t.Fatalf("shift journal:\n%s", shift.body)
	}
	sh, ok, _ := f.ops.CurrentShift(ctx, "0001")
	if !ok {
		t.Fatal("no open shift")
	}
	closed := b.do("POST", "/shift/close", url.Values{"csrf": {formToken(t, shift.body)}})
	if closed.code != http.StatusOK || !strings.Contains(closed.body, "Shift closed") || !strings.Contains(closed.body, "wakeup.set") {
		t.Fatalf("close:\n%s", closed.body)
	}
	rec, err := f.ops.GetShift(ctx, sh.ID)
	var j operators.Journal
	if err != nil || rec.Open() || json.Unmarshal(rec.Journal, &j) != nil || len(j.Items) != 1 || j.Items[0].Status != "completed" {
		t.Fatalf("recorded shift: %+v %v", rec, err)
	}
	// Still signed in; the next command opens a new shift.
	b.do("POST", "/wakeups/set", url.Values{"csrf": {tok}, "room": {"1204"}, "time": {"06:00"}})
	next, ok, _ := f.ops.CurrentShift(ctx, "0001")
	if !ok || next.ID == sh.ID {
		t.Fatalf("next shift: %+v %v", next, ok)
	}
	if j, _ := f.ops.Journal(ctx, next.ID, f.clock.now()); len(j.Items) != 1 || j.Items[0].Command != "wakeup.set" {
		t.Fatalf("the new shift's journal: %+v", j)
	}
}

// Signing in again continues the open shift.
func TestSigninContinuesTheShift(t *testing.T) {
	f := newFixture(t, false, nil)
	b := f.browser(t)
	b.signIn("0001", "1234")
	first, _, _ := f.ops.CurrentShift(context.Background(), "0001")
	f.clock.add(2 * time.Hour)
	b2 := f.browser(t)
	b2.signIn("0001", "1234")
	again, _, _ := f.ops.CurrentShift(context.Background(), "0001")
	if first.ID == 0 || again.ID != first.ID {
		t.Fatalf("shift %d then %d", first.ID, again.ID)
	}
	res := b2.do("GET", "/api/session", nil)
	var s struct {
		Operator string `json:"operator"`
		Shift    int64  `json:"shift"`
	}
	if json.Unmarshal([]byte(res.body), &s) != nil || s.Operator != "0001" || s.Shift != first.ID {
		t.Fatalf("api/session: %s", res.body)
	}
}

// A daily wake-up: the form's box and last day go through the confirm step
// (which repeats them) into wakeup.set; a last day without "daily", or not
// a date, is refused before anything is sent.
func TestWakeupDaily(t *testing.T) {
	f, desk := newRouterFixture(t)
	b := f.browser(t)
	_, tok := b.signIn("0001", "1234")
	cases := []struct {
		name      string
		form      url.Values
		code      int
		confirm   string // on the confirm page
		want      *hotel.WakeupSetData
		wantInSet string
	}{
		{"daily until a day", url.Values{"room": {"1203"}, "time": {"06:45"}, "daily": {"on"}, "until": {"2030-01-09"}}, http.StatusOK,
			`<strong>every day</strong> until <strong>2030-01-09</strong>`,
			&hotel.WakeupSetData{Room: "1203", Time: "06:45", Daily: true, Until: "2030-01-09", RequestedBy: "guest", Operator: "0001"},
			"wakeup.set 1203 06:45 daily until 2030-01-09: completed"},
		{"daily until check-out", url.Values{"room": {"1204"}, "time": {"07:00"}, "daily": {"on"}}, http.StatusOK,
			`<strong>every day</strong> until check-out`,
			&hotel.WakeupSetData{Room: "1204", Time: "07:00", Daily: true, RequestedBy: "guest", Operator: "0001"},
			"wakeup.set 1204 07:00 daily: completed"},
		{"a last day without daily", url.Values{"room": {"1205"}, "time": {"07:00"}, "until": {"2030-01-09"}}, http.StatusUnprocessableEntity,
			"a last day is for a daily wake-up only", nil, ""},
		{"a last day that is no date", url.Values{"room": {"1205"}, "time": {"07:00"}, "daily": {"on"}, "until": {"9 Jan"}}, http.StatusUnprocessableEntity,
			"want the last day as YYYY-MM-DD", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.form.Set("csrf", tok)
			before := len(desk.set)
			confirm := b.do("POST", "/wakeups/confirm", c.form)
			if confirm.code != c.code || !strings.Contains(confirm.body, c.confirm) {
				t.Fatalf("confirm: %d, want %d and %q:\n%s", confirm.code, c.code, c.confirm, confirm.body)
			}
			if c.want == nil {
				if res := b.do("POST", "/wakeups/set", c.form); res.code != c.code || len(desk.set) != before {
					t.Fatalf("set: %d, %d commands sent", res.code, len(desk.set)-before)
				}
				return
			}
			// The confirm page's own form carries the request on.
			form := url.Values{"csrf": {tok}}
			for _, k := range []string{"room", "time", "daily", "until"} {
				if m := regexp.MustCompile(`name="` + k + `" value="([^"]*)"`).FindStringSubmatch(confirm.body); m != nil {
					form.Set(k, m[1])
				}
			}
			set := b.do("POST", "/wakeups/set", form)
			if set.code != http.StatusOK || !strings.Contains(set.body, c.wantInSet) {
				t.Fatalf("set: %d\n%s", set.code, set.body)
			}
			if len(desk.set) != before+1 || desk.set[before] != *c.want {
				t.Fatalf("the desk got %+v, want %+v", desk.set[before:], *c.want)
			}
		})
	}
}
