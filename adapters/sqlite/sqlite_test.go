package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/adaptertest"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/demo"
)

// conformanceDB is a fresh database file for the suite.
func conformanceDB(t *testing.T) string {
	return "file:" + filepath.Join(t.TempDir(), "conformance.db")
}

func TestConformance(t *testing.T) {
	adaptertest.Run(t, adaptertest.OpenerOf(sqlite.Open, conformanceDB(t), adapters.Options{}))
}

func TestConformanceWithoutLoader(t *testing.T) {
	adaptertest.Run(t, adaptertest.WithoutLoader(adaptertest.OpenerOf(sqlite.Open, conformanceDB(t), adapters.Options{})))
}

func open(t *testing.T, opts adapters.Options) (adapters.Adapter, string) {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "t.db")
	db, err := sqlite.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dsn
}

func exec(t *testing.T, db adapters.Adapter, script string) {
	t.Helper()
	if err := db.(adapters.Loader).Exec(context.Background(), script); err != nil {
		t.Fatal(err)
	}
}

// SQLite's schemas are its attached databases; "main" is the file itself.
func TestSchemaQualifiedNames(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t, adapters.Options{})
	exec(t, db, `CREATE TABLE PATIENT (PATIENT_ID INTEGER NOT NULL, "Given Name" VARCHAR(35));
INSERT INTO PATIENT VALUES (1, 'Ann');`)
	var got string
	if err := db.DB().GetContext(ctx, &got, "SELECT "+db.Quote("Given Name")+" FROM "+db.Quote("main.PATIENT")); err != nil || got != "Ann" {
		t.Errorf("main.PATIENT: %q, %v", got, err)
	}
	for _, name := range []string{"main.PATIENT", "MAIN.patient", "temp.PATIENT", "nosuch.PATIENT"} {
		cols, err := db.Columns(ctx, name)
		switch {
		case strings.HasPrefix(strings.ToLower(name), "main."):
			if err != nil || len(cols) != 2 || cols[1].Name != "Given Name" || cols[1].Type != "VARCHAR" {
				t.Errorf("Columns(%s): %+v, %v", name, cols, err)
			}
		case !errors.Is(err, adapters.ErrNoTable):
			t.Errorf("Columns(%s): %v, want ErrNoTable", name, err)
		}
	}
}

// A quoted name that matches no column is an error, not a string literal
// (which a double-quoted name would be in SQLite).
func TestMisspeltQuotedNameFails(t *testing.T) {
	db, _ := open(t, adapters.Options{})
	exec(t, db, `CREATE TABLE T ("Given Name" VARCHAR(35));`)
	if _, err := db.DB().Exec("SELECT " + db.Quote("Givn Name") + " FROM T"); err == nil {
		t.Error("a misspelt quoted column was accepted")
	}
}

// The demo EPR's schema and indexes load, and many readers work beside a
// writer.
func TestDemoAndConcurrentReaders(t *testing.T) {
	ctx := context.Background()
	db, dsn := open(t, adapters.Options{})
	if err := demo.Load(ctx, db.(adapters.Loader), demo.Options{Patients: 50, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	cols, err := db.Columns(ctx, "PATIENT")
	i := slices.IndexFunc(cols, func(c adapters.Column) bool { return c.Name == "LAST_UPDATED" })
	if err != nil || i < 0 || cols[i].Type != "TIMESTAMP" {
		t.Fatalf("Columns(PATIENT): %v, %v", cols, err)
	}
	ro, err := sqlite.Open(ctx, dsn, adapters.Options{ReadOnly: true, MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n int
			q := "SELECT COUNT(*) FROM PATIENT WHERE " + ro.ILike("SURNAME", ro.Placeholder(1))
			if err := ro.DB().GetContext(ctx, &n, q, "%"); err != nil || n != 50 {
				t.Errorf("reader %d: %d, %v", i, n, err)
			}
		}()
	}
	if _, err := db.DB().ExecContext(ctx, "UPDATE PATIENT SET TITLE = 'Dr' WHERE PATIENT_ID % 2 = 0"); err != nil {
		t.Errorf("writer: %v", err)
	}
	wg.Wait()
}

func TestOpenErrors(t *testing.T) {
	_, err := sqlite.Open(context.Background(), "file:"+filepath.Join(t.TempDir(), "no", "such", "dir.db"), adapters.Options{})
	if err == nil {
		t.Error("no error for a file in a missing directory")
	}
}

// BenchmarkLoad loads 100,000 rows of eight columns into an empty table.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		db, err := sqlite.Open(ctx, "file:"+filepath.Join(b.TempDir(), "b.db"), adapters.Options{})
		if err != nil {
			b.Fatal(err)
		}
		l := db.(adapters.Loader)
		if err := l.Exec(ctx, "CREATE TABLE B (ID INTEGER PRIMARY KEY, A VARCHAR(20), B VARCHAR(20), C INTEGER, D VARCHAR(40), E CHAR(1), F VARCHAR(10), G TIMESTAMP);"); err != nil {
			b.Fatal(err)
		}
		i := 0
		at := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
		err = l.Load(ctx, "B", []string{"ID", "A", "B", "C", "D", "E", "F", "G"}, func(r []any) bool {
			i++
			r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] = int64(i), "surname", "forename", int64(i%97), "1 High Street, Leeds", "F", "20200102", at
			return i <= 100000
		})
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}
