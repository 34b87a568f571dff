package engine

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"strconv"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlgen"
	"github.com/ccfacade/ccfacade/mapping"
)

// plan is a search compiled against the mapping and the catalog: the
// statement (its conditions, order and arguments), the pager its links are
// made by and the cursor it continues from.
type plan struct {
	req   *searchReq
	q     *query
	pager *pager
	cur   *cursor
}

// plan compiles a parsed search.
func (e *Engine) plan(ctx context.Context, sr *searchReq, base string) (*plan, error) {
	m := sr.m
	q := e.newQuery(m)
	q.access = accessFrom(ctx)
	path := e.typ(m)
	if c := sr.compartment; c != nil {
		if err := e.whereRef(q, c.Type, c.ID); err != nil {
			return nil, err
		}
		path = c.Type + "/" + c.ID + "/" + e.typ(m)
	}
	for _, pr := range sr.params {
		pred, err := e.compileParam(q, pr)
		if err != nil {
			return nil, err
		}
		q.where(pred)
	}
	if err := e.restrict(ctx, q); err != nil {
		return nil, err
	}
	keys, err := e.sortKeys(q, sr.sort)
	if err != nil {
		return nil, err
	}
	q.sorts = keys
	p := &plan{req: sr, q: q, pager: e.newPager(base, path, sr.used, sr.transport, "", sr.count)}
	if sr.cursor != "" {
		c, err := p.pager.open(sr.cursor)
		if err != nil {
			return nil, err
		}
		if len(c.Key) != len(m.From.Key) || len(c.Sort) != len(q.sorts) {
			return nil, invalid("_cursor", "INVALID_PARAMETER", "the paging cursor is invalid")
		}
		p.cur = &c
	}
	return p, nil
}

// page adds the cursor's keyset condition, after the total is counted.
func (p *plan) page() error {
	c, q := p.cur, p.q
	if c == nil {
		return nil
	}
	if len(q.sorts) > 0 {
		pred, err := q.sortedBeyond(c.Sort, c.Key, c.Before)
		if err != nil {
			return invalid("_cursor", "INVALID_PARAMETER", "%v", err)
		}
		q.where(pred)
	} else {
		q.where(q.keyBeyond(c.Key, c.Before))
	}
	q.desc = c.Before
	return nil
}

// compileParam turns one parameter (all its repetitions, ANDed; each
// comma-separated list ORed) into a predicate.
func (e *Engine) compileParam(q *query, pr *paramReq) (sqlgen.Pred, error) {
	if pr.chain != nil {
		return e.compileChain(q, pr)
	}
	var ands []sqlgen.Pred
	for _, ors := range pr.ands {
		parts := make([]sqlgen.Pred, 0, len(ors))
		for _, v := range ors {
			p, err := e.compileValue(q, pr.sp, pr.key.Modifier, pr.raw, v)
			if err != nil {
				return nil, err
			}
			parts = append(parts, p)
		}
		if pr.key.Modifier == "not" {
			ands = append(ands, sqlgen.Group(parts...)) // code:not=a,b is neither a nor b
		} else {
			ands = append(ands, sqlgen.AnyOf(parts...))
		}
	}
	return sqlgen.AndAll(ands), nil
}

const noMatch = sqlgen.False

// maxCodes bounds the local codes one token value may stand for (a whole
// code system through a concept map, say), to stay within bind limits.
const maxCodes = 2000

// compileValue compiles one value of a parameter.
func (e *Engine) compileValue(q *query, sp *mapping.SearchParam, mod, raw string, v value) (sqlgen.Pred, error) {
	if sp.Type == "_id" {
		if mod == "missing" {
			if v.missing { // every resource has an id
				return noMatch, nil
			}
			return sqlgen.True, nil
		}
		k, err := q.m.KeyOf(v.str)
		if err != nil || !e.keyFits(q.m, k) {
			return noMatch, nil
		}
		return q.keyEquals(k), nil
	}
	if len(sp.Branches) > 0 {
		return e.compileBranches(q, sp, mod, raw, v)
	}
	c, err := e.source(q, sp, raw)
	if err != nil {
		return nil, err
	}
	if mod == "missing" {
		return e.missingPred(q, c, v.missing)
	}
	var pred sqlgen.Pred
	switch {
	case sp.PresenceOnly:
		pred = noMatch
	case sp.Constant != nil:
		pred = noMatch
		if paramTypes[sp.Type].constant(sp, mod, v) {
			pred = sqlgen.True
		}
	default:
		var err error
		if pred, err = paramTypes[sp.Type].pred(e, c, mod, v); err != nil {
			return nil, err
		}
	}
	if pred, err = e.withConds(q, c, pred); err != nil {
		return nil, err
	}
	if sp.Rows != nil && pred != noMatch {
		pred = e.exists(q, sp.Rows, c.alias, pred)
	}
	if mod != "not" {
		return pred, nil
	}
	if pred == noMatch {
		return sqlgen.True, nil
	}
	// Rows whose value is missing also match :not.
	return sqlgen.Otherwise(pred), nil
}

// compileBranches compiles one value of a parameter derived from several
// places of the element: it matches when any of them does (:not, when
// none does; :missing, when none shows a value).
func (e *Engine) compileBranches(q *query, sp *mapping.SearchParam, mod, raw string, v value) (sqlgen.Pred, error) {
	sub := mod
	if mod == "not" {
		sub = ""
	}
	var parts []sqlgen.Pred
	var firstErr error
	for _, br := range sp.Branches {
		if mod != "" && mod != "not" && mod != "missing" && sp.Type == "reference" && !slices.Contains(br.Target, mod) {
			continue // a :Type modifier: only the branches of that type
		}
		bv := v
		if mod == "missing" {
			bv = value{text: "false"} // where each branch shows a value
		}
		p, err := e.compileValue(q, br, sub, raw, bv)
		if ee, ok := AsError(err); ok && ee.Kind == KindInvalid && mod != "missing" {
			// A value one source cannot hold (x is no NHS number) is no
			// match there; it is an error only if no source can hold it.
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if p != noMatch {
			parts = append(parts, p)
		}
	}
	var pred sqlgen.Pred = noMatch
	if len(parts) > 0 {
		pred = sqlgen.Or(parts...)
	} else if firstErr != nil {
		return nil, firstErr
	}
	switch {
	case mod == "missing" && v.missing:
		if pred == noMatch {
			return sqlgen.True, nil
		}
		return sqlgen.Not(pred), nil
	case mod == "not":
		if pred == noMatch {
			return sqlgen.True, nil
		}
		return sqlgen.Otherwise(pred), nil
	}
	return pred, nil
}

// source is a parameter of one source as a query compares it: its SQL
// expressions, over the query's own table or, for a parameter on a child
// table, that table's alias inside an EXISTS (see exists).
func (e *Engine) source(q *query, sp *mapping.SearchParam, raw string) (*source, error) {
	c := &source{sp: sp, col: e.paramCol(sp), alias: q.alias, b: q.b, raw: raw}
	if sp.Rows != nil {
		c.alias = q.alias + "c"
	}
	if sp.SQL != "" {
		c.exprs = []string{sqlgen.Expr(sp.SQL)}
		return c, nil
	}
	if len(sp.Concat) > 0 {
		parts := make([]string, len(sp.Concat))
		for i, p := range sp.Concat {
			if p.Text != nil {
				// Typed, for databases that infer a parameter's type from
				// its function (PostgreSQL's CONCAT takes any type).
				parts[i] = q.b.CastText(q.b.Arg(*p.Text), adapters.KindText)
				continue
			}
			x := q.b.Col(c.alias, p.Column)
			if k := e.cat.Column(q.m, sp.Rows, p.Column).Kind; k != adapters.KindText && k != adapters.KindOther {
				x = q.b.CastText(x, k)
			}
			for _, f := range p.Forms {
				var err error
				if x, err = q.b.Form(x, f.Name, f.Args...); err != nil {
					return nil, fmt.Errorf("%s: %w", sp.Pos, err)
				}
			}
			parts[i] = x
		}
		x := sqlgen.Concat(parts)
		for _, f := range sp.ColumnForms {
			var err error
			if x, err = q.b.Form(x, f.Name, f.Args...); err != nil {
				return nil, fmt.Errorf("%s: %w", sp.Pos, err)
			}
		}
		c.exprs = []string{x}
		return c, nil
	}
	for _, name := range sp.Columns {
		x := q.b.Col(c.alias, name)
		// Forms apply to text columns only.
		if c.col.Type == "" || c.col.Kind == adapters.KindText {
			for _, f := range sp.ColumnForms {
				var err error
				if x, err = q.b.Form(x, f.Name, f.Args...); err != nil {
					return nil, fmt.Errorf("%s: %w", sp.Pos, err)
				}
			}
		}
		c.exprs = append(c.exprs, x)
	}
	return c, nil
}

// condPred is the predicate of a mapping condition on the row (over alias), as
// rendering tests it: a non-blank value, one of the listed values, a value
// the concept map knows, a comparison, a regular expression, or any or all
// of other conditions. Each part is true or false, never NULL, so that NOT
// inverts it as rendering does.
func (e *Engine) condPred(q *query, rows *mapping.Rows, alias string, cd *mapping.Cond) (sqlgen.Pred, error) {
	var p sqlgen.Pred
	switch {
	case len(cd.Any) > 0 || len(cd.All) > 0:
		subs := cd.Any
		if len(cd.All) > 0 {
			subs = cd.All
		}
		parts := make([]sqlgen.Pred, len(subs))
		for i, sub := range subs {
			var err error
			if parts[i], err = e.condPred(q, rows, alias, sub); err != nil {
				return nil, err
			}
		}
		if len(cd.Any) > 0 {
			p = sqlgen.AnyOf(parts...)
		} else {
			p = sqlgen.Group(parts...)
		}
	case cd.Op != "":
		var err error
		if p, err = e.comparePred(q, rows, alias, cd); err != nil {
			return nil, err
		}
	case cd.Matches != "":
		x := q.b.Col(alias, cd.Column)
		m, err := q.b.Matches(x, cd.Matches)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cd.Pos, err)
		}
		p = sqlgen.Group(sqlgen.NotNull(x), m)
	case len(cd.Forms) > 0:
		cc := e.cat.Column(q.m, rows, cd.Column)
		x := q.b.Col(alias, cd.Column)
		if cc.Kind != adapters.KindText {
			x = q.b.CastText(x, cc.Kind)
		}
		for _, f := range append(cd.Forms, mapping.Transform{Name: "trim"}) {
			var err error
			if x, err = q.b.Form(x, f.Name, f.Args...); err != nil {
				return nil, fmt.Errorf("%s: %w", cd.Pos, err)
			}
		}
		p = sqlgen.NotBlank(x)
	default:
		cc := e.cat.Column(q.m, rows, cd.Column)
		x := q.b.Col(alias, cd.Column)
		if cc.Kind != adapters.KindText {
			x = q.b.CastText(x, cc.Kind)
		}
		x, _ = q.b.Form(x, "trim")
		switch {
		case cd.Concept != nil:
			p = sqlgen.Group(sqlgen.NotNull(x), q.b.In(x, anys(cd.Concept.Locals())))
		case len(cd.Equals) == 0:
			p = sqlgen.NotBlank(x)
		default:
			p = sqlgen.Group(sqlgen.NotNull(x), q.b.In(x, anys(cd.Equals)))
		}
	}
	if cd.Not {
		return sqlgen.Not(p), nil
	}
	return p, nil
}

// sqlOps are the comparisons of a condition.
var sqlOps = map[string]string{"lt": "<", "le": "<=", "gt": ">", "ge": ">="}

// comparePred is the predicate of a comparison (see mapping.Cond): by the day,
// x lt D is x < start(D), le is x < start(D+1), gt is x >= start(D+1), ge
// is x >= start(D), each bound in the column's own form; with a number or
// another column, the comparison itself. NULL on either side is false.
func (e *Engine) comparePred(q *query, rows *mapping.Rows, alias string, cd *mapping.Cond) (sqlgen.Pred, error) {
	cc := e.cat.Column(q.m, rows, cd.Column)
	x := q.b.Col(alias, cd.Column)
	o := cd.Than
	switch {
	case o.ByDay():
		day := o.Day(e.set.Today())
		bound, op := day, "<"
		if cd.Op == "le" || cd.Op == "gt" {
			bound = day.AddDate(0, 0, 1)
		}
		if cd.Op == "gt" || cd.Op == "ge" {
			op = ">="
		}
		var arg string
		switch {
		case cd.Format != "":
			layout := cd.Layout()
			x, _ = q.b.Form(x, "trim")
			return sqlgen.Group(sqlgen.NotBlank(x), sqlgen.Cmp(x, op, q.b.Arg(bound.Format(layout)))), nil
		case cc.Kind == adapters.KindDate:
			arg = q.b.Arg(bound.Format("2006-01-02"))
		case cc.Kind == adapters.KindTimestampTZ:
			arg = q.b.Arg(q.b.TimeArg(bound.UTC(), cc.Type))
		default:
			arg = q.b.Arg(q.b.TimeArg(bound, cc.Type))
		}
		return sqlgen.Group(sqlgen.NotNull(x), sqlgen.Cmp(x, op, arg)), nil
	case o.Number != "":
		var n any = o.Number
		op := sqlOps[cd.Op]
		if i, err := strconv.ParseInt(o.Number, 10, 64); err == nil {
			n = i
		} else if cc.Kind == adapters.KindInteger {
			// An integer column against a fraction: x > 1.5 is x > 1 and
			// x < 1.5 is x < 2, so the value bound is an integer too
			// (PostgreSQL reads a parameter compared with an integer as one).
			r, _ := new(big.Rat).SetString(o.Number)
			floor := new(big.Int).Quo(r.Num(), r.Denom())
			if r.Sign() < 0 {
				floor.Sub(floor, big.NewInt(1))
			}
			if cd.Op == "gt" || cd.Op == "ge" {
				op, n = ">", floor.Int64()
			} else {
				op, n = "<", floor.Int64()+1
			}
		} else if f, err := strconv.ParseFloat(o.Number, 64); err == nil && cc.Kind != adapters.KindDecimal {
			n = f
		}
		return sqlgen.Group(sqlgen.NotNull(x), sqlgen.Cmp(x, op, q.b.Arg(q.b.ColumnArg(n, cc.Type)))), nil
	}
	y := q.b.Col(alias, o.Column)
	return sqlgen.Group(sqlgen.NotNull(x), sqlgen.NotNull(y), sqlgen.Cmp(x, sqlOps[cd.Op], y)), nil
}

// withConds adds a source's conditions to its predicate.
func (e *Engine) withConds(q *query, c *source, pred sqlgen.Pred) (sqlgen.Pred, error) {
	if pred == noMatch || len(c.sp.Conds) == 0 {
		return pred, nil
	}
	parts := []sqlgen.Pred{pred}
	for _, cd := range c.sp.Conds {
		p, err := e.condPred(q, c.sp.Rows, c.alias, cd)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	return sqlgen.Group(parts...), nil
}

// exists wraps a predicate on a child table's columns (aliased alias) in an
// EXISTS linked to the current row.
func (e *Engine) exists(q *query, r *mapping.Rows, alias string, pred sqlgen.Pred) sqlgen.Pred {
	link := make([]sqlgen.Pred, len(r.Link))
	for i, l := range r.Link {
		link[i] = sqlgen.Cmp(q.b.Col(alias, l), "=", q.col(r.ParentName[i]))
	}
	return q.b.Exists(r.Table, alias, link, r.Where, pred)
}

// missingPred compiles :missing=true|false: whether the parameter's
// column(s) hold a value (for a child table: whether any linked row does).
func (e *Engine) missingPred(q *query, c *source, missing bool) (sqlgen.Pred, error) {
	var shown sqlgen.Pred = sqlgen.True // a constant is shown wherever its conditions hold
	if c.sp.Constant == nil {
		text := c.col.Kind == adapters.KindText
		parts := make([]sqlgen.Pred, len(c.exprs))
		for i, x := range c.exprs {
			parts[i] = sqlgen.NotNull(x)
			if text {
				parts[i] = sqlgen.NotBlank(x) // blank text is not shown
			}
			if len(c.sp.Concepts) == 1 && c.sp.System == "" && text {
				// A code the map does not know is not shown either.
				if known := c.sp.Concepts[0].Locals(); len(known) <= maxCodes {
					parts[i] = sqlgen.Group(parts[i], q.b.In(x, anys(known)))
				}
			}
		}
		shown = sqlgen.Or(parts...)
	}
	shown, err := e.withConds(q, c, shown)
	if err != nil {
		return nil, err
	}
	if c.sp.Rows != nil {
		shown = e.exists(q, c.sp.Rows, c.alias, shown)
	}
	if !missing {
		return shown, nil
	}
	if shown == sqlgen.True {
		return noMatch, nil
	}
	return sqlgen.NotGroup(shown), nil
}

// compileChain compiles a chained parameter such as patient.identifier=…:
// the reference column must be among the keys of the target resources that
// match the chained parameter, found by a subquery over the target mapping
// within the request's access (a chain cannot find what a search of the
// target could not).
func (e *Engine) compileChain(q *query, pr *paramReq) (sqlgen.Pred, error) {
	tm := pr.chain.target
	tkey := e.cat.Key(tm)[0]
	// Each repetition of the parameter is a condition of its own: with
	// several references (child rows), one may match one value and
	// another the next.
	var ands []sqlgen.Pred
	for _, ors := range pr.chain.param.ands {
		sub := e.sub(q, tm)
		one := *pr.chain.param
		one.ands = [][]value{ors}
		pred, err := e.compileParam(sub, &one)
		if err != nil {
			if ee, ok := AsError(err); ok {
				ee.Param = pr.raw
				ee.Msg = fmt.Sprintf("in the chain %q: %s", pr.raw, ee.Msg)
			}
			return nil, err
		}
		sub.where(pred)
		if err := e.restrictTo(q.access, sub); err != nil {
			return nil, err
		}
		pred = sqlgen.AndAll(sub.preds)
		// Each source of the parameter that points to the target type.
		var alts []sqlgen.Pred
		for _, src := range pr.sp.Sources() {
			if !slices.Contains(src.Target, tm.Resource) || src.Constant != nil || src.PresenceOnly {
				continue
			}
			c, err := e.source(q, src, pr.raw)
			if err != nil {
				return nil, err
			}
			// A text reference to an integer key (or the other way round)
			// is compared as text: PostgreSQL has no = between the two.
			key := sub.col(tm.From.Key[0])
			crossed := src.SQL == "" && crossTyped(c.col.Kind, tkey.Kind)
			if crossed && tkey.Kind != adapters.KindText {
				key = q.b.CastText(key, tkey.Kind)
			}
			parts := make([]sqlgen.Pred, len(c.exprs))
			for i, x := range c.exprs {
				if crossed && c.col.Kind != adapters.KindText {
					x = q.b.CastText(x, c.col.Kind)
				}
				parts[i] = sqlgen.InSelect(x, key, sub.source(), pred)
			}
			p, err := e.withConds(q, c, sqlgen.Or(parts...))
			if err != nil {
				return nil, err
			}
			if src.Rows != nil {
				p = e.exists(q, src.Rows, c.alias, p)
			}
			alts = append(alts, p)
		}
		if len(alts) == 0 {
			ands = append(ands, noMatch)
			continue
		}
		ands = append(ands, sqlgen.Or(alts...))
	}
	return sqlgen.AndAll(ands), nil
}

// crossTyped tells whether one of two kinds is text and the other an
// integer.
func crossTyped(a, b adapters.Kind) bool {
	return a == adapters.KindText && b == adapters.KindInteger || a == adapters.KindInteger && b == adapters.KindText
}
