package ipp

import (
	"slices"
	"strconv"
	"strings"
	"switchboard/internal/events/printer"
	"time"
)

// monitorAttrs is what a poll asks for (requested-attributes, RFC 8011
// §4.2.5.1): small enough to poll every few seconds.
var monitorAttrs = []string{
	"printer-state", "printer-state-reasons", "printer-state-message", "printer-is-accepting-jobs",
	"printer-alert", "printer-alert-description",
	"marker-names", "marker-colors", "marker-levels", "marker-types", "marker-low-levels",
	"printer-supply", "printer-supply-description",
	"media-ready", "printer-input-tray",
	"printer-impressions-completed", "printer-impressions-completed-col",
	"document-format-supported",
}

var printerStates = map[int]string{3: "idle", 4: "processing", 5: "stopped"}

// NormalizeReason strips the severity suffix of a printer-state-reasons
// keyword (RFC 8011 §5.4.12: "-report", "-warning", "-error").
func NormalizeReason(r string) string {
	for _, s := range []string{"-report", "-warning", "-error"} {
		if t, ok := strings.CutSuffix(r, s); ok {
			return t
		}
	}
	return r
}

// NormalizeReasons normalizes, drops "none", dedupes and sorts.
func NormalizeReasons(in []string) []string {
	var out []string
	for _, r := range in {
		r = NormalizeReason(strings.TrimSpace(r))
		if r == "" || r == "none" || slices.Contains(out, r) {
			continue
		}
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// parseStatus reads a Get-Printer-Attributes answer.
func parseStatus(device string, at time.Time, a Attrs) printer.PrinterStatus {
	st := printer.PrinterStatus{Device: device, At: at, State: "unknown"}
	if v, ok := a.int("printer-state"); ok {
		if s, ok := printerStates[v]; ok {
			st.State = s
		}
	}
	st.Reasons = NormalizeReasons(a.strs("printer-state-reasons"))
	st.Message = a.str("printer-state-message")
	st.Accepting, _ = a.bool("printer-is-accepting-jobs")
	st.Alerts = a.strs("printer-alert")
	st.Supplies = parseSupplies(a)
	st.Trays = parseTrays(a)
	st.MediaReady = a.strs("media-ready")
	return st
}

func parseSupplies(a Attrs) []printer.Supply {
	var out []printer.Supply
	names, levels := a.strs("marker-names"), a.ints("marker-levels")
	if len(names) > 0 {
		colors, types, low := a.strs("marker-colors"), a.strs("marker-types"), a.ints("marker-low-levels")
		for i, n := range names {
			s := printer.Supply{Name: n, Level: -2}
			if i < len(levels) {
				s.Level = levels[i]
			}
			if i < len(colors) {
				s.Color = colors[i]
			}
			if i < len(types) {
				s.Type = types[i]
			}
			if i < len(low) && s.Level >= 0 {
				s.Low = s.Level <= low[i]
			}
			out = append(out, s)
		}
		return out
	}
	// printer-supply: "index=2;class=supplyThatIsConsumed;type=toner;
	// unit=percent;maxcapacity=100;level=75;colorantname=black;"
	desc := a.strs("printer-supply-description")
	for i, v := range a.strs("printer-supply") {
		kv := parseKV(v)
		s := printer.Supply{Name: kv["colorantname"], Type: kv["type"], Color: kv["colorantname"], Level: -2}
		if i < len(desc) && desc[i] != "" {
			s.Name = desc[i]
		}
		if l, err := strconv.Atoi(kv["level"]); err == nil {
			if m, err := strconv.Atoi(kv["maxcapacity"]); err == nil && m > 0 && l >= 0 && kv["unit"] != "percent" {
				l = l * 100 / m
			}
			s.Level = l
		}
		consumed := kv["class"] == "supplyThatIsConsumed"
		s.Low = consumed && s.Level >= 0 && s.Level <= 10
		out = append(out, s)
	}
	return out
}

func parseTrays(a Attrs) []printer.Tray {
	var out []printer.Tray
	for _, v := range a.strs("printer-input-tray") {
		kv := parseKV(v)
		t := printer.Tray{Name: kv["name"], Level: -2, Capacity: -2}
		if l, err := strconv.Atoi(kv["level"]); err == nil {
			t.Level = l
		}
		if c, err := strconv.Atoi(kv["maxcapacity"]); err == nil {
			t.Capacity = c
		}
		out = append(out, t)
	}
	return out
}

// parseKV reads the "key=value;key=value;" strings of printer-supply and
// printer-input-tray (PWG 5100.13 §6.5.2, §6.6.x).
func parseKV(s string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(f, "=")
		if ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

// reasonKinds maps normalized printer-state-reasons (RFC 8011 §5.4.12, PWG
// 5100.9 / the IANA IPP registry) to alert kinds.
var reasonKinds = map[string]printer.AlertKind{
	"media-empty":         printer.AlertMediaEmpty,
	"media-needed":        printer.AlertMediaEmpty,
	"input-tray-missing":  printer.AlertMediaEmpty,
	"media-low":           printer.AlertMediaLow,
	"media-jam":           printer.AlertMediaJam,
	"media-path-jam":      printer.AlertMediaJam,
	"input-media-jam":     printer.AlertMediaJam,
	"output-media-jam":    printer.AlertMediaJam,
	"toner-low":           printer.AlertTonerLow,
	"marker-supply-low":   printer.AlertTonerLow,
	"toner-empty":         printer.AlertTonerEmpty,
	"marker-supply-empty": printer.AlertTonerEmpty,
	"cover-open":          printer.AlertCoverOpen,
	"door-open":           printer.AlertCoverOpen,
	"interlock-open":      printer.AlertCoverOpen,
	"offline":             printer.AlertOffline,
	"shutdown":            printer.AlertOffline,
}

// activeAlerts maps a status to the alert kinds it shows, with the
// reasons behind each.
func activeAlerts(st printer.PrinterStatus) map[printer.AlertKind][]string {
	out := map[printer.AlertKind][]string{}
	if st.State == "offline" {
		out[printer.AlertOffline] = []string{"unreachable"}
		return out
	}
	for _, r := range st.Reasons {
		if k, ok := reasonKinds[r]; ok {
			out[k] = append(out[k], r)
		}
	}
	return out
}

// diffAlerts lists the alerts raised and cleared between two snapshots of
// active alerts, in a stable order.
func diffAlerts(device string, at time.Time, prev, cur map[printer.AlertKind][]string) []printer.Alert {
	var out []printer.Alert
	for k, rs := range cur {
		if _, was := prev[k]; !was {
			out = append(out, printer.Alert{Device: device, At: at, Kind: k, Change: printer.Raised, Reasons: rs})
		}
	}
	for k, rs := range prev {
		if _, is := cur[k]; !is {
			out = append(out, printer.Alert{Device: device, At: at, Kind: k, Change: printer.Cleared, Reasons: rs})
		}
	}
	slices.SortFunc(out, func(a, b printer.Alert) int {
		if a.Change != b.Change {
			return strings.Compare(string(b.Change), string(a.Change)) // raised first
		}
		return strings.Compare(string(a.Kind), string(b.Kind))
	})
	return out
}

// jobStates are the job-state enum values (RFC 8011 §5.3.7).
var jobStates = map[int]printer.JobState{3: printer.JobPending, 4: printer.JobHeld, 5: printer.JobProcessing, 6: printer.JobStopped,
	7: printer.JobCanceled, 8: printer.JobAborted, 9: printer.JobCompleted}
