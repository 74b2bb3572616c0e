package faxmodem

import (
	"context"
	"testing"
	"time"
)

// Every embedded profile loads, validates, and its inline examples match.
func TestProfilesAndExamples(t *testing.T) {
	ids := ProfileIDs()
	if len(ids) < 7 {
		t.Fatalf("profiles: %v", ids)
	}
	for _, id := range ids {
		p, err := LoadProfile(id, "")
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		if len(p.Init) == 0 || p.families() == 0 {
			t.Errorf("%s: no init or no modems", id)
		}
		for _, ex := range p.Examples {
			if got := MatchProfile(ex.Probe); got != ex.Expect {
				t.Errorf("%s example %+v: matched %s, want %s", id, ex.Probe, got, ex.Expect)
			}
		}
	}
	if _, err := LoadProfile("nope", ""); err == nil {
		t.Error("unknown profile loaded")
	}
}

func TestProbeTranscript(t *testing.T) {
	host, fake := runTranscript(t, `
C: AT
S: OK
C: AT+FCLASS=?
S: 0,1,1.0
S: OK
C: AT+FMI?
S: ERROR
C: AT+FMM?
S: ERROR
C: ATI3
S: www.soft-switch.org
S: OK
`)
	r, id, err := Probe(context.Background(), host)
	if err != nil || id != "spandsp" || r.FClass != "0,1,1.0" {
		t.Errorf("probe: %+v %s %v", r, id, err)
	}
	if err := <-fake; err != nil {
		t.Error(err)
	}
}

// An incoming call is answered after the configured rings and the record
// reaches the sink even when the caller gives up in phase B.
func TestTranscriptAnswerNoDCS(t *testing.T) {
	t.Parallel()
	_, sink, fake, _ := serveTranscript(t, initScript+`
S: RING
C: ATA
S: CONNECT
C> ff 03 40 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20
S: CONNECT
C> *
S: OK
C: AT+FRH=3
S: CONNECT
S> ff 13 fa
S: OK
C: ATH0
S: OK
`+initScript, time.Second)
	if err := <-fake; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(sink.received()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	// a call without pages and with an error is journaled, not delivered
	if n := len(sink.received()); n != 0 {
		t.Errorf("%d records for a call without pages", n)
	}
	if len(sink.frames) == 0 {
		t.Error("nothing journaled")
	}
}
