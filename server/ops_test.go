package server_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/audit"
	"github.com/ccfacade/ccfacade/auth"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/server"
)

// /livez and /readyz: outside /fhir, without a token, not audited, no
// data; /readyz names what is not ready (the database, the audit sink).
func TestHealth(t *testing.T) {
	e := demotest.SQLite(t, demotest.Config{})
	keys := authtest.New(t)
	v, err := auth.New(context.Background(), auth.Config{JWKSURL: keys.URL, Issuers: []string{authtest.Issuer}, Audiences: []string{authtest.Audience}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sink, err := audit.OpenFile(filepath.Join(dir, "audit", "a.jsonl"), 1<<20, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	// A database of its own, to close under the server.
	db, err := sqlite.Open(context.Background(), "file:"+filepath.Join(dir, "h.db"), adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := demotest.Silent()
	eng, err := engine.New(e.Eng.Catalog(), db, engine.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Options{Engine: eng, Logger: log, Verifier: v, Audit: sink}))
	defer srv.Close()
	for _, p := range []string{"/livez", "/readyz"} {
		if r := demotest.Get(t, srv.URL+p); r.Status != 200 || strings.TrimSpace(string(r.Body)) != "ok" {
			t.Errorf("%s: %d %q", p, r.Status, r.Body)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "audit", "a.jsonl")); len(data) != 0 {
		t.Errorf("health checks were audited: %s", data)
	}
	// The audit sink cannot be written: its folder is gone.
	os.RemoveAll(filepath.Join(dir, "audit"))
	if r := demotest.Get(t, srv.URL+"/readyz"); r.Status != 503 || !strings.Contains(string(r.Body), "audit") || r.Header.Get("Retry-After") == "" {
		t.Errorf("readyz without an audit folder: %d %q", r.Status, r.Body)
	}
	os.MkdirAll(filepath.Join(dir, "audit"), 0o750)
	if r := demotest.Get(t, srv.URL+"/readyz"); r.Status != 200 {
		t.Errorf("readyz with the folder back: %d %q", r.Status, r.Body)
	}
	// The database is gone.
	db.Close()
	if r := demotest.Get(t, srv.URL+"/readyz"); r.Status != 503 || !strings.Contains(string(r.Body), "database") {
		t.Errorf("readyz with the database closed: %d %q", r.Status, r.Body)
	}
	if r := demotest.Get(t, srv.URL+"/livez"); r.Status != 200 {
		t.Errorf("livez with the database closed: %d", r.Status)
	}
}

// Prometheus metrics on the admin handler: requests by interaction, type
// and status, latency, statements per request, the pool, audit failures,
// requests in flight and refused; admission control answers 503 with
// Retry-After when every slot is taken.
func TestMetricsAndAdmission(t *testing.T) {
	e := demotest.SQLite(t, demotest.Config{})
	log := demotest.Silent()
	m := server.NewMetrics()
	eng, err := engine.New(e.Eng.Catalog(), e.DB, engine.Options{Logger: log, OnStatement: m.OnStatement})
	if err != nil {
		t.Fatal(err)
	}
	m.Pool(eng)
	lim := server.NewLimiter(1, 0)
	opts := server.Options{Engine: eng, Logger: log, Metrics: m, Limiter: lim, Audit: failingSink{}}
	api := httptest.NewServer(server.New(opts))
	defer api.Close()
	admin := httptest.NewServer(server.AdminHandler(opts, false))
	defer admin.Close()

	demotest.Get(t, api.URL+"/fhir/Patient/3")                    // 503: the audit sink fails
	demotest.Get(t, api.URL+"/fhir/Patient?_count=2&gender=male") // likewise
	if !lim.Acquire(context.Background()) {
		t.Fatal("no free slot")
	}
	busy := demotest.Get(t, api.URL+"/fhir/Patient/3")
	lim.Release()
	if busy.Status != 503 || busy.Header.Get("Retry-After") == "" {
		t.Errorf("with every slot taken: %d %v", busy.Status, busy.Header)
	}
	text := string(demotest.Get(t, admin.URL+"/metrics").Body)
	for _, want := range []string{
		`ccfacade_requests_total{interaction="read",resource="Patient",status="503"} 2`,
		`ccfacade_requests_total{interaction="search-type",resource="Patient",status="503"} 1`,
		`ccfacade_audit_failures_total 2`,
		`ccfacade_requests_refused_total 1`,
		`ccfacade_requests_in_flight 0`,
		`ccfacade_statements_per_request_count 3`,
		`ccfacade_db_connections_max`,
		`ccfacade_request_duration_seconds_bucket{interaction="read",resource="Patient",le="+Inf"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// A read runs statements: the statement histogram counted them.
	if m := regexp.MustCompile(`ccfacade_statements_per_request_sum (\d+)`).FindStringSubmatch(text); m == nil || m[1] == "0" {
		t.Errorf("statements per request: %v", m)
	}
	if r := demotest.Get(t, api.URL+"/metrics"); r.Status == 200 || strings.Contains(string(r.Body), "ccfacade_requests_total") {
		t.Errorf("/metrics on the API's port: %d", r.Status)
	}
	if r := demotest.Get(t, admin.URL+"/debug/pprof/"); r.Status != 404 {
		t.Errorf("pprof without asking: %d", r.Status)
	}
}
