package test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/fhirvalid"
	"github.com/ccfacade/ccfacade/internal/pgtest"
)

// The end-to-end tests serve the demo through internal/demotest, the
// harness every package's tests share; this file only names its parts as
// these tests call them.

func TestMain(m *testing.M) {
	pgtest.Main(m, demotest.Cleanup)
}

// demoPatients is the size of the demo data set the end-to-end tests use.
const demoPatients = demotest.Patients

// env is a running facade over one database holding the demo EPR.
type env struct {
	name string
	base string // e.g. http://127.0.0.1:1234/fhir
	db   adapters.Adapter
	eng  *engine.Engine
	srv  *httptest.Server
}

func envOf(e *demotest.Env) *env {
	return &env{name: e.Name, base: e.Base, db: e.DB, eng: e.Eng, srv: e.Srv}
}

// forEachBackend runs fn, as a subtest, on the demo served over each of
// demotest.Backends, the backends in parallel (see demotest.Each).
func forEachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	demotest.Each(t, demotest.Config{}, func(t *testing.T, e *demotest.Env) { fn(t, envOf(e)) })
}

func sqliteEnv(t *testing.T) *env { return envOf(demotest.SQLite(t, demotest.Config{})) }

// sqliteDSN is the DSN of the SQLite demo database, loaded once per test
// binary.
func sqliteDSN(t *testing.T) string {
	t.Helper()
	dsn, err := demotest.SQLiteDSN()
	if err != nil {
		t.Fatalf("sqlite demo: %v", err)
	}
	return dsn
}

// serveDB serves the demo mappings over db through the whole stack, with
// the engine options as given.
func serveDB(t *testing.T, db adapters.Adapter, opts engine.Options) *env {
	t.Helper()
	return envOf(demotest.Serve(t, db, demotest.DemoSet(t), demotest.Config{Engine: opts}))
}

// response is an HTTP response with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	return demotest.Response{Status: r.status, Header: r.header, Body: r.body}.JSON(t)
}

func do(t *testing.T, method, url string, body io.Reader, header ...string) response {
	t.Helper()
	r := demotest.Do(t, method, url, body, header...)
	return response{status: r.Status, header: r.Header, body: r.Body}
}

func get(t *testing.T, url string, header ...string) response {
	t.Helper()
	return do(t, http.MethodGet, url, nil, header...)
}

func issueText(t *testing.T, r response) string {
	t.Helper()
	return demotest.IssueText(t, demotest.Response{Status: r.status, Header: r.header, Body: r.body})
}

// The harness's checks and the demo's rows, by the names these tests use.
var (
	validate    = fhirvalid.Validate
	entries     = demotest.Entries
	link        = demotest.Link
	truncate    = demotest.Truncate
	demoRows    = demotest.Rows
	str         = demotest.Str
	nhsOf       = demotest.NHSOf
	mustDemoSet = demotest.DemoSet
)

// logBuffer collects what the facade logs while a test reads it.
type logBuffer = demotest.Buffer
