package pbxsim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// ServeTCP plays a PBX that listens for its SMDR collector (Panasonic
// KX-TDE/NS port 2300): one client at a time; the profile's tcp.login steps
// are played from the PBX side (prompt with each expect text, wait for the
// send line) before records flow. It returns nil after Count calls, or
// ctx's error. A client that goes away, fails the login or is dropped
// (DropAfter) is replaced by the next one.
func (s *Simulator) ServeTCP(ctx context.Context, ln net.Listener, onCall func(*Call)) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("pbxsim: accept: %w", err)
		}
		err = s.serveConn(ctx, conn, onCall)
		if err == nil || ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func (s *Simulator) serveConn(ctx context.Context, conn net.Conn, onCall func(*Call)) error {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := s.login(conn); err != nil {
		return err
	}
	return s.Run(ctx, conn, onCall)
}

// loginTimeout bounds each login step.
const loginTimeout = 30 * time.Second

// ErrLogin is returned for a client that did not send the expected login line.
var ErrLogin = errors.New("pbxsim: login refused")

// Login plays the profile's tcp.login from the PBX side on conn (a test
// that writes the records itself).
func (s *Simulator) Login(conn net.Conn) error { return s.login(conn) }

func (s *Simulator) login(conn net.Conn) error {
	if s.p.TCP == nil || len(s.p.TCP.Login) == 0 {
		return nil
	}
	r := bufio.NewReader(conn)
	for i, step := range s.p.TCP.Login {
		if _, err := io.WriteString(conn, step.Expect); err != nil {
			return err
		}
		if step.Send == "" {
			continue
		}
		if err := conn.SetReadDeadline(time.Now().Add(loginTimeout)); err != nil {
			return err
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("pbxsim: login step %d: %w", i+1, err)
		}
		if strings.TrimRight(line, "\r\n") != strings.TrimRight(step.Send, "\r\n") {
			_, _ = io.WriteString(conn, "\r\nLogin incorrect\r\n")
			return fmt.Errorf("%w at step %d", ErrLogin, i+1)
		}
	}
	return conn.SetReadDeadline(time.Time{})
}

// DialTCP plays a PBX that connects to its SMDR collector (Avaya IP Office):
// it dials addr, streams records, and when the connection fails or is
// dropped (DropAfter) dials again every retry and first resends the records
// of the lost connection (ReplayBuffer). It returns nil after Count calls,
// or ctx's error.
func (s *Simulator) DialTCP(ctx context.Context, addr string, retry time.Duration, onCall func(*Call)) error {
	if retry <= 0 {
		retry = time.Second
	}
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			stop := context.AfterFunc(ctx, func() { conn.Close() })
			err = s.Run(ctx, conn, onCall)
			stop()
			conn.Close()
			if err == nil {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
