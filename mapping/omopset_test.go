package mapping

import (
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/mappingsets"
)

// The shipped OMOP CDM set loads without a problem and maps every type
// its documentation lists.
func TestOMOPMappingsLoad(t *testing.T) {
	set, err := LoadFS(mappingsets.OMOP, "omop", "mappingsets/omop", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"Patient", "Practitioner", "Organization", "Location", "Encounter", "Condition",
		"Procedure", "Observation", "Medication", "MedicationStatement", "Immunization"} {
		if set.Lookup(r) == nil {
			t.Errorf("%s is not mapped", r)
		}
	}
	if n := len(set.Mappings); n != 11 {
		t.Errorf("%d mappings, want 11", n)
	}
	if sp := set.Lookup("Condition").SearchParam("code"); sp == nil || sp.SystemFrom == nil || sp.SystemFrom.Concept == nil {
		t.Error("Condition code search does not take its system from the vocabulary")
	}
}
