package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/server"
)

// BenchmarkRender measures a request's allocations and time in-process
// (the handler called directly over the SQLite demo): the rendering cost
// that make bench's allocation columns report, without a load generator.
// Pages of 50 resources show the cost a resource: compact JSON renders
// straight to JSON, the -tree cases through the value tree.
//
//	go test ./server -run '^$' -bench Render -benchmem
func BenchmarkRender(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng := demotest.SQLite(b, demotest.Config{Engine: engine.Options{PagingSecret: []byte("bench"), Logger: log}}).Eng
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
