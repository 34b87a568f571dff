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
// it takes the report's.
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
	r.addListed(Investigations, "DiagnosticReport", keep)
	t := stu3.Lookup("DiagnosticReport")
	for _, p := range investigationParts {
		var ids []string
		for _, d := range keep {
			for _, ref := range values(d, p.element+".reference") {
				if id, ok := strings.CutPrefix(ref, p.typ+"/"); ok && fhir.IsValidID(id) && !slices.Contains(ids, id) && !r.have[ref] {
					ids = append(ids, id)
				}
			}
		}
		var res []*fhir.Object
		if m := r.s.eng.Set().Lookup(p.typ); len(ids) > 0 && m != nil {
			q := url.Values{"_id": {strings.Join(ids, ",")}}
			if sp := m.SearchParam("patient"); sp != nil && sp.Type == "reference" {
				q.Set("patient", "Patient/"+r.pid) // never another patient's
			}
			var err error
			if res, err = r.search(p.typ, q); err != nil {
				return err
			}
		}
		byKey := map[string]*fhir.Object{}
		for _, x := range res {
			if k := key(x); !r.have[k] {
				r.have[k] = true
				r.sections = append(r.sections, x)
				byKey[k] = x
			}
		}
		if p.typ == "Observation" {
			issuedAsReport(keep, byKey)
		}
		for _, d := range keep {
			items, _ := d.Get(p.element).(fhir.Array)
			kept := slices.DeleteFunc(slices.Clone(items), func(v fhir.Value) bool {
				o, _ := v.(*fhir.Object)
				return o == nil || !r.have[o.GetString("reference")]
			})
			switch {
			case len(kept) == len(items):
			case len(kept) == 0:
				put(d, t, p.element, nil)
			default:
				put(d, t, p.element, kept)
			}
		}
	}
	r.fileComments(keep)
	return nil
})

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
// of the patient's DiagnosticReports, when the mappings give reports:
// investigation results, never uncategorised data (SPEC §6.2).
func (r *record) investigationResults() (map[string]bool, error) {
	if investigationBuilder.needs(r.s.eng.Set()) != "" {
		return nil, nil
	}
	reports, err := r.search("DiagnosticReport", url.Values{"patient": {"Patient/" + r.pid}})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, d := range reports {
		for _, ref := range values(d, "result.reference") {
			if id, ok := strings.CutPrefix(ref, "Observation/"); ok {
				out[id] = true
			}
		}
	}
	return out, nil
}

// issuedAsReport gives each result (by Type/id) that has no issued its
// report's.
func issuedAsReport(reports []*fhir.Object, results map[string]*fhir.Object) {
	t := stu3.Lookup("Observation")
	for _, d := range reports {
		issued := d.GetString("issued")
		if issued == "" {
			continue
		}
		for _, ref := range values(d, "result.reference") {
			if o := results[ref]; o != nil && o.GetString("issued") == "" {
				put(o, t, "issued", fhir.String(issued))
			}
		}
	}
}
