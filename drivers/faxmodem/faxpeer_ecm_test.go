package faxmodem

import (
	"strings"
	"testing"
	"time"

	"switchboard/internal/events/fax"
	"switchboard/internal/fax/codec"
	"switchboard/test/peers"
)

// ECM (T.30 Annex A) with MMR (T.6) against spandsp's far end offering ECM.

func TestFaxPeerSendOnePageECMMMR(t *testing.T) {
	needFaxPeer(t)
	t.Parallel()
	res, pr, err := sendThroughPeer(t, peers.FaxPeerOptions{ECM: true},
		fax.SendJob{Number: "5551234", Pages: chartPages(1), Resolution: fax.Fine, Ident: "+1 212 555 0199"}, ecmFaults{})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if res.PagesConfirmed != 1 || !res.ECM || res.Scheme != "MMR" || !pr.OK() || pr.Pages != 1 || !pr.ECM {
		t.Errorf("result %+v, peer %s", res, pr.Line)
	}
}

func TestFaxPeerSendThreePagesECMMMR(t *testing.T) {
	needFaxPeer(t)
	t.Parallel()
	res, pr, err := sendThroughPeer(t, peers.FaxPeerOptions{ECM: true},
		fax.SendJob{Number: "5551234", Pages: lightPages(3), Resolution: fax.Fine, Ident: "+1 212 555 0199"}, ecmFaults{})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if res.PagesConfirmed != 3 || !res.ECM || res.Scheme != "MMR" || !pr.OK() || pr.Pages != 3 || !pr.ECM {
		t.Errorf("result %+v, peer %s", res, pr.Line)
	}
	for _, p := range res.PerPage {
		if !p.Confirmed || p.Code != fax.MCF {
			t.Errorf("page %+v", p)
		}
	}
}

func TestFaxPeerReceiveTwoPagesECM(t *testing.T) {
	needFaxPeer(t)
	t.Parallel()
	src := lightPages(2)
	fp := peers.StartFaxPeer(t, peers.FaxPeerOptions{Mode: "send", TIFF: writeTIFF(t, src), Ident: "+86 10 1234", RingInterval: 3 * time.Second, ECM: true})
	_, sink, _ := startDriver(t, fp, "spandsp", map[string]any{"rings": 1, "ident": "+1 212 555 0199"}, ecmFaults{})
	pr, err := fp.WaitTimeout(3 * time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("faxpeer %s", pr.Line)
	var recs []fax.Received
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if recs = sink.received(); len(recs) > 0 {
			break
		}
	}
	if len(recs) != 1 {
		t.Fatalf("%d Received records; peer log:\n%s", len(recs), lastLines(fp.Log(), 60))
	}
	rec := recs[0]
	if testing.Verbose() || !pr.OK() {
		t.Logf("trace:\n%s", rec.Trace)
	}
	if !pr.OK() || !pr.ECM || pr.Pages != 2 || len(rec.Pages) != 2 || !rec.Complete || !rec.ECM {
		t.Fatalf("peer %s; record: %d pages, complete %v, ECM %v, err %q", pr.Line, len(rec.Pages), rec.Complete, rec.ECM, rec.Error)
	}
	for i, p := range rec.Pages {
		if p.Params.Scheme != codec.MMR {
			t.Errorf("page %d: scheme %v, want MMR", i+1, p.Params.Scheme)
		}
		bm, err := codec.Decode(p.Data, p.Params)
		if err != nil {
			t.Errorf("page %d: %v", i+1, err)
			continue
		}
		if p.BadLines != 0 || p.Response != fax.MCF || p.Partial {
			t.Errorf("page %d: %+v", i+1, p)
		}
		if bm.Height != src[i].Height || !bm.Equal(src[i]) {
			t.Errorf("page %d: decoded %dx%d differs from what the far end sent", i+1, bm.Width, bm.Height)
		}
	}
}

// The driver's ECM fault hook (ecmFaults) belongs to this test's driver
// alone, so the test runs in parallel with the others.
func TestFaxPeerSendECMPPRAndCTC(t *testing.T) {
	needFaxPeer(t)
	t.Parallel()
	faults := ecmFaults{frame64: true}
	// chart page ≈ 43 KB of MMR: 64-octet frames make three blocks
	// (256, 256, the rest). Block 0 loses frames 3 and 100 once (PPR);
	// block 1 loses frame 1 four times (4 PPRs: CTC/CTR, one step down);
	// block 2 loses its last frame once.
	faults.dropTx = func(page, block, burst, frame int) bool {
		switch block {
		case 0:
			return burst == 0 && (frame == 3 || frame == 100)
		case 1:
			return burst < 4 && frame == 1
		case 2:
			return burst == 0 && frame == 167
		}
		return false
	}
	res, pr, err := sendThroughPeer(t, peers.FaxPeerOptions{ECM: true},
		fax.SendJob{Number: "5551234", Pages: chartPages(1), Resolution: fax.Fine, Ident: "+1 212 555 0199"}, faults)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if res.PagesConfirmed != 1 || !res.ECM || res.Scheme != "MMR" || !pr.OK() || pr.Pages != 1 || !pr.ECM || res.BitRate != 12000 {
		t.Errorf("result %+v, peer %s", res, pr.Line)
	}
	for _, want := range []string{"PPS-NULL", "-> PPR", "tx CTC", "rx CTR", "block 2) -> MCF", "PPS-EOP"} {
		if !strings.Contains(res.Trace, want) {
			t.Errorf("trace lacks %q", want)
		}
	}
}

// The host ignores frames 1 and 4 of each page's first burst, so it must
// ask for them with PPR.
func TestFaxPeerReceiveECMWithPPR(t *testing.T) {
	needFaxPeer(t)
	t.Parallel()
	faults := ecmFaults{dropRx: func(burst, frame int) bool { return burst == 0 && (frame == 1 || frame == 4) }}
	src := lightPages(2)
	fp := peers.StartFaxPeer(t, peers.FaxPeerOptions{Mode: "send", TIFF: writeTIFF(t, src), Ident: "+86 10 1234", RingInterval: 3 * time.Second, ECM: true})
	_, sink, _ := startDriver(t, fp, "spandsp", map[string]any{"rings": 1, "ident": "+1 212 555 0199"}, faults)
	pr, err := fp.WaitTimeout(3 * time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("faxpeer %s", pr.Line)
	var recs []fax.Received
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if recs = sink.received(); len(recs) > 0 {
			break
		}
	}
	if len(recs) != 1 {
		t.Fatalf("%d Received records; peer log:\n%s", len(recs), lastLines(fp.Log(), 60))
	}
	rec := recs[0]
	if testing.Verbose() || !pr.OK() {
		t.Logf("trace:\n%s", rec.Trace)
	}
	if !pr.OK() || pr.Pages != 2 || len(rec.Pages) != 2 || !rec.Complete {
		t.Fatalf("peer %s; record: %d pages, complete %v, err %q", pr.Line, len(rec.Pages), rec.Complete, rec.Error)
	}
	if n := strings.Count(rec.Trace, "missing: PPR"); n != 2 {
		t.Errorf("%d PPRs sent, want 2 (one per page)", n)
	}
	for i, p := range rec.Pages {
		bm, err := codec.Decode(p.Data, p.Params)
		if err != nil || !bm.Equal(src[i]) {
			t.Errorf("page %d: %v, or differs from what the far end sent", i+1, err)
		}
	}
}

// At 2400 bit/s there is no slower rate, so after the fourth PPR for the
// same block the sender ends the correction with EOR and the receiver
// answers ERR (T.30 Annex A §A.1.3); page 1 is then not confirmed and page
// 2 goes on (spandsp does not count the ERR page, so page 2 carries PPS
// page counter 0).
func TestFaxPeerSendECMEOR(t *testing.T) {
	needFaxPeer(t)
	t.Parallel()
	dropped := 0 // frame 2 of the first page, in its first four bursts (only the driver's call reads it)
	faults := ecmFaults{dropTx: func(page, block, burst, frame int) bool {
		if frame == 2 && dropped < 4 {
			dropped++
			return true
		}
		return false
	}}
	res, pr, err := sendThroughPeer(t, peers.FaxPeerOptions{ECM: true},
		fax.SendJob{Number: "5551234", Pages: lightPages(2), Resolution: fax.Fine, Ident: "+1 212 555 0199", MaxRate: 2400}, faults)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if len(res.PerPage) != 2 || res.PerPage[0].Code != fax.ERR || res.PerPage[0].Confirmed || res.PerPage[1].Code != fax.MCF || res.PagesConfirmed != 1 || !pr.OK() {
		t.Errorf("result %+v, peer %s", res, pr.Line)
	}
	for _, want := range []string{"tx EOR", "rx ERR"} {
		if !strings.Contains(res.Trace, want) {
			t.Errorf("trace lacks %q", want)
		}
	}
}

// The host ignores frame 1 in the first four bursts: after our fourth PPR
// spandsp sends CTC (or EOR) and the host must answer CTR (ERR) and go on
// (T.30 Annex A §A.1.3).
func TestFaxPeerReceiveECMCTC(t *testing.T) {
	needFaxPeer(t)
	t.Parallel()
	faults := ecmFaults{dropRx: func(burst, frame int) bool { return burst < 4 && frame == 1 }}
	src := lightPages(1)
	fp := peers.StartFaxPeer(t, peers.FaxPeerOptions{Mode: "send", TIFF: writeTIFF(t, src), Ident: "+86 10 1234", RingInterval: 3 * time.Second, ECM: true})
	_, sink, _ := startDriver(t, fp, "spandsp", map[string]any{"rings": 1, "ident": "+1 212 555 0199"}, faults)
	pr, err := fp.WaitTimeout(3 * time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("faxpeer %s", pr.Line)
	var recs []fax.Received
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if recs = sink.received(); len(recs) > 0 {
			break
		}
	}
	if len(recs) != 1 {
		t.Fatalf("%d Received records; peer log:\n%s", len(recs), lastLines(fp.Log(), 60))
	}
	rec := recs[0]
	if testing.Verbose() || !pr.OK() {
		t.Logf("trace:\n%s", rec.Trace)
	}
	if !pr.OK() || len(rec.Pages) != 1 || !rec.Complete {
		t.Fatalf("peer %s; record: %d pages, complete %v, err %q", pr.Line, len(rec.Pages), rec.Complete, rec.Error)
	}
	switch {
	case strings.Contains(rec.Trace, "tx CTR"):
		bm, err := codec.Decode(rec.Pages[0].Data, rec.Pages[0].Params)
		if err != nil || !bm.Equal(src[0]) {
			t.Errorf("page after CTC: %v, or differs from what the far end sent", err)
		}
	case strings.Contains(rec.Trace, "tx ERR"):
		t.Log("spandsp chose EOR")
	default:
		t.Error("neither CTC/CTR nor EOR/ERR in the trace")
	}
}
