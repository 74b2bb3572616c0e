// Package hotel is the hotel model a PBX's hotel interface and the core
// share: rooms, the commands the front office sends (check-in, wake-up,
// DND, message lamp, class of service), the PBX's answers and reports
// (wake-up results, maid status, postings, link events), and the snapshot a
// link resyncs from. Drivers (drivers/hotelink, the SMDR hotel events)
// speak it on one side, the hotel desk and the wake-up schedule on the
// other; neither imports the other.
package hotel

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Room is a guest room as the PBX knows it (its extension number in most
// installs). A type of its own so a room is never mixed up with a
// reservation id or a posting number.
type Room string

// COS is a room telephone's class of service, the call barring the front
// desk sets at check-in and check-out. A profile maps each value to the
// PBX's own code (FIAS CS digit, Shenou level digit, SX-200 restriction).
type COS string

const (
	COSBarred        COS = "barred" // internal calls only
	COSLocal         COS = "local"
	COSNational      COS = "national"
	COSInternational COS = "international"
)

// Command is something the core asks the PBX to do. Every command carries
// the core's reference (the MQTT command id), echoed in its CommandAck.
type Command interface {
	Reference() string
	// Target is the room the command is about (the "from" room of a move).
	Target() Room
	command()
}

// CheckIn occupies a room: name on the display, language, class of service.
type CheckIn struct {
	Ref         string
	Room        Room
	Reservation string // FIAS G#
	Guest       string // display name
	Language    string // ISO 639-1 (en, zh); profiles map it to the PBX's code
	VIP         bool
	COS         COS // empty: leave the PBX's default
}

// CheckOut vacates a room; the PBX bars the phone and clears messages.
type CheckOut struct {
	Ref         string
	Room        Room
	Reservation string
}

// RoomMove moves a guest from one room to another.
type RoomMove struct {
	Ref         string
	From, To    Room
	Reservation string
	Guest       string
	Language    string
}

// NameChange corrects a guest's name (or language) without moving.
type NameChange struct {
	Ref         string
	Room        Room
	Reservation string
	Guest       string
	Language    string
}

// SetCOS changes a room's class of service.
type SetCOS struct {
	Ref  string
	Room Room
	COS  COS
}

// DND sets or clears do-not-disturb on a room's line. Sent by the core as a
// command, and delivered by a driver when the guest changed it on the phone.
type DND struct {
	Ref  string
	Room Room
	On   bool
}

// MWL lights or clears a room phone's message-waiting lamp.
type MWL struct {
	Ref  string
	Room Room
	On   bool
}

// WakeupSet asks the PBX to ring a room at a local date and time. Daily
// wake-ups are re-armed by the core's scheduler after each result on PBXs
// that have no repeat flag (FIAS WR has none).
type WakeupSet struct {
	Ref   string
	Room  Room
	At    time.Time // local wall time of the site; seconds are sent as given
	Daily bool
}

// WakeupCancel cancels the wake-up of a room at At.
type WakeupCancel struct {
	Ref  string
	Room Room
	At   time.Time
}

func (c CheckIn) Reference() string      { return c.Ref }
func (c CheckOut) Reference() string     { return c.Ref }
func (c RoomMove) Reference() string     { return c.Ref }
func (c NameChange) Reference() string   { return c.Ref }
func (c SetCOS) Reference() string       { return c.Ref }
func (c DND) Reference() string          { return c.Ref }
func (c MWL) Reference() string          { return c.Ref }
func (c WakeupSet) Reference() string    { return c.Ref }
func (c WakeupCancel) Reference() string { return c.Ref }

func (c CheckIn) Target() Room      { return c.Room }
func (c CheckOut) Target() Room     { return c.Room }
func (c RoomMove) Target() Room     { return c.From }
func (c NameChange) Target() Room   { return c.Room }
func (c SetCOS) Target() Room       { return c.Room }
func (c DND) Target() Room          { return c.Room }
func (c MWL) Target() Room          { return c.Room }
func (c WakeupSet) Target() Room    { return c.Room }
func (c WakeupCancel) Target() Room { return c.Room }

// CommandName is a command's type name (CheckIn, WakeupSet, ...), as
// operator tasks and logs name it.
func CommandName(c Command) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", c), "hotel.")
}

func (CheckIn) command()      {}
func (CheckOut) command()     {}
func (RoomMove) command()     {}
func (NameChange) command()   {}
func (SetCOS) command()       {}
func (DND) command()          {}
func (MWL) command()          {}
func (WakeupSet) command()    {}
func (WakeupCancel) command() {}

// CommandAck is the device's answer to a Command. OK means the PBX took
// the command (written, and acknowledged where the link layer has ACKs).
// The outcome of a wake-up comes later as a WakeupResult.
type CommandAck struct {
	Ref    string
	OK     bool
	Reason string // why not: "link down", "NAK x3", a FIAS AS code, "set at the console"
	// OperatorTask is set when the PBX cannot take the command over its
	// link and a person must do it (Panasonic: set wake-ups at the console).
	OperatorTask bool
}

// Errors a driver's Send returns. ErrLinkDown is retryable: the core keeps
// the command and re-sends it (or resyncs) when a LinkEvent Up arrives.
var (
	ErrLinkDown    = errors.New("hotelink: link down")
	ErrNotAccepted = errors.New("hotelink: PBX did not accept the command")
	ErrUnsupported = errors.New("hotelink: command not supported by this PBX")
)

// WakeupStatus is the outcome of a wake-up call as the PBX reports it.
type WakeupStatus string

const (
	WakeupAnswered      WakeupStatus = "answered"
	WakeupBusy          WakeupStatus = "busy"
	WakeupNoAnswer      WakeupStatus = "no_answer"
	WakeupDeleted       WakeupStatus = "deleted"
	WakeupRetry         WakeupStatus = "retry"
	WakeupUnprocessable WakeupStatus = "unprocessable"
	WakeupUnknown       WakeupStatus = "unknown"
)

// WakeupResult reports a wake-up call. Date and Time are the PBX's echo of
// the requested wake-up (FIAS WA echoes WR's DA/TI exactly), so the core
// matches the result to its schedule entry by (Room, At).
type WakeupResult struct {
	Room   Room
	At     time.Time // the echoed requested time, in the site's zone
	Status WakeupStatus
	Code   string // the PBX's own code (FIAS AS value)
	Raw    string
}

// RoomStatus is a maid status dialed from the room phone (FIAS RE RS,
// SX-200 maid-in-room codes). Code is the PBX's number; profiles name it.
type RoomStatus struct {
	Room  Room
	Code  int
	Label string // from the profile, e.g. "clean", "dirty", "inspected"
	Raw   string
}

// Posting is a call the PBX costed and posts to a room (FIAS PS).
type Posting struct {
	Number      string // FIAS P#, the PBX's posting sequence: the idempotency key
	Room        Room
	At          time.Time
	Dialed      string
	Duration    time.Duration
	MeterPulses int
	Amount      int64 // minor units as the PBX sent them (FIAS TA)
	CallType    string
	PostingType string // FIAS PT: C direct charge, T telephone (metered)
	Raw         string
}

// LinkEventKind says what happened to the hotel link.
type LinkEventKind string

const (
	LinkUp              LinkEventKind = "up"
	LinkDown            LinkEventKind = "down"
	LinkResyncRequested LinkEventKind = "resync_requested"
)

// LinkEvent is delivered when the application link comes up (after the
// FIAS handshake), goes down, or the PBX asks for a database resync. On Up
// the core re-sends what changed while the link was down.
type LinkEvent struct {
	Kind   LinkEventKind
	Detail string
	At     time.Time
}

// Wakeup is a pending wake-up in a Snapshot.
type Wakeup struct {
	Room Room
	At   time.Time
}

// OccupiedRoom is one occupied room in a Snapshot.
type OccupiedRoom struct {
	Room        Room
	Reservation string
	Guest       string
	Language    string
	VIP         bool
	COS         COS
	DND         bool
	MWL         bool
}

// Snapshot is the front office's current picture, sent on a resync.
type Snapshot struct {
	Rooms   []OccupiedRoom
	Wakeups []Wakeup
}

// Capabilities say what a PBX's hotel interface can do. They come from its
// profile: the core never asks which protocol a link speaks.
type Capabilities struct {
	Profile string
	// Commands: the PBX takes commands over the link. Without, every
	// command is answered as an operator task (set at the console) and
	// there is no link to watch before a wake-up.
	Commands bool
	// DatedWakeups: a wake-up carries its date (FIAS WR DA and TI).
	// Without (Mitel SX-200 WAK HHMM), the PBX rings at the next such time
	// of day, so a wake-up goes to it only within the last day before it.
	DatedWakeups bool
	// ResyncOnLinkStart: the link sends the whole state (rooms and
	// wake-ups) at each link start, so nothing is re-sent one by one.
	ResyncOnLinkStart bool
	// COS are the classes of service the PBX's profile maps; none: class of
	// service is not set over this link.
	COS []COS
}

// Link is a PBX's hotel interface as the hotel desk uses it.
type Link interface {
	// Send sends one command and waits for the PBX's answer; an error
	// wrapping ErrLinkDown is retryable.
	Send(ctx context.Context, cmd Command) (CommandAck, error)
	// LinkUp reports whether the application link is up.
	LinkUp() bool
	// Capabilities are what the PBX can do.
	Capabilities() Capabilities
	// SetStateSource gives the link the front office's state for its
	// resyncs; SetClock the clock that dates what the PBX reports without
	// a date.
	SetStateSource(StateSource)
	SetClock(now func() time.Time)
}

// Frame is one frame of a command as it goes on the wire, and the journal
// row it was committed as (0: not journaled yet).
type Frame struct {
	Data      []byte
	JournalID int64
}

// Prepared is a command encoded for its link: the frames its send writes.
type Prepared struct {
	Cmd    Command
	Frames []Frame
}

// Preparer is a Link that encodes a command before sending it, so that the
// core journals the command's frames in the transaction that records the
// command (journal first, in one commit) and the link writes them without
// journaling them again.
type Preparer interface {
	// Prepare encodes cmd into the frames SendPrepared writes. It does no
	// I/O. An error means cmd is not prepared: Send it, and it fails or
	// succeeds as it always has (ErrLinkDown while the link is not up:
	// what a link writes may depend on its link start, as FIAS's LR
	// records do).
	Prepare(cmd Command) (Prepared, error)
	// SendPrepared writes p's frames and waits for the PBX's answer, as
	// Send does, without journaling a frame that has its JournalID. Should
	// the link encode p.Cmd otherwise by then (a link restart with other
	// LR records), it journals and writes what it encodes now instead, so
	// what is journaled is always what was written. A frame that the link
	// went down before writing stays in the journal, as a frame whose
	// write failed always has.
	SendPrepared(ctx context.Context, p Prepared) (CommandAck, error)
}

// StateSource gives a driver the current state for a database resync
// (FIAS DR) and at link start. The core implements it from its folio and
// wake-up schedule.
type StateSource interface {
	Snapshot(ctx context.Context) (Snapshot, error)
}

// StateSourceFunc adapts a function to StateSource.
type StateSourceFunc func(ctx context.Context) (Snapshot, error)

// Snapshot calls f.
func (f StateSourceFunc) Snapshot(ctx context.Context) (Snapshot, error) { return f(ctx) }
