package engine

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlgen"
	"github.com/ccfacade/ccfacade/catalog"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
)

// Options configure an Engine.
type Options struct {
	DefaultCount int // _count when none is given (default 50)
	MaxCount     int // the largest _count honoured (default 1000)
	// PagingSecret seals paging cursors. Instances behind one load balancer
	// must share it; when empty a random secret is made at start, so
	// cursors only work on the instance that issued them.
	PagingSecret []byte
	CursorTTL    time.Duration // how long a paging link stays valid (default 24h)
	// Now is the clock cursors are issued and checked by (default time.Now).
	Now func() time.Time
	// TreeOnly renders every resource as a value tree, never straight to
	// JSON (for tests that hold the one to the other).
	TreeOnly bool
	// Coverage, when set, counts which column values reach the resources
	// rendered (lint's check for silent loss).
	Coverage *mapping.Coverage
	Logger   *slog.Logger
	// Trace, when set, is called with every SQL statement and its arguments
	// before it runs (the preview command prints them). It may be called
	// from several goroutines at once unless Sequential is set.
	Trace func(sql string, args []any)
	// Sequential runs a request's statements one at a time, in a fixed
	// order ($everything otherwise runs a few sections at once): for
	// whoever watches the statements (preview, golden files).
	Sequential bool
	// StatementTimeout, when positive, bounds each statement: its context
	// is cancelled after this long, and the driver cancels the statement
	// on the server. Adapters whose database has a setting of its own
	// (PostgreSQL's statement_timeout) set that too.
	StatementTimeout time.Duration
	// OnStatement, when set, is told of every statement after it ran: how
	// long it took and whether it failed (for metrics).
	OnStatement func(ctx context.Context, took time.Duration, err error)
	// MaxIncluded bounds the resources _include and _revinclude add to one
	// page (default 1000); past it an OperationOutcome entry says so.
	MaxIncluded int
	// StatementCache is how many prepared statements the engine keeps, by
	// their text, where the adapter reuses statements
	// (adapters.StatementReuser): 0 is the default, 256; negative sends
	// every statement whole.
	StatementCache int
	// StatsCheck is how often the engine asks the database whether the
	// planner's statistics of the mapped tables have changed, where it
	// keeps statements prepared and the adapter can tell
	// (adapters.StatsWatcher): when they have (an ANALYZE, by hand or by
	// autovacuum), it prepares its statements afresh, so that none keeps
	// a plan made from the statistics before. 0 is the default, a minute;
	// negative never asks.
	StatsCheck time.Duration
}

// tracer makes a span of every SQL statement (a no-op until the program
// sets a tracer provider).
var tracer = otel.Tracer("github.com/ccfacade/ccfacade/engine")

// Engine serves reads and searches for a set of mappings over one adapter.
type Engine struct {
	set *mapping.Set
	cat *catalog.Catalog
	db  adapters.Adapter
	// updated is each mapping's _lastUpdated parameter (none without a
	// last-updated column), and updatedCol its column.
	updated    map[*mapping.Mapping]*mapping.SearchParam
	updatedCol map[*mapping.SearchParam]col
	inline     sync.Map    // inlineKey → []inlineChild
	stmts      *stmtCache  // nil: statements are sent whole
	stats      *statsWatch // nil: kept statements are never prepared afresh
	// ahead holds a token for each $everything section running ahead of
	// its request's own: a bounded share of the pool, engine-wide.
	ahead    chan struct{}
	colLists map[*mapping.Mapping][]string // each mapping's main query's select list
	opts     Options
	seal     *sealer
	log      *slog.Logger
	seen     problemCounts
}

// New makes an engine over a database whose catalog was loaded for the
// set (catalog.Load): the engine binds, casts and compares columns as the
// catalog says the database holds them.
func New(cat *catalog.Catalog, db adapters.Adapter, opts Options) (*Engine, error) {
	if cat == nil || cat.Set() == nil {
		return nil, errors.New("engine: no catalog (load one with catalog.Load)")
	}
	set := cat.Set()
	if opts.DefaultCount <= 0 {
		opts.DefaultCount = 50
	}
	if opts.MaxCount <= 0 {
		opts.MaxCount = 1000
	}
	if opts.DefaultCount > opts.MaxCount {
		opts.DefaultCount = opts.MaxCount
	}
	if opts.CursorTTL <= 0 {
		opts.CursorTTL = 24 * time.Hour
	}
	if opts.MaxIncluded <= 0 {
		opts.MaxIncluded = 1000
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s, err := newSealer(opts.PagingSecret, opts.CursorTTL)
	if err != nil {
		return nil, fmt.Errorf("paging: %w", err)
	}
	if opts.Now != nil {
		s.now = opts.Now
	}
	e := &Engine{set: set, cat: cat, db: db, opts: opts, seal: s, log: opts.Logger, updated: map[*mapping.Mapping]*mapping.SearchParam{}, updatedCol: map[*mapping.SearchParam]col{}}
	if opts.StatementCache == 0 {
		opts.StatementCache = 256
	}
	if r, ok := db.(adapters.StatementReuser); ok && r.ReusesStatements() && opts.StatementCache > 0 {
		e.stmts = newStmtCache(db.DB().DB, opts.StatementCache)
		// A prepared statement's plan may outlive the statistics it was
		// made from: PostgreSQL, once it settles on a generic plan, keeps
		// it until the statement is closed or a table's definition
		// changes, and ANALYZE changes neither. A database loaded and
		// never analysed would be served by plans made without
		// statistics for as long as the facade ran. Planning every run
		// afresh (plan_cache_mode=force_custom_plan) would cure that at
		// the price of a plan a statement, which for a statement with
		// aggregated child rows costs as much as running it; asking now
		// and then whether the statistics changed costs one small query
		// a minute.
		if w, ok := db.(adapters.StatsWatcher); ok && opts.StatsCheck >= 0 {
			every := opts.StatsCheck
			if every == 0 {
				every = time.Minute
			}
			e.stats = &statsWatch{w: w, tables: mappedTables(set), every: every}
		}
	}
	// A quarter of the pool may run $everything sections ahead; the rest
	// is left to requests' own statements.
	pool := db.DB().Stats().MaxOpenConnections
	if pool <= 0 {
		pool = 16
	}
	e.ahead = make(chan struct{}, max(pool/4, 1))
	e.colLists = map[*mapping.Mapping][]string{}
	for _, m := range set.Mappings {
		e.colLists[m] = selectList(sqlgen.New(db), m, "t0")
		if m.From.Updated != "" {
			sp := &mapping.SearchParam{Name: "_lastUpdated", Type: "date", Columns: []string{m.From.Updated}, DateGrain: 5, Col: -1}
			e.updated[m] = sp
			c := cat.Updated(m)
			e.updatedCol[sp] = col{Type: c.Type, Kind: c.Kind}
		}
	}
	return e, nil
}

// mappedTables are the tables the mappings read, each named once: their
// sources, joins and child rows, and the child rows of search parameters.
func mappedTables(set *mapping.Set) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if t != "" && !seen[strings.ToLower(t)] {
			seen[strings.ToLower(t)] = true
			out = append(out, t)
		}
	}
	for _, m := range set.Mappings {
		add(m.From.Table)
		for _, j := range m.From.Joins {
			add(j.Table)
		}
		for _, r := range m.Children {
			add(r.Table)
		}
		for _, sp := range m.Search {
			for _, src := range sp.Sources() {
				if src.Rows != nil {
					add(src.Rows.Table)
				}
			}
		}
	}
	return out
}

// Ping tells whether the database answers.
func (e *Engine) Ping(ctx context.Context) error {
	if err := e.db.DB().PingContext(ctx); err != nil {
		return dbError(ctx, err)
	}
	return nil
}

// Stats are the database pool's statistics.
func (e *Engine) Stats() sql.DBStats { return e.db.DB().Stats() }

// Set returns the engine's mappings.
func (e *Engine) Set() *mapping.Set { return e.set }

func (e *Engine) mappingFor(typ string) (*mapping.Mapping, error) {
	m := e.set.Lookup(typ)
	if m == nil {
		return nil, &Error{Kind: KindUnknownType, Msg: fmt.Sprintf("resource type %q is not served here", typ), SpineCode: "NO_RECORD_FOUND"}
	}
	return m, nil
}

// Read returns one resource by id.
func (e *Engine) Read(ctx context.Context, typ, id string) (*fhir.Object, error) {
	m, row, err := e.readRow(ctx, typ, id)
	if err != nil {
		return nil, err
	}
	res, problems := m.RenderWith(row, e.opts.Coverage)
	if err := e.served(m, id, problems); err != nil {
		return nil, err
	}
	return res, nil
}

// ReadJSON returns one resource by id rendered straight to compact JSON,
// for a response in JSON (Read gives the value tree).
func (e *Engine) ReadJSON(ctx context.Context, typ, id string) (fhir.Value, error) {
	if e.opts.TreeOnly {
		return e.Read(ctx, typ, id)
	}
	m, row, err := e.readRow(ctx, typ, id)
	if err != nil {
		return nil, err
	}
	res, problems := m.RenderJSON(row, e.opts.Coverage)
	if err := e.served(m, id, problems); err != nil {
		return nil, err
	}
	return res, nil
}

// served reports a read's render problems, and the error of a fatal one.
func (e *Engine) served(m *mapping.Mapping, id string, problems []mapping.Problem) error {
	if fatal := e.report(m, id, problems); fatal != nil {
		return &Error{Kind: KindUnprocessable, SpineCode: "INTERNAL_SERVER_ERROR",
			Msg: fmt.Sprintf("%s/%s cannot be served: %s: %s", m.Resource, id, fatal.Path, fatal.Msg)}
	}
	return nil
}

// readRow finds the row of a read, under the request's access.
func (e *Engine) readRow(ctx context.Context, typ, id string) (*mapping.Mapping, *mapping.Row, error) {
	m, err := e.mappingFor(typ)
	if err != nil {
		return nil, nil, err
	}
	notFound := &Error{Kind: KindNotFound, SpineCode: "NO_RECORD_FOUND", Msg: fmt.Sprintf("%s/%s is not known", typ, id)}
	if !fhir.IsValidID(id) {
		return nil, nil, notFound
	}
	key, err := mapping.DecodeID(id, len(m.From.Key))
	if err != nil || !e.keyFits(m, key) {
		return nil, nil, notFound
	}
	if err := typesAllowed(ctx, []string{typ}); err != nil {
		return nil, nil, err
	}
	q := e.newQuery(m)
	q.where(q.keyEquals(key))
	if err := e.restrict(ctx, q); err != nil {
		return nil, nil, err
	}
	rows, err := e.fetch(ctx, m, q, 1)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		if denied, err := e.deniedRead(ctx, m, key); err != nil {
			return nil, nil, err
		} else if denied {
			return nil, nil, errDenied
		}
		return nil, nil, notFound
	}
	return m, rows[0], nil
}

// report logs render problems with the row's id and the mapping position,
// and returns the first fatal one.
func (e *Engine) report(m *mapping.Mapping, id string, problems []mapping.Problem) *mapping.Problem {
	var fatal *mapping.Problem
	for i, p := range problems {
		// The same problem (a code no map knows, say) recurs on every
		// render of every row that holds it: logged the first time, then
		// at the 10th, 100th, … with its count.
		if n := e.seen.add(m.Resource + "\x00" + p.Pos.String() + "\x00" + p.Msg); isPow10(n) {
			e.log.Warn("source value not rendered", "resource", m.Resource, "id", id, "at", p.Pos.String(), "path", p.Path, "problem", p.Msg, "fatal", p.Fatal, "times", n)
		}
		if p.Fatal && fatal == nil {
			fatal = &problems[i]
		}
	}
	return fatal
}

// problemCounts counts the render problems seen, by kind, to log each
// once and then now and again; at most maxKinds kinds are told apart.
type problemCounts struct {
	mu     sync.Mutex
	counts map[string]int64
}

const maxKinds = 10000

func (c *problemCounts) add(kind string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[string]int64{}
	}
	if _, ok := c.counts[kind]; !ok && len(c.counts) >= maxKinds {
		kind = "(others)"
	}
	c.counts[kind]++
	return c.counts[kind]
}

func isPow10(n int64) bool {
	for n >= 10 && n%10 == 0 {
		n /= 10
	}
	return n == 1
}

// keyFits reports whether decoded key values can match the key columns
// (a non-integer for a numeric column cannot).
func (e *Engine) keyFits(m *mapping.Mapping, key []string) bool {
	for i, col := range e.cat.Key(m) {
		if i < len(key) && col.Kind.Numeric() && !isInt(key[i]) {
			return false
		}
	}
	return true
}

// paramCol is the column a parameter's source compares, as the catalog
// has it (the zero col for an SQL expression).
func (e *Engine) paramCol(sp *mapping.SearchParam) col {
	if c, ok := e.updatedCol[sp]; ok {
		return c
	}
	c := e.cat.Param(sp)
	return col{Type: c.Type, Kind: c.Kind}
}

// isInt reports whether s is an integer in canonical form, so that the id
// made from the row it finds is s itself ("007" is not the id of row 7).
func isInt(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && strconv.FormatInt(n, 10) == s
}

// fetch runs the main query and the child queries for the rows it returns:
// the child collections the dialect can aggregate come back inside the
// main statement, the others in one batched statement each.
func (e *Engine) fetch(ctx context.Context, m *mapping.Mapping, q *query, limit int) ([]*mapping.Row, error) {
	inline := e.inlineChildren(q)
	for _, ic := range inline {
		q.extra = append(q.extra, ic.expr)
	}
	sqlText, args := q.selectSQL(limit)
	vals, err := e.queryRows(ctx, sqlText, args, q.ncols(), stmtSource{m.From.Pos, m.Resource})
	q.extra = q.extra[:len(q.extra)-len(inline)]
	if err != nil {
		return nil, err
	}
	base := q.ncols()
	rows := make([]*mapping.Row, len(vals))
	for i, v := range vals {
		r := &mapping.Row{Vals: v[:base:base], Children: make([][][]any, len(m.Children))}
		for j, ic := range inline {
			got, err := e.db.(adapters.ChildAggregator).ReadRows(v[base+j], ic.types)
			if err != nil {
				return nil, &Error{Kind: KindUnavailable, Msg: "the database's answer could not be read", Cause: fmt.Errorf("%s %s: %w", ic.c.Pos, ic.c.Path, err)}
			}
			for _, cr := range got {
				for k, x := range cr {
					if t, ok := x.(time.Time); ok {
						cr[k] = e.timeValue(t, ic.kinds[k])
					}
				}
			}
			r.Children[ic.c.Index] = got
		}
		rows[i] = r
	}
	if len(rows) == 0 {
		return rows, nil
	}
	done := map[*mapping.Rows]bool{}
	for _, ic := range inline {
		done[ic.c] = true
	}
	for _, c := range m.Children {
		if done[c] {
			continue
		}
		if err := e.fetchChildren(ctx, m, c, rows); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// inlineChild is a child collection aggregated into its parent's
// statement: the select-list expression, and the types and time kinds of
// its columns.
type inlineChild struct {
	c     *mapping.Rows
	expr  string
	types []string
	kinds []int
}

// inlineChildren are the child collections of q's mapping that the dialect
// can return inside q's statement: every column of a kind it carries, and
// each link column comparable with its parent column (the same kind, or
// text and an integer, compared as text).
func (e *Engine) inlineChildren(q *query) []inlineChild {
	key := inlineKey{q.m, q.alias}
	if v, ok := e.inline.Load(key); ok {
		return v.([]inlineChild)
	}
	out := e.planInline(q)
	e.inline.Store(key, out)
	return out
}

// inlineKey names the inline children of a mapping's statement under an
// alias (they depend on nothing else).
type inlineKey struct {
	m     *mapping.Mapping
	alias string
}

func (e *Engine) planInline(q *query) []inlineChild {
	agg, ok := e.db.(adapters.ChildAggregator)
	if !ok {
		return nil
	}
	m, b := q.m, q.b
	var out []inlineChild
	for _, c := range m.Children {
		ic := inlineChild{c: c}
		var cols []string
		for _, name := range c.Cols.Names {
			col := e.cat.Column(nil, c, name)
			ic.types = append(ic.types, col.Type)
			cols = append(cols, b.Col("c", name))
		}
		if !agg.Aggregates(ic.types) {
			continue
		}
		ic.kinds = e.timeKinds(ic.types)
		links := e.cat.Links(c)
		var where []string
		comparable := true
		for i, l := range c.Link {
			child, parent := b.Col("c", l), q.col(c.ParentName[i])
			lk, pk := links[i].Kind, e.cat.Column(m, nil, c.ParentName[i]).Kind
			switch {
			case lk == pk && lk != adapters.KindOther, lk.Numeric() && pk.Numeric():
			case lk == adapters.KindText && pk == adapters.KindInteger:
				// As the batched statement binds the parent's number: its digits.
				parent = b.CastText(parent, pk)
			default:
				comparable = false
			}
			where = append(where, sqlgen.Cmp(child, "=", parent))
		}
		if !comparable {
			continue
		}
		if c.Where != "" {
			where = append(where, sqlgen.Expr(c.Where))
		}
		var order []string
		for _, o := range c.Order {
			order = append(order, b.Col("c", o))
		}
		ic.expr = agg.AggregateRows(cols, b.Table(c.Table, "c"), sqlgen.AndAll(where), order)
		out = append(out, ic)
	}
	return out
}

// keysPerStatement bounds the keys the engine binds in one statement of its
// own making (children of a page, included resources): well under SQL
// Server's 2100 parameters, and short enough to plan quickly everywhere.
const keysPerStatement = 1000

// fetchChildren loads one child collection for a page of parents in one
// query (one per keysPerStatement parents) and hands each parent its rows.
func (e *Engine) fetchChildren(ctx context.Context, m *mapping.Mapping, c *mapping.Rows, parents []*mapping.Row) error {
	if per := keysPerStatement / max(1, len(c.Link)); len(parents) > per {
		for len(parents) > 0 {
			n := min(per, len(parents))
			if err := e.fetchChildren(ctx, m, c, parents[:n]); err != nil {
				return err
			}
			parents = parents[n:]
		}
		return nil
	}
	b := sqlgen.New(e.db)
	sel := sqlgen.Select{From: b.Table(c.Table, "c")}
	for _, name := range c.Cols.Names {
		sel.Cols = append(sel.Cols, b.Col("c", name))
	}
	links := e.cat.Links(c)
	seen := map[string]bool{}
	if len(c.Link) == 1 {
		var keys []any
		for _, p := range parents {
			v, ok := fitArg(p.Vals[c.ParentCols[0]], links[0].Kind)
			k := keyString([]any{v})
			if v == nil || !ok || seen[k] {
				continue
			}
			seen[k] = true
			keys = append(keys, v)
		}
		if len(keys) == 0 {
			return nil
		}
		sel.Where = append(sel.Where, b.In(b.Col("c", c.Link[0]), keys))
	} else {
		var ors []string
		for _, p := range parents {
			vals := make([]any, len(c.Link))
			for i := range c.Link {
				vals[i] = p.Vals[c.ParentCols[i]]
			}
			k := keyString(vals)
			if seen[k] {
				continue
			}
			seen[k] = true
			ands := make([]string, len(c.Link))
			for i, l := range c.Link {
				ands[i] = sqlgen.Cmp(b.Col("c", l), "=", b.Arg(vals[i]))
			}
			ors = append(ors, sqlgen.Group(ands...))
		}
		sel.Where = append(sel.Where, sqlgen.AnyOf(ors...))
	}
	if c.Where != "" {
		sel.Where = append(sel.Where, sqlgen.Expr(c.Where))
	}
	for _, o := range append(append([]string{}, c.Link...), c.Order...) {
		sel.Order = append(sel.Order, sqlgen.Order{Expr: b.Col("c", o)})
	}
	sqlText := b.Select(sel)
	vals, err := e.queryRows(ctx, sqlText, b.Args(), len(c.Cols.Names), stmtSource{c.Pos, c.Path})
	if err != nil {
		return err
	}
	byParent := map[string][][]any{}
	for _, v := range vals {
		k := keyString(v[:len(c.Link)])
		byParent[k] = append(byParent[k], v)
	}
	for _, p := range parents {
		vals := make([]any, len(c.Link))
		for i := range c.Link {
			vals[i] = p.Vals[c.ParentCols[i]]
		}
		p.Children[c.Index] = byParent[keyString(vals)]
	}
	return nil
}

func keyString(vals []any) string {
	var sb strings.Builder
	for i, v := range vals {
		if i > 0 {
			sb.WriteByte(0)
		}
		fmt.Fprint(&sb, v)
	}
	return sb.String()
}

// stmtSource names the mapping a statement comes from, for its trace span:
// where it is written and what it reads. It is made into text only when
// the span is recorded.
type stmtSource struct {
	pos  mapping.Pos
	what string
}

// queryRows runs one statement and returns its rows, normalised.
func (e *Engine) queryRows(ctx context.Context, sqlText string, args []any, ncols int, src stmtSource) (_ [][]any, err error) {
	ctx, span := tracer.Start(ctx, "sql", trace.WithSpanKind(trace.SpanKindClient))
	if span.IsRecording() {
		span.SetAttributes(attribute.String("db.system", e.db.Name()), attribute.String("db.statement", sqlText),
			attribute.String("ccfacade.mapping", src.pos.String()+" "+src.what))
	}
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "the statement failed")
		}
		span.End()
	}()
	if e.opts.Trace != nil {
		e.opts.Trace(sqlText, args)
	}
	if pl, ok := e.db.(adapters.ParamLimiter); ok && len(args) > pl.MaxParams() {
		return nil, &Error{Kind: KindInvalid, SpineCode: "INVALID_PARAMETER",
			Msg: fmt.Sprintf("the request needs %d values in one statement, and the database takes at most %d: ask for fewer", len(args), pl.MaxParams())}
	}
	if e.opts.StatementTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.opts.StatementTimeout)
		defer cancel()
	}
	if e.stats != nil {
		changed, serr := e.stats.changed(ctx, time.Now())
		if serr != nil {
			e.log.Warn("cannot tell whether the planner's statistics changed", "err", serr)
		}
		if changed {
			e.log.Info("the planner's statistics of the mapped tables changed: statements will be prepared afresh")
			e.stmts.reset()
		}
	}
	if e.opts.OnStatement != nil {
		start := time.Now()
		defer func() { e.opts.OnStatement(ctx, time.Since(start), err) }()
	}
	var rs *sql.Rows
	var cs *cachedStmt
	if e.stmts != nil {
		rs, cs, err = e.stmts.query(ctx, sqlText, args)
	} else {
		rs, err = e.db.DB().QueryContext(ctx, sqlText, args...)
	}
	if err != nil {
		return nil, dbError(ctx, err)
	}
	defer rs.Close()
	var rc *resultCols
	if cs != nil {
		rc = cs.cols.Load()
	}
	if rc == nil {
		types := typeNames(rs)
		rc = &resultCols{types, e.timeKinds(types)}
		if cs != nil && types != nil {
			cs.cols.Store(rc)
		}
	}
	types, kinds := rc.types, rc.kinds
	// One scanner a column, reused from row to row: each normalises its
	// value as the driver hands it over, so text becomes a string once,
	// without the copy a scan into an interface makes first.
	cells := make([]cellScanner, ncols)
	ptrs := make([]any, ncols)
	for i := range cells {
		cells[i].e = e
		if i < len(types) {
			cells[i].typ, cells[i].kind = types[i], kinds[i]
		}
		ptrs[i] = &cells[i]
	}
	var out [][]any
	var slab []any // rows are cut from it, a few at a time
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return nil, dbError(ctx, err)
		}
		if len(slab) < ncols {
			n := 8
			if len(out) >= 8 {
				n = min(len(out), 64)
			}
			slab = make([]any, n*ncols)
		}
		row := slab[:ncols:ncols]
		slab = slab[ncols:]
		for i := range cells {
			row[i] = cells[i].v
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		return nil, dbError(ctx, err)
	}
	return out, nil
}

// cellScanner takes one column's value from the driver.
type cellScanner struct {
	e    *Engine
	typ  string // the column's database type, upper case, or ""
	kind int    // its time kind
	v    any
}

func (c *cellScanner) Scan(src any) error {
	v := c.e.db.Normalize(src, c.typ)
	switch t := v.(type) {
	case []byte: // the driver's buffer is reused by the next row
		v = bytes.Clone(t)
	case time.Time:
		v = c.e.timeValue(t, c.kind)
	}
	c.v = v
	return nil
}

func dbError(ctx context.Context, err error) error {
	msg := "the database could not answer"
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		msg = "the database did not answer in time"
	}
	return &Error{Kind: KindUnavailable, Msg: msg, Cause: err}
}

// Kinds of time columns, from the database's column types.
const (
	timeOther = iota // not a time column, or unknown
	timeDate         // a date without a time
	timeNaive        // a date-time without a zone: a wall clock in the configured zone
	timeZoned        // a date-time with a zone: an instant
)

// typeNames are the database type names of the result's columns, upper
// case, or nil when the driver does not say.
func typeNames(rs *sql.Rows) []string {
	cts, err := rs.ColumnTypes()
	if err != nil {
		return nil
	}
	out := make([]string, len(cts))
	for i, ct := range cts {
		out[i] = strings.ToUpper(ct.DatabaseTypeName())
	}
	return out
}

// timeKinds classifies a result's columns, through the adapter.
func (e *Engine) timeKinds(types []string) []int {
	kinds := make([]int, len(types))
	for i, t := range types {
		switch e.db.Kind(t) {
		case adapters.KindDate:
			kinds[i] = timeDate
		case adapters.KindTimestampTZ:
			kinds[i] = timeZoned
		case adapters.KindTimestamp:
			kinds[i] = timeNaive
		}
	}
	return kinds
}

// timeValue gives a time read from the database the form rendering and
// paging expect: a date as its text (YYYY-MM-DD, valid for date and
// dateTime and comparable with the column); a wall clock as a time in UTC
// whose fields are the wall clock (read later in the configured zone); an
// instant in the configured zone.
func (e *Engine) timeValue(t time.Time, kind int) any {
	switch kind {
	case timeDate:
		return t.Format("2006-01-02")
	case timeNaive:
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	case timeZoned:
		if e.set.Location == time.UTC {
			return t.UTC()
		}
		return t.In(e.set.Location)
	}
	return t
}

// Catalog returns the catalog the engine was built with.
func (e *Engine) Catalog() *catalog.Catalog { return e.cat }
