// Package mssqltest gives tests a database of their own on the SQL Server
// named by CCFACADE_TEST_MSSQL_DSN, and skips them when it is not set.
package mssqltest
