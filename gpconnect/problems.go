package gpconnect

import (
	"slices"
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/stu3"
)

// Problems (SPEC §6.2).
const (
	problemListItem = "problem-list-item"
	significanceURL = "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-ProblemSignificance-1"
)

// problemBuilder builds the problems area: the list of the patient's
// Conditions that are problem-list items, as ProblemHeader Conditions,
// each in the bundle. filterStatus keeps the active or the inactive
// ones (GP Connect's two statuses: resolved and remission are inactive),
// filterSignificance the major or the minor ones (the Care Connect
// ProblemSignificance extension of the rendering). includeProblems may be
// given more than once: a problem any of its filter pairs keeps is
// returned. Links between problems and to other items are the
// relatedProblemHeader and relatedClinicalContent extensions of the
// rendering, when its mapping gives them.
var problemBuilder = patientItems("Condition", func(r *record, req *Request, found []*fhir.Object) error {
	var keep []*fhir.Object
	for _, c := range found {
		if !slices.Contains(values(c, "category.coding.code"), problemListItem) {
			continue
		}
		for _, ps := range req.Areas[Problems] {
			if v, ok := ps["filterStatus"]; ok && problemStatus(c) != v.Code {
				continue
			}
			if v, ok := ps["filterSignificance"]; ok && significance(c) != v.Code {
				continue
			}
			keep = append(keep, c)
			break
		}
	}
	r.addListed(Problems, keep)
	return nil
})

// problemStatus is a problem's status as GP Connect has it: active or
// inactive.
func problemStatus(c *fhir.Object) string {
	switch c.GetString("clinicalStatus") {
	case "active", "recurrence":
		return "active"
	}
	return "inactive"
}

// significance is a problem's significance (major, minor), "" if none.
func significance(c *fhir.Object) string {
	for _, x := range extensionsOf(c) {
		if x.GetString("url") == significanceURL {
			return x.GetString("valueCode")
		}
	}
	return ""
}

// Links of problems (SPEC §6.1, §6.2).
const (
	relatedContentURL = "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedClinicalContent-1"
	relatedProblemURL = "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedProblemHeader-1"
	linkedProblems    = "problems-linked-problems-not-relating-to-the-primary-query"
)

// linkProblems adds, once every area asked for is built, what the
// problems' links bring (SPEC §5, §6.1, §6.2):
//
//   - when problems were asked for, the items each problem of the
//     Problems list is linked to (its relatedClinicalContent), each with
//     what it depends on, listed by area in the "Problems - … related to
//     problems" lists: a medication with its plan and Medication (an
//     issue only when the problem links to it), an investigation with its
//     results, specimens and request, an ended allergy contained in the
//     "Problems - allergies that have been ended related to problems"
//     list (an ended allergy never stands alone in the bundle). A link
//     to an item of an area switched off here becomes a display-only
//     entry of the area's list; a link to a consultation the record
//     sends (consultations were asked for) is listed in "Problems -
//     consultations related to problems", one to another consultation,
//     or to an item no area offered holds, stays a reference only;
//   - whatever was asked for, the problems linked to a listed problem
//     (relatedProblemHeader) or to an item of a primary list (their
//     relatedClinicalContent; the ended allergies of the "Ended
//     allergies" list count) that are not themselves in the record, in
//     the one "Problems - linked problems not relating to the primary
//     query" list. Their own links stay references only;
//   - every problem of the record (listed, held by a consultation or
//     linked) shows a link to an item of an area switched off as its
//     display ("Referral items have been disabled"), and the answer
//     warns that the area is not implemented.
//
// The items of an area are those its builder makes with no filter, as in
// a consultation, so the mappings alone say what links to what.
func (r *record) linkProblems(req *Request) error {
	if !r.s.offered[Problems] {
		return nil
	}
	var listedProblems, sent []*fhir.Object
	for _, v := range r.sections {
		if v.GetString("resourceType") == "Condition" {
			sent = append(sent, v)
			if r.listed[key(v)] == Problems {
				listedProblems = append(listedProblems, v)
			}
		}
	}
	if err := r.toReports(sent); err != nil {
		return err
	}
	if len(req.Areas[Problems]) > 0 {
		if err := r.relatedItems(listedProblems); err != nil {
			return err
		}
	}
	if err := r.linkedProblems(listedProblems); err != nil {
		return err
	}
	return r.disableLinks()
}

// linkedProblems adds the "Problems - linked problems not relating to the
// primary query" list and its problems (see linkProblems).
func (r *record) linkedProblems(listedProblems []*fhir.Object) error {
	wanted := map[string]bool{}
	for _, p := range listedProblems {
		for _, x := range extensionsOf(p) {
			if x.GetString("url") == relatedProblemURL {
				for _, ref := range values(x, "extension.valueReference.reference") {
					wanted[ref] = true
				}
			}
		}
	}
	items := len(wanted) > 0
	for _, a := range r.listed {
		items = items || a != Problems
	}
	if !items {
		return nil // nothing listed a problem could be linked to
	}
	all, err := r.linkedItems(Problems, problemBuilder)
	if err != nil {
		return err
	}
	var linked []*fhir.Object
	for _, p := range all {
		k := key(p.item)
		if r.have[k] || r.withheldListed[k] {
			continue // in the record, or left out of the Problems list
		}
		hit := wanted[k]
		for _, ref := range relatedContent(p.item) {
			if a, ok := r.listed[ref]; ok && a != Problems {
				hit = true
			}
		}
		if hit {
			linked = append(linked, p.item)
		}
	}
	if len(linked) == 0 {
		return nil
	}
	refs := make([]string, len(linked))
	for i, p := range linked {
		refs[i] = key(p)
	}
	r.sections = append(r.sections, r.list(secondarySystem, linkedProblems, secondaryTitle(linkedProblems), refs, nil))
	for _, p := range linked {
		if r.isWithheld(p) {
			continue
		}
		r.have[key(p)] = true
		r.sections = append(r.sections, p)
	}
	return nil
}

// toReports makes the links of problems to test results (and test
// group headers) links to their reports (SPEC §6.2: the DiagnosticReport
// is what a problem links to), the report once: the investigations'
// items as their builder makes them tell which report an Observation is
// a result of. A link to a withheld result is left as it is (withhold
// takes it out).
func (r *record) toReports(problems []*fhir.Object) error {
	linksResult := false
	for _, p := range problems {
		for _, ref := range relatedContent(p) {
			linksResult = linksResult || strings.HasPrefix(ref, "Observation/")
		}
	}
	if !linksResult {
		return nil
	}
	items, err := r.linkedItems(Investigations, investigationBuilder)
	if err != nil {
		return err
	}
	reportOf := map[string]string{}
	for _, it := range items {
		if it.item.GetString("resourceType") != "DiagnosticReport" {
			continue
		}
		for _, d := range it.deps {
			if d.GetString("resourceType") == "Observation" && !r.isWithheld(d) {
				reportOf[key(d)] = key(it.item)
			}
		}
	}
	for _, p := range problems {
		exts, _ := p.Get("extension").(fhir.Array)
		seen := map[string]bool{}
		for _, ref := range relatedContent(p) {
			seen[ref] = true
		}
		kept := exts[:0:0]
		changed := false
		for _, x := range exts {
			o, ok := x.(*fhir.Object)
			if !ok || o.GetString("url") != relatedContentURL {
				kept = append(kept, x)
				continue
			}
			report, ok := reportOf[first(values(o, "valueReference.reference"))]
			switch {
			case !ok:
				kept = append(kept, x)
			case seen[report]:
				changed = true // the problem links to the report already
			default:
				seen[report] = true
				changed = true
				kept = append(kept, fhir.NewObject(2).Add("url", fhir.String(relatedContentURL)).
					Add("valueReference", fhir.NewObject(1).Add("reference", fhir.String(report))))
			}
		}
		if changed {
			put(p, stu3.Lookup("Condition"), "extension", kept)
		}
	}
	return nil
}

// consultationsRelated is the secondary list of the consultations the
// problems are linked to, when the record sends them.
const consultationsRelated = "problems-consultations-related-to-problems"

// endedRelated is the secondary list of the ended allergies the problems
// are linked to.
const endedRelated = "problems-allergies-that-have-been-ended-related-to-problems"

// relatedItems adds the items the listed problems are linked to, by area,
// with their lists (see linkProblems).
func (r *record) relatedItems(problems []*fhir.Object) error {
	var refs []string
	for _, p := range problems {
		refs = append(refs, relatedContent(p)...)
	}
	if len(refs) == 0 {
		return nil
	}
	owner, err := r.owners()
	if err != nil {
		return err
	}
	lists := map[Area][]string{}
	var items []heldItem
	var ended []heldItem
	var consultations []string
	direct := map[string]bool{}
	for _, ref := range refs {
		o, ok := owner[ref]
		switch {
		case strings.HasPrefix(ref, "Encounter/") && r.have[ref]:
			// A consultation the record sends (consultations were asked
			// for): listed; one not sent stays a reference only.
			if !slices.Contains(consultations, ref) {
				consultations = append(consultations, ref)
			}
		case !ok:
			continue
		case o.ended && !o.disabled:
			ended = append(ended, o)
		case r.withheld[ref] || r.isWithheld(o.item):
			if !slices.Contains(lists[o.area], ref) {
				lists[o.area] = append(lists[o.area], ref) // the list warns of it
			}
			r.withheld[ref] = true // a part of a withheld item: withheld with it
		case o.disabled:
			if text := displayOnly + disabledItems[o.area]; !slices.Contains(lists[o.area], text) {
				lists[o.area] = append(lists[o.area], text)
			}
		default:
			if !slices.Contains(lists[o.area], ref) {
				lists[o.area] = append(lists[o.area], ref)
			}
			direct[ref] = true
			items = append(items, o)
		}
	}
	if len(consultations) > 0 {
		r.sections = append(r.sections, r.list(secondarySystem, consultationsRelated, secondaryTitle(consultationsRelated), consultations, nil))
	}
	for _, la := range linkedAreas {
		if len(lists[la.area]) > 0 {
			r.sections = append(r.sections, r.list(secondarySystem, la.problems, secondaryTitle(la.problems), lists[la.area], nil))
		}
		if la.area == Allergies && len(ended) > 0 {
			r.sections = append(r.sections, r.endedList(endedRelated, ended))
		}
	}
	for _, it := range items {
		if r.isWithheld(it.item) {
			continue
		}
		for _, res := range append([]*fhir.Object{it.item}, it.deps...) {
			k := key(res)
			if r.have[k] || isOrder(res) && !direct[k] {
				continue // in the record already, or an issue the problem does not link to
			}
			r.have[k] = true
			r.sections = append(r.sections, res)
		}
	}
	return nil
}

// owners maps every item a problem may be linked to, and every resource
// such an item depends on, to the item: the items of the areas offered or
// switched off here, as their builders make them with no filter, and the
// ended allergies (marked ended). Made once a record.
func (r *record) owners() (map[string]heldItem, error) {
	if r.owner != nil {
		return r.owner, nil
	}
	owner := map[string]heldItem{}
	var all []heldItem
	for _, la := range linkedAreas {
		if la.problems == "" {
			continue
		}
		items, err := r.linkedItems(la.area, la.builder)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		// An item is its own owner, though another depends on it (a
		// referral's letter is a document of its own).
		for _, it := range items {
			if _, dup := owner[key(it.item)]; !dup {
				owner[key(it.item)] = it
			}
		}
		if la.area == Allergies {
			ended, err := r.endedItems()
			if err != nil {
				return nil, err
			}
			for _, it := range ended {
				if _, dup := owner[key(it.item)]; !dup {
					owner[key(it.item)] = it
				}
			}
		}
	}
	for _, it := range all {
		for _, res := range it.deps {
			if _, dup := owner[key(res)]; !dup {
				owner[key(res)] = it
			}
		}
	}
	r.owner = owner
	return owner, nil
}

// disableLinks makes each problem's link to an item of an area switched
// off here its display (see linkProblems).
func (r *record) disableLinks() error {
	off := false
	for _, la := range linkedAreas {
		off = off || la.problems != "" && r.s.switchedOff[la.area]
	}
	if !off {
		return nil
	}
	for _, v := range r.sections {
		if v.GetString("resourceType") != "Condition" || len(relatedContent(v)) == 0 {
			continue
		}
		owner, err := r.owners()
		if err != nil {
			return err
		}
		for _, x := range extensionsOf(v) {
			if x.GetString("url") != relatedContentURL {
				continue
			}
			if ref := first(values(x, "valueReference.reference")); !r.withheld[ref] && owner[ref].disabled {
				o := owner[ref]
				put(x, nil, "valueReference", fhir.NewObject(1).Add("display", fhir.String(disabledItems[o.area])))
				r.disabledLinks[o.area] = true
			}
		}
	}
	return nil
}

// relatedContent are the references of a problem's relatedClinicalContent
// extensions.
func relatedContent(p *fhir.Object) []string {
	var out []string
	for _, x := range extensionsOf(p) {
		if x.GetString("url") == relatedContentURL {
			out = append(out, values(x, "valueReference.reference")...)
		}
	}
	return out
}

// isOrder says whether a resource is a MedicationRequest of intent order
// (a prescription issue).
func isOrder(res *fhir.Object) bool {
	return res.GetString("resourceType") == "MedicationRequest" && res.GetString("intent") == "order"
}
