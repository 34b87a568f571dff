package spectest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/fhir/spec"
	"github.com/ccfacade/ccfacade/internal/tabletest"
)

// An elementTable is what a release's tests know of its elements, written
// by hand from the specification, each row a type's element:
type elementTable struct {
	Order         map[string]string // type → the names of its elements in order, comma-separated
	Codes         []tabletest.Row3  // type, element, its codes, comma-separated
	NotEnumerated []tabletest.Row2  // type, element: a code without a list
	Cardinality   []tabletest.Row4  // type, element, "min..max", types separated by |
	References    []tabletest.Row3  // type, element, its targets, comma-separated
	Summary       []tabletest.Row2  // type, element: a summary element
	NotSummary    []tabletest.Row2  // type, element: not one
}

// CheckElementTable checks the elements of a release against the table
// in a JSON file of the release's tests: an object whose members codes,
// notEnumerated, cardinality, references, summary and notSummary are
// lists of rows, each of strings: the type and the element's name, then
// what it must be, and order, the names of each type's elements in order
// (see elementTable). Every resource's id and meta must be summary
// elements too.
func CheckElementTable(t *testing.T, rel *spec.Release, path string) {
	var tab elementTable
	tabletest.Load(t, path, &tab)
	if len(tab.Order) == 0 || len(tab.Codes) == 0 || len(tab.Cardinality) == 0 || len(tab.References) == 0 || len(tab.Summary) == 0 {
		t.Fatalf("%s: a list is empty", path)
	}
	for typ, want := range tab.Order {
		if got := Names(MustType(t, rel, typ)); got != want {
			t.Errorf("%s:\n got %s\nwant %s", typ, got, want)
		}
	}
	for _, c := range tab.Codes {
		if got := strings.Join(MustElement(t, rel, c[0], c[1]).Codes, ","); got != c[2] {
			t.Errorf("%s.%s codes %s, want %s", c[0], c[1], got, c[2])
		}
	}
	for _, c := range tab.NotEnumerated {
		if el := MustElement(t, rel, c[0], c[1]); el.Codes != nil || el.Types[0] != "code" {
			t.Errorf("%s.%s: %+v", c[0], c[1], el)
		}
	}
	for _, c := range tab.Cardinality {
		el := MustElement(t, rel, c[0], c[1])
		if got := fmt.Sprintf("%d..%s", el.Min, el.Max); got != c[2] || strings.Join(el.Types, "|") != c[3] {
			t.Errorf("%s.%s: %s %v, want %s %s", c[0], c[1], got, el.Types, c[2], c[3])
		}
	}
	for _, c := range tab.References {
		if got := strings.Join(MustElement(t, rel, c[0], c[1]).Targets, ","); got != c[2] {
			t.Errorf("%s.%s targets %s, want %s", c[0], c[1], got, c[2])
		}
	}
	for want, rows := range map[bool][]tabletest.Row2{true: tab.Summary, false: tab.NotSummary} {
		for _, c := range rows {
			if el := MustElement(t, rel, c[0], c[1]); el.Summary != want {
				t.Errorf("%s.%s: summary %v, want %v", c[0], c[1], el.Summary, want)
			}
		}
	}
	for _, r := range rel.Resources() {
		for _, n := range []string{"id", "meta"} {
			if el, _, ok := rel.Lookup(r).Element(n); !ok || !el.Summary {
				t.Errorf("%s.%s is not a summary element", r, n)
			}
		}
	}
}
