package faxmodem

import (
	"fmt"
	"strings"
	"time"

	"switchboard/internal/fax/codec"
)

// FCF is a facsimile control field without its X bit, in T.31 octet order
// (the first bit on the line is the least significant bit). The comment
// gives T.30's notation (first bit on the left). T.30 §5.3.6.1.
type FCF byte

const (
	// Initial identification (T.30 §5.3.6.1.1): the X position is part of the code.
	FcfDIS FCF = 0x80 // 0000 0001 digital identification signal
	FcfCSI FCF = 0x40 // 0000 0010 called subscriber identification
	FcfNSF FCF = 0x20 // 0000 0100 non-standard facilities
	FcfDTC FCF = 0x81 // 1000 0001 digital transmit command
	FcfCIG FCF = 0x41 // 1000 0010 calling subscriber identification
	FcfNSC FCF = 0x21 // 1000 0100 non-standard facilities command

	// Commands to send (T.30 §5.3.6.1.3).
	FcfDCS FCF = 0x82 // X100 0001 digital command signal
	FcfTSI FCF = 0x42 // X100 0010 transmitting subscriber identification
	FcfNSS FCF = 0x22 // X100 0100 non-standard set-up
	FcfCTC FCF = 0x12 // X100 1000 continue to correct

	// Pre-message responses (T.30 §5.3.6.1.4).
	FcfCFR FCF = 0x84 // X010 0001 confirmation to receive
	FcfFTT FCF = 0x44 // X010 0010 failure to train
	FcfCTR FCF = 0xc4 // X010 0011 response for continue to correct

	// Post-message commands (T.30 §5.3.6.1.5).
	FcfEOM    FCF = 0x8e // X111 0001 end of message
	FcfMPS    FCF = 0x4e // X111 0010 multipage signal
	FcfEOP    FCF = 0x2e // X111 0100 end of procedure
	FcfPRIEOM FCF = 0x9e // X111 1001
	FcfPRIMPS FCF = 0x5e // X111 1010
	FcfPRIEOP FCF = 0x3e // X111 1100
	FcfPPS    FCF = 0xbe // X111 1101 partial page signal (ECM)
	FcfEOR    FCF = 0xce // X111 0011 end of retransmission (ECM)
	FcfRR     FCF = 0x6e // X111 0110 receiver ready (ECM)

	// Post-message responses (T.30 §5.3.6.1.6).
	FcfMCF FCF = 0x8c // X011 0001 message confirmation
	FcfRTP FCF = 0xcc // X011 0011 retrain positive
	FcfRTN FCF = 0x4c // X011 0010 retrain negative
	FcfPIP FCF = 0xac // X011 0101 procedure interrupt positive
	FcfPIN FCF = 0x2c // X011 0100 procedure interrupt negative
	FcfPPR FCF = 0xbc // X011 1101 partial page request (ECM)
	FcfRNR FCF = 0xec // X011 0111 receive not ready (ECM)
	FcfERR FCF = 0x1c // X011 1000 response for end of retransmission (ECM)

	// Other line control (T.30 §5.3.6.1.7).
	FcfDCN FCF = 0xfa // X101 1111 disconnect
	FcfCRP FCF = 0x1a // X101 1000 command repeat
	FcfFNV FCF = 0xca // X101 0011 field not valid
)

var fcfNames = map[FCF]string{
	FcfDIS: "DIS", FcfCSI: "CSI", FcfNSF: "NSF", FcfDTC: "DTC", FcfCIG: "CIG", FcfNSC: "NSC",
	FcfDCS: "DCS", FcfTSI: "TSI", FcfNSS: "NSS", FcfCTC: "CTC",
	FcfCFR: "CFR", FcfFTT: "FTT", FcfCTR: "CTR",
	FcfEOM: "EOM", FcfMPS: "MPS", FcfEOP: "EOP", FcfPRIEOM: "PRI-EOM", FcfPRIMPS: "PRI-MPS", FcfPRIEOP: "PRI-EOP",
	FcfPPS: "PPS", FcfEOR: "EOR", FcfRR: "RR",
	FcfMCF: "MCF", FcfRTP: "RTP", FcfRTN: "RTN", FcfPIP: "PIP", FcfPIN: "PIN", FcfPPR: "PPR", FcfRNR: "RNR", FcfERR: "ERR",
	FcfDCN: "DCN", FcfCRP: "CRP", FcfFNV: "FNV",
	FcfFCD: "FCD", FcfRCP: "RCP",
}

// Name is the signal's T.30 abbreviation. The X bit is ignored except for
// the initial identification group (DIS/DTC, CSI/CIG, NSF/NSC).
func (f FCF) Name() string {
	if n, ok := fcfNames[f]; ok {
		return n
	}
	if n, ok := fcfNames[f&^1]; ok && f&^1 != FcfDIS && f&^1 != FcfCSI && f&^1 != FcfNSF {
		return n
	}
	return fmt.Sprintf("FCF(%#02x)", byte(f))
}

// Modulation is a high-speed carrier as AT+FTM/AT+FRM name it (T.31
// Table 6). Long is the code with long training (V.17: odd codes).
type Modulation struct {
	Name  string
	BPS   int
	Long  int // +FTM/+FRM code with long training (V.17) or the only one
	Short int // +FTM/+FRM code with short training (V.17 only; else = Long)
	// dcs is the value of DCS bits 11-14 (bit 11 in bit 0), T.30 Table 2.
	dcs byte
	fam family
}

type family int

const (
	famV27 family = 1 << iota
	famV29
	famV17
)

// Modulations, fastest first: the order of the fall-back after FTT (T.30
// §5.3.2 leaves the choice to the transmitter; this is the usual one).
var Modulations = []Modulation{
	{"V.17 14400", 14400, 145, 146, 0b1000, famV17},
	{"V.17 12000", 12000, 121, 122, 0b1010, famV17},
	{"V.17 9600", 9600, 97, 98, 0b1001, famV17},
	{"V.29 9600", 9600, 96, 96, 0b0001, famV29},
	{"V.17 7200", 7200, 73, 74, 0b1011, famV17},
	{"V.29 7200", 7200, 72, 72, 0b0011, famV29},
	{"V.27ter 4800", 4800, 48, 48, 0b0010, famV27},
	{"V.27ter 2400", 2400, 24, 24, 0b0000, famV27},
}

func modulationByDCS(v byte) (Modulation, bool) {
	for _, m := range Modulations {
		if m.dcs == v {
			return m, true
		}
	}
	return Modulation{}, false
}

// ModulationByCode finds a modulation by its +FTM/+FRM code.
func ModulationByCode(code int) (Modulation, bool) {
	for _, m := range Modulations {
		if m.Long == code || m.Short == code {
			return m, true
		}
	}
	return Modulation{}, false
}

// bit n (1-based, T.30 Table 2 numbering) of a FIF: octet (n-1)/8, bit
// (n-1)%8 counted from the least significant (first transmitted) bit.
func getBit(fif []byte, n int) bool {
	i := (n - 1) / 8
	return i < len(fif) && fif[i]&(1<<((n-1)%8)) != 0
}

func setBit(fif []byte, n int, v bool) {
	if v {
		fif[(n-1)/8] |= 1 << ((n - 1) % 8)
	}
}

// Caps is a decoded DIS or DTC (T.30 Table 2).
type Caps struct {
	CanTransmit bool // bit 9: ready to transmit a document (polling)
	CanReceive  bool // bit 10: receiver fax operation
	V27         bool // bits 11-14
	V29         bool
	V17         bool
	Fine        bool // bit 15: 7.7 lines/mm (196 lpi)
	MR          bool // bit 16: two-dimensional coding
	// Width is bits 17-18 as a number, bit 17 the low bit (T.30 Table 2
	// lists "bit 17, bit 18"): 0 = 215 mm, 1 = 215/255 mm, 2 = 215/255/303 mm.
	Width int
	// Length is bits 19-20 likewise: 0 = A4, 1 = A4 and B4, 2 = unlimited.
	Length int
	// ScanTime is the minimum scan-line time at 3.85 lines/mm (bits
	// 21-23); ScanHalfFine says it is halved at 7.7 lines/mm.
	ScanTime     time.Duration
	ScanHalfFine bool
	Uncompressed bool // bit 26
	ECM          bool // bit 27
	MMR          bool // bit 31 (T.6, with ECM only)
	Superfine    bool // bit 41
	Raw          []byte
}

// dis21to23 maps DIS bits 21-23 (bit 21 in bit 0) to the minimum scan-line
// time and whether it halves at fine resolution (T.30 Table 2).
var dis21to23 = map[byte]struct {
	t    time.Duration
	half bool
}{
	0b000: {20 * time.Millisecond, false},
	0b100: {40 * time.Millisecond, false}, // bits 21,22,23 = 0,0,1
	0b010: {10 * time.Millisecond, false},
	0b001: {5 * time.Millisecond, false},
	0b110: {10 * time.Millisecond, true},
	0b011: {20 * time.Millisecond, true},
	0b101: {40 * time.Millisecond, true},
	0b111: {0, false},
}

// dcs21to23 is the same field in a DCS: only the five times.
var dcs21to23 = map[time.Duration]byte{
	20 * time.Millisecond: 0b000,
	40 * time.Millisecond: 0b100,
	10 * time.Millisecond: 0b010,
	5 * time.Millisecond:  0b001,
	0:                     0b111,
}

func field(fif []byte, first, n int) byte {
	var v byte
	for i := 0; i < n; i++ {
		if getBit(fif, first+i) {
			v |= 1 << i
		}
	}
	return v
}

func setField(fif []byte, first, n int, v byte) {
	for i := 0; i < n; i++ {
		setBit(fif, first+i, v&(1<<i) != 0)
	}
}

// ParseDIS decodes the FIF of a DIS or DTC. It never fails on content: a
// short FIF gives the capabilities it holds (T.30 §5.3.6.2.1 lets the
// extension bits end the field early); fewer than 3 octets is an error.
func ParseDIS(fif []byte) (Caps, error) {
	if len(fif) < 3 {
		return Caps{}, fmt.Errorf("faxmodem: DIS of %d octets (need 3)", len(fif))
	}
	c := Caps{Raw: append([]byte(nil), fif...)}
	c.CanTransmit = getBit(fif, 9)
	c.CanReceive = getBit(fif, 10)
	// Bits 11-14 (T.30 Table 2): 0,1,0,0 V.27ter; 1,0,0,0 V.29; 1,1,0,0
	// V.27ter and V.29; 1,1,0,1 V.27ter, V.29 and V.17; 0,0,0,0 V.27ter
	// fall-back (2400) only. Others are reserved: read them bit by bit.
	m := field(fif, 11, 4)
	switch {
	case m == 0:
		c.V27 = true
	default:
		c.V27 = m&0b0010 != 0
		c.V29 = m&0b0001 != 0
		c.V17 = m&0b1000 != 0 && m&0b0011 == 0b0011
		// a reserved value names nothing we know: V.27ter fall-back is
		// the capability every G3 terminal has (T.30 Table 2 note).
		c.V27 = c.V27 || !c.V29 && !c.V17
	}
	c.Fine = getBit(fif, 15)
	c.MR = getBit(fif, 16)
	c.Width = int(field(fif, 17, 2))
	c.Length = int(field(fif, 19, 2))
	st := dis21to23[field(fif, 21, 3)]
	c.ScanTime, c.ScanHalfFine = st.t, st.half
	if getBit(fif, 24) { // extend
		c.Uncompressed = getBit(fif, 26)
		c.ECM = getBit(fif, 27)
		c.MMR = getBit(fif, 31) && c.ECM // T.30 Table 2 note: T.6 needs ECM
		if getBit(fif, 32) && getBit(fif, 40) {
			c.Superfine = getBit(fif, 41)
		}
	}
	return c, nil
}

// trimFIF drops trailing octets that carry nothing, clearing the extend
// bit (bit 8 of each octet from the third: 24, 32, ...) of the new last one.
func trimFIF(fif []byte) []byte {
	for len(fif) > 3 {
		last := fif[len(fif)-1] &^ 0x80
		if last != 0 {
			break
		}
		fif = fif[:len(fif)-1]
		fif[len(fif)-1] &^= 0x80
	}
	return fif
}

// Bytes encodes capabilities as a DIS FIF (T.30 Table 2).
func (c Caps) Bytes() []byte {
	fif := make([]byte, 6)
	setBit(fif, 9, c.CanTransmit)
	setBit(fif, 10, c.CanReceive)
	var m byte
	switch {
	case c.V17:
		m = 0b1011 // 1,1,0,1: V.27ter, V.29 and V.17
	case c.V29 && c.V27:
		m = 0b0011
	case c.V29:
		m = 0b0001
	case c.V27:
		m = 0b0010
	}
	setField(fif, 11, 4, m)
	setBit(fif, 15, c.Fine)
	setBit(fif, 16, c.MR)
	setField(fif, 17, 2, byte(c.Width))
	setField(fif, 19, 2, byte(c.Length))
	code := byte(0b111)
	for k, v := range dis21to23 {
		if v.t == c.ScanTime && v.half == c.ScanHalfFine {
			code = k
		}
	}
	setField(fif, 21, 3, code)
	setBit(fif, 24, true)
	setBit(fif, 26, c.Uncompressed)
	setBit(fif, 27, c.ECM)
	setBit(fif, 31, c.MMR && c.ECM)
	setBit(fif, 32, true)
	setBit(fif, 40, true)
	setBit(fif, 41, c.Superfine)
	return trimFIF(fif)
}

// Session parameters a DCS sets (T.30 Table 2, DCS column).
type Session struct {
	Mod      Modulation
	Fine     bool
	Scheme   codec.Scheme
	ECM      bool
	Frame64  bool // bit 28: 64-octet ECM frames (else 256)
	ScanTime time.Duration
	// Width (bits 17-18, bit 17 low): 0 = 215 mm, 1 = 255 mm, 2 = 303 mm.
	Width int
	// Length (bits 19-20, bit 19 low): 0 = A4, 1 = B4, 2 = unlimited.
	Length int
	Raw    []byte
}

// ParseDCS decodes a DCS FIF.
func ParseDCS(fif []byte) (Session, error) {
	if len(fif) < 3 {
		return Session{}, fmt.Errorf("faxmodem: DCS of %d octets (need 3)", len(fif))
	}
	s := Session{Raw: append([]byte(nil), fif...)}
	m, ok := modulationByDCS(field(fif, 11, 4))
	if !ok {
		return s, fmt.Errorf("faxmodem: DCS names a reserved modulation %04b", field(fif, 11, 4))
	}
	s.Mod = m
	s.Fine = getBit(fif, 15)
	if getBit(fif, 16) {
		s.Scheme = codec.MR
	}
	s.Width = int(field(fif, 17, 2))
	s.Length = int(field(fif, 19, 2))
	s.ScanTime = 20 * time.Millisecond
	for t, code := range dcs21to23 {
		if code == field(fif, 21, 3) {
			s.ScanTime = t
		}
	}
	if getBit(fif, 24) {
		s.ECM = getBit(fif, 27)
		s.Frame64 = getBit(fif, 28) && s.ECM
		if getBit(fif, 31) && s.ECM {
			s.Scheme = codec.MMR
		}
	}
	return s, nil
}

// Bytes encodes a DCS FIF.
func (s Session) Bytes() []byte {
	fif := make([]byte, 4)
	setBit(fif, 10, true) // T.30 Table 2: bit 10 set in DCS = receiver operation
	setField(fif, 11, 4, s.Mod.dcs)
	setBit(fif, 15, s.Fine)
	setBit(fif, 16, s.Scheme == codec.MR)
	setField(fif, 17, 2, byte(s.Width))
	setField(fif, 19, 2, byte(s.Length))
	setField(fif, 21, 3, dcs21to23[s.ScanTime])
	setBit(fif, 24, true)
	setBit(fif, 27, s.ECM)
	setBit(fif, 28, s.ECM && s.Frame64)
	setBit(fif, 31, s.ECM && s.Scheme == codec.MMR)
	return trimFIF(fif)
}

func (s Session) String() string {
	res := "standard"
	if s.Fine {
		res = "fine"
	}
	e := ""
	if s.ECM {
		e = " ECM"
		if s.Frame64 {
			e += "/64"
		}
	}
	return fmt.Sprintf("%s %s %s scan %v%s", s.Mod.Name, res, s.Scheme, s.ScanTime, e)
}

// MinLineTime is the scan-line time that applies to this session's
// vertical resolution, from the receiver's DIS (T.30 Table 2 note on bits
// 21-23: "T7.7 = 1/2 T3.85").
func minLineTime(c Caps, fine bool) time.Duration {
	if fine && c.ScanHalfFine {
		return c.ScanTime / 2
	}
	return c.ScanTime
}

// EncodeIdent encodes a TSI/CSI/CIG FIF: 20 characters, the digits, '+'
// and space of T.30 §5.3.6.2.4 (Table 3), space padded, sent last
// character first.
func EncodeIdent(id string) []byte {
	var b []byte
	for _, r := range id {
		if (r >= '0' && r <= '9') || r == '+' || r == ' ' {
			b = append(b, byte(r))
		}
		if len(b) == 20 {
			break
		}
	}
	for len(b) < 20 {
		b = append(b, ' ')
	}
	out := make([]byte, 20)
	for i := range b {
		out[19-i] = b[i]
	}
	return out
}

// DecodeIdent reads a TSI/CSI/CIG FIF back (reversed, padding trimmed).
// Characters outside printable ASCII are dropped.
func DecodeIdent(fif []byte) string {
	var b strings.Builder
	for i := len(fif) - 1; i >= 0; i-- {
		if c := fif[i]; c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}
