package engine

import (
	"context"
	"fmt"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

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

// everythingState continues a record after type index T at key K.
type everythingState struct {
	T int
	K []string
}

// everythingReq is a $everything request parsed once: whose record, how
// many entries a page, which types, and each type's filters (start, end,
// _since) parsed against its own parameters.
type everythingReq struct {
	pm          *mapping.Mapping
	patientID   string // "" until an identifier is resolved
	identifier  string // the patient's identifier, for a request by identifier
	count       int
	types       []*mapping.Mapping
	wantPatient bool
	filters     map[*mapping.Mapping][]*paramReq
	cursor      string
	canonical   url.Values // what the links repeat
	transport   url.Values // _format and _pretty: the links repeat them too
}

// everythingPlan is a parsed $everything within the request's access: the
// patient's row, the types the token may read, and where the page starts.
type everythingPlan struct {
	req   *everythingReq
	prow  *mapping.Row
	types []*mapping.Mapping
	state everythingState
	pager *pager
	path  string
}

// Everything returns a patient's record, paged: the Patient and the
// resources it references (GP, practice), then every resource of the
// Patient compartment with the practitioners, encounters, medications and
// locations they reference.
func (e *Engine) Everything(ctx context.Context, req EverythingRequest) (*fhir.Object, error) {
	// A token that may not read patients is refused whatever it asks.
	if err := typesAllowed(ctx, []string{"Patient"}); err != nil {
		return nil, err
	}
	return answer(ctx, req.Base, func() (*everythingReq, error) { return e.parseEverything(req) },
		e.authorizeEverything, e.planEverything, e.runEverything)
}

// parseEverything parses a $everything request.
func (e *Engine) parseEverything(req EverythingRequest) (*everythingReq, error) {
	pm := e.lookup("Patient")
	if pm == nil {
		return nil, &Error{Kind: KindNotFound, Msg: "Patient is not served here"}
	}
	params := req.Params
	// Each parameter but _type takes one value: a second is refused, not
	// chosen between.
	for _, k := range []string{"identifier", "start", "end", "_since", "_count", "_cursor"} {
		if n := len(params[k]); n > 1 {
			return nil, invalid(k, "INVALID_PARAMETER", "%s is given %d times; $everything takes it once", k, n)
		}
	}
	er := &everythingReq{pm: pm, patientID: req.PatientID, count: e.opts.DefaultCount, wantPatient: true,
		filters: map[*mapping.Mapping][]*paramReq{}, cursor: params.Get("_cursor"), canonical: url.Values{}, transport: url.Values{}}
	if req.PatientID == "" {
		er.identifier = params.Get("identifier")
		if er.identifier == "" {
			return nil, invalid("identifier", "INVALID_PARAMETER", "give the patient: Patient/{id}/$everything, or Patient/$everything?identifier=https://fhir.nhs.uk/Id/nhs-number|{NHS number}")
		}
		if strings.Contains(er.identifier, ",") {
			return nil, invalid("identifier", "INVALID_PARAMETER", "identifier %q lists alternatives; give one identifier: the record is one patient's", er.identifier)
		}
	} else if params.Has("identifier") {
		return nil, invalid("identifier", "INVALID_PARAMETER", "Patient/%s/$everything names its patient: give the identifier to Patient/$everything instead", req.PatientID)
	}
	if v := params.Get("_count"); v != "" {
		c, err := fhir.ParseCount(v, e.opts.DefaultCount, e.opts.MaxCount)
		if err != nil {
			return nil, paramErr(err)
		}
		er.count = c
	}
	if er.count == 0 {
		er.count = 1
	}
	for k, v := range params {
		switch k {
		case "start", "end", "_since", "_type", "identifier":
			er.canonical[k] = v
		case "_format", "_pretty":
			er.transport[k] = v
		case "_count", "_cursor":
		default:
			return nil, notSupported(k, "parameter %q is not supported by $everything (supported: start, end, _since, _type, _count)", k)
		}
	}
	er.types = e.Compartment()
	if t := strings.Join(params["_type"], ","); t != "" {
		allowed := map[string]bool{}
		for _, x := range strings.Split(t, ",") {
			x = strings.TrimSpace(x)
			if len(e.set.LookupIn(e.ver, x)) == 0 {
				return nil, invalid("_type", "INVALID_PARAMETER", "_type: %s is not served here", x)
			}
			allowed[x] = true
		}
		var kept []*mapping.Mapping
		for _, m := range er.types {
			if allowed[e.typ(m)] {
				kept = append(kept, m)
			}
		}
		er.types, er.wantPatient = kept, allowed["Patient"]
	}
	for _, m := range er.types {
		f, err := e.everythingFilters(m, params)
		if err != nil {
			return nil, err
		}
		er.filters[m] = f
	}
	return er, nil
}

// authorizeEverything checks the record against the request's access and
// resolves a patient given by identifier within it: a patient-limited
// token learns nothing of other patients, not even whether an identifier
// is known.
func (e *Engine) authorizeEverything(ctx context.Context, er *everythingReq) error {
	if er.patientID == "" {
		id, err := e.patientByIdentifier(ctx, er.pm, er.identifier)
		if err != nil {
			if ee, ok := AsError(err); ok && accessFrom(ctx).patientFor("Patient") != "" && (ee.Kind == KindNotFound || ee.Kind == KindAmbiguous || ee.Kind == KindForbidden) {
				return errDenied
			}
			return err
		}
		er.patientID = id
	}
	if p := accessFrom(ctx).patientFor("Patient"); p != "" && p != er.patientID {
		return errDenied
	}
	return nil
}

// planEverything finds the patient, keeps the types the token may read and
// opens the cursor.
func (e *Engine) planEverything(ctx context.Context, er *everythingReq, base string) (*everythingPlan, error) {
	pm := er.pm
	p := &everythingPlan{req: er, state: everythingState{T: -1}, path: "Patient/" + er.patientID + "/$everything"}
	if er.identifier != "" {
		p.path = "Patient/$everything"
	}
	access := accessFrom(ctx)
	for _, m := range er.types {
		if access.allows(e.typ(m)) {
			p.types = append(p.types, m)
		}
	}
	notFound := &Error{Kind: KindNotFound, SpineCode: "PATIENT_NOT_FOUND", Msg: fmt.Sprintf("Patient/%s is not known", er.patientID)}
	key, err := pm.KeyOf(er.patientID)
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
	p.prow = prow[0]
	p.pager = e.newPager(base, p.path, er.canonical, er.transport, er.patientID, er.count)
	if er.cursor != "" {
		c, err := p.pager.open(er.cursor)
		if err != nil {
			return nil, err
		}
		if len(c.Key) < 1 {
			return nil, invalid("_cursor", "INVALID_PARAMETER", "the paging cursor is invalid")
		}
		t, err := strconv.Atoi(c.Key[0])
		if err != nil || t < 0 || t >= len(p.types) {
			return nil, invalid("_cursor", "INVALID_PARAMETER", "the paging cursor is invalid")
		}
		p.state = everythingState{T: t, K: c.Key[1:]}
	}
	return p, nil
}

// sectionsAhead is how many compartment types' statements a $everything
// page runs at once: the next sections are fetched while the first are
// assembled, and a page that fills early wastes at most this many less
// one. Each section ahead of the request's own takes a token of the
// engine's (a quarter of the pool, engine-wide); without one, the section
// waits its turn. A page of more than aheadUpTo entries runs one section at
// a time: it is bound by throughput, not latency, and a section fetched
// ahead of a full page would cost a page of rows for nothing.
const (
	sectionsAhead = 4
	aheadUpTo     = 100
)

// section is one compartment type's rows for a page, or why not.
type section struct {
	rows []*mapping.Row
	err  error
}

// runEverything fetches one page of the record: the sections (one a
// compartment type, in order) run a few at a time; the resources they
// reference are fetched once for the page, one statement a type.
func (e *Engine) runEverything(ctx context.Context, p *everythingPlan, base string) (*fhir.Object, error) {
	er, state, types := p.req, p.state, p.types
	var entries, matched []fhir.Entry
	remaining := er.count
	var next *everythingState
	if state.T < 0 {
		if er.wantPatient {
			en, ok := e.entry(er.pm, p.prow, base, "match", false)
			entries = append(entries, en)
			if ok {
				matched = append(matched, en)
			}
			remaining--
		}
		state = everythingState{T: 0}
	}
	// Every section asks for the whole page: the rows are the same as
	// asking each for what the sections before it left.
	limit := remaining + 1
	after := func(t int) []string {
		if t == state.T {
			return state.K
		}
		return nil
	}
	ahead := sectionsAhead
	if e.opts.Sequential || er.count > aheadUpTo {
		ahead = 1
	}
	results := make([]chan section, len(types)) // the sections running ahead
	// Sections still running when the page is full are waited for, not
	// cancelled: a cancelled statement costs PostgreSQL a connection of
	// its own to stop, more than a bounded one costs to finish.
	defer func() {
		for _, ch := range results {
			if ch != nil {
				<-ch
			}
		}
	}()
	// Once the page is full, the sections after it are probed one at a
	// time (a row each, or the rows of a section already running ahead)
	// until one has a row: the next link is given only for a page with
	// entries, and it starts at that section, past the empty ones. A page
	// that fills within a section knows there is more from its extra row,
	// and probes nothing.
	for t := state.T; t < len(types); t++ {
		probe, n := remaining == 0, limit
		if probe {
			n = 1
		}
		for k := t + 1; k < len(types) && k < t+ahead && !probe; k++ {
			if results[k] != nil {
				continue
			}
			ch := make(chan section, 1)
			m, from := types[k], after(k)
			var rows []*mapping.Row
			if !e.runAhead(func() (err error) {
				rows, err = e.everythingSection(ctx, er, m, from, n)
				return err
			}, func(err error) { ch <- section{rows, err} }) {
				break // no token free: the next sections wait their turn
			}
			results[k] = ch
		}
		var res section
		if ch := results[t]; ch != nil {
			res = <-ch
			results[t] = nil
		} else {
			res.rows, res.err = e.everythingSection(ctx, er, types[t], after(t), n)
		}
		if res.err != nil {
			return nil, res.err
		}
		if probe {
			if len(res.rows) > 0 {
				next = &everythingState{T: t, K: after(t)}
				break
			}
			continue
		}
		m, rows := types[t], res.rows
		if len(rows) > remaining {
			rows = rows[:remaining]
			last := rows[len(rows)-1]
			k := make([]string, len(m.From.Key))
			for i := range k {
				k[i] = keyText(last.Vals[i])
			}
			next = &everythingState{T: t, K: k}
		}
		for _, r := range rows {
			en, _ := e.entry(m, r, base, "match", false)
			entries = append(entries, en)
			matched = append(matched, en)
		}
		remaining -= len(rows)
		if next != nil {
			break
		}
	}
	if len(matched) > 0 {
		// The record's Patient heads its first page; later pages do not
		// include it again.
		have := append(entries[:len(entries):len(entries)], fhir.Entry{FullURL: base + "/Patient/" + er.patientID})
		inc, err := e.referenced(ctx, matched, base, have)
		if err != nil {
			return nil, err
		}
		entries = append(entries, inc...)
	}
	links := []fhir.Link{p.pager.self(er.cursor)}
	if next != nil {
		links = append(links, p.pager.to("next", cursor{Key: append([]string{strconv.Itoa(next.T)}, next.K...)}))
	}
	return fhir.SearchSet("", "", -1, links, uniqueEntries(entries)), nil
}

// runAhead runs fn on a goroutine of its own when the engine has a token
// to spare (see sectionsAhead), and tells whether it did. done is given
// fn's error, a panic in fn as one, before the token comes back.
func (e *Engine) runAhead(fn func() error, done func(error)) bool {
	select {
	case e.ahead <- struct{}{}:
	default:
		return false
	}
	go func() {
		defer func() { <-e.ahead }()
		done(recovered(fn))
	}()
	return true
}

// recovered calls fn, and makes a panic in it an error, as the request's
// own recovery would have.
func recovered(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	return fn()
}

// everythingSection fetches up to limit of one compartment type's
// resources about the patient, after key (when given).
func (e *Engine) everythingSection(ctx context.Context, er *everythingReq, m *mapping.Mapping, after []string, limit int) ([]*mapping.Row, error) {
	q := e.newQuery(m)
	if err := e.whereRef(q, "Patient", er.patientID); err != nil {
		return nil, err
	}
	if err := e.restrict(ctx, q); err != nil {
		return nil, err
	}
	for _, pr := range er.filters[m] {
		pred, err := e.compileParam(q, pr)
		if err != nil {
			return nil, err
		}
		q.where(pred)
	}
	if len(after) == len(m.From.Key) {
		q.where(q.keyBeyond(after, false))
	}
	return e.fetch(ctx, m, q, limit)
}

// everythingFilters parses start, end and _since for one compartment type:
// start and end through its date parameter ("date", else its first date
// parameter); _since through its last-updated column.
func (e *Engine) everythingFilters(m *mapping.Mapping, params url.Values) ([]*paramReq, error) {
	var date *mapping.SearchParam
	if p := e.param(m, "date"); p != nil && p.Type == "date" {
		date = p
	} else {
		for _, p := range m.Search {
			if p.Type == "date" {
				date = p
				break
			}
		}
	}
	var out []*paramReq
	if date != nil {
		for _, b := range []struct{ param, prefix string }{{"start", "ge"}, {"end", "le"}} {
			if v := params.Get(b.param); v != "" {
				pr, err := e.paramFor(date, b.param, b.prefix+v)
				if err != nil {
					return nil, err
				}
				out = append(out, pr)
			}
		}
	}
	if v := params.Get("_since"); v != "" && m.From.Updated != "" {
		pr, err := e.paramFor(e.lastUpdated(m), "_since", "ge"+v)
		if err != nil {
			return nil, err
		}
		out = append(out, pr)
	}
	return out, nil
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
	rows, err := e.queryRows(ctx, sqlText, args, q.ncols(), stmtSource{pm.From.Pos, "Patient"})
	if err != nil {
		return "", err
	}
	switch len(rows) {
	case 0:
		return "", &Error{Kind: KindNotFound, Param: "identifier", SpineCode: "PATIENT_NOT_FOUND", Msg: fmt.Sprintf("no patient has the identifier %s", ident)}
	case 1:
		return pm.ID(rows[0])
	}
	return "", &Error{Kind: KindAmbiguous, Param: "identifier", SpineCode: "MULTIPLE_MATCHES", Msg: fmt.Sprintf("more than one patient has the identifier %s: it does not name one record", ident)}
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
	// By mapping: a type several mappings serve goes to the one whose id
	// prefix the id has.
	keys := map[*mapping.Mapping][]any{}
	var order []*mapping.Mapping
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
					m, k := memberFor(e.set.LookupIn(e.ver, parts[0]), parts[1])
					if m == nil || len(m.From.Key) != 1 || !e.keyFits(m, k) {
						continue
					}
					seen[base+"/"+string(s)] = true
					if _, ok := keys[m]; !ok {
						order = append(order, m)
					}
					keys[m] = append(keys[m], k[0])
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
	access := accessFrom(ctx)
	var allowed []*mapping.Mapping
	for _, m := range order {
		if access.allows(e.typ(m)) {
			allowed = append(allowed, m)
		}
	}
	// One statement a mapping, a few at once; the entries in the order the
	// mappings were first referenced.
	found := make([][]fhir.Entry, len(allowed))
	err := e.inParallel(len(allowed), func(i int) error {
		m := allowed[i]
		q := e.newQuery(m) // the key's binding
		args := make([]any, len(keys[m]))
		for j, k := range keys[m] {
			args[j] = q.keyArg(0, k.(string))
		}
		rows, err := e.fetchByKeys(ctx, m, m.From.Key[0], e.cat.Key(m)[0].Kind, args, noLimit)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if en, ok := e.entry(m, r, base, "include", false); ok {
				found[i] = append(found[i], en)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []fhir.Entry
	for _, f := range found {
		out = append(out, f...)
	}
	return out, nil
}

// inParallel runs fn(0) … fn(n-1): each on a goroutine of its own while the
// engine has a token to spare for it (see sectionsAhead), the rest in the
// caller, one after another; all of them one after another when the
// engine is Sequential. Once one has failed, those not yet started are
// not. It returns when all have ended, with the error of the lowest i
// that failed; a panic becomes its error.
func (e *Engine) inParallel(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var failed atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i < n && !failed.Load(); i++ {
		note := func(err error) {
			if errs[i] = err; err != nil {
				failed.Store(true)
			}
		}
		call := func() error { return fn(i) }
		wg.Add(1)
		if i < n-1 && !e.opts.Sequential && e.runAhead(call, func(err error) { note(err); wg.Done() }) {
			continue
		}
		wg.Done()
		note(recovered(call))
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// PatientByNHSNumber returns the id of the one patient with an NHS number
// (for a token whose patient context is an NHS number); the lookup ignores
// any access in ctx.
func (e *Engine) PatientByNHSNumber(ctx context.Context, nhs string) (string, error) {
	pm := e.lookup("Patient")
	if pm == nil {
		return "", &Error{Kind: KindNotFound, Msg: "Patient is not served here"}
	}
	return e.patientByIdentifier(WithAccess(ctx, Access{}), pm, "https://fhir.nhs.uk/Id/nhs-number|"+nhs)
}
