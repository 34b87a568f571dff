// Package pgtest gives tests a PostgreSQL server: the one named by
// CCFACADE_TEST_PG_DSN; else a throwaway cluster started with the local
// initdb and pg_ctl; else the test is skipped with a message saying so.
// With CCFACADE_REQUIRE_PG=1 (as in CI) a would-be skip is a failure.
//
// Packages that use it call pgtest.Main from TestMain, so that a cluster
// it started is stopped when the tests end.
package pgtest

import (
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // the driver for test set-up only
)

var (
	once    sync.Once
	baseDSN string
	why     string // why there is no server
	stop    func()
)

// Main runs the tests, then the cleanups, and stops a cluster this package
// started.
func Main(m *testing.M, cleanups ...func()) {
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

// DSN returns the DSN of a PostgreSQL server's maintenance database, or
// skips the test.
func DSN(t testing.TB) string {
	t.Helper()
	once.Do(setup)
	if baseDSN == "" {
		msg := "PostgreSQL tests skipped: " + why + "; set CCFACADE_TEST_PG_DSN (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) to run them"
		if os.Getenv("CCFACADE_REQUIRE_PG") == "1" {
			t.Fatal(msg + " (CCFACADE_REQUIRE_PG=1 requires them)")
		}
		t.Skip(msg)
	}
	return baseDSN
}

// FreshDB creates an empty database for the test and drops it afterwards.
func FreshDB(t testing.TB) string {
	t.Helper()
	dsn, err := CreateDB(DSN(t), "ccf_test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { DropDB(DSN(t), dsn) })
	return dsn
}

// CreateDB creates a uniquely named empty database on the server of
// baseDSN and returns its DSN.
func CreateDB(base, prefix string) (string, error) {
	name := fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), time.Now().UnixNano())
	db, err := sql.Open("postgres", base)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		return "", fmt.Errorf("create test database: %w", err)
	}
	return withDB(base, name), nil
}

// DropDB drops a database made by CreateDB.
func DropDB(base, dsn string) {
	u, err := url.Parse(dsn)
	if err != nil {
		return
	}
	name := strings.TrimPrefix(u.Path, "/")
	db, err := sql.Open("postgres", base)
	if err != nil {
		return
	}
	defer db.Close()
	_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
}

func withDB(base, name string) string {
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" {
		return base + " dbname=" + name
	}
	u.Path = "/" + name
	return u.String()
}

func setup() {
	if dsn := os.Getenv("CCFACADE_TEST_PG_DSN"); dsn != "" {
		db, err := sql.Open("postgres", dsn)
		if err == nil {
			err = db.Ping()
			db.Close()
		}
		if err != nil {
			why = fmt.Sprintf("CCFACADE_TEST_PG_DSN is set but the server does not answer (%v)", err)
			return
		}
		baseDSN = dsn
		return
	}
	initdb, pgctl := findBinary("initdb"), findBinary("pg_ctl")
	if initdb == "" || pgctl == "" {
		why = "CCFACADE_TEST_PG_DSN is not set and initdb/pg_ctl are not installed"
		return
	}
	dsn, err := startCluster(initdb, pgctl)
	if err != nil {
		why = "could not start a throwaway cluster: " + err.Error()
		return
	}
	baseDSN = dsn
}

func findBinary(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) > 0 {
		return matches[len(matches)-1]
	}
	return ""
}

// startCluster runs initdb and pg_ctl in a temporary directory, as the
// postgres user when running as root (initdb refuses root).
func startCluster(initdb, pgctl string) (string, error) {
	dir, err := os.MkdirTemp("", "ccfacade-pg-")
	if err != nil {
		return "", err
	}
	run := func(args ...string) *exec.Cmd { return exec.Command(args[0], args[1:]...) }
	if os.Geteuid() == 0 {
		pgUser, err := user.Lookup("postgres")
		if err != nil {
			return "", fmt.Errorf("running as root and there is no postgres user to run initdb as")
		}
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			return "", fmt.Errorf("running as root and runuser is not available")
		}
		if out, err := exec.Command("chown", pgUser.Uid+":"+pgUser.Gid, dir).CombinedOutput(); err != nil {
			return "", fmt.Errorf("chown: %v: %s", err, out)
		}
		_ = os.Chmod(dir, 0o755)
		run = func(args ...string) *exec.Cmd {
			return exec.Command(runuser, append([]string{"-u", "postgres", "--"}, args...)...)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := run(initdb, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync").CombinedOutput(); err != nil {
		return "", fmt.Errorf("initdb: %v: %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	opts := fmt.Sprintf("-p %d -k %s -h 127.0.0.1 -F", port, dir)
	if out, err := run(pgctl, "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		return "", fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	stop = func() {
		_ = run(pgctl, "-D", data, "-m", "immediate", "stop").Run()
		os.RemoveAll(dir)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), nil
}
