package r4

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// With CCFACADE_R4_SPEC naming the package folder of hl7.fhir.r4.core
// 4.0.1 (StructureDefinition-*.json, ValueSet-*.json, CodeSystem-*.json),
// every element of every resource and complex data type the specification
// defines is read from its snapshot, independently of the generator
// (which reads the google/fhir protos): the table must have the same
// elements in the same order, with the same cardinality, types, reference
// targets, summary flags and, for a code with a required binding whose
// value set lists its codes, the same codes. The few places where the
// specification's own snapshots are known to be wrong are listed in
// snapshotQuirks.
func TestTableMatchesSnapshots(t *testing.T) {
	dir := os.Getenv("CCFACADE_R4_SPEC")
	if dir == "" {
		t.Skip("CCFACADE_R4_SPEC is not set")
	}
	sds := readSnapshots(t, dir)
	vs := newExpander(t, dir)
	seen := map[string]bool{}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	quirksSeen := map[string]bool{}
	codeLists := 0
	for _, sd := range sds {
		// The snapshot's elements, grouped by the type that holds them
		// (Patient.contact.name is an element of Patient.contact).
		var order []string
		byType := map[string][]snapElement{}
		for _, e := range sd.Snapshot.Element[1:] {
			i := strings.LastIndex(e.Path, ".")
			owner := e.Path[:i]
			if byType[owner] == nil {
				order = append(order, owner)
			}
			byType[owner] = append(byType[owner], e)
		}
		for _, owner := range order {
			typ := Lookup(owner)
			if typ == nil {
				bad("%s: not in the table", owner)
				continue
			}
			seen[owner] = true
			want := byType[owner]
			var got []string
			for _, el := range typ.Elements {
				got = append(got, el.Name)
			}
			var names []string
			for _, e := range want {
				names = append(names, e.Path[strings.LastIndex(e.Path, ".")+1:])
			}
			if !slices.Equal(got, names) {
				bad("%s: elements\n  table %v\n  spec  %v", owner, got, names)
				continue
			}
			for i, e := range want {
				el := typ.Elements[i]
				w := e.expect(t)
				if q, ok := snapshotQuirks[e.Path]; ok {
					quirksSeen[e.Path] = true
					w = q(w)
				}
				g := expected{el.Min, el.Max, el.Types, el.Targets, el.Summary}
				if !g.equal(w) {
					bad("%s:\n  table %+v\n  spec  %+v", e.Path, g, w)
				}
				if e.Binding.Strength == "required" && slices.Equal(el.Types, []string{"code"}) {
					codes, ok := vs.expand(e.Binding.ValueSet)
					if !ok {
						if el.Codes != nil {
							bad("%s: codes %v, but the value set %s does not list its codes", e.Path, el.Codes, e.Binding.ValueSet)
						}
						continue
					}
					codeLists++
					if !sameSet(el.Codes, codes) {
						bad("%s: codes\n  table %v\n  spec  %v (%s)", e.Path, el.Codes, codes, e.Binding.ValueSet)
					}
				} else if el.Codes != nil {
					bad("%s: codes %v without a required binding on a code", e.Path, el.Codes)
				}
			}
		}
	}
	for _, k := range []Kind{Resource, Complex, Backbone} {
		for _, n := range Types(k) {
			if !seen[n] && n != "SimpleQuantity" && n != "MoneyQuantity" {
				bad("%s (%v) is in no snapshot", n, k)
			}
		}
	}
	for p := range snapshotQuirks {
		if !quirksSeen[p] {
			bad("quirk %s no longer seen", p)
		}
	}
	slices.Sort(problems)
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("%d definitions, %d types compared, %d lists of required codes", len(sds), len(seen), codeLists)
}

// snapshotQuirks are the elements where the snapshots of the R4
// definitions say something else than the specification means, and what
// the table has instead. The snapshot of every resource's id gives it the
// type string (a FHIRPath System.String spelled "string"); the resource
// definitions (Resource.id), the JSON schema and the protos type it id.
var snapshotQuirks = map[string]func(expected) expected{}

func init() {
	for _, r := range Resources() {
		snapshotQuirks[r+".id"] = func(e expected) expected { e.Types = []string{"id"}; return e }
	}
}

type structureDefinition struct {
	URL, Kind, Derivation, Type string
	Abstract                    bool
	Snapshot                    struct{ Element []snapElement }
}

type snapElement struct {
	Path, ContentReference string
	Min                    int
	Max                    string
	IsSummary              bool
	Type                   []struct {
		Code          string
		Profile       []string
		TargetProfile []string
		Extension     []struct{ URL, ValueURL string }
	}
	Binding struct{ Strength, ValueSet string }
}

// expected is what the table should say of an element.
type expected struct {
	Min     int
	Max     string
	Types   []string
	Targets []string
	Summary bool
}

func (a expected) equal(b expected) bool {
	return a.Min == b.Min && a.Max == b.Max && slices.Equal(a.Types, b.Types) && slices.Equal(a.Targets, b.Targets) && a.Summary == b.Summary
}

const sdPrefix = "http://hl7.org/fhir/StructureDefinition/"

// expect reads what the table should say of a snapshot element: a
// backbone element (BackboneElement, Element) is typed by its path, an
// element that reuses one (contentReference "#Questionnaire.item") by
// that path; a FHIRPath system type by the FHIR type its extension names;
// a Quantity of the profile SimpleQuantity (MoneyQuantity) by the profile;
// a Reference's targets are its target profiles' types, "Resource" if
// none.
func (e snapElement) expect(t *testing.T) expected {
	w := expected{Min: e.Min, Max: e.Max, Summary: e.IsSummary}
	if e.ContentReference != "" {
		w.Types = []string{strings.TrimPrefix(e.ContentReference, "#")}
		return w
	}
	for _, ty := range e.Type {
		code := ty.Code
		if strings.HasPrefix(code, "http://hl7.org/fhirpath/System.") {
			for _, x := range ty.Extension {
				if x.URL == "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type" {
					code = x.ValueURL
				}
			}
		}
		for _, p := range ty.Profile {
			if code == "Quantity" && (p == sdPrefix+"SimpleQuantity" || p == sdPrefix+"MoneyQuantity") {
				code = strings.TrimPrefix(p, sdPrefix)
			}
		}
		if (code == "BackboneElement" || code == "Element") && len(e.Type) == 1 {
			code = e.Path
		}
		w.Types = append(w.Types, code)
		if code == "Reference" {
			if len(ty.TargetProfile) == 0 {
				w.Targets = append(w.Targets, "Resource")
			}
			for _, p := range ty.TargetProfile {
				if !strings.HasPrefix(p, sdPrefix) {
					t.Fatalf("%s: target profile %s", e.Path, p)
				}
				w.Targets = append(w.Targets, strings.TrimPrefix(p, sdPrefix))
			}
		}
	}
	return w
}

// readSnapshots reads the definitions of the resources and complex data
// types (not their profiles, not the abstract ones, not the primitives).
func readSnapshots(t *testing.T, dir string) []structureDefinition {
	files, err := filepath.Glob(filepath.Join(dir, "StructureDefinition-*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: no StructureDefinition-*.json (%v)", dir, err)
	}
	var out []structureDefinition
	for _, f := range files {
		var sd structureDefinition
		readJSON(t, f, &sd)
		if sd.Kind != "resource" && sd.Kind != "complex-type" || sd.Derivation != "specialization" || sd.Abstract {
			continue
		}
		out = append(out, sd)
	}
	return out
}

func readJSON(t *testing.T, file string, v any) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// expander lists the codes of the value sets of the package that say
// them: by concepts, or by whole code systems of the package whose
// concepts are complete. A value set with filters, or of a code system not
// in the package or not complete, says none.
type expander struct {
	valueSets   map[string]valueSet
	codeSystems map[string]codeSystem
}

type valueSet struct {
	Compose struct {
		Include, Exclude []struct {
			System   string
			ValueSet []string
			Concept  []struct{ Code string }
			Filter   []json.RawMessage
		}
	}
}

type codeSystem struct {
	Content string
	Concept []concept
}

type concept struct {
	Code    string
	Concept []concept
}

func newExpander(t *testing.T, dir string) *expander {
	x := &expander{valueSets: map[string]valueSet{}, codeSystems: map[string]codeSystem{}}
	for _, kind := range []string{"ValueSet", "CodeSystem"} {
		files, _ := filepath.Glob(filepath.Join(dir, kind+"-*.json"))
		if len(files) == 0 {
			t.Fatalf("%s: no %s-*.json", dir, kind)
		}
		for _, f := range files {
			var head struct{ URL string }
			readJSON(t, f, &head)
			if kind == "ValueSet" {
				var v valueSet
				readJSON(t, f, &v)
				x.valueSets[head.URL] = v
			} else {
				var c codeSystem
				readJSON(t, f, &c)
				x.codeSystems[head.URL] = c
			}
		}
	}
	return x
}

func (x *expander) expand(url string) ([]string, bool) {
	url, _, _ = strings.Cut(url, "|")
	v, ok := x.valueSets[url]
	if !ok {
		return nil, false
	}
	var codes []string
	for _, inc := range v.Compose.Include {
		if len(inc.Filter) > 0 {
			return nil, false
		}
		for _, sub := range inc.ValueSet {
			c, ok := x.expand(sub)
			if !ok {
				return nil, false
			}
			codes = append(codes, c...)
		}
		if len(inc.Concept) > 0 {
			for _, c := range inc.Concept {
				codes = append(codes, c.Code)
			}
			continue
		}
		if inc.System == "" {
			continue
		}
		cs, ok := x.codeSystems[inc.System]
		if !ok || cs.Content != "complete" {
			return nil, false
		}
		var walk func([]concept)
		walk = func(cs []concept) {
			for _, c := range cs {
				codes = append(codes, c.Code)
				walk(c.Concept)
			}
		}
		walk(cs.Concept)
	}
	if len(v.Compose.Exclude) > 0 {
		return nil, false
	}
	return codes, len(codes) > 0
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
