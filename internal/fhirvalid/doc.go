// Package fhirvalid checks FHIR JSON, for tests, with an independent
// parser and validator: google/fhir's for STU3 (3.0.1) and R4 (4.0.1),
// which read a resource or Bundle into its protocol buffer and check its
// elements, their cardinality and types, and the codes of required
// bindings.
//
// It stands apart from the demo harness (internal/demotest) so that only
// the test binaries that validate build google/fhir's generated code: the
// packages whose tests run under the race detector do not.
package fhirvalid
