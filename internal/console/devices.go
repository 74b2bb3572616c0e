package console

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"switchboard/drivers"
	"switchboard/internal/operators"
	"switchboard/internal/report"
)

// DeviceInfo is a configured device as the devices page names it: its
// driver and firmware profile, its topic domain (pbx, fax, print) and the
// driver's kind (drivers.KindHotelLink puts it in the hotel-link table).
type DeviceInfo struct {
	ID, Driver, Profile, Domain, Kind string
}

// kindHotelLink is the driver kind of a hotel link (drivers.KindHotelLink).
const kindHotelLink = drivers.KindHotelLink

// deviceGroups are the page's tables in order: the group, its domain, its title key.
var deviceGroups = []struct{ Group, Domain, Title string }{
	{"pbx", "pbx", "devices.pbx"},
	{"hotellink", "pbx", "devices.hotellink"},
	{"fax", "fax", "devices.fax"},
	{"print", "print", "devices.print"},
}

// seesDomain says whether a role's devices page shows a domain's devices,
// as the /events stream filters (mayWatch): the switchboard the PBX and
// the hotel link, the business centre fax and print, supervisors and
// admins everything.
func seesDomain(r operators.Role, domain string) bool {
	switch r {
	case operators.RoleSupervisor, operators.RoleAdmin:
		return true
	case operators.RoleOperator:
		return domain == "pbx"
	case operators.RoleBusiness:
		return domain == "fax" || domain == "print"
	}
	return false
}

// handoverItems are the handover's device checks (交接班程序: equipment
// checks before the next shift takes over — the fax has paper, the copier
// works, open issues), by domain; key → message key "handover.<key>".
var handoverItems = []struct{ Key, Domain string }{
	{"pbx.smdr", "pbx"},        // the call records are arriving (SMDR port or printer)
	{"pbx.hotellink", "pbx"},   // the hotel link is up
	{"fax.modems", "fax"},      // the fax modems answer, the fax has paper
	{"print.paper", "print"},   // printers and copier: paper loaded, no jam
	{"print.toner", "print"},   // toner not low, or a spare at hand
	{"alerts.reviewed", "all"}, // the open alerts were read and handed on
}

// deviceRow is one device as the page shows it.
type deviceRow struct {
	report.DeviceCheck
	Driver, Profile string
}

// LinkState is the link's state, "" when unknown.
func (d deviceRow) LinkState() string {
	if d.Link == nil {
		return ""
	}
	return d.Link.State
}

// Since is when the link (or, without one, the device's status) last changed.
func (d deviceRow) Since() time.Time {
	if d.Link != nil && !d.Link.Since.IsZero() {
		return d.Link.Since
	}
	return d.Updated
}

// LinkError is the link's last error.
func (d deviceRow) LinkError() string {
	if d.Link == nil {
		return ""
	}
	return d.Link.Error
}

// Down says the device needs someone: link lost or failed, printer offline.
func (d deviceRow) Down() bool {
	s := d.LinkState()
	return s == "disconnected" || s == "failed" || d.State == "offline"
}

// SupplyLevels are the printer's marker levels as the print desk stored them.
func (d deviceRow) SupplyLevels() []string { return report.SupplyLevels(d.Supplies) }

// Paper is the trays' paper as the print desk stored it.
func (d deviceRow) Paper() []string { return report.TrayLevels(d.Trays) }

// deviceTable is one domain's table.
type deviceTable struct {
	Group, Domain, Title string
	Devices              []deviceRow
}

// devicesPage shows the devices the session's role looks after, by
// domain, with their link state, open alerts and printer levels (the
// gateway's last known state: report.LoadDevices, as `switchboard report
// devices` prints it), and the shift handover's device check to confirm.
func (c *Console) devicesPage(w http.ResponseWriter, r *http.Request, s session) {
	ctx := r.Context()
	rep, err := report.LoadDevices(ctx, c.o.Host.Store(), c.now().In(c.o.Location))
	if err != nil {
		c.o.Log.Error("devices", "err", err)
		http.Error(w, "the devices cannot be read", http.StatusInternalServerError)
		return
	}
	tables := c.deviceTables(s.role, rep)
	last, hasLast, err := c.ops.LastHandoverCheck(ctx)
	if err != nil {
		c.o.Log.Error("handover check", "err", err)
		http.Error(w, "the handover check cannot be read", http.StatusInternalServerError)
		return
	}
	var items []string
	for _, it := range handoverItems {
		if it.Domain == "all" || seesDomain(s.role, it.Domain) {
			items = append(items, it.Key)
		}
	}
	data := map[string]any{"Tables": tables, "Items": items, "Checked": r.URL.Query().Get("checked") == "1"}
	if hasLast {
		data["Last"] = last
	}
	c.render(w, r, http.StatusOK, "devices", &s, data)
}

// deviceTables groups the devices the role sees into the page's tables:
// the configured devices (Options.Devices) first known by their driver,
// and every device the store knows of.
func (c *Console) deviceTables(role operators.Role, rep report.DeviceReport) []deviceTable {
	info := map[string]DeviceInfo{}
	for _, d := range c.o.Devices {
		info[d.ID] = d
	}
	seen := map[string]bool{}
	rows := []deviceRow{}
	for _, d := range rep.Devices {
		seen[d.Device] = true
		rows = append(rows, deviceRow{DeviceCheck: d})
	}
	for _, d := range c.o.Devices { // configured, never reported yet
		if !seen[d.ID] {
			rows = append(rows, deviceRow{DeviceCheck: report.DeviceCheck{Device: d.ID, Domain: d.Domain, Alerts: []report.DeviceAlert{}}})
		}
	}
	slices.SortFunc(rows, func(a, b deviceRow) int { return strings.Compare(a.Device, b.Device) })
	var out []deviceTable
	for _, g := range deviceGroups {
		if !seesDomain(role, g.Domain) {
			continue
		}
		t := deviceTable{Group: g.Group, Domain: g.Domain, Title: g.Title}
		for _, d := range rows {
			in, ok := info[d.Device]
			domain := d.Domain
			if ok && in.Domain != "" {
				domain = in.Domain
			}
			group := domain
			if in.Kind == kindHotelLink {
				group = "hotellink"
			}
			if group != g.Group {
				continue
			}
			d.Driver, d.Profile = in.Driver, in.Profile
			t.Devices = append(t.Devices, d)
		}
		out = append(out, t)
	}
	return out
}

// handoverMaxRemark bounds the remark kept in the journal.
const handoverMaxRemark = 2000

// handoverCheck records the closing shift's device check: the checks the
// operator ticked (only those the role's page offers) and the remark, in
// the session's shift (opened again if it was closed), then back to the
// page.
func (c *Console) handoverCheck(w http.ResponseWriter, r *http.Request, s session) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "the form cannot be read", http.StatusBadRequest)
		return
	}
	ticked := r.PostForm["check"]
	var items []string
	for _, it := range handoverItems {
		if (it.Domain == "all" || seesDomain(s.role, it.Domain)) && slices.Contains(ticked, it.Key) {
			items = append(items, it.Key)
		}
	}
	remark := strings.TrimSpace(r.PostFormValue("remark"))
	if len(remark) > handoverMaxRemark {
		http.Error(w, "the remark is too long", http.StatusUnprocessableEntity)
		return
	}
	ctx := r.Context()
	sh, _, err := c.ops.OpenShift(ctx, s.code, c.now())
	if err == nil && sh.ID != s.shift {
		s.shift = sh.ID
		c.sessions.setShift(s.id, sh.ID)
	}
	if err == nil {
		_, err = c.ops.RecordHandoverCheck(ctx, sh.ID, items, remark, c.now())
	}
	if err != nil {
		c.o.Log.Error("handover check not recorded", "operator", s.code, "err", err)
		http.Error(w, "the handover check could not be recorded", http.StatusInternalServerError)
		return
	}
	c.o.Log.Info("handover check", "operator", s.code, "shift", sh.ID, "items", len(items))
	http.Redirect(w, r, "/devices?checked=1", http.StatusSeeOther)
}
