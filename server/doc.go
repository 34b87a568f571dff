// Package server is the HTTP layer, and the only package that imports gin:
// routing of the FHIR read-only REST API, content negotiation, request ids,
// and the one function that turns errors into an HTTP status and an
// OperationOutcome (never SQL, DSNs or stack traces). The same routes and
// middleware serve STU3 at /fhir and R4 at a base of its own (r4.go).
package server
