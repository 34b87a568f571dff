// Package stu3 is a table of every FHIR STU3 (3.0.1) resource, data type and
// backbone element: elements in FHIR order, with cardinality, types,
// reference targets and the codes of required bindings. The mapping language
// checks element names and types against it and orders output by it. The
// table is generated (go generate) and needs nothing at run time.
package stu3

//go:generate go run ../../internal/gen/stu3gen
