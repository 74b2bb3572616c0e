package faxmodem

import (
	"errors"
	"fmt"
)

// DLE shielding characters (T.31 §8.3.3 and V.250 conventions).
const (
	dle = 0x10
	etx = 0x03
	sub = 0x1a // DLE SUB stands for DLE DLE where the DCE supports it (T.31 §8.3.3)
	xon = 0x11
	xof = 0x13
	can = 0x18
)

// HDLC address and control octets of T.30 frames (T.30 §5.3.4, §5.3.5):
// the address is all ones, the control field 0x03 for a frame that is
// followed by another in the same transmission and 0x13 with the final
// (P/F) bit for the last one. Octets are given as a T.31 DCE passes them:
// the first bit on the line is the least significant bit.
const (
	hdlcAddress   = 0xff
	hdlcCtrl      = 0x03
	hdlcCtrlFinal = 0x13
)

// stuffDLE appends data to dst with every DLE doubled (T.31 §8.3.3: the
// DTE shields a data DLE as DLE DLE).
func stuffDLE(dst, data []byte) []byte {
	for _, c := range data {
		if c == dle {
			dst = append(dst, dle)
		}
		dst = append(dst, c)
	}
	return dst
}

// dleDecoder removes DLE shielding from a stream the DCE sends after
// CONNECT: DLE DLE is a data DLE, DLE SUB two data DLEs, DLE ETX ends the
// stream (T.31 §8.3.3); any other DLE pair is dropped (T.31 leaves other
// DLE codes to the DCE; none carries data).
type dleDecoder struct {
	pendingDLE bool
	done       bool
}

// feed decodes in, appending data to out. It returns the number of input
// bytes used: less than len(in) only when DLE ETX was found, then done is set.
func (d *dleDecoder) feed(out *[]byte, in []byte) int {
	for i, c := range in {
		if d.pendingDLE {
			d.pendingDLE = false
			switch c {
			case dle:
				*out = append(*out, dle)
			case sub:
				*out = append(*out, dle, dle)
			case etx:
				d.done = true
				return i + 1
			}
			continue
		}
		if c == dle {
			d.pendingDLE = true
			continue
		}
		*out = append(*out, c)
	}
	return len(in)
}

// Frame is one T.30 HDLC frame (T.30 §5.3): the facsimile control field
// and its information field. The DCE adds and checks the flags and the FCS
// (T.31 §8.3.5).
type Frame struct {
	// FCF with the X bit (the least significant bit as T.31 passes octets).
	FCF byte
	// FIF is the facsimile information field (may be empty).
	FIF []byte
	// Final is the P/F bit of the control field: the last frame of a
	// transmission (T.30 §5.3.5).
	Final bool
}

// Type is the FCF without the X bit, for comparisons. The initial
// identification signals DIS/DTC, CSI/CIG, NSF/NSC differ only in that bit
// (T.30 §5.3.6.1), so they are compared by FCF instead.
func (f Frame) Type() FCF { return FCF(f.FCF &^ 1) }

// Bytes is the frame as the DTE hands it to the DCE after AT+FTH=3:
// address, control, FCF, FIF, without FCS (T.31 §8.3.5.1).
func (f Frame) Bytes() []byte {
	ctrl := byte(hdlcCtrl)
	if f.Final {
		ctrl = hdlcCtrlFinal
	}
	b := make([]byte, 0, 3+len(f.FIF))
	b = append(b, hdlcAddress, ctrl, f.FCF)
	return append(b, f.FIF...)
}

func (f Frame) String() string {
	s := FCF(f.FCF).Name()
	if len(f.FIF) > 0 {
		s += fmt.Sprintf(" % x", f.FIF)
	}
	if f.Final {
		s += " (final)"
	}
	return s
}

// Errors from ParseFrame.
var (
	ErrShortFrame = errors.New("faxmodem: HDLC frame shorter than address, control and FCF")
	ErrBadAddress = errors.New("faxmodem: HDLC address is not 0xff")
	ErrBadControl = errors.New("faxmodem: HDLC control is not 0x03 or 0x13")
)

// ParseFrame reads a frame the DCE delivered after AT+FRH=3 (DLE shielding
// already removed). T.31 §8.3.5.2 lets the DCE pass the two FCS octets
// after the frame; they are recognised by checking the CRC and removed.
func ParseFrame(b []byte) (Frame, error) {
	if len(b) >= 5 && crcResidueOK(b) {
		b = b[:len(b)-2]
	}
	if len(b) < 3 {
		return Frame{}, ErrShortFrame
	}
	if b[0] != hdlcAddress {
		return Frame{}, ErrBadAddress
	}
	if b[1]&^0x10 != hdlcCtrl {
		return Frame{}, ErrBadControl
	}
	f := Frame{FCF: b[2], Final: b[1]&0x10 != 0}
	if len(b) > 3 {
		f.FIF = append([]byte(nil), b[3:]...)
	}
	return f, nil
}

// crc16 is the HDLC frame check sequence (ISO/IEC 13239, T.30 §5.3.7):
// CRC-16-CCITT, reflected, initial value all ones, sent complemented.
func crc16(b []byte) uint16 {
	crc := uint16(0xffff)
	for _, c := range b {
		crc ^= uint16(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x8408
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

// crcResidueOK: the CRC over data and its FCS gives the fixed residue 0xf0b8.
func crcResidueOK(b []byte) bool { return crc16(b) == 0xf0b8 }

// appendFCS appends the FCS as it goes on the line (low octet first).
func appendFCS(b []byte) []byte {
	c := ^crc16(b)
	return append(b, byte(c), byte(c>>8))
}
