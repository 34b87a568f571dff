package r4

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/internal/spectest"
)

// anyButParameters is what R4 definitions whose element may point to any
// resource list as their target: every resource type but Parameters.
func anyButParameters() []string {
	return slices.DeleteFunc(slices.Clone(r4Resources), func(r string) bool { return r == "Parameters" })
}

// The hand-written table is one of the R4 parameters of the resource
// types the facade serves (UK Core Access), written by hand from the
// specification's search parameter registry (each definition's
// expression, the part about the type), independently of the generator:
// the generated table must have exactly these parameters. Left out, as
// the generated table leaves them out: the definitions of extensions and
// the examples (experimental: Patient's age, birthOrderBoolean,
// mothersMaidenName, Observation's genetics parameters), composite ones
// (Observation's code-value-*) and Location's near (special).
//
// The table is testdata/hand-search-parameters.json (Patient and
// Practitioner share the individual-* parameters but for
// individual-birthdate, which Practitioner has not; Organization and
// Location have the address ones of their own).
//
// The generated table has, for each of the served types, exactly the
// parameters of the hand-written one, field by field.
func TestSearchParametersMatchHandTable(t *testing.T) {
	handTable := spectest.LoadSearchParameters(t, "testdata/hand-search-parameters.json")
	if len(handTable) != 14 {
		t.Fatalf("the hand-written table has %d types", len(handTable))
	}
	for res, hand := range handTable {
		var want, got []string
		for _, h := range hand {
			want = append(want, h.Name)
			g, ok := LookupSearchParameter(res, h.Name)
			if !ok {
				t.Errorf("%s.%s is not in the generated table", res, h.Name)
				continue
			}
			if g.Name != h.Name || g.Type != h.Type || g.ID != h.ID || !slices.Equal(g.Paths, h.Paths) || !sameSet(g.Target, h.Target) {
				t.Errorf("%s.%s:\n generated %+v\n      hand %+v", res, h.Name, g, h)
			}
		}
		for _, p := range searchParameters[res] {
			got = append(got, p.Name)
		}
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n generated %v\n      hand %v", res, got, want)
		}
	}
	// Not translatable: true for a deceasedDateTime too, which no path
	// of deceased[boolean] would say.
	if p, ok := LookupSearchParameter("Patient", "deceased"); ok {
		t.Errorf("Patient.deceased (Patient.deceased.exists() and Patient.deceased != false) is in the table: %+v", p)
	}
}

// Every search parameter of every resource type names elements of the
// table along each path, with types its search type can search; a filter
// is on a ContactPoint's system; a Target names resource types its
// elements may point to, and leaves some out. The parameters where the
// specification itself searches an element of a type the search type does
// not fit are listed, so that no new one goes unseen.
func TestSearchParameterPaths(t *testing.T) {
	fits := map[string][]string{
		"string":    {"string", "markdown", "HumanName", "Address"},
		"token":     {"code", "Coding", "CodeableConcept", "Identifier", "ContactPoint", "boolean", "string", "uri", "id", "canonical"},
		"reference": {"Reference", "canonical", "uri"},
		"date":      {"date", "dateTime", "instant", "Period", "Timing"},
		"number":    {"decimal", "integer", "positiveInt", "unsignedInt"},
		"quantity":  {"Quantity", "SimpleQuantity", "Age", "Duration", "Money", "Count", "Distance"},
		"uri":       {"uri", "url", "canonical", "oid"},
	}
	// The specification's own misfits: parameter → element types. A
	// choice element is searched whole (Procedure's date on performed[x],
	// which may be a string, an Age or a Range), or a quantity or number
	// parameter searches a Range or SampledData too.
	misfits := map[string]string{
		"CarePlan.activity-date":               "string", // activity.detail.scheduled[x]
		"Condition.abatement-age":              "Range",
		"Condition.onset-age":                  "Range",
		"Consent.source-reference":             "Attachment", // source[x]
		"Immunization.date":                    "string",     // occurrence[x]
		"Observation.combo-value-quantity":     "SampledData",
		"Observation.component-value-quantity": "SampledData",
		"Observation.value-quantity":           "SampledData",
		"Procedure.date":                       "Age Range string", // performed[x]
		"RiskAssessment.probability":           "Range",            // prediction.probability[x]
	}
	// context-quantity, of every definitional resource, searches
	// useContext.value[Range] beside value[Quantity].
	misfitNames := map[string]string{"context-quantity": "Range"}
	n := spectest.CheckSearchPaths(t, Release, searchParameters, fits, misfits, misfitNames)
	// The types no definition but the resource-wide ones is for.
	var none []string
	for _, r := range Resources() {
		if len(searchParameters[r]) == 0 {
			none = append(none, r)
		}
	}
	if want := "Binary BiologicallyDerivedProduct CatalogEntry MedicinalProductIngredient MedicinalProductManufactured ObservationDefinition OperationOutcome Parameters SubstanceNucleicAcid SubstancePolymer SubstanceProtein SubstanceReferenceInformation SubstanceSourceMaterial"; strings.Join(none, " ") != want {
		t.Errorf("types without search parameters: %v", none)
	}
	if len(searchParameters) != len(Resources())-len(none) {
		t.Errorf("search parameters of %d resource types", len(searchParameters))
	}
	if n < 1500 {
		t.Errorf("only %d paths", n)
	}
}
