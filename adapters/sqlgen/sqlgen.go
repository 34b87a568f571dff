package sqlgen

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
)

// Builder writes SQL for one statement, collecting its bound arguments and
// handing out their placeholders.
type Builder struct {
	d    adapters.Dialect
	args []any
}

// New starts a statement in a dialect.
func New(d adapters.Dialect) *Builder { return &Builder{d: d} }

// Dialect is the builder's dialect.
func (b *Builder) Dialect() adapters.Dialect { return b.d }

// Args are the arguments bound so far, in placeholder order.
func (b *Builder) Args() []any { return b.args }

// Arg binds a value and returns its placeholder.
func (b *Builder) Arg(v any) string {
	if bd, ok := b.d.(adapters.Binder); ok {
		v = bd.Bind(v)
	}
	b.args = append(b.args, v)
	return b.d.Placeholder(len(b.args))
}

// TimeArg is the argument for t compared with a column of type colType (""
// for an expression of unknown type).
func (b *Builder) TimeArg(t time.Time, colType string) any {
	if ct, ok := b.d.(adapters.ColumnTimer); ok && colType != "" {
		return ct.TimeArgFor(t, colType)
	}
	return b.d.TimeArg(t)
}

// ColumnArg is the argument for a value read from a column of type colType
// and compared with it again.
func (b *Builder) ColumnArg(v any, colType string) any {
	if cb, ok := b.d.(adapters.ColumnBinder); ok && colType != "" {
		return cb.BindFor(v, colType)
	}
	return v
}

// Col is a column of the table aliased alias.
func (b *Builder) Col(alias, name string) string { return alias + "." + b.d.Quote(name) }

// Table is a table (or view) under an alias ("" for none).
func (b *Builder) Table(name, alias string) string {
	if alias == "" {
		return b.d.Quote(name)
	}
	return b.d.Quote(name) + " " + alias
}

// Derived is a mapping's query as a derived table under an alias.
func Derived(query, alias string) string { return "(" + query + ") " + alias }

// Expr is an SQL expression written by a mapping's author, kept whole.
func Expr(sql string) string { return "(" + sql + ")" }

// NullFlag is 1 where x is NULL and 0 elsewhere, to sort NULLs last the same
// in every database.
func NullFlag(x string) string { return "CASE WHEN " + x + " IS NULL THEN 1 ELSE 0 END" }

// CastText is x as text.
func (b *Builder) CastText(x string, from adapters.Kind) string { return b.d.CastText(x, from) }

// Form is a text expression in the form an element renders it, through
// one transform: trimmed, without spaces, upper or lower case, an NHS
// number without its spaces and hyphens, or one of the dialect's text
// functions (title case, the text before or after a separator, a
// regular-expression replace). It fails for a form the dialect cannot
// compute.
func (b *Builder) Form(x, form string, vals ...string) (string, error) {
	switch form {
	case "trim":
		if t, ok := b.d.(adapters.Trimmer); ok {
			return t.Trim(x), nil
		}
		return "TRIM(" + x + ")", nil
	case "compact":
		return "REPLACE(" + x + ", ' ', '')", nil
	case "upper":
		return "UPPER(" + x + ")", nil
	case "lower":
		return "LOWER(" + x + ")", nil
	case "nhs-number":
		return "REPLACE(REPLACE(" + x + ", ' ', ''), '-', '')", nil
	case "rearrange":
		// Fields of fixed-width text put in another order: vals are each
		// field's position and width. NULLIF keeps a missing value NULL,
		// as CONCAT gives ''.
		if len(vals) == 0 || len(vals)%2 != 0 {
			return "", fmt.Errorf("rearrange needs positions and widths")
		}
		parts := make([]string, 0, len(vals)/2)
		for i := 0; i < len(vals); i += 2 {
			if _, err := strconv.Atoi(vals[i]); err != nil {
				return "", fmt.Errorf("rearrange: position %q", vals[i])
			}
			if _, err := strconv.Atoi(vals[i+1]); err != nil {
				return "", fmt.Errorf("rearrange: width %q", vals[i+1])
			}
			parts = append(parts, "SUBSTRING("+x+", "+vals[i]+", "+vals[i+1]+")")
		}
		if len(parts) == 1 {
			return "NULLIF(" + parts[0] + ", '')", nil
		}
		return "NULLIF(CONCAT(" + strings.Join(parts, ", ") + "), '')", nil
	}
	if tf, ok := b.d.(adapters.TextFunctions); ok {
		if out, ok := tf.TextFunction(form, x, vals, b.Arg); ok {
			return out, nil
		}
	}
	return "", fmt.Errorf("%s cannot compute the transform %q in SQL", b.d.Name(), form)
}

// Matches is the predicate "x matches the regular expression pattern",
// where the dialect has one: its own SQL, which binds the pattern now.
func (b *Builder) Matches(x, pattern string) (Pred, error) {
	if tf, ok := b.d.(adapters.TextFunctions); ok {
		if out, ok := tf.TextFunction("matches", x, []string{pattern}, b.Arg); ok {
			return Raw(out), nil
		}
	}
	return nil, fmt.Errorf("%s cannot match a regular expression in SQL", b.d.Name())
}

// JoinSpec is a table LEFT JOINed to a mapping's table: On pairs its
// columns with the main table's, Cols are the columns taken from it and
// Names what they are called in the result.
type JoinSpec struct {
	Table string
	On    [][2]string
	Cols  []string
	Names []string
}

// JoinedSource is the SELECT of a table with tables LEFT JOINed to it: the
// table's own columns and the joined columns under their names. The
// engine reads it as a derived table.
func (b *Builder) JoinedSource(table string, joins []JoinSpec) string {
	sel := []string{"s0.*"}
	from := b.Table(table, "s0")
	for i, j := range joins {
		a := "j" + strconv.Itoa(i+1)
		for k, c := range j.Cols {
			sel = append(sel, b.Col(a, c)+" AS "+b.d.Quote(j.Names[k]))
		}
		on := make([]string, len(j.On))
		for k, p := range j.On {
			on[k] = b.Spell(Cmp(b.Col(a, p[0]), "=", b.Col("s0", p[1])))
		}
		from += " LEFT JOIN " + b.Table(j.Table, a) + " ON " + strings.Join(on, " AND ")
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + from
}

// DistinctSource is the SELECT of the distinct values of a table's key
// columns (rows with a NULL key left out), each other column taking its
// least value for the key.
func (b *Builder) DistinctSource(table string, key, others []string) string {
	sel := make([]string, 0, len(key)+len(others))
	group := make([]string, len(key))
	notNull := make([]string, len(key))
	for i, k := range key {
		c := b.Col("s0", k)
		sel = append(sel, c+" AS "+b.d.Quote(k))
		group[i] = c
		notNull[i] = b.Spell(NotNull(c))
	}
	for _, o := range others {
		sel = append(sel, "MIN("+b.Col("s0", o)+") AS "+b.d.Quote(o))
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + b.Table(table, "s0") + " WHERE " + strings.Join(notNull, " AND ") + " GROUP BY " + strings.Join(group, ", ")
}

// Concat joins text expressions, a NULL adding nothing (CONCAT, which
// every adapter's database has); a concat of nothing is NULL.
func Concat(parts []string) string {
	return "NULLIF(CONCAT(" + strings.Join(parts, ", ") + "), '')"
}

// Supports tells whether a dialect computes a form (Form) or, for
// "matches", the predicate.
func Supports(d adapters.Dialect, form string) bool {
	b := New(d)
	if form == "matches" {
		_, err := b.Matches("x", "p")
		return err == nil
	}
	_, err := b.Form("x", form, "1", "1")
	return err == nil
}

// Order is one ORDER BY item.
type Order struct {
	Expr string
	Desc bool
}

// Select is one SELECT statement.
type Select struct {
	Cols  []string
	From  string
	Where []string
	Order []Order
	Limit int // 0: no limit
}

// String writes the statement.
func (b *Builder) Select(s Select) string {
	var sb strings.Builder
	sb.WriteString("SELECT ")
	sb.WriteString(strings.Join(s.Cols, ", "))
	sb.WriteString(" FROM ")
	sb.WriteString(s.From)
	if len(s.Where) > 0 {
		sb.WriteString(" WHERE ")
		sb.WriteString(strings.Join(s.Where, " AND "))
	}
	if len(s.Order) > 0 {
		sb.WriteString(" ORDER BY ")
		for i, o := range s.Order {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(o.Expr)
			if o.Desc {
				sb.WriteString(" DESC")
			}
		}
	}
	if s.Limit > 0 {
		sb.WriteString(" ")
		sb.WriteString(b.d.Limit(s.Limit))
	}
	return sb.String()
}

// Count is SELECT COUNT(*) over from and where.
func Count(from string, where []string) string {
	return "SELECT COUNT(*) FROM " + from + whereClause(where)
}

// Probe is SELECT 1 over from and where: a statement to estimate or plan.
func Probe(from string, where []string) string {
	return "SELECT 1 FROM " + from + whereClause(where)
}

// Empty is a statement over from that returns no rows, to learn its
// columns or check that it and its conditions run.
func Empty(cols, from string, where ...string) string {
	return "SELECT " + cols + " FROM " + from + " WHERE " + strings.Join(append(where, falseSQL), " AND ")
}

func whereClause(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(where, " AND ")
}
