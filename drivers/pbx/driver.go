package pbx

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"
	"unicode/utf8"

	"switchboard/drivers"
	"switchboard/internal/profile"
)

// Entry is this driver in the registry (drivers/all).
func Entry() drivers.Entry {
	return drivers.Entry{Name: "pbx", Domain: "pbx", Kind: drivers.KindSMDR, Transport: true, Profiled: true,
		CheckProfile: checkProfile, ProfileIDs: profileIDs, New: New}
}

// checkProfile finds a PBX profile among the embedded ones and dir's.
func checkProfile(id, dir string) error {
	reg, err := profile.Default()
	if dir != "" {
		reg, err = profile.Load(dir)
	}
	if err != nil {
		return err
	}
	if _, err := reg.Lookup(id); err != nil {
		return fmt.Errorf("no PBX profile %q (have %v; `switchboard profiles list`)", id, profileIDs())
	}
	return nil
}

func profileIDs() []string {
	all, _ := profile.All()
	ids := make([]string, 0, len(all))
	for _, p := range all {
		ids = append(ids, p.ID)
	}
	return ids
}

// Driver reads a PBX's SMDR/CDR stream: it cuts frames, journals them
// through the sink, parses them with the device's profile and delivers
// CallRecords (and the hotel events some PBXs print in the same stream).
type Driver struct {
	dev    drivers.Device
	prof   *profile.PBX
	parser *Parser
	link   drivers.Opener
	sink   drivers.Sink
	keeper drivers.TailKeeper // nil when the sink keeps no tail
	log    *slog.Logger
	now    func() time.Time

	resumed bool // the tail kept by the previous process was taken back
	// unique: the profile's records carry the PBX's call identity
	// (profile.UniqueRecords), so identical bytes are one call.
	unique bool
}

// New builds the driver for a device whose profile is a PBX profile.
func New(dev drivers.Device, deps drivers.Deps) (drivers.Driver, error) {
	reg, err := profile.Load(dev.ProfileDir)
	if err != nil {
		return nil, fmt.Errorf("pbx %s: profiles: %w", dev.ID, err)
	}
	p, err := reg.Lookup(dev.Profile)
	if err != nil {
		return nil, fmt.Errorf("pbx %s: %w", dev.ID, err)
	}
	loc := dev.Location
	if loc == nil {
		loc = time.Local
	}
	log := deps.Log
	if log == nil {
		log = slog.Default()
	}
	keeper, _ := deps.Sink.(drivers.TailKeeper)
	if dev.Stream == drivers.StreamTCP && p.TCP != nil && p.TCP.ResendsRecords {
		// The PBX sends the cut record again, whole, once the connection
		// is back (profile tcp.resends_records): a kept start would only
		// be reported as a record cut off.
		keeper = nil
	}
	return &Driver{dev: dev, prof: p, parser: NewParser(p, loc), link: deps.Link, sink: deps.Sink, keeper: keeper,
		log: log.With("device", dev.ID, "profile", p.ID), now: time.Now, unique: p.UniqueRecords()}, nil
}

// Run reads the stream until ctx ends, reconnecting through the link.
func (d *Driver) Run(ctx context.Context) error {
	if d.link == nil {
		return fmt.Errorf("pbx %s: no transport", d.dev.ID)
	}
	return d.link.Run(ctx, d.session)
}

// session reads one connection. Identical records are counted per session:
// a PBX that replays its buffer after a reconnect replays them in the same
// order, so the n-th copy of a line gets the same key again, while two
// genuinely identical calls in one minute get two keys.
func (d *Driver) session(ctx context.Context, rw io.ReadWriteCloser) error {
	rs := &readState{fr: NewFramer(d.prof.Framing), seen: occurrences{}}
	if err := d.resume(ctx, rs); err != nil {
		return err
	}
	buf := make([]byte, 8192)
	for {
		n, err := rw.Read(buf)
		if n > 0 {
			rs.fr.Push(buf[:n])
			if derr := d.drain(ctx, rs); derr != nil {
				return derr
			}
		}
		if err != nil {
			// A partial line at disconnect is still journaled and reported.
			rs.fr.Flush()
			if derr := d.drain(ctx, rs); derr != nil {
				return derr
			}
			return err
		}
	}
}

// readState is one session's reading: the framer, the identical-record
// counts, the tail last kept, and the head of a record the previous
// process was receiving when it stopped.
type readState struct {
	fr   *Framer
	seen occurrences
	kept []byte // the tail as last committed
	head []byte // resumed record start, until its first frame is complete
}

// resume takes back, once per process, the record the previous process
// was receiving when it was killed: its bytes go back into the framer, so
// the rest of the record completes it when the PBX goes on (a PBX holding
// its output under flow control, or replaying after a reconnect).
func (d *Driver) resume(ctx context.Context, rs *readState) error {
	if d.keeper == nil || d.resumed {
		return nil
	}
	var tail []byte
	var at time.Time
	if err := retry(ctx, d.log, "read kept tail", func() (err error) {
		tail, at, err = d.keeper.KeptTail(ctx)
		return err
	}); err != nil {
		return err
	}
	d.resumed = true
	if len(tail) == 0 {
		return nil
	}
	rs.fr.Push(tail)
	rs.kept = tail
	if n := rs.fr.Buffered(); n > 0 && n <= len(tail) {
		rs.head = tail[len(tail)-n:]
	}
	d.log.Info("resuming a record cut off when the gateway stopped", "bytes", len(tail), "received", at)
	return nil
}

// split decides the first frame completed after a resume. When what came
// after the kept head is a record of its own, the PBX went on with the
// next record (the head's remainder was lost while the gateway was down, or
// the PBX started afresh): the head becomes a junk frame of its own and
// the next record stands whole. A remainder is a fragment that does not
// parse alone: head and remainder are the one record, as one frame. The
// test is in that order because a lenient layout (CSV with optional
// trailing fields) may read a head followed by a whole record as a call.
func (d *Driver) split(f Frame, head []byte, at time.Time) []Frame {
	if f.Junk != "" || len(f.Data) <= len(head) || !bytes.HasPrefix(f.Data, head) {
		return []Frame{f}
	}
	rest := f.Data[len(head):]
	if _, err := d.parser.Parse(rest, at); err != nil && !errors.Is(err, ErrSkip) {
		return []Frame{f}
	}
	return []Frame{
		{Data: append([]byte(nil), head...), Line: f.Line, Junk: "cut-off"},
		{Data: append([]byte(nil), rest...), Line: f.Line},
	}
}

// drain journals every complete frame (and the tail after them), then
// parses and delivers them.
func (d *Driver) drain(ctx context.Context, rs *readState) error {
	var frames []Frame
	at := d.now()
	for {
		f, ok := rs.fr.Next()
		if !ok {
			break
		}
		if rs.head != nil {
			frames = append(frames, d.split(f, rs.head, at)...)
			rs.head = nil
			continue
		}
		frames = append(frames, f)
	}
	frames = joinNoise(frames)
	var tail []byte
	if d.keeper != nil {
		tail = rs.fr.Tail()
		if len(frames) == 0 && bytes.Equal(tail, rs.kept) {
			return nil
		}
	} else if len(frames) == 0 {
		return nil
	}
	jf := make([]drivers.Frame, len(frames))
	for i, f := range frames {
		jf[i] = drivers.Frame{Data: f.Data, Key: rs.seen.key(f.Data, d.unique)}
	}
	if c, ok := d.sink.(drivers.Committer); ok {
		// One commit a read: the frames, the tail, the calls and their
		// events (docs/performance.md: one fsync instead of two).
		interpret := func(ids []int64) []drivers.Result {
			results := make([]drivers.Result, len(frames))
			for i, f := range frames {
				results[i] = d.interpret(f, ids[i], jf[i].Key, at)
			}
			return results
		}
		if err := retry(ctx, d.log, "commit", func() error {
			return c.Commit(ctx, drivers.FromDevice, jf, tail, d.keeper != nil, at, interpret)
		}); err != nil {
			return err
		}
		rs.kept = tail
		return nil
	}
	var ids []int64
	if err := retry(ctx, d.log, "journal", func() (err error) {
		if d.keeper != nil {
			ids, err = d.keeper.JournalTail(ctx, drivers.FromDevice, jf, tail, at)
		} else {
			ids, err = d.sink.Journal(ctx, drivers.FromDevice, jf, at)
		}
		return err
	}); err != nil {
		return err
	}
	rs.kept = tail
	if len(frames) == 0 {
		return nil
	}
	results := make([]drivers.Result, len(frames))
	for i, f := range frames {
		results[i] = d.interpret(f, ids[i], jf[i].Key, at)
	}
	return retry(ctx, d.log, "deliver", func() error { return d.sink.Deliver(ctx, results) })
}

// joinNoise journals a run of line noise as one frame: two or more frames
// in a row, each not text (isNoise). Every byte is still kept, the lines
// joined by LF, but a burst of noise (a wrong baud rate, a motor next to
// the cable: tens of thousands of short "lines" a minute) costs one journal
// row a read instead of one a line, so the store grows with the bytes
// received, not many times over.
func joinNoise(frames []Frame) []Frame {
	out := frames[:0:0]
	for i := 0; i < len(frames); {
		j := i
		for j < len(frames) && isNoise(frames[j]) {
			j++
		}
		if j-i < 2 {
			out = append(out, frames[i])
			i++
			continue
		}
		joined := Frame{Line: frames[i].Line, Junk: "noise", Data: bytes.Join(dataOf(frames[i:j]), []byte{'\n'})}
		for _, f := range frames[i:j] {
			joined.Lines += max(f.Lines, 1)
		}
		out = append(out, joined)
		i = j
	}
	return out
}

func dataOf(frames []Frame) [][]byte {
	out := make([][]byte, len(frames))
	for i, f := range frames {
		out[i] = f.Data
	}
	return out
}

// isNoise: the frame is not text (not UTF-8, or C0 control bytes other than
// tab). SMDR is text; a PBX that prints names in Chinese prints UTF-8 or
// GB18030, whose bytes are never C0 controls, so only invalid UTF-8 with
// controls in it, or controls alone, count. A frame already junk for its
// framing (overlong, interrupted) is noise when its bytes are.
func isNoise(f Frame) bool {
	if f.Junk != "" && f.Junk != "overlong" && f.Junk != "noise" {
		return false
	}
	controls := 0
	for _, c := range f.Data {
		if c < 0x20 && c != '\t' || c == 0x7f {
			controls++
		}
	}
	return controls > 0 && (controls*8 >= len(f.Data) || !utf8.Valid(f.Data))
}

// JunkError is a frame that was never a record candidate.
type JunkError struct {
	Kind string
	Len  int
}

func (e *JunkError) Error() string {
	switch e.Kind {
	case "overlong":
		return fmt.Sprintf("no end of record within %d bytes: wrong baud rate or parity, or line noise (check the SMDR port settings)", e.Len)
	case "outside-frame":
		return fmt.Sprintf("%d bytes outside any STX/ETX frame: wrong speed or a second device on the line", e.Len)
	case "interrupted":
		return "record interrupted by the start of another (STX before ETX)"
	case "incomplete":
		return "record incomplete when the connection ended"
	case "noise":
		return "line noise (bytes that are not text): wrong baud rate or parity, or interference on the line: check the SMDR port settings and the cable"
	case "cut-off":
		return "record cut off when the gateway stopped: the PBX went on with the next record, the rest of this one never came (bill it by hand from the raw text)"
	}
	return e.Kind
}

// Interpret reads a journaled frame again (crash recovery, reprocess). A
// frame journaled as junk fails again, for the same reason.
func (d *Driver) Interpret(raw []byte, key string, received time.Time) drivers.Result {
	return d.interpret(Frame{Data: raw}, 0, key, received)
}

func (d *Driver) interpret(f Frame, id int64, key string, at time.Time) drivers.Result {
	r := drivers.Result{FrameID: id, Key: key, Lines: f.Lines}
	if f.Junk != "" {
		r.Err = fmt.Errorf("line %d: %w", f.Line, &JunkError{Kind: f.Junk, Len: len(f.Data)})
		return r
	}
	rec, err := d.parser.Parse(f.Data, at)
	switch {
	case errors.Is(err, ErrSkip):
		r.Skipped = true
	case err != nil:
		r.Err = fmt.Errorf("line %d: %w", f.Line, err)
	default:
		rec.Line = f.Line
		r.Record = rec
	}
	return r
}

// occurrences numbers identical records within a session.
type occurrences map[string]int

// maxOccurrences bounds the map: a session's identical-line window only
// needs to cover a PBX buffer replay (Avaya keeps up to 3,000 records).
const maxOccurrences = 20000

// key is computed before the frame is journaled, from its bytes alone, so
// that a crash between journal and interpretation does not change it. Dedupe
// keys are kept for the billing retention (400 days): a profile that prints
// no year would need the same extension, digits, second and duration a year
// later to collide.
//
// Counting copies is right for a PBX whose records carry no identity (two
// guests' identical calls in one minute are two calls), but a PBX that
// prints its buffer again without a reconnect (a serial PBX told to
// reprint, or one that replays when DTR returns) would then have each
// reprinted call billed again. Where every record carries the PBX's call
// identity (unique), identical bytes are one call: every copy gets the
// first copy's key ("#0", as before, so keys already stored still match).
func (o occurrences) key(raw []byte, unique bool) string {
	sum := sha256.Sum256(raw)
	h := hex.EncodeToString(sum[:12])
	if unique {
		return h + "#0"
	}
	if len(o) >= maxOccurrences {
		clear(o)
	}
	n := o[h]
	o[h] = n + 1
	return h + "#" + strconv.Itoa(n)
}

// retry keeps trying a store operation: bytes read from a serial port
// cannot be read again, so the driver holds them (and stops reading; the
// PBX buffers) until the store takes them.
func retry(ctx context.Context, log *slog.Logger, what string, fn func() error) error {
	wait := 100 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			// Shutting down: the frames stay journaled as new and are
			// interpreted at the next start.
			return ctx.Err()
		}
		log.Error("store refused "+what+"; holding the data and retrying", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}
