package server_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ccfacade/ccfacade/audit"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/server"
)

// One durable record per request, also under concurrent load, naming the
// patients whose data were returned.
func TestAuditTrail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit", "audit.jsonl")
	srv := auditedServer(t, path, 16<<10) // small, so that it rotates
	r := demotest.Get(t, srv.URL+"/fhir/Patient/3", "X-Request-ID", "read-3")
	if r.Status != 200 {
		t.Fatal(r.Status)
	}
	demotest.Get(t, srv.URL+"/fhir/Observation?patient=3&_count=5", "X-Request-ID", "search-3")
	demotest.Get(t, srv.URL+"/fhir/Unicorn", "X-Request-ID", "bad")
	const n = 200
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			demotest.Get(t, srv.URL+"/fhir/Patient?_count=3&gender=female")
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
		if rec.CorrelationID != "" {
			byID[rec.CorrelationID] = rec
		}
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

// auditedServer serves the SQLite demo with a file audit sink at path.
func auditedServer(t *testing.T, path string, maxBytes int64) *httptest.Server {
	t.Helper()
	sink, err := audit.OpenFile(path, maxBytes, 10)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	return demotest.SQLite(t, demotest.Config{Server: server.Options{Audit: sink}}).Srv
}

type failingSink struct{}

func (failingSink) Write(audit.Record) error { return errors.New("disk full") }

// No disclosure without a record: when the sink fails, 503 and no data.
func TestAuditFailureClosesTheService(t *testing.T) {
	srv := demotest.SQLite(t, demotest.Config{Server: server.Options{Audit: failingSink{}}}).Srv
	for _, p := range []string{"/fhir/Patient/3", "/fhir/Observation?patient=3", "/fhir/Patient/3/$everything"} {
		r := demotest.Get(t, srv.URL+p)
		if r.Status != 503 || strings.Contains(string(r.Body), `"Patient"`) || strings.Contains(string(r.Body), "Observation/") {
			t.Errorf("%s with a failing audit sink: %d %s", p, r.Status, demotest.Truncate(string(r.Body), 200))
		}
		// Its elements, against OperationOutcome's STU3 definition (the
		// Spine profile it claims is not one the facade holds).
		oo := r.JSON(t)
		delete(oo, "meta")
		if ps := profile.Check(oo); len(ps) > 0 || oo["resourceType"] != "OperationOutcome" {
			t.Errorf("%s: the 503 is not a valid OperationOutcome: %v", p, ps)
		}
		if r.Header.Get("Retry-After") == "" {
			t.Errorf("%s: a 503 without Retry-After", p)
		}
	}
}

// The client address comes from forwarded headers only when a trusted
// proxy sends them; every request has an id of the facade's own, and a
// caller's X-Request-ID is kept apart; POST _search records carry the
// parameter names of the body.
func TestAuditAddressesAndIDs(t *testing.T) {
	e := demotest.SQLite(t, demotest.Config{})
	log := demotest.Silent()
	serve := func(trusted []string) (string, *demotest.Buffer) {
		var buf demotest.Buffer
		srv := httptest.NewServer(server.New(server.Options{Engine: e.Eng, Logger: log, Audit: audit.NewWriter(&buf), TrustedProxies: trusted}))
		t.Cleanup(srv.Close)
		return srv.URL + "/fhir", &buf
	}
	records := func(buf *demotest.Buffer) []audit.Record {
		var out []audit.Record
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var r audit.Record
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("not a record: %q", l)
			}
			out = append(out, r)
		}
		return out
	}
	spoof := []string{"X-Forwarded-For", "203.0.113.9", "X-Real-IP", "203.0.113.10"}
	// No trusted proxy: the headers are ignored.
	base, buf := serve(nil)
	demotest.Get(t, base+"/Patient/3", spoof...)
	if r := records(buf); len(r) != 1 || r[0].ClientIP != "127.0.0.1" {
		t.Errorf("untrusted forwarded headers: client_ip %q", r[0].ClientIP)
	}
	// The test client is a trusted proxy: its forwarded address is used.
	base, buf = serve([]string{"127.0.0.0/8"})
	demotest.Get(t, base+"/Patient/3", spoof...)
	if r := records(buf); len(r) != 1 || r[0].ClientIP != "203.0.113.9" {
		t.Errorf("a trusted proxy's forwarded address: client_ip %q", r[0].ClientIP)
	}
	// A trusted proxy elsewhere does not make this client one.
	base, buf = serve([]string{"10.0.0.0/8"})
	demotest.Get(t, base+"/Patient/3", spoof...)
	if r := records(buf); len(r) != 1 || r[0].ClientIP != "127.0.0.1" {
		t.Errorf("forwarded headers from a client that is not a trusted proxy: client_ip %q", r[0].ClientIP)
	}

	base, buf = serve(nil)
	a := demotest.Get(t, base+"/Patient/3", "X-Request-ID", "same-id")
	b := demotest.Get(t, base+"/Patient/4", "X-Request-ID", "same-id")
	c := demotest.Get(t, base+"/Patient/5", "X-Request-ID", "bad id\twith a tab")
	recs := records(buf)
	if len(recs) != 3 || recs[0].RequestID == recs[1].RequestID || recs[0].RequestID == "same-id" {
		t.Errorf("two requests with one X-Request-ID share a request_id: %+v", recs)
	}
	if recs[0].CorrelationID != "same-id" || recs[1].CorrelationID != "same-id" || recs[2].CorrelationID != "" {
		t.Errorf("correlation ids %q %q %q", recs[0].CorrelationID, recs[1].CorrelationID, recs[2].CorrelationID)
	}
	if a.Header.Get("X-Request-ID") != recs[0].RequestID || b.Header.Get("X-Request-ID") != recs[1].RequestID || a.Header.Get("X-Correlation-ID") != "same-id" {
		t.Errorf("demotest.Response ids: %q %q %q", a.Header.Get("X-Request-ID"), b.Header.Get("X-Request-ID"), a.Header.Get("X-Correlation-ID"))
	}
	if c.Header.Get("X-Correlation-ID") != recs[2].RequestID {
		t.Errorf("an unusable X-Request-ID is not echoed: %q", c.Header.Get("X-Correlation-ID"))
	}

	buf.Reset()
	r := demotest.Do(t, "POST", base+"/Observation/_search?_count=2", strings.NewReader("patient=3&category=vital-signs"), "Content-Type", "application/x-www-form-urlencoded")
	if r.Status != 200 {
		t.Fatalf("POST _search: %d", r.Status)
	}
	if recs := records(buf); len(recs) != 1 || strings.Join(recs[0].Params, ",") != "_count,category,patient" || strings.Contains(buf.String(), "vital-signs") {
		t.Errorf("POST _search record: %+v", recs)
	}
	// A resource cut down by _elements or _summary still names its patient.
	for _, q := range []string{"_elements=code", "_summary=text", "_elements=status"} {
		buf.Reset()
		demotest.Get(t, base+"/Observation?patient=4&_count=2&"+q)
		if recs := records(buf); len(recs) != 1 || strings.Join(recs[0].Patients, ",") != "4" || recs[0].Count != 2 {
			t.Errorf("%s: the record names %v (%d resources)", q, recs[0].Patients, recs[0].Count)
		}
	}
	// Nothing a caller sends can make a record of any size.
	buf.Reset()
	demotest.Get(t, base+"/"+strings.Repeat("A", 20000)+"/1/"+strings.Repeat("B", 20000))
	if n := len(buf.String()); n > 5000 {
		t.Errorf("a record of %d bytes for a long path", n)
	}
	buf.Reset()
	q := url.Values{}
	for i := 0; i < 300; i++ {
		q.Set(fmt.Sprintf("%s%d", strings.Repeat("p", 150), i), "x")
	}
	demotest.Get(t, base+"/Patient?"+q.Encode()+"&"+strings.Repeat("x", 200))
	if n := len(buf.String()); n > 20000 {
		t.Errorf("a record of %d bytes", n)
	}
}

// A file sink that is rotated away or deleted under the facade is
// reopened: the next request's record is in the file at the path.
func TestAuditFileReopened(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	srv := auditedServer(t, path, 1<<30)
	demotest.Get(t, srv.URL+"/fhir/Patient/3")
	if err := os.Rename(path, path+".old"); err != nil {
		t.Fatal(err)
	}
	r := demotest.Get(t, srv.URL+"/fhir/Patient/4")
	data, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(data), `"request_id":"`+r.Header.Get("X-Request-ID")+`"`) {
		t.Errorf("after a rename, the record is not at the path: %v %q", err, data)
	}
	os.Remove(path)
	r = demotest.Get(t, srv.URL+"/fhir/Patient/5")
	data, err = os.ReadFile(path)
	if err != nil || !strings.Contains(string(data), `"request_id":"`+r.Header.Get("X-Request-ID")+`"`) {
		t.Errorf("after a delete, the record is not at the path: %v %q", err, data)
	}
}

// CORS is off unless origins are configured, and then only for them.
func TestCORS(t *testing.T) {
	off := demotest.SQLite(t, demotest.Config{}).Srv
	if r := demotest.Get(t, off.URL+"/fhir/Patient/3", "Origin", "https://app.example.nhs.uk"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS headers sent with CORS off")
	}
	on := demotest.SQLite(t, demotest.Config{Server: server.Options{CORSOrigins: []string{"https://app.example.nhs.uk"}}}).Srv
	if r := demotest.Get(t, on.URL+"/fhir/Patient/3", "Origin", "https://app.example.nhs.uk"); r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.nhs.uk" {
		t.Error("an allowed origin got no CORS headers")
	} else if vary := strings.Join(r.Header.Values("Vary"), ","); !strings.Contains(vary, "Origin") || !strings.Contains(vary, "Accept-Encoding") {
		t.Errorf("Vary %q: a cache must key on the origin and the encoding", vary)
	}
	if r := demotest.Get(t, on.URL+"/fhir/Patient/3", "Origin", "https://evil.example"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("another origin got CORS headers")
	}
	pre := demotest.Do(t, "OPTIONS", on.URL+"/fhir/Patient", nil, "Origin", "https://app.example.nhs.uk", "Access-Control-Request-Method", "GET")
	if pre.Status != 204 || !strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", pre.Status, pre.Header)
	}
}
