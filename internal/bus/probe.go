package bus

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"switchboard/internal/events"
)

// ProbeAlert is the device alert the probe raises for the gateway's own
// bus session, and clears once the session is steady again.
const ProbeAlert = "bus-session-lost"

// Probe defaults (ProbeOptions).
const (
	DefaultProbeInterval = 30 * time.Second
	minProbeTimeout      = 2 * time.Second
	maxProbeTimeout      = 10 * time.Second
	// refusedInRow sessions in a row that the broker ended while a probe
	// was out, with none answered meanwhile, mean the broker refuses the
	// probe topic and closes the connection for it (MQTT 3.1.1 §3.3.5
	// allows that; Mosquitto 2.0.11 with max_queued_messages set does
	// it, even at QoS 0). Probing then pauses for 10 intervals, doubling
	// up to an hour, so a stale ACL costs a reconnect now and then
	// instead of one every interval.
	refusedInRow = 3
	maxPause     = time.Hour
)

// ProbeOptions configure a Probe.
type ProbeOptions struct {
	// Topic is where the probe goes and comes back: the gateway's own
	// edge/{gateway}/probe (events.Topics.Probe). Not the command topic:
	// a command is written to the command log and answered on a reply
	// topic, so probing through it would store a row and publish replies
	// every interval, and a probe must not depend on the parts it checks.
	// A topic of its own costs one small message each way, is published
	// by the gateway principal only (the broker's ACL), and rides the
	// same session and the same kind of QoS 1 subscription as commands.
	Topic string
	// Interval between probes (default 30 s).
	Interval time.Duration
	// Timeout: a probe not back within it is lost (default twice the
	// interval, at least 2 s and at most 10 s: long enough for a loaded
	// broker, short enough that a deaf gateway is found within 40 s).
	Timeout time.Duration
	// Device names the gateway in its alert.
	Device string
	// Payload makes the message that carries nonce (the gateway wraps it
	// in an envelope, as every message it publishes); nil sends the nonce.
	Payload func(nonce string) []byte
	// Alert records and publishes the alert raised or cleared. On an error
	// the probe keeps its state and tries again on the next occasion.
	Alert func(ctx context.Context, a events.Alert) error
	// Raised says the alert is open from an earlier run (the daemon
	// stopped before clearing it): the first steady probe clears it.
	Raised bool
	Log    *slog.Logger
}

// ProbeStats are the probe's counters since the start (for metrics).
type ProbeStats struct {
	Sent     int64 // probes published
	Answered int64 // probes that came back
	// Lost counts probes that did not come back: not within the timeout
	// on a session still up, or the broker ended their session while they
	// were out.
	Lost int64
	// TakenOver counts sessions the broker ended while it was reachable
	// (SessionLoss.Reachable) and no probe was out: the mark of a takeover.
	TakenOver int64
}

// Probe checks that the gateway's session to the broker still hears what
// is published to it. A session can go deaf without the connection
// failing: another client that connects with the gateway's client id
// takes its session over (MQTT 3.1.1 §3.1.4-2, MQTT 5 §3.1.4: "the Server
// MUST disconnect the existing Client"), and a broker can lose a
// session's subscriptions (a cluster node that takes the session over
// without them). So the gateway publishes a nonce on a topic it subscribes
// to, every Interval, and expects it back within Timeout.
//
// A probe that does not come back is logged and counted, the session is
// replaced (Client.Reconnect: a new session subscribes to everything
// again) and the alert raised. A session the broker ends while it stays
// reachable is a takeover under MQTT 3.1.1, which gives no reason: the
// alert is raised too. A broker that ends the session whenever the probe
// is published refuses the probe topic: after a few such sessions the
// alert says so and probing pauses. The alert is cleared by the first
// probe that comes back on a session at least one interval old, so that
// a takeover storm does not raise and clear it over and over.
type Probe struct {
	cl     *Client
	o      ProbeOptions
	log    *slog.Logger
	echo   chan []byte      // messages on the topic
	losses chan SessionLoss // sessions the broker ended

	// ProbeStats, read by any goroutine.
	sent, answered, lost, taken atomic.Int64

	// Run's own state.
	out      *pending      // the probe awaited, nil when none
	last     *pending      // the last probe sent
	raised   bool          // the alert is open
	raisedAt time.Time     // since when
	inRow    int           // probes not back in a row on live sessions
	refused  int           // sessions ended in a row with a probe out
	pause    time.Duration // the last pause after refusals
	paused   time.Time     // no probe before this
	since    ProbeStats    // the counters when the alert was last cleared
}

// pending is a probe sent.
type pending struct {
	want  []byte
	gen   uint64
	sent  time.Time
	back  bool
	timer *time.Timer
}

// NewProbe prepares a probe on cl: it subscribes to the topic (kept across
// reconnects) and watches cl's sessions. Run sends the probes.
func NewProbe(cl *Client, o ProbeOptions) *Probe {
	if o.Interval <= 0 {
		o.Interval = DefaultProbeInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = min(max(2*o.Interval, minProbeTimeout), maxProbeTimeout)
	}
	if o.Payload == nil {
		o.Payload = func(nonce string) []byte { return []byte(nonce) }
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	p := &Probe{cl: cl, o: o, log: log.With("component", "probe", "device", o.Device), raised: o.Raised,
		echo: make(chan []byte, 8), losses: make(chan SessionLoss, 8)}
	cl.Subscribe(o.Topic, func(m Message) {
		select {
		case p.echo <- m.Payload:
		default: // Run is behind: a probe dropped here is lost, and says so
		}
	})
	cl.OnLoss(func(l SessionLoss) {
		select {
		case p.losses <- l:
		default:
		}
	})
	return p
}

// Stats are the counters since the start.
func (p *Probe) Stats() ProbeStats {
	return ProbeStats{Sent: p.sent.Load(), Answered: p.answered.Load(), Lost: p.lost.Load(), TakenOver: p.taken.Load()}
}

// Lost is how many probes did not come back (for metrics).
func (p *Probe) Lost() int64 { return p.lost.Load() }

// Run probes until ctx ends.
func (p *Probe) Run(ctx context.Context) {
	tick := time.NewTicker(p.o.Interval)
	defer tick.Stop()
	defer p.drop()
	for {
		var expired <-chan time.Time
		if p.out != nil {
			expired = p.out.timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if p.out == nil && time.Now().After(p.paused) {
				p.send()
			}
		case l := <-p.losses:
			p.sessionLost(ctx, l)
		case m := <-p.echo:
			if p.out != nil && bytes.Equal(m, p.out.want) {
				p.out.back = true
				p.drop()
				p.backAgain(ctx)
			}
		case <-expired:
			p.expired(ctx)
		}
	}
}

// drop stops awaiting the current probe.
func (p *Probe) drop() {
	if p.out != nil {
		p.out.timer.Stop()
		p.out = nil
	}
}

// send publishes a probe on the current session, if there is one.
func (p *Probe) send() {
	if !p.connected() {
		return // the client is reconnecting; the status will tells
	}
	gen := p.cl.Generation()
	// A random nonce: a probe left over from an earlier session or
	// process, or one someone replays, never answers this one.
	payload := p.o.Payload(rand.Text())
	// Out from before it is handed to the client: a broker that refuses it
	// may end the session before PublishAsync returns, and a loss seen
	// before the probe's time was judged a takeover (it happened once
	// under load, 198 ms into a session).
	p.out = &pending{want: payload, gen: gen, sent: time.Now(), timer: time.NewTimer(p.o.Timeout)}
	p.last = p.out
	// QoS 1 like a command; the echo is the acknowledgement that counts,
	// so the token is not waited for.
	p.cl.PublishAsync(p.o.Topic, 1, false, payload)
	p.sent.Add(1)
}

// backAgain: the probe came back. The alert clears once the session has
// lasted an interval: during a takeover storm the gateway gets a session
// back, and its probe answered, between two takeovers.
func (p *Probe) backAgain(ctx context.Context) {
	p.answered.Add(1)
	p.inRow, p.refused, p.pause = 0, 0, 0
	if !p.raised || time.Since(p.cl.Since()) < p.o.Interval {
		return
	}
	s := p.Stats()
	a := events.Alert{Device: p.o.Device, Alert: ProbeAlert, State: "cleared", Severity: "info",
		Message: "the gateway hears its own probe again on a steady broker session",
		Detail:  fmt.Sprintf("%d probes lost and %d sessions ended by the broker", s.Lost-p.since.Lost, s.TakenOver-p.since.TakenOver)}
	if !p.raisedAt.IsZero() {
		a.Detail += " since " + p.raisedAt.Format(time.RFC3339)
	}
	if err := p.alert(ctx, a); err != nil {
		p.log.Error("bus session alert not cleared; tried again at the next probe", "err", err)
		return
	}
	p.raised, p.since = false, s
	p.log.Info("bus session steady again: alert cleared", "alert", ProbeAlert, "detail", a.Detail)
}

// expired: no answer within the timeout. If the session it went out on
// ended meanwhile, that loss is judged on its own (sessionLost); otherwise
// the session is deaf: it is replaced and the alert raised.
func (p *Probe) expired(ctx context.Context) {
	out := p.out
	p.drop()
	if out.gen != p.cl.Generation() || !p.connected() {
		return
	}
	p.lost.Add(1)
	p.inRow++
	msg := "the gateway no longer hears its own probe on the broker: its subscriptions were lost or its session taken over; " +
		"it reconnected and subscribed again. If this repeats, check that no other client uses this gateway's client id, " +
		"and that the broker's ACL lets the gateway publish and read " + p.o.Topic
	detail := fmt.Sprintf("probe sent %s not back within %s (%d lost in a row)", out.sent.Format(time.RFC3339), p.o.Timeout, p.inRow)
	if !p.raised {
		p.log.Warn("bus probe lost: reconnecting and subscribing again; another client may use this gateway's client id: check the broker's ACL/credentials",
			"topic", p.o.Topic, "timeout", p.o.Timeout, "lost", p.inRow)
	} else {
		p.log.Info("bus probe lost again", "topic", p.o.Topic, "lost", p.inRow)
	}
	// Reconnect at the 1st, 2nd, 4th, 8th ... lost probe in a row, then
	// every 64th: a broker that drops the probe for good (an ACL that
	// lets the gateway publish it but not read it) must not cost a
	// reconnect every interval.
	if p.inRow&(p.inRow-1) == 0 || p.inRow%64 == 0 {
		p.cl.Reconnect()
	}
	p.raise(ctx, msg, detail)
}

// sessionLost judges a session the broker ended. Reachable at once, it
// was the broker's doing: a takeover under MQTT 3.1.1, unless the probe
// was out on that session, when the probe itself may be the cause.
func (p *Probe) sessionLost(ctx context.Context, l SessionLoss) {
	if !l.Reachable {
		return // the broker went away: the status will says so, not this alert
	}
	if last := p.last; last != nil && !last.back && last.gen == l.Gen && !l.At.Before(last.sent) && l.At.Sub(last.sent) < p.o.Timeout {
		if p.out == last {
			p.drop()
		}
		p.lost.Add(1)
		p.refused++
		p.log.Info("the broker ended the session while the probe was out", "lasted", l.Lasted.Round(time.Millisecond), "err", l.Err, "in_a_row", p.refused)
		if p.refused >= refusedInRow {
			p.refusedProbe(ctx)
		}
		return
	}
	p.refused = 0
	p.taken.Add(1)
	msg := "the broker ended the gateway's session and accepted it again at once: another client probably connected with " +
		"this gateway's client id. Check the broker's ACL and credentials (Mosquitto: use_username_as_clientid) and that no " +
		"second gateway runs with this configuration"
	detail := fmt.Sprintf("a session of %s ended (%v)", l.Lasted.Round(time.Millisecond), l.Err)
	if !p.raised {
		p.log.Warn("bus session taken over: another client uses this gateway's client id; check the broker's ACL/credentials",
			"lasted", l.Lasted.Round(time.Millisecond), "err", l.Err)
	} else {
		p.log.Info("bus session taken over again", "lasted", l.Lasted.Round(time.Millisecond), "err", l.Err)
	}
	p.raise(ctx, msg, detail)
}

// refusedProbe: the broker closes the session for the probe itself.
// Probing pauses (10 intervals, doubling up to an hour) and the alert
// names the fix.
func (p *Probe) refusedProbe(ctx context.Context) {
	p.pause = min(max(2*p.pause, 10*p.o.Interval), maxPause)
	p.paused = time.Now().Add(p.pause)
	msg := "the broker ends the gateway's session whenever the gateway publishes its probe on " + p.o.Topic +
		": its ACL does not let the gateway publish there. Give the gateway's user write access to it " +
		"(docs/mosquitto.acl.example); probing is paused meanwhile"
	detail := fmt.Sprintf("%d sessions in a row ended with the probe out; next probe in %s", p.refused, p.pause)
	p.log.Error("the broker refuses the bus probe and closes the session for it: give the gateway write access to the probe topic; probing paused",
		"topic", p.o.Topic, "pause", p.pause)
	p.raise(ctx, msg, detail)
}

func (p *Probe) raise(ctx context.Context, msg, detail string) {
	if p.raised {
		return
	}
	a := events.Alert{Device: p.o.Device, Alert: ProbeAlert, State: "raised", Severity: "critical", Message: msg, Detail: detail}
	if err := p.alert(ctx, a); err != nil {
		p.log.Error("bus session alert not raised; tried again on the next loss", "err", err)
		return
	}
	p.raised, p.raisedAt = true, time.Now()
}

func (p *Probe) alert(ctx context.Context, a events.Alert) error {
	if p.o.Alert == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.o.Alert(ctx, a); err != nil {
		return fmt.Errorf("bus probe: %s %s: %w", a.Alert, a.State, err)
	}
	return nil
}

func (p *Probe) connected() bool {
	select {
	case <-p.cl.Up():
		return true
	default:
		return false
	}
}
