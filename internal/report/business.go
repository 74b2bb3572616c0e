package report

// The business center's reports (商務中心): the day's revenue by service,
// room and operator (結帳程序: the day's revenue report), and the device
// check of the shift handover (交接班程序: the copier works, the fax has
// paper, open items).

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// BusinessCharge is a row of the business-center ledger (business_charges).
type BusinessCharge struct {
	IdemKey     string       `json:"charge"`
	Service     string       `json:"service"` // print, copy, fax-send, fax-receive
	Device      string       `json:"device"`
	Ref         string       `json:"ref"`
	Room        string       `json:"room"`
	Operator    string       `json:"operator"`
	At          time.Time    `json:"at"`
	Units       int64        `json:"units"` // impressions or pages
	Size        string       `json:"size,omitempty"`
	Color       bool         `json:"color"`
	Duplex      bool         `json:"duplex"`
	State       string       `json:"state"`
	Amount      rating.Money `json:"amount"`
	AmountMinor int64        `json:"amount_minor"`
	Currency    string       `json:"currency"`
	Unbilled    string       `json:"unbilled,omitempty"`
	Seq         int64        `json:"seq"`
	// Shift is the console shift the charge was recorded under (0: none:
	// no console command caused it, or it was billed before store
	// migration 11).
	Shift int64 `json:"shift,omitempty"`
}

// LoadBusiness reads the business-center charges of p (site-local), in time order.
func LoadBusiness(ctx context.Context, st *store.Store, p Period) ([]BusinessCharge, error) {
	return loadCharges(ctx, st, p.From.Location(), `at >= ? AND at < ?`, p.From.UnixNano(), p.To.UnixNano())
}

// loadCharges reads the business-center charges that match where, in time
// order, with times in loc.
func loadCharges(ctx context.Context, st *store.Store, loc *time.Location, where string, args ...any) ([]BusinessCharge, error) {
	rows, err := st.Query(ctx, `SELECT idemkey, service, device, ref, room, operator, at, units, size, color, duplex, state,
		amount, amount_minor, currency, unbilled, seq, COALESCE(shift, 0) FROM business_charges WHERE `+where+` ORDER BY at, idemkey`, args...)
	if err != nil {
		return nil, fmt.Errorf("report: business charges: %w", err)
	}
	defer rows.Close()
	var out []BusinessCharge
	for rows.Next() {
		var c BusinessCharge
		var at int64
		var amount string
		if err := rows.Scan(&c.IdemKey, &c.Service, &c.Device, &c.Ref, &c.Room, &c.Operator, &at, &c.Units, &c.Size, &c.Color, &c.Duplex,
			&c.State, &amount, &c.AmountMinor, &c.Currency, &c.Unbilled, &c.Seq, &c.Shift); err != nil {
			return nil, fmt.Errorf("report: business charges: %w", err)
		}
		c.At = time.Unix(0, at).In(loc)
		if c.Amount, err = rating.ParseMoney(amount); err != nil {
			return nil, fmt.Errorf("report: charge %s amount: %w", c.IdemKey, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// BusinessTotals are the figures of one line of the revenue report.
type BusinessTotals struct {
	Key         string       `json:"key"` // service, room or operator
	Items       int          `json:"items"`
	Units       int64        `json:"units"`
	Amount      rating.Money `json:"amount"`
	AmountMinor int64        `json:"amount_minor"`
	Unbilled    int          `json:"unbilled,omitempty"` // items without a price: bill by hand
}

func (t *BusinessTotals) add(c *BusinessCharge) {
	t.Items++
	t.Units += c.Units
	t.Amount += c.Amount
	t.AmountMinor += c.AmountMinor
	if c.Unbilled != "" {
		t.Unbilled++
	}
}

// BusinessRevenue is the day's business-center revenue.
type BusinessRevenue struct {
	Period     Period           `json:"period"`
	Currency   string           `json:"currency"`
	ByService  []BusinessTotals `json:"by_service"`
	ByRoom     []BusinessTotals `json:"by_room"`
	ByOperator []BusinessTotals `json:"by_operator"`
	Total      BusinessTotals   `json:"total"`
	Charges    []BusinessCharge `json:"charges"`
}

// businessServices are listed first, in this order; other services (a
// fax desk's) follow by name.
var businessServices = []string{rating.ServiceCopy, rating.ServicePrint, rating.ServiceFaxSend, rating.ServiceFaxReceive}

// Business aggregates charges by service, room and operator. Copy and print
// always have a line (zeros when nothing was done); fax lines appear when
// fax charges are in the ledger.
func Business(p Period, charges []BusinessCharge) (BusinessRevenue, error) {
	r := BusinessRevenue{Period: p, ByService: []BusinessTotals{}, ByRoom: []BusinessTotals{}, ByOperator: []BusinessTotals{},
		Charges: charges, Total: BusinessTotals{Key: "total"}}
	if r.Charges == nil {
		r.Charges = []BusinessCharge{}
	}
	svc := map[string]*BusinessTotals{rating.ServiceCopy: {Key: rating.ServiceCopy}, rating.ServicePrint: {Key: rating.ServicePrint}}
	room, op := map[string]*BusinessTotals{}, map[string]*BusinessTotals{}
	get := func(m map[string]*BusinessTotals, k string) *BusinessTotals {
		if m[k] == nil {
			m[k] = &BusinessTotals{Key: k}
		}
		return m[k]
	}
	for i := range charges {
		c := &charges[i]
		if r.Currency == "" {
			r.Currency = c.Currency
		} else if c.Currency != r.Currency {
			return r, fmt.Errorf("report: charges in %s and %s: one currency per report", r.Currency, c.Currency)
		}
		get(svc, c.Service).add(c)
		roomKey := c.Room
		if roomKey == "" {
			roomKey = "(none)"
		}
		get(room, roomKey).add(c)
		get(op, c.Operator).add(c)
		r.Total.add(c)
	}
	order := func(k string) int {
		for i, s := range businessServices {
			if s == k {
				return i
			}
		}
		return len(businessServices)
	}
	for _, t := range svc {
		r.ByService = append(r.ByService, *t)
	}
	sort.Slice(r.ByService, func(i, j int) bool {
		a, b := r.ByService[i].Key, r.ByService[j].Key
		if order(a) != order(b) {
			return order(a) < order(b)
		}
		return a < b
	})
	for _, m := range []struct {
		from map[string]*BusinessTotals
		to   *[]BusinessTotals
	}{{room, &r.ByRoom}, {op, &r.ByOperator}} {
		for _, t := range m.from {
			*m.to = append(*m.to, *t)
		}
		sort.Slice(*m.to, func(i, j int) bool { return (*m.to)[i].Key < (*m.to)[j].Key })
	}
	return r, nil
}

// Heading is the report's title line.
func (r BusinessRevenue) Heading() string {
	cur := r.Currency
	if cur == "" {
		cur = "-"
	}
	return fmt.Sprintf("Business center revenue %s (%s): %d items, %s %s", r.Period.Label, cur, r.Total.Items, r.Total.Amount, strings.TrimSpace(cur))
}

// Tables are the report's sections.
func (r BusinessRevenue) Tables() []Table {
	cols := func(first string) []Column {
		return []Column{{Name: first}, {Name: "items", Right: true}, {Name: "pages", Right: true}, {Name: "amount", Right: true}, {Name: "unbilled", Right: true}}
	}
	row := func(t BusinessTotals) []string {
		return []string{t.Key, strconv.Itoa(t.Items), strconv.FormatInt(t.Units, 10), t.Amount.String(), strconv.Itoa(t.Unbilled)}
	}
	total := row(r.Total)
	rows := func(ts []BusinessTotals) [][]string {
		out := make([][]string, 0, len(ts))
		for _, t := range ts {
			out = append(out, row(t))
		}
		return out
	}
	lines := Table{Title: "Charges", Empty: "no business-center charges",
		Columns: []Column{{Name: "time"}, {Name: "service"}, {Name: "device"}, {Name: "room"}, {Name: "operator"}, {Name: "shift", Right: true}, {Name: "pages", Right: true},
			{Name: "size"}, {Name: "mode"}, {Name: "state"}, {Name: "amount", Right: true}, {Name: "note"}}}
	for _, c := range r.Charges {
		mode := "mono"
		if c.Color {
			mode = "color"
		}
		if c.Duplex {
			mode += " duplex"
		}
		if c.Service != rating.ServicePrint && c.Service != rating.ServiceCopy {
			mode = ""
		}
		shift := ""
		if c.Shift != 0 {
			shift = strconv.FormatInt(c.Shift, 10)
		}
		lines.Rows = append(lines.Rows, []string{c.At.Format("15:04:05"), c.Service, c.Device, c.Room, c.Operator, shift,
			strconv.FormatInt(c.Units, 10), c.Size, mode, c.State, c.Amount.String(), c.Unbilled})
	}
	return []Table{
		{Title: "By service", Columns: cols("service"), Rows: rows(r.ByService), Footer: total},
		{Title: "By room", Columns: cols("room"), Rows: rows(r.ByRoom), Footer: total, Empty: "none"},
		{Title: "By operator", Columns: cols("operator"), Rows: rows(r.ByOperator), Footer: total, Empty: "none"},
		lines,
	}
}

// ---------------------------------------------------------------------------
// Devices: the shift handover check.

// DeviceSupply is one supply of a device (toner, ink, waste).
type DeviceSupply struct {
	Name  string `json:"name"`
	Color string `json:"color,omitempty"`
	Type  string `json:"type,omitempty"`
	Level int    `json:"level"` // percent; -2 unknown, -3 some remaining
	Low   bool   `json:"low,omitempty"`
}

// DeviceTray is one paper tray.
type DeviceTray struct {
	Name     string `json:"name"`
	Media    string `json:"media,omitempty"`
	Level    int    `json:"level"` // sheets; -2 unknown, -3 some
	Capacity int    `json:"capacity"`
}

// DeviceAlert is an alert still open.
type DeviceAlert struct {
	Device   string    `json:"device"`
	Alert    string    `json:"alert"`
	Severity string    `json:"severity"`
	Message  string    `json:"message"`
	Detail   string    `json:"detail,omitempty"`
	Raised   time.Time `json:"raised"`
}

// DeviceLink is a device's link state (retained state/link).
type DeviceLink struct {
	State string    `json:"state"`
	Since time.Time `json:"since"`
	Error string    `json:"error,omitempty"`
}

// DeviceCheck is the last known state of one device.
type DeviceCheck struct {
	Device     string         `json:"device"`
	Domain     string         `json:"domain"`
	State      string         `json:"state"` // idle, processing, stopped, offline (printers); "" when only the link is known
	Updated    time.Time      `json:"updated,omitzero"`
	Reasons    []string       `json:"reasons,omitempty"`
	Message    string         `json:"message,omitempty"`
	Error      string         `json:"error,omitempty"`
	Supplies   []DeviceSupply `json:"supplies,omitempty"`
	Trays      []DeviceTray   `json:"trays,omitempty"`
	MediaReady []string       `json:"media_ready,omitempty"`
	Counter    *int64         `json:"counter,omitempty"` // lifetime impressions, last read
	Link       *DeviceLink    `json:"link,omitempty"`
	Alerts     []DeviceAlert  `json:"alerts"`
}

// OpenCopySession is a copy session not stopped yet.
type OpenCopySession struct {
	Device   string    `json:"device"`
	Room     string    `json:"room"`
	Operator string    `json:"operator"`
	Started  time.Time `json:"started"`
}

// PrintJobToCheck is a print job that was not billed normally: still
// running, or left running by a gateway restart (not followed, not billed).
type PrintJobToCheck struct {
	Device    string    `json:"device"`
	JobID     int64     `json:"job_id"`
	Room      string    `json:"room"`
	Operator  string    `json:"operator"`
	State     string    `json:"state"`
	Submitted time.Time `json:"submitted"`
	Reason    string    `json:"reason,omitempty"`
}

// DeviceReport is the shift handover's device check.
type DeviceReport struct {
	At           time.Time         `json:"at"`
	Devices      []DeviceCheck     `json:"devices"`
	CopySessions []OpenCopySession `json:"open_copy_sessions"`
	Jobs         []PrintJobToCheck `json:"print_jobs_to_check"`
}

// retainedNS is where the gateway stores retained topics (internal/bus).
const retainedNS = "retained"

// LoadDevices reads the devices' last state, their open alerts, the link
// states the gateway keeps retained, open copy sessions and print jobs to
// check, as of now.
func LoadDevices(ctx context.Context, st *store.Store, now time.Time) (DeviceReport, error) {
	loc := now.Location()
	r := DeviceReport{At: now, Devices: []DeviceCheck{}, CopySessions: []OpenCopySession{}, Jobs: []PrintJobToCheck{}}
	byID := map[string]*DeviceCheck{}
	get := func(id, domain string) *DeviceCheck {
		if byID[id] == nil {
			byID[id] = &DeviceCheck{Device: id, Domain: domain, Alerts: []DeviceAlert{}}
		}
		return byID[id]
	}
	rows, err := st.Query(ctx, `SELECT device, domain, state, status, updated, counters FROM device_status`)
	if err != nil {
		return r, fmt.Errorf("report: device status: %w", err)
	}
	for rows.Next() {
		var id, domain, state, status, counters string
		var updated int64
		if err := rows.Scan(&id, &domain, &state, &status, &updated, &counters); err != nil {
			rows.Close()
			return r, fmt.Errorf("report: device status: %w", err)
		}
		d := get(id, domain)
		d.State, d.Updated = state, time.Unix(0, updated).In(loc)
		var s struct {
			Reasons    []string       `json:"reasons"`
			Message    string         `json:"message"`
			Error      string         `json:"error"`
			Supplies   []DeviceSupply `json:"supplies"`
			Trays      []DeviceTray   `json:"trays"`
			MediaReady []string       `json:"media_ready"`
		}
		if json.Unmarshal([]byte(status), &s) == nil {
			d.Reasons, d.Message, d.Error, d.Supplies, d.Trays, d.MediaReady = s.Reasons, s.Message, s.Error, s.Supplies, s.Trays, s.MediaReady
		}
		var c struct {
			Impressions *int64 `json:"impressions"`
		}
		if counters != "" && json.Unmarshal([]byte(counters), &c) == nil {
			d.Counter = c.Impressions
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, err
	}
	rows, err = st.Query(ctx, `SELECT device, domain, alert, severity, message, detail, raised FROM device_alerts WHERE cleared IS NULL ORDER BY raised`)
	if err != nil {
		return r, fmt.Errorf("report: device alerts: %w", err)
	}
	for rows.Next() {
		var a DeviceAlert
		var domain string
		var raised int64
		if err := rows.Scan(&a.Device, &domain, &a.Alert, &a.Severity, &a.Message, &a.Detail, &raised); err != nil {
			rows.Close()
			return r, fmt.Errorf("report: device alerts: %w", err)
		}
		a.Raised = time.Unix(0, raised).In(loc)
		d := get(a.Device, domain)
		d.Alerts = append(d.Alerts, a)
	}
	rows.Close()
	// Link states of every device (PBX, fax, printers): the retained
	// .../{domain}/{device}/state/link envelopes.
	retained, err := st.List(ctx, retainedNS)
	if err != nil {
		return r, fmt.Errorf("report: link states: %w", err)
	}
	for topic, payload := range retained {
		parts := strings.Split(topic, "/")
		if len(parts) != 7 || parts[5] != "state" || parts[6] != "link" || parts[3] == "edge" {
			continue
		}
		var env struct {
			Data struct {
				State string    `json:"state"`
				Since time.Time `json:"since"`
				Error string    `json:"error"`
			} `json:"data"`
		}
		if json.Unmarshal(payload, &env) != nil {
			continue
		}
		d := get(parts[4], parts[3])
		d.Link = &DeviceLink{State: env.Data.State, Since: env.Data.Since.In(loc), Error: env.Data.Error}
	}
	for _, d := range byID {
		r.Devices = append(r.Devices, *d)
	}
	sort.Slice(r.Devices, func(i, j int) bool { return r.Devices[i].Device < r.Devices[j].Device })

	rows, err = st.Query(ctx, `SELECT device, room, operator, started FROM copy_sessions WHERE status='open' ORDER BY started`)
	if err != nil {
		return r, fmt.Errorf("report: copy sessions: %w", err)
	}
	for rows.Next() {
		var s OpenCopySession
		var at int64
		if err := rows.Scan(&s.Device, &s.Room, &s.Operator, &at); err != nil {
			rows.Close()
			return r, err
		}
		s.Started = time.Unix(0, at).In(loc)
		r.CopySessions = append(r.CopySessions, s)
	}
	rows.Close()
	// The WHERE is the partial index print_jobs_to_check's (store
	// migration 10): keep the two the same, or this reads every job.
	rows, err = st.Query(ctx, `SELECT device, COALESCE(job_id, 0), room, operator, state, submitted, reasons FROM print_jobs
		WHERE ended IS NULL OR state='orphaned' OR (charge IS NULL AND state NOT IN ('refused')) ORDER BY submitted`)
	if err != nil {
		return r, fmt.Errorf("report: print jobs: %w", err)
	}
	for rows.Next() {
		var j PrintJobToCheck
		var at int64
		if err := rows.Scan(&j.Device, &j.JobID, &j.Room, &j.Operator, &j.State, &at, &j.Reason); err != nil {
			rows.Close()
			return r, err
		}
		j.Submitted = time.Unix(0, at).In(loc)
		r.Jobs = append(r.Jobs, j)
	}
	rows.Close()
	return r, rows.Err()
}

// NeedsAttention reports whether the handover must act: a device offline
// or failed, or a critical alert open.
func (r DeviceReport) NeedsAttention() bool {
	for _, d := range r.Devices {
		if d.State == "offline" || (d.Link != nil && (d.Link.State == "disconnected" || d.Link.State == "failed")) {
			return true
		}
		for _, a := range d.Alerts {
			if a.Severity == "critical" {
				return true
			}
		}
	}
	return len(r.Jobs) > 0
}

// Heading is the report's title line.
func (r DeviceReport) Heading() string {
	open := 0
	for _, d := range r.Devices {
		open += len(d.Alerts)
	}
	verdict := "all devices ready"
	if r.NeedsAttention() {
		verdict = "ATTENTION NEEDED"
	}
	return fmt.Sprintf("Device check %s: %d devices, %d open alerts: %s", r.At.Format("2006-01-02 15:04"), len(r.Devices), open, verdict)
}

func paperOf(d DeviceCheck) string {
	out := TrayLevels(d.Trays)
	if len(d.MediaReady) > 0 {
		out = append(out, "ready: "+strings.Join(d.MediaReady, ","))
	}
	return strings.Join(out, "; ")
}

// TrayLevels reads a printer's trays as the print desk stored them, one
// "name level[/capacity] [media]" each (RFC 3805 prtInputCurrentLevel: -3
// "some", other negatives unknown; a tray with neither level nor capacity,
// -2, is left out).
func TrayLevels(trays []DeviceTray) []string {
	var out []string
	for _, t := range trays {
		if t.Level == -2 && t.Capacity <= 0 {
			continue
		}
		s := t.Name + " "
		switch {
		case t.Level >= 0 && t.Capacity > 0:
			s += fmt.Sprintf("%d/%d", t.Level, t.Capacity)
		case t.Level >= 0:
			s += strconv.Itoa(t.Level)
		case t.Level == -3:
			s += "some"
		default:
			s += "?"
		}
		if t.Media != "" {
			s += " " + t.Media
		}
		out = append(out, s)
	}
	return out
}

func suppliesOf(d DeviceCheck) string { return strings.Join(SupplyLevels(d.Supplies), ", ") }

// SupplyLevels reads a printer's marker levels as the print desk stored
// them, one "name level" each (RFC 3805 prtMarkerSuppliesLevel: -3 "some
// left", other negatives unknown).
func SupplyLevels(supplies []DeviceSupply) []string {
	var out []string
	for _, s := range supplies {
		lvl := "?"
		switch {
		case s.Level >= 0:
			lvl = strconv.Itoa(s.Level) + "%"
		case s.Level == -3:
			lvl = "some"
		}
		if s.Low {
			lvl += " LOW"
		}
		out = append(out, s.Name+" "+lvl)
	}
	return out
}

// Tables are the report's sections.
func (r DeviceReport) Tables() []Table {
	devs := Table{Title: "Devices", Empty: "no device has reported yet",
		Columns: []Column{{Name: "device"}, {Name: "domain"}, {Name: "link"}, {Name: "state"}, {Name: "since"}, {Name: "counter", Right: true},
			{Name: "reasons"}, {Name: "paper"}}}
	sup := Table{Title: "Supplies", Empty: "no supply levels reported", Columns: []Column{{Name: "device"}, {Name: "supplies"}}}
	alerts := Table{Title: "Open alerts", Empty: "none", Columns: []Column{{Name: "device"}, {Name: "alert"}, {Name: "severity"}, {Name: "since"}, {Name: "what to do"}}}
	for _, d := range r.Devices {
		link, state, since := "", d.State, ""
		if d.Link != nil {
			link = d.Link.State
			since = d.Link.Since.Format("01-02 15:04")
		}
		if !d.Updated.IsZero() {
			since = d.Updated.Format("01-02 15:04")
		}
		if state == "offline" && d.Error != "" {
			state += " (" + d.Error + ")"
		}
		counter := ""
		if d.Counter != nil {
			counter = strconv.FormatInt(*d.Counter, 10)
		}
		devs.Rows = append(devs.Rows, []string{d.Device, d.Domain, link, state, since, counter, strings.Join(d.Reasons, ","), paperOf(d)})
		if s := suppliesOf(d); s != "" {
			sup.Rows = append(sup.Rows, []string{d.Device, s})
		}
		for _, a := range d.Alerts {
			alerts.Rows = append(alerts.Rows, []string{a.Device, a.Alert, a.Severity, a.Raised.Format("01-02 15:04"), a.Message})
		}
	}
	copies := Table{Title: "Open copy sessions", Empty: "none", Columns: []Column{{Name: "device"}, {Name: "room"}, {Name: "operator"}, {Name: "since"}}}
	for _, s := range r.CopySessions {
		copies.Rows = append(copies.Rows, []string{s.Device, s.Room, s.Operator, s.Started.Format("01-02 15:04")})
	}
	jobs := Table{Title: "Print jobs to check", Empty: "none",
		Columns: []Column{{Name: "device"}, {Name: "job", Right: true}, {Name: "room"}, {Name: "operator"}, {Name: "state"}, {Name: "submitted"}, {Name: "reason"}}}
	for _, j := range r.Jobs {
		jobs.Rows = append(jobs.Rows, []string{j.Device, strconv.FormatInt(j.JobID, 10), j.Room, j.Operator, j.State, j.Submitted.Format("01-02 15:04"), j.Reason})
	}
	return []Table{devs, sup, alerts, copies, jobs}
}
