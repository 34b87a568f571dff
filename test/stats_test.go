package test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/postgres"
	"github.com/ccfacade/ccfacade/demo"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/pgtest"
)

// loaderOnly is an adapter's Loader alone: the demo loaded through it is
// not analysed.
type loaderOnly struct{ adapters.Loader }

// A statement the facade keeps prepared does not outlive the planner's
// statistics it was planned from: PostgreSQL keeps a generic plan through
// an ANALYZE, so on a database loaded and never analysed the facade would
// go on with plans made without statistics (with 20,000 patients, one
// walking the primary key of OBSERVATION for one patient's observations)
// until it restarted. Once the tables are analysed, the facade's
// connection holds the search's statement prepared after the ANALYZE, and
// no longer the one prepared before.
func TestStatementsPreparedAfreshWhenStatisticsChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.FreshDB(t)
	loader, err := postgres.Open(ctx, dsn, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer loader.Close()
	if err := demo.Load(ctx, loaderOnly{loader.(adapters.Loader)}, demo.Options{Patients: demoPatients, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	// One connection, so that the test sees the facade's session.
	db, err := postgres.Open(ctx, dsn, adapters.Options{ReadOnly: true, MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := demotest.Silent()
	e := serveDB(t, db, engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret"), Logger: log, StatsCheck: time.Nanosecond})
	const search = "/Observation?patient=17&_count=50"
	const text = "%FROM OBSERVATION t0 WHERE (t0.PATIENT_ID = $1) ORDER BY%"
	// Enough runs for PostgreSQL to settle on a generic plan.
	serve := func() {
		t.Helper()
		for i := 0; i < 8; i++ {
			if r := get(t, e.base+search); r.status != 200 {
				t.Fatalf("%s: %d %s", search, r.status, r.body)
			}
		}
	}
	prepared := func() (name string, at time.Time) {
		t.Helper()
		err := db.DB().QueryRowContext(ctx, "SELECT name, prepare_time FROM pg_prepared_statements WHERE statement LIKE $1", text).Scan(&name, &at)
		if err != nil {
			t.Fatalf("the facade's session holds no prepared statement for %s: %v", search, err)
		}
		return name, at
	}
	serve()
	before, _ := prepared()

	admin, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var analysed time.Time
	if _, err := admin.ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	if err := admin.QueryRowContext(ctx, "SELECT now()").Scan(&analysed); err != nil {
		t.Fatal(err)
	}
	serve()
	after, at := prepared()
	if after == before || !at.After(analysed) {
		t.Errorf("after ANALYZE the facade runs statement %q prepared at %s (before: %q; analysed at %s)", after, at, before, analysed)
	}
	var n int
	if err := db.DB().QueryRowContext(ctx, "SELECT count(*) FROM pg_prepared_statements WHERE name = $1", before).Scan(&n); err != nil || n != 0 {
		t.Errorf("statement %q prepared before ANALYZE is still kept (%d, %v)", before, n, err)
	}
}
