package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlgen"
	"github.com/ccfacade/ccfacade/mapping"
)

// Column is one column as the database reports it.
type Column struct {
	Name string
	Type string // the database's type name, upper case ("" when unknown)
	Kind adapters.Kind
	// Collation is a text column's collation where the adapter reports it
	// (adapters.Column), for a column of a table (or of a table with joins,
	// or of its distinct values); "" otherwise, and for a mapping's query.
	Collation string
}

// Catalog holds the columns a mapping set names, for one database.
type Catalog struct {
	set    *mapping.Set
	cols   map[ref]Column
	params map[*mapping.SearchParam]Column
	// derived is the SELECT of a mapping whose rows are a table with
	// joins, or the distinct values of a table.
	derived map[*mapping.Mapping]string
}

// From is the FROM item of a mapping's rows under alias: its table, its
// query, or the statement its joins or distinct values make, as a
// derived table.
func (c *Catalog) From(m *mapping.Mapping, b *sqlgen.Builder, alias string) string {
	switch {
	case m.From.Query != "":
		return sqlgen.Derived(m.From.Query, alias)
	case c.derived[m] != "":
		return sqlgen.Derived(c.derived[m], alias)
	}
	return b.Table(m.From.Table, alias)
}

// ref names a column of a mapping's main source (rows nil) or of a child
// table.
type ref struct {
	m    *mapping.Mapping
	rows *mapping.Rows
	name string // upper case
}

// Set is the mapping set the catalog was loaded for.
func (c *Catalog) Set() *mapping.Set { return c.set }

// Column is a column of m's main source (rows nil) or of the child table
// rows; the zero Column (KindOther) when the mappings do not name it.
func (c *Catalog) Column(m *mapping.Mapping, rows *mapping.Rows, name string) Column {
	if rows != nil {
		m = nil
	}
	return c.cols[ref{m, rows, strings.ToUpper(name)}]
}

// Key is m's key columns, in key order.
func (c *Catalog) Key(m *mapping.Mapping) []Column {
	out := make([]Column, len(m.From.Key))
	for i, k := range m.From.Key {
		out[i] = c.Column(m, nil, k)
	}
	return out
}

// Updated is m's last-updated column (the zero Column when it has none).
func (c *Catalog) Updated(m *mapping.Mapping) Column {
	if m.From.Updated == "" {
		return Column{}
	}
	return c.Column(m, nil, m.From.Updated)
}

// Links is a child table's link columns, in link order.
func (c *Catalog) Links(r *mapping.Rows) []Column {
	out := make([]Column, len(r.Link))
	for i, l := range r.Link {
		out[i] = c.Column(nil, r, l)
	}
	return out
}

// Param is the column a search parameter's source compares (its first,
// when it has several); the zero Column for an SQL expression.
func (c *Catalog) Param(sp *mapping.SearchParam) Column { return c.params[sp] }

// use is one place a mapping names a column.
type use struct {
	pos    mapping.Pos
	path   string
	column string
	// check, when set, says why the column cannot give the value ("" when
	// it can).
	check func(col Column) string
	param *mapping.SearchParam // the parameter whose column this is, if any
}

type collector struct{ errs mapping.Errors }

func (c *collector) add(pos mapping.Pos, path, format string, args ...any) {
	c.errs = append(c.errs, &mapping.Error{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// columns reads the columns of table, or reports why it cannot.
func (c *collector) columns(ctx context.Context, db adapters.Adapter, pos mapping.Pos, path, table string) ([]Column, bool) {
	cols, err := tableColumns(ctx, db, table)
	if err != nil {
		c.noColumns(pos, path, table, table, err)
		return nil, false
	}
	return cols, true
}

// noColumns reports err, met reading the columns of src: table itself, or
// what a mapping reads from it.
func (c *collector) noColumns(pos mapping.Pos, path, table, src string, err error) {
	if errors.Is(err, adapters.ErrNoTable) {
		c.add(pos, path, "table %q does not exist%s", table, schemaHint(table))
		return
	}
	c.add(pos, path, "cannot read the columns of %s: %v", src, err)
}

// Load checks every table and column the mappings name against the live
// database and returns what it found. The error, when not nil, is
// mapping.Errors, sorted; the catalog is returned with it (holding what
// could be read), for tools that report further.
func Load(ctx context.Context, set *mapping.Set, db adapters.Adapter) (*Catalog, error) {
	cat := &Catalog{set: set, cols: map[ref]Column{}, params: map[*mapping.SearchParam]Column{}, derived: map[*mapping.Mapping]string{}}
	c := &collector{}
	loadConcepts(ctx, c, db, set)
	for _, m := range set.Mappings {
		cat.load(ctx, c, db, m)
	}
	return cat, c.errs.Err()
}

// uses are the columns a mapping reads, gathered by one walk over it: of
// its main rows, of each child table, and the pairs of columns compared
// with each other (checked once both are known).
type uses struct {
	main  []use
	child map[*mapping.Rows][]use
	pairs []pair
}

// pair is a comparison of two columns.
type pair struct {
	cd    *mapping.Cond
	path  string
	scope *mapping.Rows
}

func (u *uses) add(scope *mapping.Rows, x use) {
	if scope == nil {
		u.main = append(u.main, x)
	} else {
		u.child[scope] = append(u.child[scope], x)
	}
}

// rows records the columns that link child rows to their parents and
// order them.
func (u *uses) rows(r *mapping.Rows, path string) {
	for i, l := range r.Link {
		u.child[r] = append(u.child[r], use{pos: r.Pos, path: path, column: l})
		if i < len(r.ParentName) {
			u.main = append(u.main, use{pos: r.Pos, path: path, column: r.ParentName[i]})
		}
	}
}

// cond records the columns of a condition and of every one combined in it.
func (u *uses) cond(cd *mapping.Cond, path string, scope *mapping.Rows) {
	cd.Walk(func(cd *mapping.Cond) {
		if cd.Column == "" {
			return
		}
		fits := func(col Column) string { return fitsCond(cd, col.Kind) }
		u.add(scope, use{pos: cd.Pos, path: path, column: cd.Column, check: fits})
		if o := cd.Than; o != nil && o.Column != "" {
			u.add(scope, use{pos: cd.Pos, path: path, column: o.Column, check: fits})
			u.pairs = append(u.pairs, pair{cd, path, scope})
		}
	})
}

// expr records the columns of an element's expression and its
// alternatives.
func (u *uses) expr(e *mapping.Expr, typ string, scope *mapping.Rows) {
	e.Walk(func(e *mapping.Expr) {
		if e.Column != "" {
			x := use{pos: e.Pos, path: e.Path, column: e.Column}
			if len(e.Transforms) == 0 && e.Concept == nil {
				x.check = func(col Column) string { return fitsElement(typ, col.Kind) }
			}
			u.add(scope, x)
		}
		if e.When != nil {
			u.cond(e.When, e.Path, scope)
		}
		for _, part := range e.Concat {
			if part.Column != "" {
				u.add(scope, use{pos: part.Pos, path: e.Path, column: part.Column, check: fitsConcat})
			}
		}
		if e.Ref != nil {
			for _, k := range e.Ref.Key {
				u.add(scope, use{pos: e.Pos, path: e.Path, column: k})
			}
		}
	})
}

// param records the columns of a single-source search parameter.
func (u *uses) param(sp *mapping.SearchParam, path string) {
	scope := sp.Rows
	if scope != nil {
		u.rows(scope, path)
	}
	if sp.To != "" {
		u.add(scope, use{pos: sp.Pos, path: path, column: sp.To})
	}
	for _, cd := range sp.Conds {
		u.cond(cd, path, scope)
	}
	if sf := sp.SystemFrom; sf != nil && sf.Column != "" {
		u.add(scope, use{pos: sf.Pos, path: path + " system", column: sf.Column})
	}
	for _, part := range sp.Concat {
		if part.Text == nil {
			u.add(scope, use{pos: sp.Pos, path: path, column: part.Column, check: fitsConcat})
		}
	}
	for i, col := range sp.Columns {
		x := use{pos: sp.Pos, path: path, column: col, check: func(col Column) string { return fitsDateParam(sp, col.Kind) }}
		if i == 0 {
			x.param = sp
		}
		u.add(scope, x)
	}
}

// usesOf walks a mapping for every column it reads.
func usesOf(m *mapping.Mapping) *uses {
	u := &uses{child: map[*mapping.Rows][]use{}}
	for _, k := range m.From.Key {
		u.main = append(u.main, use{pos: m.From.KeyPos, path: m.Resource + ".id", column: k})
	}
	if m.From.Updated != "" {
		u.main = append(u.main, use{pos: m.From.Pos, path: m.Resource + ".meta.lastUpdated", column: m.From.Updated, check: func(col Column) string {
			if !col.Kind.Temporal() {
				return "the last-updated column must be a timestamp (it gives meta.lastUpdated and _lastUpdated)"
			}
			return ""
		}})
	}
	m.Walk(func(n *mapping.Node, scope *mapping.Rows) {
		if n.Rows != nil {
			u.rows(n.Rows, n.Path)
			for _, o := range n.Rows.Order {
				u.child[n.Rows] = append(u.child[n.Rows], use{pos: n.Rows.Pos, path: n.Path, column: o})
			}
		}
		if n.When != nil {
			u.cond(n.When, n.Path, scope)
		}
		if n.Expr != nil {
			u.expr(n.Expr, n.Type, scope)
		}
	})
	for _, sp := range m.Sources() {
		u.param(sp, m.Resource+" search "+sp.Name)
	}
	return u
}

// load checks one mapping against the database: every column it reads
// exists and can give what it is read for, every parameter's transforms
// can be computed in the database's SQL, and every SQL fragment runs.
func (cat *Catalog) load(ctx context.Context, c *collector, db adapters.Adapter, m *mapping.Mapping) {
	u := usesOf(m)
	for _, sp := range m.Sources() {
		cat.checkSearchable(c, db, m, sp)
	}
	b := sqlgen.New(db)
	if cols, srcName, ok := cat.mainColumns(ctx, c, db, m, b, u.main); ok {
		cat.checkUses(c, m, nil, u.main, cols, srcName)
	}
	cat.checkSQL(ctx, c, db, m, b)
	for r, uses := range u.child {
		cat.checkChild(ctx, c, db, b, r, uses)
	}
	cat.checkPairs(c, m, u.pairs)
}

// checkSearchable refuses a parameter searched through what the database
// cannot compute in SQL (a transform, a regular expression).
func (cat *Catalog) checkSearchable(c *collector, db adapters.Adapter, m *mapping.Mapping, sp *mapping.SearchParam) {
	path := m.Resource + " search " + sp.Name
	for _, cd := range sp.Conds {
		if usesMatches(cd) && !sqlgen.Supports(db, "matches") {
			c.add(cd.Pos, path, "%s is searched where a value matches a regular expression, which %s cannot test in SQL; bind %s to columns", sp.Name, db.Name(), sp.Name)
		}
	}
	forms := append([]mapping.Transform(nil), sp.ColumnForms...)
	for _, part := range sp.Concat {
		forms = append(forms, part.Forms...)
	}
	for _, cd := range sp.Conds {
		forms = append(forms, condForms(cd)...)
	}
	reported := map[string]bool{}
	for _, f := range forms {
		if !sqlgen.Supports(db, f.Name) && !reported[f.Name] {
			reported[f.Name] = true
			c.add(sp.Pos, path, "%s searches the value through the transform %q, which %s cannot compute in SQL; bind %s to columns, or drop the transform", sp.Name, f.Name, db.Name(), sp.Name)
		}
	}
	if len(sp.Concat) > 0 {
		cat.params[sp] = Column{Kind: adapters.KindText} // CONCAT gives text
	}
}

// mainColumns reads the columns of a mapping's main rows (a table, a
// query, a table with joins or the distinct values of one) and names the
// source for messages; false when they cannot be read (reported).
func (cat *Catalog) mainColumns(ctx context.Context, c *collector, db adapters.Adapter, m *mapping.Mapping, b *sqlgen.Builder, main []use) ([]Column, string, bool) {
	var cols []Column
	var err error
	srcName := m.From.Table
	switch {
	case m.From.Query != "":
		srcName = "the query"
		cols, err = queryColumns(ctx, db, sqlgen.Empty("*", sqlgen.Derived(m.From.Query, "t0")))
	case len(m.From.Joins) > 0:
		if !cat.checkJoins(ctx, c, db, m) {
			return nil, "", false
		}
		srcName = m.From.Table + " with its joins"
		var specs []sqlgen.JoinSpec
		for _, j := range m.From.Joins {
			spec := sqlgen.JoinSpec{Table: j.Table, On: j.On, Cols: j.Cols}
			for _, col := range j.Cols {
				spec.Names = append(spec.Names, mapping.JoinedName(j.As, col))
			}
			specs = append(specs, spec)
		}
		cat.derived[m] = b.JoinedSource(m.From.Table, specs)
		cols, err = queryColumns(ctx, db, sqlgen.Empty("*", sqlgen.Derived(cat.derived[m], "t0")))
		if err == nil {
			coll := collations(ctx, db, m.From.Table, nil)
			for _, j := range m.From.Joins {
				coll = collations(ctx, db, j.Table, coll, func(col string) string { return mapping.JoinedName(j.As, col) })
			}
			withCollations(cols, coll)
		}
	case m.From.Distinct:
		var others []string
		seen := map[string]bool{}
		for _, k := range m.From.Key {
			seen[strings.ToUpper(k)] = true
		}
		for _, u := range main {
			if k := strings.ToUpper(u.column); !seen[k] {
				seen[k] = true
				others = append(others, u.column)
			}
		}
		if _, err = tableColumns(ctx, db, m.From.Table); err != nil {
			break
		}
		cat.derived[m] = b.DistinctSource(m.From.Table, m.From.Key, others)
		srcName = "the distinct values of " + m.From.Table
		cols, err = queryColumns(ctx, db, sqlgen.Empty("*", sqlgen.Derived(cat.derived[m], "t0")))
		if err == nil {
			withCollations(cols, collations(ctx, db, m.From.Table, nil))
		}
	default:
		cols, err = tableColumns(ctx, db, m.From.Table)
	}
	if err != nil {
		c.noColumns(m.From.Pos, m.Resource, m.From.Table, srcName, err)
		return nil, "", false
	}
	return cols, srcName, true
}

// checkSQL runs the SQL expressions of the mapping's parameters once on
// no rows.
func (cat *Catalog) checkSQL(ctx context.Context, c *collector, db adapters.Adapter, m *mapping.Mapping, b *sqlgen.Builder) {
	for _, sp := range m.Sources() {
		from := cat.From(m, b, "t0")
		if sp.Rows != nil {
			from = b.Table(sp.Rows.Table, "t0")
		}
		if sp.SQL != "" {
			if _, err := queryColumns(ctx, db, sqlgen.Empty(sqlgen.Expr(sp.SQL), from)); err != nil {
				c.add(sp.Pos, m.Resource+" search "+sp.Name, "the sql expression does not run: %v", err)
			}
		}
		if sf := sp.SystemFrom; sf != nil && sf.SQL != "" {
			if _, err := queryColumns(ctx, db, sqlgen.Empty(sqlgen.Expr(sf.SQL), from)); err != nil {
				c.add(sf.Pos, m.Resource+" search "+sp.Name+" system", "the sql expression does not run: %v", err)
			}
		}
	}
}

// checkChild checks a child table's columns and its where condition.
func (cat *Catalog) checkChild(ctx context.Context, c *collector, db adapters.Adapter, b *sqlgen.Builder, r *mapping.Rows, uses []use) {
	cols, ok := c.columns(ctx, db, r.Pos, r.Path, r.Table)
	if !ok {
		return
	}
	cat.checkUses(c, nil, r, uses, cols, r.Table)
	if r.Where != "" {
		if _, err := queryColumns(ctx, db, sqlgen.Empty("1", b.Table(r.Table, "c"), sqlgen.Expr(r.Where))); err != nil {
			c.add(r.Pos, r.Path, "the where condition does not run: %v", err)
		}
	}
}

// checkPairs refuses two date-times compared, one with a zone and one
// without: the database would read the one without in its session's
// zone, the facade in the configured one.
func (cat *Catalog) checkPairs(c *collector, m *mapping.Mapping, pairs []pair) {
	for _, p := range pairs {
		scopeM := m
		if p.scope != nil {
			scopeM = nil
		}
		a, b := cat.Column(scopeM, p.scope, p.cd.Column).Kind, cat.Column(scopeM, p.scope, p.cd.Than.Column).Kind
		if a.Temporal() && b.Temporal() && (a == adapters.KindTimestampTZ) != (b == adapters.KindTimestampTZ) {
			c.add(p.cd.Pos, p.path, "%s and %s are compared, one a date-time with a zone and the other not: compare columns of the same kind", p.cd.Column, p.cd.Than.Column)
		}
	}
}

// checkJoins checks each joined table and the columns a mapping takes
// from it or joins it on; false when any is missing (the joined statement
// would not run).
func (cat *Catalog) checkJoins(ctx context.Context, c *collector, db adapters.Adapter, m *mapping.Mapping) bool {
	ok := true
	main, err := tableColumns(ctx, db, m.From.Table)
	if err != nil {
		return true // reported with the main table
	}
	for _, j := range m.From.Joins {
		path := m.Resource + " from join " + j.As
		cols, found := c.columns(ctx, db, j.Pos, path, j.Table)
		if !found {
			ok = false
			continue
		}
		for _, on := range j.On {
			if !hasColumn(cols, on[0]) {
				c.add(j.Pos, path, "column %q not in %s (joined as %s)", on[0], j.Table, j.As)
				ok = false
			}
			if !hasColumn(main, on[1]) {
				c.add(j.Pos, path, "column %q not in %s", on[1], m.From.Table)
				ok = false
			}
		}
		for _, col := range j.Cols {
			if !hasColumn(cols, col) {
				c.add(j.Pos, path, "column %q not in %s (the mapping writes it %s.%s)", col, j.Table, j.As, col)
				ok = false
			}
		}
	}
	return ok
}

// fitsCond says what is wrong with a condition's column of kind k, or "".
func fitsCond(cd *mapping.Cond, k adapters.Kind) string {
	switch {
	case cd.Matches != "":
		if k != adapters.KindText && k != adapters.KindOther {
			return "\"matches\" tests text; this column is not text"
		}
	case cd.Op == "":
	case cd.Than.ByDay():
		text := k == adapters.KindText || k == adapters.KindOther
		switch {
		case cd.Format != "" && !text:
			return "\"format\" is for dates kept as text; compare this column without it"
		case cd.Format == "" && text:
			return "it is compared with a date but holds text: give the format its dates are written in (format: yyyyMMdd)"
		case cd.Format == "" && !k.Temporal():
			return "it is compared with a date but is not a date"
		}
	case cd.Than.Number != "":
		if k != adapters.KindInteger && k != adapters.KindDecimal && k != adapters.KindOther {
			return "it is compared with a number but is not a number"
		}
	default:
		if k == adapters.KindText || k == adapters.KindBool {
			return "two columns are compared only as dates or numbers"
		}
	}
	return ""
}

// fitsConcat says why a column cannot be a part of a concat: its text in
// SQL would differ from the facade's (a date, a decimal), or "".
func fitsConcat(col Column) string {
	switch col.Kind {
	case adapters.KindText, adapters.KindInteger, adapters.KindOther:
		return ""
	}
	return "a part of concat is a text or integer column (the text of a date or decimal differs between databases); format it with a transform on an element of its own"
}

// condForms are the transforms a condition's presence tests go through.
func condForms(cd *mapping.Cond) []mapping.Transform {
	out := append([]mapping.Transform(nil), cd.Forms...)
	for _, sub := range append(append([]*mapping.Cond(nil), cd.Any...), cd.All...) {
		out = append(out, condForms(sub)...)
	}
	return out
}

// usesMatches tells whether a condition tests a regular expression.
func usesMatches(cd *mapping.Cond) bool {
	if cd.Matches != "" {
		return true
	}
	for _, sub := range append(append([]*mapping.Cond(nil), cd.Any...), cd.All...) {
		if usesMatches(sub) {
			return true
		}
	}
	return false
}

func (cat *Catalog) checkUses(c *collector, m *mapping.Mapping, rows *mapping.Rows, uses []use, cols []Column, table string) {
	byName := map[string]Column{}
	for _, col := range cols {
		byName[strings.ToUpper(col.Name)] = col
	}
	for _, u := range uses {
		col, ok := byName[strings.ToUpper(u.column)]
		if !ok {
			hint := ""
			if strings.Contains(u.column, ".") && rows == nil {
				hint = " (a joined table's column is written ALIAS.COLUMN, with the alias declared under from: join)"
			}
			c.add(u.pos, u.path, "column %q not in %s%s", u.column, table, hint)
			continue
		}
		if u.check != nil {
			if msg := u.check(col); msg != "" {
				c.add(u.pos, u.path, "column %q (%s): %s", u.column, col.Type, msg)
			}
		}
		cat.cols[ref{m, rows, strings.ToUpper(u.column)}] = col
		if u.param != nil {
			cat.params[u.param] = col
		}
	}
}

// tableColumns reads a table's columns and checks that the connection may
// read it (a role without SELECT on it would fail at the first request
// instead).
func tableColumns(ctx context.Context, db adapters.Adapter, table string) ([]Column, error) {
	list, err := db.Columns(ctx, table)
	if err != nil {
		return nil, err
	}
	rows, err := db.DB().QueryContext(ctx, sqlgen.Empty("1", sqlgen.New(db).Table(table, "")))
	if err != nil {
		return nil, err
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	out := make([]Column, len(list))
	for i, col := range list {
		out[i] = Column{Name: col.Name, Type: strings.ToUpper(col.Type), Kind: db.Kind(col.Type), Collation: col.Collation}
	}
	return out, nil
}

// collations adds to coll (made when nil) the collations of table's text
// columns by their upper-case names, each as rename names it in a
// derived source (unchanged without rename). A table whose columns
// cannot be read adds none: its error is reported where it is checked.
func collations(ctx context.Context, db adapters.Adapter, table string, coll map[string]string, rename ...func(string) string) map[string]string {
	if coll == nil {
		coll = map[string]string{}
	}
	list, err := db.Columns(ctx, table)
	if err != nil {
		return coll
	}
	for _, col := range list {
		if col.Collation == "" {
			continue
		}
		name := col.Name
		for _, r := range rename {
			name = r(name)
		}
		coll[strings.ToUpper(name)] = col.Collation
	}
	return coll
}

// withCollations gives the columns of a derived source the collations
// of the table columns they are (a result's columns do not say).
func withCollations(cols []Column, coll map[string]string) {
	for i := range cols {
		cols[i].Collation = coll[strings.ToUpper(cols[i].Name)]
	}
}

// queryColumns runs a query that returns no rows for its result's columns.
func queryColumns(ctx context.Context, db adapters.Adapter, q string) ([]Column, error) {
	rows, err := db.DB().QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	out := make([]Column, len(types))
	for i, t := range types {
		typ := strings.ToUpper(t.DatabaseTypeName())
		out[i] = Column{Name: t.Name(), Type: typ, Kind: db.Kind(typ)}
	}
	return out, rows.Err()
}

// fitsElement says why a column of kind k, used without a transform,
// cannot give a FHIR primitive of type typ ("" if it can).
func fitsElement(typ string, k adapters.Kind) string {
	switch typ {
	case "date", "dateTime", "instant":
		if k.Numeric() || k == adapters.KindBool {
			return "a " + typ + " needs a date or timestamp column, or a text column with a date transform"
		}
	case "integer", "positiveInt", "unsignedInt", "decimal":
		if k.Temporal() {
			return "a " + typ + " cannot come from a date or time column"
		}
	case "boolean":
		if k.Temporal() {
			return "a boolean cannot come from a date or time column"
		}
	}
	return ""
}

// fitsDateParam says why a date parameter's column cannot be compared as
// declared ("" if it can).
func fitsDateParam(sp *mapping.SearchParam, k adapters.Kind) string {
	if sp.Type != "date" {
		return ""
	}
	switch {
	case k.Numeric():
		return "a date parameter needs a date, timestamp or text column"
	case sp.Format != "" && k.Temporal():
		return "\"format\" is for dates kept as text; this column is a native date or timestamp: drop it"
	case sp.Format == "" && k == adapters.KindText:
		return "dates kept as text need \"format\" (the pattern they are written in, e.g. yyyyMMdd)"
	}
	return ""
}

// schemaHint reminds, for a table named without its schema, that the
// name is looked up in the connection's default schema only.
func schemaHint(table string) string {
	if strings.Contains(table, ".") {
		return ""
	}
	return " in the connection's default schema (a table of another schema needs its schema's name: schema." + table + ")"
}
