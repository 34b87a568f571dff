// Package dbtest holds what the helpers that give tests a database on a
// server (pgtest, mssqltest) share: database names unique to the test
// process and the call, and a fresh database dropped when the test ends.
package dbtest
