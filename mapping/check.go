package mapping

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ccfacade/ccfacade/adapters"
)

// use is one place a mapping names a column.
type use struct {
	pos    Pos
	path   string
	column string
	// check, when set, reports a column whose type cannot give the value.
	check func(col adapters.Column) string
	set   func(adapters.Column) // optional: record the column's type
}

// CheckDatabase checks every table and column the mappings name against the
// live database, and records what the engine needs to know of the columns
// (numeric keys, DATE columns). It returns Errors, sorted.
func (s *Set) CheckDatabase(ctx context.Context, db adapters.Adapter) error {
	c := &collector{}
	for _, m := range s.Mappings {
		checkMapping(ctx, c, db, m)
	}
	return c.errs.Err()
}

func checkMapping(ctx context.Context, c *collector, db adapters.Adapter, m *Mapping) {
	main := []use{}
	child := map[*Rows][]use{}
	m.From.KeyNumeric = make([]bool, len(m.From.Key))
	m.From.KeyTypes = make([]string, len(m.From.Key))
	for i, k := range m.From.Key {
		i := i
		main = append(main, use{pos: m.From.KeyPos, path: m.Resource + ".id", column: k, set: func(col adapters.Column) {
			m.From.KeyNumeric[i] = isNumericType(col.Type)
			m.From.KeyTypes[i] = strings.ToUpper(col.Type)
		}})
	}
	if m.From.Updated != "" {
		main = append(main, use{pos: m.From.Pos, path: m.Resource + ".meta.lastUpdated", column: m.From.Updated, check: func(col adapters.Column) string {
			if !isTimeType(col.Type) {
				return "the last-updated column must be a timestamp (it gives meta.lastUpdated and _lastUpdated)"
			}
			return ""
		}, set: func(col adapters.Column) { m.From.UpdatedType = strings.ToUpper(col.Type) }})
	}
	var walk func(n *Node, scope *Rows)
	add := func(scope *Rows, u use) {
		if scope == nil {
			main = append(main, u)
		} else {
			child[scope] = append(child[scope], u)
		}
	}
	var walkExpr func(e *Expr, typ string, scope *Rows)
	walkExpr = func(e *Expr, typ string, scope *Rows) {
		if e.Column != "" {
			u := use{pos: e.Pos, path: e.Path, column: e.Column}
			if len(e.Transforms) == 0 && e.Concept == nil {
				u.check = func(col adapters.Column) string { return fitsElement(typ, col.Type) }
			}
			add(scope, u)
		}
		for _, f := range e.First {
			walkExpr(f, typ, scope)
		}
		if e.Ref != nil {
			for _, k := range e.Ref.Key {
				add(scope, use{pos: e.Pos, path: e.Path, column: k})
			}
		}
	}
	walk = func(n *Node, scope *Rows) {
		if n.Rows != nil {
			scope = n.Rows
			r := n.Rows
			r.LinkTypes = make([]string, len(r.Link))
			for i, l := range n.Rows.Link {
				i := i
				child[scope] = append(child[scope], use{pos: n.Rows.Pos, path: n.Path, column: l, set: func(col adapters.Column) {
					r.LinkTypes[i] = strings.ToUpper(col.Type)
				}})
				if i < len(n.Rows.ParentName) {
					main = append(main, use{pos: n.Rows.Pos, path: n.Path, column: n.Rows.ParentName[i]})
				}
			}
			for _, o := range n.Rows.Order {
				child[scope] = append(child[scope], use{pos: n.Rows.Pos, path: n.Path, column: o})
			}
		}
		if n.When != nil {
			add(scope, use{pos: n.When.Pos, path: n.Path, column: n.When.Column})
		}
		if n.Expr != nil {
			walkExpr(n.Expr, n.Type, scope)
		}
		for _, f := range n.Fields {
			walk(f, scope)
		}
		for _, it := range n.Items {
			walk(it, scope)
		}
	}
	walk(m.Root, nil)
	for _, sp := range m.sources() {
		sp := sp
		path := m.Resource + " search " + sp.Name
		var scope *Rows
		if sp.Rows != nil {
			scope = sp.Rows
			for i, l := range sp.Rows.Link {
				child[scope] = append(child[scope], use{pos: sp.Rows.Pos, path: path, column: l})
				if i < len(sp.Rows.ParentName) {
					main = append(main, use{pos: sp.Rows.Pos, path: path, column: sp.Rows.ParentName[i]})
				}
			}
		}
		if sp.To != "" {
			add(scope, use{pos: sp.Pos, path: path, column: sp.To})
		}
		for _, c := range sp.Conds {
			add(scope, use{pos: c.Pos, path: path, column: c.Column})
		}
		if sf := sp.SystemFrom; sf != nil && sf.Column != "" {
			add(scope, use{pos: sf.Pos, path: path + " system", column: sf.Column})
		}
		for _, col := range sp.Columns {
			add(scope, use{pos: sp.Pos, path: path, column: col, check: func(col adapters.Column) string { return fitsDateParam(sp, col.Type) }, set: func(col adapters.Column) {
				sp.Numeric = isNumericType(col.Type)
				sp.Integer = isIntegerType(col.Type)
				if sp.Type == "date" && sp.Format == "" && strings.ToUpper(col.Type) == "DATE" {
					sp.DateGrain = 3
				}
				sp.Zoned = sp.Type == "date" && isZonedType(col.Type)
				if sp.ColType == "" {
					sp.ColType = strings.ToUpper(col.Type)
				}
			}})
		}
	}

	// The main source.
	var cols []adapters.Column
	var err error
	srcName := m.From.Table
	if m.From.Query != "" {
		srcName = "the query"
		cols, err = queryColumns(ctx, db, "SELECT * FROM ("+m.From.Query+") t0 WHERE 1 = 0")
	} else {
		cols, err = db.Columns(ctx, m.From.Table)
		if err == nil {
			err = canRead(ctx, db, m.From.Table)
		}
	}
	if err != nil {
		if errors.Is(err, adapters.ErrNoTable) {
			c.add(m.From.Pos, m.Resource, "table %q does not exist%s", m.From.Table, schemaHint(m.From.Table))
		} else {
			c.add(m.From.Pos, m.Resource, "cannot read the columns of %s: %v", srcName, err)
		}
	} else {
		checkUses(c, main, cols, srcName)
	}
	for _, sp := range m.sources() {
		table := m.From.Table
		if sp.Rows != nil {
			table = sp.Rows.Table
		}
		if table == "" {
			table = "(" + m.From.Query + ")"
		} else {
			table = db.Quote(table)
		}
		if sp.SQL != "" {
			if _, err := queryColumns(ctx, db, "SELECT ("+sp.SQL+") FROM "+table+" t0 WHERE 1 = 0"); err != nil {
				c.add(sp.Pos, m.Resource+" search "+sp.Name, "the sql expression does not run: %v", err)
			}
		}
		if sf := sp.SystemFrom; sf != nil && sf.SQL != "" {
			if _, err := queryColumns(ctx, db, "SELECT ("+sf.SQL+") FROM "+table+" t0 WHERE 1 = 0"); err != nil {
				c.add(sf.Pos, m.Resource+" search "+sp.Name+" system", "the sql expression does not run: %v", err)
			}
		}
	}
	// Child tables.
	for r, uses := range child {
		cols, err := db.Columns(ctx, r.Table)
		if err == nil {
			err = canRead(ctx, db, r.Table)
		}
		if err != nil {
			if errors.Is(err, adapters.ErrNoTable) {
				c.add(r.Pos, r.Path, "table %q does not exist%s", r.Table, schemaHint(r.Table))
			} else {
				c.add(r.Pos, r.Path, "cannot read the columns of %s: %v", r.Table, err)
			}
			continue
		}
		checkUses(c, uses, cols, r.Table)
		if r.Where != "" {
			if _, err := queryColumns(ctx, db, "SELECT 1 FROM "+db.Quote(r.Table)+" c WHERE ("+r.Where+") AND 1 = 0"); err != nil {
				c.add(r.Pos, r.Path, "the where condition does not run: %v", err)
			}
		}
	}
}

func checkUses(c *collector, uses []use, cols []adapters.Column, table string) {
	byName := map[string]adapters.Column{}
	for _, col := range cols {
		byName[strings.ToUpper(col.Name)] = col
	}
	for _, u := range uses {
		col, ok := byName[strings.ToUpper(u.column)]
		if !ok {
			c.add(u.pos, u.path, "column %q not in %s", u.column, table)
			continue
		}
		if u.check != nil {
			if msg := u.check(col); msg != "" {
				c.add(u.pos, u.path, "column %q (%s): %s", u.column, col.Type, msg)
			}
		}
		if u.set != nil {
			u.set(col)
		}
	}
}

func queryColumns(ctx context.Context, db adapters.Adapter, q string) ([]adapters.Column, error) {
	rows, err := db.DB().QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	out := make([]adapters.Column, len(types))
	for i, t := range types {
		out[i] = adapters.Column{Name: t.Name(), Type: strings.ToUpper(t.DatabaseTypeName())}
	}
	return out, rows.Err()
}

// isZonedType tells whether a column type holds instants: PostgreSQL's
// timestamptz ("TIMESTAMP WITH TIME ZONE"), SQL Server's datetimeoffset.
func isZonedType(t string) bool {
	t = strings.ToUpper(t)
	return strings.Contains(t, "WITH TIME ZONE") || strings.Contains(t, "TIMESTAMPTZ") || strings.Contains(t, "OFFSET")
}

// isIntegerType tells whether a numeric column type holds whole numbers
// only.
func isIntegerType(t string) bool {
	t = strings.ToUpper(t)
	return isNumericType(t) && (strings.Contains(t, "INT") || strings.Contains(t, "SERIAL"))
}

// IsTextType tells whether a column type holds text.
func IsTextType(t string) bool { return isTextType(t) }

// IsIntegerType tells whether a column type holds whole numbers only.
func IsIntegerType(t string) bool { return isIntegerType(t) }

func isNumericType(t string) bool {
	t = strings.ToUpper(t)
	if strings.Contains(t, "INTERVAL") {
		return false
	}
	for _, s := range []string{"INT", "SERIAL", "NUMERIC", "DECIMAL", "NUMBER", "REAL", "DOUBLE", "FLOAT", "MONEY"} {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

// Summary describes a set in one line per mapping, for logs and lint.
func (s *Set) Summary() []string {
	var out []string
	for _, m := range s.Mappings {
		src := m.From.Table
		if src == "" {
			src = "query"
		}
		out = append(out, fmt.Sprintf("%s: %s from %s (%d search parameters, %d child collections)", m.File, m.Resource, src, len(m.Search), len(m.Children)))
	}
	return out
}

func isTimeType(t string) bool {
	t = strings.ToUpper(t)
	return strings.Contains(t, "DATE") || strings.Contains(t, "TIME")
}

func isTextType(t string) bool {
	t = strings.ToUpper(t)
	for _, s := range []string{"CHAR", "TEXT", "CLOB", "STRING"} {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

// fitsElement says why a column of database type dbType, used without a
// transform, cannot give a FHIR primitive of type typ ("" if it can).
func fitsElement(typ, dbType string) string {
	switch typ {
	case "date", "dateTime", "instant":
		if isNumericType(dbType) || strings.Contains(strings.ToUpper(dbType), "BOOL") {
			return "a " + typ + " needs a date or timestamp column, or a text column with a date transform"
		}
	case "integer", "positiveInt", "unsignedInt", "decimal":
		if isTimeType(dbType) {
			return "a " + typ + " cannot come from a date or time column"
		}
	case "boolean":
		if isTimeType(dbType) {
			return "a boolean cannot come from a date or time column"
		}
	}
	return ""
}

// fitsDateParam says why a date parameter's column cannot be compared as
// declared ("" if it can).
// schemaHint reminds, for a table named without its schema, that the
// name is looked up in the connection's default schema only.
func schemaHint(table string) string {
	if strings.Contains(table, ".") {
		return ""
	}
	return " in the connection's default schema (a table of another schema needs its schema's name: schema." + table + ")"
}

func fitsDateParam(sp *SearchParam, dbType string) string {
	if sp.Type != "date" {
		return ""
	}
	switch {
	case isNumericType(dbType):
		return "a date parameter needs a date, timestamp or text column"
	case sp.Format != "" && isTimeType(dbType) && !isTextType(dbType):
		return "\"format\" is for dates kept as text; this column is a native date or timestamp: drop it"
	case sp.Format == "" && isTextType(dbType):
		return "dates kept as text need \"format\" (the pattern they are written in, e.g. yyyyMMdd)"
	}
	return ""
}

// canRead checks that the connection may read a table (a role without
// SELECT on it would fail at the first request instead).
func canRead(ctx context.Context, db adapters.Adapter, table string) error {
	rows, err := db.DB().QueryContext(ctx, "SELECT 1 FROM "+db.Quote(table)+" WHERE 1 = 0")
	if err != nil {
		return err
	}
	return rows.Close()
}
