// Package stu3 is a table of every FHIR STU3 (3.0.1) resource, data type and
// backbone element: its elements in the order of the specification, each
// with its JSON name (a choice element as value[x] with its allowed types),
// cardinality, types, the resource types a Reference may point to, the
// codes a required binding allows and whether it is a summary element. The
// mapping language checks element names, types and codes against it and
// orders output by it; _summary and _elements keep elements by it. Beside
// it, the search parameters of every resource type: their types, the
// elements they search and the ids of their definitions; and the
// compartments (Patient, Encounter, RelatedPerson, Practitioner, Device):
// the resource types of each and the search parameters that put a
// resource in one. The table is generated from the google/fhir STU3
// protocol buffers and, for the summary flags, the search parameters and
// the compartments, the STU3 StructureDefinitions, SearchParameter and
// CompartmentDefinition definitions (go generate; see
// internal/gen/stu3gen) and is plain Go data: the package needs nothing
// but the standard library at run time. Its shape is fhir/spec's, which
// fhir/r4 shares.
package stu3

//go:generate go run ../../internal/gen/stu3gen -o types_gen.go
