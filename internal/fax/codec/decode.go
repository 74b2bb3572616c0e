package codec

import (
	"errors"
	"fmt"
)

// DecodeError locates a coding error: the row (0-based) and the bit offset
// from the start of the data, counted in transmission order.
type DecodeError struct {
	Line   int
	Bit    int64
	Reason string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("codec: line %d, bit %d: %s", e.Line, e.Bit, e.Reason)
}

// ErrTruncated is wrapped when the data ends before Params.Height rows.
var ErrTruncated = errors.New("codec: data ends before the expected number of lines")

// Page is a decoded received page.
type Page struct {
	Bitmap *Bitmap
	// BadLines counts rows that could not be decoded and were concealed
	// by repeating the row above (white for the first row, and for rows
	// missing at the end of an MMR page).
	BadLines int
	// MaxConsecutiveBad is the longest run of bad rows (TIFF ConsecutiveBadFaxLines).
	MaxConsecutiveBad int
	// EndMark is true when the page ended with RTC (G3) or EOFB (MMR).
	EndMark bool
	// Errors holds the first few coding errors (at most 16).
	Errors []*DecodeError
}

// Decode decodes a page strictly: the first coding error is returned as a
// *DecodeError.
func Decode(data []byte, p Params) (*Bitmap, error) {
	pg, err := decode(data, p, false)
	if err != nil {
		return nil, err
	}
	return pg.Bitmap, nil
}

// DecodePage decodes a received page, concealing bad lines by repeating
// the previous row (the usual receiver behaviour, T.4 Appendix/T.30 copy
// quality checks) and counting them. The caller decides whether a page
// with BadLines > 0 is acceptable. An error is returned only for bad
// parameters.
func DecodePage(data []byte, p Params) (*Page, error) {
	return decode(data, p, true)
}

type decoder struct {
	p       Params
	br      bitReader
	conceal bool
	page    *Page
	rows    [][]byte
	consec  int
	ref     []int32
	cur     []int32
}

func decode(data []byte, p Params, conceal bool) (*Page, error) {
	if err := p.norm(); err != nil {
		return nil, err
	}
	if p.Order == LSBFirst {
		data = ReverseBits(data)
	}
	d := &decoder{p: p, br: newBitReader(data), conceal: conceal, page: &Page{}}
	d.ref = appendSentinels(nil, p.Width)
	var err error
	if p.Scheme == MMR {
		err = d.runMMR()
	} else {
		err = d.runG3()
	}
	if err != nil {
		return nil, err
	}
	stride := (p.Width + 7) / 8
	bm := &Bitmap{Width: p.Width, Height: len(d.rows), Stride: stride, Bits: make([]byte, stride*len(d.rows))}
	for y, r := range d.rows {
		copy(bm.Bits[y*stride:], r)
	}
	d.page.Bitmap = bm
	return d.page, nil
}

func (d *decoder) fail(reason string, bit int64) error {
	e := &DecodeError{Line: len(d.rows), Bit: bit, Reason: reason}
	if len(d.page.Errors) < 16 {
		d.page.Errors = append(d.page.Errors, e)
	}
	if !d.conceal {
		return e
	}
	return nil
}

func (d *decoder) limit() int {
	if d.p.Height > 0 {
		return d.p.Height
	}
	return d.p.MaxLines
}

// emit renders d.cur as the next row and makes it the reference line.
func (d *decoder) emit() {
	row := make([]byte, (d.p.Width+7)/8)
	render(row, d.cur, d.p.Width)
	d.rows = append(d.rows, row)
	d.consec = 0
	d.ref, d.cur = d.cur, d.ref
}

// conceal repeats the previous row (white if none) and counts a bad line.
// The reference line becomes the repeated row.
func (d *decoder) concealLine(white bool) {
	row := make([]byte, (d.p.Width+7)/8)
	if n := len(d.rows); n > 0 && !white {
		copy(row, d.rows[n-1])
	}
	d.rows = append(d.rows, row)
	d.ref = appendSentinels(changes(d.ref[:0], row, d.p.Width), d.p.Width)
	d.page.BadLines++
	d.consec++
	d.page.MaxConsecutiveBad = max(d.page.MaxConsecutiveBad, d.consec)
}

// runG3 decodes T.4 MH or MR data: [EOL] line EOL line ... [RTC].
func (d *decoder) runG3() error {
	br := &d.br
	mr := d.p.Scheme == MR
	// T.4 §4.1.2: the page starts with an EOL (T.4 §4.2.1.2: plus the tag
	// bit for MR). Tolerate its absence (then the first line is 1-D) and
	// extra leading EOLs.
	oneD := true
	for {
		n, ok := br.eolAhead()
		if !ok {
			break
		}
		br.skip(uint(n))
		if mr && br.left() > 0 {
			oneD = br.peek32()>>31 == 1
			br.skip(1)
		}
	}
	refBroken := false
	for len(d.rows) < d.limit() {
		if br.left() <= 0 || br.restZero() {
			break
		}
		start := br.pos
		var err error
		switch {
		case mr && !oneD && refBroken:
			// T.4 §4.2.1.1: a 2-D line after a damaged line has no valid
			// reference; it is lost until the next 1-D line.
			err = &DecodeError{Line: len(d.rows), Bit: start, Reason: "2-D line after a damaged reference line"}
		case oneD:
			err = d.line1D()
		default:
			err = d.line2D()
		}
		if err == nil {
			// T.4 §4.1.2: each line is followed by an EOL (end of data
			// stands in for the last one when RTC is left out).
			if n, ok := br.eolAhead(); ok {
				br.skip(uint(n))
			} else if !br.restZero() {
				err = &DecodeError{Line: len(d.rows), Bit: br.pos, Reason: "line longer than the page width (no EOL)"}
			} else {
				br.pos = br.end
			}
		}
		if err != nil {
			de := err.(*DecodeError)
			if ferr := d.fail(de.Reason, de.Bit); ferr != nil {
				return ferr
			}
			d.concealLine(false)
			refBroken = true
			// Resynchronise on the next EOL after the start of the bad line.
			if !br.syncEOL(start) {
				break
			}
		} else {
			d.emit()
			if oneD {
				refBroken = false
			}
		}
		if mr {
			if br.left() <= 0 {
				break
			}
			oneD = br.peek32()>>31 == 1
			br.skip(1)
		}
		// T.4 §4.1.4 / §4.2.4: a second EOL straight after a line's EOL
		// starts RTC, the end of the page.
		if n, ok := br.eolAhead(); ok {
			br.skip(uint(n))
			d.page.EndMark = true
			break
		}
	}
	return d.finish()
}

// finish checks the row count against Params.Height.
func (d *decoder) finish() error {
	if d.p.Height > 0 && len(d.rows) < d.p.Height {
		if !d.conceal {
			return &DecodeError{Line: len(d.rows), Bit: d.br.pos, Reason: ErrTruncated.Error()}
		}
		d.fail(ErrTruncated.Error(), d.br.pos)
		for len(d.rows) < d.p.Height {
			d.concealLine(d.p.Scheme == MMR)
		}
	}
	return nil
}

// runMMR decodes T.6 data: 2-D lines, then EOFB.
func (d *decoder) runMMR() error {
	br := &d.br
	for len(d.rows) < d.limit() {
		if br.left() <= 0 || br.restZero() {
			break
		}
		// T.6 §2.4: EOFB (two EOLs) ends the page; a mode code never
		// starts with eleven zeros.
		if n, ok := br.eolAhead(); ok {
			br.skip(uint(n))
			d.page.EndMark = true
			break
		}
		if err := d.line2D(); err != nil {
			de := err.(*DecodeError)
			if ferr := d.fail(de.Reason, de.Bit); ferr != nil {
				return ferr
			}
			// T.6 has no resynchronisation point: the rest of the page is lost.
			if d.p.Height == 0 {
				d.concealLine(true)
			}
			break
		}
		d.emit()
	}
	return d.finish()
}

func (d *decoder) errAt(reason string) error {
	return &DecodeError{Line: len(d.rows), Bit: d.br.pos, Reason: reason}
}

// readRun reads make-up codes and the terminating code of one run.
func (d *decoder) readRun(black bool) (int, error) {
	t := &whiteTable
	if black {
		t = &blackTable
	}
	total := 0
	for {
		v := d.br.peek32() >> (32 - tableBits)
		e := t[v]
		if e.run == entInvalid || int64(e.n) > d.br.left() {
			if d.br.left() <= 0 {
				return 0, d.errAt("data ends inside a line")
			}
			if v>>1 == 0 {
				return 0, d.errAt("EOL inside a line (line too short)")
			}
			if black {
				return 0, d.errAt("invalid black run code")
			}
			return 0, d.errAt("invalid white run code")
		}
		d.br.skip(uint(e.n))
		total += int(e.run)
		if total > d.p.Width {
			return 0, d.errAt("run past the end of the line")
		}
		// T.4 §4.1.1: a terminating code (0..63) ends the run.
		if e.run < 64 {
			return total, nil
		}
	}
}

// line1D decodes an MH line into d.cur.
func (d *decoder) line1D() error {
	d.cur = d.cur[:0]
	width := d.p.Width
	a, black := 0, false
	for a < width {
		r, err := d.readRun(black)
		if err != nil {
			return err
		}
		a += r
		if a > width {
			return d.errAt("runs exceed the line width")
		}
		if a < width {
			d.cur = append(d.cur, int32(a))
		}
		black = !black
	}
	// Zero-length runs produce duplicate positions: drop the pairs.
	d.cur = dedupe(d.cur)
	d.cur = appendSentinels(d.cur, width)
	return nil
}

// dedupe removes pairs of equal consecutive change positions (a zero run
// between two non-zero runs of the other colour cancels out).
func dedupe(ch []int32) []int32 {
	out := ch[:0]
	for _, x := range ch {
		if n := len(out); n > 0 && out[n-1] == x {
			out = out[:n-1]
			continue
		}
		out = append(out, x)
	}
	return out
}

// line2D decodes a 2-D line against d.ref (T.4 §4.2.1.3, T.6 §2.2).
func (d *decoder) line2D() error {
	d.cur = d.cur[:0]
	width := int32(d.p.Width)
	ref := d.ref
	a0, black := int32(-1), false
	bi := 0
	push := func(x int32) {
		if x >= width {
			return
		}
		if n := len(d.cur); n > 0 && d.cur[n-1] == x {
			d.cur = d.cur[:n-1]
			return
		}
		d.cur = append(d.cur, x)
	}
	for a0 < width {
		if d.br.left() <= 0 {
			return d.errAt("data ends inside a line")
		}
		me := modeTable[d.br.peek32()>>(32-modeBits)]
		if me.mode == modeInvalid || int64(me.n) > d.br.left() {
			if d.br.peek32()>>20 == 1 || d.br.peek32()>>20 == 0 {
				return d.errAt("EOL inside a line (line too short)")
			}
			return d.errAt("invalid 2-D mode code")
		}
		d.br.skip(uint(me.n))
		bi = findB1(ref, bi, a0, black)
		b1, b2 := ref[bi], ref[bi+1]
		switch me.mode {
		case modePass:
			// T.4 §4.2.1.3.2 a): pass mode, a0 moves under b2, colour kept.
			if b2 >= width {
				return d.errAt("pass mode beyond the end of the line")
			}
			a0 = b2
		case modeHoriz:
			// T.4 §4.2.1.3.2 b) 2): two runs coded with the 1-D tables.
			r1, err := d.readRun(black)
			if err != nil {
				return err
			}
			r2, err := d.readRun(!black)
			if err != nil {
				return err
			}
			a1 := max(a0, 0) + int32(r1)
			a2 := a1 + int32(r2)
			if a2 > width {
				return d.errAt("horizontal mode runs past the end of the line")
			}
			push(a1)
			push(a2)
			a0 = a2
		default:
			// T.4 §4.2.1.3.2 b) 1): vertical mode, a1 = b1 + offset.
			a1 := b1 + int32(me.mode) - modeV - 3
			if a1 <= a0 || a1 > width {
				return d.errAt("vertical mode outside the line")
			}
			push(a1)
			a0, black = a1, !black
		}
	}
	d.cur = appendSentinels(d.cur, d.p.Width)
	return nil
}

// render paints the spans between changing elements black.
func render(row []byte, ch []int32, width int) {
	clear(row)
	w := int32(width)
	for i := 0; i < len(ch) && ch[i] < w; i += 2 {
		x1 := w
		if i+1 < len(ch) && ch[i+1] < w {
			x1 = ch[i+1]
		}
		setSpan(row, int(ch[i]), int(x1))
	}
}

func setSpan(row []byte, x0, x1 int) {
	if x0 >= x1 {
		return
	}
	i0, i1 := x0>>3, (x1-1)>>3
	m0 := byte(0xff >> uint(x0&7))
	m1 := byte(0xff << uint(7-(x1-1)&7))
	if i0 == i1 {
		row[i0] |= m0 & m1
		return
	}
	row[i0] |= m0
	for i := i0 + 1; i < i1; i++ {
		row[i] = 0xff
	}
	row[i1] |= m1
}
