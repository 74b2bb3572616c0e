package desk

import (
	"fmt"
	"slices"
	"strings"

	"switchboard/internal/bus"
)

// Text checks a free-text field of a command: required or not, at most
// max bytes, no control characters (they would reach a device's display, a
// report or a log line).
func Text(field, v string, max int, required bool) error {
	switch {
	case v == "" && required:
		return &bus.FieldError{Field: field, Problem: "required"}
	case len(v) > max:
		return &bus.FieldError{Field: field, Problem: fmt.Sprintf("longer than %d characters", max)}
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return &bus.FieldError{Field: field, Problem: "control characters"}
	}
	return nil
}

// OneOf checks a keyword field: def when empty, else one of allowed.
func OneOf(field, v, def string, allowed []string) (string, error) {
	if v == "" {
		return def, nil
	}
	if !slices.Contains(allowed, v) {
		return "", &bus.FieldError{Field: field, Problem: fmt.Sprintf("%q: want one of %s", v, strings.Join(allowed, ", "))}
	}
	return v, nil
}

// Subject is the CloudEvents subject of a business-centre item: its room,
// or the device for a guest paying at the desk without a room.
func Subject(room, device string) string {
	if room == "" {
		return "device/" + device
	}
	return "room/" + room
}
