package codec

import "math/bits"

// bitWriter packs codes most significant bit first; LSB-first output is
// produced by reversing each finished byte.
type bitWriter struct {
	buf  []byte
	acc  uint64 // pending bits, left-aligned at bit 63
	nacc uint   // number of pending bits
	n    int64  // total bits written
}

func (w *bitWriter) put(cd code) { w.putBits(uint64(cd.v), uint(cd.n)) }

// putBits appends the low n bits of v (n <= 32).
func (w *bitWriter) putBits(v uint64, n uint) {
	if n == 0 {
		return
	}
	w.acc |= (v & (1<<n - 1)) << (64 - w.nacc - n)
	w.nacc += n
	w.n += int64(n)
	for w.nacc >= 8 {
		w.buf = append(w.buf, byte(w.acc>>56))
		w.acc <<= 8
		w.nacc -= 8
	}
}

// zeros appends n zero bits (fill, T.4 §4.1.3).
func (w *bitWriter) zeros(n int) {
	for n > 0 {
		k := min(n, 32)
		w.putBits(0, uint(k))
		n -= k
	}
}

// align pads with zeros to the next byte boundary.
func (w *bitWriter) align() {
	if w.nacc > 0 {
		w.zeros(int(8 - w.nacc))
	}
}

// take returns the completed bytes and keeps the partial byte pending.
func (w *bitWriter) take(order BitOrder) []byte {
	out := w.buf
	if order == LSBFirst {
		reverseBits(out)
	}
	w.buf = w.buf[len(w.buf):]
	if cap(w.buf) == 0 || len(out) > 1<<16 {
		w.buf = nil
	}
	return out
}

var reversed [256]byte

func init() {
	for i := range reversed {
		reversed[i] = bits.Reverse8(byte(i))
	}
}

func reverseBits(b []byte) {
	for i, v := range b {
		b[i] = reversed[v]
	}
}

// ReverseBits returns a copy of b with the bit order of every byte
// reversed: it converts between LSB-first (the fax line, TIFF FillOrder 2)
// and MSB-first (TIFF FillOrder 1, PDF) coded data.
func ReverseBits(b []byte) []byte {
	out := make([]byte, len(b))
	for i, v := range b {
		out[i] = reversed[v]
	}
	return out
}

// bitReader reads an MSB-first bit stream.
type bitReader struct {
	data []byte
	pos  int64 // bit position
	end  int64 // len(data)*8
}

func newBitReader(data []byte) bitReader {
	return bitReader{data: data, end: int64(len(data)) * 8}
}

// peek32 returns the next 32 bits, left-aligned; bits past the end read as 0.
func (r *bitReader) peek32() uint32 {
	i := int(r.pos >> 3)
	var v uint64
	if i+5 <= len(r.data) {
		d := r.data[i : i+5]
		v = uint64(d[0])<<32 | uint64(d[1])<<24 | uint64(d[2])<<16 | uint64(d[3])<<8 | uint64(d[4])
	} else {
		for k := 0; k < 5; k++ {
			v <<= 8
			if i+k < len(r.data) {
				v |= uint64(r.data[i+k])
			}
		}
	}
	return uint32(v >> (8 - uint(r.pos&7)))
}

func (r *bitReader) skip(n uint) { r.pos += int64(n) }

func (r *bitReader) left() int64 { return r.end - r.pos }

// atEOL reports whether the next bits are an EOL, allowing any number of
// fill zeros before it (T.4 §4.1.3), and returns the number of bits it spans.
func (r *bitReader) eolAhead() (int64, bool) {
	p := r.pos
	zeros := int64(0)
	for p < r.end {
		v := r.peekAt(p)
		if v == 0 {
			zeros += 32
			p += 32
			continue
		}
		lz := int64(bits.LeadingZeros32(v))
		zeros += lz
		p += lz
		if p >= r.end {
			break
		}
		if zeros >= 11 {
			return p + 1 - r.pos, true
		}
		return 0, false
	}
	return 0, false
}

func (r *bitReader) peekAt(p int64) uint32 {
	save := r.pos
	r.pos = p
	v := r.peek32()
	r.pos = save
	return v
}

// restZero reports whether every remaining bit is 0 (trailing padding).
func (r *bitReader) restZero() bool {
	for p := r.pos; p < r.end; p += 32 {
		if r.peekAt(p) != 0 {
			return false
		}
	}
	return true
}

// syncEOL moves to just past the next EOL at or after bit from; it
// reports false if none is left.
func (r *bitReader) syncEOL(from int64) bool {
	zeros := int64(0)
	for p := from; p < r.end; p++ {
		if r.data[p>>3]&(0x80>>uint(p&7)) == 0 {
			zeros++
			continue
		}
		if zeros >= 11 {
			r.pos = p + 1
			return true
		}
		zeros = 0
	}
	r.pos = r.end
	return false
}
