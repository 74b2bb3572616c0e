package faxmodem

// Software HDLC for ECM page data (T.30 Annex A over T.31 +FTM/+FRM).
//
// T.31 §8.3.5 lets a Class 1 DCE offer HDLC at the high-speed rates
// (+FTH=<mod>, +FRH=<mod>), but many do not: spandsp's T.31 (the test
// line) allows only +FTH=3/+FRH=3. So, as HylaFAX does, the host frames
// ECM data itself and moves the raw bit stream with +FTM/+FRM: flags
// 0111 1110, zero-bit insertion after five ones, the 16-bit FCS (ISO/IEC
// 13239, T.30 §5.3.7), first bit on the line = least significant bit of
// each T.31 octet.

const hdlcFlag = 0x7e

// bitWriter packs bits LSB first.
type bitWriter struct {
	out  []byte
	cur  byte
	n    uint
	ones int
}

func (w *bitWriter) bit(b byte) {
	w.cur |= (b & 1) << w.n
	w.n++
	if w.n == 8 {
		w.out = append(w.out, w.cur)
		w.cur, w.n = 0, 0
	}
}

// flag writes 0111 1110 without stuffing.
func (w *bitWriter) flag() {
	for i := 0; i < 8; i++ {
		w.bit(hdlcFlag >> i)
	}
	w.ones = 0
}

// data writes octets with zero-bit insertion (a 0 after five 1s).
func (w *bitWriter) data(b []byte) {
	for _, c := range b {
		for i := 0; i < 8; i++ {
			v := (c >> i) & 1
			w.bit(v)
			if v == 1 {
				w.ones++
				if w.ones == 5 {
					w.bit(0)
					w.ones = 0
				}
			} else {
				w.ones = 0
			}
		}
	}
}

// bytes completes the last octet with the first bits of a flag (what
// follows a closing flag is idle to a receiver) and returns the stream.
func (w *bitWriter) bytes() []byte {
	for i := 0; w.n != 0; i++ {
		w.bit(hdlcFlag >> (i % 8))
	}
	return w.out
}

// hdlcEncode is the bit stream for frames: preamble flags, each frame
// (address, control, FCF, FIF, FCS) followed by a flag, closing flags.
func hdlcEncode(frames []Frame, preamble int) []byte {
	var w bitWriter
	for i := 0; i < max(preamble, 1); i++ {
		w.flag()
	}
	for _, f := range frames {
		w.data(appendFCS(f.Bytes()))
		w.flag()
	}
	for i := 0; i < 4; i++ {
		w.flag()
	}
	return w.bytes()
}

// hdlcDecode finds the frames in a received bit stream. Frames whose FCS
// is wrong or whose length is not whole octets are counted in bad.
func hdlcDecode(stream []byte) (frames []Frame, bad int) {
	var cur []byte
	var acc byte
	var nb uint
	ones := 0
	inFrame := false
	end := func() {
		if inFrame && (len(cur) > 0 || nb > 0) {
			if nb == 0 && len(cur) >= 5 && crcResidueOK(cur) {
				if f, err := ParseFrame(cur); err == nil {
					frames = append(frames, f)
				} else {
					bad++
				}
			} else if len(cur) >= 3 {
				bad++
			}
		}
		cur, acc, nb = cur[:0], 0, 0
		inFrame = true
	}
	for _, c := range stream {
		for i := 0; i < 8; i++ {
			v := (c >> i) & 1
			if v == 1 {
				ones++
				if ones > 6 { // abort / idle: drop the frame
					cur, acc, nb, inFrame = cur[:0], 0, 0, false
				}
				if ones >= 6 {
					continue
				}
			} else {
				if ones == 6 { // flag
					// the five 1s and the leading 0 of the flag were
					// shifted in as data: drop them (6 bits).
					drop := uint(6)
					if !inFrame {
						drop = 0
					}
					for drop > 0 {
						if nb > 0 {
							nb--
							acc &^= 1 << nb
						} else if len(cur) > 0 {
							acc = cur[len(cur)-1]
							cur = cur[:len(cur)-1]
							nb = 7
							acc &^= 1 << nb
						}
						drop--
					}
					ones = 0
					end()
					continue
				}
				if ones == 5 { // stuffed zero
					ones = 0
					continue
				}
				ones = 0
			}
			if !inFrame {
				continue
			}
			acc |= v << nb
			nb++
			if nb == 8 {
				cur = append(cur, acc)
				acc, nb = 0, 0
			}
		}
	}
	return frames, bad
}
