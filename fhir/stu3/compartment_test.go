package stu3

import (
	"fmt"
	"slices"
	"testing"
)

// The compartments are STU3's CompartmentDefinitions: the five types, the
// resource types of each with the parameters that bring them in, types
// outside the 14 of Care Connect among them.
func TestCompartments(t *testing.T) {
	if got := CompartmentTypes(); !slices.Equal(got, []string{"Device", "Encounter", "Patient", "Practitioner", "RelatedPerson"}) {
		t.Errorf("compartment types: %v", got)
	}
	for _, c := range []struct {
		comp, res string
		params    []string
	}{
		{"Patient", "FamilyMemberHistory", []string{"patient"}},
		{"Patient", "ProcedureRequest", []string{"subject", "performer"}},
		{"Patient", "Observation", []string{"subject", "performer"}},
		{"Patient", "Coverage", []string{"policy-holder", "subscriber", "beneficiary", "payor"}},
		{"Patient", "Patient", []string{"link"}},
		{"Encounter", "Encounter", nil},
		{"Encounter", "Condition", []string{"context"}},
		{"Practitioner", "Observation", []string{"performer"}},
	} {
		if !InCompartment(c.comp, c.res) {
			t.Errorf("%s is not in the %s compartment", c.res, c.comp)
		}
		if got := CompartmentParams(c.comp, c.res); !slices.Equal(got, c.params) {
			t.Errorf("%s in %s: %v, want %v", c.res, c.comp, got, c.params)
		}
	}
	for _, c := range [][2]string{{"Patient", "Practitioner"}, {"Patient", "Organization"}, {"Patient", "Medication"}, {"Organization", "Patient"}, {"Patient", "Nope"}} {
		if InCompartment(c[0], c[1]) || CompartmentParams(c[0], c[1]) != nil {
			t.Errorf("%s is in the %s compartment", c[1], c[0])
		}
	}
}

// Each group of CompartmentSearch finds the same resources for a
// compartment: the parameters that search the same elements as the
// definition's, those limited to the compartment's type first, those not
// limited at all last.
func TestCompartmentSearch(t *testing.T) {
	for _, c := range []struct {
		comp, res, want string
	}{
		{"Patient", "Observation", "[[patient subject] [performer]]"},
		{"Patient", "FamilyMemberHistory", "[[patient]]"},
		{"Patient", "ProcedureRequest", "[[patient subject] [performer]]"},
		{"Patient", "MedicationAdministration", "[[patient subject] [performer] [patient subject]]"},
		{"Patient", "AuditEvent", "[[patient] [agent.patient] [entity.patient]]"},
		{"Encounter", "Condition", "[[encounter context]]"},
		{"Encounter", "Observation", "[[encounter context]]"},
		{"Patient", "Condition", "[[patient subject] [asserter]]"},
		{"Encounter", "Encounter", "[]"},
	} {
		if got := fmt.Sprint(CompartmentSearch(c.comp, c.res)); got != c.want {
			t.Errorf("%s in %s: %s, want %s", c.res, c.comp, got, c.want)
		}
	}
}
