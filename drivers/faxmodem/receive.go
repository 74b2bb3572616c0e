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

// Copy quality thresholds for MCF against RTN (T.30 §5.3.6.1.6 leaves the
// judgement to the receiver; these are HylaFAX's customary defaults: 95 %
// good lines, a few consecutive bad lines).
const (
	maxBadPercent     = 5
	maxConsecutiveBad = 16
)

// ourCaps is the DIS this host sends: every modulation the profile allows,
// fine resolution, MR, no minimum scan-line time (a computer is never
// slower than the line), unlimited length (T.30 Table 2).
func ourCaps(prof *Profile) Caps {
	f := prof.families()
	return Caps{
		CanReceive: true,
		V27:        f&famV27 != 0 || f == 0,
		V29:        f&famV29 != 0,
		V17:        f&famV17 != 0 && f&famV29 != 0 && f&famV27 != 0,
		Fine:       true,
		MR:         true,
		Length:     2, // unlimited
		ScanTime:   0,
		// ECM (T.30 Annex A, bit 27) and with it T.6 (bit 31) where the
		// profile allows it.
		ECM: ecmSupported && prof.ECM,
		MMR: ecmSupported && prof.ECM,
	}
}

// receive runs the answering side of T.30. The modem has rung; ATA is sent.
func (c *call) receive(ctx context.Context, ident string, rec *fax.Received) error {
	c.x = 0 // T.30 §5.3.6.1: the station that sent DIS and got its answer: X = 0
	// Phase A (T.30 §5.1, T.31 §8.3.1): ATA makes the DCE send CED, then
	// V.21 flags with +FTH=3 implied: CONNECT means "send your frames".
	c.j.t30("phase A: answering")
	if _, err := c.m.Expect(ctx, c.prof.Answer, "CONNECT", 40*time.Second); err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	caps := ourCaps(c.prof)
	disFrames := []Frame{c.frame(FcfCSI, EncodeIdent(ident), false), c.frame(FcfDIS, caps.Bytes(), true)}
	connected := true
	sendDIS := true
	t1 := time.Now().Add(T1) // T.30 §5.4.3.1: T1 to hear a valid DCS
	var s Session
	haveSession := false
	var lastResp Frame
	var prevPPS *Frame // ECM: the PPS that closed the last page

	for {
		// Phase B (T.30 §5.3.2.1): DIS until a DCS comes, for T1.
		for !haveSession {
			if time.Now().After(t1) {
				return fmt.Errorf("no DCS: %w (T1)", ErrTimeout)
			}
			if sendDIS {
				if !connected {
					c.switchToTx(ctx)
				}
				c.j.t30("phase B: DIS %s", caps)
				if err := c.sendFrames(ctx, connected, disFrames...); err != nil {
					return err
				}
				connected = false
			}
			frames, err := c.recvFrames(ctx, false, c.t4)
			if err != nil && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrBadFrame) {
				return err
			}
			sendDIS = true // T.30 §5.3.2.1: DIS is repeated when T4 runs out
			var dcs *Session
			for _, f := range frames {
				switch {
				case f.Type() == FcfTSI:
					rec.RemoteID = DecodeIdent(f.FIF)
				case f.Type() == FcfDCS:
					d, err := ParseDCS(f.FIF)
					if err != nil {
						c.j.t30("bad DCS: %v", err)
						continue
					}
					dcs = &d
				case f.Type() == FcfDCN&^1:
					return ErrDCN
				}
			}
			if dcs == nil {
				continue
			}
			// TCF (T.30 §5.3.2.2): check 1.5 s of zeros at the new rate.
			ok, why := c.receiveTCF(ctx, *dcs)
			c.j.t30("phase B: TCF at %s: %s", dcs.Mod.Name, why)
			c.switchToTx(ctx)
			if !ok {
				if err := c.sendFrames(ctx, false, c.frame(FcfFTT, nil, true)); err != nil {
					return err
				}
				sendDIS = false // the sender steps down and sends DCS again
				continue
			}
			if err := c.sendFrames(ctx, false, c.frame(FcfCFR, nil, true)); err != nil {
				return err
			}
			s, haveSession = *dcs, true
			rec.BitRate, rec.ECM = s.Mod.BPS, s.ECM
			c.j.t30("phase B: CFR, session %s", s)
		}

		if s.ECM {
			// T.30 Annex A: phases C and D per block; MCF is sent once
			// every frame of the page is in.
			data, ppmT, last, eor, err := c.receivePageECM(ctx, &s, prevPPS)
			if err != nil {
				c.j.t30("phase C (ECM): %v", err)
				if len(data) > 0 {
					rec.Pages = append(rec.Pages, c.judge(data, s, true))
				}
				return err
			}
			prevPPS = last
			pg := c.judge(data, s, false)
			pg.Response = fax.MCF // what was sent: ECM guarantees the frames
			if eor {
				pg.Response, pg.Partial = fax.ERR, true // T.30 Annex A §A.1.3: EOR/ERR
			}
			rec.Pages = append(rec.Pages, pg)
			rec.BitRate = s.Mod.BPS
			c.j.t30("phase D: page %d (ECM) %s: %d octets, %d lines, %d bad; %s", len(rec.Pages), ppmT.Name(), len(data), pg.Height, pg.BadLines, pg.Response)
			switch ppmT {
			case FcfEOP, FcfPRIEOP:
				return c.awaitDCN(ctx, rec, prevPPS)
			case FcfEOM, FcfPRIEOM:
				haveSession, sendDIS = false, true
				t1 = time.Now().Add(T1)
			}
			continue
		}
		// Phase C (T.30 §5.3.2.3): the page.
		data, perr := c.receivePage(ctx, s)
		if perr != nil {
			c.j.t30("phase C: no page (%v)", perr)
			if errors.Is(perr, ErrNoCarrier) || errors.Is(perr, fax.ErrModemGone) {
				if len(data) > 0 {
					rec.Pages = append(rec.Pages, c.judge(data, s, true))
				}
				return perr
			}
		}
		// Phase D (T.30 §5.3.2.4): the post-message command within T2.
		frames, err := c.recvFrames(ctx, false, T2)
		if err != nil && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrBadFrame) {
			if len(data) > 0 {
				rec.Pages = append(rec.Pages, c.judge(data, s, true))
			}
			return err
		}
		var ppm *Frame
		for i, f := range frames {
			switch f.Type() {
			case FcfMPS, FcfEOP, FcfEOM, FcfPRIMPS, FcfPRIEOP, FcfPRIEOM:
				ppm = &frames[i]
			case FcfDCS:
				// the sender did not hear our CFR and repeats DCS + TCF
				d, err := ParseDCS(f.FIF)
				if err == nil {
					ok, why := c.receiveTCF(ctx, d)
					c.j.t30("phase B again: TCF %s", why)
					c.switchToTx(ctx)
					fcf := FcfCFR
					if !ok {
						fcf = FcfFTT
						haveSession = false
						sendDIS = false
					} else {
						s = d
					}
					if err := c.sendFrames(ctx, false, c.frame(fcf, nil, true)); err != nil {
						return err
					}
				}
			case FcfDCN &^ 1:
				if len(data) > 0 {
					rec.Pages = append(rec.Pages, c.judge(data, s, true))
				}
				return ErrDCN
			}
		}
		if ppm == nil {
			if len(frames) == 0 && len(data) == 0 {
				if len(rec.Pages) > 0 && lastResp.FCF != 0 {
					// nothing heard: the sender may wait for our lost response
					c.switchToTx(ctx)
					_ = c.sendFrames(ctx, false, lastResp)
					continue
				}
				return fmt.Errorf("no post-page command: %w (T2)", ErrTimeout)
			}
			continue
		}
		var resp fax.PostPageResponse
		if len(data) == 0 && lastResp.FCF != 0 {
			// a repeated post-page command: our response was lost (T.30 §5.3.2.4)
			resp = fax.PostPageResponse(FCF(lastResp.FCF).Name())
			c.j.t30("phase D: %s repeated, answering %s again", ppm.Type().Name(), resp)
		} else {
			pg := c.judge(data, s, false)
			resp = pg.Response
			rec.Pages = append(rec.Pages, pg)
			c.j.t30("phase D: page %d %s: %d lines, %d bad; %s", len(rec.Pages), ppm.Type().Name(), pg.Height, pg.BadLines, resp)
		}
		fcf := FcfMCF
		if resp == fax.RTN {
			fcf = FcfRTN
		}
		lastResp = c.frame(fcf, nil, true)
		c.switchToTx(ctx)
		if err := c.sendFrames(ctx, false, lastResp); err != nil {
			return err
		}
		if fcf == FcfRTN {
			// T.30 §5.3.6.1.6: the sender retrains (DCS + TCF) next.
			haveSession, sendDIS = false, false
			t1 = time.Now().Add(T1)
		}
		switch ppm.Type() {
		case FcfEOP, FcfPRIEOP:
			return c.awaitDCN(ctx, rec, nil)
		case FcfEOM, FcfPRIEOM:
			// T.30 §5.3.2.4: back to phase B, DIS again.
			haveSession, sendDIS = false, true
			t1 = time.Now().Add(T1)
		}
	}
}

// awaitDCN is phase E (T.30 §5.3.2.5): the sender's DCN after our MCF to
// EOP. With ECM a repeated PPS-EOP (our MCF was lost) is answered MCF again.
func (c *call) awaitDCN(ctx context.Context, rec *fax.Received, pps *Frame) error {
	for try := 0; try < 3 && !rec.Complete; try++ {
		frames, _ := c.recvFrames(ctx, false, T2)
		repeat := false
		for _, f := range frames {
			switch f.Type() {
			case FcfDCN &^ 1:
				rec.Complete = true
			case FcfPPS:
				repeat = pps != nil
			}
		}
		if !repeat {
			break
		}
		c.j.t30("phase E: PPS-EOP repeated, MCF again")
		c.switchToTx(ctx)
		if err := c.sendFrames(ctx, false, c.frame(FcfMCF, nil, true)); err != nil {
			return err
		}
	}
	if !rec.Complete {
		c.j.t30("phase E: no DCN after EOP (accepted: the document is complete)")
		rec.Complete = true
	}
	return nil
}

// receiveTCF reads the training check with AT+FRM (T.31 §8.3.4.2) and
// judges it: T.30 §5.3.2.2 asks for 1.5 s of zeros; we accept a run of
// zeros of at least 0.75 s with less than 5 % other octets (the carrier's
// start and end may garble a few).
func (c *call) receiveTCF(ctx context.Context, s Session) (bool, string) {
	data, final, err := c.receiveHighSpeed(ctx, s.Mod.Long, 5*time.Second)
	if err != nil {
		return false, err.Error()
	}
	run, longest, nonzero := 0, 0, 0
	for _, b := range data {
		if b == 0 {
			run++
			longest = max(longest, run)
		} else {
			run = 0
			nonzero++
		}
	}
	need := s.Mod.BPS * 3 / 32 // 0.75 s
	why := fmt.Sprintf("%d octets, longest zero run %d (need %d), %d non-zero, %s", len(data), longest, need, nonzero, final)
	return longest >= need && nonzero*20 < len(data), why
}

// receiveHighSpeed runs AT+FRM=code and returns the data until DLE ETX.
// +FCERROR (another carrier was heard, T.31 §8.3.4.2) is an error of its own.
func (c *call) receiveHighSpeed(ctx context.Context, code int, idle time.Duration) ([]byte, string, error) {
	cmd := "AT+FRM=" + strconv.Itoa(code)
	_, final, err := c.m.Command(ctx, cmd, idle+T2)
	if errors.Is(err, ErrTimeout) {
		_ = c.m.Abort(ctx)
		return nil, "", err
	}
	if err != nil {
		return nil, "", err
	}
	if !strings.HasPrefix(final, "CONNECT") {
		if final == "NO CARRIER" {
			return nil, final, ErrNoCarrier
		}
		return nil, final, &ResultError{Cmd: cmd, Code: final}
	}
	data, final, err := c.m.ReceiveData(ctx, idle, 15*time.Minute)
	c.m.trace('<', fmt.Sprintf("<%d octets of data> %s", len(data), final), nil)
	return data, final, err
}

// receivePage receives one page's data (phase C). A page is ended by the
// loss of carrier: DLE ETX then NO CARRIER (T.31 §8.3.4.2).
func (c *call) receivePage(ctx context.Context, s Session) ([]byte, error) {
	code := s.Mod.Long
	if c.prof.Quirks.ShortTrain {
		code = s.Mod.Short
	}
	for try := 0; try < 3; try++ {
		data, final, err := c.receiveHighSpeed(ctx, code, 10*time.Second)
		var re *ResultError
		if errors.As(err, &re) && strings.Contains(re.Code, "FCERROR") {
			// V.21 heard instead of the page carrier: a repeated command.
			return nil, err
		}
		if err != nil {
			return data, err
		}
		if final == "NO CARRIER" && len(data) == 0 {
			return nil, ErrNoCarrier
		}
		return data, nil
	}
	return nil, ErrTimeout
}

// judge decodes a received page and decides MCF or RTN.
func (c *call) judge(data []byte, s Session, cut bool) fax.ReceivedPage {
	p := codec.Params{Scheme: s.Scheme, Width: widthPels(s.Width), Order: codec.LSBFirst}
	rp := fax.ReceivedPage{Data: data, Params: p, Fine: s.Fine, BitRate: s.Mod.BPS, Partial: cut, Response: fax.RTN}
	pg, err := codec.DecodePage(data, p)
	if err != nil || pg.Bitmap == nil {
		rp.Partial = true
		return rp
	}
	rp.Height = pg.Bitmap.Height
	rp.BadLines = pg.BadLines
	rp.MaxConsecutiveBad = pg.MaxConsecutiveBad
	if !pg.EndMark {
		rp.Partial = true
	}
	if rp.Height > 0 && rp.BadLines*100 <= maxBadPercent*rp.Height && rp.MaxConsecutiveBad <= maxConsecutiveBad {
		rp.Response = fax.MCF
	}
	return rp
}

// widthPels maps DCS bits 17-18 to the line length (T.4 §2.2).
func widthPels(w int) int {
	switch w {
	case 1:
		return 2048 // 255 mm
	case 2:
		return 2432 // 303 mm
	}
	return 1728
}

// ecmSupported switches ECM (T.30 Annex A, ecm.go) on: offered in our DIS
// and selected in DCS when the profile (ecm: true) and the far end allow.
const ecmSupported = true
