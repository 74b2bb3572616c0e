package bus

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"switchboard/internal/config"
	"switchboard/internal/passwd"
	"switchboard/test/peers"
)

// login is a client's username and password ("" for anonymous).
type login struct{ user, pass string }

// startTestBroker starts an embedded broker for the site of topics with a
// backoffice user, an operator and a readonly user (the password of each
// is its name reversed), anonymous readonly, and gwClient as the gateway's
// client id. It returns the backoffice's login.
func startTestBroker(t *testing.T, gwClient string) (*Broker, login) {
	t.Helper()
	br, err := StartBroker(BrokerOptions{Listen: "127.0.0.1:0", Topics: topics, Users: testUsers(t), Anonymous: RoleReadonly,
		GatewayClientID: gwClient, Socket: filepath.Join(t.TempDir(), "mqtt.sock"), Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.Close() })
	return br, login{"bo", "ob"}
}

// testUsers are a backoffice user bo, an operator op and a readonly user
// ro, the password of each its name reversed.
func testUsers(t *testing.T) []User {
	t.Helper()
	var users []User
	for _, u := range []struct {
		name string
		role Role
	}{{"bo", RoleBackoffice}, {"op", RoleOperator}, {"ro", RoleReadonly}} {
		h, err := passwd.Hash(reverse(u.name))
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, User{Username: u.name, PasswordHash: h, Role: u.role})
	}
	return users
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// connects says whether a client connects to url as who with client id
// (the broker's CONNACK, not a retry loop: a refusal answers at once).
func connects(t *testing.T, url, id string, who login) bool {
	t.Helper()
	return connectsTLS(t, url, id, who, nil)
}

// connectsTLS is connects with a TLS configuration for an ssl:// url.
func connectsTLS(t *testing.T, url, id string, who login, tc *tls.Config) bool {
	t.Helper()
	o := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetUsername(who.user).SetPassword(who.pass).
		SetAutoReconnect(false).SetConnectTimeout(3 * time.Second).SetTLSConfig(tc)
	c := paho.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(5 * time.Second) {
		t.Fatalf("client %s: no CONNACK within 5 s", id)
	}
	if tok.Error() != nil {
		return false
	}
	c.Disconnect(0)
	return true
}

func TestBrokerAuthentication(t *testing.T) {
	br, bo := startTestBroker(t, "switchboard-h042-gw1")
	gwUser, gwPass := br.GatewayCredential()
	for _, tc := range []struct {
		name string
		url  string
		id   string
		who  login
		ok   bool
	}{
		{"anonymous on loopback", br.URL(), "anon", login{}, true},
		{"backoffice", br.URL(), "pms", bo, true},
		{"operator", br.URL(), "desk", login{"op", "po"}, true},
		{"readonly", br.URL(), "screen", login{"ro", "or"}, true},
		{"wrong password", br.URL(), "pms2", login{"bo", "wrong"}, false},
		{"unknown user", br.URL(), "pms3", login{"nobody", "ob"}, false},
		{"the gateway's client id, anonymous", br.URL(), "switchboard-h042-gw1", login{}, false},
		{"the gateway's client id, as the backoffice", br.URL(), "switchboard-h042-gw1", bo, false},
		{"the gateway's credential, another client id", br.URL(), "thief", login{gwUser, gwPass}, false},
		{"the gateway's name, a guessed password", br.URL(), "switchboard-h042-gw1", login{gwUser, "guess"}, false},
		{"the gateway", br.URL(), "switchboard-h042-gw1", login{gwUser, gwPass}, true},
	} {
		if got := connects(t, tc.url, tc.id, tc.who); got != tc.ok {
			t.Errorf("%s: connected=%v, want %v", tc.name, got, tc.ok)
		}
	}
	for _, tc := range []struct {
		remote string
		want   bool
	}{{"127.0.0.1:5555", true}, {"[::1]:5555", true}, {"192.0.2.7:5555", false}, {"garbage", false}} {
		if got := isLoopback(tc.remote); got != tc.want {
			t.Errorf("isLoopback(%q) = %v", tc.remote, got)
		}
	}
}

func TestBrokerAnonymousNone(t *testing.T) {
	br, err := StartBroker(BrokerOptions{Listen: "127.0.0.1:0", Topics: topics, GatewayClientID: "gw", Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	if connects(t, br.URL(), "anon", login{}) {
		t.Error("anonymous client connected with anonymous: none")
	}
}

// watcher is a backoffice client that records what reaches the property.
type watcher struct {
	mu   sync.Mutex
	got  map[string][]byte
	kick chan struct{}
}

func watch(t *testing.T, url string, who login) *watcher {
	t.Helper()
	return watchTLS(t, url, who, nil)
}

// watchTLS is watch with a TLS configuration for an ssl:// url.
func watchTLS(t *testing.T, url string, who login, tc *tls.Config) *watcher {
	t.Helper()
	w := &watcher{got: map[string][]byte{}, kick: make(chan struct{}, 1)}
	cl, err := NewClient(ClientOptions{URLs: []string{url}, ClientID: "watcher", Username: who.user, Password: who.pass, TLS: tc, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cl.Subscribe("hotel/acme/h042/#", func(m Message) {
		w.mu.Lock()
		w.got[m.Topic+"|"+string(m.Payload)] = m.Payload
		w.mu.Unlock()
		select {
		case w.kick <- struct{}{}:
		default:
		}
	})
	cl.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cl.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Disconnect(0) })
	time.Sleep(100 * time.Millisecond) // the SUBACK
	return w
}

// saw waits up to d for a message of topic with payload.
func (w *watcher) saw(topic, payload string, d time.Duration) bool {
	deadline := time.After(d)
	for {
		w.mu.Lock()
		_, ok := w.got[topic+"|"+payload]
		w.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-w.kick:
		case <-deadline:
			return false
		}
	}
}

// roleCase is one publish a principal tries, and whether a backoffice
// subscriber must see it.
type roleCase struct {
	who      string
	as       login
	topic    string
	retained bool
	ok       bool
	// embeddedOnly: Mosquitto's ACL cannot refuse the RETAIN flag.
	embeddedOnly bool
}

func roleCases(gw, bo, op, ro login) []roleCase {
	return []roleCase{
		{who: "anonymous", topic: "hotel/acme/h042/pbx/pbx1/event/call.charged"},
		{who: "anonymous", topic: "hotel/acme/h042/pbx/pbx1/state/room/1203", retained: true},
		{who: "anonymous", topic: "hotel/acme/h042/pbx/link1/cmd/guest.checkout"},
		{who: "anonymous", topic: "hotel/acme/h042/edge/gw1/ack"},
		{who: "readonly", as: ro, topic: "hotel/acme/h042/pbx/pbx1/event/call.charged"},
		{who: "readonly", as: ro, topic: "hotel/acme/h042/edge/gw1/cmd/replay"},
		{who: "operator", as: op, topic: "hotel/acme/h042/edge/gw1/ack"},
		{who: "operator", as: op, topic: "hotel/acme/h042/edge/gw1/cmd/replay"},
		{who: "operator", as: op, topic: "hotel/acme/h042/edge/gw1/cmd/folio.checkout"},
		{who: "operator", as: op, topic: "hotel/acme/h042/pbx/pbx1/event/call.charged"},
		{who: "operator", as: op, topic: "hotel/acme/h042/pbx/link1/cmd/wakeup.set", retained: true, embeddedOnly: true},
		{who: "operator", as: op, topic: "hotel/acme/h042/pbx/link1/cmd/wakeup.set", ok: true},
		{who: "backoffice", as: bo, topic: "hotel/acme/h042/pbx/pbx1/event/call.charged"},
		{who: "backoffice", as: bo, topic: "hotel/acme/h042/pbx/pbx1/state/link", retained: true},
		{who: "backoffice", as: bo, topic: "hotel/acme/h042/edge/gw1/status", retained: true},
		{who: "backoffice", as: bo, topic: "hotel/acme/h042/edge/gw1/cmd/folio.checkout", ok: true},
		{who: "backoffice", as: bo, topic: "hotel/acme/h042/edge/gw1/ack", ok: true},
		// The session probe (probe.go) is the gateway's alone: a forged one
		// could answer for a deaf gateway if it ever matched a nonce.
		{who: "anonymous", topic: "hotel/acme/h042/edge/gw1/probe"},
		{who: "operator", as: op, topic: "hotel/acme/h042/edge/gw1/probe"},
		{who: "backoffice", as: bo, topic: "hotel/acme/h042/edge/gw1/probe"},
		{who: "gateway", as: gw, topic: "hotel/acme/h042/edge/gw1/probe", ok: true},
		{who: "gateway", as: gw, topic: "hotel/acme/h042/pbx/pbx1/event/call.charged", ok: true},
		{who: "gateway", as: gw, topic: "hotel/acme/h042/pbx/pbx1/state/link", retained: true, ok: true},
	}
}

// checkRoles has each case's principal publish at QoS 1 on url; w must see
// exactly the allowed ones. Then a late subscriber finds the gateway's
// retained state and no one else's.
func checkRoles(t *testing.T, url string, w *watcher, cases []roleCase, gwClient string, embedded bool, late login) {
	t.Helper()
	lastRetained := ""
	for i, tc := range cases {
		if tc.embeddedOnly && !embedded {
			continue
		}
		id := fmt.Sprintf("client-%d", i)
		if tc.who == "gateway" {
			id = gwClient
		}
		if !tc.ok && !connects(t, url, id, tc.as) {
			if embedded {
				t.Errorf("%s: refused at CONNECT", tc.who)
			}
			continue // Mosquitto with use_username_as_clientid refuses anonymous clients
		}
		cl, err := NewClient(ClientOptions{URLs: []string{url}, ClientID: id, Username: tc.as.user, Password: tc.as.pass, Log: quiet})
		if err != nil {
			t.Fatal(err)
		}
		cl.Start()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		if err := cl.WaitConnected(ctx); err != nil {
			t.Fatalf("%s: not connected: %v", tc.who, err)
		}
		payload := fmt.Sprintf(`{"case":%d}`, i)
		pubErr := cl.Publish(ctx, tc.topic, 1, tc.retained, []byte(payload))
		cancel()
		wait := 3 * time.Second
		if !tc.ok {
			wait = 300 * time.Millisecond
		}
		if got := w.saw(tc.topic, payload, wait); got != tc.ok {
			t.Errorf("%s publish %s retained=%v: delivered=%v, want %v (publish error: %v)", tc.who, tc.topic, tc.retained, got, tc.ok, pubErr)
		}
		if tc.ok && tc.retained {
			lastRetained = tc.topic + "|" + payload
		}
		cl.Disconnect(0)
	}
	lw := watch(t, url, late)
	time.Sleep(300 * time.Millisecond)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	for k := range lw.got {
		if k != lastRetained {
			t.Errorf("retained message kept from a principal that may not retain: %s", k)
		}
	}
	if _, ok := lw.got[lastRetained]; !ok {
		t.Errorf("the gateway's retained state %s is not there", lastRetained)
	}
}

// Real paho clients against the embedded broker: what each role may say
// reaches a backoffice subscriber; what it may not is dropped (and, at QoS
// 1 on MQTT 3.1.1, costs the publisher its connection, §3.3.5).
func TestBrokerRolesEndToEnd(t *testing.T) {
	t.Parallel() // waits on brokers, not the CPU: beside the package's other waits
	br, bo := startTestBroker(t, "switchboard-h042-gw1")
	gwUser, gwPass := br.GatewayCredential()
	w := watch(t, br.URL(), bo)
	checkRoles(t, br.URL(), w, roleCases(login{gwUser, gwPass}, bo, login{"op", "po"}, login{"ro", "or"}), "switchboard-h042-gw1", true, login{"ro", "or"})
}

// The shipped Mosquitto ACL file gives the same rights on real Mosquitto
// (use_username_as_clientid, so a client's id is its user name).
func TestMosquittoACLExample(t *testing.T) {
	t.Parallel() // waits on brokers, not the CPU: beside the package's other waits
	if _, err := exec.LookPath("mosquitto_passwd"); err != nil {
		t.Skip("mosquitto_passwd not installed")
	}
	dir := peers.SharedTempDir(t)
	acl, err := os.ReadFile("../../docs/mosquitto.acl.example")
	if err != nil {
		t.Fatal(err)
	}
	aclFile, pwFile := filepath.Join(dir, "acl"), filepath.Join(dir, "passwd")
	if err := os.WriteFile(aclFile, acl, 0o644); err != nil {
		t.Fatal(err)
	}
	users := map[string]login{}
	for i, u := range []string{"switchboard-h042-gw1", "pms", "desk", "screen"} {
		args := []string{"-b", pwFile, u, reverse(u)}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command("mosquitto_passwd", args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
		}
		users[u] = login{u, reverse(u)}
	}
	os.Chmod(pwFile, 0o644)
	mq := peers.StartMosquittoACL(t, pwFile, aclFile)
	w := watch(t, mq.URL(), users["screen"])
	checkRoles(t, mq.URL(), w, roleCases(users["switchboard-h042-gw1"], users["pms"], users["desk"], users["screen"]), "switchboard-h042-gw1", false, users["pms"])
}

// The local unix socket admits the CLI as the backoffice without a
// password (the folder's permissions guard it), never as the gateway.
func TestBrokerLocalSocket(t *testing.T) {
	br, bo := startTestBroker(t, "switchboard-h042-gw1")
	w := watch(t, br.URL(), bo)
	if br.Socket() == "" {
		t.Fatal("no local socket")
	}
	url := "unix://" + br.Socket()
	if connects(t, url, "switchboard-h042-gw1", login{}) {
		t.Error("the gateway's client id connected on the local socket without its credential")
	}
	cl, err := NewClient(ClientOptions{URLs: []string{url}, ClientID: "cli", Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cl.Start()
	defer cl.Disconnect(0)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := cl.WaitConnected(ctx); err != nil {
		t.Fatalf("CLI on the local socket: %v", err)
	}
	const replay = "hotel/acme/h042/edge/gw1/cmd/replay"
	if err := cl.Publish(ctx, replay, 1, false, []byte(`{"cli":1}`)); err != nil {
		t.Fatal(err)
	}
	if !w.saw(replay, `{"cli":1}`, 3*time.Second) {
		t.Error("a command from the local socket did not arrive")
	}
	const event = "hotel/acme/h042/pbx/pbx1/event/call.charged"
	_ = cl.Publish(ctx, event, 1, false, []byte(`{"cli":2}`))
	if w.saw(event, `{"cli":2}`, 300*time.Millisecond) {
		t.Error("an event from the local socket was delivered")
	}
}

func TestConfigOptions(t *testing.T) {
	users := []config.BrokerUser{{Username: "pms", PasswordHash: "$argon2id$x", Role: config.RoleBackoffice}}
	for _, tc := range []struct {
		name   string
		e      *config.EmbeddedBroker
		listen string
		anon   Role
		users  int
	}{
		{"no section: the defaults", nil, "127.0.0.1:1883", RoleReadonly, 0},
		{"anonymous unset", &config.EmbeddedBroker{Listen: "127.0.0.1:1999", Users: users}, "127.0.0.1:1999", RoleReadonly, 1},
		{"anonymous readonly", &config.EmbeddedBroker{Anonymous: config.RoleReadonly}, "127.0.0.1:1883", RoleReadonly, 0},
		{"anonymous none", &config.EmbeddedBroker{Anonymous: config.AnonymousNone, Users: users}, "127.0.0.1:1883", "", 1},
	} {
		o := ConfigOptions(tc.e, topics, "switchboard-h042-gw1", "/var/lib/switchboard/mqtt.sock", quiet)
		if o.Listen != tc.listen || o.Anonymous != tc.anon || len(o.Users) != tc.users || o.GatewayClientID != "switchboard-h042-gw1" || o.Socket == "" {
			t.Errorf("%s: %+v", tc.name, o)
		}
		if tc.users > 0 && (o.Users[0].Role != RoleBackoffice || o.Users[0].PasswordHash != "$argon2id$x") {
			t.Errorf("%s: user %+v", tc.name, o.Users[0])
		}
		if o.TLS != nil {
			t.Errorf("%s: TLS %+v without mqtt.embedded.tls", tc.name, o.TLS)
		}
	}
	e := &config.EmbeddedBroker{Listen: "0.0.0.0:8883", TLS: &config.BrokerTLS{Cert: "b.crt", Key: "b.key", ClientCA: "ca.crt"}}
	if o := ConfigOptions(e, topics, "gw", "", quiet); o.TLS == nil || *o.TLS != (TLSFiles{Cert: "b.crt", Key: "b.key", ClientCA: "ca.crt"}) {
		t.Errorf("tls: %+v", o.TLS)
	}
}

// TestBrokerPacketTooLarge: a packet over MaxPacketSize ends its sender's
// connection before the broker reads its body; the gateway's own session
// and other clients go on.
func TestBrokerPacketTooLarge(t *testing.T) {
	br, bo := startTestBroker(t, "gw-under-test")
	o := paho.NewClientOptions().AddBroker(br.URL()).SetClientID("big-sender").SetUsername(bo.user).SetPassword(bo.pass).
		SetAutoReconnect(false).SetConnectTimeout(3 * time.Second)
	lost := make(chan struct{})
	o.SetConnectionLostHandler(func(paho.Client, error) { close(lost) })
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(0)
	c.Publish(topics.Command("pbx", "pbx1", "guest.checkin"), 1, false, make([]byte, MaxPacketSize+1024))
	select {
	case <-lost:
	case <-time.After(10 * time.Second):
		t.Fatal("a packet over the limit did not end the sender's connection")
	}
	if !connects(t, br.URL(), "after-big", bo) {
		t.Error("the broker refused a client after the oversized packet")
	}
}

// A publish the broker refuses is logged summed up, never whole: mochi
// logs a refused PUBLISH with its packet, and formatted byte by byte a
// large payload from any anonymous reader filled the log and the memory
// (issue 11, test/e2e TestHostileClients "oversized id and name").
func TestBrokerLogsRefusedPacketWithoutPayload(t *testing.T) {
	var log lockedLog
	br, err := StartBroker(BrokerOptions{Listen: "127.0.0.1:0", Topics: topics, Anonymous: RoleReadonly, GatewayClientID: "gw",
		Log: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(br.URL()).SetClientID("reader").SetAutoReconnect(false))
	if tok := c.Connect(); !tok.WaitTimeout(3*time.Second) || tok.Error() != nil {
		t.Fatalf("anonymous reader: %v", tok.Error())
	}
	defer c.Disconnect(0)
	const event = "hotel/acme/h042/pbx/pbx1/event/call.charged"
	c.Publish(event, 1, false, bytes.Repeat([]byte("x"), 4<<20)).WaitTimeout(3 * time.Second)
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(log.String(), "error processing packet"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the refused publish is not logged:\n%.2000s", log.String())
		}
	}
	out := log.String()
	if len(out) > 4096 || !strings.Contains(out, "payload_bytes=4194304") || !strings.Contains(out, "topic="+event) || !strings.Contains(out, "type=Publish") {
		t.Errorf("log of the refused publish (%d bytes), want it summed up (type, topic, payload_bytes):\n%.2000s", len(out), out)
	}
}

// lockedLog is a log destination that goroutines share.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestBrokerCloseWhileClientsComeAndGo: Close returns while clients on the
// TCP listener connect and leave, with the local socket open (mochi's own
// close sweep takes its client list's read lock twice: a session ending
// during the sweep deadlocked it, seen as a gateway test that never ended).
func TestBrokerCloseWhileClientsComeAndGo(t *testing.T) {
	t.Parallel() // waits on brokers, not the CPU: beside the package's other waits
	for round := range 15 {
		br, err := StartBroker(BrokerOptions{Listen: "127.0.0.1:0", Topics: topics, Anonymous: RoleReadonly,
			GatewayClientID: "gw", Socket: filepath.Join(t.TempDir(), "mqtt.sock"), Log: quiet})
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for k := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					c := paho.NewClient(paho.NewClientOptions().AddBroker(br.URL()).SetClientID(fmt.Sprintf("c%d-%d", k, i)).
						SetAutoReconnect(false).SetConnectTimeout(time.Second))
					if tok := c.Connect(); tok.WaitTimeout(2*time.Second) && tok.Error() == nil {
						c.Disconnect(0)
					}
				}
			}()
		}
		time.Sleep(time.Duration(20+round*7) * time.Millisecond)
		done := make(chan error, 1)
		go func() { done <- br.Close() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: Close did not return within 10 s", round)
		}
		close(stop)
		wg.Wait()
	}
}

// TestDialable: the daemon dials its own broker on loopback whatever
// wildcard it listens on.
func TestDialable(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:1883":    "127.0.0.1:1883",
		"0.0.0.0:1883":      "127.0.0.1:1883",
		":1883":             "127.0.0.1:1883",
		"[::]:1883":         "[::1]:1883",
		"192.168.1.10:8883": "192.168.1.10:8883",
		"[fe80::1]:1883":    "[fe80::1]:1883",
	} {
		if got := dialable(in); got != want {
			t.Errorf("dialable(%q) = %q, want %q", in, got, want)
		}
	}
}
