package dbtest

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

var seq atomic.Int64

// Name is prefix_<pid>_<n>_<time>: a database name that no other call in
// this process, and no other test process on the server, makes.
func Name(prefix string) string {
	return fmt.Sprintf("%s_%d_%d_%d", prefix, os.Getpid(), seq.Add(1), time.Now().UnixNano()%1e9)
}

// FreshDB creates an empty database named ccf_test_… with create on the
// server of base, drops it with drop when the test ends, and returns its
// DSN. create and drop are a server helper's CreateDB and DropDB.
func FreshDB(t testing.TB, base string, create func(base, prefix string) (string, error), drop func(base, dsn string)) string {
	t.Helper()
	dsn, err := create(base, "ccf_test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drop(base, dsn) })
	return dsn
}
