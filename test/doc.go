// Package test holds the end-to-end tests: the whole facade (demo EPR,
// mappings, engine, HTTP) over real databases, SQLite always and PostgreSQL
// when one is available (see internal/pgtest), with every resource checked
// by an external FHIR STU3 validator. The harness is internal/demotest,
// shared with the HTTP layer's own tests in server/.
package test
