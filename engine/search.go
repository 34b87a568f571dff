package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/fhir/stu3"
	"github.com/ccfacade/ccfacade/mapping"
)

// SearchRequest is one search: the query parameters as received and where
// the links should point.
type SearchRequest struct {
	Type   string
	Params url.Values
	// Base is the service base URL, e.g. http://127.0.0.1:8080/fhir.
	Base string
	// Lenient ignores unknown parameters instead of failing (Prefer:
	// handling=lenient); the self link shows only what was used.
	Lenient bool
	// Compartment, when set, restricts the search to one patient's
	// compartment: GET [base]/Patient/{id}/{type}.
	Compartment *Compartment
}

// Compartment names a compartment: its type (Patient) and id.
type Compartment struct {
	Type, ID string
}

// transportParams are handled by the HTTP layer and ignored here.
var transportParams = map[string]bool{"_format": true, "_pretty": true}

// maxParamValues bounds the parameter values of one search: every value
// is a condition or an include the database works through.
const maxParamValues = 100

// distinctParams drops repeated values of a parameter (an AND of the same
// condition twice, the same include twice) and refuses a request with
// more values than any search needs.
func distinctParams(params url.Values) (url.Values, error) {
	out := make(url.Values, len(params))
	n := 0
	for name, values := range params {
		seen := make(map[string]bool, len(values))
		for _, v := range values {
			if !seen[v] {
				seen[v] = true
				out[name] = append(out[name], v)
				n++
			}
		}
	}
	if n > maxParamValues {
		return nil, &Error{Kind: KindInvalid, SpineCode: "INVALID_PARAMETER",
			Msg: fmt.Sprintf("the search has %d distinct parameter values; at most %d are taken", n, maxParamValues)}
	}
	return out, nil
}

// Search runs a search and returns a searchset Bundle.
func (e *Engine) Search(ctx context.Context, req SearchRequest) (*fhir.Object, error) {
	m, err := e.mappingFor(req.Type)
	if err != nil {
		return nil, err
	}
	if req.Params, err = distinctParams(req.Params); err != nil {
		return nil, err
	}
	if err := typesAllowed(ctx, []string{req.Type}); err != nil {
		return nil, err
	}
	if err := e.forbidden(ctx, m, req.Params); err != nil {
		return nil, err
	}
	if c := req.Compartment; c != nil && c.Type == "Patient" {
		if p := accessFrom(ctx).patientFor(req.Type); p != "" && p != c.ID {
			return nil, errDenied
		}
	}
	q := e.newQuery(m)
	q.access = accessFrom(ctx)
	used := url.Values{}
	count := e.opts.DefaultCount
	var token string
	total := "none"
	summaryCount := false
	summary := "" // true, text or data
	var elements []string
	var incs []include
	path := req.Type
	if c := req.Compartment; c != nil {
		sp := m.SearchParam(strings.ToLower(c.Type))
		if sp == nil || sp.Type != "reference" || !containsStr(sp.Target, c.Type) {
			return nil, &Error{Kind: KindNotFound, SpineCode: "NO_RECORD_FOUND", Msg: fmt.Sprintf("%s is not in the %s compartment", req.Type, c.Type)}
		}
		pred, err := e.compileParam(q, m, fhir.ParamKey{Name: sp.Name}, sp.Name, []string{c.Type + "/" + c.ID})
		if err != nil {
			return nil, err
		}
		q.where(pred)
		path = c.Type + "/" + c.ID + "/" + req.Type
	}

	names := make([]string, 0, len(req.Params))
	for k := range req.Params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		values := req.Params[name]
		switch {
		case transportParams[name]:
			continue
		case name == "_count":
			c, err := fhir.ParseCount(values[len(values)-1], e.opts.DefaultCount, e.opts.MaxCount)
			if err != nil {
				return nil, paramErr(err)
			}
			count = c
			if c == 0 {
				summaryCount = true // no entries: the total alone, as _summary=count
			}
			continue
		case name == "_cursor":
			token = values[len(values)-1]
			continue
		case name == "_total":
			switch v := values[len(values)-1]; v {
			case "none", "accurate", "estimate":
				total = v
			default:
				return nil, invalid(name, "INVALID_PARAMETER", "_total is none, estimate or accurate, not %q", v)
			}
			used[name] = values
			continue
		case name == "_sort":
			keys, err := q.parseSort(m, values[len(values)-1])
			if err != nil {
				if ee, ok := AsError(err); ok && req.Lenient && ee.Kind == KindNotSupported {
					continue
				}
				return nil, err
			}
			q.sorts = keys
			used[name] = values[len(values)-1:]
			continue
		case name == "_elements":
			for _, v := range values {
				for _, el := range strings.Split(v, ",") {
					el = strings.TrimSpace(el)
					if el == "" {
						continue
					}
					if t := stu3.Lookup(m.Resource); t == nil || (t.Index(el) < 0 && t.Index(el+"[x]") < 0) {
						return nil, invalid(name, "INVALID_PARAMETER", "_elements: %s has no element %q", m.Resource, el)
					}
					elements = append(elements, el)
				}
			}
			used[name] = values
			continue
		case name == "_summary":
			switch v := values[len(values)-1]; v {
			case "count":
				summaryCount = true
			case "false":
			case "true", "text", "data":
				summary = v
			default:
				return nil, invalid(name, "INVALID_PARAMETER", "_summary is true, text, data, count or false, not %q", v)
			}
			used[name] = values
			continue
		case name == "_include" || name == "_revinclude" || strings.HasPrefix(name, "_include:") || strings.HasPrefix(name, "_revinclude:"):
			for _, v := range values {
				inc, err := e.parseInclude(m, name, v)
				if err != nil {
					if ee, ok := AsError(err); ok && req.Lenient && ee.Kind == KindNotSupported {
						continue
					}
					return nil, err
				}
				incs = append(incs, inc)
			}
			used[name] = values
			continue
		}
		key, err := fhir.ParseParamKey(name)
		if err != nil {
			return nil, paramErr(err)
		}
		pred, err := e.compileParam(q, m, key, name, values)
		if err != nil {
			var ee *Error
			if req.Lenient && errors.As(err, &ee) && ee.Kind == KindNotSupported {
				continue
			}
			return nil, err
		}
		q.where(pred)
		used[name] = values
	}

	if err := e.restrict(ctx, q); err != nil {
		return nil, err
	}
	pg := e.newPager(req.Base, path, used.Encode(), "", count)

	n := -1
	if total != "none" || summaryCount {
		// A count over the same conditions, before the page's keyset: the
		// planner's estimate where the database has one and it is asked
		// for, else the exact count.
		c, err := e.total(ctx, q, total == "estimate" && !summaryCount)
		if err != nil {
			return nil, err
		}
		n = c
	}

	var cur *cursor
	if token != "" {
		c, err := pg.open(token)
		if err != nil {
			return nil, err
		}
		if len(c.Key) != len(m.From.Key) || len(c.Sort) != len(q.sorts) {
			return nil, invalid("_cursor", "INVALID_PARAMETER", "the paging cursor is invalid")
		}
		cur = &c
		if len(q.sorts) > 0 {
			pred, err := q.sortedBeyond(c.Sort, c.Key, c.Before)
			if err != nil {
				return nil, invalid("_cursor", "INVALID_PARAMETER", "%v", err)
			}
			q.where(pred)
		} else {
			q.where(q.keyBeyond(c.Key, c.Before))
		}
		q.desc = c.Before
	}

	links := []fhir.Link{pg.self(token)}
	if count == 0 || summaryCount {
		return fhir.SearchSet("", "", n, links, nil), nil
	}

	rows, err := e.fetch(ctx, m, q, count+1)
	if err != nil {
		return nil, err
	}
	more := len(rows) > count
	if more {
		rows = rows[:count]
	}
	if q.desc {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	keyOf := func(r *mapping.Row) []string {
		k := make([]string, len(m.From.Key))
		for i := range k {
			k[i] = keyText(r.Vals[i])
		}
		return k
	}
	sortOf := func(r *mapping.Row) []sortVal {
		if len(q.sorts) == 0 {
			return nil
		}
		out := make([]sortVal, len(q.sorts))
		base := len(m.Cols.Names)
		for i := range q.sorts {
			out[i] = sortValOf(r.Vals[base+2*i+1])
		}
		return out
	}
	if len(rows) > 0 {
		backward := cur != nil && cur.Before
		if more || backward {
			last := rows[len(rows)-1]
			links = append(links, pg.to("next", cursor{Key: keyOf(last), Sort: sortOf(last)}))
		}
		if (cur != nil && !cur.Before) || (backward && more) {
			links = append(links, pg.to("previous", cursor{Before: true, Key: keyOf(rows[0]), Sort: sortOf(rows[0])}))
		}
	}
	if cur != nil {
		links = append(links, fhir.Link{Relation: "first", URL: pg.link()})
	}

	entries := make([]fhir.Entry, 0, len(rows))
	var keep func(string) bool
	if len(elements) > 0 || summary != "" {
		keep = keeper(m.Resource, elements, summary)
	}
	for _, r := range rows {
		en, ok := e.entry(m, r, req.Base, "match")
		if ok && keep != nil {
			en.Resource = subset(en.Resource.(*fhir.Object), keep)
		}
		entries = append(entries, en)
	}
	if len(incs) > 0 && len(rows) > 0 {
		included, err := e.included(ctx, m, rows, incs, req.Base, entries)
		if err != nil {
			return nil, err
		}
		entries = append(entries, included...)
	}
	return fhir.SearchSet("", "", n, links, entries), nil
}

func paramErr(err error) error {
	var pe *fhir.ParamError
	if errors.As(err, &pe) {
		return &Error{Kind: KindInvalid, Param: pe.Param, SpineCode: "INVALID_PARAMETER", Msg: pe.Error()}
	}
	return &Error{Kind: KindInvalid, SpineCode: "INVALID_PARAMETER", Msg: err.Error()}
}

func notSupported(param, format string, args ...any) *Error {
	return &Error{Kind: KindNotSupported, Param: param, SpineCode: "INVALID_PARAMETER", Msg: fmt.Sprintf(format, args...)}
}

// SupportedParams lists the search parameters of a mapping, as the
// CapabilityStatement and error messages show them.
func SupportedParams(m *mapping.Mapping) []string {
	out := []string{"_id"}
	if m.From.Updated != "" {
		out = append(out, "_lastUpdated")
	}
	for _, p := range m.Search {
		out = append(out, p.Name)
	}
	return out
}

// compileParam turns one parameter (all its repetitions, ANDed; each
// comma-separated list ORed) into an SQL predicate.
func (e *Engine) compileParam(q *query, m *mapping.Mapping, key fhir.ParamKey, raw string, values []string) (string, error) {
	var sp *mapping.SearchParam
	switch key.Name {
	case "_id":
		sp = &mapping.SearchParam{Name: "_id", Type: "_id"}
	case "_lastUpdated":
		if m.From.Updated == "" {
			return "", notSupported(raw, "%s has no last-updated column, so _lastUpdated is not supported", m.Resource)
		}
		sp = &mapping.SearchParam{Name: "_lastUpdated", Type: "date", Columns: []string{m.From.Updated}, DateGrain: 5, ColType: m.From.UpdatedType}
	default:
		sp = m.SearchParam(key.Name)
	}
	if sp == nil {
		if strings.HasPrefix(key.Name, "_") {
			return "", notSupported(raw, "parameter %q is not supported (result parameters supported: _count)", raw)
		}
		return "", notSupported(raw, "unknown search parameter %q for %s (supported: %s)", raw, m.Resource, strings.Join(SupportedParams(m), ", "))
	}
	if key.Chain != "" {
		return e.compileChain(q, m, sp, key, raw, values)
	}
	if err := checkModifier(sp, key.Modifier); err != nil {
		return "", err
	}
	var ands []string
	for _, v := range values {
		var ors []string
		for _, item := range fhir.SplitOr(v) {
			p, err := e.compileValue(q, m, sp, key, raw, item)
			if err != nil {
				return "", err
			}
			ors = append(ors, p)
		}
		if len(ors) == 0 {
			return "", invalid(raw, "INVALID_PARAMETER", "parameter %q has an empty value", raw)
		}
		join := " OR "
		if key.Modifier == "not" {
			join = " AND " // code:not=a,b is neither a nor b
		}
		ands = append(ands, "("+strings.Join(ors, join)+")")
	}
	return strings.Join(ands, " AND "), nil
}

func checkModifier(sp *mapping.SearchParam, mod string) error {
	if mod == "" || mod == "missing" {
		return nil
	}
	ok := false
	switch sp.Type {
	case "string":
		ok = mod == "exact" || mod == "contains"
	case "token":
		// :text matches the displays of the concept maps the token goes
		// through; without a map there is no text to match.
		ok = mod == "not" || (mod == "text" && len(sp.Concepts) > 0)
	case "reference":
		ok = containsStr(sp.Target, mod)
	}
	if !ok {
		return notSupported(sp.Name+":"+mod, "modifier :%s is not supported on %s parameter %q", mod, sp.Type, sp.Name)
	}
	return nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

const noMatch = "1 = 0"

// maxCodes bounds the local codes one token value may stand for (a whole
// code system through a concept map, say), to stay within bind limits.
const maxCodes = 2000

// compileValue compiles one value of a parameter.
func (e *Engine) compileValue(q *query, m *mapping.Mapping, sp *mapping.SearchParam, key fhir.ParamKey, raw, v string) (string, error) {
	if sp.Type == "_id" {
		if key.Modifier == "missing" {
			// Every resource has an id.
			switch v {
			case "true":
				return noMatch, nil
			case "false":
				return "1 = 1", nil
			}
			return "", invalid(raw, "INVALID_PARAMETER", "parameter %q: :missing takes true or false, not %q", raw, v)
		}
		if !fhir.IsValidID(v) {
			return "", invalid(raw, "INVALID_PARAMETER", "%q is not a valid id", v)
		}
		k, err := mapping.DecodeID(v, len(m.From.Key))
		if err != nil || !keyFits(m, k) {
			return noMatch, nil
		}
		return q.keyEquals(k), nil
	}
	if len(sp.Branches) > 0 {
		return e.compileBranches(q, m, sp, key, raw, v)
	}
	alias, exprs := q.paramExprs(sp)
	if key.Modifier == "missing" {
		return q.missingPred(sp, raw, v, alias, exprs)
	}
	var pred string
	var err error
	switch {
	case sp.PresenceOnly:
		pred = noMatch
	case sp.Constant != nil:
		pred, err = e.constantPred(sp, key.Modifier, raw, v)
	default:
		pred, err = e.sourcePred(q, sp, key, raw, v, alias, exprs)
	}
	if err != nil {
		return "", err
	}
	pred = q.withConds(sp, alias, pred)
	not := key.Modifier == "not"
	if sp.Rows != nil && pred != noMatch {
		pred = q.exists(sp.Rows, alias, pred)
	}
	if !not {
		return pred, nil
	}
	if pred == noMatch {
		return "1 = 1", nil
	}
	// Rows whose value is missing also match :not; CASE keeps NULL out of
	// the negation.
	return "CASE WHEN " + pred + " THEN 0 ELSE 1 END = 1", nil
}

// compileBranches compiles one value of a parameter derived from several
// places of the element: it matches when any of them does (:not, when
// none does; :missing, when none shows a value).
func (e *Engine) compileBranches(q *query, m *mapping.Mapping, sp *mapping.SearchParam, key fhir.ParamKey, raw, v string) (string, error) {
	sub := key
	if key.Modifier == "not" {
		sub.Modifier = ""
	}
	var parts []string
	var firstErr error
	for _, br := range sp.Branches {
		if key.Modifier != "" && key.Modifier != "not" && key.Modifier != "missing" && sp.Type == "reference" && !containsStr(br.Target, key.Modifier) {
			continue // a :Type modifier: only the branches of that type
		}
		bk := sub
		if key.Modifier == "missing" {
			bk.Modifier = "missing"
			p, err := e.compileValue(q, m, br, bk, raw, "false")
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
			continue
		}
		p, err := e.compileValue(q, m, br, bk, raw, v)
		if ee, ok := AsError(err); ok && ee.Kind == KindInvalid {
			// A value one source cannot hold (x is no NHS number) is no
			// match there; it is an error only if no source can hold it.
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if err != nil {
			return "", err
		}
		if p != noMatch {
			parts = append(parts, p)
		}
	}
	pred := noMatch
	if len(parts) > 0 {
		pred = orJoin(parts)
	} else if firstErr != nil && key.Modifier != "missing" {
		return "", firstErr
	}
	switch key.Modifier {
	case "missing":
		switch v {
		case "true":
			if pred == noMatch {
				return "1 = 1", nil
			}
			return "NOT " + pred, nil
		case "false":
			return pred, nil
		}
		return "", invalid(raw, "INVALID_PARAMETER", "parameter %q: :missing takes true or false, not %q", raw, v)
	case "not":
		if pred == noMatch {
			return "1 = 1", nil
		}
		return "CASE WHEN " + pred + " THEN 0 ELSE 1 END = 1", nil
	}
	return pred, nil
}

// constantPred compares a value the element shows without a column (a
// fixed code, a fixed name) with a search value, here, once.
func (e *Engine) constantPred(sp *mapping.SearchParam, mod, raw, v string) (string, error) {
	c := *sp.Constant
	match := false
	switch sp.Type {
	case "string":
		s, err := fhir.ParseStringValue(raw, v)
		if err != nil {
			return "", paramErr(err)
		}
		switch mod {
		case "exact":
			match = c == s
		case "contains":
			match = strings.Contains(fhir.Fold(c), fhir.Fold(s))
		default:
			match = strings.HasPrefix(fhir.Fold(c), fhir.Fold(s))
		}
	case "token":
		tv, err := fhir.ParseTokenValue(raw, v)
		if err != nil {
			return "", paramErr(err)
		}
		sysOK := !tv.HasSystem || (tv.System == "" && sp.System == "") || (tv.System != "" && sameSystem(tv.System, sp.System))
		match = sysOK && (tv.Code == "" || tv.Code == c)
	default:
		return noMatch, nil
	}
	if match {
		return "1 = 1", nil
	}
	return noMatch, nil
}

// sourcePred compiles one value against one source's columns.
func (e *Engine) sourcePred(q *query, sp *mapping.SearchParam, key fhir.ParamKey, raw, v, alias string, exprs []string) (string, error) {
	b := q.b
	d := b.d
	var pred string
	var err error
	switch sp.Type {
	case "string":
		pred, err = e.stringPred(b, sp, key.Modifier, raw, v, exprs)
	case "token":
		switch {
		case key.Modifier == "text":
			pred, err = e.tokenTextPred(b, sp, raw, v, exprs)
		case sp.SystemFrom != nil:
			sys := "(" + sp.SystemFrom.SQL + ")"
			if sp.SystemFrom.Column != "" {
				sys = alias + "." + d.Quote(sp.SystemFrom.Column)
			}
			pred, err = e.tokenSystemPred(b, sp, raw, v, exprs, sys)
		default:
			pred, err = e.tokenPred(b, sp, raw, v, exprs)
		}
	case "date":
		pred, err = e.datePred(b, sp, raw, v, exprs)
	case "reference":
		pred, err = e.referencePred(b, sp, key.Modifier, raw, v, exprs)
	default:
		return "", notSupported(raw, "search type %s is not supported", sp.Type)
	}
	return pred, err
}

// paramExprs are the SQL expressions a parameter compares, and the alias
// of the table they are over: the query's own, or for a parameter on a
// child table, that table's inside an EXISTS (see exists).
func (q *query) paramExprs(sp *mapping.SearchParam) (alias string, exprs []string) {
	alias = q.alias
	if sp.Rows != nil {
		alias = q.alias + "c"
	}
	if sp.SQL != "" {
		return alias, []string{"(" + sp.SQL + ")"}
	}
	for _, c := range sp.Columns {
		exprs = append(exprs, q.b.columnForm(alias+"."+q.b.d.Quote(c), sp.ColumnForms, sp.ColType))
	}
	return alias, exprs
}

// columnForm is a column in the form the element renders it: trimmed,
// without spaces, upper or lower case, an NHS number without its spaces
// and hyphens. Forms apply to text columns only.
func (b *sqlBuilder) columnForm(x string, forms []string, colType string) string {
	if colType != "" && !mapping.IsTextType(colType) {
		return x
	}
	for _, f := range forms {
		switch f {
		case "trim":
			if t, ok := b.d.(adapters.Trimmer); ok {
				x = t.Trim(x)
			} else {
				x = "TRIM(" + x + ")"
			}
		case "compact":
			x = "REPLACE(" + x + ", ' ', '')"
		case "upper":
			x = "UPPER(" + x + ")"
		case "lower":
			x = "LOWER(" + x + ")"
		case "nhs-number":
			x = "REPLACE(REPLACE(" + x + ", ' ', ''), '-', '')"
		}
	}
	return x
}

// condPred is the SQL of a mapping condition on a column (over alias): a
// non-blank value, or one of the listed values, as rendering tests it.
func (q *query) condPred(alias string, c *mapping.Cond) string {
	x := q.b.columnForm("CAST("+alias+"."+q.b.d.Quote(c.Column)+" AS VARCHAR(4000))", []string{"trim"}, "")
	var p string
	switch {
	case c.Concept != nil:
		p = "(" + x + " IS NOT NULL AND " + q.b.inList(x, anys(c.Concept.Locals())) + ")"
	case len(c.Equals) == 0:
		p = "(" + x + " IS NOT NULL AND " + x + " <> '')"
	default:
		p = "(" + x + " IS NOT NULL AND " + q.b.inList(x, anys(c.Equals)) + ")"
	}
	if c.Not {
		return "NOT " + p
	}
	return p
}

// withConds adds a source's conditions to its predicate.
func (q *query) withConds(sp *mapping.SearchParam, alias, pred string) string {
	if pred == noMatch || len(sp.Conds) == 0 {
		return pred
	}
	parts := []string{pred}
	for _, c := range sp.Conds {
		parts = append(parts, q.condPred(alias, c))
	}
	return "(" + strings.Join(parts, " AND ") + ")"
}

// exists wraps a predicate on a child table's columns (aliased alias) in an
// EXISTS linked to the current row.
func (q *query) exists(r *mapping.Rows, alias, pred string) string {
	d := q.b.d
	var link []string
	for i, l := range r.Link {
		link = append(link, alias+"."+d.Quote(l)+" = "+q.col(r.ParentName[i]))
	}
	if r.Where != "" {
		link = append(link, "("+r.Where+")")
	}
	return "EXISTS (SELECT 1 FROM " + d.Quote(r.Table) + " " + alias + " WHERE " + strings.Join(link, " AND ") + " AND " + pred + ")"
}

// missingPred compiles :missing=true|false: whether the parameter's
// column(s) hold a value (for a child table: whether any linked row does).
func (q *query) missingPred(sp *mapping.SearchParam, raw, v, alias string, exprs []string) (string, error) {
	var missing bool
	switch v {
	case "true":
		missing = true
	case "false":
	default:
		return "", invalid(raw, "INVALID_PARAMETER", "parameter %q: :missing takes true or false, not %q", raw, v)
	}
	present := "1 = 1" // a constant is shown wherever its conditions hold
	if sp.Constant == nil {
		parts := make([]string, len(exprs))
		for i, x := range exprs {
			parts[i] = x + " IS NOT NULL"
			if mapping.IsTextType(sp.ColType) {
				parts[i] = "(" + parts[i] + " AND " + x + " <> '')" // blank text is not shown
			}
			if len(sp.Concepts) == 1 && sp.System == "" && mapping.IsTextType(sp.ColType) {
				// A code the map does not know is not shown either.
				if known := sp.Concepts[0].Locals(); len(known) <= maxCodes {
					parts[i] = "(" + parts[i] + " AND " + q.b.inList(x, anys(known)) + ")"
				}
			}
		}
		present = orJoin(parts)
	}
	present = q.withConds(sp, alias, present)
	if sp.Rows != nil {
		present = q.exists(sp.Rows, alias, present)
	}
	if missing {
		if present == "1 = 1" {
			return noMatch, nil
		}
		return "NOT (" + present + ")", nil
	}
	return present, nil
}

func orJoin(parts []string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

func (e *Engine) stringPred(b *sqlBuilder, sp *mapping.SearchParam, mod, raw, v string, exprs []string) (string, error) {
	s, err := fhir.ParseStringValue(raw, v)
	if err != nil {
		return "", paramErr(err)
	}
	for _, t := range sp.Transforms {
		out, err := t.Apply(s)
		if err != nil {
			return "", invalid(raw, "INVALID_PARAMETER", "parameter %q: value %q: %v", raw, s, err)
		}
		s = fmt.Sprint(out)
	}
	var parts []string
	switch mod {
	case "exact":
		for _, x := range exprs {
			if ex, ok := b.d.(adapters.Exacter); ok {
				parts = append(parts, ex.Exact(x, b.arg(s)))
			} else {
				parts = append(parts, x+" = "+b.arg(s))
			}
		}
	case "contains":
		for _, x := range exprs {
			parts = append(parts, b.d.ILike(x, b.arg("%"+fhir.LikeEscape(s)+"%")))
		}
	default:
		for _, x := range exprs {
			parts = append(parts, b.d.ILike(x, b.arg(fhir.LikeEscape(s)+"%")))
		}
	}
	return orJoin(parts), nil
}

func (e *Engine) tokenPred(b *sqlBuilder, sp *mapping.SearchParam, raw, v string, exprs []string) (string, error) {
	tv, err := fhir.ParseTokenValue(raw, v)
	if err != nil {
		return "", paramErr(err)
	}
	var codes []string
	if len(sp.Concepts) > 0 {
		seen := map[string]bool{}
		// With a system of its own too, the column's codes are in that
		// system, and a value in it matches them as they are.
		if sp.System != "" && (!tv.HasSystem || sameSystem(tv.System, sp.System)) {
			if tv.Code == "" {
				parts := make([]string, len(exprs))
				for i, x := range exprs {
					parts[i] = x + " IS NOT NULL"
				}
				return orJoin(parts), nil
			}
			seen[tv.Code] = true
			codes = append(codes, tv.Code)
		}
		for _, c := range sp.Concepts {
			var found []string
			if tv.Code == "" {
				found = c.InSystem(tv.System)
			} else {
				found = c.Reverse(tv.System, tv.HasSystem, tv.Code)
			}
			for _, f := range found {
				if !seen[f] {
					seen[f] = true
					codes = append(codes, f)
				}
			}
		}
		if len(codes) == 0 {
			return noMatch, nil
		}
	} else {
		if tv.HasSystem && !sameSystem(tv.System, sp.System) {
			return noMatch, nil
		}
		if tv.Code == "" {
			parts := make([]string, len(exprs))
			for i, x := range exprs {
				parts[i] = x + " IS NOT NULL"
			}
			return orJoin(parts), nil
		}
		code := tv.Code
		for _, t := range sp.Transforms {
			out, err := t.Apply(code)
			if err != nil {
				spine := "INVALID_PARAMETER"
				if errors.Is(err, mapping.ErrBadNHSNumber) {
					spine = "INVALID_NHS_NUMBER"
				}
				return "", invalid(raw, spine, "parameter %q: value %q: %v", raw, tv.Code, err)
			}
			code = fmt.Sprint(out)
		}
		codes = []string{code}
	}
	if len(codes) > maxCodes {
		return "", &Error{Kind: KindInvalid, Param: raw, SpineCode: "INVALID_PARAMETER",
			Msg: fmt.Sprintf("parameter %q: %q stands for %d codes here; search for fewer", raw, v, len(codes))}
	}
	var args []any
	for _, c := range codes {
		if sp.Numeric {
			// A numeric column compares with a number; a value that is
			// none, or a fraction for a column of whole numbers, can
			// match no row (and PostgreSQL would refuse it).
			if n, err := strconv.ParseInt(c, 10, 64); err == nil {
				args = append(args, n)
			} else if f, err := strconv.ParseFloat(c, 64); err == nil && !sp.Integer && !math.IsInf(f, 0) && !math.IsNaN(f) {
				args = append(args, f)
			}
			continue
		}
		args = append(args, c)
	}
	if len(args) == 0 {
		return noMatch, nil
	}
	var parts []string
	for _, x := range exprs {
		phs := make([]string, len(args))
		for i, a := range args {
			phs[i] = b.arg(a)
		}
		parts = append(parts, b.codeIn(x, phs, sp.Numeric))
	}
	return orJoin(parts), nil
}

// codeIn is the predicate that expr equals one of the codes bound at phs,
// case included (a code is case-sensitive, and the map that renders it
// is): through the dialect's Exacter where its = may ignore case.
func (b *sqlBuilder) codeIn(expr string, phs []string, numeric bool) string {
	ex, exact := b.d.(adapters.Exacter)
	exact = exact && !numeric
	if len(phs) == 1 {
		if exact {
			return ex.Exact(expr, phs[0])
		}
		return expr + " = " + phs[0]
	}
	if exact {
		return ex.ExactIn(expr, phs)
	}
	return expr + " IN (" + strings.Join(phs, ", ") + ")"
}

// tokenSystemPred compiles a token against codes whose system is held per
// row, in the SQL expression sys (through the parameter's system map, if
// any): system|code matches both, code the code in any system a coding is
// shown for, |code a code shown without a system, system| any code of the
// system.
func (e *Engine) tokenSystemPred(b *sqlBuilder, sp *mapping.SearchParam, raw, v string, exprs []string, sys string) (string, error) {
	tv, err := fhir.ParseTokenValue(raw, v)
	if err != nil {
		return "", paramErr(err)
	}
	// Through a concept map, a row whose system the map does not know
	// shows no coding, so no token finds it: code alone is searched in the
	// known systems, and |code (a code without a system) finds nothing.
	// Without a map the column holds the URIs, and a NULL is no system.
	known := sp.SystemFrom.Known()
	var sysPred string
	switch {
	case tv.HasSystem && tv.System == "":
		if len(known) > 0 {
			return noMatch, nil
		}
		sysPred = sys + " IS NULL"
	case !tv.HasSystem && len(known) > 0:
		sysPred = b.inList(sys, anys(known))
	case tv.HasSystem:
		locals := sp.SystemFrom.Locals(tv.System)
		if len(locals) == 0 {
			return noMatch, nil
		}
		if len(locals) == 1 {
			sysPred = sys + " = " + b.arg(locals[0])
		} else {
			sysPred = b.inList(sys, anys(locals))
		}
	}
	var codePreds []string
	if tv.Code == "" {
		for _, x := range exprs {
			codePreds = append(codePreds, x+" IS NOT NULL")
		}
	} else {
		code := tv.Code
		for _, t := range sp.Transforms {
			out, err := t.Apply(code)
			if err != nil {
				return "", invalid(raw, "INVALID_PARAMETER", "parameter %q: value %q: %v", raw, tv.Code, err)
			}
			code = fmt.Sprint(out)
		}
		var arg any = code
		if sp.Numeric {
			n, err := strconv.ParseInt(code, 10, 64)
			if err != nil {
				return noMatch, nil
			}
			arg = n
		}
		for _, x := range exprs {
			codePreds = append(codePreds, b.codeIn(x, []string{b.arg(arg)}, sp.Numeric))
		}
	}
	pred := orJoin(codePreds)
	if sysPred != "" {
		pred = "(" + sysPred + " AND " + pred + ")"
	}
	return pred, nil
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// sameSystem compares a token's system with the parameter's, accepting the
// older spellings of Care Connect code system URLs.
func sameSystem(given, want string) bool {
	if given == want {
		return true
	}
	return canonicalSystem(given) == canonicalSystem(want) && want != ""
}

func canonicalSystem(s string) string {
	for _, old := range []string{"https://fhir.hl7.org.uk/STU3/CodeSystem/", "https://fhir.hl7.org.uk/STU3/", "https://fhir.hl7.org.uk/"} {
		if strings.HasPrefix(s, old) && strings.HasPrefix(s[len(old):], "CareConnect-") {
			return "https://fhir.hl7.org.uk/STU3/CodeSystem/" + s[len(old):]
		}
	}
	return s
}

func (e *Engine) referencePred(b *sqlBuilder, sp *mapping.SearchParam, mod, raw, v string, exprs []string) (string, error) {
	rv, err := fhir.ParseReferenceValue(raw, mod, v)
	if err != nil {
		return "", paramErr(err)
	}
	targets := sp.Target
	if rv.Type != "" {
		if !containsStr(sp.Target, rv.Type) {
			return noMatch, nil
		}
		targets = []string{rv.Type}
	}
	var parts []string
	for _, t := range targets {
		tm := e.set.Lookup(t)
		if tm == nil || len(tm.From.Key) != 1 {
			continue
		}
		k, err := mapping.DecodeID(rv.ID, 1)
		if err != nil {
			continue
		}
		var arg any = k[0]
		if sp.Numeric {
			n, err := strconv.ParseInt(k[0], 10, 64)
			if err != nil {
				continue
			}
			arg = n
		}
		for _, x := range exprs {
			parts = append(parts, x+" = "+b.arg(arg))
		}
	}
	if len(parts) == 0 {
		return noMatch, nil
	}
	return orJoin(parts), nil
}

// compileChain compiles a chained parameter such as patient.identifier=…:
// the reference column must be among the keys of the target resources that
// match the chained parameter, found by a subquery over the target mapping.
func (e *Engine) compileChain(q *query, m *mapping.Mapping, sp *mapping.SearchParam, key fhir.ParamKey, raw string, values []string) (string, error) {
	if sp.Type != "reference" {
		return "", notSupported(raw, "parameter %q is not a reference, so it cannot be chained", sp.Name)
	}
	target := key.Modifier
	switch {
	case target != "" && !containsStr(sp.Target, target):
		return "", notSupported(raw, "parameter %q does not point to %s (it points to %s)", sp.Name, target, strings.Join(sp.Target, ", "))
	case target == "" && len(sp.Target) != 1:
		return "", invalid(raw, "INVALID_PARAMETER", "parameter %q points to %s: say which with %s:Type.%s", sp.Name, strings.Join(sp.Target, ", "), sp.Name, key.Chain)
	case target == "":
		target = sp.Target[0]
	}
	tm := e.set.Lookup(target)
	if tm == nil || len(tm.From.Key) != 1 {
		return "", notSupported(raw, "chained search through %s is not supported", target)
	}
	if !q.access.allows(target) {
		return "", &Error{Kind: KindForbidden, SpineCode: "ACCESS DENIED", Param: raw,
			Msg: fmt.Sprintf("the chain %q reads %s, which this token's scopes do not allow", raw, target)}
	}
	if strings.Contains(key.Chain, ".") {
		return "", notSupported(raw, "chains of more than one step (%q) are not supported", raw)
	}
	chainKey, err := fhir.ParseParamKey(key.Chain)
	if err != nil {
		return "", paramErr(err)
	}
	// Each repetition of the parameter is a condition of its own: with
	// several references (child rows), one may match one value and
	// another the next.
	var ands []string
	for _, v := range values {
		sub := q.sub(tm)
		pred, err := e.compileParam(sub, tm, chainKey, key.Chain, []string{v})
		if err != nil {
			if ee, ok := AsError(err); ok {
				ee.Param = raw
				ee.Msg = fmt.Sprintf("in the chain %q: %s", raw, ee.Msg)
			}
			return "", err
		}
		// The chain's target is searched within the request's access: a
		// chain cannot find what a search of the target could not.
		sub.where(pred)
		if err := e.restrictTo(q.access, sub); err != nil {
			return "", err
		}
		pred = strings.Join(sub.preds, " AND ")
		// Each source of the parameter that points to the target type.
		var ors []string
		for _, src := range sp.Sources() {
			if !containsStr(src.Target, target) || src.Constant != nil || src.PresenceOnly {
				continue
			}
			alias, exprs := q.paramExprs(src)
			// A text reference to an integer key (or the other way round)
			// is compared as text: PostgreSQL has no = between the two.
			key := sub.col(tm.From.Key[0])
			crossed := src.SQL == "" && crossTyped(src.ColType, keyType(tm.From.KeyTypes))
			if crossed {
				key = "CAST(" + key + " AS VARCHAR(40))"
			}
			in := " IN (SELECT " + key + " FROM " + sub.source() + " WHERE " + pred + ")"
			parts := make([]string, len(exprs))
			for i, x := range exprs {
				if crossed && !mapping.IsTextType(src.ColType) {
					x = "CAST(" + x + " AS VARCHAR(40))"
				}
				parts[i] = x + in
			}
			p := q.withConds(src, alias, orJoin(parts))
			if src.Rows != nil {
				p = q.exists(src.Rows, alias, p)
			}
			ors = append(ors, p)
		}
		if len(ors) == 0 {
			ands = append(ands, noMatch)
			continue
		}
		ands = append(ands, orJoin(ors))
	}
	return strings.Join(ands, " AND "), nil
}

// crossTyped tells whether one of two column types is text and the other
// an integer.
func crossTyped(a, b string) bool {
	return mapping.IsTextType(a) && mapping.IsIntegerType(b) || mapping.IsIntegerType(a) && mapping.IsTextType(b)
}

// keeper says which top-level elements _elements or _summary keep.
func keeper(resourceType string, elements []string, summary string) func(string) bool {
	names := elements
	switch summary {
	case "true":
		names, _ = profile.Summary(resourceType)
	case "text":
		names = []string{"text"}
		if t := stu3.Lookup(resourceType); t != nil {
			for _, el := range t.Elements {
				if el.Min > 0 {
					names = append(names, strings.TrimSuffix(el.Name, "[x]"))
				}
			}
		}
	case "data":
		return func(name string) bool { return name != "text" }
	}
	// The reference to the patient a resource belongs to is always kept
	// (servers may return more than asked): a subsetted resource still
	// says whose data it is, to the consumer and to the audit trail.
	keep := map[string]bool{"resourceType": true, "id": true, "meta": true}
	if fhir.InPatientCompartment(resourceType) && resourceType != "Patient" {
		keep["subject"], keep["patient"] = true, true
	}
	for _, n := range names {
		keep[n] = true
	}
	return func(name string) bool {
		name = strings.TrimPrefix(name, "_") // a primitive's companion goes with it
		return keep[name] || keepChoice(name, names)
	}
}

// subset keeps resourceType, id, meta and the elements keep accepts, and
// marks the resource SUBSETTED as FHIR requires.
func subset(res *fhir.Object, keep func(string) bool) *fhir.Object {
	out := fhir.NewObject(len(res.Fields) + 1)
	for _, f := range res.Fields {
		if !keep(f.Name) && f.Name != "meta" {
			continue
		}
		if f.Name == "meta" {
			meta := fhir.NewObject(len(f.Value.(*fhir.Object).Fields) + 1)
			meta.Fields = append(meta.Fields, f.Value.(*fhir.Object).Fields...)
			meta.Add("tag", fhir.Array{fhir.NewObject(3).
				Add("system", fhir.String("http://hl7.org/fhir/v3/ObservationValue")).
				Add("code", fhir.String("SUBSETTED")).
				Add("display", fhir.String("subsetted"))})
			out.Add("meta", meta)
			continue
		}
		out.Add(f.Name, f.Value)
	}
	return out
}

// keepChoice reports whether name is a typed form of a choice element named
// in elements ("deceased" keeps deceasedDateTime).
func keepChoice(name string, elements []string) bool {
	for _, e := range elements {
		if len(name) > len(e) && strings.HasPrefix(name, e) && name[len(e)] >= 'A' && name[len(e)] <= 'Z' {
			return true
		}
	}
	return false
}

// tokenTextPred compiles token:text: the local codes whose map entry's
// display starts with the text (ignoring case), as FHIR string search does.
func (e *Engine) tokenTextPred(b *sqlBuilder, sp *mapping.SearchParam, raw, v string, exprs []string) (string, error) {
	text, err := fhir.ParseStringValue(raw, v)
	if err != nil {
		return "", paramErr(err)
	}
	var codes []any
	seen := map[string]bool{}
	for _, c := range sp.Concepts {
		for _, local := range c.ByDisplay(text) {
			if !seen[local] {
				seen[local] = true
				codes = append(codes, local)
			}
		}
	}
	if len(codes) == 0 {
		return noMatch, nil
	}
	parts := make([]string, len(exprs))
	for i, x := range exprs {
		parts[i] = b.inList(x, codes)
	}
	return orJoin(parts), nil
}

// entry renders a row as a Bundle entry of the given mode. A row that
// cannot be served (a problem under an "error" policy) becomes an outcome
// entry naming the problem, and ok is false.
func (e *Engine) entry(m *mapping.Mapping, r *mapping.Row, base, mode string) (en fhir.Entry, ok bool) {
	res, problems := m.Render(r)
	id := res.GetString("id")
	if fatal := e.report(m, id, problems); fatal != nil {
		return fhir.Entry{Mode: "outcome", Resource: fhir.OperationOutcome("", fhir.Issue{
			Severity: "error", Code: "processing",
			Diagnostics: fmt.Sprintf("%s/%s cannot be served: %s: %s", m.Resource, id, fatal.Path, fatal.Msg),
		})}, false
	}
	return fhir.Entry{FullURL: base + "/" + m.Resource + "/" + id, Resource: res, Mode: mode}, true
}
