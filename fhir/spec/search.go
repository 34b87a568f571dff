package spec

import (
	"slices"
	"strings"
)

// SearchParameter is a search parameter of a resource type: its type,
// the elements it searches and the id of its definition
// (http://hl7.org/fhir/SearchParameter/{ID}).
//
// Paths are relative to the resource, in JSON names: dotted steps through
// the element tree; "effective[x]" is every type of a choice element and
// "medication[Reference]" one of them (which may go on:
// "value[CodeableConcept].text"); a trailing "|system=email" keeps only
// the ContactPoints of that system. Target, for a reference, limits it to
// references to those types (STU3 Observation's patient: Patient and
// Group, though its subject may also be a Device or Location); it is nil
// where the parameter takes every type its elements may point to. A
// canonical element may point to any resource: a parameter on one has
// the Target its definition names, if any.
//
// A release's table holds every parameter of every resource type that
// the specification defines, but composite parameters and those whose
// FHIRPath expression no path can say (Patient's deceased is
// Patient.deceased.exists()); the header of its generated file lists
// them. _id and _lastUpdated are not in it: they are the engine's own,
// for every resource type.
type SearchParameter struct {
	Name   string
	Type   string // string | token | date | reference | number | quantity | uri
	Paths  []string
	Target []string
	ID     string
}

// Definition is the canonical URL of the parameter's definition.
func (p SearchParameter) Definition() string { return "http://hl7.org/fhir/SearchParameter/" + p.ID }

// LookupSearchParameter returns a resource type's search parameter by
// name.
func (r *Release) LookupSearchParameter(resource, name string) (SearchParameter, bool) {
	for _, p := range r.search[resource] {
		if p.Name == name {
			return p, true
		}
	}
	return SearchParameter{}, false
}

// Targets returns the resource types a reference parameter of a resource
// type may point to: its Target, else every type the elements at its
// paths may point to ("Resource": any type, as a canonical element may).
// It is nil for a parameter that is not a reference.
func (r *Release) Targets(resource string, p SearchParameter) []string {
	if p.Type != "reference" {
		return nil
	}
	if len(p.Target) > 0 {
		return p.Target
	}
	var out []string
	add := func(ts ...string) {
		for _, x := range ts {
			if !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	for _, path := range p.Paths {
		path, _, _ = strings.Cut(path, "|")
		t := r.Lookup(resource)
		var el *Element
		var types []string // the types of the path's element, or the one it names
		for _, step := range strings.Split(path, ".") {
			name, typ, choice := strings.Cut(step, "[")
			if choice {
				name += "[x]" // a choice element, or one type of it
			}
			e, _, ok := t.Element(name)
			if !ok || len(e.Types) == 0 {
				el = nil
				break
			}
			el, types = e, e.Types
			if typ = strings.TrimSuffix(typ, "]"); typ != "" && typ != "x" {
				types = []string{typ}
			}
			t = r.Lookup(types[0])
		}
		if el == nil {
			continue
		}
		if slices.Contains(types, "Reference") {
			add(el.Targets...)
		}
		if slices.Contains(types, "canonical") {
			add("Resource")
		}
	}
	return out
}
