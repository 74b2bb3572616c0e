//go:build !linux

package pbxsim

import (
	"errors"
	"os"
)

// PTY is a pseudo-terminal standing in for a serial port (Linux only).
type PTY struct {
	Master *os.File
	Link   string
	Slave  string
}

// OpenPTY is only implemented on Linux.
func OpenPTY(link string) (*PTY, error) { return nil, errors.New("pbxsim: pty pairs need Linux") }

// Close does nothing.
func (p *PTY) Close() error { return nil }

// Pending is always 0.
func (p *PTY) Pending() (int, error) { return 0, nil }
