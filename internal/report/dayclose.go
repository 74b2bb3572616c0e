package report

// The supervisor's day close (結帳程序: each shift posts under its own
// operator code and closes separately; the supervisor then closes the
// day): the day's shifts, open ones listed as still open, the day's
// revenue by service and operator, the IDD/DDD counts, and what is still
// open (faxes not delivered, copy sessions running, calls to resolve).
// LoadDayClose reads; CloseDay is a pure function of what was read, so it
// is tested against a golden file without a database.

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/folio"
	"switchboard/internal/operators"
	"switchboard/internal/rating"
	"switchboard/internal/store"
)

// ShiftOfDay is a shift that was open during the day with its journal
// (the recorded one when closed, the journal so far when still open).
type ShiftOfDay struct {
	Shift   operators.Shift
	Journal operators.Journal
}

// DayCloseInput is what the day close is gathered from.
type DayCloseInput struct {
	Period       Period
	At           time.Time // when it was gathered: open shifts are counted up to here
	Shifts       []ShiftOfDay
	Calls        *Ledger             // the calls that started in the day
	Charges      []BusinessCharge    // the business-centre charges of the day
	Faxes        []faxjobs.Fax       // faxes received up to the day's end and not delivered
	CopySessions []OpenCopySession   // copy sessions started before the day's end and not stopped
	Mask         func(string) string // masks a dialed number as the events do; nil shows it whole
}

// DayShift is one line of the day's shifts.
type DayShift struct {
	ID          int64     `json:"id"`
	Operator    string    `json:"operator"`
	Opened      time.Time `json:"opened"`
	Closed      time.Time `json:"closed,omitzero"` // zero: still open
	Open        bool      `json:"open"`
	Commands    int       `json:"commands"`
	Completed   int       `json:"completed"`
	Failed      int       `json:"failed"`
	Charges     int       `json:"charges"`
	AmountMinor int64     `json:"amount_minor"` // the shift's charges, the whole shift (the journal's sum)
}

// DayTotal is a line of the day's totals by service or by operator.
type DayTotal struct {
	Key         string       `json:"key"`
	Items       int          `json:"items"` // calls posted, or business-centre charges
	Units       int64        `json:"units"` // billable minutes' seconds for calls, pages for the rest
	Amount      rating.Money `json:"amount"`
	AmountMinor int64        `json:"amount_minor"`
	Shifts      int          `json:"shifts,omitempty"`   // by operator: shifts in the day
	Commands    int          `json:"commands,omitempty"` // by operator: console commands sent
}

// OpenCall is a call of the day still to resolve: flagged (跑帳/漏帳) or
// not posted for a reason that needs a person.
type OpenCall struct {
	Start     time.Time    `json:"start"`
	Room      string       `json:"room"`
	Extension string       `json:"extension"`
	Class     string       `json:"class"`
	Dialed    string       `json:"dialed"`
	Price     rating.Money `json:"price"`
	Flags     []string     `json:"flags,omitempty"`
	NotPosted string       `json:"not_posted,omitempty"`
}

// DayOpen is what is still open at the day close.
type DayOpen struct {
	Faxes        []FaxLine         `json:"faxes_not_delivered"`
	CopySessions []OpenCopySession `json:"copy_sessions_open"`
	Calls        []OpenCall        `json:"calls_to_resolve"`
}

// DayClose is the supervisor's day close.
type DayClose struct {
	Period     Period     `json:"period"`
	Gathered   time.Time  `json:"gathered"`
	Currency   string     `json:"currency"`
	Shifts     []DayShift `json:"shifts"`
	OpenShifts int        `json:"open_shifts"`
	ByService  []DayTotal `json:"by_service"` // calls, then the business centre's services
	ByOperator []DayTotal `json:"by_operator"`
	Total      DayTotal   `json:"total"`
	IDD        Totals     `json:"idd"`
	DDD        Totals     `json:"ddd"`
	Outgoing   Totals     `json:"outgoing"` // every outgoing call of the day
	Open       DayOpen    `json:"open"`
	// CallsSettled are the day's flagged calls a person resolved
	// (call.resolve): settled, no longer to resolve.
	CallsSettled []SettledCall `json:"calls_settled"`
}

// settled says whether a call was not posted for a reason that needs
// nobody: it was not a guest's outside call, or cost nothing, or it was
// made from a vacant room (or after check-out) but not to the outside
// world: an internal or free call, which internal/folio does not flag
// either (decide.go), so call.resolve would refuse it as not flagged.
func settled(notPosted, class string) bool {
	switch notPosted {
	case folio.NotOutgoing, folio.NotGuestRoom, folio.NothingToCharge:
		return true
	case folio.VacantRoom, folio.AfterCheckOut:
		return rating.Class(class) == rating.ClassInternal || rating.Class(class) == rating.ClassFree
	}
	return false
}

// CloseDay gathers the day close from what was read.
func CloseDay(in DayCloseInput) (DayClose, error) {
	loc := in.Period.From.Location()
	d := DayClose{Period: in.Period, Gathered: in.At.In(loc), Shifts: []DayShift{}, ByService: []DayTotal{}, ByOperator: []DayTotal{},
		Total: DayTotal{Key: "total"}, Open: DayOpen{Faxes: []FaxLine{}, CopySessions: []OpenCopySession{}, Calls: []OpenCall{}},
		CallsSettled: []SettledCall{}}
	calls := in.Calls
	if calls == nil {
		calls = &Ledger{Period: in.Period}
	}
	stats, err := Stats(calls)
	if err != nil {
		return d, fmt.Errorf("day close %s: %w", in.Period.Label, err)
	}
	biz, err := Business(in.Period, in.Charges)
	if err != nil {
		return d, fmt.Errorf("day close %s: %w", in.Period.Label, err)
	}
	d.Currency = stats.Currency
	if biz.Currency != "" && d.Currency != "" && biz.Currency != d.Currency {
		return d, fmt.Errorf("day close %s: calls in %s and business-centre charges in %s: one currency per day close", in.Period.Label, d.Currency, biz.Currency)
	}
	if d.Currency == "" {
		d.Currency = biz.Currency
	}
	d.Outgoing = stats.Total
	for _, t := range stats.ByClass {
		switch t.Key {
		case string(rating.ClassIDD):
			d.IDD = t
		case string(rating.ClassDDD):
			d.DDD = t
		}
	}
	// Calls are the guests' own: by service only, never by operator.
	d.ByService = append(d.ByService, DayTotal{Key: "calls", Items: stats.Total.Posted, Units: stats.Total.BillableS,
		Amount: stats.Total.Revenue, AmountMinor: stats.Total.RevenueMin})
	for _, t := range biz.ByService {
		d.ByService = append(d.ByService, DayTotal{Key: t.Key, Items: t.Items, Units: t.Units, Amount: t.Amount, AmountMinor: t.AmountMinor})
	}
	for _, t := range d.ByService {
		d.Total.Items += t.Items
		d.Total.Amount += t.Amount
		d.Total.AmountMinor += t.AmountMinor
	}
	ops := map[string]*DayTotal{}
	op := func(code string) *DayTotal {
		if ops[code] == nil {
			ops[code] = &DayTotal{Key: code}
		}
		return ops[code]
	}
	for _, t := range biz.ByOperator {
		key := t.Key
		if key == "" {
			key = "(none)" // charges no operator caused: a fax received
		}
		o := op(key)
		o.Items, o.Units, o.Amount, o.AmountMinor = t.Items, t.Units, t.Amount, t.AmountMinor
	}
	for _, s := range in.Shifts {
		line := DayShift{ID: s.Shift.ID, Operator: s.Shift.Operator, Opened: s.Shift.Opened.In(loc), Open: s.Shift.Open()}
		if !line.Open {
			line.Closed = s.Shift.Closed.In(loc)
		} else {
			d.OpenShifts++
		}
		for _, t := range s.Journal.Services {
			line.Commands += t.Commands
			line.Completed += t.Completed
			line.Failed += t.Failed
			line.Charges += t.Charges
			line.AmountMinor += t.AmountMinor
		}
		d.Shifts = append(d.Shifts, line)
		o := op(line.Operator)
		o.Shifts++
		o.Commands += line.Commands
	}
	for _, t := range ops {
		d.ByOperator = append(d.ByOperator, *t)
	}
	sort.Slice(d.ByOperator, func(i, j int) bool { return d.ByOperator[i].Key < d.ByOperator[j].Key })

	for _, f := range in.Faxes {
		if f.Delivered != nil || f.Destroyed != nil {
			continue
		}
		d.Open.Faxes = append(d.Open.Faxes, Faxes(in.Period, []faxjobs.Fax{f}).Faxes...)
	}
	for _, s := range in.CopySessions {
		s.Started = s.Started.In(loc)
		d.Open.CopySessions = append(d.Open.CopySessions, s)
	}
	mask := in.Mask
	if mask == nil {
		mask = func(s string) string { return s }
	}
	for _, c := range calls.Calls {
		if c.Direction != "outgoing" {
			continue
		}
		if c.Resolution != nil {
			r := *c.Resolution
			r.At = r.At.In(loc)
			d.CallsSettled = append(d.CallsSettled, SettledCall{Start: c.Start.In(loc), Room: c.Room, Extension: c.Extension, Flags: c.Flags,
				Posted: c.Posted, Resolved: r})
			continue
		}
		if len(c.Flags) == 0 && (c.Posted || settled(c.NotPosted, c.Class)) {
			continue
		}
		d.Open.Calls = append(d.Open.Calls, OpenCall{Start: c.Start.In(loc), Room: c.Room, Extension: c.Extension, Class: c.Class,
			Dialed: mask(c.Dialed), Price: c.Price, Flags: c.Flags, NotPosted: c.NotPosted})
	}
	return d, nil
}

// LoadDayClose reads what the day close of p needs, as of now.
func LoadDayClose(ctx context.Context, st *store.Store, ops *operators.Store, p Period, now time.Time) (DayCloseInput, error) {
	in := DayCloseInput{Period: p, At: now}
	shifts, err := ops.ShiftsBetween(ctx, p.From, p.To)
	if err != nil {
		return in, fmt.Errorf("day close %s: %w", p.Label, err)
	}
	for _, sh := range shifts {
		j, err := ops.ShiftJournal(ctx, sh, now)
		if err != nil {
			return in, fmt.Errorf("day close %s: %w", p.Label, err)
		}
		in.Shifts = append(in.Shifts, ShiftOfDay{Shift: sh, Journal: j})
	}
	if in.Calls, err = LoadCalls(ctx, st, p); err != nil {
		return in, fmt.Errorf("day close %s: %w", p.Label, err)
	}
	if in.Charges, err = LoadBusiness(ctx, st, p); err != nil {
		return in, fmt.Errorf("day close %s: %w", p.Label, err)
	}
	// Every fax not delivered by the day's end, whatever day it came in:
	// the register the next shift hands over (接收傳真程序).
	if in.Faxes, err = faxjobs.Undelivered(ctx, st, p.To); err != nil {
		return in, fmt.Errorf("day close %s: faxes: %w", p.Label, err)
	}
	rows, err := st.Query(ctx, `SELECT device, room, operator, started FROM copy_sessions WHERE status='open' AND started < ? ORDER BY started`, p.To.UnixNano())
	if err != nil {
		return in, fmt.Errorf("day close %s: copy sessions: %w", p.Label, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s OpenCopySession
		var at int64
		if err := rows.Scan(&s.Device, &s.Room, &s.Operator, &at); err != nil {
			return in, fmt.Errorf("day close %s: copy sessions: %w", p.Label, err)
		}
		s.Started = time.Unix(0, at)
		in.CopySessions = append(in.CopySessions, s)
	}
	return in, rows.Err()
}

// Heading is the day close's title line.
func (d DayClose) Heading() string {
	cur := d.Currency
	if cur == "" {
		cur = "-"
	}
	return fmt.Sprintf("Day close %s (%s), gathered %s: %d shift(s), %d still open; revenue %s %s; open: %d fax(es), %d copy session(s), %d call(s); %d flagged call(s) settled",
		d.Period.Label, d.Period.From.Location(), d.Gathered.Format("2006-01-02 15:04"), len(d.Shifts), d.OpenShifts, d.Total.Amount, cur,
		len(d.Open.Faxes), len(d.Open.CopySessions), len(d.Open.Calls), len(d.CallsSettled))
}

// Tables are the day close's sections (text and CSV).
func (d DayClose) Tables() []Table {
	const hm = "2006-01-02 15:04"
	shifts := Table{Title: "Shifts", Empty: "no shift in the day",
		Columns: []Column{{Name: "shift", Right: true}, {Name: "operator"}, {Name: "opened"}, {Name: "closed"}, {Name: "commands", Right: true},
			{Name: "completed", Right: true}, {Name: "failed", Right: true}, {Name: "charges", Right: true}, {Name: "amount", Right: true}}}
	for _, s := range d.Shifts {
		closed := "STILL OPEN"
		if !s.Open {
			closed = s.Closed.Format(hm)
		}
		shifts.Rows = append(shifts.Rows, []string{strconv.FormatInt(s.ID, 10), s.Operator, s.Opened.Format(hm), closed, itoa(s.Commands),
			itoa(s.Completed), itoa(s.Failed), itoa(s.Charges), minorUnits(s.AmountMinor)})
	}
	total := func(first string) []Column {
		return []Column{{Name: first}, {Name: "items", Right: true}, {Name: "units", Right: true}, {Name: "amount", Right: true}}
	}
	row := func(t DayTotal) []string {
		return []string{t.Key, itoa(t.Items), strconv.FormatInt(t.Units, 10), t.Amount.String()}
	}
	// Seconds and pages do not add up: the total has no units.
	foot := row(d.Total)
	foot[2] = ""
	bySvc := Table{Title: "Revenue by service (calls: posted calls and billable seconds; others: items and pages)", Columns: total("service"), Footer: foot}
	for _, t := range d.ByService {
		bySvc.Rows = append(bySvc.Rows, row(t))
	}
	byOp := Table{Title: "By operator (business-centre charges; calls are the guests')", Empty: "none",
		Columns: append(total("operator"), Column{Name: "shifts", Right: true}, Column{Name: "commands", Right: true})}
	for _, t := range d.ByOperator {
		byOp.Rows = append(byOp.Rows, append(row(t), itoa(t.Shifts), itoa(t.Commands)))
	}
	calls := Table{Title: "IDD/DDD", Columns: []Column{{Name: "class"}, {Name: "calls", Right: true}, {Name: "posted", Right: true},
		{Name: "minutes", Right: true}, {Name: "revenue", Right: true}}}
	for _, t := range []Totals{d.IDD, d.DDD, d.Outgoing} {
		key := t.Key
		if key == "total" {
			key = "all outgoing"
		}
		calls.Rows = append(calls.Rows, []string{key, itoa(t.Calls), itoa(t.Posted), t.Minutes, t.Revenue.String()})
	}
	faxes := Table{Title: "Faxes not delivered", Empty: "none", Columns: []Column{{Name: "no."}, {Name: "name"}, {Name: "room"}, {Name: "received"},
		{Name: "pages", Right: true}, {Name: "status"}}}
	for _, f := range d.Open.Faxes {
		faxes.Rows = append(faxes.Rows, []string{strconv.FormatInt(f.ID, 10), f.Name, f.Room, f.Received.Format(hm), itoa(f.Pages), f.Status})
	}
	copies := Table{Title: "Copy sessions open", Empty: "none", Columns: []Column{{Name: "device"}, {Name: "room"}, {Name: "operator"}, {Name: "since"}}}
	for _, s := range d.Open.CopySessions {
		copies.Rows = append(copies.Rows, []string{s.Device, s.Room, s.Operator, s.Started.Format(hm)})
	}
	open := Table{Title: "Calls to resolve (flagged or not posted)", Empty: "none", Columns: []Column{{Name: "start"}, {Name: "room"}, {Name: "ext"},
		{Name: "class"}, {Name: "dialed"}, {Name: "amount", Right: true}, {Name: "why"}}}
	for _, c := range d.Open.Calls {
		why := strings.Join(c.Flags, ", ")
		if c.NotPosted != "" {
			why = strings.TrimPrefix(why+"; "+c.NotPosted, "; ")
		}
		open.Rows = append(open.Rows, []string{c.Start.Format(hm), c.Room, c.Extension, c.Class, c.Dialed, c.Price.String(), why})
	}
	settled := Table{Title: "Flagged calls settled (resolved by a person)", Empty: "none", Columns: []Column{{Name: "start"}, {Name: "room"},
		{Name: "ext"}, {Name: "flags"}, {Name: "resolved"}}}
	for _, c := range d.CallsSettled {
		settled.Rows = append(settled.Rows, []string{c.Start.Format(hm), c.Room, c.Extension, strings.Join(c.Flags, ", "), c.Resolved.String()})
	}
	return []Table{shifts, bySvc, byOp, calls, faxes, copies, open, settled}
}

// dayCloseNS keeps each recorded day close (key: the day, YYYY-MM-DD) in
// the store's key-value area, as operators keep handover checks: no
// migration.
const dayCloseNS = "report.dayclose"

// DayCloseRecord is a day close as the supervisor recorded it. Closing a
// day again (a late charge came in) replaces it and counts the revision.
type DayCloseRecord struct {
	DayClose
	ClosedBy string    `json:"closed_by"`
	ClosedAt time.Time `json:"closed_at"`
	Revision int       `json:"revision"`
}

// RecordDayClose records d as closed by operator by at at, without an
// event (the console publishes one: dayclose_event.go).
func RecordDayClose(ctx context.Context, st *store.Store, d DayClose, by string, at time.Time) (DayCloseRecord, error) {
	rec, err := NextDayClose(ctx, st, d, by, at)
	if err != nil {
		return rec, err
	}
	if err := st.InTx(ctx, func(tx *store.Tx) error { return PutDayClose(tx, rec) }); err != nil {
		return DayCloseRecord{}, err
	}
	return rec, nil
}

// RecordedDayClose is the day close recorded for day (YYYY-MM-DD); ok is
// false when the day was not closed.
func RecordedDayClose(ctx context.Context, st *store.Store, day string) (rec DayCloseRecord, ok bool, err error) {
	b, ok, err := st.Get(ctx, dayCloseNS, day)
	if err != nil || !ok {
		return rec, false, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, false, fmt.Errorf("the day close recorded for %s: %w", day, err)
	}
	return rec, true, nil
}

// minorUnits shows an amount kept in minor units with two decimals, as the
// console's pages do (the shift journal sums charges in minor units).
func minorUnits(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}
