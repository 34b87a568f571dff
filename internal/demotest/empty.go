package demotest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/postgres"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/catalog"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/pgtest"
	"github.com/ccfacade/ccfacade/mapping"
)

// EmptySQLite is an empty SQLite database of the test's own (a file in
// its temporary folder), closed when the test ends.
func EmptySQLite(t testing.TB) adapters.Adapter {
	t.Helper()
	db, err := sqlite.Open(context.Background(), "file:"+filepath.Join(t.TempDir(), "test.db"), adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// EmptyPostgres is an empty PostgreSQL database of the test's own,
// dropped when the test ends; it skips the test without PostgreSQL
// (fails under CCFACADE_REQUIRE_PG=1).
func EmptyPostgres(t testing.TB) adapters.Adapter {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.FreshDB(t), adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Engine checks a mapping set against db and returns an engine over it
// with opts (logging nowhere unless opts says).
func Engine(t testing.TB, db adapters.Adapter, set *mapping.Set, opts engine.Options) *engine.Engine {
	t.Helper()
	cat, err := catalog.Load(context.Background(), set, db)
	if err != nil {
		t.Fatalf("the mappings against %s: %v", db.Name(), err)
	}
	if opts.Logger == nil {
		opts.Logger = Silent()
	}
	eng, err := engine.New(cat, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}
