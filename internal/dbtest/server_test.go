package dbtest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// A server EnvDSN names is taken when it answers; one that does not is
// a failure, not a skip; with EnvDSN unset the helper looks on its own.
func TestServerFromEnv(t *testing.T) {
	s := Server{Name: "X", EnvDSN: "CCFACADE_TEST_X_DSN", EnvRequire: "CCFACADE_REQUIRE_X", Example: "x://h"}
	t.Setenv(s.EnvDSN, "")
	if s.FromEnv(func(string) error { t.Error("pinged with the variable unset"); return nil }) {
		t.Error("FromEnv says the variable is set")
	}

	t.Setenv(s.EnvDSN, "x://up")
	up := s
	if !up.FromEnv(func(string) error { return nil }) || up.DSN != "x://up" || up.Broken {
		t.Errorf("an answering server: %+v", up)
	}
	if got := up.Need(t); got != "x://up" {
		t.Errorf("Need = %q", got)
	}

	down := s
	if !down.FromEnv(func(string) error { return errors.New("refused") }) || down.DSN != "" || !down.Broken {
		t.Errorf("a server that does not answer: %+v", down)
	}
	if ended, msg := run(&down); ended != "fatal" || msg != "CCFACADE_TEST_X_DSN is set but its server does not answer: refused" {
		t.Errorf("Need on a broken server: %s %q", ended, msg)
	}
}

// Without a server Need skips, saying why and what to set, or fails under
// EnvRequire=1.
func TestServerNeedWithoutOne(t *testing.T) {
	s := Server{Name: "X", EnvDSN: "CCFACADE_TEST_X_DSN", EnvRequire: "CCFACADE_REQUIRE_X", Example: "x://h", Why: "no X here"}
	t.Setenv(s.EnvRequire, "")
	if ended, msg := run(&s); ended != "skip" || msg != "X tests skipped: no X here; set CCFACADE_TEST_X_DSN (e.g. x://h) to run them" {
		t.Errorf("Need: %s %q", ended, msg)
	}
	t.Setenv(s.EnvRequire, "1")
	if ended, msg := run(&s); ended != "fatal" || !strings.HasPrefix(msg, "X tests cannot run, and CCFACADE_REQUIRE_X=1 requires them: no X here") {
		t.Errorf("Need under EnvRequire=1: %s %q", ended, msg)
	}
}

// An unknown driver is an error, not a panic: Exec opens nothing else.
func TestExecUnknownDriver(t *testing.T) {
	if err := Exec("no-such-driver", "x://h", "SELECT 1"); err == nil || !strings.Contains(err.Error(), "no-such-driver") {
		t.Errorf("Exec with an unknown driver: %v", err)
	}
}

// run calls s.Need on a recorder and says how it ended: "fatal", "skip"
// or "returned", with the message.
func run(s *Server) (string, string) {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Need(r)
		r.ended = "returned"
	}()
	<-done
	return r.ended, r.msg
}

// recorder records how Need ends the test, and ends the goroutine as
// testing.T does.
type recorder struct {
	testing.TB
	ended, msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatal(args ...any) {
	r.ended, r.msg = "fatal", fmt.Sprint(args...)
	runtime.Goexit()
}

func (r *recorder) Skip(args ...any) {
	r.ended, r.msg = "skip", fmt.Sprint(args...)
	runtime.Goexit()
}
