package spec

import (
	"fmt"
	"slices"
	"testing"
)

// A release answers from the tables it is made of; the types know their
// release, and a type made by a caller works on its own.
func TestRelease(t *testing.T) {
	types := map[string]*Type{
		"Thing": {Name: "Thing", Kind: Resource, Elements: []Element{
			{Name: "id", Max: "1", Types: []string{"id"}, Summary: true},
			{Name: "when", Max: "1", Types: []string{"date"}},
			{Name: "amount[x]", Max: "1", Types: []string{"MoneyQuantity", "string"}},
			{Name: "part", Max: "*", Types: []string{"Thing.part"}},
		}},
		"Thing.part": {Name: "Thing.part", Kind: Backbone},
		"date":       {Name: "date", Kind: Primitive},
		"id":         {Name: "id", Kind: Primitive},
	}
	search := map[string][]SearchParameter{"Thing": {{Name: "when", Type: "date", Paths: []string{"when"}, ID: "Thing-when"}}}
	r := NewRelease("9.9.9", types, []string{"Thing"}, search, nil)
	if r.Version() != "9.9.9" || r.Lookup("Thing") != types["Thing"] || r.Lookup("Nope") != nil {
		t.Error("Version or Lookup")
	}
	if !r.IsResource("Thing") || r.IsResource("Thing.part") || r.IsResource("date") {
		t.Error("IsResource")
	}
	res := r.Resources()
	res[0] = "changed"
	if r.Resources()[0] != "Thing" {
		t.Error("Resources shares its slice")
	}
	if got := r.Types(Primitive); !slices.Equal(got, []string{"date", "id"}) {
		t.Errorf("Types(Primitive) = %v", got)
	}
	thing := r.Lookup("Thing")
	for name, want := range map[string]int{"id": 0, "when": 1, "_when": 1, "amountQuantity": 2, "amountString": 2, "_amountString": 2, "amount[x]": 2, "part": 3, "_part": -1, "amountMoneyQuantity": -1, "nope": -1} {
		if got := thing.Index(name); got != want {
			t.Errorf("Index(%q) = %d, want %d", name, got, want)
		}
	}
	if el, typ, ok := thing.Element("amountQuantity"); !ok || typ != "MoneyQuantity" || el.Name != "amount[x]" || !el.Choice() {
		t.Errorf("amountQuantity: %v %q %v", el, typ, ok)
	}
	if p, ok := r.LookupSearchParameter("Thing", "when"); !ok || p.Definition() != "http://hl7.org/fhir/SearchParameter/Thing-when" {
		t.Errorf("when: %+v %v", p, ok)
	}
	if _, ok := r.LookupSearchParameter("Thing", "nope"); ok {
		t.Error("nope is a parameter")
	}
	// A type of the caller's, in no release.
	own := &Type{Name: "X", Kind: Complex, Elements: []Element{{Name: "a", Max: "1", Types: []string{"string"}}, {Name: "b", Max: "1", Types: []string{"Quantity"}}}}
	if own.Index("a") != 0 || own.Index("_a") != 0 || own.Index("_b") != -1 {
		t.Error("Index on a caller's type")
	}
	var none *Type
	if none.Index("id") != -1 {
		t.Error("Index on a nil type")
	}
	for _, c := range [][3]string{
		{"value[x]", "Quantity", "valueQuantity"},
		{"value[x]", "SimpleQuantity", "valueQuantity"},
		{"dose[x]", "SimpleQuantity", "doseQuantity"},
		{"value[x]", "MoneyQuantity", "valueQuantity"},
		{"deceased[x]", "dateTime", "deceasedDateTime"},
		{"value[x]", "base64Binary", "valueBase64Binary"},
		{"value[x]", "", "value"},
		{"gender", "code", "gender"},
	} {
		if got := JSONName(c[0], c[1]); got != c[2] {
			t.Errorf("JSONName(%q, %q) = %q", c[0], c[1], got)
		}
	}
	if Backbone.String() != "backbone element" || Kind(0).String() != "unknown kind" {
		t.Error("Kind.String")
	}
}

// obs is a release of one resource type with references, search
// parameters on them and two compartments.
func obs() *Release {
	types := map[string]*Type{
		"Obs": {Name: "Obs", Kind: Resource, Elements: []Element{
			{Name: "id", Max: "1", Types: []string{"id"}},
			{Name: "subject", Max: "1", Types: []string{"Reference"}, Targets: []string{"Patient", "Group"}},
			{Name: "performer", Max: "*", Types: []string{"Reference"}, Targets: []string{"Practitioner", "Patient"}},
			{Name: "focus[x]", Max: "1", Types: []string{"Reference", "canonical", "string"}, Targets: []string{"Device"}},
			{Name: "part", Max: "*", Types: []string{"Obs.part"}},
		}},
		"Obs.part": {Name: "Obs.part", Kind: Backbone, Elements: []Element{
			{Name: "who", Max: "1", Types: []string{"Reference"}, Targets: []string{"RelatedPerson"}},
		}},
		"Patient":   {Name: "Patient", Kind: Resource},
		"Group":     {Name: "Group", Kind: Resource},
		"Reference": {Name: "Reference", Kind: Complex},
	}
	ref := func(name string, path string, target ...string) SearchParameter {
		return SearchParameter{Name: name, Type: "reference", Paths: []string{path}, Target: target, ID: "Obs-" + name}
	}
	search := map[string][]SearchParameter{"Obs": {
		{Name: "code", Type: "token", Paths: []string{"code"}},
		ref("focus", "focus[x]"), ref("focus-ref", "focus[Reference]"), ref("focus-canon", "focus[canonical]"),
		ref("group", "subject", "Group"), ref("patient", "subject", "Patient"), ref("performer", "performer"),
		ref("subject", "subject"), ref("who", "part.who"), ref("nowhere", "nope.who"),
	}}
	compartments := map[string]map[string][]string{
		"Patient": {"Obs": {"subject", "performer", "part.patient"}, "Patient": {"link"}},
		"Group":   {"Group": {"{def}"}, "Obs": {"subject"}},
	}
	return NewRelease("9.9.9", types, []string{"Group", "Obs", "Patient"}, search, compartments)
}

// A reference parameter points where its definition's Target says, else
// where the elements at its paths may point: a choice element by every
// type, or by the one its path names; a canonical to any resource.
func TestTargets(t *testing.T) {
	r := obs()
	for name, want := range map[string]string{
		"subject": "[Patient Group]", "patient": "[Patient]", "performer": "[Practitioner Patient]",
		"focus": "[Device Resource]", "focus-ref": "[Device]", "focus-canon": "[Resource]",
		"who": "[RelatedPerson]", "nowhere": "[]", "code": "[]",
	} {
		p, ok := r.LookupSearchParameter("Obs", name)
		if got := fmt.Sprint(r.Targets("Obs", p)); !ok || got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	if got := r.Targets("Obs", SearchParameter{Name: "code", Type: "token", Paths: []string{"subject"}}); got != nil {
		t.Errorf("a token parameter has targets %v", got)
	}
}

// The compartments answer from the table: which types have them, which
// types belong and by which parameters ({def} is the compartment's own
// resource, which belongs by its id), and the parameters that search the
// same elements, those limited to the compartment's type first and those
// limited to another type left out.
func TestCompartments(t *testing.T) {
	r := obs()
	if got := r.CompartmentTypes(); !slices.Equal(got, []string{"Group", "Patient"}) {
		t.Errorf("compartment types: %v", got)
	}
	if !r.InCompartment("Patient", "Obs") || !r.InCompartment("Group", "Group") || r.InCompartment("Patient", "Group") || r.InCompartment("Obs", "Obs") {
		t.Error("InCompartment")
	}
	if got := r.CompartmentParams("Group", "Group"); got != nil {
		t.Errorf("Group in its own: %v", got)
	}
	ps := r.CompartmentParams("Patient", "Obs")
	if !slices.Equal(ps, []string{"subject", "performer", "part.patient"}) {
		t.Errorf("Obs in a Patient's: %v", ps)
	}
	ps[0] = "changed"
	if r.CompartmentParams("Patient", "Obs")[0] != "subject" {
		t.Error("CompartmentParams shares its slice")
	}
	for _, c := range []struct{ comp, res, want string }{
		{"Patient", "Obs", "[[patient subject] [performer] [part.patient]]"},
		{"Group", "Obs", "[[group subject]]"},
		{"Patient", "Patient", "[[link]]"},
		{"Group", "Group", "[]"},
		{"Patient", "Nope", "[]"},
	} {
		if got := fmt.Sprint(r.CompartmentSearch(c.comp, c.res)); got != c.want {
			t.Errorf("%s in a %s's: %s, want %s", c.res, c.comp, got, c.want)
		}
	}
}
