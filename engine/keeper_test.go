package engine

import (
	"testing"

	"github.com/ccfacade/ccfacade/fhir/r4"
	"github.com/ccfacade/ccfacade/fhir/spec"
	"github.com/ccfacade/ccfacade/fhir/stu3"
)

// _elements keeps a primitive's companion (_birthDate) with its element.
func TestKeeperKeepsCompanions(t *testing.T) {
	keep := keeper(stu3.Release, "Patient", []string{"birthDate", "deceased"}, "", nil)
	for name, want := range map[string]bool{
		"birthDate": true, "_birthDate": true, "deceasedDateTime": true, "_deceasedDateTime": true,
		"gender": false, "_gender": false, "id": true, "meta": true,
	} {
		if got := keep(name); got != want {
			t.Errorf("keep(%q) = %v, want %v", name, got, want)
		}
	}
}

// _summary=true keeps the summary elements of the STU3 table, a choice
// element in each of its typed forms, and the mandatory ones; _elements
// keeps the mandatory ones besides those asked for. A name that merely
// starts like a kept element is not kept with it (statusHistory).
func TestKeeperKeepsSummaryAndMandatory(t *testing.T) {
	for _, c := range []struct {
		table    *spec.Release
		typ      string
		elements []string
		summary  string
		keep     []string
		drop     []string
	}{
		{stu3.Release, "MedicationRequest", nil, "true", []string{"medicationReference", "medicationCodeableConcept", "intent", "status", "subject", "authoredOn"}, []string{"note", "dosageInstruction", "text"}},
		{stu3.Release, "MedicationStatement", nil, "true", []string{"medicationReference", "status", "taken", "effectiveDateTime", "_effectiveDateTime"}, []string{"dosage", "note"}},
		{stu3.Release, "Immunization", nil, "true", []string{"status", "notGiven", "vaccineCode", "primarySource", "note", "practitioner"}, []string{"date", "lotNumber", "site"}},
		{stu3.Release, "Encounter", nil, "true", []string{"status", "class", "type"}, []string{"statusHistory", "classHistory", "hospitalization"}},
		{stu3.Release, "Observation", []string{"id"}, "", []string{"status", "code"}, []string{"valueQuantity", "effectiveDateTime", "issued"}},
		{stu3.Release, "Encounter", []string{"id"}, "", []string{"status"}, []string{"statusHistory", "class"}},
		{stu3.Release, "AllergyIntolerance", []string{"id"}, "", []string{"verificationStatus", "patient"}, []string{"clinicalStatus", "code"}},
		{stu3.Release, "Immunization", []string{"date"}, "", []string{"date", "status", "notGiven", "vaccineCode", "primarySource"}, []string{"lotNumber"}},
		{stu3.Release, "MedicationRequest", []string{"id"}, "", []string{"intent", "medicationCodeableConcept", "medicationReference", "subject"}, []string{"status", "authoredOn"}},
		{stu3.Release, "MedicationStatement", []string{"id"}, "", []string{"status", "medicationReference", "taken", "subject"}, []string{"effectiveDateTime"}},
		{stu3.Release, "Observation", nil, "text", []string{"text", "status", "code"}, []string{"valueQuantity"}},
		// R4's own table: its mandatory and summary elements, not STU3's.
		{r4.Release, "Immunization", nil, "true", []string{"status", "vaccineCode", "occurrenceDateTime", "occurrenceString", "patient"}, []string{"notGiven", "practitioner", "lotNumber"}},
		{r4.Release, "Encounter", []string{"id"}, "", []string{"status", "class"}, []string{"statusHistory", "type"}},
		{r4.Release, "AllergyIntolerance", []string{"id"}, "", []string{"patient"}, []string{"verificationStatus", "clinicalStatus"}},
	} {
		keep := keeper(c.table, c.typ, c.elements, c.summary, []string{"subject", "patient"})
		for _, n := range c.keep {
			if !keep(n) {
				t.Errorf("%s _elements=%v _summary=%s: %s left out", c.typ, c.elements, c.summary, n)
			}
		}
		for _, n := range c.drop {
			if keep(n) {
				t.Errorf("%s _elements=%v _summary=%s: %s kept", c.typ, c.elements, c.summary, n)
			}
		}
	}
}
