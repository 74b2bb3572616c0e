package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// defaultFollowPoll is how often a followed file is checked for new data,
// truncation or rotation once its end is reached.
const defaultFollowPoll = 250 * time.Millisecond

// FileOptions describes a capture file or stdin used as a device stream
// (replaying an SMDR capture, or a PBX whose records a spooler appends to a file).
type FileOptions struct {
	Path string // "-" reads standard input
	// Follow keeps reading data appended to the file, like tail -F: after a
	// truncation it starts again from the top, after a rotation (the path
	// now names a new file) it reopens the path. Not valid with stdin.
	Follow bool
}

// File is a read-only Transport over a file or stdin. Without Follow the
// stream ends with io.EOF and a second Open returns ErrExhausted, so a Link
// replays the file once instead of looping over it.
type File struct {
	opts FileOptions
	poll time.Duration

	mu     sync.Mutex
	opened bool
}

var _ Transport = (*File)(nil)

// NewFile validates opts and returns the transport. Options errors are
// marked Fatal.
func NewFile(opts FileOptions) (*File, error) {
	if opts.Path == "" {
		return nil, Fatal(errors.New("transport: file: path is empty"))
	}
	if opts.Path == "-" && opts.Follow {
		return nil, Fatal(errors.New("transport: file: follow is not possible on stdin"))
	}
	return &File{opts: opts, poll: defaultFollowPoll}, nil
}

// String describes the source, e.g. "file calls.txt" or "file calls.txt follow".
func (f *File) String() string {
	if f.opts.Path == "-" {
		return "file stdin"
	}
	if f.opts.Follow {
		return "file " + f.opts.Path + " follow"
	}
	return "file " + f.opts.Path
}

// Open opens the file. A followed file is opened at its start each time
// (the driver's journal dedupes what it has already seen); a missing
// followed file is a retryable error.
func (f *File) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !f.opts.Follow {
		f.mu.Lock()
		again := f.opened
		f.opened = true
		f.mu.Unlock()
		if again {
			return nil, fmt.Errorf("transport: %s: %w", f, ErrExhausted)
		}
	}
	if f.opts.Path == "-" {
		return &fileConn{f: os.Stdin, path: "-", closed: make(chan struct{})}, nil
	}
	fh, err := os.Open(f.opts.Path)
	if err != nil {
		if !f.opts.Follow {
			// Without Follow there is nothing to wait for.
			return nil, Fatal(fmt.Errorf("transport: %s: %w", f, err))
		}
		return nil, fmt.Errorf("transport: %s: %w", f, err)
	}
	return &fileConn{f: fh, path: f.opts.Path, follow: f.opts.Follow, poll: f.poll, closed: make(chan struct{})}, nil
}

type fileConn struct {
	path   string
	follow bool
	poll   time.Duration

	mu  sync.Mutex // guards f and off against Close and reopen
	f   *os.File
	off int64

	closeOnce sync.Once
	closed    chan struct{}
}

func (c *fileConn) Read(p []byte) (int, error) {
	if !c.follow {
		// c.f never changes without Follow; read it without the lock so a
		// Read blocked on stdin does not block Close.
		c.mu.Lock()
		f := c.f
		c.mu.Unlock()
		if f == nil {
			return 0, net.ErrClosed
		}
		n, err := f.Read(p)
		if err != nil && !errors.Is(err, io.EOF) {
			if c.isClosed() {
				return n, net.ErrClosed
			}
			err = fmt.Errorf("transport: file %s: %w", c.path, err)
		}
		return n, err
	}
	for {
		c.mu.Lock()
		if c.f == nil {
			c.mu.Unlock()
			return 0, net.ErrClosed
		}
		n, err := c.f.Read(p)
		c.off += int64(n)
		if n > 0 {
			c.mu.Unlock()
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			c.mu.Unlock()
			return 0, fmt.Errorf("transport: file %s: %w", c.path, err)
		}
		// At end of file: look for truncation or rotation, then wait.
		err = c.checkRotation()
		c.mu.Unlock()
		if err != nil {
			return 0, err
		}
		select {
		case <-c.closed:
			return 0, net.ErrClosed
		case <-time.After(c.poll):
		}
	}
}

func (c *fileConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// checkRotation (called with c.mu held, at EOF) rewinds a truncated file
// and reopens the path when it now names a different file (logrotate's
// create mode). A path that is missing for now (between rename and create)
// is waited for.
func (c *fileConn) checkRotation() error {
	cur, err := c.f.Stat()
	if err != nil {
		return fmt.Errorf("transport: file %s: %w", c.path, err)
	}
	if cur.Size() < c.off {
		// copytruncate: same file, shorter than what we have read.
		if _, err := c.f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("transport: file %s: %w", c.path, err)
		}
		c.off = 0
		return nil
	}
	fi, err := os.Stat(c.path)
	if err != nil || os.SameFile(fi, cur) {
		return nil
	}
	// The old file is fully read (we are at its EOF): switch to the new one.
	nf, err := os.Open(c.path)
	if err != nil {
		return nil // gone again; try on the next poll
	}
	c.f.Close()
	c.f, c.off = nf, 0
	return nil
}

// Write discards p: a file is a one-way capture, but a driver that answers
// its device (an ACK after each record) must still be able to run over one.
func (c *fileConn) Write(p []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
		return len(p), nil
	}
}

func (c *fileConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closed)
		c.mu.Lock()
		f := c.f
		c.f = nil
		c.mu.Unlock()
		err = f.Close()
	})
	return err
}
