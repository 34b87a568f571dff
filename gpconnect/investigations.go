package gpconnect

import (
	"net/url"
	"slices"
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/stu3"
)

// investigationParts are the elements of a DiagnosticReport that refer to
// the resources sent with it: its results (test results and group
// headers), its specimens and the test request it answers.
var investigationParts = []struct{ element, typ string }{
	{"result", "Observation"},
	{"specimen", "Specimen"},
	{"basedOn", "ProcedureRequest"},
}

// investigationBuilder builds the investigations area (SPEC §6.2): the
// list of the patient's DiagnosticReports, each in the bundle with the
// Observations of its results, its Specimens and its test request, a
// ProcedureRequest (found by id, and by the
// patient where their mapping searches by patient, one search a type; a
// reference to one the mappings do not give is left out of the report,
// so that every reference of the bundle resolves).
// investigationSearchPeriod keeps the reports issued within it (a partial
// date stands for its year or month); one of unknown issue date is kept,
// as GP Connect asks of items of unknown date. A result the mapping gives
// no issued (GP Connect requires it) was made available with its report:
// it takes the report's, and the report's specimen where it has one
// (specimenOfResults). A report is coded Diagnostic studies report, and a
// test request sent without the elements GP Connect does not use of one.
var investigationBuilder = patientItems("DiagnosticReport", func(r *record, req *Request, found []*fhir.Object) error {
	keep := found[:0]
	for _, d := range found {
		if ps := req.Areas[Investigations]; len(ps) > 0 {
			v, ok := ps[0]["investigationSearchPeriod"]
			if issued := d.GetString("issued"); ok && !within(lower(issued), upper(issued), v.Start, v.End) {
				continue
			}
		}
		keep = append(keep, d)
	}
	t := stu3.Lookup("DiagnosticReport")
	for _, d := range keep {
		put(d, t, "code", fhir.NewObject(1).Add("coding", fhir.Array{coding(snomed, diagnosticStudiesCode, diagnosticStudiesDisplay)}))
	}
	r.addListed(Investigations, keep)
	for _, p := range investigationParts {
		sent, err := r.sendReferred(keep, p.element, p.typ)
		if err != nil {
			return err
		}
		if p.typ == "ProcedureRequest" {
			for _, q := range sent {
				testRequest(q)
			}
		}
		if p.typ != "Observation" {
			continue
		}
		issuedAs(keep, "result", sent)
		// The members of test groups (a header's related has-member), and
		// theirs however deep (a member sent once: no cycle), issued with
		// their header.
		for len(sent) > 0 {
			headers := sent
			if sent, err = r.sendReferred(headers, "related.target", "Observation"); err != nil {
				return err
			}
			issuedAs(headers, "related.target", sent)
		}
	}
	specimenOfResults(keep, r.sections)
	r.fileComments(keep)
	return nil
})

// specimenOfResults gives the results of a report based on one specimen
// (its test group headers, and their members however deep) that specimen,
// where their rendering names none: GP Connect sends a test result's
// specimen where it is known, and a report's one specimen is that of all
// it holds. sections are the record's resources, the results among them.
func specimenOfResults(reports []*fhir.Object, sections []*fhir.Object) {
	t := stu3.Lookup("Observation")
	observations := map[string]*fhir.Object{}
	for _, o := range sections {
		if o.GetString("resourceType") == "Observation" {
			observations[key(o)] = o
		}
	}
	for _, d := range reports {
		specimens := values(d, "specimen.reference")
		if len(specimens) != 1 {
			continue
		}
		queue := values(d, "result.reference")
		seen := map[string]bool{}
		for len(queue) > 0 {
			ref := queue[0]
			queue = queue[1:]
			o := observations[ref]
			if o == nil || seen[ref] {
				continue
			}
			seen[ref] = true
			if o.Get("specimen") == nil {
				put(o, t, "specimen", fhir.NewObject(1).Add("reference", fhir.String(specimens[0])))
			}
			queue = append(queue, values(o, "related.target.reference")...)
		}
	}
}

// A report's code, as GP Connect's guidance has it: the name of the test
// is its results' and test groups' (their codes), the report's is SNOMED's
// Diagnostic studies report.
const (
	diagnosticStudiesCode    = "721981007"
	diagnosticStudiesDisplay = "Diagnostic studies report"
)

// testRequestUnused are the elements of a test request (a ProcedureRequest
// a report is based on) GP Connect's guidance says are not in use (a
// choice by its name's start); those of a diary entry are the overlay's
// drop.
var testRequestUnused = []string{"definition", "basedOn", "replaces", "requisition", "priority", "doNotPerform", "category", "context", "occurrence",
	"asNeeded", "authoredOn", "performerType", "supportingInfo", "specimen", "bodySite", "relevantHistory"}

// testRequest leaves out of a test request the elements not in use.
func testRequest(q *fhir.Object) {
	t := stu3.Lookup("ProcedureRequest")
	for _, f := range slices.Clone(q.Fields) {
		for _, el := range testRequestUnused {
			if f.Name == el || (el == "occurrence" || el == "asNeeded") && strings.HasPrefix(f.Name, el) {
				put(q, t, f.Name, nil)
			}
		}
	}
}

// sendReferred adds to the record the resources of a type that the
// resources given refer to at a path (result, specimen, related.target),
// found by id (and the patient, where their mapping searches by patient),
// one search; a reference to one the mappings do not give is left out of
// its resource (its list item, or the element), so that every reference
// resolves. It returns those it added, in the order found.
func (r *record) sendReferred(from []*fhir.Object, path, typ string) ([]*fhir.Object, error) {
	var ids []string
	seen := map[string]bool{}
	for _, d := range from {
		for _, ref := range values(d, path+".reference") {
			if id, ok := strings.CutPrefix(ref, typ+"/"); ok && fhir.IsValidID(id) && !seen[id] && !r.have[ref] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	var res []*fhir.Object
	if r.s.eng.Set().Lookup(typ) != nil && len(ids) > 0 {
		var err error
		if res, err = r.searchIDs(typ, nil, ids, r.ofPatient(typ)); err != nil {
			return nil, err
		}
	}
	var sent []*fhir.Object
	for _, x := range res {
		if k := key(x); !r.have[k] {
			r.have[k] = true
			r.sections = append(r.sections, x)
			sent = append(sent, x)
		}
	}
	element, rest, nested := strings.Cut(path, ".")
	for _, d := range from {
		items, _ := d.Get(element).(fhir.Array)
		kept := slices.DeleteFunc(slices.Clone(items), func(v fhir.Value) bool {
			o, _ := v.(*fhir.Object)
			if nested && o != nil {
				o, _ = fhir.Path(o, rest).(*fhir.Object)
			}
			return o == nil || !r.have[o.GetString("reference")]
		})
		t := stu3.Lookup(d.GetString("resourceType"))
		switch {
		case len(kept) == len(items):
		case len(kept) == 0:
			put(d, t, element, nil)
		default:
			put(d, t, element, kept)
		}
	}
	return sent, nil
}

// Filing comments (SPEC §6.2).
const (
	commentNoteCode    = "37331000000100"
	commentNoteDisplay = "Comment note"
)

// fileComments sends the comment a report was filed with, where the
// overlay names the element of its rendering that holds it
// (filing_comment), as GP Connect does: an Observation coded Comment note
// (SNOMED 37331000000100), status unknown, about the report's subject, in
// its consultation, issued with it, the text its comment; the report's
// first result. The element leaves the report.
func (r *record) fileComments(reports []*fhir.Object) {
	rule := r.s.overlay.Resources["DiagnosticReport"]
	if rule == nil || rule.FilingComment == "" {
		return
	}
	t := stu3.Lookup("DiagnosticReport")
	for _, d := range reports {
		text := strings.TrimSpace(d.GetString(rule.FilingComment))
		put(d, t, rule.FilingComment, nil)
		if text == "" {
			continue
		}
		c := fhir.NewObject(9)
		c.Add("resourceType", fhir.String("Observation"))
		c.AddString("id", uuid5(r.s.ns, "Observation/filing-comment/"+d.GetString("id")))
		c.Add("status", fhir.String("unknown"))
		c.Add("code", fhir.NewObject(1).Add("coding", fhir.Array{coding(snomed, commentNoteCode, commentNoteDisplay)}))
		for _, el := range []string{"subject", "context"} {
			if v := d.Get(el); v != nil {
				c.Add(el, v)
			}
		}
		if issued := d.GetString("issued"); issued != "" {
			c.Add("issued", fhir.String(issued))
		}
		c.Add("comment", fhir.String(text))
		results, _ := d.Get("result").(fhir.Array)
		put(d, t, "result", append(fhir.Array{fhir.NewObject(1).Add("reference", fhir.String(key(c)))}, results...))
		r.have[key(c)] = true
		r.sections = append(r.sections, c)
	}
}

// investigationResults are the ids of the Observations that are results
// of the patient's DiagnosticReports, when the mappings give reports, and
// of the members of those that are test group headers, however deep,
// among the patient's Observations (found): investigation results, never
// uncategorised data (SPEC §6.2).
func (r *record) investigationResults(found []*fhir.Object) (map[string]bool, error) {
	if investigationBuilder.needs(r.s.eng.Set()) != "" {
		return nil, nil
	}
	reports, err := r.search("DiagnosticReport", url.Values{"patient": {"Patient/" + r.pid}})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	var ids []string
	for _, d := range reports {
		for _, ref := range values(d, "result.reference") {
			if id, ok := strings.CutPrefix(ref, "Observation/"); ok && !out[id] {
				out[id] = true
				ids = append(ids, id)
			}
		}
	}
	byID := map[string]*fhir.Object{}
	for _, o := range found {
		byID[o.GetString("id")] = o
	}
	for len(ids) > 0 {
		id := ids[0]
		ids = ids[1:]
		for _, ref := range values(byID[id], "related.target.reference") {
			if m, ok := strings.CutPrefix(ref, "Observation/"); ok && !out[m] {
				out[m] = true
				ids = append(ids, m)
			}
		}
	}
	return out, nil
}

// issuedAs gives each Observation that has no issued the issued of the
// resource that refers to it at path (a report's result, a group header's
// related.target).
func issuedAs(from []*fhir.Object, path string, sent []*fhir.Object) {
	t := stu3.Lookup("Observation")
	observations := map[string]*fhir.Object{}
	for _, o := range sent {
		observations[key(o)] = o
	}
	for _, d := range from {
		issued := d.GetString("issued")
		if issued == "" {
			continue
		}
		for _, ref := range values(d, path+".reference") {
			if o := observations[ref]; o != nil && o.GetString("issued") == "" {
				put(o, t, "issued", fhir.String(issued))
			}
		}
	}
}
