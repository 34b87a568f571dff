package test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/catalog"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/mapping"
	"github.com/ccfacade/ccfacade/mappingsets"
	"github.com/ccfacade/ccfacade/server"
)

// BenchmarkRender measures a request's allocations and time in-process
// (the handler called directly over the SQLite demo): the rendering cost
// that make bench's allocation columns report, without a load generator.
// Pages of 50 resources show the cost a resource: compact JSON renders
// straight to JSON, the -tree cases through the value tree.
//
//	go test ./test -run '^$' -bench Render -benchmem
func BenchmarkRender(b *testing.B) {
	ctx := context.Background()
	dsn, err := sqliteDemo()
	if err != nil {
		b.Fatal(err)
	}
	db, err := sqlite.Open(ctx, dsn, adapters.Options{ReadOnly: true, MaxOpenConns: 4})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	set, err := mapping.LoadFS(mappingsets.Demo, "demo", "mappingsets/demo", time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	cat, err := catalog.Load(ctx, set, db)
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng, err := engine.New(cat, db, engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("bench"), Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	h := server.New(server.Options{Engine: eng, Logger: log, Version: "bench"})
	// The per-request log line, at the default level (info), written as
	// the server writes it (to a discarding sink): its cost against h.
	logged := server.New(server.Options{Engine: eng, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Version: "bench"})
	b.Run("read-logged", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			rec := httptest.NewRecorder()
			logged.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fhir/Patient/7", nil))
			if rec.Code != http.StatusOK {
				b.Fatalf("%d", rec.Code)
			}
		}
	})
	for _, c := range []struct{ name, path string }{
		{"read", "/fhir/Patient/7"},
		{"observations", "/fhir/Observation?patient=7&_count=50"},
		{"patients", "/fhir/Patient?_count=50"},
		{"observation-page", "/fhir/Observation?_count=50"},
		{"medicationrequest-page", "/fhir/MedicationRequest?_count=50"},
		// The same pages rendered through the value tree (as _pretty, XML
		// and _elements are), for comparison.
		{"patients-tree", "/fhir/Patient?_count=50&_pretty=true"},
		{"observation-page-tree", "/fhir/Observation?_count=50&_pretty=true"},
		{"medicationrequest-page-tree", "/fhir/MedicationRequest?_count=50&_pretty=true"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest(http.MethodGet, c.path, nil)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", c.path, rec.Code, rec.Body.String())
				}
			}
		})
	}
}
