package demotest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/mysql"
	"github.com/ccfacade/ccfacade/adapters/postgres"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/catalog"
	"github.com/ccfacade/ccfacade/demo"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/mysqltest"
	"github.com/ccfacade/ccfacade/internal/pgtest"
	"github.com/ccfacade/ccfacade/mapping"
	"github.com/ccfacade/ccfacade/mappingsets"
	"github.com/ccfacade/ccfacade/server"
)

// Patients is the size of the demo data set the harness loads.
const Patients = 300

// Env is a running facade over one database holding the demo EPR.
type Env struct {
	Name string // the adapter: sqlite, postgres
	Base string // the FHIR base, e.g. http://127.0.0.1:1234/fhir
	DB   adapters.Adapter
	Eng  *engine.Engine
	Srv  *httptest.Server
}

// Config adjusts what a test serves; the zero value serves the demo as
// the end-to-end tests do (default page 20, at most 100, no auth).
type Config struct {
	Engine engine.Options
	// Server is completed with the engine and a silent logger unless set.
	Server server.Options
	// Handler, when set, wraps the facade's handler (to add a route).
	Handler func(http.Handler) http.Handler
}

type loaded struct {
	once sync.Once
	dsn  string
	err  error
}

var (
	sqliteDemo loaded
	pgDemo     loaded
	mysqlDemo  loaded
	dirs       []string
	dirsMu     sync.Mutex
)

// SQLiteDSN is the DSN of the SQLite demo database, loaded once per test
// binary (removed by Cleanup).
func SQLiteDSN() (string, error) {
	sqliteDemo.once.Do(func() {
		dir, err := os.MkdirTemp("", "ccfacade-demo-")
		if err != nil {
			sqliteDemo.err = err
			return
		}
		dirsMu.Lock()
		dirs = append(dirs, dir)
		dirsMu.Unlock()
		sqliteDemo.dsn = "file:" + filepath.Join(dir, "demo.db")
		sqliteDemo.err = Load(sqlite.Open, sqliteDemo.dsn)
	})
	return sqliteDemo.dsn, sqliteDemo.err
}

// PostgresDSN is the DSN of a PostgreSQL database holding the demo, made
// once per test binary; it skips the test without PostgreSQL (fails under
// CCFACADE_REQUIRE_PG=1).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := pgtest.DSN(t)
	pgDemo.once.Do(func() {
		pgDemo.dsn, pgDemo.err = pgtest.CreateDB(base, "ccfacade_demo")
		if pgDemo.err == nil {
			pgDemo.err = pgtest.Unaccent(pgDemo.dsn)
		}
		if pgDemo.err == nil {
			pgDemo.err = Load(postgres.Open, pgDemo.dsn)
		}
		if pgDemo.err == nil {
			base := base
			addCleanup(func() { pgtest.DropDB(base, pgDemo.dsn) })
		}
	})
	if pgDemo.err != nil {
		t.Fatalf("postgres demo: %v", pgDemo.err)
	}
	return pgDemo.dsn
}

// MySQLDSN is the DSN of a MySQL or MariaDB database holding the demo,
// made once per test binary; it skips the test without a server (fails
// under CCFACADE_REQUIRE_MYSQL=1).
func MySQLDSN(t testing.TB) string {
	t.Helper()
	base := mysqltest.DSN(t)
	mysqlDemo.once.Do(func() {
		mysqlDemo.dsn, mysqlDemo.err = mysqltest.CreateDB(base, "ccfacade_demo")
		if mysqlDemo.err == nil {
			dsn := mysqlDemo.dsn
			addCleanup(func() { mysqltest.DropDB(base, dsn) })
			mysqlDemo.err = Load(mysql.Open, dsn)
		}
	})
	if mysqlDemo.err != nil {
		t.Fatalf("mysql demo: %v", mysqlDemo.err)
	}
	return mysqlDemo.dsn
}

var (
	cleanups   []func()
	cleanupsMu sync.Mutex
)

func addCleanup(f func()) {
	cleanupsMu.Lock()
	cleanups = append(cleanups, f)
	cleanupsMu.Unlock()
}

// Cleanup drops what the harness made (the demo databases and their
// folders). Pass it to pgtest.Main from TestMain.
func Cleanup() {
	cleanupsMu.Lock()
	for _, f := range cleanups {
		f()
	}
	cleanups = nil
	cleanupsMu.Unlock()
	dirsMu.Lock()
	for _, d := range dirs {
		_ = os.RemoveAll(d)
	}
	dirs = nil
	dirsMu.Unlock()
}

// Load loads the demo data set into the database of dsn.
func Load(open adapters.Opener, dsn string) error {
	ctx := context.Background()
	db, err := open(ctx, dsn, adapters.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := demo.Load(ctx, db.(adapters.Loader), demo.Options{Patients: Patients, Seed: 1}); err != nil {
		return fmt.Errorf("demo load: %w", err)
	}
	return nil
}

// SQLite serves the demo over SQLite.
func SQLite(t testing.TB, cfg Config) *Env {
	t.Helper()
	dsn, err := SQLiteDSN()
	if err != nil {
		t.Fatalf("sqlite demo: %v", err)
	}
	return Open(t, "sqlite", sqlite.Open, dsn, cfg)
}

// Postgres serves the demo over PostgreSQL (see PostgresDSN).
func Postgres(t testing.TB, cfg Config) *Env {
	t.Helper()
	return Open(t, "postgres", postgres.Open, PostgresDSN(t), cfg)
}

// MySQL serves the demo over MySQL or MariaDB (see MySQLDSN).
func MySQL(t testing.TB, cfg Config) *Env {
	t.Helper()
	return Open(t, "mysql", mysql.Open, MySQLDSN(t), cfg)
}

// Backend serves the demo over one database.
type Backend struct {
	Name  string
	Serve func(t testing.TB, cfg Config) *Env
}

// Backends are the databases every test of a served demo runs against:
// SQLite, PostgreSQL (skipped without it, failing under
// CCFACADE_REQUIRE_PG=1) and MySQL or MariaDB (skipped without it,
// failing under CCFACADE_REQUIRE_MYSQL=1).
var Backends = []Backend{{"sqlite", SQLite}, {"postgres", Postgres}, {"mysql", MySQL}}

// Each runs fn, as a subtest, on the demo served over each backend.
func Each(t *testing.T, cfg Config, fn func(t *testing.T, e *Env)) {
	for _, b := range Backends {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.Serve(t, cfg)) })
	}
}

// Open serves the demo mappings over the database of dsn, read-only.
func Open(t testing.TB, name string, open adapters.Opener, dsn string, cfg Config) *Env {
	t.Helper()
	db, err := open(context.Background(), dsn, adapters.Options{ReadOnly: true, MaxOpenConns: 8})
	if err != nil {
		t.Fatalf("%s: open: %v", name, err)
	}
	t.Cleanup(func() { db.Close() })
	e := Serve(t, db, cfg)
	e.Name = name
	return e
}

// Silent is a logger that writes nowhere.
func Silent() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Serve serves the demo mappings over db through the whole stack.
func Serve(t testing.TB, db adapters.Adapter, cfg Config) *Env {
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
	opts := cfg.Engine
	if opts.DefaultCount == 0 {
		opts.DefaultCount = 20
	}
	if opts.MaxCount == 0 {
		opts.MaxCount = 100
	}
	if opts.PagingSecret == nil {
		opts.PagingSecret = []byte("test secret")
	}
	if opts.Logger == nil {
		opts.Logger = Silent()
	}
	eng, err := engine.New(cat, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	so := cfg.Server
	so.Engine = eng
	if so.Logger == nil {
		so.Logger = opts.Logger
	}
	if so.Version == "" {
		so.Version = "test"
	}
	var h http.Handler = server.New(so)
	if cfg.Handler != nil {
		h = cfg.Handler(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Env{Base: srv.URL + "/fhir", DB: db, Eng: eng, Srv: srv}
}

// Response is an HTTP response with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request with the header pairs given (name, value, …) and
// reads the whole response; a transport error fails the test.
func Do(t testing.TB, method, url string, body io.Reader, header ...string) Response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// Get is Do with GET and no body.
func Get(t testing.TB, url string, header ...string) Response {
	t.Helper()
	return Do(t, http.MethodGet, url, nil, header...)
}

// client asks for no compression of its own accord, so that a test sees
// exactly the encoding the server chose.
var client = &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 2 * time.Minute}
