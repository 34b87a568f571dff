package engine

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
)

// stmtCache keeps up to max prepared statements by their text, the least
// recently used closed first. database/sql prepares each on a connection
// the first time it runs there, and a statement closed while a query's
// rows are open is released after them; one taken from the cache but not
// yet run is closed only once it has run (users counts those).
type stmtCache struct {
	db  *sql.DB
	max int

	mu    sync.Mutex
	order *list.List // of *cachedStmt, most recent first
	byKey map[string]*list.Element
}

// resultCols are a result's column types, upper case, and time kinds.
type resultCols struct {
	types []string
	kinds []int
}

type cachedStmt struct {
	text string
	stmt *sql.Stmt
	// cols are the result's column types and their time kinds, as the
	// first run found them (nil until then): the same text gives the
	// same columns.
	cols atomic.Pointer[resultCols]
	// users are the queries that took it and have not started yet, and
	// evicted tells that it left the cache: the last user closes it.
	// Both under the cache's lock.
	users   int
	evicted bool
}

func newStmtCache(db *sql.DB, max int) *stmtCache {
	return &stmtCache{db: db, max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

// query runs a statement through its prepared form, and returns the
// statement kept with the rows.
func (c *stmtCache) query(ctx context.Context, text string, args []any) (*sql.Rows, *cachedStmt, error) {
	cs, err := c.get(ctx, text)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		c.mu.Lock()
		cs.users--
		closeIt := cs.evicted && cs.users == 0
		c.mu.Unlock()
		if closeIt {
			cs.stmt.Close() // released once the rows just opened are closed
		}
	}()
	rs, err := cs.stmt.QueryContext(ctx, args...)
	return rs, cs, err
}

func (c *stmtCache) get(ctx context.Context, text string) (*cachedStmt, error) {
	c.mu.Lock()
	if el, ok := c.byKey[text]; ok {
		c.order.MoveToFront(el)
		cs := el.Value.(*cachedStmt)
		cs.users++
		c.mu.Unlock()
		return cs, nil
	}
	c.mu.Unlock()
	st, err := c.db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	// Statements to close are closed after the lock is let go: closing
	// one is a round trip.
	var closing []*sql.Stmt
	defer func() {
		for _, st := range closing {
			st.Close()
		}
	}()
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[text]; ok { // prepared meanwhile by another request
		closing = append(closing, st)
		c.order.MoveToFront(el)
		cs := el.Value.(*cachedStmt)
		cs.users++
		return cs, nil
	}
	cs := &cachedStmt{text: text, stmt: st, users: 1}
	c.byKey[text] = c.order.PushFront(cs)
	for c.order.Len() > c.max {
		old := c.order.Remove(c.order.Back()).(*cachedStmt)
		delete(c.byKey, old.text)
		if old.users > 0 {
			old.evicted = true // its last user closes it
		} else {
			closing = append(closing, old.stmt)
		}
	}
	return cs, nil
}

// reset forgets every statement kept, so that each is prepared afresh the
// next time it runs. One taken but not yet run is closed by its last user,
// as an evicted one is; closing one whose rows are open releases it after
// them.
func (c *stmtCache) reset() {
	c.mu.Lock()
	var closing []*sql.Stmt
	for el := c.order.Front(); el != nil; el = el.Next() {
		cs := el.Value.(*cachedStmt)
		if cs.users > 0 {
			cs.evicted = true
		} else {
			closing = append(closing, cs.stmt)
		}
	}
	c.order.Init()
	clear(c.byKey)
	c.mu.Unlock()
	for _, st := range closing {
		st.Close()
	}
}

// statsWatch tells when the planner's statistics of the mapped tables
// have changed, asking the database at most once an interval.
type statsWatch struct {
	w      adapters.StatsWatcher
	tables []string
	every  time.Duration
	next   atomic.Int64 // when to ask next, in Unix nanoseconds

	mu   sync.Mutex
	last string // the version last seen; "" before the first answer
}

// changed asks for the statistics' version when it is time (one caller
// asks, the others go on), and tells whether it differs from the one seen
// before. A failure to ask is no change: the next interval asks again.
func (w *statsWatch) changed(ctx context.Context, now time.Time) (bool, error) {
	next := w.next.Load()
	if now.UnixNano() < next || !w.next.CompareAndSwap(next, now.Add(w.every).UnixNano()) {
		return false, nil
	}
	v, err := w.w.StatsVersion(ctx, w.tables)
	if err != nil {
		return false, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	changed := w.last != "" && v != w.last
	w.last = v
	return changed, nil
}

// len is the number of statements kept.
func (c *stmtCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
