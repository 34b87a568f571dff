// Package spec is the shape of one FHIR release's definitions, which
// fhir/stu3 (3.0.1) and fhir/r4 (4.0.1) each fill with their generated
// tables: a Release holds every resource, data type and backbone element
// (Type) with its elements (Element) in the order of the specification,
// the search parameters of every resource type (SearchParameter) and the
// compartments (the resource types of each and the parameters that put a
// resource in one), and answers lookups on them, so that code that reads
// definitions can serve either release. Plain Go data and the standard
// library only.
package spec
