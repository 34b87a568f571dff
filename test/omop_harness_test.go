package test

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/mysql"
	"github.com/ccfacade/ccfacade/adapters/postgres"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/mysqltest"
	"github.com/ccfacade/ccfacade/internal/pgtest"
	"github.com/ccfacade/ccfacade/mapping"
	"github.com/ccfacade/ccfacade/mappingsets"
)

// The OMOP CDM test data (see testdata/omop/README.md): the OHDSI DDL, the
// Synthea27Nj sample's CSV files, and extra rows written for these tests.
const omopData = "testdata/omop"

// omopTables are the tables the tests load, in load order.
var omopTables = []string{"concept", "person", "death", "provider", "location", "care_site",
	"visit_occurrence", "condition_occurrence", "procedure_occurrence", "measurement", "observation", "drug_exposure"}

// omopTable is one table's rows as read from its CSV files: values by
// column, "" for NULL.
type omopTable struct {
	cols []string
	rows []map[string]string
}

var (
	omopDataOnce sync.Once
	omopDataSet  map[string]*omopTable
	omopDataErr  error
)

// omopRows returns a table's rows: the sample's, then the extras', with
// the test links applied. It is the oracle the answers are checked
// against, and what the database is loaded with.
func omopRows(t *testing.T, table string) []map[string]string {
	t.Helper()
	d, err := omopDataTables()
	if err != nil {
		t.Fatal(err)
	}
	return d[table].rows
}

func omopDataTables() (map[string]*omopTable, error) {
	omopDataOnce.Do(func() {
		omopDataSet = map[string]*omopTable{}
		for _, table := range omopTables {
			tab := &omopTable{}
			for _, dir := range []string{"synthea27nj", "extra"} {
				if err := readCSV(filepath.Join(omopData, dir, strings.ToUpper(table)+".csv"), tab); err != nil {
					omopDataErr = err
					return
				}
			}
			if tab.cols == nil {
				omopDataErr = fmt.Errorf("no CSV file for table %s", table)
				return
			}
			for _, r := range tab.rows {
				omopLink(table, r)
			}
			omopDataSet[table] = tab
		}
	})
	return omopDataSet, omopDataErr
}

// readCSV appends the rows of file (or file.gz) to tab; a missing file
// adds nothing. Columns are matched by the header's names.
func readCSV(file string, tab *omopTable) error {
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = os.Open(file + ".gz")
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
	}
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(f.Name(), ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name(), err)
		}
		defer gz.Close()
		r = gz
	}
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name(), err)
	}
	if tab.cols == nil {
		tab.cols = header
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name(), err)
		}
		row := make(map[string]string, len(header))
		for i, c := range header {
			row[c] = rec[i]
		}
		tab.rows = append(tab.rows, row)
	}
}

// omopLink links some people and their visits to the care sites and
// locations of extra/, which the Synthea27Nj sample does not have: every
// third person lives at location 1 or 2, is registered with care site 1
// and provider 1, and their outpatient visits are at care site 1 (the
// others at care site 2).
func omopLink(table string, r map[string]string) {
	pid, _ := strconv.Atoi(r["person_id"])
	if pid == 0 || pid%3 != 0 {
		return
	}
	switch table {
	case "person":
		r["location_id"] = strconv.Itoa(1 + pid/3%2)
		r["care_site_id"] = "1"
		r["provider_id"] = "1"
	case "visit_occurrence":
		r["care_site_id"] = "2"
		if r["visit_concept_id"] == "9202" {
			r["care_site_id"] = "1"
		}
	}
}

var omopPG, omopLite, omopMySQL demotest.Database

// omopDB returns the DSN of a PostgreSQL database holding the OMOP test
// data, made once per test run (and dropped by demotest.Cleanup).
func omopDB(t *testing.T) string {
	t.Helper()
	base := pgtest.DSN(t) // skips (or fails under CCFACADE_REQUIRE_PG=1) without PostgreSQL
	return omopPG.Need(t, "OMOP database", demotest.OnServer(base, "ccfacade_omop", pgtest.CreateDB, pgtest.DropDB), pgtest.Unaccent, loadOMOP(postgres.Open, false))
}

// loadOMOP loads the OMOP test data through the adapter open opens (see
// loadOMOPInto).
func loadOMOP(open adapters.Opener, lite bool) func(dsn string) error {
	return demotest.LoadWith(open, func(_ context.Context, db adapters.Adapter) error { return loadOMOPInto(db, lite) })
}

// loadOMOPInto loads the OMOP test data through an adapter's Loader. For
// SQLite (lite) the OHDSI PostgreSQL DDL is run as it is (SQLite takes its
// column types), the primary keys are left out (SQLite cannot add them to
// a table) and of the indices script only the CREATE INDEX statements are
// run (CLUSTER is PostgreSQL's). For MySQL and MariaDB the DDL's
// TIMESTAMP (without zone) is DATETIME(6), its NUMERIC (of any precision)
// DOUBLE, and of the indices script only the CREATE INDEX statements run.
func loadOMOPInto(db adapters.Adapter, lite bool) error {
	ctx := context.Background()
	l := db.(adapters.Loader)
	my := db.Name() == "mysql"
	script := func(name string) error {
		b, err := os.ReadFile(filepath.Join(omopData, "ddl", name))
		if err != nil {
			return err
		}
		text := strings.ReplaceAll(string(b), "@cdmDatabaseSchema.", "")
		if my {
			text = strings.ReplaceAll(strings.ReplaceAll(text, " TIMESTAMP ", " DATETIME(6) "), " NUMERIC ", " DOUBLE ")
		}
		if lite && strings.Contains(name, "primary_keys") {
			return nil
		}
		if (my || lite) && strings.Contains(name, "indices") {
			var keep []string
			for _, line := range strings.Split(text, "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "CREATE INDEX") {
					keep = append(keep, line)
				}
			}
			text = strings.Join(keep, "\n")
		}
		return l.Exec(ctx, text)
	}
	if err := script("OMOPCDM_postgresql_5.4_ddl.sql"); err != nil {
		return err
	}
	tables, err := omopDataTables()
	if err != nil {
		return err
	}
	for _, name := range omopTables {
		tab := tables[name]
		i := 0
		err := l.Load(ctx, name, tab.cols, func(row []any) bool {
			if i == len(tab.rows) {
				return false
			}
			for j, c := range tab.cols {
				if v := tab.rows[i][c]; v != "" {
					row[j] = v
				} else {
					row[j] = nil // OMOP CSV files write NULL as an empty field
				}
			}
			i++
			return true
		})
		if err != nil {
			return err
		}
	}
	for _, s := range []string{"OMOPCDM_postgresql_5.4_primary_keys.sql", "OMOPCDM_postgresql_5.4_indices.sql"} {
		if err := script(s); err != nil {
			return err
		}
	}
	if my {
		return l.Exec(ctx, "ANALYZE TABLE "+strings.Join(omopTables, ", "))
	}
	return l.Exec(ctx, "ANALYZE")
}

// omopSet loads the shipped OMOP mapping set.
func omopSet(t *testing.T) *mapping.Set {
	t.Helper()
	set, err := mapping.LoadFS(mappingsets.OMOP, "omop", "mappingsets/omop", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// omopSQLiteEnv serves the OMOP mapping set, unchanged, over the OMOP test
// data loaded into SQLite.
//
// Under the race detector it is skipped: the SQLite driver, C translated to
// Go, runs some fifteen times slower there, and these sweeps would take
// most of half an hour. make test runs this package without it.
func omopSQLiteEnv(t *testing.T) (*env, *logBuffer) {
	t.Helper()
	if raceBuild {
		t.Skip("the OMOP set on SQLite runs without the race detector: make test runs this package without it")
	}
	dsn := omopLite.Need(t, "OMOP in SQLite", demotest.InTempDir("ccfacade-omop-", "omop.db"), loadOMOP(sqlite.Open, true))
	return serveOMOP(t, "sqlite-omop", sqlite.Open, dsn)
}

// omopMySQLEnv serves the OMOP mapping set, unchanged, over the OMOP test
// data loaded into MySQL or MariaDB (skipped without a server, failing
// under CCFACADE_REQUIRE_MYSQL=1).
func omopMySQLEnv(t *testing.T) (*env, *logBuffer) {
	t.Helper()
	base := mysqltest.DSN(t)
	dsn := omopMySQL.Need(t, "OMOP in MySQL", demotest.OnServer(base, "ccfacade_omop", mysqltest.CreateDB, mysqltest.DropDB), loadOMOP(mysql.Open, false))
	return serveOMOP(t, "mysql-omop", mysql.Open, dsn)
}

// forEachOMOP runs fn over the OMOP set on PostgreSQL, SQLite and
// MySQL/MariaDB, the three subtests in parallel (after the rest of the
// test's function).
func forEachOMOP(t *testing.T, fn func(t *testing.T, e *env, logs *logBuffer)) {
	for _, db := range omopBackends {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			e, logs := db.mk(t)
			fn(t, e, logs)
		})
	}
}

// omopBackends are the databases the OMOP set is served over, each as a
// parallel subtest.
var omopBackends = []struct {
	name string
	mk   func(*testing.T) (*env, *logBuffer)
}{{"postgres-omop", omopEnv}, {"sqlite-omop", omopSQLiteEnv}, {"mysql-omop", omopMySQLEnv}}

// omopBackendIndex is each backend's place in omopBackends, by name: the
// share of a sweep it takes.
var omopBackendIndex = func() map[string]int {
	m := map[string]int{}
	for i, b := range omopBackends {
		m[b.name] = i
	}
	return m
}()

// omopEnv serves the OMOP mapping set over the OMOP test database, read
// only, through the whole stack; the log collects its warnings.
func omopEnv(t *testing.T) (*env, *logBuffer) {
	t.Helper()
	return serveOMOP(t, "postgres-omop", postgres.Open, omopDB(t))
}

// serveOMOP serves the OMOP mapping set over the database of dsn, opened
// read-only with open; the log collects its warnings.
func serveOMOP(t *testing.T, name string, open adapters.Opener, dsn string) (*env, *logBuffer) {
	t.Helper()
	db := demotest.OpenReadOnly(t, name, open, dsn)
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// Pages of up to 1000: the sweeps and the search oracle page through
	// every resource of a type again and again (the Observations some
	// hundred times), and a page of 1000 costs about what one of 100 does.
	e := demotest.Serve(t, db, omopSet(t), demotest.Config{Engine: engine.Options{DefaultCount: 20, MaxCount: 1000, PagingSecret: []byte("test secret"), Logger: log}})
	e.Name = name
	return envOf(e), logs
}

// mappingsetsOMOPFiles returns the shipped OMOP mapping files by name.
func mappingsetsOMOPFiles() (map[string][]byte, error) {
	out := map[string][]byte{}
	entries, err := fs.ReadDir(mappingsets.OMOP, "omop")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := fs.ReadFile(mappingsets.OMOP, "omop/"+e.Name())
		if err != nil {
			return nil, err
		}
		out[e.Name()] = b
	}
	return out, nil
}

func writeFile(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
