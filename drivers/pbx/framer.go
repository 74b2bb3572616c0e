// Package pbx reads PBX SMDR/CDR output as a firmware profile describes it:
// a Framer cuts the byte stream into records (lines, NUL-terminated records,
// STX/ETX frames) and a Parser turns one record into an events.CallRecord.
// Neither does I/O: the driver loop hands bytes in and journals frames.
package pbx

import (
	"bytes"

	"switchboard/internal/profile"
)

// Frame is one record cut from the stream. Line is the 1-based input line
// (line framing) or the 1-based frame number (other framings) at which the
// record began.
type Frame struct {
	Data []byte
	Line int
	// Junk says why the frame is not a record candidate: "overlong" (the
	// first max_length bytes of a record that never ended: wrong baud rate,
	// line noise) or "outside-frame" (bytes between ETX and STX). Junk is
	// still journaled, so nothing the PBX sent is lost.
	Junk string
	// Lines: how many lines a "noise" frame joins (0 for the others).
	Lines int
}

// Framer cuts a byte stream into frames incrementally: Push bytes as they
// arrive, then call Next until it reports no more. A partial frame is kept
// across Push calls; a frame growing past the profile's max_length is
// dropped (counted by Dropped) and the framer resynchronises on the next
// delimiter, so garbage cannot grow memory.
type Framer struct {
	fr      profile.Framing
	cur     []byte
	curLine int
	line    int // current input line (line framing) or frames started
	inSTX   bool
	discard bool
	lastCR  bool
	queue   []Frame
	held    *Frame // continuation: first line waiting for its second
	dropped int
	noise   []byte // STX/ETX framing: bytes outside any frame
}

// NewFramer returns a framer for a profile's framing.
func NewFramer(fr profile.Framing) *Framer {
	return &Framer{fr: fr, line: 1}
}

// Dropped is the number of frames discarded for exceeding max_length.
func (f *Framer) Dropped() int { return f.dropped }

// Buffered is the size of the partial frame kept for the next Push.
func (f *Framer) Buffered() int { return len(f.cur) }

// Push feeds bytes read from the transport.
func (f *Framer) Push(b []byte) {
	switch f.fr.Type {
	case profile.FrameSTXETX:
		f.pushSTX(b)
	case profile.FrameNUL:
		for _, c := range b {
			if c == 0 {
				f.end()
				continue
			}
			f.add(c)
		}
	default:
		f.pushLine(b)
	}
}

func (f *Framer) pushLine(b []byte) {
	for _, c := range b {
		var isEnd bool
		switch f.fr.EOL {
		case "cr":
			isEnd = c == '\r'
			if c == '\n' {
				continue
			}
		case "lf", "crlf":
			isEnd = c == '\n'
		default: // any: CR, LF or CRLF
			if c == '\n' && f.lastCR {
				f.lastCR = false
				continue
			}
			isEnd = c == '\r' || c == '\n'
			f.lastCR = c == '\r'
		}
		if isEnd {
			if f.fr.EOL != "cr" {
				f.cur = bytes.TrimSuffix(f.cur, []byte{'\r'})
			}
			f.end()
			f.line++
			continue
		}
		f.add(c)
	}
}

func (f *Framer) pushSTX(b []byte) {
	for _, c := range b {
		switch {
		case c == 0x02: // STX: a new frame starts, whatever came before
			f.flushNoise()
			if f.inSTX && !f.discard && len(f.cur) > 0 {
				f.queue = append(f.queue, Frame{Data: append([]byte(nil), f.cur...), Line: f.curLine, Junk: "interrupted"})
			}
			f.cur = f.cur[:0]
			f.discard = false
			f.inSTX = true
			f.line++
			f.curLine = f.line - 1
		case c == 0x03:
			if f.inSTX && !f.discard && len(f.cur) > 0 {
				f.emit(Frame{Data: append([]byte(nil), f.cur...), Line: f.curLine})
			}
			f.cur = f.cur[:0]
			f.inSTX, f.discard = false, false
		case f.inSTX && !f.discard:
			if len(f.cur) >= f.fr.MaxLength {
				f.overlong()
				continue
			}
			f.cur = append(f.cur, c)
		case !f.inSTX:
			f.noise = append(f.noise, c)
			if len(f.noise) >= f.fr.MaxLength {
				f.flushNoise()
			}
		}
	}
}

// flushNoise emits the bytes seen outside any STX/ETX frame as junk.
func (f *Framer) flushNoise() {
	if len(f.noise) == 0 {
		return
	}
	// Idle fill and line control characters between frames are not data;
	// anything printable is (a PBX misconfigured, or the wrong speed).
	printable := false
	for _, c := range f.noise {
		if c > 0x20 && c != 0x7f {
			printable = true
			break
		}
	}
	if printable {
		f.queue = append(f.queue, Frame{Data: append([]byte(nil), f.noise...), Line: f.line, Junk: "outside-frame"})
	}
	f.noise = f.noise[:0]
}

// overlong emits the first max_length bytes of a record that did not end,
// and discards the rest up to the next delimiter.
func (f *Framer) overlong() {
	f.dropped++
	f.discard = true
	f.queue = append(f.queue, Frame{Data: append([]byte(nil), f.cur...), Line: f.curLine, Junk: "overlong"})
	f.cur = f.cur[:0]
}

func (f *Framer) add(c byte) {
	if f.discard {
		return
	}
	if len(f.cur) == 0 {
		f.curLine = f.line
	}
	if len(f.cur) >= f.fr.MaxLength {
		f.overlong()
		return
	}
	f.cur = append(f.cur, c)
}

// end closes the current frame at a delimiter.
func (f *Framer) end() {
	if f.fr.Type == profile.FrameNUL {
		f.line++
	}
	if f.discard {
		f.discard = false
		f.cur = f.cur[:0]
		return
	}
	if len(f.cur) == 0 {
		return
	}
	fr := Frame{Data: append([]byte(nil), f.cur...), Line: f.curLine}
	if f.fr.Type == profile.FrameNUL {
		fr.Line = f.line - 1
	}
	f.cur = f.cur[:0]
	f.emit(fr)
}

func (f *Framer) emit(fr Frame) {
	if f.fr.ContFirst == nil {
		f.queue = append(f.queue, fr)
		return
	}
	if f.held != nil {
		h := *f.held
		f.held = nil
		if f.fr.ContNext == nil || f.fr.ContNext.Match(fr.Data) {
			if len(h.Data)+len(f.fr.ContSep)+len(fr.Data) > f.fr.MaxLength {
				// Too long joined: keep both lines, as they came.
				f.dropped++
				h.Junk, fr.Junk = "overlong", "overlong"
				f.queue = append(f.queue, h, fr)
				return
			}
			h.Data = append(append(h.Data, f.fr.ContSep...), fr.Data...)
			f.queue = append(f.queue, h)
			return
		}
		f.queue = append(f.queue, h)
	}
	if f.fr.ContFirst.Match(fr.Data) {
		f.held = &fr
		return
	}
	f.queue = append(f.queue, fr)
}

// Next returns the next complete frame. The frame's Data belongs to the caller.
func (f *Framer) Next() (Frame, bool) {
	if len(f.queue) == 0 {
		return Frame{}, false
	}
	fr := f.queue[0]
	f.queue[0] = Frame{}
	f.queue = f.queue[1:]
	if len(f.queue) == 0 {
		f.queue = f.queue[:0:0]
	}
	return fr, true
}

// Flush ends the stream (EOF): a partial line or NUL record, and a held
// continuation line, become frames. A partial STX frame without its ETX is
// incomplete and dropped.
func (f *Framer) Flush() {
	f.flushNoise()
	if f.fr.Type == profile.FrameSTXETX && f.inSTX && len(f.cur) > 0 && !f.discard {
		f.queue = append(f.queue, Frame{Data: append([]byte(nil), f.cur...), Line: f.curLine, Junk: "incomplete"})
	}
	if f.fr.Type != profile.FrameSTXETX && len(f.cur) > 0 && !f.discard {
		fr := Frame{Data: append([]byte(nil), f.cur...), Line: f.curLine}
		if f.fr.Type == profile.FrameNUL {
			fr.Line = f.line
		}
		f.cur = f.cur[:0]
		f.emit(fr)
	}
	if f.held != nil {
		f.queue = append(f.queue, *f.held)
		f.held = nil
	}
	f.cur = f.cur[:0]
	f.discard = false
	f.inSTX = false
}

// Tail returns the bytes that rebuild the framer's unfinished work when
// pushed into a fresh framer of the same framing: a continuation line held
// for its second line, the bytes outside any STX/ETX frame not yet
// reported, and the record being received. A record being discarded (past
// max_length, already reported) leaves nothing. The driver keeps the tail
// with the frames before it, so a kill or a power cut in the middle of a
// record does not lose the part already read from the port.
func (f *Framer) Tail() []byte {
	var t []byte
	if f.held != nil {
		switch f.fr.Type {
		case profile.FrameSTXETX:
			t = append(append(append(t, 0x02), f.held.Data...), 0x03)
		case profile.FrameNUL:
			t = append(append(t, f.held.Data...), 0)
		default:
			t = append(append(t, f.held.Data...), f.eol())
		}
	}
	if f.fr.Type == profile.FrameSTXETX {
		if !f.inSTX {
			return append(t, f.noise...)
		}
		if f.discard {
			return t
		}
		return append(append(t, 0x02), f.cur...)
	}
	if f.discard {
		return t
	}
	return append(t, f.cur...)
}

// eol is a byte that ends a line in this framing.
func (f *Framer) eol() byte {
	if f.fr.EOL == "cr" {
		return '\r'
	}
	return '\n'
}
