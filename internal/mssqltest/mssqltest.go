package mssqltest

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/internal/dbtest"
	_ "github.com/microsoft/go-mssqldb" // the "sqlserver" driver
)

// EnvDSN names the variable holding a SQL Server DSN whose login may
// create databases.
const EnvDSN = "CCFACADE_TEST_MSSQL_DSN"

// DSN returns the server's DSN, or skips the test when there is none.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvDSN)
	if base == "" {
		t.Skip("no SQL Server: set " + EnvDSN + " (e.g. sqlserver://sa:<password>@127.0.0.1:1433?encrypt=disable) to run the live SQL Server tests")
	}
	return base
}

// FreshDB creates an empty database for the test, with snapshot isolation
// allowed, drops it when the test ends, and returns its DSN.
func FreshDB(t testing.TB) string {
	t.Helper()
	return dbtest.FreshDB(t, DSN(t), CreateDB, DropDB)
}

// CreateDB creates an empty database named prefix_<pid>_<n>_<time> on the
// server of base, with snapshot isolation allowed, and returns its DSN.
func CreateDB(base, prefix string) (string, error) {
	name := dbtest.Name(prefix)
	if err := dbtest.Exec("sqlserver", base, "CREATE DATABASE "+name, "ALTER DATABASE "+name+" SET ALLOW_SNAPSHOT_ISOLATION ON"); err != nil {
		return "", adapters.RedactError(err, base)
	}
	return WithDatabase(base, name), nil
}

// DropDB drops the database CreateDB made. Errors are ignored: it is
// cleanup.
func DropDB(base, dsn string) {
	name := dbName(dsn)
	if name == "" {
		return
	}
	_ = dbtest.Exec("sqlserver", base, "ALTER DATABASE "+name+" SET SINGLE_USER WITH ROLLBACK IMMEDIATE")
	_ = dbtest.Exec("sqlserver", base, "DROP DATABASE "+name)
}

// WithDatabase returns dsn naming database name, in either DSN form
// (sqlserver:// URL, or key=value pairs separated by ';').
func WithDatabase(dsn, name string) string {
	if strings.HasPrefix(dsn, "sqlserver://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("database", name)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return strings.TrimRight(dsn, ";") + ";database=" + name
}

// dbName is the database a DSN from WithDatabase names.
func dbName(dsn string) string {
	if strings.HasPrefix(dsn, "sqlserver://") {
		if u, err := url.Parse(dsn); err == nil {
			return u.Query().Get("database")
		}
		return ""
	}
	if i := strings.LastIndex(dsn, ";database="); i >= 0 {
		return dsn[i+len(";database="):]
	}
	return ""
}
