package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options are what the handler serves from.
type Options struct {
	Source
	// BusUp reports whether the MQTT session is connected; nil: not checked.
	BusUp func() bool
}

// errDryRun rolls back the /readyz write probe.
var errDryRun = errors.New("dry run")

// NewHandler serves /metrics (a registry of its own: the ledger collector
// and the Go runtime's), /healthz (the process answers) and /readyz (the
// store takes a write, the bus is connected, every device is linked).
func NewHandler(o Options) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(o.Source), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slogPrinter{o.Source}, Timeout: ScrapeTimeout + time.Second}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), ScrapeTimeout)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if not := notReady(ctx, o); len(not) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, strings.Join(not, "\n"))
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

// notReady lists what is not ready, one line each.
func notReady(ctx context.Context, o Options) []string {
	var not []string
	if err := StoreWritable(ctx, o.Store); err != nil {
		not = append(not, err.Error())
	}
	if o.BusUp != nil && !o.BusUp() {
		not = append(not, "bus: not connected")
	}
	links, err := LinkStates(ctx, o.Store, o.Devices)
	if err != nil {
		return append(not, fmt.Sprintf("devices: link states unreadable: %v", err))
	}
	for _, d := range o.Devices {
		if s := links[d.ID]; s != "connected" {
			if s == "" {
				s = "no link state yet"
			}
			not = append(not, fmt.Sprintf("device %s: %s", d.ID, s))
		}
	}
	return not
}

// slogPrinter is promhttp's error log.
type slogPrinter struct{ src Source }

func (p slogPrinter) Println(v ...any) {
	if p.src.Log != nil {
		p.src.Log.Warn("metrics: " + fmt.Sprint(v...))
	}
}
