package dbtest

import (
	"errors"
	"regexp"
	"runtime"
	"testing"
)

func TestNameUnique(t *testing.T) {
	shape := regexp.MustCompile(`^ccf_x_\d+_\d+_\d+$`)
	seen := map[string]bool{}
	for range 100 {
		n := Name("ccf_x")
		if !shape.MatchString(n) {
			t.Fatalf("Name = %q, want ccf_x_<pid>_<n>_<time>", n)
		}
		if seen[n] {
			t.Fatalf("Name made %q twice", n)
		}
		seen[n] = true
	}
}

func TestFreshDBDropsAtCleanup(t *testing.T) {
	var created, dropped []string
	create := func(base, prefix string) (string, error) {
		dsn := base + "/" + Name(prefix)
		created = append(created, dsn)
		return dsn, nil
	}
	drop := func(base, dsn string) { dropped = append(dropped, base+" "+dsn) }
	var dsn string
	t.Run("test", func(t *testing.T) {
		dsn = FreshDB(t, "srv", create, drop)
		if len(dropped) != 0 {
			t.Fatal("dropped before the test ended")
		}
	})
	if len(created) != 1 || created[0] != dsn {
		t.Fatalf("created %q, FreshDB returned %q", created, dsn)
	}
	if want := "srv " + dsn; len(dropped) != 1 || dropped[0] != want {
		t.Fatalf("dropped %q, want [%q]", dropped, want)
	}
	if !regexp.MustCompile(`^srv/ccf_test_\d+_\d+_\d+$`).MatchString(dsn) {
		t.Fatalf("dsn %q does not name a ccf_test_ database", dsn)
	}
}

func TestFreshDBFailsWhenCreateFails(t *testing.T) {
	ft := &fatalT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		FreshDB(ft, "srv", func(string, string) (string, error) { return "", errors.New("no room") }, func(string, string) { t.Error("drop called") })
	}()
	<-done
	if ft.msg != "no room" {
		t.Fatalf("Fatal(%q), want Fatal(\"no room\")", ft.msg)
	}
}

// fatalT records Fatal's message and ends the goroutine, as testing.T does.
type fatalT struct {
	testing.TB
	msg string
}

func (f *fatalT) Helper() {}

func (f *fatalT) Fatal(args ...any) {
	f.msg = args[0].(error).Error()
	runtime.Goexit()
}
