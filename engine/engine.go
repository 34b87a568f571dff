package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlgen"
	"github.com/ccfacade/ccfacade/catalog"
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
	// OnAbsent, when set, is told of every resource served without an
	// element its release requires (min 1; STU3, or R4 in an R4 view): its type and the element's path
	// (Observation.code), both from the mapping set (for metrics).
	OnAbsent func(resource, element string)
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

// Engine serves reads and searches for a set of mappings over one adapter,
// in one FHIR release: STU3, or R4 for the view In(mapping.R4) makes.
type Engine struct {
	*core
	// ver is the release the engine answers in: the mappings' plans it
	// renders through, the parameter names it takes, the element tables
	// of _elements and _summary.
	ver mapping.Version
}

// core is what the releases' engines share: the database, the catalog,
// the statements, the paging secret.
type core struct {
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
	// members are the parameters by which each mapping's resources
	// belong to compartments (compartment.go).
	members map[compartmentOf][]*mapping.SearchParam
	opts    Options
	seal    *sealer
	log     *slog.Logger
	seen    problemCounts
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
	e := &Engine{core: &core{set: set, cat: cat, db: db, opts: opts, seal: s, log: opts.Logger, updated: map[*mapping.Mapping]*mapping.SearchParam{}, updatedCol: map[*mapping.SearchParam]col{}}}
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
	e.members = compartmentMembers(set)
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
	ms, err := e.mappingsFor(typ)
	if err != nil {
		return nil, err
	}
	if len(ms) > 1 {
		return nil, &Error{Kind: KindUnknownType, Msg: fmt.Sprintf("%s gathers the resources of %d mappings, which this request cannot span", typ, len(ms)), SpineCode: "BAD_REQUEST"}
	}
	return ms[0], nil
}

// mappingsFor are the mappings served as a type in the engine's release:
// one, or several that keep their ids apart by their id-prefix (on R4,
// ServiceRequest from ReferralRequest and ProcedureRequest).
func (e *Engine) mappingsFor(typ string) ([]*mapping.Mapping, error) {
	if ms := e.set.LookupIn(e.ver, typ); len(ms) > 0 {
		return ms, nil
	}
	msg := fmt.Sprintf("resource type %q is not served here", typ)
	if other := e.set.Lookup(typ); other != nil {
		if as := other.ResourceIn(e.ver); as != typ && other.Serves(e.ver) {
			msg = fmt.Sprintf("resource type %q is not served as %s here: %s has no type %s; its resources are served as %s", typ, e.ver, e.ver, typ, as)
		} else {
			msg = fmt.Sprintf("resource type %q is not served as %s here (its mapping cannot be: %s)", typ, e.ver, mapping.Errors(other.R4Problems()).Error())
		}
	}
	return nil, &Error{Kind: KindUnknownType, Msg: msg, SpineCode: "NO_RECORD_FOUND"}
}

// memberFor is the mapping of a type whose ids the id is of (its
// prefix), or nil.
func memberFor(ms []*mapping.Mapping, id string) (*mapping.Mapping, []string) {
	for _, m := range ms {
		if key, err := m.KeyOf(id); err == nil {
			return m, key
		}
	}
	return nil, nil
}

// In is the engine that answers in a release: e itself, or a view of it
// that shares everything (database, catalog, statements, paging secret,
// counts of problems) but renders through the mappings' plans of that
// release, takes that release's search parameter names and system URIs,
// and serves only the mappings served in it.
func (e *Engine) In(v mapping.Version) *Engine {
	if v == e.ver {
		return e
	}
	return &Engine{core: e.core, ver: v}
}

// Version is the release the engine answers in.
func (e *Engine) Version() mapping.Version { return e.ver }

// lookup is the mapping that serves a type in the engine's release, or
// nil.
func (e *Engine) lookup(typ string) *mapping.Mapping {
	if ms := e.set.LookupIn(e.ver, typ); len(ms) == 1 {
		return ms[0]
	}
	return nil
}

// Mappings are the mappings served in the engine's release.
func (e *Engine) Mappings() []*mapping.Mapping {
	var out []*mapping.Mapping
	for _, m := range e.set.Mappings {
		if m.Serves(e.ver) {
			out = append(out, m)
		}
	}
	return out
}

// param is a mapping's search parameter by its name in the engine's
// release.
func (e *Engine) param(m *mapping.Mapping, name string) *mapping.SearchParam {
	return m.SearchParamIn(e.ver, name)
}

// paramName is a parameter's name in the engine's release.
func (e *Engine) paramName(m *mapping.Mapping, sp *mapping.SearchParam) string {
	if n := m.ParamNameIn(e.ver, sp); n != "" {
		return n
	}
	return sp.Name
}

// Catalog returns the catalog the engine was built with.
func (e *Engine) Catalog() *catalog.Catalog { return e.cat }

// typ is the type a mapping's resources have in the engine's release
// (on R4, ServiceRequest for a ReferralRequest mapping).
func (e *Engine) typ(m *mapping.Mapping) string { return m.ResourceIn(e.ver) }
