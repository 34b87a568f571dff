package engine

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/r4"
	"github.com/ccfacade/ccfacade/fhir/spec"
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
	// JSON says the Bundle will be written as compact JSON: its resources
	// may then come already encoded (fhir.Rendered), without a value tree.
	JSON bool
	// Mapping, when set, searches that mapping's resources alone, of a
	// type several mappings serve (lint samples each).
	Mapping *mapping.Mapping
}

// Compartment names a compartment: its type (Patient) and id.
type Compartment struct {
	Type, ID string
}

// Search runs a search and returns a searchset Bundle: the request is
// parsed once, checked against the token's access, compiled into a plan,
// and the plan run.
func (e *Engine) Search(ctx context.Context, req SearchRequest) (*fhir.Object, error) {
	if m := req.Mapping; m != nil {
		if !m.Serves(e.ver) || e.typ(m) != req.Type {
			return nil, &Error{Kind: KindUnknownType, Msg: fmt.Sprintf("%s is not served as %s %s", m.Resource, e.ver, req.Type), SpineCode: "NO_RECORD_FOUND"}
		}
		return answer(ctx, req.Base, func() (*searchReq, error) { return e.parseSearchOf(m, req) }, e.authorize, e.plan, e.run)
	}
	if ms := e.set.LookupIn(e.ver, req.Type); len(ms) > 1 {
		return e.searchMembers(ctx, req, ms)
	}
	return answer(ctx, req.Base, func() (*searchReq, error) { return e.parseSearch(req) }, e.authorize, e.plan, e.run)
}

// answer answers a request in the stages a search and $everything share:
// parse it, check it against the token's access, compile it into a plan
// (links under base) and run the plan; the first stage to fail ends it.
func answer[R, P any](ctx context.Context, base string, parse func() (R, error), authorize func(context.Context, R) error,
	plan func(context.Context, R, string) (P, error), run func(context.Context, P, string) (*fhir.Object, error)) (*fhir.Object, error) {
	r, err := parse()
	if err != nil {
		return nil, err
	}
	if err := authorize(ctx, r); err != nil {
		return nil, err
	}
	p, err := plan(ctx, r, base)
	if err != nil {
		return nil, err
	}
	return run(ctx, p, base)
}

// run executes a plan: the total when asked for, the page, its links, its
// entries and what they include.
func (e *Engine) run(ctx context.Context, p *plan, base string) (*fhir.Object, error) {
	sr, q, m := p.req, p.q, p.req.m
	n := -1
	if sr.total != "none" || sr.summaryCount {
		// A count over the same conditions, before the page's keyset: the
		// planner's estimate where the database has one and it is asked
		// for, else the exact count.
		c, err := e.total(ctx, q, sr.total == "estimate" && !sr.summaryCount)
		if err != nil {
			return nil, err
		}
		n = c
	}
	if err := p.page(); err != nil {
		return nil, err
	}
	links := []fhir.Link{p.pager.self(sr.cursor)}
	if sr.count == 0 || sr.summaryCount {
		return fhir.SearchSet("", "", n, links, nil), nil
	}
	rows, err := e.fetch(ctx, m, q, sr.count+1)
	if err != nil {
		return nil, err
	}
	more := len(rows) > sr.count
	if more {
		rows = rows[:sr.count]
	}
	if q.desc {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	links = append(links, p.links(rows, more)...)
	entries := make([]fhir.Entry, 0, len(rows))
	var keep func(string) bool
	if len(sr.elements) > 0 || sr.summary != "" {
		keep = keeper(e.table(), e.typ(m), sr.elements, sr.summary, e.patientElements(m))
	}
	for _, r := range rows {
		en, ok := e.entry(m, r, base, "match", e.raw(sr) && keep == nil)
		if ok && keep != nil {
			en.Resource = subset(en.Resource.(*fhir.Object), keep, e.ver)
		}
		entries = append(entries, en)
	}
	if len(sr.includes) > 0 && len(rows) > 0 {
		included, err := e.included(ctx, m, rows, sr.includes, base, entries, e.raw(sr))
		if err != nil {
			return nil, err
		}
		entries = append(entries, included...)
	}
	return fhir.SearchSet("", "", n, links, entries), nil
}

// links are a page's next, previous and first links.
func (p *plan) links(rows []*mapping.Row, more bool) []fhir.Link {
	q, cur, m := p.q, p.cur, p.req.m
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
	var links []fhir.Link
	if len(rows) > 0 {
		backward := cur != nil && cur.Before
		if more || backward {
			last := rows[len(rows)-1]
			links = append(links, p.pager.to("next", cursor{Key: keyOf(last), Sort: sortOf(last)}))
		}
		if (cur != nil && !cur.Before) || (backward && more) {
			links = append(links, p.pager.to("previous", cursor{Before: true, Key: keyOf(rows[0]), Sort: sortOf(rows[0])}))
		}
	}
	if cur != nil {
		links = append(links, fhir.Link{Relation: "first", URL: p.pager.link()})
	}
	return links
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

// supportedParams lists the search parameters of a mapping, as the
// CapabilityStatement and error messages show them: the ones the engine
// implements for every mapping that this one has, then its own.
func (e *Engine) supportedParams(m *mapping.Mapping) []string {
	var out []string
	for _, name := range e.paramNames(m) {
		if _, err := e.lookupParam(m, fhir.ParamKey{Name: name}, name); err == nil {
			out = append(out, name)
		}
	}
	return out
}

// paramNames are the names a search of m may take: the parameters the
// facade implements for every mapping, then the mapping's own.
func (e *Engine) paramNames(m *mapping.Mapping) []string {
	return append(mapping.ReservedParams(), m.SearchNamesIn(e.ver)...)
}

// keeper says which top-level elements (by JSON name) _elements or
// _summary keep. Besides those asked for, every element the release
// (table: STU3's or R4's) makes mandatory (min 1) is kept, as the
// specification asks of servers, and _summary=true keeps every element it
// marks isSummary: both from the release's table, so a choice element
// keeps each of its typed forms (medication[x] keeps
// medicationReference). patient are the elements that name the
// resource's patient, kept too.
func keeper(table *spec.Release, resourceType string, elements []string, summary string, patient []string) func(string) bool {
	if summary == "data" {
		return func(name string) bool { return name != "text" }
	}
	keep := map[string]bool{"resourceType": true, "id": true, "meta": true}
	t := table.Lookup(resourceType)
	keepElement := func(el *spec.Element) {
		if !el.Choice() {
			keep[el.Name] = true
			return
		}
		for _, typ := range el.Types {
			keep[spec.JSONName(el.Name, typ)] = true
		}
	}
	names := elements
	if summary == "text" {
		names = []string{"text"}
	}
	for _, n := range names {
		keep[n] = true // a typed form asked for by its own name: deceasedDateTime
		if el, _, ok := t.Element(n + "[x]"); ok {
			keepElement(el) // a choice element by its name: deceased
		}
	}
	if t != nil {
		for i := range t.Elements {
			if el := &t.Elements[i]; el.Min > 0 || summary == "true" && el.Summary {
				keepElement(el)
			}
		}
	}
	// The reference to the patient a resource belongs to (patient, the
	// elements that put it in the Patient compartment) is always kept
	// (servers may return more than asked): a subsetted resource still
	// says whose data it is, to the consumer and to the audit trail.
	for _, n := range patient {
		keep[n] = true
	}
	return func(name string) bool {
		return keep[strings.TrimPrefix(name, "_")] // a primitive's companion goes with it
	}
}

// subset keeps resourceType, id, meta and the elements keep accepts, and
// marks the resource SUBSETTED as FHIR requires (in the tag system of
// release v): in its meta, or in one made for the tag (after id) when it
// has none (no profile, no last-updated column).
func subset(res *fhir.Object, keep func(string) bool, v mapping.Version) *fhir.Object {
	tagSystem := "http://hl7.org/fhir/v3/ObservationValue"
	if v == mapping.R4 {
		tagSystem = mapping.R4System(tagSystem, "SUBSETTED")
	}
	out := fhir.NewObject(len(res.Fields) + 1)
	tagged := func(m *fhir.Object) *fhir.Object {
		meta := fhir.NewObject(len(m.Fields) + 1)
		meta.Fields = append(meta.Fields, m.Fields...)
		return meta.Add("tag", fhir.Array{fhir.NewObject(3).
			Add("system", fhir.String(tagSystem)).
			Add("code", fhir.String("SUBSETTED")).
			Add("display", fhir.String("subsetted"))})
	}
	hasMeta := res.Get("meta") != nil
	for _, f := range res.Fields {
		switch {
		case f.Name == "meta":
			out.Add("meta", tagged(f.Value.(*fhir.Object)))
		case keep(f.Name):
			out.Add(f.Name, f.Value)
			if f.Name == "id" && !hasMeta {
				out.Add("meta", tagged(fhir.NewObject(0)))
			}
		}
	}
	return out
}

// raw tells whether a search's resources are rendered straight to JSON.
func (e *Engine) raw(sr *searchReq) bool { return sr.json && !e.opts.TreeOnly }

// entry renders a row as a Bundle entry of the given mode. A row that
// cannot be served (a problem under an "error" policy) becomes an outcome
// entry naming the problem, and ok is false.
//
// With raw, the resource is rendered straight to JSON (fhir.Rendered), for
// a response in JSON that needs no tree of it.
func (e *Engine) entry(m *mapping.Mapping, r *mapping.Row, base, mode string, raw bool) (en fhir.Entry, ok bool) {
	var res fhir.Value
	var id string
	var problems []mapping.Problem
	if raw {
		rd, ps := m.RenderJSONIn(e.ver, r, e.opts.Coverage)
		res, id, problems = rd, rd.ID, ps
	} else {
		o, ps := m.RenderIn(e.ver, r, e.opts.Coverage)
		res, id, problems = o, o.GetString("id"), ps
	}
	if fatal := e.report(m, id, problems); fatal != nil {
		return fhir.Entry{Mode: "outcome", Resource: fhir.OperationOutcome("", fhir.Issue{
			Severity: "error", Code: "processing",
			Diagnostics: fmt.Sprintf("%s/%s cannot be served: %s: %s", e.typ(m), id, fatal.Path, fatal.Msg),
		})}, false
	}
	return fhir.Entry{FullURL: base + "/" + e.typ(m) + "/" + id, Resource: res, Mode: mode}, true
}

// table is the table of the engine's release: its elements, search
// parameters and compartments.
func (e *Engine) table() *spec.Release { return tableOf(e.ver) }

// tableOf is the table of a release.
func tableOf(v mapping.Version) *spec.Release {
	if v == mapping.R4 {
		return r4.Release
	}
	return stu3.Release
}
