// Package demotest serves the built-in demo for tests: a demo database
// loaded once per test binary (SQLite always, PostgreSQL where the tests
// have one, SQL Server when CCFACADE_TEST_MSSQL_DSN names one), the demo
// mappings checked against it, and the facade's whole HTTP stack over it
// in an httptest server. Serve does the same for any mapping set over any
// database (EmptySQLite and EmptyPostgres give a test one of its own to
// load), and the checks the tests share live here too: a response's JSON,
// a Bundle's entries and links, an OperationOutcome's text, the STU3 and
// R4 validators, the demo's rows as the oracle. Every package whose tests need
// these uses this package, so that none keeps a copy of its own.
package demotest
