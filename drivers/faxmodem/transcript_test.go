package faxmodem

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/internal/events/fax"
	"switchboard/internal/fax/codec"
)

const initScript = `
C: AT
S: OK
C: ATE0V1Q0
S: OK
C: AT+FCLASS=1
S: OK
`

// phaseB is recorded from faxpeer (spandsp far end limited to 9600): CSI
// "+1 555 0100" and its DIS (V.29/V.27ter, fine, MR, ECM, T.6 ...).
const phaseB = `
C: ATDT5551234
W: 20ms
S: CONNECT
S> ff 03 40 30 30 31 30 20 35 35 35 20 31 2b 20 20 20 20 20 20 20 20 20
S: OK
C: AT+FRH=3
S: CONNECT
S> ff 13 80 00 ce f8 80 80 91 80 80 80 18
S: OK
C: AT+FRS=7
S: OK
C: AT+FTH=3
S: CONNECT
# TSI "+1 212 555 0199", reversed and padded (T.30 §5.3.6.2.4)
C> ff 03 43 20 20 20 20 20 39 39 31 30 20 35 35 35 20 32 31 32 20 31 2b
S: CONNECT
`

const trainV29 = `
# DCS: V.29 9600, fine, MH, no minimum scan time
C> ff 13 83 00 46 70
S: OK
C: AT+FTS=7
S: OK
C: AT+FTM=96
S: CONNECT
C> zeros
S: OK
C: AT+FRH=3
S: CONNECT
S> ff 13 84
S: OK
`

const pageEOPMCF = `
C: AT+FTM=96
S: CONNECT
C> *
S: OK
C: AT+FTS=8
S: OK
C: AT+FTH=3
S: CONNECT
C> ff 13 2f
S: OK
C: AT+FRH=3
S: CONNECT
S> ff 13 8c
S: OK
C: AT+FRS=7
S: OK
C: AT+FTH=3
S: CONNECT
C> ff 13 fb
S: OK
C: ATH0
S: OK
`

func smallJob(pages int) fax.SendJob {
	var ps []*codec.Bitmap
	for range pages {
		b := codec.NewBitmap(1728, 20)
		b.FillRect(10, 5, 500, 15)
		ps = append(ps, b)
	}
	return fax.SendJob{Number: "555-1234", Pages: ps, Resolution: fax.Fine, Ident: "+1 212 555 0199", NoMR: true}
}

func sendScript(t *testing.T, script string, job fax.SendJob, t4 time.Duration) (fax.SendResult, error, error) {
	t.Helper()
	d, sink, fake, _ := serveTranscript(t, script, t4)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := d.Send(ctx, job)
	var ferr error
	select {
	case ferr = <-fake:
	case <-time.After(30 * time.Second):
		ferr = errors.New("fake modem still running")
	}
	if len(sink.frames) == 0 {
		t.Error("nothing journaled")
	}
	if t.Failed() || ferr != nil {
		t.Logf("trace:\n%s", res.Trace)
	}
	return res, err, ferr
}

func TestTranscriptSendOnePage(t *testing.T) {
	t.Parallel()
	script := initScript + phaseB + trainV29 + pageEOPMCF + initScript
	res, err, ferr := sendScript(t, script, smallJob(1), time.Second)
	if err != nil || ferr != nil {
		t.Fatalf("send: %v; fake modem: %v", err, ferr)
	}
	if res.PagesConfirmed != 1 || res.BitRate != 9600 || res.RemoteID != "+1 555 0100" || len(res.PerPage) != 1 || res.PerPage[0].Code != fax.MCF {
		t.Errorf("%+v", res)
	}
	for _, want := range []string{"T.30 rx DIS", "T.30 tx DCS V.29 9600 fine MH", "T.30 rx CFR", "T.30 tx EOP", "T.30 rx MCF", "T.30 tx DCN"} {
		if !strings.Contains(res.Trace, want) {
			t.Errorf("trace lacks %q", want)
		}
	}
}

// FTT at V.29 9600 makes the host step down to V.29 7200 (T.30 §5.3.2.2).
func TestTranscriptStepDownAfterFTT(t *testing.T) {
	t.Parallel()
	script := initScript + phaseB + `
C> ff 13 83 00 46 70
S: OK
C: AT+FTS=7
S: OK
C: AT+FTM=96
S: CONNECT
C> zeros
S: OK
C: AT+FRH=3
S: CONNECT
S> ff 13 44
S: OK
C: AT+FRS=7
S: OK
C: AT+FTH=3
S: CONNECT
C> ff 03 43 20 20 20 20 20 39 39 31 30 20 35 35 35 20 32 31 32 20 31 2b
S: CONNECT
# DCS: V.29 7200
C> ff 13 83 00 4e 70
S: OK
C: AT+FTS=7
S: OK
C: AT+FTM=72
S: CONNECT
C> *1350
S: OK
C: AT+FRH=3
S: CONNECT
S> ff 13 84
S: OK
` + strings.ReplaceAll(pageEOPMCF, "AT+FTM=96", "AT+FTM=72") + initScript
	res, err, ferr := sendScript(t, script, smallJob(1), time.Second)
	if err != nil || ferr != nil {
		t.Fatalf("send: %v; fake modem: %v", err, ferr)
	}
	if res.BitRate != 7200 || res.PagesConfirmed != 1 {
		t.Errorf("%+v", res)
	}
}

// The line drops during page 2: one page confirmed, retryable.
func TestTranscriptCutOnPageTwo(t *testing.T) {
	t.Parallel()
	script := initScript + phaseB + trainV29 + `
C: AT+FTM=96
S: CONNECT
C> *
S: OK
C: AT+FTS=8
S: OK
C: AT+FTH=3
S: CONNECT
C> ff 13 4f
S: OK
C: AT+FRH=3
S: CONNECT
S> ff 13 8c
S: OK
C: AT+FTM=96
S: CONNECT
C> *
S: NO CARRIER
C: ATH0
S: OK
` + initScript
	res, err, ferr := sendScript(t, script, smallJob(2), time.Second)
	if ferr != nil {
		t.Fatalf("fake modem: %v", ferr)
	}
	if err == nil || !res.Retryable || res.PagesConfirmed != 1 || res.Pages != 2 {
		t.Errorf("err %v, result %+v", err, res)
	}
}

// A modem that stops answering mid-call: the host's timers fire, it resets
// the modem and the send is retryable.
func TestTranscriptModemStopsAnswering(t *testing.T) {
	t.Parallel()
	script := initScript + phaseB + `
C> ff 13 83 00 46 70
S: OK
C: AT+FTS=7
S: OK
C: AT+FTM=96
S: CONNECT
C> zeros
X: silent
`
	start := time.Now()
	res, err, _ := sendScript(t, script, smallJob(1), time.Second)
	if err == nil || !res.Retryable || !errors.Is(err, ErrTimeout) {
		t.Errorf("err %v, result %+v", err, res)
	}
	if !strings.Contains(res.Trace, "ATZ") {
		t.Errorf("no reset in the trace")
	}
	t.Logf("gave up after %v: %v", time.Since(start).Round(time.Millisecond), err)
}
