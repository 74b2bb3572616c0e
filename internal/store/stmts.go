package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// stmts caches prepared statements by their text. SQLite compiles a
// statement each time it is given as text; the ledger runs the same few
// dozen statements for every record, where compiling was a tenth of the
// CPU of an SMDR line's commit. database/sql keeps each statement prepared
// on every connection it ran on.
type stmts struct {
	db *sql.DB
	// deferred: the writer's one connection is held by the transaction
	// that first runs a statement, so it is prepared after that commits
	// (PrepareContext on the pool would wait for the connection forever).
	deferred bool
	mu       sync.Mutex
	m        map[string]*sql.Stmt
	missed   map[string]bool
}

// maxStmts bounds the cache: statements built at run time (an IN list of
// varying length) beyond it run unprepared.
const maxStmts = 256

func newStmts(db *sql.DB, deferred bool) *stmts {
	return &stmts{db: db, deferred: deferred, m: map[string]*sql.Stmt{}, missed: map[string]bool{}}
}

// get is the prepared statement of query (nil: run it as text: a script
// of several statements, or the cache is full).
func (c *stmts) get(ctx context.Context, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st
	}
	if len(c.m)+len(c.missed) >= maxStmts || strings.Contains(strings.TrimRight(strings.TrimSpace(query), ";"), ";") {
		return nil
	}
	if c.deferred {
		c.missed[query] = true
		return nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil // the error comes again, with context, when run as text
	}
	c.m[query] = st
	return st
}

// prepareMissed prepares the statements run as text since the last call
// (the writer's, once its transaction has committed).
func (c *stmts) prepareMissed(ctx context.Context) {
	c.mu.Lock()
	if len(c.missed) == 0 {
		c.mu.Unlock()
		return
	}
	qs := make([]string, 0, len(c.missed))
	for q := range c.missed {
		qs = append(qs, q)
	}
	c.mu.Unlock()
	// Unlocked while preparing: it waits for the writer's connection,
	// which a transaction may hold while it looks up its statements here.
	for _, q := range qs {
		st, err := c.db.PrepareContext(ctx, q)
		c.mu.Lock()
		delete(c.missed, q)
		if _, dup := c.m[q]; err == nil && !dup {
			c.m[q] = st
		} else if err == nil {
			st.Close()
		}
		c.mu.Unlock()
	}
}

func (c *stmts) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// A transaction's statements run on a context that is never cancelled
// (stmtCtx). For a cancellable one, modernc.org/sqlite starts a goroutine
// per statement to interrupt it (interruptOnDone), and database/sql
// another per query (Rows.awaitDone, for the transaction's own context):
// about thirty per SMDR read, whose wake-ups were 40 % of the scheduling
// delay of the 10,000-call benchmark (`go tool trace -pprof=sched`),
// ahead of the goroutines doing the work. A transaction is short, its
// waits are bounded by busy_timeout, and one that began finishes: the
// context is checked before BEGIN (InTx).
func (t *Tx) stmtCtx() context.Context { return context.WithoutCancel(t.ctx) }

func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	ctx := t.stmtCtx()
	if st := t.s.ws.get(ctx, query); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *Tx) query(query string, args ...any) (*sql.Rows, error) {
	ctx := t.stmtCtx()
	if st := t.s.ws.get(ctx, query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *Tx) queryRow(query string, args ...any) *sql.Row {
	ctx := t.stmtCtx()
	if st := t.s.ws.get(ctx, query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

func (s *Store) rquery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := s.rs.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.r.QueryContext(ctx, query, args...)
}

func (s *Store) rqueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := s.rs.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.r.QueryRowContext(ctx, query, args...)
}
