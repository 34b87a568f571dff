package engine

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
)

// EverythingRequest asks for one patient's record: GET
// [base]/Patient/{id}/$everything, or by identifier (an NHS number).
type EverythingRequest struct {
	PatientID string
	// Params: start, end, _since, _type, _count, _cursor; for a request by
	// identifier also identifier.
	Params url.Values
	Base   string
}

// compartmentOrder puts the record in the order a clinician reads it.
var compartmentOrder = []string{"AllergyIntolerance", "Condition", "Procedure", "Observation", "Encounter",
	"MedicationStatement", "MedicationRequest", "Immunization"}

// Compartment lists the mapped types in the Patient compartment: those with
// a reference parameter "patient" to Patient on one column.
func (e *Engine) Compartment() []*mapping.Mapping {
	var out []*mapping.Mapping
	for _, m := range e.set.Mappings {
		if sp := m.SearchParam("patient"); sp != nil && sp.Type == "reference" && sp.Col >= 0 && containsStr(sp.Target, "Patient") {
			out = append(out, m)
		}
	}
	rank := func(t string) int {
		for i, x := range compartmentOrder {
			if x == t {
				return i
			}
		}
		return len(compartmentOrder)
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank(out[i].Resource), rank(out[j].Resource)
		if ri != rj {
			return ri < rj
		}
		return out[i].Resource < out[j].Resource
	})
	return out
}

// everythingCursor continues a record after type index T at key K.
type everythingState struct {
	T int
	K []string
}

// Everything returns a patient's record, paged: the Patient and the
// resources it references (GP, practice), then every resource of the
// Patient compartment with the practitioners, encounters, medications and
// locations they reference.
func (e *Engine) Everything(ctx context.Context, req EverythingRequest) (*fhir.Object, error) {
	pm := e.set.Lookup("Patient")
	if pm == nil {
		return nil, &Error{Kind: KindNotFound, Msg: "Patient is not served here"}
	}
	params := url.Values{}
	for k, v := range req.Params {
		params[k] = v
	}
	path := "Patient/" + req.PatientID + "/$everything"
	if req.PatientID == "" {
		ident := params.Get("identifier")
		if ident == "" {
			return nil, invalid("identifier", "INVALID_PARAMETER", "give the patient: Patient/{id}/$everything, or Patient/$everything?identifier=https://fhir.nhs.uk/Id/nhs-number|{NHS number}")
		}
		if err := typesAllowed(ctx, []string{"Patient"}); err != nil {
			return nil, err
		}
		if strings.Contains(ident, ",") {
			return nil, invalid("identifier", "INVALID_PARAMETER", "give one identifier: the record is one patient's")
		}
		// Within the token's access: a patient-limited token learns nothing
		// of other patients, not even whether the identifier is known.
		id, err := e.patientByIdentifier(ctx, pm, ident)
		if err != nil {
			if ee, ok := AsError(err); ok && accessFrom(ctx).patientFor("Patient") != "" && (ee.Kind == KindNotFound || ee.Kind == KindConflict || ee.Kind == KindForbidden) {
				return nil, errDenied
			}
			return nil, err
		}
		req.PatientID = id
		path = "Patient/$everything"
	}
	count := e.opts.DefaultCount
	if v := params.Get("_count"); v != "" {
		c, err := fhir.ParseCount(v, e.opts.DefaultCount, e.opts.MaxCount)
		if err != nil {
			return nil, paramErr(err)
		}
		count = c
	}
	if count == 0 {
		count = 1
	}
	for k := range params {
		switch k {
		case "start", "end", "_since", "_type", "_count", "_cursor", "identifier", "_format", "_pretty":
		default:
			return nil, notSupported(k, "parameter %q is not supported by $everything (supported: start, end, _since, _type, _count)", k)
		}
	}
	types := e.Compartment()
	wantPatient := true
	if t := params.Get("_type"); t != "" {
		allowed := map[string]bool{}
		for _, x := range strings.Split(t, ",") {
			x = strings.TrimSpace(x)
			if e.set.Lookup(x) == nil {
				return nil, invalid("_type", "INVALID_PARAMETER", "_type: %s is not served here", x)
			}
			allowed[x] = true
		}
		var kept []*mapping.Mapping
		for _, m := range types {
			if allowed[m.Resource] {
				kept = append(kept, m)
			}
		}
		types, wantPatient = kept, allowed["Patient"]
	}

	if err := typesAllowed(ctx, []string{"Patient"}); err != nil {
		return nil, err
	}
	if p := accessFrom(ctx).patientFor("Patient"); p != "" && p != req.PatientID {
		return nil, errDenied
	}
	access := accessFrom(ctx)
	var allowed []*mapping.Mapping
	for _, m := range types {
		if access.allows(m.Resource) {
			allowed = append(allowed, m)
		}
	}
	types = allowed
	// The patient itself.
	key, err := mapping.DecodeID(req.PatientID, len(pm.From.Key))
	notFound := &Error{Kind: KindNotFound, SpineCode: "PATIENT_NOT_FOUND", Msg: fmt.Sprintf("Patient/%s is not known", req.PatientID)}
	if err != nil || !e.keyFits(pm, key) {
		return nil, notFound
	}
	pq := e.newQuery(pm)
	pq.where(pq.keyEquals(key))
	prow, err := e.fetch(ctx, pm, pq, 1)
	if err != nil {
		return nil, err
	}
	if len(prow) == 0 {
		return nil, notFound
	}

	canonical := url.Values{}
	for k, v := range params {
		if k != "_cursor" && k != "_count" {
			canonical[k] = v
		}
	}
	pg := e.newPager(req.Base, path, canonical.Encode(), req.PatientID, count)
	state := everythingState{T: -1}
	if tok := params.Get("_cursor"); tok != "" {
		c, err := pg.open(tok)
		if err != nil {
			return nil, err
		}
		if len(c.Key) < 1 {
			return nil, invalid("_cursor", "INVALID_PARAMETER", "the paging cursor is invalid")
		}
		t, err := strconv.Atoi(c.Key[0])
		if err != nil || t < 0 || t >= len(types) {
			return nil, invalid("_cursor", "INVALID_PARAMETER", "the paging cursor is invalid")
		}
		state = everythingState{T: t, K: c.Key[1:]}
	}
	var entries []fhir.Entry
	remaining := count
	if state.T < 0 {
		if wantPatient {
			if en, ok := e.entry(pm, prow[0], req.Base, "match"); ok {
				entries = append(entries, en)
				inc, err := e.referenced(ctx, entries, req.Base, entries)
				if err != nil {
					return nil, err
				}
				entries = append(entries, inc...)
			} else {
				entries = append(entries, en)
			}
			remaining--
		}
		state = everythingState{T: 0}
	}
	var next *everythingState
	for t := state.T; t < len(types) && remaining > 0; t++ {
		m := types[t]
		q := e.newQuery(m)
		if err := e.whereRef(q, "Patient", req.PatientID); err != nil {
			return nil, err
		}
		if err := e.restrict(ctx, q); err != nil {
			return nil, err
		}
		if err := e.everythingFilters(q, m, params); err != nil {
			return nil, err
		}
		if t == state.T && len(state.K) == len(m.From.Key) {
			q.where(q.keyBeyond(state.K, false))
		}
		rows, err := e.fetch(ctx, m, q, remaining+1)
		if err != nil {
			return nil, err
		}
		if len(rows) > remaining {
			rows = rows[:remaining]
			last := rows[len(rows)-1]
			k := make([]string, len(m.From.Key))
			for i := range k {
				k[i] = keyText(last.Vals[i])
			}
			next = &everythingState{T: t, K: k}
		}
		var page []fhir.Entry
		for _, r := range rows {
			en, _ := e.entry(m, r, req.Base, "match")
			page = append(page, en)
		}
		entries = append(entries, page...)
		if len(page) > 0 {
			// The record's Patient heads its first page; later pages do
			// not include it again.
			have := append(entries[:len(entries):len(entries)], fhir.Entry{FullURL: req.Base + "/Patient/" + req.PatientID})
			inc, err := e.referenced(ctx, page, req.Base, have)
			if err != nil {
				return nil, err
			}
			entries = append(entries, inc...)
		}
		remaining -= len(rows)
		if next != nil {
			break
		}
		if remaining == 0 && t+1 < len(types) {
			next = &everythingState{T: t + 1}
		}
	}
	entries = uniqueEntries(entries)
	links := []fhir.Link{pg.self(req.Params.Get("_cursor"))}
	if next != nil {
		links = append(links, pg.to("next", cursor{Key: append([]string{strconv.Itoa(next.T)}, next.K...)}))
	}
	return fhir.SearchSet("", "", -1, links, entries), nil
}

// everythingFilters applies start, end and _since to one compartment type:
// start and end through its date parameter ("date", else its first date
// parameter); _since through its last-updated column.
func (e *Engine) everythingFilters(q *query, m *mapping.Mapping, params url.Values) error {
	var date *mapping.SearchParam
	if p := m.SearchParam("date"); p != nil && p.Type == "date" {
		date = p
	} else {
		for _, p := range m.Search {
			if p.Type == "date" {
				date = p
				break
			}
		}
	}
	if date != nil {
		for _, b := range []struct{ param, prefix string }{{"start", "ge"}, {"end", "le"}} {
			if v := params.Get(b.param); v != "" {
				pr, err := e.paramFor(date, b.param, b.prefix+v)
				if err != nil {
					return err
				}
				pred, err := e.compileParam(q, pr)
				if err != nil {
					return err
				}
				q.where(pred)
			}
		}
	}
	if v := params.Get("_since"); v != "" && m.From.Updated != "" {
		pr, err := e.paramFor(e.lastUpdated(m), "_since", "ge"+v)
		if err != nil {
			return err
		}
		pred, err := e.compileParam(q, pr)
		if err != nil {
			return err
		}
		q.where(pred)
	}
	return nil
}

// patientByIdentifier finds the one patient with an identifier, within
// the request's access: the identifier parameter compiled into one
// statement over the patients' keys.
func (e *Engine) patientByIdentifier(ctx context.Context, pm *mapping.Mapping, ident string) (string, error) {
	pr, err := e.parseParam(pm, "identifier", []string{ident})
	if err != nil {
		return "", err
	}
	q := e.newQuery(pm)
	q.access = accessFrom(ctx)
	pred, err := e.compileParam(q, pr)
	if err != nil {
		return "", err
	}
	q.where(pred)
	if err := e.restrict(ctx, q); err != nil {
		return "", err
	}
	sqlText, args := q.selectSQL(2)
	rows, err := e.queryRows(ctx, sqlText, args, q.ncols(), pm.From.Pos.String()+" Patient")
	if err != nil {
		return "", err
	}
	switch len(rows) {
	case 0:
		return "", &Error{Kind: KindNotFound, Param: "identifier", SpineCode: "PATIENT_NOT_FOUND", Msg: fmt.Sprintf("no patient has the identifier %s", ident)}
	case 1:
		return mapping.EncodeID(rows[0][:len(pm.From.Key)])
	}
	return "", &Error{Kind: KindConflict, Param: "identifier", SpineCode: "MULTIPLE_MATCHES", Msg: fmt.Sprintf("more than one patient has the identifier %s", ident)}
}

// uniqueEntries keeps one entry per fullUrl (bdl-7): a resource included
// for one entry and matched later on the page appears once, as a match.
func uniqueEntries(in []fhir.Entry) []fhir.Entry {
	match := map[string]bool{}
	for _, en := range in {
		if en.Mode == "match" {
			match[en.FullURL] = true
		}
	}
	seen := map[string]bool{}
	out := in[:0:0]
	for _, en := range in {
		if en.FullURL != "" {
			if seen[en.FullURL] || en.Mode == "include" && match[en.FullURL] {
				continue
			}
			seen[en.FullURL] = true
		}
		out = append(out, en)
	}
	return out
}

// referenced fetches every resource the entries refer to ("Type/id" in any
// reference element) that is not already in the bundle: one query per
// referenced type. They are marked search.mode=include.
func (e *Engine) referenced(ctx context.Context, from []fhir.Entry, base string, have []fhir.Entry) ([]fhir.Entry, error) {
	seen := map[string]bool{}
	for _, en := range have {
		seen[en.FullURL] = true
	}
	keys := map[string][]any{}
	var order []string
	var walk func(v fhir.Value)
	walk = func(v fhir.Value) {
		switch t := v.(type) {
		case *fhir.Object:
			for _, f := range t.Fields {
				if s, ok := f.Value.(fhir.String); ok && f.Name == "reference" {
					parts := strings.Split(string(s), "/")
					if len(parts) != 2 || seen[base+"/"+string(s)] {
						continue
					}
					m := e.set.Lookup(parts[0])
					if m == nil || len(m.From.Key) != 1 {
						continue
					}
					k, err := mapping.DecodeID(parts[1], 1)
					if err != nil || !e.keyFits(m, k) {
						continue
					}
					seen[base+"/"+string(s)] = true
					if _, ok := keys[parts[0]]; !ok {
						order = append(order, parts[0])
					}
					keys[parts[0]] = append(keys[parts[0]], k[0])
					continue
				}
				walk(f.Value)
			}
		case fhir.Array:
			for _, x := range t {
				walk(x)
			}
		}
	}
	for _, en := range from {
		walk(en.Resource)
	}
	var out []fhir.Entry
	access := accessFrom(ctx)
	for _, typ := range order {
		m := e.set.Lookup(typ)
		if !access.allows(typ) {
			continue
		}
		q := e.newQuery(m)
		if err := e.restrict(ctx, q); err != nil {
			return nil, err
		}
		args := make([]any, len(keys[typ]))
		for i, k := range keys[typ] {
			args[i] = q.keyArg(0, k.(string))
		}
		q.where(q.b.In(q.col(m.From.Key[0]), args))
		rows, err := e.fetch(ctx, m, q, len(args))
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if en, ok := e.entry(m, r, base, "include"); ok {
				out = append(out, en)
			}
		}
	}
	return out, nil
}

// PatientByNHSNumber returns the id of the one patient with an NHS number
// (for a token whose patient context is an NHS number); the lookup ignores
// any access in ctx.
func (e *Engine) PatientByNHSNumber(ctx context.Context, nhs string) (string, error) {
	pm := e.set.Lookup("Patient")
	if pm == nil {
		return "", &Error{Kind: KindNotFound, Msg: "Patient is not served here"}
	}
	return e.patientByIdentifier(WithAccess(ctx, Access{}), pm, "https://fhir.nhs.uk/Id/nhs-number|"+nhs)
}
