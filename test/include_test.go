package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

func entryModes(t *testing.T, b map[string]any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	raw, _ := b["entry"].([]any)
	for _, e := range raw {
		em := e.(map[string]any)
		r := em["resource"].(map[string]any)
		mode := em["search"].(map[string]any)["mode"].(string)
		out[mode] = append(out[mode], r["resourceType"].(string)+"/"+r["id"].(string))
	}
	return out
}

func TestIncludesTotalsAndCompartments(t *testing.T) {
	t.Parallel()
	patients := demoRows(t, "PATIENT")
	obs := demoRows(t, "OBSERVATION")
	forEachBackend(t, func(t *testing.T, e *env) {
		// _include follows the page's references: one of each, once.
		r := get(t, e.base+"/Patient?_count=5&_include=Patient:general-practitioner&_include=Patient:organization")
		validate(t, "include bundle", r.body)
		b := r.json(t)
		modes := entryModes(t, b)
		want := map[string]bool{}
		for _, p := range patients[:5] {
			want["Practitioner/"+str(p["GP_ID"])] = true
			want["Organization/"+strings.TrimSpace(str(p["PRACTICE_CODE"]))] = true
		}
		if len(modes["match"]) != 5 || len(modes["include"]) != len(want) {
			t.Errorf("include: %d matches, %d included (want %d): %v", len(modes["match"]), len(modes["include"]), len(want), modes["include"])
		}
		for _, inc := range modes["include"] {
			if !want[inc] {
				t.Errorf("unexpected include %s", inc)
			}
		}
		// _include=* follows every reference parameter.
		if star := entryModes(t, get(t, e.base+"/Patient?_count=5&_include=*").json(t)); len(star["include"]) != len(want) {
			t.Errorf("_include=*: %v", star["include"])
		}
		// _revinclude brings the page's observations.
		rb := get(t, e.base+"/Patient?_count=3&_revinclude=Observation:patient").json(t)
		rm := entryModes(t, rb)
		n := 0
		for _, o := range obs {
			if id := str(o["PATIENT_ID"]); id == "1" || id == "2" || id == "3" {
				n++
			}
		}
		if len(rm["include"]) != n {
			t.Errorf("_revinclude: %d included, want %d", len(rm["include"]), n)
		}
		// Totals and _summary=count.
		if tb := get(t, e.base+"/Patient?gender=female&_total=accurate").json(t); int(tb["total"].(float64)) != countRows(patients, "SEX", "F") {
			t.Errorf("_total=accurate: %v", tb["total"])
		}
		sc := get(t, e.base+"/Observation?_summary=count").json(t)
		if int(sc["total"].(float64)) != len(obs) || sc["entry"] != nil {
			t.Errorf("_summary=count: %v entries %v", sc["total"], sc["entry"] != nil)
		}
		if tb := get(t, e.base+"/Patient?gender=female").json(t); tb["total"] != nil {
			t.Error("a total was computed without _total")
		}
		// Compartment search: Patient/{id}/Observation equals Observation?patient={id}.
		comp := walk(t, e.base+"/Patient/1/Observation?_count=7")
		if want := len(walk(t, e.base+"/Observation?patient=1&_count=100")); len(comp) != want || want == 0 {
			t.Errorf("compartment: %d, want %d", len(comp), want)
		}
		// Other compartments are STU3's too: a Practitioner's holds the
		// Encounters it takes part in (participant) and the Patients it
		// is the GP of (general-practitioner).
		gp := str(patients[0]["GP_ID"])
		for comp, search := range map[string]string{
			"/Practitioner/" + gp + "/Encounter": "/Encounter?participant=Practitioner/" + gp,
			"/Practitioner/" + gp + "/Patient":   "/Patient?general-practitioner=Practitioner/" + gp,
		} {
			got, want := walk(t, e.base+comp+"?_count=100"), walk(t, e.base+search+"&_count=100")
			if len(got) != len(want) || len(want) == 0 {
				t.Errorf("%s: %d, want %d", comp, len(got), len(want))
			}
		}
		for _, c := range []struct {
			path   string
			status int
		}{
			{"/Patient/1/Organization", 404},
			{"/Organization/1/Patient", 404},     // not a compartment type in STU3
			{"/Practitioner/1/Observation", 404}, // by performer, which the demo does not declare
			{"/Patient?_include=Observation:patient", 400},
			{"/Patient?_include=Patient:name", 400},
			{"/Patient?_revinclude:deep=Observation:patient", 400},
			{"/Patient?_include=Observation:performer", 400},
			{"/Patient?_total=maybe", 400},
			{"/Patient?_summary=brief", 400},
		} {
			if r := get(t, e.base+c.path); r.status != c.status {
				t.Errorf("%s: %d, want %d: %s", c.path, r.status, c.status, truncate(string(r.body), 200))
			}
		}
	})
}

func countRows(rows []map[string]any, col, val string) int {
	n := 0
	for _, r := range rows {
		if str(r[col]) == val {
			n++
		}
	}
	return n
}

func TestElements(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	r := get(t, e.base+"/Patient?_count=3&_elements=name,birthDate,deceased")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	validate(t, "_elements bundle", r.body)
	for _, p := range entries(t, r.json(t)) {
		for k := range p {
			switch k {
			case "resourceType", "id", "meta", "name", "birthDate", "deceasedDateTime":
			default:
				t.Errorf("_elements kept %s", k)
			}
		}
		tags, _ := p["meta"].(map[string]any)["tag"].([]any)
		if len(tags) != 1 || tags[0].(map[string]any)["code"] != "SUBSETTED" {
			t.Errorf("no SUBSETTED tag: %v", p["meta"])
		}
	}
	if r := get(t, e.base+"/Patient?_elements=colour"); r.status != 400 {
		t.Errorf("unknown element: %d", r.status)
	}
}

// _total=estimate asks the planner where the database has one (PostgreSQL;
// MySQL and MariaDB for a plan of one table, see TestTotalEstimateMySQL),
// and counts exactly where it has not (SQLite).
func TestTotalEstimate(t *testing.T) {
	t.Parallel()
	patients := demoRows(t, "PATIENT")
	forEachBackend(t, func(t *testing.T, e *env) {
		b := get(t, e.base+"/Patient?_total=estimate&_count=1").json(t)
		n, ok := b["total"].(float64)
		if !ok || n <= 0 {
			t.Fatalf("no estimate: %v", b["total"])
		}
		if e.name == "sqlite" && int(n) != len(patients) {
			t.Errorf("sqlite estimate %v, exact %d", n, len(patients))
		}
		if n < float64(len(patients))/4 || n > float64(len(patients))*4 {
			t.Errorf("%s estimate %v is far from %d", e.name, n, len(patients))
		}
	})
}

// On MySQL and MariaDB _total=estimate is the optimiser's estimate where
// the plan reads one table by an index or whole (the number of patients),
// and an exact count where a condition is tested row by row (a search by
// family name, which the optimiser would take to match every row).
func TestTotalEstimateMySQL(t *testing.T) {
	t.Parallel()
	rec := &recorder{arg: func(i int, a any) string { return fmt.Sprint(a) }}
	e := envOf(demotest.MySQL(t, demotest.Config{Engine: engine.Options{Trace: rec.trace, Sequential: true}}))
	patients := len(demoRows(t, "PATIENT"))
	total := func(query string) (int, string) {
		t.Helper()
		rec.start()
		b := get(t, e.base+"/Patient?"+query).json(t)
		n, ok := b["total"].(float64)
		if !ok {
			t.Fatalf("%s: no total", query)
		}
		return int(n), rec.take()
	}
	n, stmts := total("_total=estimate&_count=1")
	if strings.Contains(stmts, "COUNT(") || !strings.Contains(stmts, "SELECT 1 FROM PATIENT t0;") {
		t.Errorf("all patients: counted rather than estimated:\n%s", stmts)
	}
	if n < patients/2 || n > patients*2 {
		t.Errorf("all patients: estimate %d, exact %d", n, patients)
	}
	exact, _ := total("family=smi&_total=accurate&_count=1")
	n, stmts = total("family=smi&_total=estimate&_count=1")
	if !strings.Contains(stmts, "SELECT COUNT(*) FROM PATIENT t0 WHERE") || n != exact {
		t.Errorf("family=smi: %d (exact %d), from\n%s", n, exact, stmts)
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	full := get(t, e.base+"/Patient/6").json(t)
	if _, ok := full["maritalStatus"]; !ok {
		t.Fatal("Patient/6 has no maritalStatus to leave out")
	}
	b := get(t, e.base+"/Patient?_id=6&_summary=true")
	validate(t, "_summary=true", b.body)
	p := entries(t, b.json(t))[0]
	if _, ok := p["maritalStatus"]; ok {
		t.Error("_summary=true kept maritalStatus, which is not a summary element")
	}
	for _, k := range []string{"name", "gender", "birthDate", "identifier"} {
		if _, ok := p[k]; !ok {
			t.Errorf("_summary=true left out the summary element %s", k)
		}
	}
	if tags, _ := p["meta"].(map[string]any)["tag"].([]any); len(tags) != 1 {
		t.Error("_summary=true without the SUBSETTED tag")
	}
	if d := entries(t, get(t, e.base+"/Patient?_id=6&_summary=data").json(t))[0]; d["maritalStatus"] == nil {
		t.Error("_summary=data left out data")
	}
	o := entries(t, get(t, e.base+"/Observation?_count=1&_summary=text").json(t))[0]
	for k := range o {
		switch k {
		case "resourceType", "id", "meta", "status", "code":
		case "subject": // the patient's reference stays: whose data this is
		default:
			t.Errorf("_summary=text kept %s", k)
		}
	}
}

// _include:iterate follows references from the resources the first round
// included: the patient of the page's observations, then the patient's GP.
func TestIncludeIterate(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		b := get(t, e.base+"/Observation?patient=3&_count=20&_include=Observation:patient&_include:iterate=Patient:general-practitioner")
		if b.status != 200 {
			t.Fatalf("%d %s", b.status, truncate(string(b.body), 300))
		}
		validate(t, "iterate", b.body)
		modes := entryModes(t, b.json(t))
		var gp, pat bool
		for _, inc := range modes["include"] {
			gp = gp || strings.HasPrefix(inc, "Practitioner/")
			pat = pat || inc == "Patient/3"
		}
		if !pat || !gp {
			t.Errorf("iterate: patient %v, their GP %v: %v", pat, gp, modes["include"])
		}
		// Without :iterate the GP is not followed, and the plain form from
		// another type is refused.
		if one := entryModes(t, get(t, e.base+"/Observation?patient=3&_include=Observation:patient").json(t)); len(one["include"]) != 1 {
			t.Errorf("first round only: %v", one["include"])
		}
		if r := get(t, e.base+"/Observation?patient=3&_include=Patient:general-practitioner"); r.status != 400 {
			t.Errorf("_include from another type without :iterate: %d", r.status)
		}
	})
}

// A page's includes are bounded (an OperationOutcome entry says when they
// were cut), a repeated parameter costs what it costs once, and a search
// with more values than any needs is refused.
func TestIncludesAreBounded(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	var statements atomic.Int64
	log := demotest.Silent()
	small := serveDB(t, e.db, engine.Options{MaxIncluded: 10, PagingSecret: []byte("x"), Logger: log,
		Trace: func(string, []any) { statements.Add(1) }})
	b := get(t, small.base+"/Patient?_count=20&_revinclude=Observation:patient").json(t)
	modes := map[string]int{}
	for _, en := range b["entry"].([]any) {
		modes[en.(map[string]any)["search"].(map[string]any)["mode"].(string)]++
	}
	if modes["include"] != 10 || modes["outcome"] != 1 || modes["match"] != 20 {
		t.Errorf("entries by mode %v, want 20 matches, 10 includes and an outcome", modes)
	}
	statements.Store(0)
	once := get(t, small.base+"/Patient?_count=5&_revinclude=Observation:patient&family=s").body
	n1 := statements.Load()
	statements.Store(0)
	q := "/Patient?_count=5&family=s"
	for i := 0; i < 99; i++ {
		q += "&_revinclude=Observation:patient&family=s"
	}
	again := get(t, small.base+q)
	if again.status != 200 || statements.Load() != n1 || !bytes.Equal(stripLinks(t, again.body), stripLinks(t, once)) {
		t.Errorf("a parameter given 99 times: %d, %d statements (once: %d)", again.status, statements.Load(), n1)
	}
	q = "/Patient?_count=5"
	for i := 0; i <= 100; i++ {
		q += fmt.Sprintf("&family=s%d", i)
	}
	if r := get(t, small.base+q); r.status != 400 || !strings.Contains(issueText(t, r), "at most 100") {
		t.Errorf("101 values: %d", r.status)
	}
	// Alternatives of a value are bounded too, at 1,000.
	alts := make([]string, 1001)
	for i := range alts {
		alts[i] = fmt.Sprintf("s%d", i)
	}
	if r := get(t, small.base+"/Patient?family="+strings.Join(alts, ",")); r.status != 400 || !strings.Contains(issueText(t, r), "at most 1000") {
		t.Errorf("1,001 alternatives of one value: %d", r.status)
	}
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprint(i + 1)
	}
	if r := get(t, small.base+"/Patient?_count=5&_id="+strings.Join(ids, ",")); r.status != 200 {
		t.Errorf("1,000 alternatives of one value: %d %s", r.status, issueText(t, r))
	}
	if r := get(t, small.base+"/Patient?_count=5&family="+strings.Join(alts[:40], ",")); r.status != 200 {
		t.Errorf("40 alternatives of a string: %d %s", r.status, issueText(t, r))
	}
}

// stripLinks is a Bundle without its links and id (they name the query).
func stripLinks(t *testing.T, body []byte) []byte {
	var b map[string]any
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	delete(b, "link")
	delete(b, "id")
	out, _ := json.Marshal(b)
	return out
}

// On PostgreSQL a list of keys is bound as one array (x = ANY($1)): the
// statement that fetches a page's included resources has the same text
// whatever the number of keys, so one prepared statement serves them all.
// The resources included are those the page references, as many as there
// are different keys.
func TestKeyListsAreOneParameter(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		var mu sync.Mutex
		var stmts []string
		opts := engine.Options{DefaultCount: 20, MaxCount: 100, Logger: demotest.Silent(),
			Trace: func(q string, _ []any) {
				mu.Lock()
				defer mu.Unlock()
				stmts = append(stmts, q)
			}}
		s := serveDB(t, e.db, opts)
		texts := map[string]bool{}
		included := map[int]bool{}
		for _, n := range []string{"2", "6", "15", "40"} {
			mu.Lock()
			stmts = nil
			mu.Unlock()
			r := get(t, s.base+"/MedicationRequest?_count="+n+"&_include=MedicationRequest:medication")
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, truncate(string(r.body), 300))
			}
			b := r.json(t)
			modes := entryModes(t, b)
			// The oracle: the medications the matches reference.
			want := map[string]bool{}
			for _, en := range b["entry"].([]any) {
				em := en.(map[string]any)
				if em["search"].(map[string]any)["mode"] != "match" {
					continue
				}
				for _, ref := range references(em["resource"]) {
					if strings.HasPrefix(ref, "Medication/") {
						want[ref] = true
					}
				}
			}
			if len(modes["include"]) != len(want) {
				t.Errorf("_count=%s: %d included, %d referenced", n, len(modes["include"]), len(want))
			}
			for _, inc := range modes["include"] {
				if !want[inc] {
					t.Errorf("_count=%s: %s included but not referenced", n, inc)
				}
			}
			included[len(want)] = true
			mu.Lock()
			if len(stmts) != 2 {
				t.Fatalf("_count=%s: %d statements: %q", n, len(stmts), stmts)
			}
			texts[stmts[1]] = true
			mu.Unlock()
		}
		if len(included) < 3 {
			t.Fatalf("the pages should reference different numbers of medications: %v", included)
		}
		if e.name == "postgres" && len(texts) != 1 {
			t.Errorf("PostgreSQL: %d texts for the include statement, want one:\n%s", len(texts), strings.Join(sortedKeys(texts), "\n"))
		}
		if e.name != "postgres" && len(texts) == 1 {
			t.Errorf("%s: one text for %d numbers of keys: binds arrays?", e.name, len(included))
		}
	})
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
