package stu3

import (
	"slices"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/internal/spectest"
)

// The hand-written table is one of the STU3 parameters of the resource
// types the Care Connect API serves, written by hand from the
// specification's search parameter registry, independently of the
// generator: the generated table must agree with it.
//
// The table is testdata/hand-search-parameters.json (Patient and
// Practitioner share STU3's individual-* parameters).
//
// The generated table agrees with the hand-written one for every parameter
// of the 14 types, field by field, but where the specification's data says
// otherwise (handDifferences); parameters the hand-written table did not
// list are in the generated one only.
func TestSearchParametersMatchHandTable(t *testing.T) {
	handTable := spectest.LoadSearchParameters(t, "testdata/hand-search-parameters.json")
	for res, hand := range handTable {
		for _, h := range hand {
			key := res + "." + h.Name
			g, ok := LookupSearchParameter(res, h.Name)
			want, differs := handDifferences[key]
			switch {
			case differs && want == nil:
				if ok {
					t.Errorf("%s is in the generated table: %+v", key, g)
				}
				continue
			case differs:
				h = *want
			}
			if !ok {
				t.Errorf("%s is not in the generated table", key)
				continue
			}
			if g.Name != h.Name || g.Type != h.Type || g.ID != h.ID || !slices.Equal(g.Paths, h.Paths) || !slices.Equal(g.Target, h.Target) {
				t.Errorf("%s:\n generated %+v\n      hand %+v", key, g, h)
			}
		}
	}
	for key := range handDifferences {
		res, name, _ := strings.Cut(key, ".")
		if !slices.ContainsFunc(handTable[res], func(p SearchParameter) bool { return p.Name == name }) {
			t.Errorf("difference %s is of no hand-written parameter", key)
		}
	}
}

// handDifferences are the parameters where the hand-written table departs
// from the specification's definitions, with what the generated table has
// (nil: not in it), and why.
var handDifferences = map[string]*SearchParameter{
	// No AllergyIntolerance-type is defined: clinical-type lists
	// AllergyIntolerance among its bases.
	"AllergyIntolerance.type": {Name: "type", Type: "token", Paths: []string{"type"}, ID: "clinical-type"},
	// clinical-encounter does not list Condition: Condition-encounter
	// does, with target Encounter, while Condition.context may also be an
	// EpisodeOfCare.
	"Condition.encounter": {Name: "encounter", Type: "reference", Paths: []string{"context"}, Target: []string{"Encounter"}, ID: "Condition-encounter"},
	// Encounter-practitioner's target is Practitioner;
	// participant.individual may also be a RelatedPerson.
	"Encounter.practitioner": {Name: "practitioner", Type: "reference", Paths: []string{"participant.individual"}, Target: []string{"Practitioner"}, ID: "Encounter-practitioner"},
	// Patient-deceased is Patient.deceased.exists(): true for a
	// deceasedDateTime too, which "deceased[boolean]" misses; no path
	// says exists().
	"Patient.deceased": nil,
	// A parameter named patient points to a Patient only (clinical-patient
	// lists Group too, which R4 corrects): where the element may point to
	// more than a Patient the generated table says so; AllergyIntolerance
	// and Immunization's patient element points to a Patient only.
	"AllergyIntolerance.patient": {Name: "patient", Type: "reference", Paths: []string{"patient"}, ID: "clinical-patient"},
	"Immunization.patient":       {Name: "patient", Type: "reference", Paths: []string{"patient"}, ID: "clinical-patient"},
}
