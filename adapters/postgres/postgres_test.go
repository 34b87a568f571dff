package postgres_test

import (
	"context"
	"database/sql"
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
	"github.com/lib/pq"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestConformance(t *testing.T) {
	adaptertest.Run(t, adaptertest.OpenerOf(postgres.Open, pgtest.FreshDB(t), adapters.Options{}))
}

func TestConformanceWithoutLoader(t *testing.T) {
	adaptertest.Run(t, adaptertest.WithoutLoader(adaptertest.OpenerOf(postgres.Open, pgtest.FreshDB(t), adapters.Options{})))
}

// The suite again, with the DSN in key=value form and the unaccent
// extension installed.
func TestConformanceKeyValueDSNWithUnaccent(t *testing.T) {
	dsn := keyValue(t, pgtest.FreshDB(t))
	db := open(t, dsn, adapters.Options{})
	if _, err := db.DB().Exec("CREATE EXTENSION IF NOT EXISTS unaccent"); err != nil {
		t.Skipf("unaccent is not available: %v", err)
	}
	adaptertest.Run(t, adaptertest.OpenerOf(postgres.Open, dsn, adapters.Options{}))

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

// After the server restarts, the pool's old sessions are dead: the pool
// drops them and opens new ones. A statement on a dead session may fail
// (lib/pq cannot tell whether it reached the server, so it is not
// retried); the next one succeeds.
func TestReconnectAfterRestart(t *testing.T) {
	c := pgtest.NewCluster(t)
	db := open(t, c.DSN, adapters.Options{ReadOnly: true, MaxOpenConns: 4})
	ctx := context.Background()
	var n int
	// Fill the pool with several sessions.
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		cn, err := db.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = cn
	}
	for _, cn := range conns {
		cn.Close()
	}
	var started, restarted string
	if err := db.DB().GetContext(ctx, &started, "SELECT pg_postmaster_start_time()::text"); err != nil {
		t.Fatalf("before the restart: %v", err)
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	failures := 0
	for i := 0; i < 6; i++ {
		n = 0
		if err := db.DB().GetContext(ctx, &n, "SELECT 1"); err != nil {
			failures++
			t.Logf("statement %d after the restart: %v", i+1, err)
			continue
		}
		if n != 1 {
			t.Fatalf("statement %d after the restart gave %d", i+1, n)
		}
	}
	// At most one failure per dead session in the pool.
	if failures > len(conns) {
		t.Errorf("%d of 6 statements failed after the restart; the pool did not recover", failures)
	}
	if err := db.DB().GetContext(ctx, &restarted, "SELECT pg_postmaster_start_time()::text"); err != nil {
		t.Errorf("the pool did not recover: %v", err)
	} else if restarted == started {
		t.Errorf("the server did not restart (started at %s both times)", started)
	}
	// The sessions are still read-only.
	if _, err := db.DB().ExecContext(ctx, "CREATE TABLE ccf_after_restart (id int)"); err == nil {
		t.Error("a new session after the restart is not read-only")
	}
}

// A multi-host DSN (a primary and its replicas) is taken in both forms:
// lib/pq tries the hosts in order, so a dead first host is passed over,
// and target_session_attrs picks among the live ones.
func TestMultiHostDSN(t *testing.T) {
	dsn := pgtest.FreshDB(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	// lib/pq takes a URL's hosts in the host part and their ports in the
	// port parameter (postgres://h1,h2/db?port=5432,5433).
	multiURL := strings.Replace(dsn, u.Host, "127.0.0.1,"+u.Hostname(), 1) + "&port=1," + u.Port() + "&target_session_attrs=any&connect_timeout=5"
	kv := keyValue(t, dsn)
	multiKV := strings.Replace(strings.Replace(kv, "host="+u.Hostname(), "host=127.0.0.1,"+u.Hostname(), 1), "port="+u.Port(), "port=1,"+u.Port(), 1)
	if multiKV == kv {
		t.Fatalf("could not make a multi-host form of %s", kv)
	}
	for _, d := range []string{multiURL, multiKV + " target_session_attrs=prefer-standby"} {
		db := open(t, d, adapters.Options{ReadOnly: true, StatementTimeout: 5 * time.Second})
		var ro string
		if err := db.DB().GetContext(context.Background(), &ro, "SHOW default_transaction_read_only"); err != nil || ro != "on" {
			t.Errorf("%s: read-only %q, %v", adapters.Redact(d), ro, err)
		}
	}
}

// Every kind the engine distinguishes, from a real table: through Columns
// (format_type's names) and through a result's column types (the wire
// protocol's names).
func TestKinds(t *testing.T) {
	db := open(t, pgtest.FreshDB(t), adapters.Options{})
	if _, err := db.DB().Exec(`CREATE TABLE ccf_kinds (
		i INTEGER, b BIGINT, s SMALLINT, t TEXT, v VARCHAR(10), c CHAR(2), n NUMERIC(10,2), f DOUBLE PRECISION,
		d DATE, ts TIMESTAMP, tz TIMESTAMPTZ, ok BOOLEAN, u UUID)`); err != nil {
		t.Fatal(err)
	}
	want := []adapters.Kind{adapters.KindInteger, adapters.KindInteger, adapters.KindInteger, adapters.KindText, adapters.KindText, adapters.KindText,
		adapters.KindDecimal, adapters.KindDecimal, adapters.KindDate, adapters.KindTimestamp, adapters.KindTimestampTZ, adapters.KindBool, adapters.KindOther}
	adaptertest.CheckKinds(t, db, "ccf_kinds", want...)
}

// A list binds as one array when its values are all integers or all
// texts; any other list is left to IN (…).
func TestBindArray(t *testing.T) {
	d := &postgres.DB{}
	for _, c := range []struct {
		vals []any
		want any
	}{
		{[]any{int64(1), int64(2)}, pq.Int64Array{1, 2}},
		{[]any{"a", "b,c"}, pq.StringArray{"a", "b,c"}},
		{[]any{int64(1), "2"}, nil},
		{[]any{"1", int64(2)}, nil},
		{[]any{1.5, 2.5}, nil},
	} {
		got, ok := d.BindArray(c.vals)
		if ok != (c.want != nil) || (ok && fmt.Sprint(got) != fmt.Sprint(c.want)) {
			t.Errorf("BindArray(%v) = %v, %v; want %v", c.vals, got, ok, c.want)
		}
	}
}

// Every session the adapter opens runs with JIT compilation off, whatever
// the server's default and whatever the DSN asks: PostgreSQL's JIT
// compiler heeds neither statement_timeout nor a cancel, so it could hold
// a connection for minutes past the timeout. statement_timeout is set too.
func TestSessionsRunWithoutJIT(t *testing.T) {
	dsn := pgtest.FreshDB(t)
	for _, d := range []string{dsn, dsn + "&jit=on", keyValue(t, dsn), keyValue(t, dsn) + " jit=on"} {
		db := open(t, d, adapters.Options{ReadOnly: true, StatementTimeout: 5 * time.Second, MaxOpenConns: 2})
		var jit, timeout string
		ctx := context.Background()
		if err := db.DB().GetContext(ctx, &jit, "SHOW jit"); err != nil || jit != "off" {
			t.Errorf("%s: jit %q, %v; want off", adapters.Redact(d), jit, err)
		}
		if err := db.DB().GetContext(ctx, &timeout, "SHOW statement_timeout"); err != nil || timeout != "5s" {
			t.Errorf("%s: statement_timeout %q, %v; want 5s", adapters.Redact(d), timeout, err)
		}
	}
}

// StatsVersion changes when ANALYZE gathers statistics that differ, and
// only then: analysing a small table again finds the same ones.
func TestStatsVersion(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.FreshDB(t), adapters.Options{})
	if _, err := db.DB().Exec(`CREATE TABLE CCF_S (ID INTEGER PRIMARY KEY, NAME TEXT);
		CREATE INDEX ccf_s_name ON CCF_S (lower(NAME));
		INSERT INTO CCF_S SELECT g, 'n' || (g % 7) FROM generate_series(1, 500) g`); err != nil {
		t.Fatal(err)
	}
	w := db.(adapters.StatsWatcher)
	version := func() string {
		t.Helper()
		v, err := w.StatsVersion(ctx, []string{"CCF_S", "public.CCF_S", "NO_SUCH_TABLE"})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	exec := func(q string) {
		t.Helper()
		if _, err := db.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	v0 := version()
	exec("ANALYZE CCF_S")
	v1 := version()
	if v1 == v0 {
		t.Errorf("ANALYZE left the version at %q", v1)
	}
	exec("ANALYZE CCF_S")
	if v := version(); v != v1 {
		t.Errorf("analysing unchanged data again: %q, then %q", v1, v)
	}
	exec("UPDATE CCF_S SET NAME = NULL WHERE ID % 2 = 0")
	if v := version(); v != v1 {
		t.Errorf("a change of the data alone changed the version: %q, then %q", v1, v)
	}
	exec("ANALYZE CCF_S")
	if v := version(); v == v1 {
		t.Errorf("ANALYZE of changed data left the version at %q", v)
	}
}
