package events

import "time"

// DayClosedType is the event the supervisor's day close publishes for the
// back office (結帳程序: after every shift closed under its own operator
// code, the day is closed). A day closed again (a late charge came in) is
// a new event with the next revision; the back office keeps the highest.
const DayClosedType = "hotel.edge.day.closed"

// DayClosed is the data of hotel.edge.day.closed: the day's totals as the
// supervisor recorded them, never a guest's name (the recorded report
// itself stays on the gateway: docs/console.md, "day close").
type DayClosed struct {
	Day         string          `json:"day"` // YYYY-MM-DD, the site's calendar day
	From        time.Time       `json:"from"`
	To          time.Time       `json:"to"`
	ClosedBy    string          `json:"closed_by"` // the supervisor's operator code
	ClosedAt    time.Time       `json:"closed_at"`
	Revision    int             `json:"revision"`
	Currency    string          `json:"currency"` // "" when nothing was charged
	Amount      string          `json:"amount"`   // the day's revenue, decimal
	AmountMinor int64           `json:"amount_minor"`
	ByService   []DayServiceSum `json:"by_service"`
	Shifts      int             `json:"shifts"`
	OpenShifts  int             `json:"open_shifts"` // still open when the day was closed
	Calls       DayCalls        `json:"calls"`
	Open        DayOpenCounts   `json:"open"`
}

// DayServiceSum is a service's revenue in the day: calls (posted calls,
// billable seconds), print, copy, fax-send, fax-receive (items, pages).
type DayServiceSum struct {
	Service     string `json:"service"`
	Items       int    `json:"items"`
	Units       int64  `json:"units"`
	Amount      string `json:"amount"`
	AmountMinor int64  `json:"amount_minor"`
}

// DayCalls are the day's outgoing calls: all, IDD and DDD.
type DayCalls struct {
	Outgoing int `json:"outgoing"`
	Posted   int `json:"posted"`
	IDD      int `json:"idd"`
	DDD      int `json:"ddd"`
}

// DayOpenCounts is what was still open when the day was closed.
type DayOpenCounts struct {
	FaxesNotDelivered int `json:"faxes_not_delivered"`
	CopySessionsOpen  int `json:"copy_sessions_open"`
	CallsToResolve    int `json:"calls_to_resolve"`
}
