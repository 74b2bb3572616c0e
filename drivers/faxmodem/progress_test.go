package faxmodem

import (
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/events/fax"
)

// progressLog records SendJob.OnPage's calls with the time each came.
type progressLog struct {
	mu  sync.Mutex
	got []fax.PageProgress
	at  []time.Time
}

func (l *progressLog) onPage(p fax.PageProgress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, p)
	l.at = append(l.at, time.Now())
}

func (l *progressLog) list() ([]fax.PageProgress, []time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]fax.PageProgress(nil), l.got...), append([]time.Time(nil), l.at...)
}

// TestProgressPerPageDuringTheCall: two pages, the first answered RTN
// (T.30 §5.3.6.1.6: retrain, then the page may go again), sent again at
// V.29 7200 and confirmed, the second confirmed after a slow far end.
// Each post-page response is reported as it comes, in order: RTN (sent
// again), MCF for the first page's second try, MCF for the second page;
// the first page's confirmation comes before the far end's slow answer to
// the second, not when the call ends.
func TestProgressPerPageDuringTheCall(t *testing.T) {
	t.Parallel()
	const slow = 400 * time.Millisecond
	script := initScript + phaseB + trainV29 + `
# page 1, MPS: RTN
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
S> ff 13 4c
S: OK
# retrain one step down (T.30 §5.3.2.2)
C: AT+FRS=7
S: OK
C: AT+FTH=3
S: CONNECT
C> ff 03 43 20 20 20 20 20 39 39 31 30 20 35 35 35 20 32 31 32 20 31 2b
S: CONNECT
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
# page 1 again, MPS: MCF
C: AT+FTM=72
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
# page 2, EOP: MCF after a slow far end
C: AT+FTM=72
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
W: ` + slow.String() + `
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
` + initScript
	var log progressLog
	job := smallJob(2)
	job.OnPage = log.onPage
	res, err, ferr := sendScript(t, script, job, time.Second)
	ended := time.Now()
	if err != nil || ferr != nil {
		t.Fatalf("send: %v; fake modem: %v", err, ferr)
	}
	if res.PagesConfirmed != 2 || len(res.PerPage) != 2 || res.PerPage[0].Tries != 2 {
		t.Fatalf("result %+v", res)
	}
	got, at := log.list()
	want := []fax.PageProgress{
		{Page: 1, Pages: 2, Try: 1, Code: fax.RTN, Again: true, BitRate: 9600},
		{Page: 1, Pages: 2, Try: 2, Code: fax.MCF, Confirmed: true, BitRate: 7200},
		{Page: 2, Pages: 2, Try: 1, Code: fax.MCF, Confirmed: true, BitRate: 7200},
	}
	if len(got) != len(want) {
		t.Fatalf("%d progress reports %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Duration <= 0 {
			t.Errorf("report %d: no duration: %+v", i, g)
		}
		g.Duration = 0
		if g != w {
			t.Errorf("report %d: %+v, want %+v", i, g, w)
		}
	}
	// The first page's MCF was reported before the far end took its time
	// over the second page: during the call, not with the result.
	if early := ended.Sub(at[1]); early < slow {
		t.Errorf("page 1's confirmation reported %v before the call ended, want at least %v", early, slow)
	}
	if !strings.Contains(res.Trace, "T.30 rx RTN") {
		t.Errorf("trace lacks the RTN")
	}
}

// TestProgressLastPageRefused: a last page answered RTN (EOP) is not sent
// again — the call ends (T.30 §5.3.2.4) — and its report says so; a job
// without OnPage is sent as before.
func TestProgressLastPageRefused(t *testing.T) {
	t.Parallel()
	refused := strings.Replace(pageEOPMCF, "S> ff 13 8c", "S> ff 13 4c", 1)
	script := initScript + phaseB + trainV29 + refused + initScript
	var log progressLog
	job := smallJob(1)
	job.OnPage = log.onPage
	res, err, ferr := sendScript(t, script, job, time.Second)
	if err != nil || ferr != nil {
		t.Fatalf("send: %v; fake modem: %v", err, ferr)
	}
	got, _ := log.list()
	if len(got) != 1 || got[0].Code != fax.RTN || got[0].Confirmed || got[0].Again || got[0].Page != 1 || got[0].Try != 1 {
		t.Fatalf("progress %+v", got)
	}
	if res.PagesConfirmed != 0 || res.PerPage[0].Code != fax.RTN {
		t.Errorf("result %+v", res)
	}
	if res, err, ferr := sendScript(t, initScript+phaseB+trainV29+pageEOPMCF+initScript, smallJob(1), time.Second); err != nil || ferr != nil || res.PagesConfirmed != 1 {
		t.Errorf("without OnPage: %v %v %+v", err, ferr, res)
	}
}

func TestProgressSendsAgainRule(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		resp         fax.PostPageResponse
		sends, limit int
		ppm          FCF
		want         bool
	}{
		{fax.RTN, 1, 2, FcfMPS, true},
		{fax.PIN, 1, 2, FcfMPS, true},
		{fax.RTN, 2, 2, FcfMPS, false}, // the last try: given up
		{fax.RTN, 1, 2, FcfEOP, false}, // EOP answered: the call ends
		{fax.MCF, 1, 2, FcfMPS, false},
		{fax.RTP, 1, 2, FcfMPS, false}, // received: the next page follows
		{fax.ERR, 1, 2, FcfMPS, false}, // ECM: kept with its errors
	} {
		if got := sendsAgain(tc.resp, tc.sends, tc.limit, tc.ppm); got != tc.want {
			t.Errorf("sendsAgain(%s, %d, %d, %s) = %v, want %v", tc.resp, tc.sends, tc.limit, tc.ppm.Name(), got, tc.want)
		}
	}
}
