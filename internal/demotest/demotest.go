package demotest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/mysql"
	"github.com/ccfacade/ccfacade/adapters/postgres"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/adapters/sqlserver"
	"github.com/ccfacade/ccfacade/demo"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/ccfacade/ccfacade/internal/mssqltest"
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
	Name string // the adapter: sqlite, postgres, sqlserver
	Base string // the FHIR base, e.g. http://127.0.0.1:1234/fhir
	DB   adapters.Adapter
	Eng  *engine.Engine
	Srv  *httptest.Server
	// R4 is the base of UK Core (FHIR R4), served beside Base, e.g.
	// http://127.0.0.1:1234/R4.
	R4 string
	// GPC is the GP Connect base, e.g. http://127.0.0.1:1234/gpconnect/fhir,
	// when Config.GPConnect serves it.
	GPC string
}

// Config adjusts what a test serves. Serve takes the engine's options as
// they are (a silent logger unless one is given); the demo's backends
// (SQLite, Postgres, Open) fill in a default page of 20, at most 100, and
// a fixed paging secret, so that the zero value serves the demo as the
// end-to-end tests do, without auth.
type Config struct {
	Engine engine.Options
	// Server is completed with the engine and a silent logger unless set.
	Server server.Options
	// Handler, when set, wraps the facade's handler (to add a route).
	Handler func(http.Handler) http.Handler
	// GPConnect, when set, serves GP Connect Access Record: Structured
	// with these options over the engine (the demo's overlay, GPCOverlay,
	// when they name none).
	GPConnect *gpconnect.Options
}

// Database is a database a test binary makes and loads once, for its
// tests to share (see Make).
type Database struct {
	once sync.Once
	dsn  string
	err  error
}

// Make returns the DSN of the database: the first call makes it (mk
// returns its DSN) and runs each of load on it in turn, and every call
// returns what that gave.
func (d *Database) Make(mk func() (string, error), load ...func(dsn string) error) (string, error) {
	d.once.Do(func() {
		d.dsn, d.err = mk()
		for _, l := range load {
			if d.err != nil {
				return
			}
			d.err = l(d.dsn)
		}
	})
	return d.dsn, d.err
}

// Need is Make for a test: it fails the test, saying what failed to be
// made, when the database could not be made or loaded.
func (d *Database) Need(t testing.TB, what string, mk func() (string, error), load ...func(dsn string) error) string {
	t.Helper()
	dsn, err := d.Make(mk, load...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return dsn
}

// OnServer makes a database on the server of base, its name begun with
// prefix, with create, and has Cleanup drop it with drop: create and drop
// are a server helper's CreateDB and DropDB.
func OnServer(base, prefix string, create func(base, prefix string) (string, error), drop func(base, dsn string)) func() (string, error) {
	return func() (string, error) {
		dsn, err := create(base, prefix)
		if err == nil {
			addCleanup(func() { drop(base, dsn) })
		}
		return dsn, err
	}
}

// InTempDir makes the DSN of an SQLite database file named file in a
// folder of TempDir's, its name begun with prefix.
func InTempDir(prefix, file string) func() (string, error) {
	return func() (string, error) {
		dir, err := TempDir(prefix)
		if err != nil {
			return "", err
		}
		return "file:" + filepath.Join(dir, file), nil
	}
}

var (
	sqliteDemo Database
	pgDemo     Database
	mssqlDemo  Database
	mysqlDemo  Database
)

// SQLiteDSN is the DSN of the SQLite demo database, loaded once per test
// binary (removed by Cleanup).
func SQLiteDSN() (string, error) {
	return sqliteDemo.Make(InTempDir("ccfacade-demo-", "demo.db"), loadDemo(sqlite.Open))
}

// PostgresDSN is the DSN of a PostgreSQL database holding the demo, made
// once per test binary; it skips the test without PostgreSQL (fails under
// CCFACADE_REQUIRE_PG=1).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return pgDemo.Need(t, "postgres demo", OnServer(pgtest.DSN(t), "ccfacade_demo", pgtest.CreateDB, pgtest.DropDB), pgtest.Unaccent, loadDemo(postgres.Open))
}

// SQLServerDSN is the DSN of a database holding the demo on the SQL
// Server of CCFACADE_TEST_MSSQL_DSN, made once per test binary; it skips
// the test when the variable is not set.
func SQLServerDSN(t testing.TB) string {
	t.Helper()
	return mssqlDemo.Need(t, "sqlserver demo", OnServer(mssqltest.DSN(t), "ccfacade_demo", mssqltest.CreateDB, mssqltest.DropDB), loadDemo(sqlserver.Open))
}

// MySQLDSN is the DSN of a MySQL or MariaDB database holding the demo,
// made once per test binary; it skips the test without a server (fails
// under CCFACADE_REQUIRE_MYSQL=1).
func MySQLDSN(t testing.TB) string {
	t.Helper()
	return mysqlDemo.Need(t, "mysql demo", OnServer(mysqltest.DSN(t), "ccfacade_demo", mysqltest.CreateDB, mysqltest.DropDB), loadDemo(mysql.Open))
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
	removeDirs() // first: quick, and not held up by a database
	cleanupsMu.Lock()
	for _, f := range cleanups {
		f()
	}
	cleanups = nil
	cleanupsMu.Unlock()
}

// LoadWith is a load step for Make: it opens the database with open,
// runs load on it, and closes it.
func LoadWith(open adapters.Opener, load func(ctx context.Context, db adapters.Adapter) error) func(dsn string) error {
	return func(dsn string) error {
		ctx := context.Background()
		db, err := open(ctx, dsn, adapters.Options{})
		if err != nil {
			return err
		}
		defer db.Close()
		return load(ctx, db)
	}
}

// loadDemo loads the demo data set through the adapter open opens.
func loadDemo(open adapters.Opener) func(dsn string) error {
	return LoadWith(open, func(ctx context.Context, db adapters.Adapter) error {
		if err := demo.Load(ctx, db.(adapters.Loader), demo.Options{Patients: Patients, Seed: 1}); err != nil {
			return fmt.Errorf("demo load: %w", err)
		}
		return nil
	})
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

// SQLServer serves the demo over SQL Server (see SQLServerDSN).
func SQLServer(t testing.TB, cfg Config) *Env {
	t.Helper()
	return Open(t, "sqlserver", sqlserver.Open, SQLServerDSN(t), cfg)
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
// CCFACADE_REQUIRE_PG=1), MySQL or MariaDB (skipped without it, failing
// under CCFACADE_REQUIRE_MYSQL=1), and SQL Server when
// CCFACADE_TEST_MSSQL_DSN names one (left out otherwise).
var Backends = backends()

func backends() []Backend {
	b := []Backend{{"sqlite", SQLite}, {"postgres", Postgres}, {"mysql", MySQL}}
	if os.Getenv(mssqltest.EnvDSN) != "" {
		b = append(b, Backend{"sqlserver", SQLServer})
	}
	return b
}

// Each runs fn, as a subtest, on the demo served over each backend. The
// backends' subtests run in parallel with one another (after the rest of
// the test's function): fn shares nothing between them that is not safe
// for concurrent use.
func Each(t *testing.T, cfg Config, fn func(t *testing.T, e *Env)) {
	for _, b := range Backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, b.Serve(t, cfg))
		})
	}
}

// Open serves the demo mappings over the database of dsn, read-only,
// with the demo's engine defaults (see Config).
func Open(t testing.TB, name string, open adapters.Opener, dsn string, cfg Config) *Env {
	t.Helper()
	db := OpenReadOnly(t, name, open, dsn)
	if cfg.Engine.DefaultCount == 0 {
		cfg.Engine.DefaultCount = 20
	}
	if cfg.Engine.MaxCount == 0 {
		cfg.Engine.MaxCount = 100
	}
	if cfg.Engine.PagingSecret == nil {
		cfg.Engine.PagingSecret = []byte("test secret")
	}
	e := Serve(t, db, DemoSet(t), cfg)
	e.Name = name
	return e
}

// OpenReadOnly opens the database of dsn with open, read-only, with a
// pool of 8 connections, closed when the test ends; name says which
// database a failure is about.
func OpenReadOnly(t testing.TB, name string, open adapters.Opener, dsn string) adapters.Adapter {
	t.Helper()
	db, err := open(context.Background(), dsn, adapters.Options{ReadOnly: true, MaxOpenConns: 8})
	if err != nil {
		t.Fatalf("%s: open: %v", name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Silent is a logger that writes nowhere.
func Silent() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// DemoSet loads the demo mapping set.
func DemoSet(t testing.TB) *mapping.Set {
	t.Helper()
	set, err := mapping.LoadFS(mappingsets.Demo, "demo", "mappingsets/demo", time.UTC)
	if err != nil {
		t.Fatalf("demo mappings: %v", err)
	}
	return set
}

// EditedDemoSet loads the demo mapping set with one file's text edited:
// each pair of replace (old, new) replaces old once; an old the file does
// not hold fails the test.
func EditedDemoSet(t testing.TB, file string, replace ...string) *mapping.Set {
	t.Helper()
	entries, err := fs.ReadDir(mappingsets.Demo, "demo")
	if err != nil {
		t.Fatal(err)
	}
	files := fstest.MapFS{}
	for _, e := range entries {
		b, err := fs.ReadFile(mappingsets.Demo, "demo/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == file {
			for i := 0; i+1 < len(replace); i += 2 {
				if !bytes.Contains(b, []byte(replace[i])) {
					t.Fatalf("%s has no %q", file, replace[i])
				}
				b = bytes.Replace(b, []byte(replace[i]), []byte(replace[i+1]), 1)
			}
		}
		files["demo/"+e.Name()] = &fstest.MapFile{Data: b}
	}
	if _, ok := files["demo/"+file]; !ok {
		t.Fatalf("the demo mappings have no file %s", file)
	}
	set, err := mapping.LoadFS(files, "demo", "mappingsets/demo", time.UTC)
	if err != nil {
		t.Fatalf("the edited demo mappings: %v", err)
	}
	return set
}

// Serve serves a mapping set over db through the whole stack: the
// catalog checked against db, an engine with cfg.Engine (logging nowhere
// unless it says), the facade's handler in an httptest server. Name is
// the adapter's.
func Serve(t testing.TB, db adapters.Adapter, set *mapping.Set, cfg Config) *Env {
	t.Helper()
	opts := cfg.Engine
	if opts.Logger == nil {
		opts.Logger = Silent()
	}
	eng := Engine(t, db, set, opts)
	so := cfg.Server
	so.Engine = eng
	if so.R4Prefix == "" {
		so.R4Prefix = server.DefaultR4Prefix
	}
	if cfg.GPConnect != nil {
		o := *cfg.GPConnect
		if o.Overlay == nil {
			o.Overlay = GPCOverlay(t)
		}
		if o.Logger == nil {
			o.Logger = opts.Logger
		}
		svc, err := gpconnect.New(eng, o)
		if err != nil {
			t.Fatalf("gpconnect: %v", err)
		}
		so.GPConnect = svc
	}
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
	env := &Env{Name: db.Name(), Base: srv.URL + "/fhir", DB: db, Eng: eng, Srv: srv, R4: srv.URL + so.R4Prefix}
	if so.GPConnect != nil {
		env.GPC = srv.URL + so.GPConnect.Path()
	}
	return env
}

// GPCOverlay is the demo set's GP Connect overlay.
func GPCOverlay(t testing.TB) *gpconnect.Overlay {
	t.Helper()
	b, ok := mappingsets.GPConnectOverlay("demo")
	if !ok {
		t.Fatal("the demo set has no GP Connect overlay")
	}
	o, err := gpconnect.ParseOverlay("mappingsets/gpconnect/demo.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// Response is an HTTP response with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request with the header pairs given (name, value, …; a
// "Host" pair sets the request's host) and reads the whole response; a
// transport error fails the test.
func Do(t testing.TB, method, url string, body io.Reader, header ...string) Response {
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
