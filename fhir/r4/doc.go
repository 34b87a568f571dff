// Package r4 is a table of every FHIR R4 (4.0.1) resource, data type and
// backbone element: its elements in the order of the specification, each
// with its JSON name (a choice element as value[x] with its allowed types),
// cardinality, types, the resource types a Reference may point to, the
// codes a required binding allows and whether it is a summary element.
// Beside it, the search parameters of every resource type (their types,
// the elements they search and the ids of their definitions) and the
// compartments (Patient, Encounter, RelatedPerson, Practitioner, Device:
// the resource types of each and the search parameters that put a
// resource in one). It is what fhir/stu3 is for STU3, in the same shape
// (fhir/spec), for serving UK Core (R4) beside Care Connect (STU3) from
// the same mappings.
//
// The tables are generated from the google/fhir R4 protocol buffers and,
// for the summary flags, the search parameters and the compartments, the
// StructureDefinitions, SearchParameter definitions and
// CompartmentDefinitions of the hl7.fhir.r4.core 4.0.1 package (go
// generate; see internal/gen/stu3gen) and are plain Go data: the package
// needs nothing but the standard library at run time. Its tests check them
// against expectations written from the specification and, with
// CCFACADE_R4_SPEC naming the folder of that package, every element
// against the specification's own snapshots.
package r4

//go:generate go run ../../internal/gen/stu3gen -fhir r4 -o types_gen.go
