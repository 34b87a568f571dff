package test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// The statements (text and arguments) the engine sends on SQLite and
// PostgreSQL for a broad set of requests over the demo are kept in
// testdata/sql/<backend> (make golden rewrites them): every declared
// search parameter with values of each form its type reads, :missing and
// the other modifiers, and a list of requests that chain, include, sort,
// page, count and read a record. A change to how the engine writes SQL
// shows here as a diff, statement by statement.
func TestSQLTextGolden(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)
	for _, b := range demotest.Backends {
		t.Run(b.Name, func(t *testing.T) { sqlTextGolden(t, b, now) })
	}
}

// sqlTextGolden records one backend's statements, with a recorder of its
// own (the backends may run side by side).
func sqlTextGolden(t *testing.T, b demotest.Backend, now time.Time) {
	rec := &recorder{arg: func(i int, a any) string { return fmt.Sprintf("$%d = %T(%v)", i, a, a) }}
	cfg := demotest.Config{Engine: engine.Options{Trace: rec.trace, Sequential: true, Now: func() time.Time { return now }}}
	e := envOf(b.Serve(t, cfg))
	dir := filepath.Join("testdata", "sql", e.name)
	// run records one request, and the pages its links lead to when
	// follow is set.
	run := func(sb *strings.Builder, path string, follow bool) {
		rec.start()
		r := get(t, e.base+path)
		fmt.Fprintf(sb, "-- GET %s: %d\n%s", path, r.status, rec.take())
		for _, rel := range []string{"next", "previous"} {
			if !follow || r.status != 200 || !bytes.Contains(r.body, []byte(`"Bundle"`)) {
				break
			}
			l := link(r.json(t), rel)
			if l == "" {
				break
			}
			r = get(t, l)
			fmt.Fprintf(sb, "-- %s page: %d\n%s", rel, r.status, rec.take())
		}
		sb.WriteString("\n")
	}
	caps := get(t, e.base+"/metadata").json(t)
	rest := caps["rest"].([]any)[0].(map[string]any)
	for _, rr := range rest["resource"].([]any) {
		rd := rr.(map[string]any)
		typ := rd["type"].(string)
		var sb strings.Builder
		sps, _ := rd["searchParam"].([]any)
		for _, s := range sps {
			sp := s.(map[string]any)
			name, kind := sp["name"].(string), sp["type"].(string)
			for _, q := range sqlTextQueries(name, kind) {
				run(&sb, "/"+typ+"?"+q+"&_count=2", false)
			}
		}
		checkSQLGolden(t, filepath.Join(dir, typ+".sql"), sb.String())
	}
	var sb strings.Builder
	for _, path := range sqlTextRequests {
		run(&sb, path, true)
	}
	checkSQLGolden(t, filepath.Join(dir, "requests.sql"), sb.String())
}

// sqlTextQueries are the searches of one parameter: values of each form
// its type reads, with its modifiers.
func sqlTextQueries(name, kind string) []string {
	var vals []string
	switch kind {
	case "string":
		vals = []string{"a", "ab,Sm", ":exact=Smith", ":contains=ar"}
	case "token":
		vals = []string{"x", "M,F", "http://snomed.info/sct|195967001", "|x", "https://fhir.nhs.uk/Id/nhs-number|", ":not=x", ":not=a,b", ":text=as"}
	case "date":
		vals = []string{"2019", "eq2019-06-01", "ne2019-06", "lt2019", "gt2019-06-01T10:00", "ge2019-06-01T10:00:00Z", "le2019", "sa2019", "eb2019", "ap2019-06-01", "ge2010&" + name + "=lt2020"}
	case "reference":
		vals = []string{"1", "Patient/1", "Practitioner/1,Organization/B81001", "http://example.org/fhir/Patient/2"}
	}
	vals = append(vals, ":missing=true", ":missing=false")
	out := make([]string, len(vals))
	for i, v := range vals {
		if strings.HasPrefix(v, ":") {
			out[i] = name + v
		} else {
			out[i] = name + "=" + v
		}
	}
	return out
}

// sqlTextRequests are requests beyond one parameter, each followed to its
// next page and back.
var sqlTextRequests = []string{
	"/Patient/3",
	"/Patient?_id=3,4",
	"/Patient?_id:missing=false&_count=2",
	"/Patient?_lastUpdated=ge2000&_count=2",
	"/Patient?family=smi&gender=female&_count=2",
	"/Patient?family=smi&_total=accurate&_count=1",
	"/Patient?family=smi&_total=estimate&_count=1",
	"/Patient?gender=male&_summary=count",
	"/Patient?_sort=-birthdate,family&_count=3",
	"/Patient?_sort=-_id,family,-family&_count=3",
	"/Patient?_sort=_lastUpdated&_count=3",
	"/Patient?general-practitioner:Practitioner.name=a&_count=3",
	"/Patient?general-practitioner:Practitioner.identifier=x,y&general-practitioner:Practitioner.family=b&_count=3",
	"/Patient?organization:Organization.name=a&_count=3",
	"/Observation?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000114&_count=3",
	"/Observation?patient.family=smi&patient.gender=female&_count=3",
	"/Observation?subject:Patient.birthdate=lt1980&_count=3",
	"/Encounter?participant.family=a&date=ge2015&_count=3",
	"/MedicationRequest?medication.code=x&_count=3",
	"/MedicationRequest?code=x,y&status:not=active&_count=3",
	"/Condition?patient=1&_include=Condition:patient&_count=3",
	"/Patient?_count=3&_include=*",
	"/Patient?_count=3&_include=Patient:general-practitioner&_include=Patient:organization",
	"/Patient?_id=1&_revinclude=Condition:patient&_revinclude=Observation:subject",
	"/Encounter?_count=3&_include=Encounter:participant&_include:iterate=PractitionerRole:practitioner",
	"/Practitioner?_count=3&_revinclude:iterate=PractitionerRole:practitioner",
	"/Patient/1/Condition?_count=3",
	"/Patient/1/Observation?code=x&date=ge2015&_count=3",
	"/Patient/1/$everything?_count=5",
	"/Patient/1/$everything?start=2015&end=2020&_since=2000-01-01T00:00:00Z&_count=5",
	"/Patient/$everything?identifier=https://fhir.nhs.uk/Id/nhs-number|9000000114&_count=5",
}

func checkSQLGolden(t *testing.T, path, got string) {
	t.Helper()
	want := goldenFile(t, path, []byte(got))
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			col := 0
			for col < len(g) && col < len(w) && g[col] == w[col] {
				col++
			}
			from := max(0, col-200)
			t.Errorf("the SQL differs from %s at line %d, column %d (run make golden if the change is intended)\n got: …%s\nwant: …%s", path, i+1, col+1, truncate(g[from:], 600), truncate(w[from:], 600))
			return
		}
	}
}
