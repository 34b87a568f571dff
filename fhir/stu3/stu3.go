package stu3

import "github.com/ccfacade/ccfacade/fhir/spec"

// Release is the table of STU3: its types, search parameters and
// compartments. The functions of this package are its methods.
var Release = spec.NewRelease("3.0.1", table, resources, searchParameters, compartments)

// The shape of the table, shared with fhir/r4 (see fhir/spec).
type (
	Kind            = spec.Kind
	Element         = spec.Element
	Type            = spec.Type
	SearchParameter = spec.SearchParameter
)

// Kinds of types.
const (
	Resource  = spec.Resource
	Complex   = spec.Complex
	Primitive = spec.Primitive
	Backbone  = spec.Backbone
)

// Lookup returns a type by name ("Patient", "HumanName", "Patient.contact",
// "string"), or nil. The abstract Resource, DomainResource, Element and
// BackboneElement are not types of the table: their elements head those of
// every type derived from them. An element of type "Resource" holds any
// resource.
func Lookup(name string) *Type { return Release.Lookup(name) }

// IsResource reports whether name is an STU3 resource type.
func IsResource(name string) bool { return Release.IsResource(name) }

// Resources lists the resource types, sorted.
func Resources() []string { return Release.Resources() }

// Types lists the names of every type of a kind, sorted.
func Types(k Kind) []string { return Release.Types(k) }

// JSONName is the JSON name of a choice element for one of its types:
// ("value[x]", "Quantity") gives "valueQuantity". SimpleQuantity is spelled
// Quantity. Other names are returned as they are.
func JSONName(name, typ string) string { return spec.JSONName(name, typ) }

// LookupSearchParameter returns a resource type's STU3 search parameter by
// name.
func LookupSearchParameter(resource, name string) (SearchParameter, bool) {
	return Release.LookupSearchParameter(resource, name)
}

// Targets returns the resource types a reference parameter of a resource
// type may point to: its Target, else every type the elements it searches
// may point to ("Resource": any type). It is nil for a parameter that is
// not a reference.
func Targets(resource string, p SearchParameter) []string { return Release.Targets(resource, p) }

// The compartments of STU3 (compartment_gen.go, from the
// CompartmentDefinitions of the specification): for each compartment type
// (Patient, Encounter, RelatedPerson, Practitioner, Device), the resource
// types that can belong to one compartment of it, and the search
// parameters that put a resource there (see fhir/spec).

// CompartmentTypes lists the types that have compartments, sorted.
func CompartmentTypes() []string { return Release.CompartmentTypes() }

// InCompartment reports whether resources of a type can belong to a
// compartment of a type. The compartment's own type does where the
// definition lists it (a Patient is in its own compartment, a Device in its own).
func InCompartment(compartment, resource string) bool {
	return Release.InCompartment(compartment, resource)
}

// CompartmentParams returns the search parameters by which a resource of
// a type belongs to a compartment of a type, in the definition's order
// (Observation in a Patient's: subject, performer); nil when it never
// does. The compartment's own resource belongs to it by its id: a
// Patient lists only link.
func CompartmentParams(compartment, resource string) []string {
	return Release.CompartmentParams(compartment, resource)
}

// CompartmentSearch groups the search parameters that find whether a
// resource belongs to a compartment: for each of CompartmentParams, the
// reference parameters that search the same elements, those limited to
// the compartment's type first (Observation in a Patient's: [patient
// subject] [performer]). A resource is in the compartment when one
// parameter of any group finds it.
func CompartmentSearch(compartment, resource string) [][]string {
	return Release.CompartmentSearch(compartment, resource)
}

// CompartmentElements returns the element paths by which a resource of the
// type references a compartment's owner (see spec.Release.CompartmentElements).
func CompartmentElements(compartment, resource string) []string {
	return Release.CompartmentElements(compartment, resource)
}
