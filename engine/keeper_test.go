package engine

import "testing"

// _elements keeps a primitive's companion (_birthDate) with its element.
func TestKeeperKeepsCompanions(t *testing.T) {
	keep := keeper("Patient", []string{"birthDate", "deceased"}, "", nil)
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
		typ      string
		elements []string
		summary  string
		keep     []string
		drop     []string
	}{
		{"MedicationRequest", nil, "true", []string{"medicationReference", "medicationCodeableConcept", "intent", "status", "subject", "authoredOn"}, []string{"note", "dosageInstruction", "text"}},
		{"MedicationStatement", nil, "true", []string{"medicationReference", "status", "taken", "effectiveDateTime", "_effectiveDateTime"}, []string{"dosage", "note"}},
		{"Immunization", nil, "true", []string{"status", "notGiven", "vaccineCode", "primarySource", "note", "practitioner"}, []string{"date", "lotNumber", "site"}},
		{"Encounter", nil, "true", []string{"status", "class", "type"}, []string{"statusHistory", "classHistory", "hospitalization"}},
		{"Observation", []string{"id"}, "", []string{"status", "code"}, []string{"valueQuantity", "effectiveDateTime", "issued"}},
		{"Encounter", []string{"id"}, "", []string{"status"}, []string{"statusHistory", "class"}},
		{"AllergyIntolerance", []string{"id"}, "", []string{"verificationStatus", "patient"}, []string{"clinicalStatus", "code"}},
		{"Immunization", []string{"date"}, "", []string{"date", "status", "notGiven", "vaccineCode", "primarySource"}, []string{"lotNumber"}},
		{"MedicationRequest", []string{"id"}, "", []string{"intent", "medicationCodeableConcept", "medicationReference", "subject"}, []string{"status", "authoredOn"}},
		{"MedicationStatement", []string{"id"}, "", []string{"status", "medicationReference", "taken", "subject"}, []string{"effectiveDateTime"}},
		{"Observation", nil, "text", []string{"text", "status", "code"}, []string{"valueQuantity"}},
	} {
		keep := keeper(c.typ, c.elements, c.summary, []string{"subject", "patient"})
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
