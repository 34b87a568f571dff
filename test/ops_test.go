package test

import (
	"context"
	"io"
	"log/slog"
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
	"github.com/ccfacade/ccfacade/server"
)

// /livez and /readyz: outside /fhir, without a token, not audited, no
// data; /readyz names what is not ready (the database, the audit sink).
func TestHealth(t *testing.T) {
	e := sqliteEnv(t)
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
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := engine.New(e.eng.Catalog(), db, engine.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Options{Engine: eng, Logger: log, Verifier: v, Audit: sink}))
	defer srv.Close()
	for _, p := range []string{"/livez", "/readyz"} {
		if r := get(t, srv.URL+p); r.status != 200 || strings.TrimSpace(string(r.body)) != "ok" {
			t.Errorf("%s: %d %q", p, r.status, r.body)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "audit", "a.jsonl")); len(data) != 0 {
		t.Errorf("health checks were audited: %s", data)
	}
	// The audit sink cannot be written: its folder is gone.
	os.RemoveAll(filepath.Join(dir, "audit"))
	if r := get(t, srv.URL+"/readyz"); r.status != 503 || !strings.Contains(string(r.body), "audit") || r.header.Get("Retry-After") == "" {
		t.Errorf("readyz without an audit folder: %d %q", r.status, r.body)
	}
	os.MkdirAll(filepath.Join(dir, "audit"), 0o750)
	if r := get(t, srv.URL+"/readyz"); r.status != 200 {
		t.Errorf("readyz with the folder back: %d %q", r.status, r.body)
	}
	// The database is gone.
	db.Close()
	if r := get(t, srv.URL+"/readyz"); r.status != 503 || !strings.Contains(string(r.body), "database") {
		t.Errorf("readyz with the database closed: %d %q", r.status, r.body)
	}
	if r := get(t, srv.URL+"/livez"); r.status != 200 {
		t.Errorf("livez with the database closed: %d", r.status)
	}
}

// Prometheus metrics on the admin handler: requests by interaction, type
// and status, latency, statements per request, the pool, audit failures,
// requests in flight and refused; admission control answers 503 with
// Retry-After when every slot is taken.
func TestMetricsAndAdmission(t *testing.T) {
	e := sqliteEnv(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := server.NewMetrics()
	eng, err := engine.New(e.eng.Catalog(), e.db, engine.Options{Logger: log, OnStatement: m.OnStatement})
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

	get(t, api.URL+"/fhir/Patient/3")                    // 503: the audit sink fails
	get(t, api.URL+"/fhir/Patient?_count=2&gender=male") // likewise
	if !lim.Acquire(context.Background()) {
		t.Fatal("no free slot")
	}
	busy := get(t, api.URL+"/fhir/Patient/3")
	lim.Release()
	if busy.status != 503 || busy.header.Get("Retry-After") == "" {
		t.Errorf("with every slot taken: %d %v", busy.status, busy.header)
	}
	text := string(get(t, admin.URL+"/metrics").body)
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
	if r := get(t, api.URL+"/metrics"); r.status == 200 || strings.Contains(string(r.body), "ccfacade_requests_total") {
		t.Errorf("/metrics on the API's port: %d", r.status)
	}
	if r := get(t, admin.URL+"/debug/pprof/"); r.status != 404 {
		t.Errorf("pprof without asking: %d", r.status)
	}
}
