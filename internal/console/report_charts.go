package console

// The charts of the reports that had none (issue 13: "on screen with
// charts"): the weekly special calls by day and by rule, the fax
// register's pages received and sent and its faxes delivered and
// waiting, the revenue of each shift by service, and a shift journal's
// revenue by service.

import (
	"sort"
	"strconv"
	"time"

	"switchboard/internal/operators"
	"switchboard/internal/report"
)

// specialCharts are the week's special calls per day (every day of the
// week, none left out) and per rule they met (a call meeting two rules
// counts in both).
func specialCharts(sp report.SpecialCalls) []barChart {
	loc := sp.Period.From.Location()
	var days []barValue
	index := map[string]int{}
	for d := sp.Period.From; d.Before(sp.Period.To); d = d.AddDate(0, 0, 1) {
		index[d.Format(time.DateOnly)] = len(days)
		days = append(days, barValue{Label: d.Format(time.DateOnly)})
	}
	byRule := map[string]int64{}
	for _, c := range sp.Calls {
		if i, ok := index[c.Start.In(loc).Format(time.DateOnly)]; ok {
			days[i].N++
		}
		for _, r := range c.Rules {
			byRule[r]++
		}
	}
	for i := range days {
		days[i].Shown = strconv.FormatInt(days[i].N, 10)
	}
	rules := make([]barValue, 0, len(byRule))
	for r, n := range byRule {
		rules = append(rules, barValue{Sub: r, N: n, Shown: strconv.FormatInt(n, 10)})
	}
	sort.Slice(rules, func(i, j int) bool {
		if rules[i].N != rules[j].N {
			return rules[i].N > rules[j].N
		}
		return rules[i].Sub < rules[j].Sub
	})
	kinds := newBarChart("chart-rule", "rep.chart.rule", rules)
	kinds.Col = "rules"
	return []barChart{newBarChart("chart-day", "rep.chart.day", days), kinds}
}

// faxCharts are the day's fax pages received and sent, and its received
// faxes delivered and still waiting.
func faxCharts(reg report.FaxRegister, sent report.FaxesSent) []barChart {
	n := func(v int) string { return strconv.Itoa(v) }
	pages := newBarChart("chart-faxpages", "rep.chart.faxpages", []barValue{
		{Key: "rep.bar.received", N: int64(reg.Pages), Shown: n(reg.Pages)},
		{Key: "rep.bar.sent", N: int64(sent.Pages), Shown: n(sent.Pages)}})
	delivery := newBarChart("chart-delivery", "rep.chart.delivery", []barValue{
		{Key: "rep.bar.delivered", N: int64(reg.Delivered), Shown: n(reg.Delivered)},
		{Key: "rep.bar.waiting", N: int64(reg.Open), Shown: n(reg.Open)}})
	return []barChart{pages, delivery}
}

// shiftsChart is the revenue of each shift of the day by service: a bar
// per shift and service that took money, in the shifts' order.
func shiftsChart(shifts []report.ShiftOfDay) barChart {
	var vals []barValue
	for _, s := range shifts {
		for _, svc := range s.Journal.Services {
			if svc.Charges == 0 {
				continue
			}
			vals = append(vals, barValue{Label: "#" + strconv.FormatInt(s.Shift.ID, 10) + " " + s.Shift.Operator, Sub: svc.Service,
				N: svc.AmountMinor, Shown: report.Minor(svc.AmountMinor) + " " + svc.Currency})
		}
	}
	c := newBarChart("chart-shifts", "rep.chart.shifts", vals)
	c.Col = "service"
	return c
}

// journalChart is a shift's revenue by service.
func journalChart(j operators.Journal) barChart {
	vals := make([]barValue, 0, len(j.Services))
	for _, svc := range j.Services {
		vals = append(vals, barValue{Sub: svc.Service, N: svc.AmountMinor, Shown: report.Minor(svc.AmountMinor) + " " + svc.Currency})
	}
	c := newBarChart("chart-journal", "rep.chart.service", vals)
	c.Col = "service"
	return c
}
