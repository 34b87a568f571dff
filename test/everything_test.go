package test

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// $everything returns the patient's whole record, paged: the Patient, then
// every resource of the Patient compartment exactly once, with what they
// reference included.
func TestEverything(t *testing.T) {
	t.Parallel()
	// Each mapping of the compartment: its type (with its id prefix), its
	// table and key.
	sources := []struct{ typ, table, idCol string }{
		{"AllergyIntolerance/", "ALLERGY", "ALLERGY_ID"}, {"Condition/", "PROBLEM", "PROBLEM_ID"}, {"Procedure/", "CLIN_PROCEDURE", "PROC_ID"},
		{"Observation/", "OBSERVATION", "OBS_ID"}, {"Encounter/", "CONSULTATION", "CONSULT_ID"}, {"MedicationStatement/", "REPEAT_MED", "REPEAT_ID"},
		{"MedicationRequest/", "MED_ISSUE", "ISSUE_ID"}, {"Immunization/", "IMMUNISATION", "IMM_ID"},
		{"ReferralRequest/referral-", "REFERRAL", "REFERRAL_ID"}, {"ProcedureRequest/diary-", "DIARY_ENTRY", "DIARY_ID"},
		{"ProcedureRequest/test-", "TEST_REPORT", "REPORT_ID"}, {"DiagnosticReport/", "TEST_REPORT", "REPORT_ID"}, {"Specimen/", "SPECIMEN", "SPECIMEN_ID"},
	}
	// A patient with a rich record.
	const pid = "3"
	var want []string
	var obsDates []string
	for _, src := range sources {
		for _, r := range demoRows(t, src.table) {
			if str(r["PATIENT_ID"]) == pid {
				want = append(want, src.typ+str(r[src.idCol]))
				if src.table == "OBSERVATION" {
					obsDates = append(obsDates, str(r["OBS_DATETIME"]))
				}
			}
		}
	}
	want = append(want, "Patient/"+pid)
	sort.Strings(want)
	if len(want) < 10 {
		t.Fatalf("patient %s has only %d records", pid, len(want))
	}
	var nhs string
	for _, p := range demoRows(t, "PATIENT") {
		if str(p["PATIENT_ID"]) == pid {
			nhs = strings.ReplaceAll(str(p["NHS_NUMBER"]), " ", "")
		}
	}
	forEachBackend(t, func(t *testing.T, e *env) {
		record := func(start string) ([]string, int) {
			var got []string
			pages := 0
			for next := start; next != ""; pages++ {
				if pages > 200 {
					t.Fatal("$everything does not stop paging")
				}
				r := get(t, next)
				if r.status != 200 {
					t.Fatalf("%s: %d %s", next, r.status, truncate(string(r.body), 300))
				}
				validate(t, "$everything page", r.body)
				b := r.json(t)
				modes := entryModes(t, b)
				got = append(got, modes["match"]...)
				// Every reference of a match resolves within its page
				// (the Patient heads the first page only).
				in := map[string]bool{"Patient/" + pid: true}
				for _, k := range append(modes["match"], modes["include"]...) {
					in[k] = true
				}
				var matches []any
				for _, en := range b["entry"].([]any) {
					if en.(map[string]any)["search"].(map[string]any)["mode"] == "match" {
						matches = append(matches, en)
					}
				}
				for _, ref := range references(matches) {
					if !in[ref] {
						t.Errorf("%s: %s is referenced but not in the page", next, ref)
					}
				}
				next = link(b, "next")
			}
			sort.Strings(got)
			return got, pages
		}
		got, pages := record(e.base + "/Patient/" + pid + "/$everything?_count=7")
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("record of Patient/%s\n got %v\nwant %v", pid, got, want)
		}
		if pages < 2 {
			t.Errorf("the record should be paged with _count=7, got %d page(s)", pages)
		}
		// One entry a page: the Patient alone, then each resource.
		one, onePages := record(e.base + "/Patient/" + pid + "/$everything?_count=1")
		if strings.Join(one, ",") != strings.Join(want, ",") || onePages != len(want) {
			t.Errorf("record of Patient/%s one a page: %d pages\n got %v\nwant %v", pid, onePages, one, want)
		}
		// The first page starts with the patient and includes its GP and practice.
		first := get(t, e.base+"/Patient/"+pid+"/$everything?_count=7").json(t)
		modes := entryModes(t, first)
		if modes["match"][0] != "Patient/"+pid || len(modes["include"]) < 2 {
			t.Errorf("first page: %v", modes)
		}
		// By NHS number: the same record.
		byNHS, _ := record(e.base + "/Patient/$everything?_count=50&identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+nhs))
		if strings.Join(byNHS, ",") != strings.Join(want, ",") {
			t.Errorf("record by NHS number differs: %v", byNHS)
		}
		// _type and start/end narrow it.
		onlyObs, _ := record(e.base + "/Patient/" + pid + "/$everything?_type=Observation&start=2020-01-01")
		n := 0
		for _, d := range obsDates {
			if d >= "2020-01-01" {
				n++
			}
		}
		if len(onlyObs) != n {
			t.Errorf("_type=Observation&start=2020: %d, want %d", len(onlyObs), n)
		}
		// The operation is in the CapabilityStatement, with its definition.
		cs := get(t, e.base+"/metadata").json(t)
		ops := cs["rest"].([]any)[0].(map[string]any)["operation"].([]any)
		ref := ops[0].(map[string]any)["definition"].(map[string]any)["reference"].(string)
		if ops[0].(map[string]any)["name"] != "everything" {
			t.Errorf("operations %v", ops)
		}
		od := get(t, e.base+"/"+ref)
		if od.status != 200 {
			t.Fatalf("%s: %d", ref, od.status)
		}
		validate(t, "OperationDefinition", od.body)
		for _, c := range []struct {
			path   string
			status int
			says   string
		}{
			{"/Patient/999999/$everything", 404, "Patient/999999 is not known"},
			{"/Patient/$everything?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", 404, "no patient has the identifier"},
			{"/Patient/$everything?identifier=https://fhir.nhs.uk/Id/nhs-number|1234567890", 400, "NHS number"},
			{"/Patient/$everything", 400, "give the patient"},
			{"/Patient/3/$everything?_type=Unicorn", 400, "Unicorn"},
			{"/Patient/3/$everything?colour=blue", 400, "colour"},
			{"/Patient/3/$everything?_cursor=abc", 400, "cursor"},
		} {
			r := get(t, e.base+c.path)
			if r.status != c.status || !strings.Contains(issueText(t, r), c.says) {
				t.Errorf("%s: %d %s", c.path, r.status, truncate(string(r.body), 300))
			}
		}
	})
}

// No page of $everything or of a search repeats a fullUrl (bdl-7), and
// the record's Patient is on its first page only: on every mapping set.
func TestBundlesNeverRepeatAnEntry(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, base string, patients []string, searches []string) {
		for _, id := range patients {
			next := base + "/Patient/" + id + "/$everything?_count=7"
			for page := 0; next != "" && page < 40; page++ {
				r := get(t, next)
				if r.status != 200 {
					t.Fatalf("%s: %d", next, r.status)
				}
				b := r.json(t)
				noRepeats(t, "Patient/"+id+"/$everything page "+fmt.Sprint(page+1), b)
				if page > 0 {
					for _, en := range b["entry"].([]any) {
						res := en.(map[string]any)["resource"].(map[string]any)
						if res["resourceType"] == "Patient" && res["id"] == id {
							t.Errorf("Patient/%s/$everything: the Patient again on page %d", id, page+1)
						}
					}
				}
				next = link(b, "next")
			}
		}
		for _, q := range searches {
			for next := base + "/" + q; next != ""; {
				b := get(t, next).json(t)
				noRepeats(t, q, b)
				next = link(b, "next")
			}
		}
	}
	forEachBackend(t, func(t *testing.T, e *env) {
		check(t, e.base, []string{"1", "3", "7"}, []string{"Encounter?patient=1&_include=*&_revinclude=Observation:patient&_count=3",
			"Observation?patient=3&_include=Observation:patient&_include:iterate=Patient:general-practitioner&_count=4"})
	})
	t.Run("omop", func(t *testing.T) {
		e, _ := omopEnv(t)
		var ids []string
		for _, p := range omopRows(t, "person")[:3] {
			ids = append(ids, p["person_id"])
		}
		check(t, e.base, ids, []string{"Encounter?_count=5&_include=*"})
	})
}

func noRepeats(t *testing.T, what string, b map[string]any) {
	t.Helper()
	seen := map[string]bool{}
	entries, _ := b["entry"].([]any)
	for _, en := range entries {
		u, _ := en.(map[string]any)["fullUrl"].(string)
		if u == "" {
			continue
		}
		if seen[u] {
			t.Errorf("%s: %s appears twice", what, u)
		}
		seen[u] = true
	}
}

// references are the relative references ("Type/id") anywhere in v.
func references(v any) []string {
	var out []string
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && k == "reference" && strings.Count(s, "/") == 1 {
				out = append(out, s)
				continue
			}
			out = append(out, references(x)...)
		}
	case []any:
		for _, x := range t {
			out = append(out, references(x)...)
		}
	}
	return out
}

// $everything runs a page's sections a few at a time; the pages are those
// of the same sections run one after another (Sequential), entry for
// entry.
func TestEverythingSectionsConcurrently(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		opts := engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret"), Logger: demotest.Silent()}
		concurrent := serveDB(t, e.db, opts)
		opts.Sequential = true
		sequential := serveDB(t, e.db, opts)
		var queries []string
		for _, id := range []string{"1", "2", "3", "7", "12"} {
			for _, count := range []string{"3", "7", "50"} {
				queries = append(queries, "Patient/"+id+"/$everything?_count="+count)
			}
		}
		compareRendered(t, concurrent.base, sequential.base, queries)
	})
}

// Every patient's record, walked page by page at several page sizes,
// is the record on one page: no page is empty (a next link only when a
// page with entries follows), no resource is on two pages, none is left
// out.
func TestEverythingPagesWalkTheWholeRecord(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		matches := func(url string) []string {
			r := get(t, url)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", url, r.status, truncate(string(r.body), 300))
			}
			b := r.json(t)
			if link(b, "next") != "" {
				t.Fatalf("%s: the record does not fit one page", url)
			}
			return entryModes(t, b)["match"]
		}
		for id := 1; id <= demoPatients; id++ {
			whole := matches(fmt.Sprintf("%s/Patient/%d/$everything?_count=100", e.base, id))
			sort.Strings(whole)
			for _, count := range []int{1, 7, 20, 50} {
				// The small pages (most of the walk's cost) on a quarter
				// of the records, and on one known to end on a type's
				// last row.
				if count < 20 && id%4 != 0 && id != 114 {
					continue
				}
				start := fmt.Sprintf("%s/Patient/%d/$everything?_count=%d", e.base, id, count)
				var got []string
				seen := map[string]int{}
				pages := 0
				for next := start; next != ""; pages++ {
					if pages > len(whole) {
						t.Fatalf("%s: more pages than resources", start)
					}
					r := get(t, next)
					if r.status != 200 {
						t.Fatalf("%s: %d %s", next, r.status, truncate(string(r.body), 300))
					}
					b := r.json(t)
					page := entryModes(t, b)["match"]
					if len(page) == 0 {
						t.Errorf("%s: page %d is empty", start, pages+1)
					}
					if len(page) > count {
						t.Errorf("%s: page %d has %d resources", start, pages+1, len(page))
					}
					for _, k := range page {
						if p, ok := seen[k]; ok {
							t.Errorf("%s: %s on page %d and again on page %d", start, k, p, pages+1)
						}
						seen[k] = pages + 1
					}
					got = append(got, page...)
					next = link(b, "next")
				}
				sort.Strings(got)
				if strings.Join(got, ",") != strings.Join(whole, ",") {
					t.Errorf("%s: the pages hold\n %v\nthe record is\n %v", start, got, whole)
				}
			}
		}
	})
}

// $everything by identifier names one patient: an identifier given twice,
// a list of alternatives or an identifier beside the patient's id is a
// 400 that says so, as is a parameter that takes one value given twice;
// an identifier of no patient is a 404.
func TestEverythingByIdentifierNamesOnePatient(t *testing.T) {
	t.Parallel()
	nhs := map[string]string{}
	for _, p := range demoRows(t, "PATIENT") {
		if id := str(p["PATIENT_ID"]); id == "3" || id == "7" {
			nhs[id] = url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|" + strings.ReplaceAll(str(p["NHS_NUMBER"]), " ", ""))
		}
	}
	a, b := nhs["3"], nhs["7"]
	e := sqliteEnv(t)
	for _, c := range []struct {
		path   string
		status int
		says   []string
	}{
		{"/Patient/$everything?identifier=" + a + "&identifier=" + b, 400, []string{"identifier", "2 times", "once"}},
		{"/Patient/$everything?identifier=" + a + "&identifier=" + a, 400, []string{"identifier", "2 times", "once"}},
		{"/Patient/$everything?identifier=" + a + "," + b, 400, []string{"identifier", "alternatives"}},
		{"/Patient/3/$everything?identifier=" + b, 400, []string{"identifier", "Patient/3/$everything"}},
		{"/Patient/$everything?identifier=" + a + "&start=2010&start=2020", 400, []string{"start", "2 times", "once"}},
		{"/Patient/3/$everything?_count=5&_count=50", 400, []string{"_count", "2 times", "once"}},
		{"/Patient/$everything?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", 404, []string{"no patient has the identifier"}},
	} {
		r := get(t, e.base+c.path)
		text := ""
		if r.status != 200 {
			text = issueText(t, r)
			validate(t, "OperationOutcome", r.body)
		}
		for _, s := range c.says {
			if r.status != c.status || !strings.Contains(text, s) {
				t.Errorf("%s: %d %s; want %d saying %q", c.path, r.status, truncate(string(r.body), 300), c.status, s)
				break
			}
		}
	}
	// _type may be repeated: the types of all its values.
	r := get(t, e.base+"/Patient/3/$everything?_count=100&_type=Condition&_type=Observation")
	if r.status != 200 {
		t.Fatalf("_type twice: %d %s", r.status, truncate(string(r.body), 300))
	}
	types := map[string]bool{}
	for _, k := range entryModes(t, r.json(t))["match"] {
		types[strings.SplitN(k, "/", 2)[0]] = true
	}
	if len(types) != 2 || !types["Condition"] || !types["Observation"] {
		t.Errorf("_type=Condition&_type=Observation: %v", types)
	}
}
