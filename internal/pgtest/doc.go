// Package pgtest gives tests a PostgreSQL server. DSN returns, in order of
// preference: the server named by CCFACADE_TEST_PG_DSN; else a throwaway
// cluster started once per test binary with the local initdb and pg_ctl
// (found on PATH or under /usr/lib/postgresql/*/bin; as the postgres user
// through runuser when running as root, since initdb refuses root), in a
// temporary directory, listening on 127.0.0.1 at a free port with trust
// authentication; else it skips the test with a message naming
// CCFACADE_TEST_PG_DSN. With CCFACADE_REQUIRE_PG=1 (as in CI) a would-be
// skip is a failure. FreshDB gives each test a database of its own.
//
// A package that uses pgtest calls it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// so that a cluster it started is stopped, and its folder removed, when
// the tests end or when the test process gets SIGINT, SIGTERM or SIGHUP
// (it then exits with 128 plus the signal's number). A cluster left behind
// by a test binary that could not stop it (SIGKILL, the panic of a test
// timeout) is stopped and removed by the next test binary that calls Main
// or starts a cluster: its folder names the process that owns it.
package pgtest
