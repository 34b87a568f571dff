package stu3

import (
	"fmt"
	"testing"
)

// The elements by which a resource references its patient are those the
// Patient compartment's parameters search, whatever their names.
func TestCompartmentElements(t *testing.T) {
	for typ, want := range map[string]string{
		"Observation":         "[subject performer]",
		"Coverage":            "[policyHolder subscriber beneficiary payor]",
		"Appointment":         "[participant.actor]",
		"FamilyMemberHistory": "[patient]",
		"ResearchSubject":     "[individual]",
	} {
		if got := fmt.Sprint(CompartmentElements("Patient", typ)); got != want {
			t.Errorf("%s: %s, want %s", typ, got, want)
		}
	}
}
