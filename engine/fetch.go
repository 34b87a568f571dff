package engine

// Fetching a page of rows: the main statement, child rows inlined as
// aggregated JSON where the adapter can, or fetched by parent keys in
// batches.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlgen"
	"github.com/ccfacade/ccfacade/mapping"
)

// paramCol is the column a parameter's source compares, as the catalog
// has it (the zero col for an SQL expression).
func (e *Engine) paramCol(sp *mapping.SearchParam) col {
	if c, ok := e.updatedCol[sp]; ok {
		return c
	}
	c := e.cat.Param(sp)
	return col{Type: c.Type, Kind: c.Kind}
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
		var where []sqlgen.Pred
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
			where = append(where, sqlgen.Cond(c.Where))
		}
		var order []string
		for _, o := range c.Order {
			order = append(order, b.Col("c", o))
		}
		ic.expr = agg.AggregateRows(cols, b.Table(c.Table, "c"), b.Spell(sqlgen.AndAll(where)), order)
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
	var where []sqlgen.Pred
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
		where = append(where, b.In(b.Col("c", c.Link[0]), keys))
	} else {
		var ors []sqlgen.Pred
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
			ands := make([]sqlgen.Pred, len(c.Link))
			for i, l := range c.Link {
				ands[i] = sqlgen.Cmp(b.Col("c", l), "=", b.Arg(vals[i]))
			}
			ors = append(ors, sqlgen.Group(ands...))
		}
		where = append(where, sqlgen.AnyOf(ors...))
	}
	if c.Where != "" {
		where = append(where, sqlgen.Cond(c.Where))
	}
	sel.Where = b.SpellAll(where)
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
