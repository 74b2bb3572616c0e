package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/folio/stays"
	"switchboard/internal/gateway"
	"switchboard/internal/store"
	"switchboard/test/peers"
)

// avayaLine is one Avaya IP Office SMDR record (IP Office Manager, "SMDR
// Fields"): start, duration, ring, caller, direction (O/I), called, dialed,
// ..., call id, ..., party 1 device and name, party 2 device and name.
func avayaLine(at time.Time, durS int, dir, ext, dialed string, id int) string {
	return fmt.Sprintf("%s,%02d:%02d:%02d,5,%s,%s,%s,%s,,0,%d,0,E%s,Room %s,T9001,LINE 1.1,0,0\r\n",
		at.Format("2006/01/02 15:04:05"), durS/3600, durS/60%60, durS%60, ext, dir, dialed, dialed, id, ext, ext)
}

// reportLedger fills a ledger through the real ingestion path: the gateway
// reads an Avaya SMDR file with rooms checked in, publishes to its embedded
// broker, then stops; a second run replays two records (a PBX buffer
// replay). It returns the config file for the CLI and the store path.
func reportLedger(t *testing.T) (cfgPath, dbPath string) {
	t.Helper()
	dir := t.TempDir()
	dbPath = filepath.Join(dir, "sb.db")
	loc, _ := time.LoadLocation("Asia/Shanghai")
	day := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, loc) }

	// The front desk's stays (what folio.checkin/checkout commands record).
	ctx := context.Background()
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := stays.CheckIn(tx, stays.Stay{Room: "1203", Reservation: "R881", Guest: "Zhang Wei", CheckIn: day(26, 14, 0)}); err != nil {
			return err
		}
		if _, err := stays.CheckIn(tx, stays.Stay{Room: "1205", Reservation: "R882", CheckIn: day(25, 14, 0)}); err != nil {
			return err
		}
		_, err := stays.CheckOut(tx, "1205", day(27, 9, 0))
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	smdr := "Call Start,Connected Time,Ring Time,Caller,Direction\r\n" +
		avayaLine(day(27, 10, 0), 65, "O", "1203", "90081312345678", 1) + // IDD Japan: posted
		avayaLine(day(27, 10, 1), 65, "O", "1203", "962345678", 2) + // local: the 0.50 minimum
		avayaLine(day(27, 10, 2), 125, "O", "1203", "913812345678", 3) + // mobile
		avayaLine(day(27, 10, 3), 40, "O", "1203", "9110", 4) + // police: free, an alert
		avayaLine(day(27, 10, 4), 90, "O", "1205", "9001212555000", 5) + // USA, an hour after check-out
		avayaLine(day(27, 10, 5), 2400, "O", "1207", "901087654321", 6) + // vacant room, 40 min to Beijing
		avayaLine(day(27, 10, 6), 60, "O", "8101", "902087654321", 7) + // admin extension, DDD Guangzhou
		avayaLine(day(27, 11, 0), 2710, "O", "1203", "900442071234567", 8) + // 45 min to London: long and dear
		avayaLine(day(27, 11, 50), 300, "I", "1203", "13912345678", 9) + // incoming
		"\x15\x15garbage from a wrong baud rate\x7f\r\n" +
		avayaLine(day(28, 9, 0), 65, "O", "1203", "90085298765432", 10) // Hong Kong, the next day
	runGateway := func(name, content string, frames int) {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := reportConfig(t, dbPath, file)
		ctx, cancel := context.WithCancel(context.Background())
		g, err := gateway.New(ctx, cfg, discardLogger())
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { done <- g.Run(ctx) }()
		deadline := time.Now().Add(15 * time.Second)
		for {
			c, _ := g.Store().CountFrames(ctx, "pbx1")
			var total int64
			for _, v := range c {
				total += v
			}
			os, _ := g.Store().Stats(ctx)
			if total >= int64(frames) && c[store.FrameNew] == 0 && os.Unsent == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: journal %v, outbox %+v", name, c, os)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	runGateway("smdr-1.txt", smdr, 12)
	// The PBX reconnects and replays its first two records.
	runGateway("smdr-2.txt", avayaLine(day(27, 10, 0), 65, "O", "1203", "90081312345678", 1)+
		avayaLine(day(27, 10, 1), 65, "O", "1203", "962345678", 2), 14)

	st, err = store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The journal says when frames arrived (the test's clock); pin them to
	// the day of the calls so the golden files do not depend on the clock.
	// The back office has acknowledged up to the mobile call's charge; the
	// later charges wait for it.
	var mobileSeq int64
	if err := st.QueryRow(ctx, `SELECT charged_seq FROM calls WHERE class='mobile'`).Scan(&mobileSeq); err != nil {
		t.Fatal(err)
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE journal SET received = ? + id*1000000000`, day(27, 12, 0).UnixNano())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Ack(ctx, mobileSeq); err != nil {
		t.Fatal(err)
	}
	cfgPath = filepath.Join(dir, "switchboard.yaml")
	yaml := fmt.Sprintf(`site: {group: acme, property: h042, gateway: gw1, timezone: Asia/Shanghai}
store: {path: %s}
mqtt: {embedded: {listen: 127.0.0.1:1883}}
billing: {numbering: {home_area: "21", trunk_access: ["9"]}, mask_dialed: 7}
rooms:
  - {extensions: 1101-1299, class: guest}
  - {extensions: 8100-8199, class: admin}
devices:
  - {id: pbx1, driver: pbx, profile: avaya-ipoffice, transport: {file: {path: %s}}}
`, dbPath, filepath.Join(dir, "smdr-1.txt"))
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dbPath
}

func reportConfig(t *testing.T, db, file string) *config.Config {
	return &config.Config{
		Site:    config.Site{Group: "acme", Property: "h042", Gateway: "gw1", Timezone: "Asia/Shanghai"},
		Store:   config.Store{Path: db},
		MQTT:    config.MQTT{Embedded: &config.EmbeddedBroker{Listen: fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))}},
		Billing: config.Billing{Numbering: config.Numbering{HomeArea: "21", TrunkAccess: []string{"9"}}, MaskDialed: 7},
		Rooms:   []config.Rooms{{Extensions: "1101-1299", Class: "guest"}, {Extensions: "8100-8199", Class: "admin"}},
		Devices: []config.Device{{ID: "pbx1", Driver: "pbx", Profile: "avaya-ipoffice", Transport: config.Transport{File: &config.File{Path: file}}}},
	}
}

// golden compares a command's exit code and output with
// testdata/report/<name>.golden (rewritten with -update).
func golden(t *testing.T, dir, name string, args []string, replace ...string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(args, &out, &errb)
	got := fmt.Sprintf("# exit %d\n-- stdout --\n%s-- stderr --\n%s", code, out.String(), errb.String())
	got = strings.NewReplacer(replace...).Replace(got)
	path := filepath.Join("testdata", dir, name+".golden")
	if updating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("switchboard %s: output differs from %s\n--- got\n%s--- want\n%s", strings.Join(args, " "), path, got, want)
	}
}

func TestReportGolden(t *testing.T) {
	cfg, db := reportLedger(t)
	hide := []string{filepath.Dir(cfg), "$DIR"}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"reconcile", []string{"report", "reconcile", "--date", "2026-11-27"}},
		{"reconcile-json", []string{"report", "reconcile", "--date", "2026-11-27", "--json"}},
		{"reconcile-empty-day", []string{"report", "reconcile", "--date", "2026-11-20"}},
		{"calls", []string{"report", "calls", "--date", "2026-11-27"}},
		{"calls-csv", []string{"report", "calls", "--date", "2026-11-27", "--csv"}},
		{"calls-json", []string{"report", "calls", "--date", "2026-11-28", "--json"}},
		{"special", []string{"report", "special", "--week", "2026-W48"}},
		{"special-rules", []string{"report", "special", "--week", "2026-W48", "--over-minutes", "0", "--over-amount", "10",
			"--classes", "idd,hkmotw", "--vacant=false", "--destinations", "Beijing", "--csv"}},
		{"usage", []string{"report"}},
		{"bad-date", []string{"report", "calls", "--date", "27.11.2026"}},
		{"bad-week", []string{"report", "special", "--week", "2026-48"}},
		{"bad-class", []string{"report", "special", "--week", "2026-W48", "--classes", "premium"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			golden(t, "report", c.name, append(c.args, "--config", cfg), hide...)
		})
	}

	// Break the ledger the ways reconciliation must catch: a frame never
	// interpreted, a parsed call with no ledger row, a posting without its
	// charge event. Each is an unexplained gap: exit 1.
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		for _, q := range []string{
			`UPDATE journal SET status='new' WHERE id=(SELECT journal_id FROM calls WHERE class='ddd' AND room_class='admin')`,
			`DELETE FROM calls WHERE class='mobile'`,
			`UPDATE calls SET charged_seq=NULL WHERE destination='Japan'`,
		} {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report", "reconcile-gaps", []string{"report", "reconcile", "--date", "2026-11-27", "--config", cfg}, hide...)
}
