package pgtest

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/ccfacade/ccfacade/internal/dbtest"
)

// TestMain's cleanup leaves a mark in a helper process's temporary
// folder, so that the signal test can tell the cleanups ran.
func TestMain(m *testing.M) {
	Main(m, func() {
		if dbtest.HelperMode() != "" {
			_ = os.WriteFile(filepath.Join(os.TempDir(), cleanedMark), nil, 0o644)
		}
	})
}

// cleanedMark is the file a helper process's cleanup leaves.
const cleanedMark = "cleaned-up"

func TestFreshDB(t *testing.T) {
	a, b := FreshDB(t), FreshDB(t)
	if a == b || dbName(a) == dbName(b) {
		t.Fatalf("two FreshDB calls gave the same database: %s", a)
	}
	db, err := sql.Open("postgres", a)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	if err := db.QueryRow("SELECT current_database()").Scan(&name); err != nil || name != dbName(a) {
		t.Fatalf("connected to %q (%v), want %q", name, err, dbName(a))
	}
	if _, err := db.Exec("CREATE TABLE t (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	DropDB(DSN(t), a)
	if err := ping(a); err == nil {
		t.Error("the database is still there after DropDB")
	}
}

func TestDSNForms(t *testing.T) {
	for _, tc := range []struct{ base, name, want string }{
		{"postgres://u@h:5432/postgres?sslmode=disable", "x", "postgres://u@h:5432/x?sslmode=disable"},
		{"host=h user=u dbname=postgres", "x", "host=h user=u dbname=postgres dbname=x"},
	} {
		got := withDB(tc.base, tc.name)
		if got != tc.want || dbName(got) != tc.name {
			t.Errorf("withDB(%q, %q) = %q, dbName %q", tc.base, tc.name, got, dbName(got))
		}
	}
}
