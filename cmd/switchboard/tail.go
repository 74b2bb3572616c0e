package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/events"
)

// brokerClient connects to the running gateway's broker as a separate client.
func brokerClient(cfg *config.Config, role string) (*bus.Client, error) {
	var o bus.ClientOptions
	if x := cfg.MQTT.External; x != nil {
		o = bus.ClientOptions{URLs: x.URLs, Username: x.Username, Password: x.Password, CAFile: x.CA, CertFile: x.Cert, KeyFile: x.Key}
	} else {
		o.URLs = embeddedURLs(cfg)
		// Over TLS the loopback fallback trusts exactly the broker's own
		// certificate (a certificate it cannot read leaves the system's
		// roots). With client_ca it cannot get in (the CLI holds no client
		// certificate); the socket is then its only way.
		if e := cfg.MQTT.Embedded; e != nil && e.TLS != nil {
			if tc, err := bus.PinnedTLS(e.TLS.Cert); err == nil {
				o.TLS = tc
			}
		}
		// On the gateway's machine the CLI acts as the local principal
		// through the broker's unix socket, which the store folder's
		// permissions guard; a user the socket refuses falls back to
		// loopback, where a client without a username only reads.
		if sock := bus.LocalSocket(cfg.Store.Path); isSocket(sock) {
			o.URLs = append([]string{"unix://" + sock}, o.URLs...)
		}
	}
	// One client id per session, not per process: a second session with
	// the same id takes the first one over (MQTT 3.1.1 §3.1.4-2), and the
	// broker's clean-up of the first, ending just then, unsubscribed the
	// second's reply topic (seen when a test process ran CLI commands one
	// after another: a reply never arrived).
	host, _ := os.Hostname()
	var nonce [4]byte
	_, _ = rand.Read(nonce[:])
	o.ClientID = fmt.Sprintf("switchboard-%s-%s-%d-%x", role, host, os.Getpid(), nonce)
	o.Log = discardLogger()
	return bus.NewClient(o)
}

func tailFlags(fl *pflag.FlagSet) action {
	configFlag := fl.String("config", "", "config file (default $"+config.EnvVar+", else "+config.DefaultPath+")")
	topic := fl.String("topic", "", "topic filter (default: everything of this property, hotel/{group}/{property}/#)")
	asJSON := fl.Bool("json", false, "print each message's raw JSON payload, one per line")
	ack := fl.Bool("ack", false, "acknowledge events as consumed (act as the back office): only up to the highest seq with none missing before it; a gap that lasts is asked for again (replay); the gateway may then purge them")
	count := fl.Int("count", 0, "exit after this many messages (0 = run until interrupted)")
	timeout := fl.Duration("timeout", 0, "give up after this long (0 = no limit); exit 1 if --count was not reached")
	return func(pos []string, stdout, stderr io.Writer) int {
		cfg, ok := loadConfig(*configFlag, stderr)
		if !ok {
			return 2
		}
		topics := events.Topics{Group: cfg.Site.Group, Property: cfg.Site.Property, Gateway: cfg.Site.Gateway}
		filter := *topic
		if filter == "" {
			filter = "hotel/" + cfg.Site.Group + "/" + cfg.Site.Property + "/#"
		}
		cl, err := brokerClient(cfg, "tail")
		if err != nil {
			fmt.Fprintf(stderr, "switchboard tail: %v\n", err)
			return 2
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if *timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, *timeout)
			defer cancel()
		}
		var mu sync.Mutex
		n := 0
		done := make(chan struct{})
		// The back office's rule (docs/events.md): acknowledge only the
		// highest seq up to which every event arrived, and ask for a gap again.
		var cur bus.Cursor
		replay := func(from int64) {
			payload := fmt.Appendf(nil, `{"from":%d}`, from)
			env := events.Envelope{SpecVersion: events.SpecVersion, ID: fmt.Sprintf("tail-replay-%d-%d", os.Getpid(), time.Now().UnixNano()),
				Source: "/cli/tail", Type: "hotel.edge.cmd.replay", Time: time.Now(), DataContentType: "application/json",
				DataSchema: events.SchemaURI("hotel.edge.cmd.replay"), ReplyTo: fmt.Sprintf("tail-%d", os.Getpid()), Data: payload}
			msg, _ := json.Marshal(env)
			cl.PublishAsync(topics.Command("edge", topics.Gateway, "replay"), 1, false, msg)
			fmt.Fprintf(stderr, "switchboard tail: seq %d missing; asked the gateway to send again from it\n", from)
		}
		cl.Subscribe(filter, func(m bus.Message) {
			mu.Lock()
			defer mu.Unlock()
			if *count > 0 && n >= *count {
				return
			}
			n++
			if *asJSON {
				fmt.Fprintf(stdout, "%s\n", bytes.TrimSpace(m.Payload))
			} else {
				fmt.Fprintln(stdout, formatMessage(m))
			}
			var env events.Envelope
			if *ack && json.Unmarshal(m.Payload, &env) == nil && env.Seq > 0 {
				if upto := cur.See(env.SeqEpoch, env.Seq, time.Now()); upto > 0 {
					cl.PublishAsync(topics.Ack(), 1, false, fmt.Appendf(nil, `{"seq":%d,"seqepoch":%q}`, upto, env.SeqEpoch))
				}
			}
			if *count > 0 && n == *count {
				close(done)
			}
		})
		cl.Start()
		connectCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := cl.WaitConnected(connectCtx); err != nil {
			cancel()
			fmt.Fprintf(stderr, "switchboard tail: no broker answers at %s: is `switchboard run` running? (%v)\n", strings.Join(brokerURLs(cfg), ", "), err)
			return 1
		}
		cancel()
		fmt.Fprintf(stderr, "switchboard tail: subscribed to %s\n", filter)
		gaps := time.NewTicker(time.Second)
		defer gaps.Stop()
	wait:
		for {
			select {
			case <-done:
				break wait
			case <-ctx.Done():
				break wait
			case <-gaps.C:
				mu.Lock()
				from := cur.Gap(time.Now(), 5*time.Second)
				mu.Unlock()
				if *ack && from > 0 {
					replay(from)
				}
			}
		}
		cl.Disconnect(250 * time.Millisecond)
		if *count > 0 && n < *count {
			fmt.Fprintf(stderr, "switchboard tail: %d of %d messages before the timeout\n", n, *count)
			return 1
		}
		return 0
	}
}

func isSocket(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}

func brokerURLs(cfg *config.Config) []string {
	if cfg.MQTT.External != nil {
		return cfg.MQTT.External.URLs
	}
	return embeddedURLs(cfg)
}

// embeddedURLs is the loopback URL of the embedded broker's TCP listener:
// ssl:// when it serves TLS, 127.0.0.1 or ::1 when it listens on every
// interface.
func embeddedURLs(cfg *config.Config) []string {
	e := cfg.MQTT.Embedded
	if e == nil {
		e = &config.EmbeddedBroker{}
	}
	listen := cmp.Or(e.Listen, config.DefaultListen)
	if h, p, err := net.SplitHostPort(listen); err == nil {
		switch h {
		case "", "0.0.0.0":
			listen = net.JoinHostPort("127.0.0.1", p)
		case "::":
			listen = net.JoinHostPort("::1", p)
		}
	}
	if e.TLS != nil {
		return []string{"ssl://" + listen}
	}
	return []string{"tcp://" + listen}
}

// formatMessage renders one message on one line:
// 09:41:07 #12 hotel.pbx.call.recorded pbx/pbx1 room/1203 dialed=00813... duration_s=65
func formatMessage(m bus.Message) string {
	var env events.Envelope
	if err := json.Unmarshal(m.Payload, &env); err != nil || env.Type == "" {
		return fmt.Sprintf("%s (not an event) %.120s", m.Topic, m.Payload)
	}
	var b strings.Builder
	b.WriteString(env.Time.Format("15:04:05"))
	if env.Seq > 0 {
		fmt.Fprintf(&b, " #%d", env.Seq)
	}
	if m.Retained {
		b.WriteString(" (retained)")
	}
	b.WriteString(" ")
	b.WriteString(env.Type)
	if i := strings.Index(env.Source, "/hotel/"); i >= 0 {
		parts := strings.Split(strings.Trim(env.Source[i+len("/hotel/"):], "/"), "/")
		if len(parts) >= 4 {
			b.WriteString(" " + parts[2] + "/" + parts[3])
		}
	}
	if env.Subject != "" {
		b.WriteString(" " + env.Subject)
	}
	var data map[string]any
	if json.Unmarshal(env.Data, &data) == nil {
		keys := make([]string, 0, len(data))
		for k, v := range data {
			switch v.(type) {
			case map[string]any, []any, nil:
				continue
			}
			if k == "raw" {
				continue
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s := fmt.Sprint(data[k])
			if s == "" {
				continue
			}
			if strings.ContainsAny(s, " \t") {
				s = fmt.Sprintf("%q", s)
			}
			b.WriteString(" " + k + "=" + s)
		}
	}
	return b.String()
}
