package transport

import (
	"context"
	"errors"
	"io"
)

// Transport opens one connection to a device. Open blocks until connected or
// ctx ends. A Transport may be opened again after the stream it returned is
// closed; that is how Link reconnects.
type Transport interface {
	Open(ctx context.Context) (io.ReadWriteCloser, error)
	// String describes the endpoint for logs and state reports, e.g.
	// "serial /dev/ttyUSB0 9600 8N1 flow=none" or "tcp connect 192.0.2.10:2300".
	String() string
}

// ErrFatal marks an error that retrying cannot fix (bad options, a device
// that can never be opened as configured). errors.Is(err, ErrFatal) reports
// whether err, or an error it wraps, was marked with Fatal.
var ErrFatal = errors.New("fatal")

// ErrExhausted is returned by Open of a source that has nothing more to give
// (a file read once without Follow, stdin). Link.Run ends cleanly on it.
var ErrExhausted = errors.New("transport: source exhausted")

// ErrDeviceGone is returned by a serial stream's Read when the device behind
// the configured path disappeared or was replaced (USB adapter pulled, pty
// master closed). It is retryable: Link reopens the same path.
var ErrDeviceGone = errors.New("transport: device gone")

type fatalError struct{ err error }

func (e *fatalError) Error() string        { return e.err.Error() }
func (e *fatalError) Unwrap() error        { return e.err }
func (e *fatalError) Is(target error) bool { return target == ErrFatal }

// Fatal marks err as non-retryable: Link.Run stops and reports StateFailed.
// Fatal(nil) is nil.
func Fatal(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrFatal) {
		return err
	}
	return &fatalError{err: err}
}

// IsFatal reports whether err was marked with Fatal.
func IsFatal(err error) bool { return errors.Is(err, ErrFatal) }
