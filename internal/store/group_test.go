package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"switchboard/internal/events"
)

func openGroupStore(t testing.TB) (*Store, *Group) {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := st.NewGroup(64, 256)
	done := make(chan struct{})
	go func() { g.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; st.Close() })
	return st, g
}

// TestGroupIsolatesFailures: pieces of one shared transaction succeed or
// fail on their own (savepoints); each learns its own outcome, in order,
// after the commit; a failed piece's after-commit work never runs.
func TestGroupIsolatesFailures(t *testing.T) {
	st, g := openGroupStore(t)
	ctx := context.Background()
	var mu sync.Mutex
	var order []int
	var ran []int
	var wg sync.WaitGroup
	const n = 200
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		g.Submit(ctx, func(tx *Tx) error {
			if _, _, err := tx.Enqueue(Event{Type: "hotel.edge.test", Topic: "t", Source: "/s", IdemKey: fmt.Sprint(i), Data: i}); err != nil {
				return err
			}
			tx.AfterCommit(func() { mu.Lock(); ran = append(ran, i); mu.Unlock() })
			if i%7 == 0 {
				return errors.New("refused")
			}
			return nil
		}, func(err error) {
			mu.Lock()
			order = append(order, i)
			errs[i] = err
			mu.Unlock()
			wg.Done()
		})
	}
	wg.Wait()
	for i := range n {
		if order[i] != i {
			t.Fatalf("outcome %d reported in place %d", order[i], i)
		}
		if (errs[i] != nil) != (i%7 == 0) {
			t.Errorf("piece %d: %v", i, errs[i])
		}
	}
	for _, i := range ran {
		if i%7 == 0 {
			t.Errorf("after-commit work of refused piece %d ran", i)
		}
	}
	rows, err := st.Pending(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if want := n - (n+6)/7; len(rows) != want || len(ran) != want {
		t.Errorf("%d events stored, %d after-commit ran, want %d", len(rows), len(ran), want)
	}
	// Sequence numbers stay gap-free across refused pieces.
	for i, r := range rows {
		if r.Seq != int64(i+1) {
			t.Fatalf("row %d has seq %d", i, r.Seq)
		}
	}
}

// TestGroupCarriesActor: an event enqueued under a context with an actor
// names it in its envelope; one without does not.
func TestGroupCarriesActor(t *testing.T) {
	st, g := openGroupStore(t)
	ctx := context.Background()
	actx := events.WithActor(ctx, events.Actor{Principal: "op07", Role: "operator"})
	for i, c := range []context.Context{actx, ctx} {
		if err := g.Do(c, func(tx *Tx) error {
			_, _, err := tx.Enqueue(Event{Type: "hotel.edge.test", Topic: "t", Source: "/s", IdemKey: fmt.Sprint(i), Data: i})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	rows, _ := st.Pending(ctx, 0, 10)
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	if s := string(rows[0].Payload); !strings.Contains(s, `"principal":"op07"`) || !strings.Contains(s, `"principalrole":"operator"`) {
		t.Errorf("with an actor: %s", s)
	}
	if s := string(rows[1].Payload); strings.Contains(s, `"principal"`) {
		t.Errorf("without an actor: %s", s)
	}
}

// BenchmarkGroupCommit: small independent writes (a command reply with
// its command-log row) committed through the group by 8 concurrent
// submitters, against one transaction each.
func BenchmarkGroupCommit(b *testing.B) {
	for _, grouped := range []bool{true, false} {
		name := "grouped"
		if !grouped {
			name = "one-tx-each"
		}
		b.Run(name, func(b *testing.B) {
			st, g := openGroupStore(b)
			ctx := context.Background()
			var wg sync.WaitGroup
			var next int64
			var mu sync.Mutex
			work := func() error {
				mu.Lock()
				next++
				k := next
				mu.Unlock()
				fn := func(tx *Tx) error {
					if err := tx.PutCommand(CommandRow{ID: fmt.Sprint(k), Topic: "edge/gw1/ping", Status: CommandCompleted}); err != nil {
						return err
					}
					_, _, err := tx.Enqueue(Event{Type: "hotel.command.completed", Topic: "t", Source: "/s", IdemKey: fmt.Sprint(k), Data: k})
					return err
				}
				if grouped {
					return g.Do(ctx, fn)
				}
				return st.InTx(ctx, fn)
			}
			b.ResetTimer()
			per := b.N/8 + 1
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range per {
						if err := work(); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}
