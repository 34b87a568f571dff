package mapping

import (
	"testing"

	"github.com/ccfacade/ccfacade/mappingsets"
)

// The shipped OMOP CDM set loads without a problem and maps every type
// its documentation lists.
func TestOMOPMappingsLoad(t *testing.T) {
	set := loadShipped(t, mappingsets.OMOP, "omop", "Patient", "Practitioner", "Organization", "Location", "Encounter", "Condition",
		"Procedure", "Observation", "Medication", "MedicationStatement", "Immunization")
	if n := len(set.Mappings); n != 11 {
		t.Errorf("%d mappings, want 11", n)
	}
	// code follows the element: the coding (system from the vocabulary)
	// and, for :missing, the text shown when there is no concept.
	sp := set.Lookup("Condition").SearchParam("code")
	if sp == nil || len(sp.Branches) != 3 || sp.Branches[0].SystemFrom == nil || sp.Branches[0].SystemFrom.Concept == nil || !sp.Branches[1].PresenceOnly || !sp.Branches[2].PresenceOnly {
		t.Errorf("Condition code search: %+v", sp)
	}
}
