package mysqltest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/internal/dbtest"
	"github.com/go-sql-driver/mysql" // the driver, for set-up only
)

// EnvDSN names the server to use; EnvRequire=1 turns skips into failures.
const (
	EnvDSN     = "CCFACADE_TEST_MYSQL_DSN"
	EnvRequire = "CCFACADE_REQUIRE_MYSQL"
)

// Local is the server tried when EnvDSN is not set.
const Local = "root@tcp(127.0.0.1:3306)/test"

var (
	once   sync.Once
	server = dbtest.Server{Name: "MySQL", EnvDSN: EnvDSN, EnvRequire: EnvRequire, Example: Local}
)

// DSN returns the DSN of a server whose user may create databases, or
// skips the test.
func DSN(t testing.TB) string {
	t.Helper()
	once.Do(setup)
	return server.Need(t)
}

func setup() {
	if server.FromEnv(ping) {
		return
	}
	if err := ping(Local); err != nil {
		server.Why = EnvDSN + " is not set and no server answers at 127.0.0.1:3306 as root"
		return
	}
	server.DSN = Local
}

// ping reaches the server of dsn; its error hides the password.
func ping(dsn string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return adapters.RedactError(err, dsn)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return adapters.RedactError(err, dsn)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return adapters.RedactError(db.PingContext(ctx), dsn)
}

// FreshDB creates an empty, uniquely named database for the test, drops
// it when the test ends, and returns its DSN.
func FreshDB(t testing.TB) string {
	t.Helper()
	return dbtest.FreshDB(t, DSN(t), CreateDB, DropDB)
}

// CreateDB creates an empty database named prefix_<pid>_<n>_<time>, in
// utf8mb4, on the server of base and returns its DSN. prefix should be a
// lower-case name.
func CreateDB(base, prefix string) (string, error) {
	name := dbtest.Name(prefix)
	if err := Exec(base, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4"); err != nil {
		return "", fmt.Errorf("create test database %s: %w", name, err)
	}
	return WithDatabase(base, name)
}

// DropDB drops the database of dsn. Errors are ignored: it is cleanup.
func DropDB(base, dsn string) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil || cfg.DBName == "" {
		return
	}
	_ = Exec(base, "DROP DATABASE IF EXISTS `"+strings.ReplaceAll(cfg.DBName, "`", "``")+"`")
}

// Exec runs one statement on the server of dsn.
func Exec(dsn, stmt string) error {
	return adapters.RedactError(dbtest.Exec("mysql", dsn, stmt), dsn)
}

// WithDatabase returns dsn naming database name.
func WithDatabase(dsn, name string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", adapters.RedactError(err, dsn)
	}
	cfg.DBName = name
	return cfg.FormatDSN(), nil
}
