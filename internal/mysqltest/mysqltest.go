package mysqltest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
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
	once    sync.Once
	baseDSN string
	why     string // why there is no server
	broken  bool   // EnvDSN is set but its server does not answer
)

// DSN returns the DSN of a server whose user may create databases, or
// skips the test.
func DSN(t testing.TB) string {
	t.Helper()
	once.Do(setup)
	if baseDSN == "" {
		if broken {
			t.Fatal(why)
		}
		msg := why + "; set " + EnvDSN + " (e.g. " + Local + ") to run them"
		if os.Getenv(EnvRequire) == "1" {
			t.Fatal("MySQL tests cannot run, and " + EnvRequire + "=1 requires them: " + msg)
		}
		t.Skip("MySQL tests skipped: " + msg)
	}
	return baseDSN
}

func setup() {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		if err := ping(dsn); err != nil {
			why, broken = fmt.Sprintf("%s is set but its server does not answer: %v", EnvDSN, adapters.RedactError(err, dsn)), true
			return
		}
		baseDSN = dsn
		return
	}
	if err := ping(Local); err != nil {
		why = EnvDSN + " is not set and no server answers at 127.0.0.1:3306 as root"
		return
	}
	baseDSN = Local
}

func ping(dsn string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	db := sql.OpenDB(c)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return db.PingContext(ctx)
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
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return adapters.RedactError(err, dsn)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		return adapters.RedactError(err, dsn)
	}
	return nil
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
