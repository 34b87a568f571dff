// Package spectest checks, in the tests of fhir/stu3 and fhir/r4, what
// every release table (fhir/spec) must hold, and what each release's
// hand-written tables (JSON in its testdata: elements, search parameters,
// compartments) say of it; and looks types and elements up for them,
// failing the test where one is missing.
package spectest
