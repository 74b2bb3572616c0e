package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/events"
	"switchboard/internal/profile"
	pbxsim "switchboard/internal/sim/pbx"
	"switchboard/test/peers"
)

// emergencyServices are the shipped tariff's emergency numbers
// (tariffs/cn-telecom.yaml) and the service each one calls.
var emergencyServices = map[string]string{"110": "police", "112": "emergency", "119": "fire", "120": "ambulance", "122": "traffic police"}

// numbering is a hotel's room numbering: the guest extensions, the room
// that makes the calls, and an internal call's target named like an
// emergency number where the numbering has such a room.
type numbering struct {
	name       string
	extensions string
	caller     string
	callee     string
}

var numberings = []numbering{
	{"3-digit rooms", "101-999", "123", "110"}, // 110, 119, 120, 122 are rooms too
	{"4-digit rooms", "1001-1999", "1203", "1110"},
	{"5-digit rooms", "10101-12999", "12003", "11020"},
}

// TestEmergencyCallsEveryProfile: a guest's call the PBX sent out to an
// emergency number raises hotel.pbx.emergency.call with the room at once,
// is free, never charged and is in the flagged calls; in every shipped
// profile and every room numbering, even where the number is also a room's
// extension. A call to room 110 that the PBX kept inside stays an internal
// call. Real binary, SMDR in through the file transport, events out through
// Mosquitto.
func TestEmergencyCallsEveryProfile(t *testing.T) {
	t.Parallel()
	reg, err := profile.Default()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range reg.All() {
		ids = append(ids, p.ID)
	}
	if len(ids) < 8 {
		t.Fatalf("only %d shipped PBX profiles: %v", len(ids), ids)
	}
	numbers := []string{"110", "112", "119", "120", "122"}
	mq := peers.StartMosquitto(t)
	for gi, n := range numberings {
		t.Run(n.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			// A property per numbering: the three daemons share one broker.
			prop := fmt.Sprintf("h%03d", 41+gi)
			var devices strings.Builder
			internal := map[string]bool{} // devices whose profile prints internal calls
			for i, id := range ids {
				dev := fmt.Sprintf("pbx%d", i+1)
				p, err := reg.Lookup(id)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(dir, dev+".smdr")
				hasInternal := writeEmergencyCalls(t, p, path, n, numbers)
				internal[dev] = hasInternal
				fmt.Fprintf(&devices, "  - {id: %s, driver: pbx, profile: %s, transport: {file: {path: %s}}}\n", dev, id, path)
			}
			cfg := writeConfig(t, dir, fmt.Sprintf(`
site: {group: acme, property: %s, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s}
mqtt: {external: {urls: [%s]}}
billing: {numbering: {home_area: "21", trunk_access: ["9", "0"]}}
rooms:
  - {extensions: "%s", class: guest}
devices:
%s`, prop, filepath.Join(dir, "sb.db"), mq.URL(), n.extensions, devices.String()))
			bo := newBackOffice(t, mq.URL(), events.Topics{Group: "acme", Property: prop, Gateway: "gw1"})
			startDaemon(t, cfg)
			want := len(ids) * len(numbers)
			waitCount(t, bo, "hotel.pbx.emergency.call", want, 30*time.Second)
			waitCount(t, bo, "hotel.pbx.call.flagged", want, 30*time.Second)

			bo.mu.Lock()
			defer bo.mu.Unlock()
			seen := map[string]bool{}
			for _, env := range bo.envs {
				src := env.Source[strings.LastIndexByte(env.Source, '/')+1:]
				switch env.Type {
				case "hotel.pbx.emergency.call":
					var e struct {
						Room, Extension, Dialed, Service, Priority string
					}
					if err := json.Unmarshal(env.Data, &e); err != nil {
						t.Fatal(err)
					}
					if e.Room != n.caller || e.Extension != n.caller || e.Service != emergencyServices[e.Dialed] || e.Priority != "high" {
						t.Errorf("%s: %+v, want room %s and the service of %s", src, e, n.caller, e.Dialed)
					}
					seen[src+"/"+e.Dialed] = true
				case "hotel.pbx.call.charged":
					t.Errorf("%s: a charge: %s", src, env.Data)
				case "hotel.pbx.call.flagged":
					var f struct{ Flags []string }
					json.Unmarshal(env.Data, &f)
					if !slices.Contains(f.Flags, "emergency") {
						t.Errorf("%s: flagged without the emergency flag: %s", src, env.Data)
					}
				case "hotel.pbx.call.recorded":
					var rc struct {
						Direction string `json:"direction"`
						Dialed    string `json:"dialed"`
						Class     string `json:"class"`
					}
					json.Unmarshal(env.Data, &rc)
					if rc.Direction == string(events.Internal) && rc.Class == "emergency" {
						t.Errorf("%s: the internal call to room %s was taken for an emergency call", src, rc.Dialed)
					}
				}
			}
			for i := range ids {
				for _, num := range numbers {
					if dev := fmt.Sprintf("pbx%d", i+1); !seen[dev+"/"+num] {
						t.Errorf("%s (%s): no emergency event for %s", dev, ids[i], num)
					}
				}
			}
		})
	}
}

// writeEmergencyCalls prints, as p's PBX would, a call from the numbering's
// caller room to each emergency number on a trunk, then (where the profile
// prints internal calls) an internal call to the callee room. It reports
// whether the internal call was printed.
func writeEmergencyCalls(t *testing.T, p *profile.PBX, path string, n numbering, numbers []string) bool {
	t.Helper()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	start := time.Date(2026, 12, 4, 12, 39, 0, 0, loc)
	sim, err := pbxsim.New(pbxsim.Options{Profile: p, Seed: 1, Start: start, Location: loc, AccessCode: "9"})
	if err != nil {
		t.Fatalf("%s: %v", p.ID, err)
	}
	// A trunk name as this PBX prints it, from a call the simulator made.
	trunk := ""
	for range 1000 {
		c, _, err := sim.Next()
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		if c.Kind == pbxsim.Outgoing {
			trunk = c.Trunk
			break
		}
	}
	var out []byte
	for i, num := range numbers {
		c := &pbxsim.Call{Seq: int64(i + 1), Kind: pbxsim.Outgoing, Category: pbxsim.Emergency, Ext: n.caller, Dialed: num, Keyed: "9" + num,
			Trunk: trunk, Start: start.Add(time.Duration(i) * 3 * time.Minute), Ring: 4 * time.Second, Duration: 40 * time.Second, Answered: true}
		b, err := sim.Print(c)
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		out = append(out, b...)
	}
	printed := slices.Contains(sim.Templates(), string(pbxsim.Internal))
	if printed {
		c := &pbxsim.Call{Seq: 9, Kind: pbxsim.Internal, Ext: n.caller, Dialed: n.callee, Keyed: n.callee,
			Start: start.Add(30 * time.Minute), Ring: 3 * time.Second, Duration: 20 * time.Second, Answered: true}
		b, err := sim.Print(c)
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		out = append(out, b...)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return printed
}
