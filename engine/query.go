package engine

import (
	"strconv"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlgen"
	"github.com/ccfacade/ccfacade/catalog"
	"github.com/ccfacade/ccfacade/mapping"
)

// fitArg converts a value taken from one column (a parent's key, a
// reference) for comparison with a column of kind k, where their kinds
// differ: a number with a text column is compared as its text; text with
// an integer column as its number, and text that is no number cannot equal
// any row (ok is false), which the database would otherwise refuse
// (PostgreSQL) or fail the statement on (SQL Server).
func fitArg(v any, k adapters.Kind) (any, bool) {
	switch x := v.(type) {
	case int64:
		if k == adapters.KindText {
			return strconv.FormatInt(x, 10), true
		}
	case string:
		if k == adapters.KindInteger {
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			return n, err == nil
		}
	}
	return v, true
}

// query is the main SELECT of a read or search over one mapping's source,
// aliased t0.
type query struct {
	m     *mapping.Mapping
	key   []catalog.Column // the key columns, as the database has them
	b     *sqlgen.Builder
	alias string // t0 for the main query; s1, s2, … for chained subqueries
	preds []sqlgen.Pred
	desc  bool      // walk the order backwards (a previous link)
	sorts []sortKey // _sort keys, before the key columns
	// extra are select-list expressions after the sort keys: child
	// collections aggregated into the statement (see inlineChildren).
	extra []string
	// access is the request's access, which chained subqueries are
	// restricted by (nil: none).
	access *Access
	cat    *catalog.Catalog
	// cols is the select list of the mapping's columns under the alias,
	// when made already (the main query's, kept by the engine).
	cols []string
}

// ncols is the width of the select list: the mapping's columns, then a
// null flag and a value per sort key, then the extra expressions.
func (q *query) ncols() int { return len(q.m.Cols.Names) + 2*len(q.sorts) + len(q.extra) }

func (e *Engine) newQuery(m *mapping.Mapping) *query {
	return &query{m: m, key: e.cat.Key(m), b: sqlgen.New(e.db), alias: "t0", cat: e.cat, cols: e.mainCols(m)}
}

// mainCols is a mapping's columns as the main query selects them (under
// t0), made when the engine is (nil for a mapping it was not made with).
func (e *Engine) mainCols(m *mapping.Mapping) []string { return e.colLists[m] }

// selectList is a mapping's columns under alias.
func selectList(b *sqlgen.Builder, m *mapping.Mapping, alias string) []string {
	cols := make([]string, len(m.Cols.Names))
	for i, c := range m.Cols.Names {
		cols[i] = b.Col(alias, c)
	}
	return cols
}

// sub starts a subquery over another mapping that shares the arguments.
func (e *Engine) sub(q *query, m *mapping.Mapping) *query {
	n := 1
	if strings.HasPrefix(q.alias, "s") {
		n, _ = strconv.Atoi(q.alias[1:])
		n++
	}
	return &query{m: m, key: e.cat.Key(m), b: q.b, alias: "s" + strconv.Itoa(n), access: q.access, cat: e.cat}
}

func (q *query) where(pred sqlgen.Pred) { q.preds = append(q.preds, pred) }

// conds are the query's conditions as SQL, for its statement to AND.
func (q *query) conds() []string { return q.b.SpellAll(q.preds) }

func (q *query) col(name string) string { return q.b.Col(q.alias, name) }

// keyArg converts a key value from an id or cursor into the argument bound
// against key column i.
func (q *query) keyArg(i int, v string) any {
	col := q.key[i]
	if col.Kind.Numeric() {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	if col.Kind.DateTime() {
		// A date-time key is written as keyText writes it: a wall clock,
		// or an instant with its offset. Bound as a time, not as text a
		// database might read in a language's date order.
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999"} {
			if t, err := time.Parse(layout, v); err == nil {
				return q.b.TimeArg(t.UTC(), col.Type)
			}
		}
	}
	return q.b.ColumnArg(v, col.Type)
}

func (q *query) keyEquals(key []string) sqlgen.Pred {
	parts := make([]sqlgen.Pred, len(key))
	for i, k := range key {
		parts[i] = sqlgen.Cmp(q.col(q.m.From.Key[i]), "=", q.b.Arg(q.keyArg(i, k)))
	}
	return sqlgen.Group(parts...)
}

// keyBeyond is the keyset condition: rows after key in key order, or before
// it.
func (q *query) keyBeyond(key []string, before bool) sqlgen.Pred {
	op := ">"
	if before {
		op = "<"
	}
	eq := make([]sqlgen.Pred, len(key))
	gt := make([]sqlgen.Pred, len(key))
	for i := range key {
		c, ph := q.col(q.m.From.Key[i]), q.b.Arg(q.keyArg(i, key[i]))
		eq[i], gt[i] = sqlgen.Cmp(c, "=", ph), sqlgen.Cmp(c, op, ph)
	}
	return sqlgen.Beyond(eq, gt)
}

func (q *query) source() string { return q.cat.From(q.m, q.b, q.alias) }

func (q *query) selectSQL(limit int) (string, []any) {
	s := sqlgen.Select{From: q.source(), Where: q.conds(), Limit: limit}
	s.Cols = make([]string, 0, q.ncols())
	if q.cols != nil {
		s.Cols = append(s.Cols, q.cols...)
	} else {
		s.Cols = append(s.Cols, selectList(q.b, q.m, q.alias)...)
	}
	for _, k := range q.sorts {
		s.Cols = append(s.Cols, sqlgen.NullFlag(k.expr), k.expr)
	}
	s.Cols = append(s.Cols, q.extra...)
	// Each expression once: SQL Server refuses one repeated in ORDER BY
	// (a _sort key on the key column, say), and the first decides.
	inOrder := map[string]bool{}
	for _, k := range q.sorts {
		s.Order = append(s.Order, sqlgen.Order{Expr: sqlgen.NullFlag(k.expr), Desc: q.desc}, sqlgen.Order{Expr: k.expr, Desc: k.desc != q.desc})
		inOrder[k.expr] = true
	}
	for _, k := range q.m.From.Key {
		if c := q.col(k); !inOrder[c] {
			s.Order = append(s.Order, sqlgen.Order{Expr: c, Desc: q.desc})
		}
	}
	return q.b.Select(s), q.b.Args()
}
