package codec

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"
)

// Scheme is a fax coding scheme.
type Scheme int

const (
	MH  Scheme = iota // T.4 §4.1 one-dimensional (Modified Huffman)
	MR                // T.4 §4.2 two-dimensional (Modified READ), K lines per 1-D line
	MMR               // T.6 (Modified Modified READ), no EOLs
)

func (s Scheme) String() string {
	switch s {
	case MH:
		return "MH"
	case MR:
		return "MR"
	case MMR:
		return "MMR"
	}
	return fmt.Sprintf("Scheme(%d)", int(s))
}

// BitOrder is the order of coded bits within each byte.
type BitOrder int

const (
	// MSBFirst: the first coded bit is the byte's most significant bit
	// (TIFF FillOrder 1, PDF CCITTFaxDecode).
	MSBFirst BitOrder = iota
	// LSBFirst: the first coded bit is the least significant bit, the
	// order in which a Class 1 modem (T.31) passes fax line bits.
	LSBFirst
)

// Params describe a coded page.
type Params struct {
	Scheme Scheme
	// Width in pels; 0 means 1728 (A4). 2048 and 2432 are the B4 and A3
	// lines; any width 1..8192 is accepted.
	Width int
	// K for MR: one 1-D line then at most K-1 2-D lines (T.4 §4.2.1.1;
	// 2 at standard, 4 at fine resolution). 0 means 2. Decoders ignore it:
	// the tag bit after each EOL says how a line is coded.
	K     int
	Order BitOrder
	// AlignEOL adds fill before each EOL so that it ends on a byte boundary
	// (T.4 §4.1.3 fill; TIFF T4Options bit 2). Encode only.
	AlignEOL bool
	// MinLineBytes is the minimum coded length of a scan line, EOL
	// included, from the receiver's minimum scan-line time (T.30 DIS/DCS;
	// see MinLineBytes). Fill is added before the EOL (T.4 §4.1.3). Encode only.
	MinLineBytes int
	// NoRTC leaves out the RTC (G3) or EOFB (MMR) at the end of the page, as
	// TIFF Class F stores pages (RFC 2306 §4.4). Encode only.
	NoRTC bool
	// Height is the number of rows expected when decoding; 0 = until
	// RTC/EOFB or the end of the data.
	Height int
	// MaxLines bounds a decoded page (memory guard); 0 = 16384.
	MaxLines int
}

const maxWidth = 8192

func (p *Params) norm() error {
	if p.Width == 0 {
		p.Width = WidthA4
	}
	if p.K == 0 {
		p.K = 2
	}
	if p.MaxLines == 0 {
		p.MaxLines = 16384
	}
	switch {
	case p.Width < 1 || p.Width > maxWidth:
		return fmt.Errorf("codec: width %d out of range", p.Width)
	case p.Scheme < MH || p.Scheme > MMR:
		return fmt.Errorf("codec: unknown scheme %d", int(p.Scheme))
	case p.K < 1:
		return fmt.Errorf("codec: K %d < 1", p.K)
	case p.Height < 0 || p.Height > p.MaxLines:
		return fmt.Errorf("codec: height %d out of range (max %d)", p.Height, p.MaxLines)
	case p.MinLineBytes < 0:
		return errors.New("codec: negative MinLineBytes")
	}
	return nil
}

// MinLineBytes converts a T.30 minimum scan-line time at a signalling
// rate into the minimum bytes per coded line (T.4 §4.1.3: the minimum
// transmission time of the total coded scan line).
func MinLineBytes(bitsPerSecond int, scanTime time.Duration) int {
	b := int64(bitsPerSecond) * scanTime.Milliseconds()
	return int((b + 7999) / 8000)
}

// Encoder codes a page line by line; it suits streaming to a modem.
type Encoder struct {
	w         io.Writer
	p         Params
	bw        bitWriter
	ref, cur  []int32
	line      int
	lineStart int64
	closed    bool
}

// NewEncoder returns an Encoder writing coded data to w.
func NewEncoder(w io.Writer, p Params) (*Encoder, error) {
	if err := p.norm(); err != nil {
		return nil, err
	}
	e := &Encoder{w: w, p: p}
	e.ref = appendSentinels(e.ref[:0], p.Width)
	return e, nil
}

func appendSentinels(ch []int32, width int) []int32 {
	w := int32(width)
	return append(ch, w, w, w)
}

// WriteLine codes one row (packed, MSB = leftmost pel, 1 = black).
func (e *Encoder) WriteLine(row []byte) error {
	if e.closed {
		return errors.New("codec: write after Close")
	}
	if len(row) < (e.p.Width+7)/8 {
		return fmt.Errorf("codec: row of %d bytes for width %d", len(row), e.p.Width)
	}
	e.cur = changes(e.cur[:0], row, e.p.Width)
	real := len(e.cur)
	e.cur = appendSentinels(e.cur, e.p.Width)
	switch e.p.Scheme {
	case MH:
		// T.4 §4.1.2: an EOL precedes the first line and follows every line.
		e.eol(e.line > 0, -1)
		e.code1D(e.cur[:real])
	case MR:
		// T.4 §4.2.1.1: every K-th line is coded 1-D, tag bit 1 after its EOL.
		oneD := e.line%e.p.K == 0
		tag := 0
		if oneD {
			tag = 1
		}
		e.eol(e.line > 0, tag)
		if oneD {
			e.code1D(e.cur[:real])
		} else {
			e.code2D()
		}
	case MMR:
		// T.6 §2.2: every line is 2-D coded; the reference for the first
		// line is an imaginary white line. No EOLs.
		e.code2D()
	}
	e.ref, e.cur = e.cur, e.ref
	e.line++
	return e.flush()
}

// Close ends the page with RTC or EOFB (unless NoRTC), pads the last byte
// with zeros and flushes.
func (e *Encoder) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	if !e.p.NoRTC {
		switch e.p.Scheme {
		case MH:
			// T.4 §4.1.4: RTC is six consecutive EOLs.
			for i := 0; i < 6; i++ {
				e.eol(i == 0 && e.line > 0, -1)
			}
		case MR:
			// T.4 §4.2.4: RTC is six consecutive EOL+1.
			for i := 0; i < 6; i++ {
				e.eol(i == 0 && e.line > 0, 1)
			}
		case MMR:
			// T.6 §2.4: EOFB is two EOLs; pad bits follow to the byte boundary.
			e.bw.put(codeEOL)
			e.bw.put(codeEOL)
		}
	}
	e.bw.align()
	return e.flush()
}

func (e *Encoder) flush() error {
	out := e.bw.take(e.p.Order)
	if len(out) == 0 {
		return nil
	}
	_, err := e.w.Write(out)
	return err
}

// eol writes an EOL (and the MR tag bit when tag >= 0). fillPrev pads the
// line before it to MinLineBytes.
func (e *Encoder) eol(fillPrev bool, tag int) {
	if fillPrev && e.p.MinLineBytes > 0 {
		// T.4 §4.1.3: fill (zeros) between the data and the EOL makes up
		// the minimum transmission time of the total coded scan line.
		if used := e.bw.n - e.lineStart; used < int64(e.p.MinLineBytes)*8 {
			e.bw.zeros(int(int64(e.p.MinLineBytes)*8 - used))
		}
	}
	if e.p.AlignEOL {
		// T.4 §4.1.3: fill so the EOL ends on an octet boundary.
		e.bw.zeros(int((8 - (e.bw.n+12)%8) % 8))
	}
	e.lineStart = e.bw.n
	e.bw.put(codeEOL)
	if tag >= 0 {
		// T.4 §4.2.1.2: tag bit 1 = next line 1-D, 0 = next line 2-D.
		e.bw.putBits(uint64(tag), 1)
	}
}

// code1D writes a line as alternating white and black runs.
func (e *Encoder) code1D(ch []int32) {
	// T.4 §4.1.1: each line begins with a white run (of length zero if
	// the line begins black); colours then alternate.
	a, black := int32(0), false
	for _, x := range ch {
		e.run(int(x-a), black)
		a, black = x, !black
	}
	e.run(e.p.Width-int(a), black)
}

// run writes make-up codes then the terminating code for one run.
func (e *Encoder) run(r int, black bool) {
	term, makeup := &whiteTerm, &whiteMakeup
	if black {
		term, makeup = &blackTerm, &blackMakeup
	}
	// T.4 §4.1.1 (Note): runs longer than 2560 repeat the 2560 make-up code.
	for r > 2560 {
		e.bw.put(extMakeup[12])
		r -= 2560
	}
	// T.4 §4.1.1: runs of 64 and more are a make-up code then a terminating code.
	if r >= 64 {
		m := r / 64
		if m <= 27 {
			e.bw.put(makeup[m-1])
		} else {
			e.bw.put(extMakeup[m-28])
		}
		r -= m * 64
	}
	e.bw.put(term[r])
}

// code2D writes e.cur relative to e.ref (T.4 §4.2.1.3, T.6 §2.2).
func (e *Encoder) code2D() {
	cur, ref := e.cur, e.ref
	width := int32(e.p.Width)
	// T.4 §4.2.1.3.1: a0 starts on an imaginary white pel before the line.
	a0, black := int32(-1), false
	ai, bi := 0, 0
	for a0 < width {
		for cur[ai] <= a0 {
			ai++
		}
		a1 := cur[ai]
		bi = findB1(ref, bi, a0, black)
		b1, b2 := ref[bi], ref[bi+1]
		switch {
		case b2 < a1:
			// T.4 §4.2.1.3.2 a): pass mode when b2 lies left of a1; a0 moves under b2.
			e.bw.put(codePass)
			a0 = b2
		case a1-b1 >= -3 && a1-b1 <= 3:
			// T.4 §4.2.1.3.2 b) 1): vertical mode when |a1b1| <= 3.
			e.bw.put(codeVert[a1-b1+3])
			a0, black = a1, !black
		default:
			// T.4 §4.2.1.3.2 b) 2): horizontal mode, runs a0a1 and a1a2
			// coded with the 1-D tables.
			a2 := cur[ai+1]
			e.bw.put(codeHoriz)
			e.run(int(a1-max(a0, 0)), black)
			e.run(int(a2-a1), !black)
			a0 = a2
		}
	}
}

// findB1 returns the index of b1: the first changing element on the
// reference line right of a0 and of opposite colour to a0's colour
// (T.4 §4.2.1.3.1). Changing elements at even indexes are black.
func findB1(ref []int32, k int, a0 int32, black bool) int {
	for k > 0 && ref[k-1] > a0 {
		k--
	}
	for ref[k] <= a0 {
		k++
	}
	// a0 white wants a black b1 (even index); a0 black wants odd.
	if (k&1 == 1) != black {
		k++
	}
	return k
}

// changes appends the positions of the changing elements of row: pels
// whose colour differs from the pel before them (T.4 §4.2.1.3.1), the
// pel before the line counting as white.
func changes(dst []int32, row []byte, width int) []int32 {
	var inv byte // 0x00 while looking for black, 0xff for white
	x := 0
	nbytes := (width + 7) / 8
	for x < width {
		i := x >> 3
		b := (row[i] ^ inv) & (0xff >> uint(x&7))
		for b == 0 {
			i++
			if i >= nbytes {
				return dst
			}
			b = row[i] ^ inv
		}
		x = i<<3 + bits.LeadingZeros8(b)
		if x >= width {
			return dst
		}
		dst = append(dst, int32(x))
		inv = ^inv
	}
	return dst
}

// Encode codes a whole page.
func Encode(b *Bitmap, p Params) ([]byte, error) {
	if err := b.valid(); err != nil {
		return nil, err
	}
	if p.Width == 0 {
		p.Width = b.Width
	}
	if p.Width != b.Width {
		return nil, fmt.Errorf("codec: bitmap width %d, params width %d", b.Width, p.Width)
	}
	var buf sliceWriter
	e, err := NewEncoder(&buf, p)
	if err != nil {
		return nil, err
	}
	for y := 0; y < b.Height; y++ {
		if err := e.WriteLine(b.Row(y)); err != nil {
			return nil, err
		}
	}
	if err := e.Close(); err != nil {
		return nil, err
	}
	return buf.b, nil
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}
