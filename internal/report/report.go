// Package report builds the switchboard supervisor's reports from the
// ledger: the daily reconciliation of every SMDR frame from the journal to
// the back office's acknowledgement, the daily IDD/DDD statistics, and the
// weekly special-calls list (總機主管 e). Loaders read rows through
// *store.Store; the reports themselves are pure functions of those rows, so
// they are tested table-driven without a database. Money stays rating.Money
// (decimal strings on output), never a float.
package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Period is a half-open span of site-local time [From, To).
type Period struct {
	Label string    `json:"label"` // 2026-11-27, 2026-W48
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
}

// Day is the calendar day date (YYYY-MM-DD) in the site's zone. Days with a
// daylight-saving change are 23 or 25 hours long.
func Day(date string, loc *time.Location) (Period, error) {
	d, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		return Period{}, fmt.Errorf("date %q: want YYYY-MM-DD", date)
	}
	return Period{Label: date, From: d, To: d.AddDate(0, 0, 1)}, nil
}

// Week is the ISO 8601 week ("2026-W48": Monday to Monday) in the site's zone.
func Week(week string, loc *time.Location) (Period, error) {
	bad := fmt.Errorf("week %q: want an ISO week like 2026-W48", week)
	ys, ws, ok := strings.Cut(week, "-W")
	if !ok || len(ys) != 4 || len(ws) < 1 || len(ws) > 2 {
		return Period{}, bad
	}
	y, err1 := strconv.Atoi(ys)
	w, err2 := strconv.Atoi(ws)
	if err1 != nil || err2 != nil || w < 1 || w > 53 {
		return Period{}, bad
	}
	// ISO 8601: week 1 is the week with January 4th in it.
	jan4 := time.Date(y, time.January, 4, 0, 0, 0, 0, loc)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	from := monday.AddDate(0, 0, 7*(w-1))
	if yy, ww := from.ISOWeek(); yy != y || ww != w {
		return Period{}, fmt.Errorf("week %q: %d has no week %d", week, y, w)
	}
	return Period{Label: fmt.Sprintf("%d-W%02d", y, w), From: from, To: from.AddDate(0, 0, 7)}, nil
}

// Column of a table; Right aligns numbers and amounts.
type Column struct {
	Name  string
	Right bool
}

// Table is a report section as text: aligned on a terminal, or CSV.
type Table struct {
	Title   string
	Columns []Column
	Rows    [][]string
	Footer  []string // totals, aligned with the columns; nil = none
	Empty   string   // shown instead of an empty table
}

// Format is how a report is written.
type Format int

// Formats.
const (
	Text Format = iota // aligned tables for a terminal or a printer
	CSV                // one block per table, separated by a blank line
	JSON               // the report's own structure
)

// Write renders a report: its tables as text or CSV, or v as JSON.
func Write(w io.Writer, f Format, heading string, tables []Table, v any) error {
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case CSV:
		cw := csv.NewWriter(w)
		for i, t := range tables {
			if i > 0 {
				cw.Flush()
				if _, err := io.WriteString(w, "\n"); err != nil {
					return err
				}
			}
			head := make([]string, len(t.Columns))
			for j, c := range t.Columns {
				head[j] = c.Name
			}
			if err := cw.Write(head); err != nil {
				return err
			}
			if err := cw.WriteAll(t.Rows); err != nil {
				return err
			}
			if t.Footer != nil {
				if err := cw.Write(t.Footer); err != nil {
					return err
				}
			}
		}
		cw.Flush()
		return cw.Error()
	}
	var b strings.Builder
	b.WriteString(heading)
	b.WriteString("\n")
	for _, t := range tables {
		b.WriteString("\n")
		writeText(&b, t)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeText(b *strings.Builder, t Table) {
	if t.Title != "" {
		b.WriteString(t.Title)
		b.WriteString("\n")
	}
	if len(t.Rows) == 0 && t.Empty != "" {
		b.WriteString("  " + t.Empty + "\n")
		return
	}
	width := make([]int, len(t.Columns))
	all := append([][]string{nil}, t.Rows...)
	if t.Footer != nil {
		all = append(all, t.Footer)
	}
	for j, c := range t.Columns {
		width[j] = utf8.RuneCountInString(c.Name)
	}
	for _, r := range all[1:] {
		for j := range width {
			if j < len(r) {
				width[j] = max(width[j], utf8.RuneCountInString(r[j]))
			}
		}
	}
	line := func(cells []string) {
		var l strings.Builder
		l.WriteString("  ")
		for j, c := range t.Columns {
			v := ""
			if j < len(cells) {
				v = cells[j]
			}
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(v))
			if j > 0 {
				l.WriteString("  ")
			}
			if c.Right {
				l.WriteString(pad + v)
			} else {
				l.WriteString(v + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteString("\n")
	}
	head := make([]string, len(t.Columns))
	rule := make([]string, len(t.Columns))
	for j, c := range t.Columns {
		head[j] = c.Name
		rule[j] = strings.Repeat("-", width[j])
	}
	line(head)
	line(rule)
	for _, r := range t.Rows {
		line(r)
	}
	if t.Footer != nil {
		line(rule)
		line(t.Footer)
	}
}

// Minutes renders seconds as decimal minutes with two decimals, rounded
// half up, in integer arithmetic: 65 s -> "1.08".
func Minutes(s int64) string {
	h := (s*100 + 30) / 60 // hundredths of a minute
	return fmt.Sprintf("%d.%02d", h/100, h%100)
}

// Clock renders a duration in seconds as m:ss (h:mm:ss past an hour).
func Clock(s int) string {
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
