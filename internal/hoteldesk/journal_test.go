package hoteldesk

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"switchboard/internal/events"
	"switchboard/internal/events/hotel"
	"switchboard/internal/store"
)

// preparingLink is a fakeLink that prepares its commands (hotel.Preparer):
// one frame each, the command as describe names it. SendPrepared checks
// that the frames were committed to the journal before it was called.
type preparingLink struct {
	*fakeLink
	st *store.Store

	mu       sync.Mutex
	prepared int  // commands sent prepared
	plain    int  // commands sent with Send
	dropOnce bool // the link goes down between the commit and the write, once
	errs     []string
}

func (l *preparingLink) Prepare(cmd hotel.Command) (hotel.Prepared, error) {
	if !l.LinkUp() {
		return hotel.Prepared{}, fmt.Errorf("fake link: %w", hotel.ErrLinkDown)
	}
	return hotel.Prepared{Cmd: cmd, Frames: []hotel.Frame{{Data: []byte(describe(cmd))}}}, nil
}

func (l *preparingLink) SendPrepared(ctx context.Context, p hotel.Prepared) (hotel.CommandAck, error) {
	l.mu.Lock()
	l.prepared++
	drop := l.dropOnce
	l.dropOnce = false
	l.mu.Unlock()
	for _, f := range p.Frames {
		fr, err := l.st.Frames(ctx, store.FrameFilter{Device: "pbx1", Dir: store.DirOut, AfterID: f.JournalID - 1, Limit: 1})
		if err != nil || len(fr) != 1 || fr[0].ID != f.JournalID || string(fr[0].Raw) != string(f.Data) || fr[0].Profile != "fake" {
			l.mu.Lock()
			l.errs = append(l.errs, fmt.Sprintf("%s: journal %d = %+v, %v", f.Data, f.JournalID, fr, err))
			l.mu.Unlock()
		}
	}
	if drop {
		return hotel.CommandAck{Ref: p.Cmd.Reference(), Reason: "link down"}, fmt.Errorf("fake link: %w", hotel.ErrLinkDown)
	}
	return l.fakeLink.Send(ctx, p.Cmd)
}

func (l *preparingLink) Send(ctx context.Context, cmd hotel.Command) (hotel.CommandAck, error) {
	l.mu.Lock()
	l.plain++
	l.mu.Unlock()
	return l.fakeLink.Send(ctx, cmd)
}

func (l *preparingLink) counts() (prepared, plain int, errs []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.prepared, l.plain, slices.Clone(l.errs)
}

func newPreparingRig(t *testing.T) (*rig, *preparingLink) {
	t.Helper()
	fl := &fakeLink{up: true, caps: hotel.Capabilities{Profile: "fake", Commands: true, DatedWakeups: true}}
	pl := &preparingLink{fakeLink: fl}
	r := newRigWith(t, fl, pl, nil)
	pl.st = r.h.Store()
	return r, pl
}

// journaledOut lists the frames to pbx1 in the journal.
func (r *rig) journaledOut() []string {
	r.t.Helper()
	fr, err := r.h.Store().Frames(context.Background(), store.FrameFilter{Device: "pbx1", Dir: store.DirOut})
	if err != nil {
		r.t.Fatal(err)
	}
	out := make([]string, len(fr))
	for i, f := range fr {
		out[i] = string(f.Raw)
	}
	return out
}

// Every command the desk sends a hotel link that prepares commands has its
// frames journaled in the transaction that records it (one commit, journal
// first) and written by the link from there: check-in, DND, lamp, class of
// service, wake-up set and cancel, move, check-out.
func TestCommandFramesJournaledWithTheirChange(t *testing.T) {
	t.Parallel()
	r, pl := newPreparingRig(t)
	on := true
	r.run("guest.checkin", hotel.GuestCheckInData{Room: "1203", Name: "Zhang Wei"})
	r.run("dnd.set", hotel.SwitchData{Room: "1203", On: &on})
	r.run("mwl.set", hotel.SwitchData{Room: "1203", On: &on})
	r.run("cos.set", hotel.COSData{Room: "1203", COS: "local"})
	res := r.run("wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:30", Operator: "op07"})
	r.held(res["wakeup_id"].(int64))
	r.run("wakeup.cancel", hotel.WakeupCancelData{Room: "1203"})
	r.run("wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:45", Operator: "op07"})
	r.run("guest.move", hotel.GuestMoveData{From: "1203", To: "1204"})
	r.run("folio.checkout", events.CheckOutData{Room: "1204"})
	if !r.d.MessageLamp(context.Background(), "1205", true, "fax") {
		t.Error("lamp not taken")
	}

	want := []string{"checkin 1203", "dnd 1203 true", "mwl 1203 true", "cos 1203 local", "wakeup 1203 06:30", "wakeup-cancel 1203 06:30",
		"wakeup 1203 06:45", "hotel.RoomMove", "wakeup-cancel 1203 06:45", "wakeup 1204 06:45", "wakeup-cancel 1204 06:45", "checkout 1204", "mwl 1205 true"}
	got := r.link.got()
	if !slices.Equal(got, want) {
		t.Errorf("the PBX got %q, want %q", got, want)
	}
	if j := r.journaledOut(); !slices.Equal(j, got) {
		t.Errorf("journaled %q, the PBX got %q: each frame once, journaled by the desk", j, got)
	}
	prepared, plain, errs := pl.counts()
	if prepared != len(want) || plain != 0 {
		t.Errorf("%d commands sent prepared, %d with Send; want %d and 0", prepared, plain, len(want))
	}
	for _, e := range errs {
		t.Errorf("not journaled before the write: %s", e)
	}
}

// With the link down nothing is prepared: the command is recorded, its
// sends fail as ever (Send, which journals what it writes), and the
// journal holds no frame that was never written.
func TestLinkDownCommandJournalsNothing(t *testing.T) {
	t.Parallel()
	r, pl := newPreparingRig(t)
	r.run("folio.checkin", events.CheckInData{Room: "1203"})
	r.link.setUp(false)
	before := len(r.journaledOut())
	_, err := r.h.Run(t, r.h.Command(t, "pbx", "pbx1", "wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:30", Operator: "op07"}))
	if err == nil {
		t.Fatal("wakeup.set with the link down succeeded")
	}
	if j := r.journaledOut(); len(j) != before {
		t.Errorf("journaled with the link down: %q", j[before:])
	}
	if _, plain, _ := pl.counts(); plain != 4 {
		t.Errorf("%d sends, want 4 (the first and 3 retries)", plain)
	}
}

// A link that goes down between the commit and the write: the journaled
// frame stays in the journal, never written (as a frame whose write failed
// always has), and the retry once the link is back sends the command
// afresh, the link journaling what it writes then.
func TestLinkDropsBetweenCommitAndWrite(t *testing.T) {
	t.Parallel()
	r, pl := newPreparingRig(t)
	r.run("folio.checkin", events.CheckInData{Room: "1203"})
	pl.mu.Lock()
	pl.dropOnce = true
	pl.mu.Unlock()
	res := r.run("wakeup.set", hotel.WakeupSetData{Room: "1203", Time: "06:30", Operator: "op07"})
	if res["pbx"] != "sent" {
		t.Fatalf("wakeup.set reply %v", res)
	}
	r.held(res["wakeup_id"].(int64))
	prepared, plain, _ := pl.counts()
	if prepared != 2 || plain != 1 { // the folio check-in, the wake-up; its retry
		t.Errorf("%d sent prepared, %d with Send; want 2 and 1", prepared, plain)
	}
	if j := r.journaledOut(); !slices.Equal(j, []string{"checkin 1203", "wakeup 1203 06:30"}) {
		t.Errorf("journaled by the desk %q", j)
	}
}
