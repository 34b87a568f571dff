package stu3

import (
	"slices"
	"testing"

	"github.com/ccfacade/ccfacade/internal/spectest"
)

// The compartments are STU3's CompartmentDefinitions: the five types, the
// resource types of each with the parameters that bring them in, types
// outside the 14 of Care Connect among them. Each group of
// CompartmentSearch finds the same resources for a compartment: the
// parameters that search the same elements as the definition's, those
// limited to the compartment's type first, those not limited at all last.
// The elements by which a resource references its patient are those the
// Patient compartment's parameters search, whatever their names. A
// reference parameter's targets are its definition's, else those of the
// elements it searches. The table of all that is testdata/search.json.
func TestCompartments(t *testing.T) {
	if got := CompartmentTypes(); !slices.Equal(got, []string{"Device", "Encounter", "Patient", "Practitioner", "RelatedPerson"}) {
		t.Errorf("compartment types: %v", got)
	}
	spectest.CheckSearchTable(t, Release, "testdata/search.json")
}
