package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a config file.
type Problem struct {
	// Path is the YAML path of the offending key, e.g.
	// devices[1].transport.serial.baud; empty for the file as a whole.
	Path string
	// Message says what is wrong and, where it helps, what would be right.
	Message string
	// Line is the 1-based line of the key in the file, or of its nearest
	// enclosing key when the key itself is missing; 0 when unknown (a file
	// that does not parse at that point, or Validate on a Config built in Go).
	Line int
}

// String renders the problem as "path: message", or the message alone for
// a problem with the whole file.
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// ValidationError lists every problem found in a config file. Load, Parse
// and Validate return it (as error) for anything wrong with the file's
// content: YAML syntax, unknown keys, values of the wrong type, failed rules.
// An unreadable file is reported with the underlying *fs.PathError instead.
type ValidationError struct {
	// File is the config path as given; empty when unknown.
	File     string
	Problems []Problem
}

// Error renders one problem per line, each prefixed "file:line: " (or the
// parts of that which are known), the way compilers do, so an editor can jump
// to it.
func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.where(p))
		b.WriteString(p.String())
	}
	return b.String()
}

// where is the "file:line: " prefix Error puts before p ("" when neither is known).
func (e *ValidationError) where(p Problem) string {
	switch {
	case e.File != "" && p.Line > 0:
		return fmt.Sprintf("%s:%d: ", e.File, p.Line)
	case e.File != "":
		return e.File + ": "
	case p.Line > 0:
		return fmt.Sprintf("line %d: ", p.Line)
	}
	return ""
}
