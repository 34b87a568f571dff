// Package mysqltest gives tests a MySQL or MariaDB database of their own.
// DSN returns, in order of preference: the server named by
// CCFACADE_TEST_MYSQL_DSN (in go-sql-driver/mysql's form, e.g.
// root@tcp(127.0.0.1:3306)/test); else the local server at
// 127.0.0.1:3306 as root without a password, when it answers; else it
// skips the test with a message naming CCFACADE_TEST_MYSQL_DSN. With
// CCFACADE_REQUIRE_MYSQL=1 (as in CI) a would-be skip is a failure.
// FreshDB gives each test a database of its own, dropped when it ends.
package mysqltest
