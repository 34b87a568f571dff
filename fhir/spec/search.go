package spec

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
