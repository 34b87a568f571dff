package server_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/internal/demotest"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"
)

var patientMapping = regexp.MustCompile(`patient\.yaml:\d+:\d+ Patient`)

// A span per request, a child of the caller's W3C traceparent, and a span
// per SQL statement under it naming the mapping it reads; the response
// carries the trace.
func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })
	e := demotest.SQLite(t, demotest.Config{})
	const traceID, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	r := demotest.Get(t, e.Base+"/Patient/3", "traceparent", "00-"+traceID+"-"+parent+"-01")
	if r.Status != 200 {
		t.Fatal(r.Status)
	}
	if tp := r.Header.Get("traceparent"); !strings.Contains(tp, traceID) {
		t.Errorf("the response's traceparent %q is not in the caller's trace", tp)
	}
	var server, sqls int
	var serverID string
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID().String() != traceID {
			continue
		}
		switch s.Name() {
		case "GET /fhir/:type/:id":
			server++
			serverID = s.SpanContext().SpanID().String()
			if s.Parent().SpanID().String() != parent {
				t.Errorf("the request's span is not a child of the caller's: parent %s", s.Parent().SpanID())
			}
		case "sql":
			sqls++
			var mapping, stmt string
			for _, a := range s.Attributes() {
				switch a.Key {
				case "ccfacade.mapping":
					mapping = a.Value.AsString()
				case "db.statement":
					stmt = a.Value.AsString()
				}
			}
			if !patientMapping.MatchString(mapping) || !strings.HasPrefix(stmt, "SELECT") {
				t.Errorf("a statement span without its mapping: %q %q", mapping, stmt)
			}
		}
	}
	for _, s := range rec.Ended() {
		if s.Name() == "sql" && s.SpanContext().TraceID().String() == traceID && s.Parent().SpanID().String() != serverID {
			t.Errorf("a statement span is not under the request's span")
		}
	}
	if server != 1 || sqls != 1 {
		t.Errorf("%d request spans and %d statement spans, want 1 and 1 (the patient, its three child collections inside its statement)", server, sqls)
	}
}
