package spec

import (
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
	r := NewRelease("9.9.9", types, []string{"Thing"}, search)
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
		{"value[x]", "SimpleQuantity", "valueQuantity"},
		{"value[x]", "MoneyQuantity", "valueQuantity"},
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
