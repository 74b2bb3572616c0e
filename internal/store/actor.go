package store

import "switchboard/internal/events"

// Acting runs fn with what it enqueues in the transaction attributed to a
// (the envelope's principal, role and shift), then restores the
// transaction's own actor. A desk uses it for the events that end work a
// command started earlier (a print job the printer reports finished, a fax
// attempt of the send queue): no command is being handled then, yet the
// event is the one the command caused.
func (t *Tx) Acting(a events.Actor, fn func() error) error {
	prev := t.ctx
	t.ctx = events.WithActor(prev, a)
	defer func() { t.ctx = prev }()
	return fn()
}
