package test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ccfacade/ccfacade/audit"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/server"
)

// One durable record per request, also under concurrent load, naming the
// patients whose data were returned.
func TestAuditTrail(t *testing.T) {
	e := sqliteEnv(t)
	path := filepath.Join(t.TempDir(), "audit", "audit.jsonl")
	sink, err := audit.OpenFile(path, 16<<10, 10) // small, so that it rotates
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(server.New(server.Options{Engine: e.eng, Logger: log, Audit: sink}))
	defer srv.Close()
	r := get(t, srv.URL+"/fhir/Patient/3", "X-Request-ID", "read-3")
	if r.status != 200 {
		t.Fatal(r.status)
	}
	get(t, srv.URL+"/fhir/Observation?patient=3&_count=5", "X-Request-ID", "search-3")
	get(t, srv.URL+"/fhir/Unicorn", "X-Request-ID", "bad")
	const n = 200
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			get(t, srv.URL+"/fhir/Patient?_count=3&gender=female")
		}(i)
	}
	wg.Wait()
	var recs []audit.Record
	files, _ := filepath.Glob(path + "*")
	if len(files) < 2 {
		t.Errorf("the audit file did not rotate: %v", files)
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var rec audit.Record
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("%s: not a JSON line: %v", f, err)
			}
			recs = append(recs, rec)
		}
		fh.Close()
	}
	if len(recs) != n+3 {
		t.Errorf("%d records for %d requests", len(recs), n+3)
	}
	ids := map[string]bool{}
	byID := map[string]audit.Record{}
	for _, rec := range recs {
		if ids[rec.RequestID] {
			t.Errorf("request %s recorded twice", rec.RequestID)
		}
		ids[rec.RequestID] = true
		byID[rec.RequestID] = rec
	}
	if rd := byID["read-3"]; rd.Interaction != "read" || rd.Resource != "Patient" || strings.Join(rd.Patients, ",") != "3" || rd.Count != 1 || rd.Status != 200 {
		t.Errorf("read record %+v", rd)
	}
	if sr := byID["search-3"]; sr.Interaction != "search-type" || strings.Join(sr.Patients, ",") != "3" || sr.Count != 5 || strings.Join(sr.Params, ",") != "_count,patient" {
		t.Errorf("search record %+v", sr)
	}
	if bad := byID["bad"]; bad.Status != 404 || bad.Outcome != "not-found" || len(bad.Patients) != 0 {
		t.Errorf("error record %+v", bad)
	}
}

type failingSink struct{}

func (failingSink) Write(audit.Record) error { return errors.New("disk full") }

// No disclosure without a record: when the sink fails, 503 and no data.
func TestAuditFailureClosesTheService(t *testing.T) {
	e := sqliteEnv(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := engine.New(e.eng.Set(), e.db, engine.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Options{Engine: eng, Logger: log, Audit: failingSink{}}))
	defer srv.Close()
	for _, p := range []string{"/fhir/Patient/3", "/fhir/Observation?patient=3", "/fhir/Patient/3/$everything"} {
		r := get(t, srv.URL+p)
		if r.status != 503 || strings.Contains(string(r.body), `"Patient"`) || strings.Contains(string(r.body), "Observation/") {
			t.Errorf("%s with a failing audit sink: %d %s", p, r.status, truncate(string(r.body), 200))
		}
		validate(t, "503 OperationOutcome", r.body)
	}
}

// CORS is off unless origins are configured, and then only for them.
func TestCORS(t *testing.T) {
	e := sqliteEnv(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	off := httptest.NewServer(server.New(server.Options{Engine: e.eng, Logger: log}))
	defer off.Close()
	if r := get(t, off.URL+"/fhir/Patient/3", "Origin", "https://app.example.nhs.uk"); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS headers sent with CORS off")
	}
	on := httptest.NewServer(server.New(server.Options{Engine: e.eng, Logger: log, CORSOrigins: []string{"https://app.example.nhs.uk"}}))
	defer on.Close()
	if r := get(t, on.URL+"/fhir/Patient/3", "Origin", "https://app.example.nhs.uk"); r.header.Get("Access-Control-Allow-Origin") != "https://app.example.nhs.uk" {
		t.Error("an allowed origin got no CORS headers")
	}
	if r := get(t, on.URL+"/fhir/Patient/3", "Origin", "https://evil.example"); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("another origin got CORS headers")
	}
	pre := do(t, "OPTIONS", on.URL+"/fhir/Patient", nil, "Origin", "https://app.example.nhs.uk", "Access-Control-Request-Method", "GET")
	if pre.status != 204 || !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", pre.status, pre.header)
	}
}
