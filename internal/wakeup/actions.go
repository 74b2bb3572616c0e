package wakeup

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/events/hotel"
)

// Action is something the caller must do after a schedule call committed:
// send a hotel-link command, publish an event, or check the link. Actions
// are returned in the order they must be carried out.
type Action interface{ action() }

// SendToPBX asks the PBX to ring Room at At (hotelink.WakeupSet). Ref is
// the command reference whose CommandAck goes back to Schedule.Acked.
type SendToPBX struct {
	Ref    string
	Wakeup Wakeup
	Room   hotel.Room
	At     time.Time // the PBX's time, in the site's zone (a retry's time differs from Wakeup.At)
	Retry  bool      // a second attempt after an unanswered call
}

// Command is the hotel-link command. Daily is always false: the schedule
// re-arms a daily wake-up itself after each result (FIAS WR has no repeat).
func (a SendToPBX) Command() hotel.WakeupSet {
	return hotel.WakeupSet{Ref: a.Ref, Room: a.Room, At: a.At}
}

// CancelAtPBX asks the PBX to forget the wake-up of Room at At.
type CancelAtPBX struct {
	Ref    string
	Wakeup Wakeup
	Room   hotel.Room // the room the PBX holds it for (the old room of a move)
	At     time.Time
}

// Command is the hotel-link command.
func (a CancelAtPBX) Command() hotel.WakeupCancel {
	return hotel.WakeupCancel{Ref: a.Ref, Room: a.Room, At: a.At}
}

// Notice is the kind of event a Publish asks for.
type Notice string

const (
	NoticeAnswered   Notice = "answered"
	NoticeUnanswered Notice = "unanswered" // Reason: busy or no_answer; Retry says whether another call follows
	NoticeAtRisk     Notice = "at-risk"    // the wake-up may not happen: a person must check
	NoticeEscalated  Notice = "escalated"  // unanswered after every attempt: housekeeping goes to the room
	NoticeUnmatched  Notice = "unmatched"  // the PBX reported a result for a wake-up we did not set
)

// Publish asks the caller to publish an event (through the outbox, in the
// same transaction when it can). IdemKey is the notice's business identity.
type Publish struct {
	Notice  Notice
	IdemKey string
	Wakeup  Wakeup // zero for NoticeUnmatched
	Room    hotel.Room
	At      time.Time // the wake-up time concerned (the PBX's echo for NoticeUnmatched)
	Attempt int
	Retry   bool   // NoticeUnanswered: a second call is armed
	Reason  string // busy, no_answer, "no result 3m0s after 07:00", the PBX's refusal...
	Code    string // the PBX's own result code, if any
}

// Preflight asks the caller to check the hotel link (and whatever rings the
// rooms) ahead of the day's first wake-up, and to publish NoticeAtRisk for
// Rooms if it is down (叫醒服務: check the machine before the earliest
// wake-up of the day). Emitted once per Date.
type Preflight struct {
	IdemKey string
	Date    Date
	First   time.Time    // the day's earliest wake-up still to ring
	Rooms   []hotel.Room // rooms with a wake-up still to ring that day, in time order
}

func (SendToPBX) action()   {}
func (CancelAtPBX) action() {}
func (Publish) action()     {}
func (Preflight) action()   {}

// Command references: wakeup/<id>/set/<n> and wakeup/<id>/cancel/<n>, n
// counting the commands sent for the wake-up so a late ack of an older one
// is recognised.
func setRef(id int64, n int) string    { return fmt.Sprintf("wakeup/%d/set/%d", id, n) }
func cancelRef(id int64, n int) string { return fmt.Sprintf("wakeup/%d/cancel/%d", id, n) }

func parseRef(ref string) (id int64, kind string, n int, ok bool) {
	p := strings.Split(ref, "/")
	if len(p) != 4 || p[0] != "wakeup" || (p[2] != "set" && p[2] != "cancel") {
		return 0, "", 0, false
	}
	id, err1 := strconv.ParseInt(p[1], 10, 64)
	n, err2 := strconv.Atoi(p[3])
	if err1 != nil || err2 != nil {
		return 0, "", 0, false
	}
	return id, p[2], n, true
}

// IsRef reports whether a command reference is one of the schedule's, so
// the gateway knows to hand its CommandAck to Acked.
func IsRef(ref string) bool { _, _, _, ok := parseRef(ref); return ok }

func noticeKey(w Wakeup, pbxWall string, n Notice) string {
	return fmt.Sprintf("wakeup/%d/%s/%s", w.ID, strings.ReplaceAll(pbxWall, " ", "T"), n)
}
