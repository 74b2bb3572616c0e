package rating

import (
	"errors"
	"fmt"
	"strings"
)

// Problem is one thing wrong with a tariff, plan or deck, at a path such as
// `destinations[14].prefix` or `world.csv:15`.
type Problem struct {
	Path string
	Msg  string
}

func (p Problem) Error() string { return p.Path + ": " + p.Msg }

// Errors lists every problem found while loading, so a tariff author fixes
// them in one round. It is returned as an error only when non-empty.
type Errors []Problem

func (e Errors) Error() string {
	var b strings.Builder
	for i, p := range e {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

func (e *Errors) add(path, msg string) { *e = append(*e, Problem{Path: path, Msg: msg}) }

func (e *Errors) addf(path, format string, args ...any) {
	e.add(path, fmt.Sprintf(format, args...))
}

func (e Errors) err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Errors returned (wrapped) by rating.
var (
	// ErrNoRoute: the number matched no destination and its kind has no fallback.
	ErrNoRoute = errors.New("no destination matches")
	// ErrNoVersion: no tariff version is in force at the call's start.
	ErrNoVersion = errors.New("no tariff version in force")
	// ErrCurrency: a plan priced in another currency than the tariff.
	ErrCurrency = errors.New("plan and tariff currencies differ")
)
