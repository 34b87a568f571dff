package test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/mysql"
	"github.com/ccfacade/ccfacade/adapters/postgres"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/adapters/sqlserver"
	"github.com/ccfacade/ccfacade/catalog"
	"github.com/ccfacade/ccfacade/demo"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/mssqltest"
	"github.com/ccfacade/ccfacade/internal/mysqltest"
	"github.com/ccfacade/ccfacade/internal/pgtest"
	"github.com/ccfacade/ccfacade/mapping"
	"github.com/ccfacade/ccfacade/mappingsets"
	"github.com/ccfacade/ccfacade/server"
	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, func() {
		if pgDSN != "" {
			pgtest.DropDB(pgBase, pgDSN)
		}
		if mssqlDSN != "" {
			mssqltest.DropDB(mssqlBase, mssqlDSN)
		}
		if mysqlDSN != "" {
			mysqltest.DropDB(mysqlBase, mysqlDSN)
		}
		if omopMySQLDSN != "" {
			mysqltest.DropDB(omopMySQLBase, omopMySQLDSN)
		}
		if omopDSN != "" {
			pgtest.DropDB(omopBase, omopDSN)
		}
	})
}

// demoPatients is the size of the demo data set the end-to-end tests use.
const demoPatients = 300

// env is a running facade over one database holding the demo EPR.
type env struct {
	name string
	base string // e.g. http://127.0.0.1:1234/fhir
	db   adapters.Adapter
	eng  *engine.Engine
	srv  *httptest.Server
}

// backends returns the databases every end-to-end test runs against.
func backends(t *testing.T) []func(t *testing.T) *env {
	return []func(t *testing.T) *env{sqliteEnv, postgresEnv, sqlserverEnv, mysqlEnv}
}

func forEachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, mk := range backends(t) {
		e := mk(t)
		if e == nil {
			continue
		}
		t.Run(e.name, func(t *testing.T) { fn(t, e) })
	}
}

var (
	sqliteOnce sync.Once
	sqliteDSN  string
	sqliteErr  error
	pgOnce     sync.Once
	pgDSN      string
	pgBase     string
	pgErr      error
	mssqlOnce  sync.Once
	mssqlDSN   string
	mssqlBase  string
	mssqlErr   error
)

func sqliteEnv(t *testing.T) *env {
	dsn, err := sqliteDemo()
	if err != nil {
		t.Fatalf("sqlite demo: %v", err)
	}
	return startEnv(t, "sqlite", sqlite.Open, dsn)
}

// sqliteDemo is the DSN of the SQLite demo database, loaded once per test
// binary.
func sqliteDemo() (string, error) {
	sqliteOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ccfacade-e2e-")
		if err != nil {
			sqliteErr = err
			return
		}
		sqliteDSN = "file:" + filepath.Join(dir, "demo.db")
		sqliteErr = loadDemo(sqlite.Open, sqliteDSN)
	})
	return sqliteDSN, sqliteErr
}

func postgresEnv(t *testing.T) *env {
	dsn := pgtest.DSN(t) // skips (or fails under CCFACADE_REQUIRE_PG=1) without PostgreSQL
	pgOnce.Do(func() {
		pgBase = dsn
		pgDSN, pgErr = pgtest.CreateDB(dsn, "ccfacade_e2e")
		if pgErr == nil {
			pgErr = pgtest.Unaccent(pgDSN) // string search ignores accents, as the README advises
		}
		if pgErr == nil {
			pgErr = loadDemo(postgres.Open, pgDSN)
		}
	})
	if pgErr != nil {
		t.Fatalf("postgres demo: %v", pgErr)
	}
	return startEnv(t, "postgres", postgres.Open, pgDSN)
}

// sqlserverEnv is the demo on the SQL Server of CCFACADE_TEST_MSSQL_DSN,
// or nil (the backend is left out) when it is not set.
func sqlserverEnv(t *testing.T) *env {
	if os.Getenv(mssqltest.EnvDSN) == "" {
		return nil
	}
	base := mssqltest.DSN(t)
	mssqlOnce.Do(func() {
		mssqlBase = base
		mssqlDSN, mssqlErr = mssqltest.CreateDB(base, "ccfacade_e2e")
		if mssqlErr == nil {
			mssqlErr = loadDemo(sqlserver.Open, mssqlDSN)
		}
	})
	if mssqlErr != nil {
		t.Fatalf("sqlserver demo: %v", mssqlErr)
	}
	return startEnv(t, "sqlserver", sqlserver.Open, mssqlDSN)
}

var (
	mysqlOnce sync.Once
	mysqlDSN  string
	mysqlBase string
	mysqlErr  error
)

// mysqlEnv is the demo on MySQL or MariaDB (skipped without a server,
// failing under CCFACADE_REQUIRE_MYSQL=1).
func mysqlEnv(t *testing.T) *env {
	base := mysqltest.DSN(t)
	mysqlOnce.Do(func() {
		mysqlBase = base
		mysqlDSN, mysqlErr = mysqltest.CreateDB(base, "ccfacade_e2e")
		if mysqlErr == nil {
			mysqlErr = loadDemo(mysql.Open, mysqlDSN)
		}
	})
	if mysqlErr != nil {
		t.Fatalf("mysql demo: %v", mysqlErr)
	}
	return startEnv(t, "mysql", mysql.Open, mysqlDSN)
}

func loadDemo(open adapters.Opener, dsn string) error {
	ctx := context.Background()
	db, err := open(ctx, dsn, adapters.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	return demo.Load(ctx, db.(adapters.Loader), demo.Options{Patients: demoPatients, Seed: 1})
}

func startEnv(t *testing.T, name string, open adapters.Opener, dsn string) *env {
	t.Helper()
	db, err := open(context.Background(), dsn, adapters.Options{ReadOnly: true, MaxOpenConns: 8})
	if err != nil {
		t.Fatalf("%s: open: %v", name, err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := serveDB(t, db, engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret"), Logger: log})
	e.name = name
	return e
}

// serveDB serves the demo mappings over db through the whole stack.
func serveDB(t *testing.T, db adapters.Adapter, opts engine.Options) *env {
	t.Helper()
	ctx := context.Background()
	set, err := mapping.LoadFS(mappingsets.Demo, "demo", "mappingsets/demo", time.UTC)
	if err != nil {
		t.Fatalf("demo mappings: %v", err)
	}
	cat, err := catalog.Load(ctx, set, db)
	if err != nil {
		t.Fatalf("demo mappings against the database: %v", err)
	}
	eng, err := engine.New(cat, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Options{Engine: eng, Logger: opts.Logger, Version: "test"}))
	t.Cleanup(srv.Close)
	return &env{base: srv.URL + "/fhir", db: db, eng: eng, srv: srv}
}

// response is an HTTP response with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, r.body)
	}
	return m
}

func do(t *testing.T, method, url string, body io.Reader, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func get(t *testing.T, url string, header ...string) response {
	t.Helper()
	return do(t, http.MethodGet, url, nil, header...)
}

var (
	validatorOnce sync.Once
	validator     *jsonformat.Unmarshaller
)

// validate checks a resource (or Bundle) with the google/fhir STU3 parser
// and validator.
func validate(t *testing.T, what string, body []byte) {
	t.Helper()
	validatorOnce.Do(func() {
		var err error
		validator, err = jsonformat.NewUnmarshaller("UTC", fhirversion.STU3)
		if err != nil {
			panic(err)
		}
	})
	if _, err := validator.Unmarshal(body); err != nil {
		t.Errorf("%s is not valid FHIR STU3: %v\n%s", what, err, truncate(string(body), 2000))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// entries returns a Bundle's entry resources.
func entries(t *testing.T, bundle map[string]any) []map[string]any {
	t.Helper()
	raw, _ := bundle["entry"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, e := range raw {
		em := e.(map[string]any)
		out = append(out, em["resource"].(map[string]any))
	}
	return out
}

// link returns a Bundle's link of the relation, or "".
func link(bundle map[string]any, rel string) string {
	raw, _ := bundle["link"].([]any)
	for _, l := range raw {
		lm := l.(map[string]any)
		if lm["relation"] == rel {
			return lm["url"].(string)
		}
	}
	return ""
}

func issueText(t *testing.T, r response) string {
	t.Helper()
	m := r.json(t)
	if m["resourceType"] != "OperationOutcome" {
		t.Fatalf("expected an OperationOutcome, got %s", truncate(string(r.body), 300))
	}
	var parts []string
	for _, is := range m["issue"].([]any) {
		im := is.(map[string]any)
		if d, ok := im["diagnostics"].(string); ok {
			parts = append(parts, d)
		}
	}
	return strings.Join(parts, "; ")
}

// The validator must be able to fail: a Patient with a gender outside its
// required value set, or an unknown element, is rejected.
func TestValidatorRejectsInvalidResources(t *testing.T) {
	validatorOnce.Do(func() {
		var err error
		validator, err = jsonformat.NewUnmarshaller("UTC", fhirversion.STU3)
		if err != nil {
			panic(err)
		}
	})
	for _, bad := range []string{
		`{"resourceType":"Patient","gender":"mail"}`,
		`{"resourceType":"Patient","colour":"blue"}`,
		`{"resourceType":"Patient","birthDate":"1980-13-01"}`,
		`{"resourceType":"Bundle"}`,
	} {
		if _, err := validator.Unmarshal([]byte(bad)); err == nil {
			t.Errorf("validator accepted %s", bad)
		}
	}
}

func mustDemoSet(t *testing.T) *mapping.Set {
	t.Helper()
	set, err := mapping.LoadFS(mappingsets.Demo, "demo", "mappingsets/demo", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return set
}
