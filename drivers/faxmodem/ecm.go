package faxmodem

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"switchboard/internal/events/fax"
	"time"
)

// Error correction mode (ITU-T T.30 Annex A, T.4 Annex A).
//
// In phase C the page travels as HDLC frames at the high-speed rate
// (AT+FTH=<mod> / AT+FRH=<mod>, T.31 §8.3.5): each FCD frame carries a
// frame number and 256 (or 64, DCS bit 28) octets of coded data; a block
// (partial page) is at most 256 frames and is closed by three RCP frames.
// In phase D the sender asks with PPS (plus NULL, MPS, EOP or EOM) and the
// receiver answers MCF, or PPR with a bitmap of the frames to send again.

// Phase C frame types (T.4 Annex A; T.30 Annex A §A.3): no X bit.
const (
	FcfFCD FCF = 0x06 // 0110 0000 facsimile coded data
	FcfRCP FCF = 0x86 // 0110 0001 return to control for partial page
)

// ppmNULL is the PPS/EOR post-message field of a block that is not the
// last of its page (T.30 §5.3.6.2.x, PPS-NULL: all zeros).
const ppmNULL byte = 0x00

// ecmMaxFrames is the largest block: frame numbers are one octet, 0-255
// (T.4 Annex A), and PPR's bitmap has 256 bits (T.30 §5.3.6.2: PPR FIF).
const ecmMaxFrames = 256

// ecmPPRLimit: after the fourth PPR for the same block the sender sends
// CTC or EOR (T.30 Annex A §A.1.3).
const ecmPPRLimit = 4

// ErrECMBlock: a block could not be delivered (EOR answered ERR, or the
// receiver kept asking).
var ErrECMBlock = errors.New("faxmodem: ECM block not delivered")

// ecmFaults lets the tests disturb ECM on purpose to drive PPR, CTC and
// multi-block pages through a real far end. The zero value, the only one
// in production, disturbs nothing. It is held by one Driver (and copied
// into each of its calls), not by the package, so that the tests that set
// it run in parallel with the others.
type ecmFaults struct {
	frame64 bool                                     // send 64-octet frames (DCS bit 28)
	dropTx  func(page, block, burst, frame int) bool // frames left out of a burst
	dropRx  func(burst, frame int) bool              // frames received but ignored
}

// ecmFrameSize is the FCD data length the DCS set (T.30 Table 2 bit 28:
// 0 = 256 octets, 1 = 64 octets).
func ecmFrameSize(s Session) int {
	if s.Frame64 {
		return 64
	}
	return 256
}

// ecmBlocks cuts a coded page into blocks of at most 256 frames of size
// octets each (T.4 Annex A). The last frame of the page may be shorter.
func ecmBlocks(data []byte, size int) [][][]byte {
	var blocks [][][]byte
	var cur [][]byte
	for len(data) > 0 {
		n := min(size, len(data))
		cur = append(cur, data[:n])
		data = data[n:]
		if len(cur) == ecmMaxFrames {
			blocks = append(blocks, cur)
			cur = nil
		}
	}
	if len(cur) > 0 || len(blocks) == 0 {
		if len(cur) == 0 {
			cur = [][]byte{{}} // an empty page still has one (empty) frame
		}
		blocks = append(blocks, cur)
	}
	return blocks
}

// fcdFrame is an FCD frame: FCF, frame number, data (T.4 Annex A). The
// control field is 0x03: more frames follow in the burst.
func fcdFrame(n int, data []byte) Frame {
	fif := make([]byte, 0, 1+len(data))
	fif = append(fif, byte(n))
	return Frame{FCF: byte(FcfFCD), FIF: append(fif, data...)}
}

// encodePPR is the FIF of PPR: 256 bits, bit n (octet n/8, bit n%8 — the
// first transmitted bit is the LSB in T.31 order) set when frame n must be
// sent again (T.30 §5.3.6.2, PPR).
func encodePPR(missing []int) []byte {
	fif := make([]byte, ecmMaxFrames/8)
	for _, n := range missing {
		if n >= 0 && n < ecmMaxFrames {
			fif[n/8] |= 1 << (n % 8)
		}
	}
	return fif
}

// decodePPR lists the frames a PPR asks for, in order, below count (the
// frames in the block; 0 = no limit).
func decodePPR(fif []byte, count int) []int {
	var out []int
	for i := 0; i < len(fif) && i < ecmMaxFrames/8; i++ {
		for b := 0; b < 8; b++ {
			n := i*8 + b
			if fif[i]&(1<<b) != 0 && (count == 0 || n < count) {
				out = append(out, n)
			}
		}
	}
	return out
}

// ppsFIF is the FIF of PPS (and EOR): the post-message command (with its
// X bit, or NULL), the page counter, the block counter, and the number of
// frames in the block minus one, each modulo 256 (T.30 §5.3.6.2, PPS).
func ppsFIF(ppm byte, page, block, frames int) []byte {
	return []byte{ppm, byte(page), byte(block), byte(max(frames, 1) - 1)}
}

// ecmResp is the receiver's answer to PPS/EOR/CTC/RR.
type ecmResp struct {
	fcf FCF
	fif []byte
}

// sendECMBurst transmits the frames of block named by want (all when nil)
// and three RCP frames in one high-speed transmission (T.4 Annex A: RCP
// ×3 ends the partial page). The frames are built here (hdlcsw.go) and
// sent with AT+FTM (T.31 §8.3.4.1), after about 200 ms of flags.
func (c *call) sendECMBurst(ctx context.Context, code int, block [][]byte, want []int, drop func(int) bool) error {
	if want == nil {
		for i := range block {
			want = append(want, i)
		}
	}
	var frames []Frame
	for _, n := range want {
		if drop != nil && drop(n) {
			continue
		}
		frames = append(frames, fcdFrame(n, block[n]))
	}
	for i := 0; i < 3; i++ {
		frames = append(frames, Frame{FCF: byte(FcfRCP), Final: true})
	}
	m, _ := ModulationByCode(code)
	stream := hdlcEncode(frames, max(m.BPS/40, 16))
	c.j.t30("phase C: ECM burst of %d frames + 3 RCP, %d octets", len(want), len(stream))
	return c.sendHighSpeed(ctx, code, stream)
}

// ecmCommand sends a phase D command of ECM (PPS, EOR, CTC, RR) and reads
// the response; a command without a response within T4 is repeated, three
// tries (T.30 §5.3.2.4 flow chart), CRP asks for a repeat (T.30
// §5.3.6.1.7).
func (c *call) ecmCommand(ctx context.Context, f Frame, pause bool) (ecmResp, error) {
	if pause {
		// T.30 §5.3.2.4 / Note 4 of §5: 75 ± 20 ms after the high-speed signal.
		if err := c.pause(ctx, 8); err != nil {
			return ecmResp{}, err
		}
	}
	for try := 1; try <= 3; try++ {
		if try > 1 {
			c.switchToTx(ctx)
		}
		if err := c.sendFrames(ctx, false, f); err != nil {
			return ecmResp{}, err
		}
		frames, err := c.recvFrames(ctx, false, c.t4)
		if err != nil && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrBadFrame) {
			return ecmResp{}, err
		}
		for _, r := range frames {
			switch r.Type() {
			case FcfMCF, FcfPPR, FcfRNR, FcfCTR, FcfERR, FcfRTN, FcfPIP, FcfPIN, FcfRTP:
				return ecmResp{fcf: r.Type(), fif: r.FIF}, nil
			case FcfDCN:
				return ecmResp{}, ErrDCN
			}
		}
	}
	return ecmResp{}, fmt.Errorf("%s: %w", FCF(f.FCF&^1).Name(), ErrNoResponse)
}

// ecmCode is the +FTM/+FRM code for ECM page data: short training once
// trained (the profile's quirk), long training after CTC (the rate may
// change, so the receiver retrains; T.30 Annex A §A.1.3).
func (c *call) ecmCode(s Session, long bool) int {
	if c.prof.Quirks.ShortTrain && !long {
		return s.Mod.Short
	}
	return s.Mod.Long
}

// sendPageECM sends one coded page in ECM: per block, the frames, PPS,
// then the frames PPR asks for until MCF (T.30 Annex A). After four PPRs
// for the same block the rate steps down with CTC/CTR when a slower
// modulation is left, else EOR/ERR ends the retransmission (T.30 Annex A
// §A.1.3). last is MPS, EOP or EOM. It returns the page's response: MCF,
// or ERR when a block was given up with EOR.
func (c *call) sendPageECM(ctx context.Context, s *Session, mods []Modulation, modIdx *int, data []byte, page int, last FCF) (fax.PostPageResponse, error) {
	blocks := ecmBlocks(data, ecmFrameSize(*s))
	resp := fax.MCF
	long := false
	for b, block := range blocks {
		ppm := ppmNULL
		if b == len(blocks)-1 {
			ppm = byte(last) | c.x // T.30 §5.3.6.2: the FCF of the post-message command, X bit included
		}
		var want []int // nil: the whole block
		pprs := 0
		for burst := 0; ; burst++ {
			var drop func(int) bool
			if c.faults.dropTx != nil {
				drop = func(n int) bool { return c.faults.dropTx(page, b, burst, n) }
			}
			if err := c.sendECMBurst(ctx, c.ecmCode(*s, long), block, want, drop); err != nil {
				return fax.None, fmt.Errorf("block %d: %w", b, err)
			}
			long = false
			r, err := c.ecmCommand(ctx, c.frame(FcfPPS, ppsFIF(ppm, page, b, len(block)), true), true)
			// RNR: the receiver is busy; ask with RR until it is ready, for
			// at most T5 (T.30 Annex A; §5.4.3.1 T5 = 60 s).
			for t5 := time.Now().Add(T5); err == nil && r.fcf == FcfRNR; {
				if time.Now().After(t5) {
					return fax.None, fmt.Errorf("RNR for %v: %w (T5)", T5, ErrTimeout)
				}
				c.j.t30("phase D: RNR, sending RR")
				c.switchToTx(ctx)
				r, err = c.ecmCommand(ctx, c.frame(FcfRR, nil, true), false)
			}
			if err != nil {
				return fax.None, fmt.Errorf("block %d: %w", b, err)
			}
			c.j.t30("phase D: PPS-%s (page counter %d, block %d) -> %s", ppmName(ppm), page, b, r.fcf.Name())
			switch r.fcf {
			case FcfMCF:
			case FcfPPR:
				pprs++
				want = decodePPR(r.fif, len(block))
				if len(want) == 0 {
					want = nil
				}
				c.j.t30("phase D: PPR %d asks for %d frames %v", pprs, len(want), want)
				if pprs%ecmPPRLimit != 0 {
					c.switchToTx(ctx)
					continue
				}
				// T.30 Annex A §A.1.3: the fourth PPR for the same block.
				c.switchToTx(ctx)
				if *modIdx+1 < len(mods) {
					*modIdx++
					s.Mod = mods[*modIdx]
					// CTC's FIF is DCS octets 1-2 with bits 11-14 naming the
					// new rate (T.30 §5.3.6.2, CTC); CTR answers it.
					fif := s.Bytes()[:2]
					r2, err := c.ecmCommand(ctx, c.frame(FcfCTC, fif, true), false)
					if err != nil {
						return fax.None, err
					}
					if r2.fcf != FcfCTR {
						return fax.None, fmt.Errorf("CTC answered %s: %w", r2.fcf.Name(), ErrProtocol)
					}
					c.j.t30("phase D: CTC/CTR, continuing at %s", s.Mod.Name)
					long = true
					c.switchToTx(ctx)
					continue
				}
				// no slower rate: EOR ends this block's correction; ERR answers.
				r2, err := c.ecmCommand(ctx, c.frame(FcfEOR, []byte{ppm}, true), false)
				if err != nil {
					return fax.None, err
				}
				if r2.fcf != FcfERR {
					return fax.None, fmt.Errorf("EOR answered %s: %w", r2.fcf.Name(), ErrProtocol)
				}
				c.j.t30("phase D: EOR/ERR: block %d left with errors", b)
				resp = fax.ERR
			case FcfRTN, FcfPIN:
				return fax.RTN, nil
			default:
				return fax.None, fmt.Errorf("PPS answered %s: %w", r.fcf.Name(), ErrProtocol)
			}
			break
		}
		if b < len(blocks)-1 {
			c.switchToTx(ctx)
		}
	}
	return resp, nil
}

func ppmName(ppm byte) string {
	if ppm == ppmNULL {
		return "NULL"
	}
	return FCF(ppm &^ 1).Name()
}

// errFCError: the DCE heard V.21 while waiting for the high-speed carrier
// (T.31 §8.3.4.2 +FCERROR): the phase C burst was missed.
var errFCError = errors.New("faxmodem: +FCERROR (V.21 instead of the page carrier)")

// receiveECMBurst receives one high-speed transmission with AT+FRM
// (T.31 §8.3.4.2), finds the HDLC frames in it (hdlcsw.go) and keeps the
// FCD frames by number (T.4 Annex A); RCP ends the burst. Frames with a
// bad FCS are dropped: PPR asks for them again.
func (c *call) receiveECMBurst(ctx context.Context, code int, frames map[int][]byte, burst int) (int, error) {
	data, _, err := c.receiveHighSpeed(ctx, code, 10*time.Second)
	var re *ResultError
	if errors.As(err, &re) && strings.Contains(re.Code, "FCERROR") {
		return 0, errFCError
	}
	if err != nil && len(data) == 0 {
		return 0, err
	}
	got := 0
	fs, bad := hdlcDecode(data)
	rcp := 0
	for _, f := range fs {
		switch FCF(f.FCF) {
		case FcfFCD:
			if len(f.FIF) >= 1 {
				if c.faults.dropRx != nil && c.faults.dropRx(burst, int(f.FIF[0])) {
					continue
				}
				frames[int(f.FIF[0])] = f.FIF[1:]
				got++
			}
		case FcfRCP:
			rcp++
		default:
			c.j.t30("phase C: unexpected %s in an ECM burst", describe(f))
		}
	}
	c.m.trace('<', fmt.Sprintf("<ECM: %d FCD, %d RCP, %d bad frames>", got, rcp, bad), nil)
	return got, nil
}

// missingFrames lists the frame numbers below count not yet received.
func missingFrames(frames map[int][]byte, count int) []int {
	var out []int
	for i := 0; i < count; i++ {
		if _, ok := frames[i]; !ok {
			out = append(out, i)
		}
	}
	return out
}

// receivePageECM receives one page in ECM (T.30 Annex A): bursts of FCD
// frames, PPS answered by PPR until every frame of the block is in, then
// MCF; blocks are joined into the page. It returns the page data and the
// post-message command of the last PPS (MPS, EOP, EOM); MCF (ERR after
// EOR) has been sent. eor says a block was taken with frames missing. prev is the PPS that closed the previous page (nil on the first),
// answered MCF again if the sender repeats it (our MCF was lost).
func (c *call) receivePageECM(ctx context.Context, s *Session, prev *Frame) (page []byte, ppmT FCF, last *Frame, eor bool, err error) {
	frames := map[int][]byte{}
	count := 0
	long := false
	lastBlock := -1
	for tries, burst := 0, 0; tries < 12; burst++ {
		got, err := c.receiveECMBurst(ctx, c.ecmCode(*s, long), frames, burst)
		long = false
		if err != nil && !errors.Is(err, errFCError) && !errors.Is(err, ErrTimeout) {
			return page, 0, nil, eor, err
		}
		c.j.t30("phase C: ECM burst: %d frames (%d in the block so far)", got, len(frames))
		cmds, err := c.recvFrames(ctx, false, T2)
		if err != nil && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrBadFrame) {
			return page, 0, nil, eor, err
		}
		var cmd *Frame
		for i, f := range cmds {
			switch f.Type() {
			case FcfPPS, FcfEOR, FcfCTC, FcfRR, FcfDCN &^ 1:
				cmd = &cmds[i]
			}
		}
		if cmd == nil {
			tries++
			continue
		}
		respond := func(fcf FCF, fif []byte) error {
			c.switchToTx(ctx)
			return c.sendFrames(ctx, false, c.frame(fcf, fif, true))
		}
		switch cmd.Type() {
		case FcfDCN &^ 1:
			return page, 0, nil, eor, ErrDCN
		case FcfRR:
			// T.30 Annex A: RR asks whether we are ready; we always are.
			if err := respond(FcfMCF, nil); err != nil {
				return page, 0, nil, eor, err
			}
			continue
		case FcfCTC:
			// T.30 §5.3.6.2 CTC: bits 11-14 give the new rate; CTR answers,
			// and the retransmission follows with long training.
			if m, ok := modulationByDCS(field(cmd.FIF, 11, 4)); ok && len(cmd.FIF) >= 2 {
				s.Mod = m
			}
			c.j.t30("phase D: CTC, continuing at %s", s.Mod.Name)
			if err := respond(FcfCTR, nil); err != nil {
				return page, 0, nil, eor, err
			}
			long = true
			continue
		}
		if len(cmd.FIF) < 4 && cmd.Type() == FcfPPS {
			tries++
			continue
		}
		ppm := ppmNULL
		if len(cmd.FIF) > 0 {
			ppm = cmd.FIF[0] &^ 1
		}
		if cmd.Type() == FcfPPS {
			// a repeat of the PPS we answered MCF (our MCF was lost)
			block := int(cmd.FIF[2])
			if got == 0 && len(frames) == 0 && (block == lastBlock || (lastBlock < 0 && prev != nil && string(prev.FIF) == string(cmd.FIF))) {
				c.j.t30("phase D: PPS repeated, MCF again")
				if err := respond(FcfMCF, nil); err != nil {
					return page, 0, nil, eor, err
				}
				continue
			}
			// T.30 §5.3.6.2 PPS: the fourth octet is the frame count - 1;
			// a retransmission burst may give only its own count, so keep
			// the largest (and the highest frame number seen).
			count = max(count, int(cmd.FIF[3])+1)
			for n := range frames {
				count = max(count, n+1)
			}
			if miss := missingFrames(frames, count); len(miss) > 0 {
				c.j.t30("phase D: PPS-%s block %d: %d of %d frames missing: PPR", ppmName(ppm), block, len(miss), count)
				if err := respond(FcfPPR, encodePPR(miss)); err != nil {
					return page, 0, nil, eor, err
				}
				continue
			}
			c.j.t30("phase D: PPS-%s block %d: %d frames: MCF", ppmName(ppm), block, count)
			lastBlock = block
		} else {
			// EOR (T.30 Annex A §A.1.3): the sender gives up correcting
			// this block; ERR answers, the block is taken as it is.
			c.j.t30("phase D: EOR-%s: ERR, %d frames missing", ppmName(ppm), len(missingFrames(frames, count)))
			eor = true
		}
		for i := 0; i < count; i++ {
			page = append(page, frames[i]...)
		}
		frames = map[int][]byte{}
		count = 0
		fcf := FcfMCF
		if cmd.Type() == FcfEOR {
			fcf = FcfERR
		}
		if err := respond(fcf, nil); err != nil {
			return page, 0, nil, eor, err
		}
		if ppm != ppmNULL {
			return page, FCF(ppm), cmd, eor, nil
		}
		tries = 0
	}
	return page, 0, nil, eor, fmt.Errorf("no PPS: %w", ErrTimeout)
}
