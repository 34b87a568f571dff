package spectest

import (
	"slices"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/fhir/spec"
	"github.com/ccfacade/ccfacade/internal/tabletest"
)

// CheckSearchPaths checks every search parameter of a release's table
// (table is the one the release was made from) and returns how many paths
// it checked: each is of a resource type, found by its name, of a known
// search type, with paths naming elements of the release along each step
// whose types its search type fits; a filter is on a ContactPoint's
// system; a Target names resource types its elements may point to, and
// leaves some out. The specification's own misfits are listed, by
// parameter (misfits: "Resource.name" → element types, space-separated)
// or by name alone (misfitNames: name → element type), each of which must
// still be seen.
func CheckSearchPaths(t *testing.T, rel *spec.Release, table map[string][]spec.SearchParameter, fits map[string][]string, misfits, misfitNames map[string]string) int {
	seen := map[string]bool{}
	n := 0
	for res, params := range table {
		if !rel.IsResource(res) {
			t.Errorf("%s is not a resource", res)
			continue
		}
		for _, p := range params {
			key := res + "." + p.Name
			if p2, ok := rel.LookupSearchParameter(res, p.Name); !ok || p2.ID != p.ID {
				t.Errorf("%s listed twice", key)
			}
			if _, ok := fits[p.Type]; !ok {
				t.Errorf("%s: type %q", key, p.Type)
			}
			if len(p.Paths) == 0 {
				t.Errorf("%s has no paths", key)
			}
			var reachable []string // what the elements at the paths may point to
			for _, path := range p.Paths {
				n++
				path, filter, hasFilter := strings.Cut(path, "|")
				typ := rel.Lookup(res)
				var el *spec.Element
				var types []string
				for _, step := range strings.Split(path, ".") {
					if typ == nil {
						t.Errorf("%s: %s: %q is inside a primitive or a choice", key, path, step)
						el = nil
						break
					}
					name, choice, isChoice := strings.Cut(strings.TrimSuffix(step, "]"), "[")
					if isChoice {
						name += "[x]"
					}
					el = nil
					for i := range typ.Elements {
						if typ.Elements[i].Name == name {
							el = &typ.Elements[i]
						}
					}
					if el == nil {
						t.Errorf("%s: %s: %s has no element %q", key, path, typ.Name, step)
						break
					}
					types = el.Types
					if isChoice && choice != "x" {
						if !slices.Contains(el.Types, choice) {
							t.Errorf("%s: %s: %s is not a %s", key, path, step, choice)
						}
						types = []string{choice}
					}
					typ = rel.Lookup(types[0])
					if len(types) > 1 {
						typ = nil
					}
				}
				if el == nil {
					continue
				}
				if hasFilter && (!slices.Equal(types, []string{"ContactPoint"}) || !strings.HasPrefix(filter, "system=")) {
					t.Errorf("%s: %s: filter %q on %v", key, path, filter, types)
				}
				if slices.Contains(types, "Reference") {
					reachable = append(reachable, el.Targets...)
				}
				if slices.Contains(types, "canonical") {
					reachable = append(reachable, "Resource")
				}
				for _, ty := range types {
					switch {
					case slices.Contains(fits[p.Type], ty):
					case slices.Contains(strings.Fields(misfits[key]), ty):
						seen[key] = true
					case misfitNames[p.Name] == ty:
						seen[p.Name] = true
					default:
						t.Errorf("%s: %s is a %s, not searchable as a %s", key, path, ty, p.Type)
					}
				}
			}
			if len(p.Target) > 0 {
				if p.Type != "reference" {
					t.Errorf("%s: a %s parameter with targets", key, p.Type)
				}
				for _, r := range p.Target {
					if !rel.IsResource(r) || !slices.Contains(reachable, r) && !slices.Contains(reachable, "Resource") {
						t.Errorf("%s: target %s is not a resource its elements point to (%v)", key, r, reachable)
					}
				}
				if !slices.Contains(reachable, "Resource") && len(p.Target) >= len(reachable) {
					t.Errorf("%s: targets %v leave out none of %v", key, p.Target, reachable)
				}
			}
		}
	}
	for key := range misfits {
		if !seen[key] {
			t.Errorf("misfit %s no longer seen", key)
		}
	}
	for name := range misfitNames {
		if !seen[name] {
			t.Errorf("misfit %s no longer seen", name)
		}
	}
	return n
}

// LoadSearchParameters reads a table of search parameters written by hand
// (a JSON object: resource type → its parameters, each with name, type,
// id, paths and, where it has one, target), failing the test where the
// file is missing or not such a table.
func LoadSearchParameters(t testing.TB, path string) map[string][]spec.SearchParameter {
	var table map[string][]spec.SearchParameter
	tabletest.Load(t, path, &table)
	return table
}
