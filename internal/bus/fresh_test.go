package bus

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"switchboard/internal/store"
)

// The publisher's next rows are what the store's Pending would return,
// whether they come from memory (events just committed, in order, right
// after the cursor) or from the store (a gap: events committed out of
// order, dropped past maxFresh, or a cursor moved back by a replay).
func TestNextIsPending(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o := NewOutbox(st, nil, quiet)
	o.batch = 4
	produce := func(from, to int) {
		for i := from; i <= to; i++ {
			if _, _, err := st.Enqueue(ctx, store.Event{Type: "hotel.pbx.call.recorded", Topic: topics.Event("pbx", "pbx1", "hotel.pbx.call.recorded"),
				Source: topics.Source("pbx", "pbx1"), IdemKey: fmt.Sprint(i), Data: map[string]int{"n": i}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	seqs := func(rows []store.OutboxRow) []int64 {
		var out []int64
		for _, r := range rows {
			out = append(out, r.Seq)
		}
		return out
	}
	check := func(step string, cursor int64, fromMemory bool) {
		t.Helper()
		want, err := st.Pending(ctx, cursor, o.batch)
		if err != nil {
			t.Fatal(err)
		}
		o.mu.Lock()
		inMemory := len(o.fresh) > 0 && o.fresh[0].Seq == cursor+1
		o.mu.Unlock()
		got, err := o.next(ctx, cursor)
		if err != nil {
			t.Fatal(err)
		}
		if inMemory != fromMemory {
			t.Errorf("%s: from memory %v, want %v", step, inMemory, fromMemory)
		}
		if !slices.Equal(seqs(got), seqs(want)) {
			t.Fatalf("%s: next(%d) = %v, Pending = %v", step, cursor, seqs(got), seqs(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.EventID != w.EventID || g.Type != w.Type || g.Topic != w.Topic || string(g.Payload) != string(w.Payload) {
				t.Fatalf("%s: seq %d from memory differs from the store:\n%+v\n%+v", step, g.Seq, g, w)
			}
		}
	}
	produce(1, 6)
	check("in order, a batch", 0, true)
	check("the rest", 4, true)
	check("nothing new", 6, false)

	produce(7, 9)
	o.mu.Lock()
	o.fresh = slices.DeleteFunc(o.fresh, func(r store.OutboxRow) bool { return r.Seq == 7 }) // its hook came late
	o.mu.Unlock()
	check("a gap at the cursor", 6, false)
	check("what memory kept is behind the cursor now", 9, false)

	produce(10, 12)
	check("a replay from 2", 1, false)
	check("memory again once the cursor reaches it", 9, true)

	produce(13, 13+maxFresh+2)
	o.mu.Lock()
	kept := len(o.fresh)
	o.mu.Unlock()
	if kept != maxFresh {
		t.Fatalf("%d events kept in memory, want at most %d", kept, maxFresh)
	}
	for cursor := int64(12); cursor < 13+maxFresh+2; cursor += int64(o.batch) {
		check(fmt.Sprintf("past maxFresh, cursor %d", cursor), cursor, cursor < 12+maxFresh)
	}
}
