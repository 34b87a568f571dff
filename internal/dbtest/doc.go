// Package dbtest holds what the helpers that give tests a database on a
// server (pgtest, mysqltest, mssqltest) share: finding the server once
// (the one a variable names, else a skip or a failure saying what to
// set), statements run on it for set-up, database names unique to the
// test process and the call, and a fresh database dropped when the test
// ends; and, for the tests that show what a test process leaves behind
// when a signal ends it (pgtest's clusters, demotest's folders), the
// helper process such a test starts, reads and ends.
package dbtest
