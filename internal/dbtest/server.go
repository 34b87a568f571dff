package dbtest

import (
	"database/sql"
	"fmt"
	"os"
	"testing"
)

// Server is what a server helper found of its server, once per test
// binary: the one EnvDSN names, or one the helper looks for (or starts)
// itself.
type Server struct {
	Name       string // the server as messages name it: PostgreSQL, MySQL
	EnvDSN     string // the variable naming the server to use
	EnvRequire string // =1 turns skips into failures
	Example    string // a DSN a skip shows for EnvDSN

	DSN    string // the server's, or "" where there is none
	Why    string // why there is none
	Broken bool   // EnvDSN is set but its server does not answer
}

// FromEnv takes the server EnvDSN names, if ping reaches it (Broken, and
// why, if not), and says whether EnvDSN is set. ping's error should hide
// the DSN's password.
func (s *Server) FromEnv(ping func(dsn string) error) bool {
	dsn := os.Getenv(s.EnvDSN)
	if dsn == "" {
		return false
	}
	if err := ping(dsn); err != nil {
		s.Why, s.Broken = fmt.Sprintf("%s is set but its server does not answer: %v", s.EnvDSN, err), true
		return true
	}
	s.DSN = dsn
	return true
}

// Need returns the server's DSN. Without a server it skips the test,
// saying why and what to set, or fails it: when EnvDSN's server does not
// answer, or under EnvRequire=1.
func (s *Server) Need(t testing.TB) string {
	t.Helper()
	if s.DSN != "" {
		return s.DSN
	}
	if s.Broken {
		t.Fatal(s.Why)
	}
	msg := s.Why + "; set " + s.EnvDSN + " (e.g. " + s.Example + ") to run them"
	if os.Getenv(s.EnvRequire) == "1" {
		t.Fatal(s.Name + " tests cannot run, and " + s.EnvRequire + "=1 requires them: " + msg)
	}
	t.Skip(s.Name + " tests skipped: " + msg)
	return ""
}

// Exec runs statements, in order, on the server of dsn through the
// database/sql driver named driver (which its helper imports), and stops
// at the first that fails, naming it. The error is the driver's: it may
// hold the DSN.
func Exec(driver, dsn string, stmts ...string) error {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, stmt := range stmts {
		if _, err := db.Exec(stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}
