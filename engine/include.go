package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlgen"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
)

// include is one _include or _revinclude: a reference parameter of the
// mapping `from` to follow, forwards (from resources of type from to their
// targets) or in reverse (from resources of type from to the resources of
// type target they point to). An iterate include applies to the resources
// the first round included as well as to the matches (one level).
type include struct {
	from    *mapping.Mapping
	sp      *mapping.SearchParam // nil: every reference parameter (_include=*)
	rev     bool
	target  string // the target type to follow ("" all its targets)
	iterate bool
}

// parseInclude reads Type:param[:target], or * for every reference
// parameter of the searched type. name is _include or _revinclude, with
// :iterate (or STU3's :recurse) to follow one more level.
func (e *Engine) parseInclude(m *mapping.Mapping, name, v string) (include, error) {
	return e.parseIncludeFrom(m, name, v, nil)
}

// parseIncludes parses one value of _include or _revinclude: a reverse
// include of a type several mappings serve is one include from each of
// them that has the parameter.
func (e *Engine) parseIncludes(m *mapping.Mapping, name, v string) ([]include, error) {
	typ, _, _ := strings.Cut(v, ":")
	ms := e.set.LookupIn(e.ver, typ)
	if base, _, _ := strings.Cut(name, ":"); base != "_revinclude" || len(ms) < 2 {
		inc, err := e.parseInclude(m, name, v)
		return []include{inc}, err
	}
	var out []include
	var firstErr error
	for _, o := range ms {
		inc, err := e.parseIncludeFrom(m, name, v, o)
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		out = append(out, inc)
	}
	if len(out) == 0 {
		return nil, firstErr
	}
	return out, nil
}

// parseIncludeFrom parses an include from the resources of one mapping
// (nil: of the type the value names).
func (e *Engine) parseIncludeFrom(m *mapping.Mapping, name, v string, of *mapping.Mapping) (include, error) {
	base, mod, _ := strings.Cut(name, ":")
	rev := base == "_revinclude"
	iterate := mod == "iterate" || mod == "recurse"
	if mod != "" && !iterate {
		return include{}, notSupported(name, "%s: unknown modifier :%s (supported: :iterate, :recurse)", name, mod)
	}
	if v == "*" && !rev {
		return include{from: m, iterate: iterate}, nil
	}
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return include{}, invalid(name, "INVALID_PARAMETER", "%s=%q: expected Type:parameter or Type:parameter:TargetType", name, v)
	}
	from := e.lookup(parts[0])
	if of != nil {
		from = of
	}
	if from == nil && parts[0] == e.typ(m) {
		from = m // the searched type, of several mappings: this one's part of the search
	}
	if from == nil {
		if ms := e.set.LookupIn(e.ver, parts[0]); len(ms) > 1 {
			return include{}, notSupported(name, "%s=%s: the %s resources come from %d mappings, and are not included from another type's search", name, v, parts[0], len(ms))
		}
		return include{}, notSupported(name, "%s=%s: %s is not served here", name, v, parts[0])
	}
	if !rev && !iterate && from != m {
		return include{}, invalid(name, "INVALID_PARAMETER", "_include=%s: includes start from the searched type %s (use _include:iterate to start from included resources)", v, e.typ(m))
	}
	sp := e.param(from, parts[1])
	if sp == nil || sp.Type != "reference" {
		return include{}, notSupported(name, "%s=%s: %s has no reference parameter %q", name, v, e.typ(from), parts[1])
	}
	followable := false
	for _, src := range sp.Sources() {
		followable = followable || src.Col >= 0
	}
	if !followable {
		return include{}, notSupported(name, "%s=%s: the parameter is not bound to one column of the resource's row, so it cannot be followed", name, v)
	}
	inc := include{from: from, sp: sp, rev: rev, iterate: iterate}
	if len(parts) == 3 {
		if !slices.Contains(sp.Target, parts[2]) {
			return include{}, invalid(name, "INVALID_PARAMETER", "%s=%s: %s does not point to %s", name, v, parts[1], parts[2])
		}
		inc.target = parts[2]
	}
	if rev {
		switch {
		case inc.target != "":
		case slices.Contains(sp.Target, m.Resource):
			inc.target = m.Resource
		case iterate && len(sp.Target) == 1:
			inc.target = sp.Target[0]
		default:
			return include{}, invalid(name, "INVALID_PARAMETER", "_revinclude=%s: %s does not point to %s", v, parts[1], e.typ(m))
		}
		if tm := e.lookup(inc.target); tm == nil || len(tm.From.Key) != 1 {
			return include{}, notSupported(name, "_revinclude=%s: %s is not served with a one-column key", v, inc.target)
		}
	}
	return inc, nil
}

// included fetches the resources the includes name, one query per included
// type and round (plus child collections), marked search.mode=include and
// de-duplicated against the page and each other.
func (e *Engine) included(ctx context.Context, m *mapping.Mapping, page []*mapping.Row, incs []include, base string, matches []fhir.Entry, raw bool) ([]fhir.Entry, error) {
	seen := map[string]bool{}
	for _, en := range matches {
		seen[en.FullURL] = true
	}
	var first, iter []include
	for _, inc := range incs {
		if inc.iterate {
			iter = append(iter, inc)
		} else {
			first = append(first, inc)
		}
	}
	pool := map[*mapping.Mapping][]*mapping.Row{m: page}
	budget := &includeBudget{left: e.opts.MaxIncluded}
	out, got, err := e.follow(ctx, pool, first, base, seen, budget, raw)
	if err == nil && len(iter) > 0 {
		for tm, rows := range got {
			pool[tm] = append(pool[tm], rows...)
		}
		var more []fhir.Entry
		more, _, err = e.follow(ctx, pool, iter, base, seen, budget, raw)
		out = append(out, more...)
	}
	if err == nil && budget.cut {
		out = append(out, fhir.Entry{Mode: "outcome", Resource: fhir.OperationOutcome("", fhir.Issue{
			Severity: "warning", Code: "too-costly",
			Diagnostics: fmt.Sprintf("only the first %d included resources are in this page; page with a smaller _count to get the rest", e.opts.MaxIncluded),
		})})
	}
	return out, err
}

// includeBudget is how many more resources a page's includes may add, and
// whether some were left out for want of it.
type includeBudget struct {
	left int
	cut  bool
}

// follow runs one round of includes over the resources in pool, returning
// the new entries and the rows they were rendered from, by type.
func (e *Engine) follow(ctx context.Context, pool map[*mapping.Mapping][]*mapping.Row, incs []include, base string, seen map[string]bool, budget *includeBudget, raw bool) ([]fhir.Entry, map[*mapping.Mapping][]*mapping.Row, error) {
	got := map[*mapping.Mapping][]*mapping.Row{}
	var out []fhir.Entry
	// add appends the entries of rows not in the bundle yet, each taking
	// one of the budget's; one left over for want of budget cuts the list.
	add := func(tm *mapping.Mapping, rows []*mapping.Row) {
		for _, r := range rows {
			en, ok := e.entry(tm, r, base, "include", raw)
			if ok && seen[en.FullURL] {
				continue
			}
			if budget.left == 0 {
				budget.cut = true
				return
			}
			budget.left--
			if !ok {
				out = append(out, en) // the outcome entry that says why
				continue
			}
			seen[en.FullURL] = true
			out = append(out, en)
			got[tm] = append(got[tm], r)
		}
	}
	// Forward: group the referenced keys by target type.
	keys := map[string][]any{}
	var order []string
	var revs []include
	for _, inc := range incs {
		if inc.rev {
			revs = append(revs, inc)
			continue
		}
		var params []*mapping.SearchParam
		if inc.sp != nil {
			params = inc.sp.Sources()
		} else { // _include=*
			for _, p := range inc.from.Search {
				if p.Type == "reference" {
					params = append(params, p.Sources()...)
				}
			}
		}
		for _, sp := range params {
			if sp.Col < 0 {
				continue
			}
			for _, r := range pool[inc.from] {
				v := r.Vals[sp.Col]
				if v == nil || !sp.Applies(r.Vals, e.set.Today) {
					continue
				}
				for _, t := range sp.Target {
					if inc.target == "" || inc.target == t {
						if _, ok := keys[t]; !ok {
							order = append(order, t)
						}
						keys[t] = append(keys[t], v)
					}
				}
			}
		}
	}
	access := accessFrom(ctx)
	for _, typ := range order {
		tm := e.lookup(typ)
		if tm == nil || len(tm.From.Key) != 1 || !access.allows(typ) {
			continue // a type the token's scopes do not allow is not included
		}
		vals := dedupe(keys[typ])
		if len(vals) > budget.left {
			vals, budget.cut = vals[:budget.left], true
		}
		if len(vals) == 0 {
			continue
		}
		rows, err := e.fetchByKeys(ctx, tm, tm.From.Key[0], e.cat.Key(tm)[0].Kind, vals, noLimit)
		if err != nil {
			return nil, nil, err
		}
		// A key held by two rows (a table without a unique key, or one
		// whose collation folds case) finds both; add holds the budget.
		add(tm, rows)
	}
	// Reverse: resources whose reference column holds the id of a resource
	// of the target type in the pool.
	for _, inc := range revs {
		tm := e.lookup(inc.target)
		var ids []any
		for _, r := range pool[tm] {
			ids = append(ids, r.Vals[0])
		}
		if len(ids) == 0 || !access.allows(e.typ(inc.from)) {
			continue
		}
		var rows []*mapping.Row
		for _, src := range inc.sp.Sources() {
			if src.Rows != nil || len(src.Columns) != 1 || src.SQL != "" || !slices.Contains(src.Target, inc.target) {
				continue
			}
			// One more than the budget tells whether it cut the list.
			got, err := e.fetchByKeys(ctx, inc.from, src.Columns[0], e.paramCol(src).Kind, ids, budget.left+1-len(rows))
			if err != nil {
				return nil, nil, err
			}
			rows = append(rows, got...)
		}
		// More rows than the budget (fetched one over it) may leave more
		// unfetched, even when some were in the bundle already.
		if len(rows) > budget.left {
			budget.cut = true
		}
		add(inc.from, rows)
	}
	return out, got, nil
}

// noLimit is fetchByKeys's limit for no limit.
const noLimit = -1

// fetchByKeys fetches at most limit rows of m whose column col (of kind
// kind) holds one of vals, within the request's access,
// keysPerStatement values to a statement; vals may repeat. A limit of
// noLimit bounds nothing: for a key column the keys bound the rows, and a
// statement without a LIMIT keeps one text for any number of keys.
func (e *Engine) fetchByKeys(ctx context.Context, m *mapping.Mapping, col string, kind adapters.Kind, vals []any, limit int) ([]*mapping.Row, error) {
	fit := vals[:0:0]
	for _, v := range vals {
		if f, ok := fitArg(v, kind); ok {
			fit = append(fit, f)
		}
	}
	vals = dedupe(fit)
	var out []*mapping.Row
	for len(vals) > 0 && (limit == noLimit || len(out) < limit) {
		n := min(keysPerStatement, len(vals))
		q := e.newQuery(m)
		q.where(q.b.In(q.col(col), vals[:n]))
		if err := e.restrict(ctx, q); err != nil {
			return nil, err
		}
		lim := 0 // no LIMIT
		if limit != noLimit {
			lim = limit - len(out)
		}
		rows, err := e.fetch(ctx, m, q, lim)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		vals = vals[n:]
	}
	return out, nil
}

func dedupe(vals []any) []any {
	seen := map[string]bool{}
	var out []any
	for _, v := range vals {
		k := fmt.Sprint(v)
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}

// total counts the rows matching the query's conditions: SELECT COUNT(*),
// or, when estimate is asked and the adapter can, the planner's estimate of
// the rows of the plain SELECT (counted after all where the planner has
// no estimate for it).
func (e *Engine) total(ctx context.Context, q *query, estimate bool) (int, error) {
	if est, ok := e.db.(adapters.Estimator); ok && estimate {
		sqlText := sqlgen.Probe(q.source(), q.conds())
		if e.opts.Trace != nil {
			e.opts.Trace(sqlText, q.b.Args())
		}
		n, err := est.Estimate(ctx, sqlText, q.b.Args())
		if err == nil {
			return int(n), nil
		}
		if !errors.Is(err, adapters.ErrNoEstimate) {
			return 0, dbError(ctx, err)
		}
	}
	sqlText := sqlgen.Count(q.source(), q.conds())
	rows, err := e.queryRows(ctx, sqlText, q.b.Args(), 1, stmtSource{q.m.From.Pos, q.m.Resource + " (count)"})
	if err != nil {
		return 0, err
	}
	switch v := rows[0][0].(type) {
	case int64:
		return int(v), nil
	case string:
		var n int
		fmt.Sscan(v, &n)
		return n, nil
	}
	return 0, fmt.Errorf("count: unexpected %T", rows[0][0])
}
