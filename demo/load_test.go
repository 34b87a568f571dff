package demo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/mysql"
	"github.com/ccfacade/ccfacade/adapters/postgres"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/demo"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/mysqltest"
	"github.com/ccfacade/ccfacade/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// recorder is a Loader that keeps what it is asked to do.
type recorder struct {
	calls []string            // "exec:<first line>" or "load:<table>"
	rows  map[string][]string // table → rows as text
	cols  map[string][]string
	// stopAfter > 0 makes Load return after that many rows, with stopErr.
	stopAfter int
	stopErr   error
	// onRow, when set, is called after each row with its table and number.
	onRow func(table string, n int)
}

func (r *recorder) Exec(ctx context.Context, script string) error {
	r.calls = append(r.calls, "exec:"+strings.SplitN(script, "\n", 2)[0])
	return nil
}

func (r *recorder) Load(ctx context.Context, table string, columns []string, next func(row []any) bool) error {
	r.calls = append(r.calls, "load:"+table)
	r.cols[table] = columns
	row := make([]any, len(columns)) // reused, as real loaders do
	for n := 0; next(row); n++ {
		r.rows[table] = append(r.rows[table], fmt.Sprint(row...))
		clear(row)
		if r.onRow != nil {
			r.onRow(table, n+1)
		}
		if r.stopAfter > 0 && n+1 == r.stopAfter {
			return r.stopErr
		}
	}
	return nil
}

func newRecorder() *recorder {
	return &recorder{rows: map[string][]string{}, cols: map[string][]string{}}
}

// TestLoadStreamsGenerate checks Load's calls and that it hands the loader
// exactly the rows Generate makes.
func TestLoadStreamsGenerate(t *testing.T) {
	opt := demo.Options{Patients: 1200, Seed: 5}
	rec := newRecorder()
	if err := demo.Load(context.Background(), rec, opt); err != nil {
		t.Fatal(err)
	}
	first := func(s string) string { return "exec:" + strings.SplitN(s, "\n", 2)[0] }
	want := []string{first(demo.Schema)}
	for _, table := range demo.Tables() {
		want = append(want, "load:"+table)
	}
	want = append(want, first(demo.Indexes))
	if !slices.Equal(rec.calls, want) {
		t.Fatalf("calls %v\nwant %v", rec.calls, want)
	}
	for _, table := range demo.Tables() {
		if !slices.Equal(rec.cols[table], demo.Columns(table)) {
			t.Errorf("%s loaded with columns %v", table, rec.cols[table])
		}
		var gen []string
		if err := demo.Generate(opt, table, func(row []any) error {
			gen = append(gen, fmt.Sprint(row...))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rec.rows[table], gen) {
			t.Errorf("%s: loaded %d rows that differ from the %d generated", table, len(rec.rows[table]), len(gen))
		}
	}
}

func TestLoadErrors(t *testing.T) {
	opt := demo.Options{Patients: 100000}
	boom := errors.New("disk full")

	// A loader failing part way: Load returns its error at once, without
	// generating the rest of a large data set.
	rec := newRecorder()
	rec.stopAfter, rec.stopErr = 500, boom // in PATIENT
	start := time.Now()
	err := demo.Load(context.Background(), rec, opt)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "PATIENT") {
		t.Errorf("Load = %v; want the loader's error, naming the table", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Load took %v to give up", d)
	}

	// A loader that stops reading without an error has loaded a short
	// table, whether the rest is still being generated or not.
	for _, n := range []int{5, 600} { // in GP_PRACTICE (66 rows), in PATIENT
		rec = newRecorder()
		rec.stopAfter = n
		if err := demo.Load(context.Background(), rec, opt); err == nil {
			t.Errorf("Load = nil for a loader that stopped reading after %d rows", n)
		}
	}

	// A context cancelled part way, in PATIENT.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec = newRecorder()
	rec.onRow = func(table string, n int) {
		if table == "PATIENT" && n == 600 {
			cancel()
		}
	}
	if err := demo.Load(ctx, rec, opt); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a cancelled context = %v", err)
	}
}

// expectedCounts counts Generate's rows of every table.
func expectedCounts(t testing.TB, opt demo.Options) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, table := range demo.Tables() {
		n := 0
		if err := demo.Generate(opt, table, func([]any) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		counts[table] = n
	}
	return counts
}

// checkLoaded compares row counts and a few values in a loaded database
// with the generator's, and checks that the indexes were made.
func checkLoaded(t *testing.T, db adapters.Adapter, opt demo.Options, indexQuery string) {
	t.Helper()
	ctx := context.Background()
	want := expectedCounts(t, opt)
	for _, table := range demo.Tables() {
		var n int
		if err := db.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+db.Quote(table)).Scan(&n); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if n != want[table] {
			t.Errorf("%s: %d rows loaded, %d generated", table, n, want[table])
		}
	}
	// Text comes back byte for byte: padded surnames, spaced NHS numbers,
	// accents and apostrophes.
	cols := demo.Columns("PATIENT")
	sur, nhs := slices.Index(cols, "SURNAME"), slices.Index(cols, "NHS_NUMBER")
	q := "SELECT SURNAME, COALESCE(NHS_NUMBER, '') FROM PATIENT WHERE PATIENT_ID = " + db.Placeholder(1)
	checked := 0
	err := demo.Generate(opt, "PATIENT", func(row []any) error {
		s := row[sur].(string)
		if !strings.HasSuffix(s, " ") && !strings.ContainsAny(s, "'ëéáí") && !strings.Contains(fmt.Sprint(row[nhs]), " ") {
			return nil
		}
		var gotSur, gotNHS string
		if err := db.DB().QueryRowContext(ctx, q, row[0]).Scan(&gotSur, &gotNHS); err != nil {
			return err
		}
		wantNHS, _ := row[nhs].(string)
		if gotSur != s || gotNHS != wantNHS {
			t.Errorf("patient %v: loaded %q %q, generated %q %q", row[0], gotSur, gotNHS, s, wantNHS)
		}
		checked++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Error("no padded, accented or spaced values to check")
	}
	var indexes int
	if err := db.DB().QueryRowContext(ctx, indexQuery).Scan(&indexes); err != nil {
		t.Fatal(err)
	}
	wantIndexes := strings.Count(demo.Indexes, "CREATE INDEX")
	if db.Name() == "mysql" {
		wantIndexes -= strings.Count(demo.Indexes, "((") // MariaDB has no indexes on expressions
	}
	if indexes != wantIndexes {
		t.Errorf("%d demo indexes in the database, want %d", indexes, wantIndexes)
	}
}

const sqliteIndexes = `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%\_IX' ESCAPE '\'`
const pgIndexes = `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE '%\_ix'`
const mysqlIndexes = `SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME LIKE '%\_IX' ESCAPE '\'`

func TestLoadSQLite(t *testing.T) {
	for _, opt := range []demo.Options{{}, {Patients: 1000, Seed: 2}} {
		db := demotest.EmptySQLite(t)
		if err := demo.Load(context.Background(), db.(adapters.Loader), opt); err != nil {
			t.Fatal(err)
		}
		checkLoaded(t, db, opt, sqliteIndexes)
	}
}

func TestLoadPostgres(t *testing.T) {
	db := demotest.EmptyPostgres(t) // skips without a server
	opt := demo.Options{Patients: 1000, Seed: 2}
	if err := demo.Load(context.Background(), db.(adapters.Loader), opt); err != nil {
		t.Fatal(err)
	}
	checkLoaded(t, db, opt, pgIndexes)
}

func TestLoadMySQL(t *testing.T) {
	dsn := mysqltest.FreshDB(t) // skips without a server
	db, err := mysql.Open(context.Background(), dsn, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	opt := demo.Options{Patients: 1000, Seed: 2}
	if err := demo.Load(context.Background(), db.(adapters.Loader), opt); err != nil {
		t.Fatal(err)
	}
	checkLoaded(t, db, opt, mysqlIndexes)
}

// benchPatients is the size the load benchmarks use:
// CCFACADE_DEMO_PATIENTS, else 100,000.
func benchPatients(b *testing.B) int {
	if s := os.Getenv("CCFACADE_DEMO_PATIENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("CCFACADE_DEMO_PATIENTS: %v", err)
		}
		return n
	}
	return 100000
}

// benchmarkLoad loads the demo into a fresh database per iteration and
// reports rows per second; fresh makes the database and returns its DSN.
func benchmarkLoad(b *testing.B, open adapters.Opener, fresh func(b *testing.B) string) {
	opt := demo.Options{Patients: benchPatients(b)}
	rows := 0
	for _, n := range expectedCounts(b, opt) {
		rows += n
	}
	var loading time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dsn := fresh(b)
		db, err := open(context.Background(), dsn, adapters.Options{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		b.StartTimer()
		if err := demo.Load(context.Background(), db.(adapters.Loader), opt); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		loading += time.Since(start)
		db.Close()
	}
	b.ReportMetric(float64(opt.Patients), "patients")
	b.ReportMetric(float64(rows), "rows")
	b.ReportMetric(float64(rows*b.N)/loading.Seconds(), "rows/s")
}

// BenchmarkLoadPostgres times loading the demo (100,000 patients unless
// CCFACADE_DEMO_PATIENTS says otherwise) into PostgreSQL:
//
//	CCFACADE_TEST_PG_DSN=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable \
//	  go test -run '^$' -bench LoadPostgres -benchtime 1x ./demo/
func BenchmarkLoadPostgres(b *testing.B) {
	base := pgtest.DSN(b)
	benchmarkLoad(b, postgres.Open, func(b *testing.B) string {
		dsn, err := pgtest.CreateDB(base, "ccf_demo_bench")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { pgtest.DropDB(base, dsn) })
		return dsn
	})
}

// BenchmarkLoadSQLite times loading the demo into a SQLite file.
func BenchmarkLoadSQLite(b *testing.B) {
	benchmarkLoad(b, sqlite.Open, func(b *testing.B) string {
		return "file:" + filepath.Join(b.TempDir(), fmt.Sprintf("demo-%d.db", time.Now().UnixNano()))
	})
}
