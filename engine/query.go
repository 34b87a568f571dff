package engine

import (
	"strconv"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/mapping"
)

// sqlBuilder collects bound arguments and hands out their placeholders.
type sqlBuilder struct {
	d    adapters.Dialect
	args []any
}

func (b *sqlBuilder) arg(v any) string {
	if bd, ok := b.d.(adapters.Binder); ok {
		v = bd.Bind(v)
	}
	b.args = append(b.args, v)
	return b.d.Placeholder(len(b.args))
}

// timeArg is the argument for t compared with a column of type colType.
func (b *sqlBuilder) timeArg(t time.Time, colType string) any {
	if ct, ok := b.d.(adapters.ColumnTimer); ok && colType != "" {
		return ct.TimeArgFor(t, colType)
	}
	return b.d.TimeArg(t)
}

// fitArg converts a value taken from one column (a parent's key, a
// reference) for comparison with a column of type colType, where their
// types differ: a number with a text column is compared as its text; text
// with an integer column as its number, and text that is no number cannot
// equal any row (ok is false), which the database would otherwise refuse
// (PostgreSQL) or fail the statement on (SQL Server).
func fitArg(v any, colType string) (any, bool) {
	switch x := v.(type) {
	case int64:
		if mapping.IsTextType(colType) {
			return strconv.FormatInt(x, 10), true
		}
	case string:
		if mapping.IsIntegerType(colType) {
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			return n, err == nil
		}
	}
	return v, true
}

// columnArg is the argument for a value read from a column of type
// colType and compared with it again.
func (b *sqlBuilder) columnArg(v any, colType string) any {
	if cb, ok := b.d.(adapters.ColumnBinder); ok && colType != "" {
		return cb.BindFor(v, colType)
	}
	return v
}

// query is the main SELECT of a read or search over one mapping's source,
// aliased t0.
type query struct {
	m     *mapping.Mapping
	b     *sqlBuilder
	alias string // t0 for the main query; s1, s2, … for chained subqueries
	preds []string
	desc  bool      // walk the order backwards (a previous link)
	sorts []sortKey // _sort keys, before the key columns
	// access is the request's access, which chained subqueries are
	// restricted by (nil: none).
	access *Access
}

// ncols is the width of the select list: the mapping's columns, then a
// null flag and a value per sort key.
func (q *query) ncols() int { return len(q.m.Cols.Names) + 2*len(q.sorts) }

func (e *Engine) newQuery(m *mapping.Mapping) *query {
	return &query{m: m, b: &sqlBuilder{d: e.db}, alias: "t0"}
}

// sub starts a subquery over another mapping that shares the arguments.
func (q *query) sub(m *mapping.Mapping) *query {
	n := 1
	if strings.HasPrefix(q.alias, "s") {
		n, _ = strconv.Atoi(q.alias[1:])
		n++
	}
	return &query{m: m, b: q.b, alias: "s" + strconv.Itoa(n), access: q.access}
}

func (q *query) where(pred string) { q.preds = append(q.preds, pred) }

func (q *query) col(name string) string { return q.alias + "." + q.b.d.Quote(name) }

// keyArg converts a key value from an id or cursor into the argument bound
// against key column i.
func (q *query) keyArg(i int, v string) any {
	if i < len(q.m.From.KeyNumeric) && q.m.From.KeyNumeric[i] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	if q.m.From.KeyTime(i) {
		// A date-time key is written as keyText writes it: a wall clock,
		// or an instant with its offset. Bound as a time, not as text a
		// database might read in a language's date order.
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999"} {
			if t, err := time.Parse(layout, v); err == nil {
				return q.b.timeArg(t.UTC(), q.m.From.KeyTypes[i])
			}
		}
	}
	if i < len(q.m.From.KeyTypes) {
		return q.b.columnArg(v, q.m.From.KeyTypes[i])
	}
	return v
}

func (q *query) keyEquals(key []string) string {
	parts := make([]string, len(key))
	for i, k := range key {
		parts[i] = q.col(q.m.From.Key[i]) + " = " + q.b.arg(q.keyArg(i, k))
	}
	return "(" + strings.Join(parts, " AND ") + ")"
}

// keyBeyond is the keyset condition: rows after key in key order, or before
// it. Written without row-value syntax so every dialect accepts it.
func (q *query) keyBeyond(key []string, before bool) string {
	op := " > "
	if before {
		op = " < "
	}
	var ors []string
	for i := range key {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, q.col(q.m.From.Key[j])+" = "+q.b.arg(q.keyArg(j, key[j])))
		}
		ands = append(ands, q.col(q.m.From.Key[i])+op+q.b.arg(q.keyArg(i, key[i])))
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

func (q *query) source() string {
	if q.m.From.Query != "" {
		return "(" + q.m.From.Query + ") " + q.alias
	}
	return q.b.d.Quote(q.m.From.Table) + " " + q.alias
}

func (q *query) selectSQL(limit int) (string, []any) {
	var sb strings.Builder
	sb.WriteString("SELECT ")
	for i, c := range q.m.Cols.Names {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(q.col(c))
	}
	for _, k := range q.sorts {
		sb.WriteString(", " + nullFlag(k.expr) + ", " + k.expr)
	}
	sb.WriteString(" FROM ")
	sb.WriteString(q.source())
	if len(q.preds) > 0 {
		sb.WriteString(" WHERE ")
		sb.WriteString(strings.Join(q.preds, " AND "))
	}
	sb.WriteString(" ORDER BY ")
	dir := func(desc bool) string {
		if desc != q.desc {
			return " DESC"
		}
		return ""
	}
	// Each expression once: SQL Server refuses one repeated in ORDER BY
	// (a _sort key on the key column, say), and the first decides.
	var order []string
	inOrder := map[string]bool{}
	for _, k := range q.sorts {
		order = append(order, nullFlag(k.expr)+dir(false), k.expr+dir(k.desc))
		inOrder[k.expr] = true
	}
	for _, k := range q.m.From.Key {
		if c := q.col(k); !inOrder[c] {
			order = append(order, c+dir(false))
		}
	}
	sb.WriteString(strings.Join(order, ", "))
	sb.WriteString(" ")
	sb.WriteString(q.b.d.Limit(limit))
	return sb.String(), q.b.args
}
