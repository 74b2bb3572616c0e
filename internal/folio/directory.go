// Package folio decides what is posted where: which room an extension is,
// whether a guest is staying there, and whether a rated call becomes a
// charge on the guest's folio, a late charge, or a call that is only
// recorded and reported (vacant room, admin extension, emergency).
package folio

import (
	"fmt"
	"sort"
)

// RoomClass says what an extension is; only guest rooms are posted.
type RoomClass string

const (
	Guest    RoomClass = "guest"
	Admin    RoomClass = "admin"
	Lobby    RoomClass = "lobby"
	Business RoomClass = "business"
)

// RoomSpec is one line of the site's room map: an extension or a range of
// extensions of equal length; the room is the extension unless Room is set.
type RoomSpec struct {
	From, To string
	Room     string
	Class    RoomClass
}

// Directory maps extensions to rooms.
type Directory struct {
	spans []RoomSpec // sorted by length, then From
}

// NewDirectory checks and indexes the room map.
func NewDirectory(specs []RoomSpec) (*Directory, error) {
	d := &Directory{spans: append([]RoomSpec(nil), specs...)}
	sort.Slice(d.spans, func(i, j int) bool {
		a, b := d.spans[i], d.spans[j]
		if len(a.From) != len(b.From) {
			return len(a.From) < len(b.From)
		}
		return a.From < b.From
	})
	for i := 1; i < len(d.spans); i++ {
		a, b := d.spans[i-1], d.spans[i]
		if len(a.From) == len(b.From) && b.From <= a.To {
			return nil, fmt.Errorf("rooms %s-%s and %s-%s overlap", a.From, a.To, b.From, b.To)
		}
	}
	return d, nil
}

// Lookup returns the room and class of an extension.
func (d *Directory) Lookup(ext string) (room string, class RoomClass, ok bool) {
	i := sort.Search(len(d.spans), func(i int) bool {
		s := d.spans[i]
		if len(s.From) != len(ext) {
			return len(s.From) > len(ext)
		}
		return s.To >= ext
	})
	if i == len(d.spans) {
		return "", "", false
	}
	s := d.spans[i]
	if len(s.From) != len(ext) || ext < s.From || ext > s.To {
		return "", "", false
	}
	room = ext
	if s.Room != "" {
		room = s.Room
	}
	return room, s.Class, true
}

// Ranges lists the extension ranges (the hotel's internal numbers).
func (d *Directory) Ranges() [][2]string {
	out := make([][2]string, len(d.spans))
	for i, s := range d.spans {
		out[i] = [2]string{s.From, s.To}
	}
	return out
}

// MaxGuestRooms bounds GuestRooms: a room map is a hotel's, a few thousand
// rooms at most; a range wider than that is a typing mistake to show, not
// to list.
const MaxGuestRooms = 10000

// GuestRooms lists the guest rooms of the map in order (by length, then
// number), each once (several extensions of one room give one room).
// It stops at MaxGuestRooms.
func (d *Directory) GuestRooms() []string {
	var out []string
	seen := map[string]bool{}
	add := func(room string) bool {
		if !seen[room] {
			seen[room] = true
			out = append(out, room)
		}
		return len(out) < MaxGuestRooms
	}
	for _, s := range d.spans {
		if s.Class != Guest {
			continue
		}
		if s.Room != "" {
			if !add(s.Room) {
				return out
			}
			continue
		}
		// Digits of equal length: count from From to To keeping the width.
		for ext := s.From; ext <= s.To; ext = nextDigits(ext) {
			if !add(ext) {
				return out
			}
			if ext == s.To {
				break
			}
		}
	}
	return out
}

// nextDigits is the digit string one above s, of the same length ("0199"
// → "0200"); all nines wrap to zeros (the caller stops at its range's end).
func nextDigits(s string) string {
	b := []byte(s)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return string(b)
}
