package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/events"
	"switchboard/internal/transport/ptytest"
	"switchboard/test/peers"
)

// avayaRecord is the i-th of a stream of distinct Avaya SMDR records.
func avayaRecord(i int) string {
	at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * 3 * time.Second)
	return fmt.Sprintf("%s,00:01:%02d,%d,%d,O,00%d,00%d,,0,%d,0,E%d,Room,T9001,LINE 1.1,0,0\r\n",
		at.Format("2006/01/02 15:04:05"), i%60, i%20, 1000+i%300, 8613800000000+i, 8613800000000+i, 2000000+i, 1000+i%300)
}

// benchGateway runs a gateway with one device and a subscriber that
// timestamps every call.recorded event by its journal line.
func benchGateway(b *testing.B, dev config.Device) (*Gateway, *arrivals, func()) {
	cfg := &config.Config{
		Site:    config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store:   config.Store{Path: filepath.Join(b.TempDir(), "sb.db")},
		MQTT:    config.MQTT{Embedded: testBroker(peers.FreePort(b))},
		Devices: []config.Device{dev},
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, err := New(ctx, cfg, quiet)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- g.Run(ctx) }()
	a := &arrivals{at: map[string]time.Time{}, kick: make(chan struct{}, 1)}
	cl, err := bus.NewClient(bus.ClientOptions{URLs: []string{g.BrokerURL()}, ClientID: "bench-sub", Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	cl.Subscribe("hotel/acme/h042/pbx/+/event/call.recorded", a.add)
	cl.Start()
	if err := cl.WaitConnected(context.Background()); err != nil {
		b.Fatal(err)
	}
	return g, a, func() { cl.Disconnect(0); cancel(); <-done }
}

type arrivals struct {
	mu   sync.Mutex
	at   map[string]time.Time // call_id -> arrival
	kick chan struct{}
}

func (a *arrivals) add(m bus.Message) {
	now := time.Now()
	var env events.Envelope
	var rec events.CallRecorded
	if json.Unmarshal(m.Payload, &env) != nil || json.Unmarshal(env.Data, &rec) != nil {
		return
	}
	a.mu.Lock()
	if _, ok := a.at[rec.CallID]; !ok {
		a.at[rec.CallID] = now
	}
	a.mu.Unlock()
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

func (a *arrivals) wait(b *testing.B, n int, within time.Duration) {
	deadline := time.After(within)
	for {
		a.mu.Lock()
		got := len(a.at)
		a.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-a.kick:
		case <-deadline:
			b.Fatalf("%d of %d calls arrived within %s", got, n, within)
		}
	}
}

// BenchmarkAvayaReplay3000: the burst case of issue 3. An Avaya IP Office
// reconnects (it is the TCP client) and replays 3,000 buffered records; the
// figure is the time from its first byte to the last call.recorded event at
// a subscriber. Target: within 2 s.
func BenchmarkAvayaReplay3000(b *testing.B) {
	const n = 3000
	var payload strings.Builder
	for i := 0; i < n; i++ {
		payload.WriteString(avayaRecord(i))
	}
	for i := 0; i < b.N; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", peers.FreePort(b))
		_, a, stop := benchGateway(b, config.Device{ID: "pbx1", Driver: "pbx", Profile: "avaya-ipoffice",
			Transport: config.Transport{TCP: &config.TCP{Listen: addr}}})
		var c net.Conn
		var err error
		for try := 0; try < 100; try++ {
			if c, err = net.Dial("tcp", addr); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := c.Write([]byte(payload.String())); err != nil {
			b.Fatal(err)
		}
		a.wait(b, n, 30*time.Second)
		elapsed := time.Since(start)
		c.Close()
		stop()
		b.ReportMetric(elapsed.Seconds()*1000, "ms/replay")
		b.ReportMetric(n/elapsed.Seconds(), "records/s")
	}
}

// BenchmarkSMDRLatencyPty: lines written to a pty master, read by the
// gateway through go.bug.st/serial, journaled and recorded with
// synchronous=FULL, published, and received by a subscriber: p50 and p99
// from the last byte of a line to the MQTT message, over 10,000 calls.
func BenchmarkSMDRLatencyPty(b *testing.B) {
	const n = 10000
	for i := 0; i < b.N; i++ {
		link := filepath.Join(b.TempDir(), "ttyPBX")
		pty := ptytest.New(b, link)
		_, a, stop := benchGateway(b, config.Device{ID: "pbx1", Driver: "pbx", Profile: "avaya-ipoffice",
			Transport: config.Transport{Serial: &config.Serial{Port: link, Baud: 9600, DataBits: 8, Parity: "none", StopBits: "1", Flow: "none"}}})
		time.Sleep(500 * time.Millisecond) // the port opens
		sent := make(map[string]time.Time, n)
		for k := 0; k < n; k++ {
			rec := avayaRecord(k)
			if _, err := pty.Write([]byte(rec)); err != nil {
				b.Fatal(err)
			}
			sent[fmt.Sprint(2000000+k)] = time.Now()
			// 9600 baud carries about 10 records a second; a pty has no
			// speed, so pace at 1 ms (100x the line) to measure latency, not
			// queueing.
			time.Sleep(time.Millisecond)
		}
		a.wait(b, n, 60*time.Second)
		stop()
		lat := make([]time.Duration, 0, n)
		a.mu.Lock()
		for id, t0 := range sent {
			lat = append(lat, a.at[id].Sub(t0))
		}
		a.mu.Unlock()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
