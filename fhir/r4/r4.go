package r4

import "github.com/ccfacade/ccfacade/fhir/spec"

// Release is the table of R4: its types and search parameters. The
// functions of this package are its methods.
var Release = spec.NewRelease("4.0.1", table, resources, searchParameters)

// The shape of the table, shared with fhir/stu3 (see fhir/spec).
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

// IsResource reports whether name is an R4 resource type.
func IsResource(name string) bool { return Release.IsResource(name) }

// Resources lists the resource types, sorted.
func Resources() []string { return Release.Resources() }

// Types lists the names of every type of a kind, sorted.
func Types(k Kind) []string { return Release.Types(k) }

// JSONName is the JSON name of a choice element for one of its types:
// ("value[x]", "Quantity") gives "valueQuantity". SimpleQuantity and
// MoneyQuantity are spelled Quantity. Other names are returned as they are.
func JSONName(name, typ string) string { return spec.JSONName(name, typ) }

// LookupSearchParameter returns a resource type's R4 search parameter by
// name.
func LookupSearchParameter(resource, name string) (SearchParameter, bool) {
	return Release.LookupSearchParameter(resource, name)
}
