package hotelink_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/drivers"
	"switchboard/drivers/hotelink"
	"switchboard/internal/events/hotel"
)

// TestTranscripts replays recorded FIAS exchanges byte for byte, in the
// style of go-smtp's transcript tests. Lines:
//
//	@ profile ID | @ opt key=value   set-up
//	C: record | C: <ACK> <NAK> <ENQ>  the PBX sends (framed, LRC per profile)
//	C! "go-quoted bytes"              the PBX sends raw bytes
//	S: record | S: <ACK> ...          the gateway must send exactly this
//	> Command args                    the core calls Send (asynchronously)
//	P: Command args                   the core prepares the command and journals
//	                                  its frames (in its transaction)
//	P>                                the core sends the prepared command (asynchronously)
//	A: ok | A: fail reason-substring  that Send's result
//	D: rendering                      a record the gateway delivered
//	J: n                              frames to the PBX journaled so far, by
//	                                  the core and the gateway together
func TestTranscripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/transcripts/*.txt")
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runTranscript(t, f) })
	}
}

type sendResult struct {
	ack hotel.CommandAck
	err error
}

func runTranscript(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	profile, opts := "fias", map[string]any{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "@ profile "):
			profile = strings.TrimPrefix(l, "@ profile ")
		case strings.HasPrefix(l, "@ opt "):
			k, v, _ := strings.Cut(strings.TrimPrefix(l, "@ opt "), "=")
			opts[k] = v
		default:
			lines = append(lines, l)
		}
	}
	prof, err := hotelink.LoadProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	lrc := prof.Framing.LRC

	sink := newSink()
	conns := make(chan net.Conn, 1)
	drv, err := hotelink.New(drivers.Device{ID: "pbx1", Driver: "hotelink", Profile: profile, Options: opts, Location: site},
		drivers.Deps{Link: pipeOpener{conns}, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	drv.SetClock(fixedClock)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = drv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	gw, pbx := net.Pipe()
	conns <- gw
	defer pbx.Close()

	// Everything the gateway writes is collected by one reader.
	wire := make(chan byte, 1<<16)
	go func() {
		buf := make([]byte, 512)
		for {
			n, err := pbx.Read(buf)
			for _, c := range buf[:n] {
				wire <- c
			}
			if err != nil {
				close(wire)
				return
			}
		}
	}()
	ctl := map[string]byte{"<ACK>": hotelink.ACK, "<NAK>": hotelink.NAK, "<ENQ>": hotelink.ENQ}
	encode := func(s string) []byte {
		if c, ok := ctl[s]; ok {
			return []byte{c}
		}
		return hotelink.AppendFrame(nil, []byte(s), lrc)
	}
	var pending []chan sendResult
	var prepared *hotel.Prepared
	delivered := 0
	for i, l := range lines {
		where := fmt.Sprintf("%s:%d %q", filepath.Base(path), i+1, l)
		switch {
		case strings.HasPrefix(l, "C: "):
			if _, err := pbx.Write(encode(l[3:])); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
		case strings.HasPrefix(l, "C! "):
			raw, err := strconv.Unquote(l[3:])
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if _, err := pbx.Write([]byte(raw)); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
		case strings.HasPrefix(l, "S: "):
			want := encode(l[3:])
			got := make([]byte, 0, len(want))
			timeout := time.After(3 * time.Second)
			for len(got) < len(want) {
				select {
				case c, ok := <-wire:
					if !ok {
						t.Fatalf("%s: connection closed after %q", where, got)
					}
					got = append(got, c)
				case <-timeout:
					t.Fatalf("%s: gateway sent %q, want %q", where, got, want)
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: gateway sent %q, want %q", where, got, want)
			}
		case strings.HasPrefix(l, "> "):
			cmd := parseCommand(t, where, l[2:])
			ch := make(chan sendResult, 1)
			pending = append(pending, ch)
			go func() {
				ack, err := drv.Send(context.Background(), cmd)
				ch <- sendResult{ack, err}
			}()
		case strings.HasPrefix(l, "P: "):
			p, err := drv.Prepare(parseCommand(t, where, l[3:]))
			if err != nil {
				t.Fatalf("%s: Prepare: %v", where, err)
			}
			// What the hotel desk does in the command's transaction.
			data := make([]drivers.Frame, len(p.Frames))
			for i, f := range p.Frames {
				data[i] = drivers.Frame{Data: f.Data}
			}
			ids, err := sink.Journal(context.Background(), drivers.ToDevice, data, fixedClock())
			if err != nil {
				t.Fatal(err)
			}
			for i := range p.Frames {
				p.Frames[i].JournalID = ids[i]
			}
			prepared = &p
		case l == "P>":
			if prepared == nil {
				t.Fatalf("%s: nothing prepared", where)
			}
			p := *prepared
			prepared = nil
			ch := make(chan sendResult, 1)
			pending = append(pending, ch)
			go func() {
				ack, err := drv.SendPrepared(context.Background(), p)
				ch <- sendResult{ack, err}
			}()
		case strings.HasPrefix(l, "J: "):
			want, err := strconv.Atoi(l[3:])
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if got := sink.sent(); len(got) != want {
				t.Fatalf("%s: %d frames to the PBX journaled, want %d: %q", where, len(got), want, got)
			}
		case strings.HasPrefix(l, "A: "):
			if len(pending) == 0 {
				t.Fatalf("%s: no command pending", where)
			}
			var r sendResult
			select {
			case r = <-pending[0]:
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: Send did not return", where)
			}
			pending = pending[1:]
			want := l[3:]
			if want == "ok" {
				if r.err != nil || !r.ack.OK {
					t.Fatalf("%s: Send = %+v, %v", where, r.ack, r.err)
				}
			} else if !strings.HasPrefix(want, "fail ") || r.ack.OK || !strings.Contains(r.ack.Reason, strings.TrimPrefix(want, "fail ")) {
				t.Fatalf("%s: Send = %+v, %v", where, r.ack, r.err)
			}
		case strings.HasPrefix(l, "D: "):
			want := l[3:]
			sink.waitFor(t, where, func() bool {
				sink.mu.Lock()
				defer sink.mu.Unlock()
				for j := delivered; j < len(sink.results); j++ {
					if sink.results[j].Record != nil && render(sink.results[j].Record) == want {
						delivered = j + 1
						return true
					}
				}
				return false
			})
		default:
			t.Fatalf("%s: unknown line", where)
		}
	}
	// Nothing unexpected may follow.
	select {
	case c := <-wire:
		t.Fatalf("gateway sent more than the transcript: %q...", c)
	case <-time.After(50 * time.Millisecond):
	}
}

func render(r any) string {
	switch v := r.(type) {
	case hotel.LinkEvent:
		return "LinkEvent " + string(v.Kind)
	case hotel.WakeupResult:
		return fmt.Sprintf("WakeupResult room=%s at=%s status=%s code=%s", v.Room, v.At.Format("060102150405"), v.Status, v.Code)
	case hotel.RoomStatus:
		return fmt.Sprintf("RoomStatus room=%s code=%d label=%s", v.Room, v.Code, v.Label)
	case hotel.Posting:
		return fmt.Sprintf("Posting P#=%s room=%s amount=%d pulses=%d dialed=%s duration=%s type=%s", v.Number, v.Room, v.Amount, v.MeterPulses, v.Dialed, v.Duration, v.CallType)
	}
	return fmt.Sprintf("%T %+v", r, r)
}

func parseCommand(t *testing.T, where, s string) hotel.Command {
	f := strings.Fields(s)
	at := func(i int) time.Time {
		tm, err := time.ParseInLocation("060102150405", f[i]+f[i+1], site)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		return tm
	}
	on := func(i int) bool { return f[i] == "on" }
	room := hotel.Room(f[1])
	switch f[0] {
	case "CheckIn":
		return hotel.CheckIn{Ref: where, Room: room, Reservation: f[2], Guest: strings.Join(f[3:], " "), Language: "en"}
	case "CheckInVIP":
		return hotel.CheckIn{Ref: where, Room: room, Reservation: f[2], Guest: strings.Join(f[3:], " "), Language: "en", VIP: true}
	case "CheckOut":
		return hotel.CheckOut{Ref: where, Room: room, Reservation: f[2]}
	case "WakeupSet":
		return hotel.WakeupSet{Ref: where, Room: room, At: at(2)}
	case "WakeupCancel":
		return hotel.WakeupCancel{Ref: where, Room: room, At: at(2)}
	case "SetCOS":
		return hotel.SetCOS{Ref: where, Room: room, COS: hotel.COS(f[2])}
	case "DND":
		return hotel.DND{Ref: where, Room: room, On: on(2)}
	case "MWL":
		return hotel.MWL{Ref: where, Room: room, On: on(2)}
	}
	t.Fatalf("%s: unknown command", where)
	return nil
}
