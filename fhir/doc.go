// Package fhir holds what the facade knows of FHIR STU3 itself, independent of
// any database or mapping: the ordered value tree and its JSON writer,
// Bundles, OperationOutcomes, the CapabilityStatement and the parsing of
// search-parameter values; r4shapes.go writes the resources whose shape
// differs in R4. It depends on the standard library only.
//
// The value tree keeps elements in the order they were added, so that the
// renderer (which adds them in FHIR element order) controls the output byte
// for byte; decimals are kept as their source text and never pass through a
// float.
package fhir
