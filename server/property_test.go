package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/server"
)

// vocabulary is what a generator draws requests from: the types, search
// parameters and includes the CapabilityStatement states, and values of
// every awkward kind.
type vocabulary struct {
	types    []string
	params   map[string][]string
	includes []string
}

func readVocabulary(t testing.TB, base string) vocabulary {
	t.Helper()
	r := demotest.Get(t, base+"/metadata")
	var cs struct {
		Rest []struct {
			Resource []struct {
				Type          string   `json:"type"`
				SearchInclude []string `json:"searchInclude"`
				SearchParam   []struct {
					Name string `json:"name"`
				} `json:"searchParam"`
			} `json:"resource"`
		} `json:"rest"`
	}
	if err := json.Unmarshal(r.Body, &cs); err != nil || len(cs.Rest) == 0 {
		t.Fatalf("metadata: %v\n%s", err, r.Body)
	}
	v := vocabulary{params: map[string][]string{}}
	for _, res := range cs.Rest[0].Resource {
		v.types = append(v.types, res.Type)
		for _, p := range res.SearchParam {
			v.params[res.Type] = append(v.params[res.Type], p.Name)
		}
		v.includes = append(v.includes, res.SearchInclude...)
	}
	return v
}

var (
	junkTypes = []string{"Junk", "Pat\xffient", "patient", "", "_history", "metadata", "$everything", "OperationDefinition",
		strings.Repeat("A", 3000), "%00", "..", "Patient%2F1", "Bundle", "Observation;x"}
	ids = []string{"1", "2", "3", "114", "0", "-1", "999999999", "abc", "$everything", "_history", "_search", "\xc0\x80",
		strings.Repeat("9", 200), "1.5", "1%2C2", "Patient", "1 OR 1=1", "'", "\"", "%", "1;DROP TABLE x"}
	controls = []string{"_count", "_sort", "_include", "_revinclude", "_summary", "_elements", "_format", "_pretty",
		"_total", "_id", "_lastUpdated", "page", "_getpages", "identifier", "start", "end", "_since", "_type", "_content", "_query"}
	modifiers = []string{"", ":exact", ":contains", ":missing", ":not", ":text", ":above", ":below", ":in", ":Patient",
		":identifier", ":iterate", ":bogus", "."}
	values = []string{"", "1", "0", "-1", "1000000", "ge2010", "le2020-01-01", "gt2020-02-30", "2020-01-01T10:00:00Z",
		"eq1.5e3", "sa2020", "x", "a,b,c", "http://snomed.info/sct|", "|123", "https://fhir.nhs.uk/Id/nhs-number|9434765919",
		"true", "false", "json", "xml", "<script>", "text", "data", "count", "accurate", "estimate", "none",
		"-_lastUpdated", "family,-birthdate", "Observation:patient", "*", "Patient:general-practitioner",
		"Ærø", "ß", "İ", "\u0000", "\xff", "%", "_", "\\", "'", "\"", "%25", strings.Repeat("x", 5000),
		strings.Repeat("a,", 600), "Patient/1", "1|2|3", "ap2020", "ne5", "5||mg", "5|http://unitsofmeasure.org|mg"}
	accepts   = []string{"", "application/fhir+json", "application/fhir+xml", "*/*", "text/html", "application/json;q=0", "xml;q=abc", "\xff"}
	encodings = []string{"", "gzip", "gzip;q=0", "br", "*", "gzip;Q=0.0", "identity;q=0, *;q=0"}
	methods   = []string{"GET", "GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "BREW"}
)

// genRequest writes one random request in HTTP/1.1's wire form.
func genRequest(r *rand.Rand, v vocabulary) string {
	pick := func(l []string) string { return l[r.IntN(len(l))] }
	id := func() string {
		if r.IntN(4) == 0 {
			return url.PathEscape(pick(ids))
		}
		return fmt.Sprint(1 + r.IntN(demotest.Patients))
	}
	typ := pick(v.types)
	if r.IntN(10) == 0 {
		typ = pick(junkTypes)
	}
	path := "/fhir/" + url.PathEscape(typ)
	switch r.IntN(5) {
	case 0:
		path += "/" + id()
	case 1:
		path += "/" + id() + "/" + url.PathEscape(pick(append(append([]string{}, v.types...), "$everything", "_history", "Junk")))
	case 2:
		path = "/fhir/Patient/" + id() + "/$everything"
	case 3:
		if r.IntN(3) == 0 {
			path += "/_search"
		}
	}
	if r.IntN(20) == 0 {
		path = pick([]string{"/fhir", "/fhir/", "/", "/readyz", "/livez", "/fhir/metadata", "/metrics", "/fhir/Patient/$everything"})
	}
	q := url.Values{}
	for range r.IntN(6) {
		var name string
		switch r.IntN(3) {
		case 0:
			name = pick(controls)
		default:
			if ps := v.params[typ]; len(ps) > 0 {
				name = pick(ps)
			} else {
				name = pick(v.params["Observation"])
			}
		}
		name += pick(modifiers)
		if strings.HasSuffix(name, ".") {
			name += pick(v.params["Patient"])
		}
		val := pick(values)
		if name == "_include" || name == "_revinclude" {
			val = pick(v.includes)
		}
		q.Add(name, val)
	}
	rawQuery := q.Encode()
	if r.IntN(10) == 0 {
		rawQuery += "&" + pick([]string{"%zz", "a=%", "=x", "&&", "_count=1&_count=2", "x=%FF%FE", ";", "a[]=1"})
	}
	method := "GET"
	if r.IntN(5) == 0 {
		method = pick(methods)
	}
	var b strings.Builder
	target := path
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: x\r\n", method, target)
	accept := ""
	if r.IntN(4) == 0 {
		accept = pick(accepts)
	}
	for _, h := range [][2]string{{"Accept", accept}, {"Accept-Encoding", pick(encodings)},
		{"Prefer", pick([]string{"", "handling=lenient", "handling=strict", "return=minimal"})},
		{"If-None-Match", pick([]string{"", "*", `W/"x"`, "\"", "W/"})},
		{"If-Modified-Since", pick([]string{"", "Mon, 02 Jan 2006 15:04:05 GMT", "yesterday", "0"})},
		{"X-Request-ID", pick([]string{"", "abc", strings.Repeat("z", 500), "<x>"})},
		{"Origin", pick([]string{"", "https://evil.example", "null"})},
		{"Authorization", pick([]string{"", "Bearer x", "Bearer " + strings.Repeat("a.", 200), "Basic Zm9v"})},
	} {
		if h[1] != "" && r.IntN(2) == 0 {
			fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
		}
	}
	body := ""
	if method == "POST" || method == "PUT" || r.IntN(10) == 0 {
		body = pick([]string{"", q.Encode(), "%zz", "{\"resourceType\":\"Patient\"}", strings.Repeat("a=b&", 20000)})
		fmt.Fprintf(&b, "Content-Type: %s\r\n", pick([]string{"application/x-www-form-urlencoded", "application/fhir+json", "", "multipart/form-data"}))
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return b.String()
}

// exercise sends one request straight to the handler, so that a panic
// anywhere in it fails the test, and checks the answer.
func exercise(t testing.TB, h http.Handler, raw string, logs *demotest.Buffer) int {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		return 0 // net/http answers 400 itself before any handler runs
	}
	req.RemoteAddr = "127.0.0.1:1"
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, req)
	took := time.Since(start)
	if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
		t.Errorf("%d for\n%.600s\n%.600s", rec.Code, raw, rec.Body.String())
	}
	// A bound far above any honest request on a loaded machine: what
	// it catches is work without a limit (minutes).
	if took > 20*time.Second {
		t.Errorf("%s to answer\n%.600s", took, raw)
	}
	if strings.Contains(logs.String(), "panic") {
		t.Fatalf("the facade logged a panic after\n%.600s\n%s", raw, logs.String())
	}
	return rec.Code
}

// Thousands of random requests (paths, parameters, modifiers, values,
// headers, bodies and encodings, well formed or not) against the demo:
// no 5xx but 503, no panic, each answered in bounded time, and the heap
// no larger at the end than a bounded amount.
func TestRandomRequests(t *testing.T) {
	n := 1500
	if testing.Short() {
		n = 300
	}
	for _, b := range demotest.Backends {
		t.Run(b.Name, func(t *testing.T) { randomRequests(t, b, n) })
	}
}

// warnings keeps the facade's log to what could name a panic: with the
// line every request logs, the buffer read after each request would grow
// for nothing.
var warnings = &slog.HandlerOptions{Level: slog.LevelWarn}

func randomRequests(t *testing.T, b demotest.Backend, n int) {
	logs := &demotest.Buffer{}
	e := b.Serve(t, demotest.Config{Server: server.Options{Logger: slog.New(slog.NewTextHandler(logs, warnings)), Metrics: server.NewMetrics()}})
	v := readVocabulary(t, e.Base)
	h := e.Srv.Config.Handler
	r := rand.New(rand.NewPCG(1, uint64(len(e.Name))))
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	statuses := map[int]int{}
	for i := range n {
		statuses[exercise(t, h, genRequest(r, v), logs)]++
		if t.Failed() && i > 50 {
			break
		}
	}
	// The generator must reach the engine, not only its refusals.
	t.Logf("statuses: %v", statuses)
	if statuses[http.StatusOK] < n/10 || statuses[http.StatusBadRequest] < n/10 {
		t.Errorf("too few requests answered 200 or 400 (%v): the generator does not exercise the engine", statuses)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 64<<20 {
		t.Errorf("the heap grew by %d MB over %d random requests", grew>>20, n)
	}
}

// FuzzRequests runs the same property under the fuzzer: go test ./server
// -run '^$' -fuzz FuzzRequests.
func FuzzRequests(f *testing.F) {
	for i := range 16 {
		f.Add(uint64(i), uint64(i*7))
	}
	logs := &demotest.Buffer{}
	e := demotest.SQLite(f, demotest.Config{Server: server.Options{Logger: slog.New(slog.NewTextHandler(logs, warnings)), Metrics: server.NewMetrics()}})
	h, v := e.Srv.Config.Handler, readVocabulary(f, e.Base)
	f.Fuzz(func(t *testing.T, a, b uint64) {
		exercise(t, h, genRequest(rand.New(rand.NewPCG(a, b)), v), logs)
	})
}
