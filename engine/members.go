package engine

// A type several mappings serve (on R4, ServiceRequest from the
// ReferralRequest and ProcedureRequest mappings): a read goes to the
// mapping whose id-prefix the id has; a search runs in each mapping in
// turn, in the order of the set, and its pages follow on from one mapping
// to the next.

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
)

// memberPlan is one mapping's part of a search of several.
type memberPlan struct {
	m *mapping.Mapping
	p *plan
	// none: a parameter another mapping takes, and this one has no
	// element for, finds none of its resources (memberParams).
	none bool
}

// memberParams are a search's parameters for one of several mappings
// served as a type. A parameter another of them takes that this one does
// not (ServiceRequest's occurrence, which only the diary entries have)
// searches an element its resources lack: :missing=true and :not find
// them all (the parameter is dropped), anything else finds none of them
// (ok false). When its resources do show the parameter's element (its
// mapping builds it, and only has no parameter to search it), the search
// cannot be answered: an error says which mapping lacks the parameter.
func (e *Engine) memberParams(m *mapping.Mapping, ms []*mapping.Mapping, params url.Values) (url.Values, bool, error) {
	takes := func(m *mapping.Mapping, name string) bool {
		if name == "_lastUpdated" {
			return e.lastUpdated(m) != nil
		}
		return e.param(m, name) != nil
	}
	out := url.Values{}
	ok := true
	for raw, values := range params {
		key, err := fhir.ParseParamKey(raw)
		if err != nil || (strings.HasPrefix(key.Name, "_") && key.Name != "_lastUpdated") || takes(m, key.Name) ||
			!slices.ContainsFunc(ms, func(o *mapping.Mapping) bool { return takes(o, key.Name) }) {
			out[raw] = values
			continue
		}
		if e.shows(m, key.Name) {
			return nil, false, notSupported(raw, "%s=: the %s of %s (%s) show the element %s searches, but that mapping has no parameter %s to search them by", raw, e.typ(m), m.File, m.Resource, key.Name, key.Name)
		}
		switch {
		case key.Modifier == "missing" && key.Chain == "":
			if slices.Contains(values, "false") {
				ok = false
			}
		case key.Modifier == "not" && key.Chain == "":
		default:
			ok = false
		}
	}
	return out, ok, nil
}

// shows tells whether a mapping's resources may show the element a
// parameter of its type searches, by the parameter's definition in the
// engine's release (a parameter of no definition: may).
func (e *Engine) shows(m *mapping.Mapping, name string) bool {
	if name == "_lastUpdated" {
		return false // no last-updated column, no meta.lastUpdated
	}
	def, ok := e.table().LookupSearchParameter(e.typ(m), name)
	if !ok {
		return true
	}
	root := m.RootIn(e.ver)
	for _, p := range def.Paths {
		first, _, _ := strings.Cut(p, ".")
		first, _, _ = strings.Cut(first, "|")
		choice, _, isChoice := strings.Cut(first, "[")
		for _, f := range root.Fields {
			if f.Name == first || isChoice && strings.HasPrefix(f.Name, choice) {
				return true
			}
		}
	}
	return false
}

// searchMembers answers a search of a type several mappings serve. Every
// mapping must take every parameter (the CapabilityStatement offers only
// those all of them take); the parameters are parsed, authorized and
// planned for each. Matches come mapping by mapping, each in its key
// order, so _sort, which would interleave them, is refused; a page that
// ends one mapping's matches goes on with the next one's, and its next
// link carries on where it stopped.
func (e *Engine) searchMembers(ctx context.Context, req SearchRequest, ms []*mapping.Mapping) (*fhir.Object, error) {
	parts := make([]memberPlan, len(ms))
	for i, m := range ms {
		mreq := req
		params, ok, err := e.memberParams(m, ms, req.Params)
		if err != nil {
			return nil, err
		}
		mreq.Params = params
		sr, err := e.parseSearchOf(m, mreq)
		if err != nil {
			return nil, err
		}
		if len(sr.sort) > 0 {
			return nil, notSupported("_sort", "_sort: the %s resources come from %d mappings, each in its own order; %s cannot be sorted", req.Type, len(ms), req.Type)
		}
		if err := e.authorize(ctx, sr); err != nil {
			return nil, err
		}
		cursor := sr.cursor
		sr.cursor = "" // opened once, below, for the mapping it is in
		p, err := e.plan(ctx, sr, req.Base)
		if err != nil {
			return nil, err
		}
		sr.cursor = cursor
		parts[i] = memberPlan{m: m, p: p, none: !ok}
	}
	// The links: the parameters as every mapping's part used them.
	sr := parts[0].p.req
	used := url.Values{}
	for _, mp := range parts {
		for k, v := range mp.p.req.used {
			used[k] = v
		}
	}
	path := req.Type
	if c := req.Compartment; c != nil {
		path = c.Type + "/" + c.ID + "/" + path
	}
	pager := e.newPager(req.Base, path, used, sr.transport, "", sr.count)
	start := 0
	var cur *cursor
	if sr.cursor != "" {
		c, err := pager.open(sr.cursor)
		if err != nil {
			return nil, err
		}
		if c.Before || c.Member < 0 || c.Member >= len(parts) || len(c.Sort) != 0 ||
			(len(c.Key) != 0 && len(c.Key) != len(parts[c.Member].m.From.Key)) {
			return nil, invalid("_cursor", "INVALID_PARAMETER", "the paging cursor is invalid")
		}
		start, cur = c.Member, &c
		if len(c.Key) > 0 {
			parts[start].p.cur = cur
		}
	}
	n := -1
	if sr.total != "none" || sr.summaryCount {
		n = 0
		for _, mp := range parts {
			if mp.none {
				continue
			}
			c, err := e.total(ctx, mp.p.q, sr.total == "estimate" && !sr.summaryCount)
			if err != nil {
				return nil, err
			}
			n += c
		}
	}
	links := []fhir.Link{pager.self(sr.cursor)}
	if sr.count == 0 || sr.summaryCount {
		return fhir.SearchSet("", "", n, links, nil), nil
	}
	var entries, included []fhir.Entry
	need := sr.count
	var next *cursor
	for i := start; i < len(parts) && next == nil; i++ {
		mp := parts[i]
		if mp.none {
			continue
		}
		if err := mp.p.page(); err != nil {
			return nil, err
		}
		if need == 0 {
			// The page is full: is there more, in this mapping or a later one?
			rows, err := e.fetch(ctx, mp.m, mp.p.q, 1)
			if err != nil {
				return nil, err
			}
			if len(rows) > 0 {
				next = &cursor{Member: i}
			}
			continue
		}
		rows, err := e.fetch(ctx, mp.m, mp.p.q, need+1)
		if err != nil {
			return nil, err
		}
		if len(rows) > need {
			rows = rows[:need]
			k := make([]string, len(mp.m.From.Key))
			for j := range k {
				k[j] = keyText(rows[len(rows)-1].Vals[j])
			}
			next = &cursor{Member: i, Key: k}
		}
		need -= len(rows)
		msr := mp.p.req
		var keep func(string) bool
		if len(msr.elements) > 0 || msr.summary != "" {
			keep = keeper(e.table(), e.typ(mp.m), msr.elements, msr.summary, e.patientElements(mp.m))
		}
		matched := make([]fhir.Entry, 0, len(rows))
		for _, r := range rows {
			en, ok := e.entry(mp.m, r, req.Base, "match", e.raw(msr) && keep == nil)
			if ok && keep != nil {
				en.Resource = subset(en.Resource.(*fhir.Object), keep, e.ver)
			}
			matched = append(matched, en)
		}
		entries = append(entries, matched...)
		if len(msr.includes) > 0 && len(rows) > 0 {
			inc, err := e.included(ctx, mp.m, rows, msr.includes, req.Base, append(entries, included...), e.raw(msr))
			if err != nil {
				return nil, err
			}
			included = append(included, inc...)
		}
	}
	if next != nil {
		links = append(links, pager.to("next", *next))
	}
	if cur != nil {
		links = append(links, fhir.Link{Relation: "first", URL: pager.link()})
	}
	return fhir.SearchSet("", "", n, links, append(entries, included...)), nil
}
