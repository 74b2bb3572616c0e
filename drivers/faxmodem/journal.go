package faxmodem

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"switchboard/drivers"
)

// journal collects a session's trace — every AT command and result code,
// every HDLC frame, every T.30 decision — and commits it to the Sink in
// order. Lines are queued and written by one goroutine so that a slow
// journal (SQLite with synchronous=FULL) never delays the host's answer
// to the modem: T.30 leaves the host 75 ms ± 20 ms between a DCS and the
// TCF (T.30 §5.3.2.2). The session's record is delivered only after flush,
// so no result reaches the core before the frames it was made from are
// journaled.
type journal struct {
	sink    drivers.Sink
	session string
	now     func() time.Time

	mu      sync.Mutex
	queue   []entry
	seq     int
	lines   []string // the trace kept for the result (T.30 and AT lines)
	wake    chan struct{}
	done    chan struct{}
	lastIDs []int64
	err     error
	closed  bool
	pending int // lines queued and not yet committed
}

type entry struct {
	dir  drivers.Direction
	data []byte
	key  string
	at   time.Time
}

func newJournal(sink drivers.Sink, session string, now func() time.Time) *journal {
	j := &journal{sink: sink, session: session, now: now, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go j.loop()
	return j
}

// DialEvidence is how a send session's dial shows in the journal: the
// frames of session key begin their key with keyPrefix, and the dial
// command, committed before the modem gets it, begins with rawPrefix. A
// session with no such frame placed no call.
func (*Driver) DialEvidence(key string) (keyPrefix string, rawPrefix []byte) {
	return key + "/", []byte("> ATD")
}

// trace implements tracer for the AT layer: '>' to the modem, '<' from it.
func (j *journal) trace(dir byte, text string, data []byte) {
	d := drivers.FromDevice
	if dir == '>' {
		d = drivers.ToDevice
	}
	line := string(dir) + " " + text
	if data != nil {
		line += fmt.Sprintf(" [% x]", data)
	}
	j.add(d, line)
}

// t30 records a protocol event (phase, frame meaning, decision).
func (j *journal) t30(format string, args ...any) {
	j.add(drivers.FromDevice, "T.30 "+fmt.Sprintf(format, args...))
}

func (j *journal) add(dir drivers.Direction, line string) {
	if j == nil {
		return
	}
	j.mu.Lock()
	j.seq++
	at := j.now()
	j.lines = append(j.lines, at.Format("15:04:05.000 ")+line)
	open := !j.closed
	if open && j.sink != nil {
		j.queue = append(j.queue, entry{dir: dir, data: []byte(line), key: fmt.Sprintf("%s/%04d", j.session, j.seq), at: at})
		j.pending++
	}
	if open {
		select {
		case j.wake <- struct{}{}:
		default:
		}
	}
	j.mu.Unlock()
}

func (j *journal) loop() {
	defer close(j.done)
	for {
		_, ok := <-j.wake
		for {
			j.mu.Lock()
			q := j.queue
			j.queue = nil
			j.mu.Unlock()
			if len(q) == 0 {
				break
			}
			j.write(q)
		}
		if !ok {
			return
		}
	}
}

// write journals runs of one direction together.
func (j *journal) write(q []entry) {
	for len(q) > 0 {
		n := 1
		for n < len(q) && q[n].dir == q[0].dir {
			n++
		}
		fr := make([]drivers.Frame, n)
		for i := range n {
			fr[i] = drivers.Frame{Data: q[i].data, Key: q[i].key}
		}
		ids, err := j.sink.Journal(context.Background(), q[0].dir, fr, q[0].at)
		j.mu.Lock()
		if err != nil && j.err == nil {
			j.err = err
		}
		if len(ids) > 0 {
			j.lastIDs = ids
		}
		j.pending -= n
		j.mu.Unlock()
		q = q[n:]
	}
}

// flush waits until every queued line is committed and stops the writer;
// it returns the last frame id and the first journal error.
func (j *journal) flush() (int64, error) {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		<-j.done
	} else {
		j.closed = true
		j.mu.Unlock()
		close(j.wake)
		<-j.done
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	var last int64
	if len(j.lastIDs) > 0 {
		last = j.lastIDs[len(j.lastIDs)-1]
	}
	return last, j.err
}

// committed waits, up to limit, until every line added so far is in the
// journal. Used where a crash must leave evidence: the dial command is
// committed before it goes to the modem.
func (j *journal) committed(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		j.mu.Lock()
		n, err := j.pending, j.err
		j.mu.Unlock()
		switch {
		case err != nil:
			return err
		case n == 0:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("journal: %d lines not committed within %s", n, limit)
		}
		time.Sleep(time.Millisecond)
	}
}

// text is the whole trace so far.
func (j *journal) text() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return strings.Join(j.lines, "\n")
}
