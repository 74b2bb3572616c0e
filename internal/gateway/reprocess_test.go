package gateway

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/store"
)

// Frames of a hotel link that an older profile could not read go, after
// the fix, through the path a live frame takes (the hotel desk), exactly
// once, and are counted by what they became. Before the desks, reprocess
// delivered them through a sink that ran no workflow: they were marked
// "no handler" again yet counted as parsed.
func TestReprocessHotelLinkFramesRunTheHotelDesk(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "sb.db")
	cfg, _ := hotelinkConfig(t, "1101-1299", nil)
	cfg.Store = config.Store{Path: db}
	ctx := context.Background()
	g, err := OpenOffline(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	st := g.Store()
	// What the link journaled while its profile could not read the records:
	// DND set on the phone, a maid status, and a record nothing can read.
	raws := []string{"\x02RE|RN1203|DNY|\x03", "\x02RE|RN1204|RS3|\x03", "\x02XX|RN1205|\x03"}
	var nf []store.NewFrame
	for i, r := range raws {
		nf = append(nf, store.NewFrame{Raw: []byte(r), Key: "k" + string(rune('0'+i))})
	}
	ids, err := st.AppendFrames(ctx, "pbx1", "fias", "in", time.Now(), nf)
	if err != nil {
		t.Fatal(err)
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			if err := tx.MarkFrame(id, store.FrameUnparsed, "unknown record (old profile)"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	res, err := g.Reprocess(ctx, ReprocessOptions{Device: "pbx1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Read != 3 || res[0].Parsed != 2 || len(res[0].StillUnparsed) != 1 {
		t.Fatalf("reprocess: %+v, want 3 read, 2 parsed, 1 still unreadable", res)
	}
	fs, err := st.Frames(ctx, store.FrameFilter{Device: "pbx1"})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range fs {
		want := store.FrameParsed
		if i == 2 {
			want = store.FrameUnparsed
		}
		if f.Status != want {
			t.Errorf("frame %q: %s (%s), want %s", f.Raw, f.Status, f.Reason, want)
		}
	}
	// The hotel desk applied them: the room's DND is on, the maid status
	// is an event.
	rs, err := g.hotel.RoomState(ctx, "1203")
	if err != nil || !rs.DND {
		t.Errorf("room 1203 after reprocess: %+v %v, want DND on", rs, err)
	}
	var n int
	if err := st.QueryRow(ctx, `SELECT COUNT(*) FROM outbox WHERE type='hotel.pbx.room.status'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d room.status events, want 1 (%v)", n, err)
	}
	// Again: nothing left to read, nothing applied twice.
	res, err = g.Reprocess(ctx, ReprocessOptions{Device: "pbx1"})
	if err != nil || res[0].Read != 1 || res[0].Parsed != 0 {
		t.Fatalf("second reprocess: %+v %v, want only the unreadable frame read again", res, err)
	}
	if err := st.QueryRow(ctx, `SELECT COUNT(*) FROM outbox WHERE type='hotel.pbx.room.status'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d room.status events after a second reprocess, want 1", n)
	}
}
