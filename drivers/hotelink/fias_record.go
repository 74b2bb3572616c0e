package hotelink

import (
	"errors"
	"fmt"
	"strings"
)

// Control characters of the FIAS link layer (FIAS spec, "Framing" and
// "Low level protocol for asynchronous serial links").
const (
	STX = 0x02
	ETX = 0x03
	ENQ = 0x05
	ACK = 0x06
	NAK = 0x15
)

// maxRecord bounds a record between STX and ETX; anything longer is garbage
// (FIAS records are a few hundred bytes at most, guest names included).
const maxRecord = 4096

// Field is one FIAS field: a two-character field id and its value.
type Field struct {
	ID    string
	Value string
}

// Record is a FIAS record: XX|F1value|F2value|...| (FIAS spec, "Record
// structure": a two-letter record type, then fields each made of a
// two-character id and its value, every field closed by '|').
type Record struct {
	Type   string
	Fields []Field
}

// Get returns the first value of field id.
func (r Record) Get(id string) (string, bool) {
	for _, f := range r.Fields {
		if f.ID == id {
			return f.Value, true
		}
	}
	return "", false
}

// Has reports whether field id is present.
func (r Record) Has(id string) bool { _, ok := r.Get(id); return ok }

// Add appends a field.
func (r *Record) Add(id, value string) { r.Fields = append(r.Fields, Field{id, value}) }

// String is the record as the spec prints it.
func (r Record) String() string { return string(r.AppendTo(nil)) }

// AppendTo appends the unframed record to b. Values are cleaned of the
// characters FIAS reserves ('|' and control characters): a guest name
// must never break the framing.
func (r Record) AppendTo(b []byte) []byte {
	b = append(b, r.Type...)
	b = append(b, '|')
	for _, f := range r.Fields {
		b = append(b, f.ID...)
		for i := 0; i < len(f.Value); i++ {
			c := f.Value[i]
			switch {
			case c == '|':
				c = '/'
			case c < 0x20:
				c = ' '
			}
			b = append(b, c)
		}
		b = append(b, '|')
	}
	return b
}

// ErrRecord is wrapped by every record parse error.
var ErrRecord = errors.New("fias: bad record")

// ParseRecord parses an unframed record. The closing '|' may be missing
// (some vendors omit it); an empty field between two '|' is skipped.
func ParseRecord(b []byte) (Record, error) {
	if len(b) < 2 {
		return Record{}, fmt.Errorf("%w: %q too short", ErrRecord, b)
	}
	typ := string(b[:2])
	if !isUpper(b[0]) || !isUpper(b[1]) {
		return Record{}, fmt.Errorf("%w: record type %q", ErrRecord, typ)
	}
	rest := b[2:]
	if len(rest) > 0 && rest[0] != '|' {
		return Record{}, fmt.Errorf("%w: %q: no '|' after the record type", ErrRecord, b)
	}
	r := Record{Type: typ}
	s := string(rest)
	for part := range strings.SplitSeq(s, "|") {
		if part == "" {
			continue
		}
		if len(part) < 2 || !isFieldID(part[0]) || !isFieldID(part[1]) {
			return Record{}, fmt.Errorf("%w: %s: field %q has no two-character id", ErrRecord, typ, part)
		}
		for i := 2; i < len(part); i++ {
			if part[i] < 0x20 {
				return Record{}, fmt.Errorf("%w: %s: control character %#x in field %s", ErrRecord, typ, part[i], part[:2])
			}
		}
		r.Fields = append(r.Fields, Field{ID: part[:2], Value: part[2:]})
	}
	return r, nil
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// isFieldID: FIAS field ids are upper-case letters, digits and '#' (G#, P#, A0).
func isFieldID(c byte) bool { return isUpper(c) || (c >= '0' && c <= '9') || c == '#' }

// LRC is the FIAS block check: XOR of every byte after STX up to and
// including ETX, seeded with 0 (FIAS spec, "Framing"; the spec's example
// <STX>12345<ETX> has LRC '2').
func LRC(record []byte) byte {
	var x byte
	for _, c := range record {
		x ^= c
	}
	return x ^ ETX
}

// AppendFrame appends <STX>record<ETX>[LRC] to dst.
func AppendFrame(dst, record []byte, lrc bool) []byte {
	dst = append(dst, STX)
	dst = append(dst, record...)
	dst = append(dst, ETX)
	if lrc {
		dst = append(dst, LRC(record))
	}
	return dst
}

// EventKind says what the framer found.
type EventKind int

const (
	EvRecord  EventKind = iota // a complete frame; Data is the record between STX and ETX
	EvACK                      // a lone ACK
	EvNAK                      // a lone NAK
	EvENQ                      // a lone ENQ
	EvGarbage                  // bytes outside any frame, a frame cut by a new STX, an overlong frame
	EvBadLRC                   // a complete frame whose LRC did not match
)

func (k EventKind) String() string {
	return [...]string{"record", "ACK", "NAK", "ENQ", "garbage", "bad-LRC"}[k]
}

// Event is one thing the framer found. Raw is the bytes as they came off
// the wire (what the journal keeps); Data is the record without framing.
type Event struct {
	Kind EventKind
	Data []byte
	Raw  []byte
}

// Framer splits a FIAS byte stream into frames and link-layer characters.
// It is a push parser: Push what was read, then take Events. Any byte
// sequence is accepted; nothing panics.
type Framer struct {
	lrc     bool
	inFrame bool
	wantLRC bool
	cur     []byte // the record (in frame) or garbage (outside)
	raw     []byte
	out     []Event
}

// NewFramer returns a framer; lrc says whether a block check follows ETX.
func NewFramer(lrc bool) *Framer { return &Framer{lrc: lrc} }

// Push feeds bytes read from the link.
func (f *Framer) Push(b []byte) {
	for _, c := range b {
		f.push(c)
	}
}

func (f *Framer) push(c byte) {
	switch {
	case f.wantLRC:
		f.raw = append(f.raw, c)
		f.wantLRC, f.inFrame = false, false
		if LRC(f.cur) != c {
			f.emit(EvBadLRC, f.cur)
		} else {
			f.emit(EvRecord, f.cur)
		}
	case f.inFrame:
		switch c {
		case STX: // a new frame starts: the open one was cut short
			f.emit(EvGarbage, nil)
			f.inFrame = true
			f.raw = append(f.raw, c)
		case ETX:
			f.raw = append(f.raw, c)
			if f.lrc {
				f.wantLRC = true
				return
			}
			f.inFrame = false
			f.emit(EvRecord, f.cur)
		default:
			f.raw = append(f.raw, c)
			f.cur = append(f.cur, c)
			if len(f.cur) > maxRecord {
				f.inFrame = false
				f.emit(EvGarbage, nil)
			}
		}
	default:
		switch c {
		case STX:
			f.flushGarbage()
			f.inFrame = true
			f.raw = append(f.raw, c)
		case ACK, NAK, ENQ:
			f.flushGarbage()
			k := map[byte]EventKind{ACK: EvACK, NAK: EvNAK, ENQ: EvENQ}[c]
			f.out = append(f.out, Event{Kind: k, Raw: []byte{c}})
		default:
			f.raw = append(f.raw, c)
			if len(f.raw) > maxRecord {
				f.flushGarbage()
			}
		}
	}
}

func (f *Framer) emit(k EventKind, data []byte) {
	ev := Event{Kind: k, Raw: append([]byte(nil), f.raw...)}
	if data != nil {
		ev.Data = append([]byte(nil), data...)
	}
	f.out = append(f.out, ev)
	f.cur, f.raw = f.cur[:0], f.raw[:0]
}

func (f *Framer) flushGarbage() {
	if len(f.raw) > 0 {
		f.emit(EvGarbage, nil)
	}
}

// Flush turns whatever is buffered (a record cut by a disconnect, trailing
// garbage) into a garbage event, e.g. at EOF.
func (f *Framer) Flush() {
	f.inFrame, f.wantLRC = false, false
	f.flushGarbage()
}

// Next returns the next event, if any.
func (f *Framer) Next() (Event, bool) {
	if len(f.out) == 0 {
		return Event{}, false
	}
	ev := f.out[0]
	f.out = f.out[1:]
	if len(f.out) == 0 {
		f.out = f.out[:0:0]
	}
	return ev, true
}
