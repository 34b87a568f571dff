package gpconnect

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/stu3"
	"github.com/ccfacade/ccfacade/mapping"
)

// Codes and texts of the lists (SPEC §6.1).
const (
	snomed             = "http://snomed.info/sct"
	emptyReasonSystem  = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-ListEmptyReasonCode-1"
	allergyEndURL      = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-AllergyIntoleranceEnd-1"
	ccAllergyEndURL    = "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-AllergyIntoleranceEnd-1"
	verificationSuffix = "NHSNumberVerificationStatus-1"
	// noContent is the note of an empty list.
	noContent = "Information not available"
)

// adminTypes are the types a record includes whenever a resource in it
// refers to one (SPEC §6), in the order they head the bundle.
var adminTypes = []string{"Organization", "Practitioner", "PractitionerRole", "Location", "HealthcareService"}

// pageSize is the _count of the searches a record runs (the engine caps it
// at its largest page; later pages are followed).
const pageSize = 1000

// maxPages bounds the pages one area's search may take.
const maxPages = 100

// record is one structured record being assembled.
type record struct {
	s        *Service
	ctx      context.Context
	patient  *fhir.Object
	pid      string
	admin    map[string][]*fhir.Object // by type, in the order found
	sections []*fhir.Object            // the areas' lists and resources, in order
	have     map[string]bool           // Type/id of every resource in the bundle
	listed   map[string]Area           // Type/id of the items of areas' primary lists, by area
	// disabledLinks are the areas switched off whose items a List shows
	// as disabled: each is warned of, asked for or not.
	disabledLinks map[Area]bool
	// owner maps what problems may be linked to (see owners); items are
	// the areas' items (see linkedItems).
	owner map[string]heldItem
	items map[Area][]heldItem
	// endedFound are the ended allergies found (see endedAllergies);
	// authorised the authorisations' facts found, by statement id (see
	// authorisations), shared with the records made for an area's items.
	endedFound *[]*fhir.Object
	authorised map[string]authorised
	// status are the immunisation status records found (see
	// statusRecords), shared with the records made for an area's items.
	status *statusFound
	// withheld are the Type/id of the resources found that are withheld
	// (see withhold), shared with the records made for an area's items.
	withheld map[string]bool
	// void are the Type/id of the items found that are not sent, nor any
	// reference to them, and of which no list warns (one entered in
	// error, see searchIn; uncategorised data cancelled, see final),
	// shared like withheld.
	void map[string]bool
	// withheldListed are the withheld items an area's list left out.
	withheldListed map[string]bool
	// collect marks a record made for an area's items (itemsOf): its
	// Lists keep the withheld items, for links and consultations to find.
	collect bool
}

// displayOnly marks an item of a List given as its text: the entry is
// {"item": {"display": …}}, with no reference.
const displayOnly = "\x00display:"

// Record answers a parsed request: the patient's Patient, the
// organisations and practitioners the record refers to, each area asked
// for (its lists and resources, or a NOT_IMPLEMENTED warning when it is
// not offered), and one OperationOutcome with the warnings. traceID is
// the Bundle's id. The error is an *Error (404 PATIENT_NOT_FOUND, …) or
// the engine's.
func (s *Service) Record(ctx context.Context, req *Request, traceID string) (*fhir.Object, error) {
	r := &record{s: s, ctx: ctx, admin: map[string][]*fhir.Object{}, have: map[string]bool{}, listed: map[string]Area{}, disabledLinks: map[Area]bool{}, withheld: map[string]bool{}, void: map[string]bool{}, status: &statusFound{}, withheldListed: map[string]bool{},
		authorised: map[string]authorised{}}
	pid, err := s.eng.PatientByNHSNumber(ctx, req.NHSNumber)
	if err != nil {
		if e, ok := engine.AsError(err); ok && (e.Kind == engine.KindNotFound || e.Kind == engine.KindAmbiguous) {
			nf := patientNotFound("no patient with NHS number %s is served here", req.NHSNumber)
			if e.Kind == engine.KindAmbiguous {
				nf.Log = "more than one patient has the NHS number"
			}
			return nil, nf
		}
		return nil, engineRefusal(err)
	}
	patient, err := s.eng.Read(ctx, "Patient", pid)
	if err != nil {
		return nil, engineRefusal(err)
	}
	r.patient, r.pid = patient, pid
	if err := r.practiceEnabled(); err != nil {
		return nil, err
	}
	if why := unserved(patient, req.NHSNumber); why != "" {
		nf := patientNotFound("no patient with NHS number %s is served here", req.NHSNumber)
		nf.Log = why
		return nil, nf
	}
	r.patient, r.pid = patient, pid
	st, err := s.standing(r, patient)
	if err != nil {
		return nil, err
	}
	if st.notFound != "" {
		nf := patientNotFound("no patient with NHS number %s is served here", req.NHSNumber)
		nf.Log = st.notFound
		return nil, nf
	}
	if st.dissent {
		nc := noConsent("the patient with NHS number %s has not consented to sharing the record", req.NHSNumber)
		nc.Log = "the patient dissents from sharing the record"
		return nil, nc
	}
	r.have["Patient/"+pid] = true
	warnings := slices.Clone(req.Warnings)
	for _, a := range areaOrder {
		if len(req.Areas[a]) == 0 {
			continue
		}
		if !s.offered[a] {
			warnings = append(warnings, disabled(areas[a].param))
			continue
		}
		if err := builders[a].build(r, req); err != nil {
			return nil, err
		}
	}
	if err := r.linkProblems(req); err != nil {
		return nil, err
	}
	if err := r.labelReferred(); err != nil {
		return nil, err
	}
	r.withhold()
	r.toPlans()
	for _, a := range itemAreas {
		if r.disabledLinks[a] && len(req.Areas[a]) == 0 {
			warnings = append(warnings, disabled(a.warned()))
		}
	}
	if err := r.usualRole(); err != nil {
		return nil, err
	}
	if err := r.referenced(); err != nil {
		return nil, err
	}
	entries := fhir.Array{r.entry(patient)}
	for _, typ := range adminTypes {
		for _, res := range r.admin[typ] {
			entries = append(entries, r.entry(res))
		}
	}
	sent := map[string]bool{} // an item of a consultation and of its own area is sent once
	for _, v := range r.sections {
		if id := v.GetString("id"); id != "" {
			if sent[key(v)] {
				continue
			}
			sent[key(v)] = true
		}
		if v.GetString("resourceType") == "List" {
			warn(v, st.warnings)
		}
		entries = append(entries, r.entry(v))
	}
	if len(warnings) > 0 {
		entries = append(entries, fhir.NewObject(1).Add("resource", Outcome(warnings...)))
	}
	b := fhir.NewObject(5)
	b.Add("resourceType", fhir.String("Bundle"))
	b.AddString("id", traceID)
	b.Add("meta", fhir.NewObject(1).Add("profile", fhir.Array{fhir.String(s.overlay.profile("Bundle"))}))
	b.Add("type", fhir.String("collection"))
	b.Add("entry", entries)
	return b, nil
}

// entry is a bundle entry of a resource, rendered for GP Connect: no
// fullUrl (GP Connect does not use it), the overlay applied to it and to
// what it contains.
func (r *record) entry(res *fhir.Object) fhir.Value {
	if res.GetString("resourceType") != "List" && res.GetString("resourceType") != "OperationOutcome" {
		r.s.overlay.apply(res, r.s.ns)
	}
	if c, ok := res.Get("contained").(fhir.Array); ok {
		for _, x := range c {
			if o, ok := x.(*fhir.Object); ok {
				r.s.overlay.apply(o, r.s.ns)
			}
		}
	}
	return fhir.NewObject(1).Add("resource", res)
}

// unserved says why a patient's record is not served (SPEC §6.3), or "":
// the NHS number must be the patient's and verified (status 01), and the
// patient alive and active.
func unserved(p *fhir.Object, nhs string) string {
	ids, _ := p.Get("identifier").(fhir.Array)
	var number *fhir.Object
	for _, x := range ids {
		if o, ok := x.(*fhir.Object); ok && o.GetString("system") == NHSNumberSystem && o.GetString("value") == nhs {
			number = o
		}
	}
	if number == nil {
		return "the Patient rendered has no identifier of the NHS number asked for"
	}
	status := ""
	exts, _ := number.Get("extension").(fhir.Array)
	for _, x := range exts {
		if o, ok := x.(*fhir.Object); ok && strings.HasSuffix(o.GetString("url"), verificationSuffix) {
			if v := values(o, "valueCodeableConcept.coding.code"); len(v) > 0 {
				status = v[0]
			}
		}
	}
	if status != "01" {
		return fmt.Sprintf("the NHS number's verification status is %q, not 01 (number present and verified)", status)
	}
	if b, ok := p.Get("deceasedBoolean").(fhir.Bool); ok && bool(b) || p.Get("deceasedDateTime") != nil {
		return "the patient is deceased"
	}
	if b, ok := p.Get("active").(fhir.Bool); ok && !bool(b) {
		return "the patient is not active"
	}
	return ""
}

// odsSystem is the system of an organisation's ODS code.
const odsSystem = "https://fhir.nhs.uk/Id/ods-organization-code"

// practiceEnabled refuses, 403 ACCESS DENIED, the record of a patient
// whose registered practice (the Organization of the Patient's
// generalPractitioner, by its ODS code) is not one at which GP Connect is
// enabled, when the options name those (SPEC §6.3).
func (r *record) practiceEnabled() error {
	if len(r.s.opts.Practices) == 0 {
		return nil
	}
	var codes []string
	for _, ref := range values(r.patient, "generalPractitioner.reference") {
		id, ok := strings.CutPrefix(ref, "Organization/")
		if !ok || !fhir.IsValidID(id) {
			continue
		}
		org, err := r.s.eng.Read(r.ctx, "Organization", id)
		if err != nil {
			if e, ok := engine.AsError(err); ok && e.Kind == engine.KindNotFound {
				continue
			}
			return engineRefusal(err)
		}
		ids, _ := org.Get("identifier").(fhir.Array)
		for _, x := range ids {
			if o, ok := x.(*fhir.Object); ok && o.GetString("system") == odsSystem {
				if slices.Contains(r.s.opts.Practices, o.GetString("value")) {
					return nil
				}
				codes = append(codes, o.GetString("value"))
			}
		}
	}
	e := refuse(http.StatusForbidden, "forbidden", "ACCESS DENIED", "GP Connect Access Record: Structured is not enabled at the patient's practice")
	e.Log = fmt.Sprintf("the patient's practice (ODS %s) is not among the practices GP Connect is enabled at", strings.Join(codes, ", "))
	if len(codes) == 0 {
		e.Log = "the patient has no registered practice with an ODS code"
	}
	return e
}

// search runs a search of every page: the resources matched, in the
// engine's order.
func (r *record) search(typ string, params url.Values) ([]*fhir.Object, error) {
	return r.searchIn(typ, nil, params)
}

// ofPatient are the parameters that keep a search by id to the patient's
// resources, where the type's mapping searches by patient (never another
// patient's), else none.
func (r *record) ofPatient(typ string) url.Values {
	if m := r.s.eng.Set().Lookup(typ); m != nil {
		if sp := m.SearchParam("patient"); sp != nil && sp.Type == "reference" {
			return url.Values{"patient": {"Patient/" + r.pid}}
		}
	}
	return nil
}

// idBatch is how many ids one search by _id takes (the engine takes a
// thousand alternatives at most).
const idBatch = 500

// searchIDs finds resources of a type by id (with the other parameters
// given, the patient say), idBatch ids a search, through one mapping's
// resources (nil: the type's).
func (r *record) searchIDs(typ string, m *mapping.Mapping, ids []string, params url.Values) ([]*fhir.Object, error) {
	var out []*fhir.Object
	for len(ids) > 0 {
		batch := ids[:min(len(ids), idBatch)]
		ids = ids[len(batch):]
		q := maps.Clone(params)
		if q == nil {
			q = url.Values{}
		}
		q.Set("_id", strings.Join(batch, ","))
		found, err := r.searchIn(typ, m, q)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// searchIn runs a search of every page of one mapping's resources (nil:
// the type's).
func (r *record) searchIn(typ string, m *mapping.Mapping, params url.Values) ([]*fhir.Object, error) {
	params = maps.Clone(params) // Set below replaces _count's slice, sharing none it changes
	params.Set("_count", strconv.Itoa(pageSize))
	var out []*fhir.Object
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("gpconnect: a search of %s has more than %d pages", typ, maxPages)
		}
		b, err := r.s.eng.Search(r.ctx, engine.SearchRequest{Type: typ, Params: params, Base: "urn:ccfacade:gpconnect", Mapping: m})
		if err != nil {
			return nil, engineRefusal(err)
		}
		entries, _ := b.Get("entry").(fhir.Array)
		for _, e := range entries {
			eo, _ := e.(*fhir.Object)
			mode := first(values(eo, "search.mode"))
			if mode == "outcome" {
				// A row the facade cannot render (a code an "error" concept
				// map does not know, say) fails the record: a record
				// without the item would be one the consumer takes as
				// whole.
				res, _ := eo.Get("resource").(*fhir.Object)
				for _, is := range issuesOf(res) {
					if o, ok := is.(*fhir.Object); ok && (o.GetString("severity") == "error" || o.GetString("severity") == "fatal") {
						return nil, fmt.Errorf("gpconnect: an item of the record cannot be sent: %s", o.GetString("diagnostics"))
					}
				}
				continue
			}
			if mode != "" && mode != "match" {
				continue
			}
			if res, ok := eo.Get("resource").(*fhir.Object); ok {
				if inError(res) {
					r.void[key(res)] = true // never sent, nor referred to
					continue
				}
				if restricted(res) != "" {
					r.withheld[key(res)] = true
				}
				out = append(out, res)
			}
		}
		next := ""
		links, _ := b.Get("link").(fhir.Array)
		for _, l := range links {
			if lo, ok := l.(*fhir.Object); ok && lo.GetString("relation") == "next" {
				next = lo.GetString("url")
			}
		}
		if next == "" {
			return out, nil
		}
		u, err := url.Parse(next)
		if err != nil {
			return nil, fmt.Errorf("gpconnect: the next link of a search of %s: %w", typ, err)
		}
		params = u.Query()
	}
}

// inError says whether a resource was entered in error (its status, or
// an allergy's or a problem's verificationStatus): GP Connect never sends
// one.
func inError(res *fhir.Object) bool {
	return res.GetString("status") == "entered-in-error" || res.GetString("verificationStatus") == "entered-in-error"
}

// issuesOf are an OperationOutcome's issues.
func issuesOf(o *fhir.Object) fhir.Array {
	if o == nil {
		return nil
	}
	is, _ := o.Get("issue").(fhir.Array)
	return is
}

// usualRole adds the PractitionerRole of the patient's usual GP when the
// GP has exactly one (GP Connect's known issue: a bundle holds at most one
// role a practitioner, and none when there would be several).
func (r *record) usualRole() error {
	m := r.s.eng.Set().Lookup("PractitionerRole")
	if m == nil || m.SearchParam("practitioner") == nil || m.SearchParam("practitioner").Type != "reference" {
		return nil
	}
	for _, ref := range values(r.patient, "generalPractitioner.reference") {
		if !strings.HasPrefix(ref, "Practitioner/") {
			continue
		}
		roles, err := r.search("PractitionerRole", url.Values{"practitioner": {ref}})
		if err != nil {
			return err
		}
		if len(roles) == 1 {
			r.add(roles[0])
		}
		break
	}
	return nil
}

// add puts an organisation, practitioner, role or location in the record
// once.
func (r *record) add(res *fhir.Object) {
	key := res.GetString("resourceType") + "/" + res.GetString("id")
	if r.have[key] {
		return
	}
	r.have[key] = true
	r.admin[res.GetString("resourceType")] = append(r.admin[res.GetString("resourceType")], res)
}

// referenced adds every organisation, practitioner, role and location a
// resource of the record refers to (and what they refer to), one search
// a type a round. References to consultations and other clinical items
// of areas not asked for stay references only, as GP Connect allows.
func (r *record) referenced() error {
	for round := 0; round < 4; round++ {
		want := map[string][]string{}
		seen := map[string]bool{}
		visit := func(v fhir.Value) {
			walkRefs(v, func(ref string) {
				typ, id, ok := strings.Cut(ref, "/")
				if !ok || r.have[ref] || seen[ref] || !slices.Contains(adminTypes, typ) || r.s.eng.Set().Lookup(typ) == nil || !fhir.IsValidID(id) {
					return
				}
				seen[ref] = true
				want[typ] = append(want[typ], id)
			})
		}
		visit(r.patient)
		for _, typ := range adminTypes {
			for _, res := range r.admin[typ] {
				visit(res)
			}
		}
		for _, v := range r.sections {
			visit(v)
		}
		if len(want) == 0 {
			return nil
		}
		for _, typ := range adminTypes {
			if len(want[typ]) == 0 {
				continue
			}
			found, err := r.searchIDs(typ, nil, want[typ], nil)
			if err != nil {
				return err
			}
			for _, res := range found {
				r.add(res)
			}
			for _, id := range want[typ] {
				r.have[typ+"/"+id] = true // not found: not asked for again
			}
		}
	}
	return nil
}

// walkRefs calls fn with every reference (Type/id) in a value.
func walkRefs(v fhir.Value, fn func(string)) {
	switch t := v.(type) {
	case *fhir.Object:
		for _, f := range t.Fields {
			if s, ok := f.Value.(fhir.String); ok && f.Name == "reference" {
				fn(string(s))
				continue
			}
			walkRefs(f.Value, fn)
		}
	case fhir.Array:
		for _, x := range t {
			walkRefs(x, fn)
		}
	}
}

// addListed adds to the record an area's List of resources, then the
// resources themselves.
func (r *record) addListed(area Area, resources []*fhir.Object) {
	d := areas[area]
	refs := make([]string, len(resources))
	for i, res := range resources {
		refs[i] = key(res)
	}
	l := r.list(snomed, d.listCode, d.listText, refs, nil)
	if display, ok := listDisplay[area]; ok {
		l.Get("code").(*fhir.Object).Get("coding").(fhir.Array)[0] = coding(snomed, d.listCode, display)
	}
	r.sections = append(r.sections, l)
	for _, res := range resources {
		if r.isWithheld(res) && !r.collect {
			r.withheldListed[key(res)] = true
			continue
		}
		r.have[key(res)] = true
		r.listed[key(res)] = area
		r.sections = append(r.sections, res)
	}
}

// list is a primary or secondary List of the record (CareConnect-GPC-List-1):
// current, snapshot, titled and coded, about the patient, with no id. An
// empty one says why (no content recorded) and that information is not
// available. Withheld items are left out, and the list warns of them
// (confidential-items).
func (r *record) list(system, code, title string, items []string, contained fhir.Array) *fhir.Object {
	out := 0
	if !r.collect {
		items, contained, out = r.withheldOut(items, contained)
	}
	l := r.newList(system, code, title, items, contained)
	if out > 0 {
		warn(l, []warning{{confidentialItems, confidentialNote}})
	}
	return l
}

// newList is a List of the record with the items given (see list).
func (r *record) newList(system, code, title string, items []string, contained fhir.Array) *fhir.Object {
	l := fhir.NewObject(12)
	l.Add("resourceType", fhir.String("List"))
	l.Add("meta", fhir.NewObject(1).Add("profile", fhir.Array{fhir.String(r.s.overlay.profile("List"))}))
	if len(contained) > 0 {
		l.Add("contained", contained)
	}
	l.Add("status", fhir.String("current"))
	l.Add("mode", fhir.String("snapshot"))
	l.Add("title", fhir.String(title))
	l.Add("code", fhir.NewObject(1).Add("coding", fhir.Array{coding(system, code, title)}))
	l.Add("subject", fhir.NewObject(1).Add("reference", fhir.String("Patient/"+r.pid)))
	if len(items) == 0 {
		l.Add("note", fhir.Array{fhir.NewObject(1).Add("text", fhir.String(noContent))})
		l.Add("emptyReason", fhir.NewObject(1).Add("coding", fhir.Array{coding(emptyReasonSystem, "no-content-recorded", "No Content Recorded")}))
		return l
	}
	entries := make(fhir.Array, len(items))
	for i, ref := range items {
		if text, ok := strings.CutPrefix(ref, displayOnly); ok {
			entries[i] = fhir.NewObject(1).Add("item", fhir.NewObject(1).Add("display", fhir.String(text)))
			continue
		}
		entries[i] = fhir.NewObject(1).Add("item", fhir.NewObject(1).Add("reference", fhir.String(ref)))
	}
	l.Add("entry", entries)
	return l
}

func coding(system, code, display string) *fhir.Object {
	return fhir.NewObject(3).Add("system", fhir.String(system)).Add("code", fhir.String(code)).Add("display", fhir.String(display))
}

// allergyBuilder builds the allergies area: the active allergies' list
// and, with includeResolvedAllergies, the list of those that have ended,
// which holds them contained (an ended allergy never stands alone in the
// bundle). The rows are told apart in the database, by the
// AllergyIntolerance mapping's clinical-status parameter.
var allergyBuilder = &builder{
	needs: func(set *mapping.Set) string {
		return needsSearch(set, "AllergyIntolerance", map[string]string{"patient": "reference", "clinical-status": "token"})
	},
	build: func(r *record, req *Request) error {
		active, err := r.search("AllergyIntolerance", url.Values{"patient": {"Patient/" + r.pid}, "clinical-status": {"active"}})
		if err != nil {
			return err
		}
		r.addListed(Allergies, active)
		if !req.Bool(Allergies, "includeResolvedAllergies", false) {
			return nil
		}
		ended, err := r.endedAllergies()
		if err != nil {
			return err
		}
		refs := make([]string, len(ended))
		contained := make(fhir.Array, len(ended))
		for i, a := range ended {
			r.endAllergy(a)
			refs[i] = "#" + a.GetString("id")
			contained[i] = a
			if !r.isWithheld(a) {
				r.listed[key(a)] = Allergies // in a primary list, contained
			}
		}
		r.sections = append(r.sections, r.list(snomed, endedAllergiesCode, endedAllergiesText, refs, contained))
		return nil
	},
}

// endedAllergies are the patient's allergies that are no longer active,
// told apart in the database by the AllergyIntolerance mapping's
// clinical-status parameter.
func (r *record) endedAllergies() ([]*fhir.Object, error) {
	if r.endedFound != nil {
		return *r.endedFound, nil // once a record: the ended list and the consultations' share them
	}
	found, err := r.search("AllergyIntolerance", url.Values{"patient": {"Patient/" + r.pid}, "clinical-status": {"inactive,resolved"}})
	if err != nil {
		return nil, err
	}
	r.endedFound = &found
	return found, nil
}

// endedItems are the patient's ended allergies as items a consultation
// may hold or a problem be linked to (marked ended; disabled when
// allergies are switched off here); none when allergies are not mapped
// here.
func (r *record) endedItems() ([]heldItem, error) {
	off := r.s.switchedOff[Allergies]
	if !off && !r.s.offered[Allergies] {
		return nil, nil
	}
	ended, err := r.endedAllergies() // searched once a record
	if err != nil {
		return nil, err
	}
	items := make([]heldItem, len(ended))
	for i, a := range ended {
		items[i] = heldItem{area: Allergies, item: a, disabled: off, ended: true}
	}
	return items, nil
}

// endAllergy makes an allergy that is no longer active an ended one: its
// clinical status resolved, and when it ended and why in the
// AllergyIntoleranceEnd extension (kept when the mapping renders it, else
// from the overlay's ended paths; left out when no end date is known).
func (r *record) endAllergy(a *fhir.Object) {
	t := stu3.Lookup("AllergyIntolerance")
	put(a, t, "clinicalStatus", fhir.String("resolved"))
	exts, _ := a.Get("extension").(fhir.Array)
	for _, x := range exts {
		if o, ok := x.(*fhir.Object); ok && (o.GetString("url") == allergyEndURL || o.GetString("url") == ccAllergyEndURL) {
			return
		}
	}
	rule := r.s.overlay.Resources["AllergyIntolerance"]
	if rule == nil || rule.Ended == nil {
		return
	}
	date := values(a, rule.Ended.Date)
	if len(date) == 0 {
		return
	}
	reason := noReason
	if rule.Ended.Reason != "" {
		if v := values(a, rule.Ended.Reason); len(v) > 0 && v[0] != "" {
			reason = v[0]
		}
	}
	end := fhir.NewObject(2).Add("url", fhir.String(allergyEndURL)).Add("extension", fhir.Array{
		fhir.NewObject(2).Add("url", fhir.String("endDate")).Add("valueDateTime", fhir.String(date[0])),
		fhir.NewObject(2).Add("url", fhir.String("reasonEnded")).Add("valueString", fhir.String(reason)),
	})
	put(a, t, "extension", append(exts[:len(exts):len(exts)], end))
}
