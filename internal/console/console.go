// Package console is the front-office web console: operators sign in with
// their code and PIN, which opens their shift; the pages send the desks'
// commands through the gateway's command router (the same validation,
// dedupe and replies as MQTT commands) under the operator's code and
// shift; closing the shift records its journal (結帳程序). Pages are
// server-rendered html/template with embedded assets and little
// JavaScript; every role sees and does only its own work.
package console

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/operators"
	"switchboard/internal/pdf"
	"switchboard/internal/rating"
	"switchboard/internal/store"
	"switchboard/internal/wakeup"
)

// Host is the console's side of the gateway: it sends a command through
// the gateway's command router as principal by and returns its final
// reply (or the accepted one if the device is still working on it), and
// gives the store the pages read.
type Host interface {
	Command(ctx context.Context, domain, device, name string, data any, by bus.Principal) (bus.Reply, error)
	Store() *store.Store
}

// Options configure a Console. Host and Location are required.
type Options struct {
	Host     Host
	Location *time.Location // the site's zone: times are shown in it
	// Operators is the operators store; default operators.New(Host.Store()).
	Operators *operators.Store
	// Secure marks the session cookie Secure: the console is served over TLS.
	Secure bool
	// Gateway is the gateway's id (its edge/{gateway} device): the edge
	// commands are addressed to it: call.resolve, and without a hotel link
	// the rooms page's folio.checkin/folio.checkout (rooms_stay.go).
	Gateway string
	// HotelLink is the device wake-ups are set on ("": the wake-up page
	// says that none is configured).
	HotelLink string
	// IdleTimeout ends a session not used for that long; default 30 minutes.
	IdleTimeout time.Duration
	// Now is the clock; default time.Now (tests move it).
	Now func() time.Time
	Log *slog.Logger
	// Rooms are the configured guest rooms in order (folio.Directory.GuestRooms): the room grid.
	Rooms []string
	// LivePoll is how often the live feed reads the outbox; default DefaultLivePoll.
	LivePoll time.Duration
	// MaskDialed masks a dialed number as the events do (billing.mask_dialed);
	// nil shows numbers as the ledger keeps them (mask_dialed 0).
	MaskDialed func(string) string
	// Devices are the configured devices (driver, profile, domain) the
	// devices page names; nil: the page lists what the store knows.
	Devices []DeviceInfo
	// BusinessTariff prices a print job on the print page's confirm step:
	// the print desk's tariff (business.LoadTariff of billing.business_tariff);
	// nil: the print page cannot quote, so it does not print.
	BusinessTariff *rating.BusinessTariff
	// MediaSize is a printer's tariff size of a PWG media name (the
	// driver's printer.Printer.SizeOf), "" when its profile does not know it.
	MediaSize func(device, media string) string
	// MaxDocument bounds a document uploaded to print; default
	// printer.MaxDocument (what print.submit takes).
	MaxDocument int
	// Hotel names the property on every page of a report's PDF
	// (site.property); "" leaves it out.
	Hotel string
	// PDFFont is a TrueType font with Chinese glyphs for the reports'
	// PDFs (pdf.LoadTrueType); nil: the PDFs are in English and Chinese
	// characters print as '?'.
	PDFFont *pdf.TrueType
	// Fax is the fax desk's side of the fax pages (fax.go); nil: the
	// register is shown, nothing can be sent.
	Fax *FaxOptions
	// COSChoices are the classes of service the hotel link's PBX profile
	// maps (the desk refuses the others); nil, or an empty list: every
	// class a command may name (hotel.COSValues).
	COSChoices func() []string
}

// DefaultIdleTimeout ends an unattended session.
const DefaultIdleTimeout = 30 * time.Minute

// Console is the console's http.Handler.
type Console struct {
	o        Options
	ops      *operators.Store
	sessions *sessions
	throttle *signinThrottle
	pages    map[string]*template.Template
	mux      *http.ServeMux
	wake     *wakeup.Schedule
	feed     *Feed
	// faxUploads are the quoted faxes waiting for their confirmation.
	faxUploads *faxUploads
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New builds the console.
func New(o Options) (*Console, error) {
	if o.Host == nil || o.Location == nil {
		return nil, fmt.Errorf("console: Host and Location are required")
	}
	if o.Operators == nil {
		o.Operators = operators.New(o.Host.Store())
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	o.Log = o.Log.With("component", "console")
	wake, err := wakeup.New(wakeup.Config{Location: o.Location})
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{o: o, ops: o.Operators, sessions: newSessions(o.IdleTimeout), throttle: newSigninThrottle(), pages: pages, mux: http.NewServeMux(), wake: wake,
		faxUploads: newFaxUploads()}
	if o.LivePoll <= 0 {
		o.LivePoll = DefaultLivePoll
	}
	if o.MaskDialed == nil {
		o.MaskDialed = func(d string) string { return d }
	}
	c.o, c.feed = o, newFeed(o.Host.Store(), o.LivePoll, o.Log)
	c.routes()
	return c, nil
}

// Every role, for routes any signed-in operator may use.
var everyone = []operators.Role{operators.RoleOperator, operators.RoleBusiness, operators.RoleSupervisor, operators.RoleAdmin}

func (c *Console) routes() {
	static, _ := fs.Sub(staticFS, "static")
	c.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	c.mux.HandleFunc("GET /signin", c.signinPage)
	c.mux.HandleFunc("POST /signin", c.signin)
	c.mux.Handle("POST /signout", c.page(everyone, c.signout))
	c.mux.Handle("GET /{$}", c.page(everyone, c.home))
	c.mux.Handle("GET /shift", c.page(everyone, c.shiftPage))
	c.mux.Handle("POST /shift/close", c.page(everyone, c.closeShift))
	// Wake-ups are the switchboard's (叫醒服務), not the business centre's.
	desk := []operators.Role{operators.RoleOperator, operators.RoleSupervisor, operators.RoleAdmin}
	c.mux.Handle("GET /wakeups", c.page(desk, c.wakeupsPage))
	c.mux.Handle("POST /wakeups/confirm", c.page(desk, c.wakeupConfirm))
	c.mux.Handle("POST /wakeups/set", c.page(desk, c.wakeupSet))
	c.mux.Handle("POST /wakeups/cancel", c.page(desk, c.wakeupCancel))
	c.mux.Handle("GET /wakeups/board", c.page(desk, c.wakeupBoard)) // wakeups_live.go
	c.mux.Handle("POST /wakeups/ack", c.page(desk, c.wakeupAck))
	// Reports are for supervisors (前廳部: reports printed only with the manager's approval).
	c.reportRoutes([]operators.Role{operators.RoleSupervisor, operators.RoleAdmin}) // reports.go, dayclose.go
	c.mux.Handle("GET /api/session", c.api(everyone, c.apiSession))
	c.mux.Handle("GET /events", c.api(everyone, c.eventStream))
	c.roomRoutes(desk) // rooms.go: the room grid and cards, the switchboard's
	c.mux.Handle("GET /calls", c.page(desk, c.callsPage))
	c.mux.Handle("POST /calls/resolve", c.page(resolvers, c.callResolve)) // calls_resolve.go
	c.mux.Handle("POST /emergency/ack", c.page(desk, c.emergencyAck))
	c.mux.Handle("GET /api/emergencies", c.api(desk, c.apiEmergencies))
	c.mux.Handle("GET /devices", c.page(everyone, c.devicesPage)) // devices.go: each role its domains
	c.mux.Handle("POST /devices/handover", c.page(everyone, c.handoverCheck))
	c.printRoutes() // print.go, copy.go: the business centre's print and copy desk
	c.faxRoutes()   // fax.go, fax_inbox.go: the business centre's

	// operators_admin.go: admins manage operators, supervisors look;
	// pin_change.go: a one-time PIN is replaced before anything else.
	c.operatorRoutes()
	c.pinChangeRoutes()
}

// ServeHTTP serves the console with its security headers: pages are never
// cached, framed or sniffed, and load scripts and styles only from itself.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	if c.o.Secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	c.mux.ServeHTTP(w, r)
}

// now is the console's clock.
func (c *Console) now() time.Time { return c.o.Now() }
