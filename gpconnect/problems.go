package gpconnect

import (
	"slices"

	"github.com/ccfacade/ccfacade/fhir"
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
	r.addListed(Problems, "Condition", keep)
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
