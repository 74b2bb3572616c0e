package faxmodem

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/events/fax"
	"switchboard/internal/fax/codec"
)

// page is one page to send, as a bitmap.
type page struct {
	bm   *codec.Bitmap
	fine bool
}

func jobPages(job fax.SendJob) ([]page, error) {
	fine := job.Resolution == fax.Fine
	var out []page
	for i, b := range job.Pages {
		if b == nil {
			return nil, fmt.Errorf("page %d: nil bitmap", i+1)
		}
		out = append(out, page{bm: b, fine: fine})
	}
	if len(out) == 0 {
		for i, cp := range job.Coded {
			b, err := codec.Decode(cp.Data, cp.Params)
			if err != nil {
				return nil, fmt.Errorf("page %d: %w", i+1, err)
			}
			out = append(out, page{bm: b, fine: fine})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no pages")
	}
	return out, nil
}

// halveRows keeps every other row: a fine page for a receiver without 7.7
// lines/mm (T.4 §2.2).
func halveRows(b *codec.Bitmap) *codec.Bitmap {
	o := codec.NewBitmap(b.Width, (b.Height+1)/2)
	for y := 0; y < o.Height; y++ {
		copy(o.Row(y), b.Row(2*y))
	}
	return o
}

// candidates are the modulations both ends and the job allow, fastest first.
func candidates(caps Caps, prof *Profile, maxRate int) []Modulation {
	fam := caps.families() & prof.families()
	if maxRate == 0 || (prof.MaxRate > 0 && prof.MaxRate < maxRate) {
		maxRate = prof.MaxRate
	}
	var out []Modulation
	for _, m := range Modulations {
		if m.fam&fam != 0 && (maxRate == 0 || m.BPS <= maxRate) {
			out = append(out, m)
		}
	}
	return out
}

// encodePage codes a page for the line: LSB first (T.31 §8.3.3 passes the
// first bit on the line as the least significant), fill to the receiver's
// minimum scan-line time (T.4 §4.1.3) and RTC at the end (T.4 §4.1.4).
func encodePage(b *codec.Bitmap, s Session) ([]byte, error) {
	k := 2
	if s.Fine {
		k = 4 // T.4 §4.2.1.1: K = 4 at 7.7 lines/mm
	}
	minLine := codec.MinLineBytes(s.Mod.BPS, s.ScanTime)
	if s.Scheme == codec.MMR {
		minLine = 0 // T.6 has no EOL and so no fill (T.6 §2.2); ECM frames pace the line
	}
	return codec.Encode(b, codec.Params{
		Scheme: s.Scheme, Width: b.Width, K: k, Order: codec.LSBFirst,
		MinLineBytes: minLine,
	})
}

// send runs the calling side of T.30 (phases A to E) for job.
func (c *call) send(ctx context.Context, job fax.SendJob, res *fax.SendResult) error {
	pages, err := jobPages(job)
	if err != nil {
		return fmt.Errorf("faxmodem: %w", err)
	}
	res.Pages = len(pages)
	c.x = 1 // T.30 §5.3.6.1: the station that receives DIS sets X = 1

	// Phase A (T.30 §5.1; T.31 §8.3.1): dial. CONNECT means the far end's
	// V.21 flags were heard; the DCE is then in +FRH=3 (implicit).
	num := strings.Map(func(r rune) rune {
		if strings.ContainsRune("0123456789*#,WwPpTt+", r) {
			return r
		}
		return -1
	}, job.Number)
	c.j.t30("phase A: dialling %s", num)
	dial := c.prof.Dial + num
	c.m.trace('>', dial, nil)
	// The dial is in the journal before the modem gets it: after a crash,
	// an attempt with no dial journaled placed no call, and the gateway
	// may send the fax again without the guest's fax arriving twice.
	if err := c.j.committed(5 * time.Second); err != nil {
		return fmt.Errorf("dialling: %w", err)
	}
	if err := c.m.write([]byte(dial + "\r")); err != nil {
		return err
	}
	// T1 (35 s) from answer to a valid signal; allow the ringing before it.
	_, final, err := c.m.response(ctx, dial, T1+60*time.Second)
	if err != nil {
		if errors.Is(err, ErrTimeout) {
			_ = c.m.Abort(ctx)
		}
		return fmt.Errorf("dialling: %w", err)
	}
	if !strings.HasPrefix(final, "CONNECT") {
		return &ResultError{Cmd: "dial", Code: final}
	}

	// Phase B (T.30 §5.2): the answerer's NSF/CSI/DIS.
	caps, err := c.awaitDIS(ctx, res, true)
	if err != nil {
		return err
	}
	s := Session{Fine: pages[0].fine && caps.Fine, Width: 0, Length: 0}
	if caps.MR && !job.NoMR {
		s.Scheme = codec.MR
	}
	// ECM (T.30 Annex A) when the far end's DIS offers it (bit 27), the
	// profile allows it and the job does not refuse it; T.6 (MMR, bit 31)
	// only with ECM (T.30 Table 2 note).
	if ecmSupported && c.prof.ECM && !job.NoECM && caps.ECM {
		s.ECM = true
		s.Frame64 = c.faults.frame64
		if caps.MMR {
			s.Scheme = codec.MMR
		}
	}
	res.ECM = s.ECM
	s.ScanTime = minLineTime(caps, s.Fine)
	if _, ok := dcs21to23[s.ScanTime]; !ok {
		s.ScanTime = 20 * time.Millisecond
	}
	mods := candidates(caps, c.prof, job.MaxRate)
	if len(mods) == 0 {
		return fmt.Errorf("%w: no common modulation (far end %s)", ErrProtocol, caps)
	}
	res.Scheme = s.Scheme.String()
	modIdx := 0
	tries := job.PageTries
	if tries <= 0 {
		tries = 2
	}

	needTraining := true
	// ecmPage is the PPS page counter: pages the receiver has confirmed with
	// MCF (T.30 §5.3.6.2 PPS; spandsp does not count a page closed by
	// EOR/ERR and refuses the next one numbered past it).
	ecmPage := 0
	for p := 0; p < len(pages); {
		if needTraining {
			var err error
			modIdx, err = c.train(ctx, &s, mods, modIdx, job.Ident)
			if err != nil {
				return err
			}
			res.BitRate = s.Mod.BPS
			needTraining = false
		}
		bm := pages[p].bm
		if pages[p].fine && !s.Fine {
			bm = halveRows(bm)
		}
		pr := &fax.PageResult{Page: p + 1}
		if len(res.PerPage) > 0 && res.PerPage[len(res.PerPage)-1].Page == p+1 {
			pr = &res.PerPage[len(res.PerPage)-1]
		} else {
			res.PerPage = append(res.PerPage, fax.PageResult{Page: p + 1})
			pr = &res.PerPage[len(res.PerPage)-1]
		}
		pr.Tries++
		pr.BitRate, pr.Scheme = s.Mod.BPS, s.Scheme.String()
		data, err := encodePage(bm, s)
		if err != nil {
			return fmt.Errorf("page %d: %w", p+1, err)
		}
		pr.Bytes = len(data)
		t0 := time.Now()
		ppm := FcfMPS
		if p == len(pages)-1 {
			ppm = FcfEOP
		}
		// Phase C (T.30 §5.3.2.3): the page at the trained rate.
		c.j.t30("phase C: page %d, %d octets, %s", p+1, len(data), s)
		var resp fax.PostPageResponse
		if s.ECM {
			// T.30 Annex A: phase C and D per block (FCD/RCP, PPS, PPR/MCF).
			resp, err = c.sendPageECM(ctx, &s, mods, &modIdx, data, ecmPage, ppm)
			if resp == fax.MCF {
				ecmPage++
			}
			if err != nil {
				return fmt.Errorf("page %d: %w", p+1, err)
			}
			pr.Duration = time.Since(t0)
			res.BitRate, pr.BitRate = s.Mod.BPS, s.Mod.BPS
		} else {
			if err := c.sendPage(ctx, s, data); err != nil {
				return fmt.Errorf("page %d: %w", p+1, err)
			}
			pr.Duration = time.Since(t0)
			// Phase D (T.30 §5.3.2.4): the post-message command, 75 ms after.
			resp, err = c.postPage(ctx, ppm)
			if err != nil {
				return fmt.Errorf("page %d: %w", p+1, err)
			}
		}
		pr.Code = resp
		pr.Confirmed = resp.Confirmed()
		c.j.t30("page %d: %s", p+1, resp)
		if job.OnPage != nil {
			job.OnPage(fax.PageProgress{Page: p + 1, Pages: len(pages), Try: pr.Tries, Code: resp, Confirmed: pr.Confirmed,
				Again: sendsAgain(resp, pr.Tries, tries, ppm), BitRate: pr.BitRate, Duration: pr.Duration})
		}
		switch resp {
		case fax.MCF, fax.PIP:
			res.PagesConfirmed++
			p++
		case fax.RTP:
			// T.30 §5.3.6.1.6: received; retrain before the next page.
			res.PagesConfirmed++
			p++
			needTraining = true
		case fax.ERR:
			// ECM, T.30 Annex A §A.1.3: EOR ended the correction and the
			// receiver took the page with errors. Not confirmed; the
			// procedure goes on with the next page.
			p++
		case fax.RTN, fax.PIN:
			// T.30 §5.3.6.1.6: not acceptable; retrain, then the page may be
			// sent again (T.30 §5.3.2.4 leaves the retransmission to us).
			needTraining = true
			if pr.Tries >= tries {
				c.j.t30("page %d refused %d times: giving up on it", p+1, pr.Tries)
				p++
			}
			if p < len(pages) && modIdx+1 < len(mods) {
				modIdx++ // step down for the retrain
			}
			if p == len(pages) {
				// the last page was refused: EOP was answered, the call ends
				return c.finish(ctx)
			}
		}
		if p == len(pages) {
			break
		}
		if needTraining && (resp == fax.RTN || resp == fax.PIN) && ppm == FcfEOP {
			return c.finish(ctx)
		}
	}
	return c.finish(ctx)
}

// sendsAgain says whether a page answered resp is sent again: RTN and PIN
// ask for a retrain, and the sender may then send the page again (T.30
// §5.3.6.1.6, §5.3.2.4), up to limit sends; a refused last page (EOP
// answered) ends the call instead. It is the rule the loop of send
// follows, for the progress it reports.
func sendsAgain(resp fax.PostPageResponse, sends, limit int, ppm FCF) bool {
	return (resp == fax.RTN || resp == fax.PIN) && sends < limit && ppm != FcfEOP
}

// finish is phase E (T.30 §5.3.2.5): DCN, then on hook.
func (c *call) finish(ctx context.Context) error {
	c.j.t30("phase E: DCN")
	c.switchToTx(ctx)
	if err := c.sendFrames(ctx, false, c.frame(FcfDCN, nil, true)); err != nil {
		c.j.t30("DCN not sent: %v", err)
	}
	return nil
}

// awaitDIS reads frames until a DIS (T.30 §5.3.2.1). connected: the DCE
// already said CONNECT for the first frame.
func (c *call) awaitDIS(ctx context.Context, res *fax.SendResult, connected bool) (Caps, error) {
	deadline := time.Now().Add(T1)
	for time.Now().Before(deadline) {
		frames, err := c.recvFrames(ctx, connected, time.Until(deadline))
		connected = false
		if err != nil && !errors.Is(err, ErrBadFrame) {
			return Caps{}, fmt.Errorf("waiting for DIS: %w", err)
		}
		for _, f := range frames {
			switch {
			case f.FCF == byte(FcfCSI):
				res.RemoteID = DecodeIdent(f.FIF)
			case f.FCF == byte(FcfDIS):
				caps, err := ParseDIS(f.FIF)
				if err != nil {
					continue
				}
				c.j.t30("phase B: far end %q can %s", res.RemoteID, caps)
				return caps, nil
			case f.Type() == FcfDCN&^1:
				return Caps{}, ErrDCN
			}
		}
	}
	return Caps{}, fmt.Errorf("waiting for DIS: %w (T1)", ErrTimeout)
}

// train sends TSI+DCS and the TCF until the far end answers CFR,
// stepping down after FTT (T.30 §5.3.2.2). Each DCS is tried three times
// when no response comes (T.30 §5.3.2.2, flow chart: "command repeated 3
// times").
func (c *call) train(ctx context.Context, s *Session, mods []Modulation, idx int, ident string) (int, error) {
	for idx < len(mods) {
		s.Mod = mods[idx]
		answered := false
		for try := 1; try <= 3; try++ {
			c.j.t30("phase B: DCS %s (try %d)", s, try)
			c.switchToTx(ctx)
			frames := []Frame{c.frame(FcfDCS, s.Bytes(), true)}
			if ident != "" {
				frames = append([]Frame{c.frame(FcfTSI, EncodeIdent(ident), false)}, frames...)
			}
			if err := c.sendFrames(ctx, false, frames...); err != nil {
				return idx, err
			}
			// TCF (T.30 §5.3.2.2): 75 ± 20 ms after DCS, 1.5 s ± 10 % of zeros.
			if err := c.pause(ctx, 7); err != nil {
				return idx, err
			}
			if err := c.sendTCF(ctx, s.Mod); err != nil {
				return idx, err
			}
			resp, err := c.recvFrames(ctx, false, c.t4)
			if err != nil && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrBadFrame) {
				return idx, err
			}
			var got Frame
			for _, f := range resp {
				if f.Final {
					got = f
				}
			}
			switch got.Type() {
			case FcfCFR:
				c.j.t30("phase B: CFR at %s", s.Mod.Name)
				return idx, nil
			case FcfFTT:
				c.j.t30("phase B: FTT at %s, stepping down", s.Mod.Name)
				answered = true
			case FcfDCN:
				return idx, ErrDCN
			default:
				// no response, CRP, or the far end repeating DIS: send again
				continue
			}
			break
		}
		if !answered {
			return idx, fmt.Errorf("DCS: %w", ErrNoResponse)
		}
		idx++
	}
	return idx, ErrTrainFail
}

func (c *call) sendTCF(ctx context.Context, m Modulation) error {
	n := m.BPS * 3 / 16 // 1.5 s of zeros
	return c.sendHighSpeed(ctx, m.Long, make([]byte, n))
}

// sendHighSpeed transmits data with AT+FTM=code (T.31 §8.3.4.1) and waits
// for OK, which the DCE gives once the data is on the line.
func (c *call) sendHighSpeed(ctx context.Context, code int, data []byte) error {
	cmd := "AT+FTM=" + strconv.Itoa(code)
	if _, err := c.m.Expect(ctx, cmd, "CONNECT", 10*time.Second); err != nil {
		return err
	}
	if d := c.prof.Quirks.ConnectDelay; d > 0 {
		time.Sleep(d)
	}
	c.m.trace('>', fmt.Sprintf("<%d octets of data>", len(data)), nil)
	c.m.txMode.Store(true)
	defer c.m.txMode.Store(false)
	if err := c.m.SendData(ctx, data); err != nil {
		return err
	}
	m, _ := ModulationByCode(code)
	bps := max(m.BPS, 2400)
	limit := time.Duration(len(data))*8*time.Second/time.Duration(bps) + 5*time.Second
	_, final, err := c.m.response(ctx, cmd+" data", limit)
	if err != nil {
		return err
	}
	if final != "OK" {
		if final == "NO CARRIER" {
			return ErrNoCarrier
		}
		return &ResultError{Cmd: cmd, Code: final}
	}
	return nil
}

func (c *call) sendPage(ctx context.Context, s Session, data []byte) error {
	code := s.Mod.Long
	if c.prof.Quirks.ShortTrain {
		code = s.Mod.Short
	}
	return c.sendHighSpeed(ctx, code, data)
}

// postPage sends the post-message command and reads the response, three
// tries (T.30 §5.3.2.4 and the flow chart: a command without a response
// within T4 is repeated, at most 3 times).
func (c *call) postPage(ctx context.Context, ppm FCF) (fax.PostPageResponse, error) {
	if err := c.pause(ctx, 8); err != nil {
		return fax.None, err
	}
	for try := 1; try <= 3; try++ {
		if try > 1 {
			c.switchToTx(ctx)
		}
		if err := c.sendFrames(ctx, false, c.frame(ppm, nil, true)); err != nil {
			return fax.None, err
		}
		frames, err := c.recvFrames(ctx, false, c.t4)
		if err != nil && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrBadFrame) {
			return fax.None, err
		}
		for _, f := range frames {
			switch f.Type() {
			case FcfMCF:
				return fax.MCF, nil
			case FcfRTP:
				return fax.RTP, nil
			case FcfRTN:
				return fax.RTN, nil
			case FcfPIP:
				return fax.PIP, nil
			case FcfPIN:
				return fax.PIN, nil
			case FcfDCN:
				return fax.None, ErrDCN
			case FcfCRP:
				// T.30 §5.3.6.1.7: repeat the command
			}
		}
	}
	return fax.None, fmt.Errorf("%s: %w", ppm.Name(), ErrNoResponse)
}
