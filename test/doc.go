// Package test holds the end-to-end tests: the whole facade (demo EPR,
// mappings, engine, HTTP) over real databases, SQLite always and PostgreSQL
// when one is available (see internal/pgtest), with every resource checked
// by an external FHIR STU3 validator. The harness is internal/demotest,
// shared with the HTTP layer's own tests in server/. Every test runs in
// parallel with the others (t.Parallel), each over facades of its own on
// the shared, read-only databases; a new test does the same unless it
// changes what others read.
package test
