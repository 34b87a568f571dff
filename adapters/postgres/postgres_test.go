package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/adaptertest"
	"github.com/ccfacade/ccfacade/adapters/postgres"
	"github.com/ccfacade/ccfacade/demo"
	"github.com/ccfacade/ccfacade/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func opener(dsn string, wrap func(adapters.Adapter) adapters.Adapter) adaptertest.Opener {
	return func(t *testing.T, readOnly bool) adapters.Adapter {
		db, err := postgres.Open(context.Background(), dsn, adapters.Options{ReadOnly: readOnly})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return wrap(db)
	}
}

func TestConformance(t *testing.T) {
	adaptertest.Run(t, opener(pgtest.FreshDB(t), func(a adapters.Adapter) adapters.Adapter { return a }))
}

// noLoader hides the adapter's Loader, to run the suite the way it runs
// for an adapter without one.
type noLoader struct{ adapters.Adapter }

func TestConformanceWithoutLoader(t *testing.T) {
	adaptertest.Run(t, opener(pgtest.FreshDB(t), func(a adapters.Adapter) adapters.Adapter { return noLoader{a} }))
}

// The suite again, with the DSN in key=value form and the unaccent
// extension installed.
func TestConformanceKeyValueDSNWithUnaccent(t *testing.T) {
	dsn := keyValue(t, pgtest.FreshDB(t))
	db := open(t, dsn, adapters.Options{})
	if _, err := db.DB().Exec("CREATE EXTENSION IF NOT EXISTS unaccent"); err != nil {
		t.Skipf("unaccent is not available: %v", err)
	}
	adaptertest.Run(t, opener(dsn, func(a adapters.Adapter) adapters.Adapter { return a }))

	db = open(t, dsn, adapters.Options{ReadOnly: true})
	var names []string
	q := "SELECT NAME FROM CCF_T WHERE " + db.ILike("NAME", db.Placeholder(1)) + " ORDER BY ID"
	if err := db.DB().Select(&names, q, "zoe"); err != nil || strings.Join(names, ",") != "Zoë" {
		t.Errorf("with unaccent, zoe matches %q (%v), want Zoë", names, err)
	}
}

// keyValue rewrites a postgres:// DSN in key=value form.
func keyValue(t *testing.T, dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	kv := fmt.Sprintf("host=%s port=%s user=%s dbname=%s", u.Hostname(), u.Port(), u.User.Username(), strings.TrimPrefix(u.Path, "/"))
	for k, v := range u.Query() {
		kv += " " + k + "=" + v[0]
	}
	return kv
}

func open(t *testing.T, dsn string, opts adapters.Options) adapters.Adapter {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStatementTimeout(t *testing.T) {
	db := open(t, pgtest.FreshDB(t), adapters.Options{StatementTimeout: 100 * time.Millisecond})
	start := time.Now()
	_, err := db.DB().Exec("SELECT pg_sleep(5)")
	if err == nil || !strings.Contains(err.Error(), "statement timeout") || time.Since(start) > 3*time.Second {
		t.Errorf("pg_sleep(5) under a 100ms statement timeout: %v after %s", err, time.Since(start))
	}
}

// Mappings name tables as the DDL wrote them, unquoted and upper case;
// PostgreSQL holds them in lower case.
func TestDemoSchemaAndFolding(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.FreshDB(t)
	db := open(t, dsn, adapters.Options{})
	if err := demo.Load(ctx, db.(adapters.Loader), demo.Options{Patients: 30, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"PATIENT", "public.PATIENT", "PUBLIC.patient"} {
		cols, err := db.Columns(ctx, name)
		if err != nil || len(cols) == 0 || cols[0].Name != "patient_id" || cols[0].Type != "INTEGER" || cols[0].Nullable {
			t.Errorf("Columns(%s): %+v, %v", name, cols, err)
		}
	}
	ro := open(t, dsn, adapters.Options{ReadOnly: true})
	var n int
	q := "SELECT COUNT(*) FROM " + ro.Quote("public.PATIENT") + " WHERE " + ro.Quote("LAST_UPDATED") + " < " + ro.Placeholder(1)
	if err := ro.DB().Get(&n, q, ro.TimeArg(time.Now())); err != nil || n != 30 {
		t.Errorf("%s: %d, %v", q, n, err)
	}
	if _, err := ro.DB().Exec("BEGIN; DELETE FROM PATIENT; COMMIT"); err == nil {
		t.Error("a read-only pool deleted rows")
	}
}
