package test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/mapping"
	"github.com/ccfacade/ccfacade/server"
)

// requiredMapping maps observations whose code comes through a concept
// map that knows one local code only: a row with another code renders an
// Observation without code, which STU3 requires (min 1).
const requiredMapping = `
resource: Observation
from: { table: obs, key: id }
element:
  status: final
  code: { column: code, concept: obs-codes }
  valueString: { column: note }
concepts:
  obs-codes:
    system: http://snomed.info/sct
    map:
      BPS: { code: "271649006", display: Systolic blood pressure }
`

// A resource rendered without an element STU3 requires is served all the
// same (a page must not fail for one row), but never silently: the log
// names its type, id and element, and the metrics count it by type and
// element. Resources that hold every required element count nothing.
func TestRequiredElementAbsent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := demotest.EmptySQLite(t)
	if err := db.(adapters.Loader).Exec(ctx, `CREATE TABLE obs (id INTEGER PRIMARY KEY, code TEXT, note TEXT);
INSERT INTO obs VALUES (1, 'BPS', 'healthy'), (2, 'XX', 'no code'), (3, 'BPS', 'healthy too');`); err != nil {
		t.Fatal(err)
	}
	set, err := mapping.Load([]mapping.File{{Name: "observation.yaml", Data: []byte(requiredMapping)}}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m := server.NewMetrics()
	e := demotest.Serve(t, db, set, demotest.Config{
		Engine: engine.Options{Logger: log, OnAbsent: m.OnAbsent, PagingSecret: []byte("test secret")},
		Server: server.Options{Metrics: m},
	})
	metrics := httptest.NewServer(m.Handler())
	defer metrics.Close()
	absent := regexp.MustCompile(`(?m)^ccfacade_required_element_absent_total\{(.*)\} (\d+)$`)
	counted := func() [][]string { return absent.FindAllStringSubmatch(string(demotest.Get(t, metrics.URL).Body), -1) }

	for _, path := range []string{"/Observation/1", "/Observation/3?_format=xml", "/Observation?_id=1,3"} {
		if r := get(t, e.Base+path); r.status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
	}
	if c := counted(); len(c) != 0 || strings.Contains(logs.String(), "required element") {
		t.Fatalf("healthy resources counted %v, logged:\n%s", c, logs.String())
	}

	r := get(t, e.Base+"/Observation/2")
	if r.status != 200 {
		t.Fatalf("the resource without code: %d %s", r.status, r.body)
	}
	if res := r.json(t); res["code"] != nil || res["valueString"] != "no code" {
		t.Errorf("served %s", r.body)
	}
	if want := `msg="resource served without a required element" resource=Observation id=2 element=Observation.code`; !strings.Contains(logs.String(), want) {
		t.Errorf("log lacks %s:\n%s", want, logs.String())
	}
	want := [][]string{{"", `element="Observation.code",resource="Observation"`, "1"}}
	if c := counted(); len(c) != 1 || c[0][1] != want[0][1] || c[0][2] != "1" {
		t.Errorf("counted %v, want %v", c, want)
	}
	// A search whose page holds it is answered whole, the resource in it
	// (in XML, from the value tree, too), and each is counted.
	for _, path := range []string{"/Observation", "/Observation?_format=xml"} {
		r := get(t, e.Base+path)
		if r.status != 200 || !strings.Contains(string(r.body), "no code") || !strings.Contains(string(r.body), "healthy too") {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
		}
	}
	if c := counted(); len(c) != 1 || c[0][2] != "3" {
		t.Errorf("after two searches, counted %v, want 3", c)
	}
}
