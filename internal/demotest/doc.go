// Package demotest serves the built-in demo for tests: a demo database
// loaded once per test binary (SQLite always, PostgreSQL where the tests
// have one), the demo mappings checked against it, and the facade's whole
// HTTP stack over it in an httptest server. Every package whose tests need
// a served demo uses it, so that none keeps a copy of its own.
package demotest
