package spectest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/fhir/spec"
	"github.com/ccfacade/ccfacade/internal/tabletest"
)

// A searchTable is what a release's tests know of its search parameters'
// targets and of its compartments, written by hand from the
// specification, each row a list of strings:
type searchTable struct {
	Targets             []tabletest.Row3 // resource type, parameter, its Targets as fmt prints them
	CompartmentParams   []tabletest.Row3 // compartment, resource type, its CompartmentParams, comma-separated ("": none, by its id)
	NotInCompartment    []tabletest.Row2 // compartment, resource type that is not in it
	CompartmentSearch   []tabletest.Row3 // compartment, resource type, its CompartmentSearch as fmt prints it
	CompartmentElements []tabletest.Row3 // compartment, resource type, its CompartmentElements as fmt prints them
}

// CheckSearchTable checks the search parameters' targets and the
// compartments of a release against the table in a JSON file of the
// release's tests: an object whose members targets, compartmentParams,
// notInCompartment, compartmentSearch and compartmentElements are lists
// of rows (see searchTable); compartmentParams must not be empty.
func CheckSearchTable(t *testing.T, rel *spec.Release, path string) {
	var tab searchTable
	tabletest.Load(t, path, &tab)
	if len(tab.CompartmentParams) == 0 {
		t.Fatalf("%s: no compartmentParams", path)
	}
	for _, c := range tab.Targets {
		p, ok := rel.LookupSearchParameter(c[0], c[1])
		if got := fmt.Sprint(rel.Targets(c[0], p)); !ok || got != c[2] {
			t.Errorf("%s %s: %s, want %s", c[0], c[1], got, c[2])
		}
	}
	for _, c := range tab.CompartmentParams {
		if !rel.InCompartment(c[0], c[1]) {
			t.Errorf("%s is not in the %s compartment", c[1], c[0])
		}
		got := rel.CompartmentParams(c[0], c[1])
		if strings.Join(got, ",") != c[2] || (c[2] == "" && got != nil) {
			t.Errorf("%s in %s: %v, want %s", c[1], c[0], got, c[2])
		}
	}
	for _, c := range tab.NotInCompartment {
		if rel.InCompartment(c[0], c[1]) || rel.CompartmentParams(c[0], c[1]) != nil {
			t.Errorf("%s is in the %s compartment", c[1], c[0])
		}
	}
	for _, c := range tab.CompartmentSearch {
		if got := fmt.Sprint(rel.CompartmentSearch(c[0], c[1])); got != c[2] {
			t.Errorf("%s in %s: %s, want %s", c[1], c[0], got, c[2])
		}
	}
	for _, c := range tab.CompartmentElements {
		if got := fmt.Sprint(rel.CompartmentElements(c[0], c[1])); got != c[2] {
			t.Errorf("%s in %s: %s, want %s", c[1], c[0], got, c[2])
		}
	}
}
