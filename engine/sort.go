package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/adapters/sqlgen"
	"github.com/ccfacade/ccfacade/mapping"
)

// sortKey is one _sort key: an SQL expression and its direction. NULLs sort
// last in both directions, through a flag column, the same in every
// database.
type sortKey struct {
	expr    string
	desc    bool
	colType string // the database type of the column, "" for an expression
}

// sortVal is a sort key's value in a paging cursor.
type sortVal struct {
	Null bool   `json:"n,omitempty"`
	Kind string `json:"t,omitempty"` // s string, i integer, f float, d time
	V    string `json:"v,omitempty"`
}

// parseSort reads _sort=a,-b: keys over the mapping's parameters, _id,
// _lastUpdated, or a parameter on one column or SQL expression of the main
// table.
func (e *Engine) parseSort(m *mapping.Mapping, v string) ([]sortItem, error) {
	var items []sortItem
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		desc := strings.HasPrefix(name, "-")
		name = strings.TrimPrefix(name, "-")
		switch name {
		case "":
			return nil, invalid("_sort", "INVALID_PARAMETER", "_sort has an empty key")
		case "_id":
			if len(m.From.Key) != 1 {
				return nil, notSupported("_sort", "_sort=_id: %s has a composite key", e.typ(m))
			}
		case "_lastUpdated":
			if m.From.Updated == "" {
				return nil, notSupported("_sort", "_sort=_lastUpdated: %s has no last-updated column", e.typ(m))
			}
		default:
			if _, err := e.sortSource(m, name); err != nil {
				return nil, err
			}
		}
		items = append(items, sortItem{name: name, desc: desc})
	}
	return items, nil
}

// sortSource is the source a parameter sorts by: the parameter itself, or
// for one derived from several places, the first on the resource's row.
func (e *Engine) sortSource(m *mapping.Mapping, name string) (*mapping.SearchParam, error) {
	sp := e.param(m, name)
	if sp != nil && sameForEveryRow(sp) {
		return sp, nil
	}
	if sp != nil && len(sp.Branches) > 0 {
		var first *mapping.SearchParam
		for _, b := range sp.Branches {
			if b.Rows == nil && len(b.Columns) == 1 && b.Constant == nil && !b.PresenceOnly && len(b.Conds) == 0 {
				first = b
				break
			}
		}
		if first == nil {
			return nil, notSupported("_sort", "_sort=%s: the parameter follows no single value of the resource's row, so it cannot sort", name)
		}
		sp = first
	}
	switch {
	case sp == nil:
		return nil, notSupported("_sort", "_sort: unknown parameter %q for %s (sortable: _id, _lastUpdated and parameters on one column)", name, e.typ(m))
	case sp.Rows != nil || (sp.SQL == "" && len(sp.Columns) != 1):
		return nil, notSupported("_sort", "_sort=%s: the parameter is not bound to one value of the resource's row, so it cannot sort", name)
	}
	return sp, nil
}

// sameForEveryRow tells whether a parameter is one fixed value that every
// row shows (a status every row of a table has): it orders nothing.
func sameForEveryRow(sp *mapping.SearchParam) bool {
	srcs := sp.Sources()
	for _, b := range srcs {
		if b.Constant == nil || len(b.Conds) > 0 || *b.Constant != *srcs[0].Constant {
			return false
		}
	}
	return true
}

// sortKeys compiles the _sort keys into expressions of the query.
func (e *Engine) sortKeys(q *query, items []sortItem) ([]sortKey, error) {
	m := q.m
	var keys []sortKey
	seen := map[string]bool{}
	for _, it := range items {
		var expr, colType string
		switch it.name {
		case "_id":
			expr = q.col(m.From.Key[0])
		case "_lastUpdated":
			expr, colType = q.col(m.From.Updated), e.cat.Updated(m).Type
		default:
			sp, err := e.sortSource(m, it.name)
			if err != nil {
				return nil, err
			}
			if sameForEveryRow(sp) {
				continue // the same for every row: it orders nothing
			}
			switch {
			case sp.SQL != "" && isConstant(sp.SQL):
				continue // the same for every row: it orders nothing
			case sp.SQL != "":
				expr = sqlgen.Expr(sp.SQL)
			default:
				c, err := e.source(q, sp, "_sort")
				if err != nil {
					return nil, err
				}
				expr, colType = c.exprs[0], c.col.Type
			}
		}
		if seen[expr] {
			continue // a key given twice orders by its first direction
		}
		seen[expr] = true
		keys = append(keys, sortKey{expr: expr, desc: it.desc, colType: colType})
	}
	return keys, nil
}

// sortValOf turns a scanned sort value into its cursor form.
func sortValOf(v any) sortVal {
	switch t := v.(type) {
	case nil:
		return sortVal{Null: true}
	case int64:
		return sortVal{Kind: "i", V: strconv.FormatInt(t, 10)}
	case float64:
		return sortVal{Kind: "f", V: strconv.FormatFloat(t, 'g', -1, 64)}
	case time.Time:
		return sortVal{Kind: "d", V: t.Format(time.RFC3339Nano)}
	case bool:
		if t {
			return sortVal{Kind: "i", V: "1"}
		}
		return sortVal{Kind: "i", V: "0"}
	}
	return sortVal{Kind: "s", V: fmt.Sprint(v)}
}

// arg turns a cursor sort value back into the argument to bind.
func (q *query) sortArg(s sortVal, colType string) (any, error) {
	switch s.Kind {
	case "i":
		return strconv.ParseInt(s.V, 10, 64)
	case "f":
		return strconv.ParseFloat(s.V, 64)
	case "d":
		t, err := time.Parse(time.RFC3339Nano, s.V)
		if err != nil {
			return nil, err
		}
		// A wall clock (a column without a zone) was kept as a time in UTC
		// whose fields are the wall clock; an instant is the same instant
		// in UTC. Either way its UTC fields are what the column compares.
		return q.b.TimeArg(t.UTC(), colType), nil
	}
	return q.b.ColumnArg(s.V, colType), nil
}

// sortedBeyond is the keyset condition under _sort: rows after (or before)
// the cursor's position in the order (flag1, v1, flag2, v2, …, key…).
func (q *query) sortedBeyond(vals []sortVal, key []string, before bool) (sqlgen.Pred, error) {
	cmp := func(desc bool) string {
		if desc != before {
			return "<"
		}
		return ">"
	}
	var eq, gt []sqlgen.Pred
	for i, k := range q.sorts {
		s := vals[i]
		flag := sqlgen.NullFlag(k.expr)
		fv := "0"
		if s.Null {
			fv = "1"
		}
		eq, gt = append(eq, sqlgen.Cmp(flag, "=", fv)), append(gt, sqlgen.Cmp(flag, cmp(false), fv))
		if s.Null {
			continue // every NULL ties: the flag decides
		}
		a, err := q.sortArg(s, k.colType)
		if err != nil {
			return nil, errBadCursor
		}
		ph := q.b.Arg(a)
		eq, gt = append(eq, sqlgen.Cmp(k.expr, "=", ph)), append(gt, sqlgen.Cmp(k.expr, cmp(k.desc), ph))
	}
	for i, k := range key {
		ph := q.b.Arg(q.keyArg(i, k))
		c := q.col(q.m.From.Key[i])
		eq, gt = append(eq, sqlgen.Cmp(c, "=", ph)), append(gt, sqlgen.Cmp(c, cmp(false), ph))
	}
	return sqlgen.Beyond(eq, gt), nil
}

// keyText writes a key value into a paging cursor so that binding the text
// back compares equal: a wall clock (a time in UTC) as its plain text, an
// instant with its offset.
func keyText(v any) string {
	if t, ok := v.(time.Time); ok {
		if t.Location() == time.UTC {
			return t.Format("2006-01-02 15:04:05.999999999")
		}
		return t.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// isConstant reports whether an SQL expression is a literal.
func isConstant(sql string) bool {
	s := strings.TrimSpace(sql)
	if strings.HasPrefix(s, "'") && strings.HasSuffix(s, "'") && strings.Count(s, "'")%2 == 0 && !strings.ContainsAny(s[1:len(s)-1], "'") {
		return true
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
