package stu3

import (
	"slices"
	"strings"
)

// SearchParameter is an STU3 (3.0.1) search parameter of a resource type:
// its type, the elements it searches and the id of its definition
// (http://hl7.org/fhir/SearchParameter/{ID}).
//
// Paths are relative to the resource, in JSON names: dotted steps through
// the element tree; "effective[x]" is every type of a choice element and
// "medication[Reference]" one of them; a trailing "|system=email" keeps
// only the ContactPoints of that system. Target, for a reference, limits
// it to references to those types (Observation's patient: Patient and
// Group, though its subject may also be a Device or Location); it is nil
// where the parameter takes every type its elements may point to.
//
// The table (search_gen.go) holds every parameter of every resource type
// that the specification defines, but composite parameters and those
// whose FHIRPath expression no path can say (Patient's deceased is
// Patient.deceased.exists()); its header lists them. _id and _lastUpdated
// are not in it: they are the engine's own, for every resource type.
type SearchParameter struct {
	Name   string
	Type   string // string | token | date | reference | number | quantity | uri
	Paths  []string
	Target []string
	ID     string
}

// Definition is the canonical URL of the parameter's definition.
func (p SearchParameter) Definition() string { return "http://hl7.org/fhir/SearchParameter/" + p.ID }

// Targets returns the resource types the parameter's references may point
// to, on a resource of type resource: its Target, else every type the
// elements at its paths may point to ("Resource": any type). It is nil
// for a parameter that is not a reference.
func (p SearchParameter) Targets(resource string) []string {
	if p.Type != "reference" {
		return nil
	}
	if len(p.Target) > 0 {
		return p.Target
	}
	var out []string
	for _, path := range p.Paths {
		path, _, _ = strings.Cut(path, "|")
		t, el := Lookup(resource), (*Element)(nil)
		for _, step := range strings.Split(path, ".") {
			if i := strings.Index(step, "["); i >= 0 {
				step = step[:i] + "[x]" // a choice element, or one type of it
			}
			e, _, ok := t.Element(step)
			if !ok {
				el = nil
				break
			}
			el, t = e, Lookup(e.Types[0])
		}
		if el != nil {
			for _, x := range el.Targets {
				if !slices.Contains(out, x) {
					out = append(out, x)
				}
			}
		}
	}
	return out
}

// LookupSearchParameter returns a resource type's STU3 search parameter by
// name.
func LookupSearchParameter(resource, name string) (SearchParameter, bool) {
	for _, p := range searchParameters[resource] {
		if p.Name == name {
			return p, true
		}
	}
	return SearchParameter{}, false
}
