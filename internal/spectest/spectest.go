package spectest

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/fhir/spec"
)

// Names is the names of a type's elements, in order, comma-separated.
func Names(ty *spec.Type) string {
	var n []string
	for _, e := range ty.Elements {
		n = append(n, e.Name)
	}
	return strings.Join(n, ",")
}

// MustType returns a type of the release by name, failing the test when
// there is none.
func MustType(t testing.TB, rel *spec.Release, name string) *spec.Type {
	t.Helper()
	ty := rel.Lookup(name)
	if ty == nil {
		t.Fatalf("no type %s", name)
	}
	return ty
}

// MustElement returns an element of a type of the release by its JSON
// name, failing the test when there is none.
func MustElement(t testing.TB, rel *spec.Release, typ, name string) *spec.Element {
	t.Helper()
	el, _, ok := MustType(t, rel, typ).Element(name)
	if !ok {
		t.Fatalf("%s has no element %s", typ, name)
	}
	return el
}

// CheckConsistency checks every type of the release: its name; each
// element's cardinality (0 or 1 to 1 or *), types (one, but for a choice)
// known to the table, JSON names, references' targets (resource types)
// and codes (on a code only); a backbone type's parent.
func CheckConsistency(t *testing.T, rel *spec.Release) {
	n := 0
	for _, k := range []spec.Kind{spec.Resource, spec.Complex, spec.Primitive, spec.Backbone} {
		for _, name := range rel.Types(k) {
			n++
			checkType(t, rel, name, rel.Lookup(name))
		}
	}
	if n == 0 {
		t.Error("the release has no types")
	}
}

func checkType(t *testing.T, rel *spec.Release, name string, ty *spec.Type) {
	if ty.Name != name {
		t.Errorf("%s is named %s", name, ty.Name)
	}
	seen := map[string]bool{}
	for _, el := range ty.Elements {
		if el.Min != 0 && el.Min != 1 || el.Max != "1" && el.Max != "*" {
			t.Errorf("%s.%s: %d..%s", name, el.Name, el.Min, el.Max)
		}
		if len(el.Types) == 0 || !el.Choice() && len(el.Types) != 1 {
			t.Errorf("%s.%s has types %v", name, el.Name, el.Types)
		}
		for _, typ := range el.Types {
			if rel.Lookup(typ) == nil && typ != "Resource" {
				t.Errorf("%s.%s: unknown type %s", name, el.Name, typ)
			}
			js := spec.JSONName(el.Name, typ)
			if seen[js] {
				t.Errorf("%s: JSON name %s twice", name, js)
			}
			seen[js] = true
		}
		if slices.Contains(el.Types, "Reference") != (len(el.Targets) > 0) {
			t.Errorf("%s.%s: types %v, targets %v", name, el.Name, el.Types, el.Targets)
		}
		for _, r := range el.Targets {
			if r != "Resource" && !rel.IsResource(r) {
				t.Errorf("%s.%s: target %s", name, el.Name, r)
			}
		}
		if len(el.Codes) > 0 && !slices.Equal(el.Types, []string{"code"}) {
			t.Errorf("%s.%s: codes on %v", name, el.Name, el.Types)
		}
	}
	if ty.Kind == spec.Backbone {
		if parent := name[:strings.LastIndex(name, ".")]; rel.Lookup(parent) == nil {
			t.Errorf("backbone %s has no parent type", name)
		}
	}
}

// CheckResources checks the resource types of a release: Resources lists
// exactly resources (sorted, in a slice of its own), each a resource
// type; none of notResources is one.
func CheckResources(t *testing.T, rel *spec.Release, resources, notResources []string) {
	got := rel.Resources()
	if !slices.Equal(got, resources) {
		t.Errorf("Resources() = %v", got)
	}
	if !sort.StringsAreSorted(got) {
		t.Error("Resources() is not sorted")
	}
	if len(got) > 0 {
		first := got[0]
		got[0] = "changed"
		if rel.Resources()[0] != first {
			t.Error("Resources() shares its slice")
		}
	}
	for _, r := range resources {
		if !rel.IsResource(r) || rel.Lookup(r).Kind != spec.Resource {
			t.Errorf("%s is not a resource", r)
		}
	}
	for _, n := range notResources {
		if rel.IsResource(n) {
			t.Errorf("%s is a resource", n)
		}
	}
}

// CheckKinds checks the kinds of a release's types: its primitive and
// complex types (space-separated, sorted), that the kinds cover every one
// of its tableSize types, the kind of a few (kinds), and that Lookup
// finds no abstract Resource nor a type of no name it knows.
func CheckKinds(t *testing.T, rel *spec.Release, tableSize int, primitives, complex string, kinds map[string]spec.Kind) {
	if got := strings.Join(rel.Types(spec.Primitive), " "); got != primitives {
		t.Errorf("primitives: %s", got)
	}
	if got := strings.Join(rel.Types(spec.Complex), " "); got != complex {
		t.Errorf("complex types: %s", got)
	}
	n := 0
	for _, k := range []spec.Kind{spec.Resource, spec.Complex, spec.Primitive, spec.Backbone} {
		n += len(rel.Types(k))
	}
	if n != tableSize {
		t.Errorf("kinds cover %d of %d types", n, tableSize)
	}
	for name, want := range kinds {
		if got := MustType(t, rel, name).Kind; got != want {
			t.Errorf("%s is a %v, want %v", name, got, want)
		}
	}
	if rel.Lookup("Resource") != nil || rel.Lookup("nope") != nil {
		t.Error("Lookup of a type not in the table")
	}
}
