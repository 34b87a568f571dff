package test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/auth"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/cli"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/mapping"
	"github.com/ccfacade/ccfacade/server"
	"github.com/lestrrat-go/jwx/v2/jwa"
)

// The worked example of docs/mapping.md ("A worked example beyond Care
// Connect: family history"):
// FamilyMemberHistory and ProcedureRequest, types outside the demo's and
// without a Care Connect profile, mapped over a GP system's tables
// (docs/examples/familyhistory, the schema and rows in schema.sql). On
// SQLite, PostgreSQL and MySQL/MariaDB: lint passes against the database;
// reads and searches by their STU3 parameters find the rows the script
// holds (and the search oracle holds every declared parameter to what
// the resources show); _include follows the patient; the Patient
// compartment, $everything and a patient's token take them in (a
// ProcedureRequest through subject, the parameter STU3's
// CompartmentDefinition names); the CapabilityStatement lists them with
// their parameters; and every resource served is valid STU3 to both
// validators.

const familyHistory = "../docs/examples/familyhistory"

// familyHistorySet is the example's mapping set.
func familyHistorySet(t *testing.T) *mapping.Set {
	t.Helper()
	set, err := mapping.LoadDir(filepath.Join(familyHistory, "mappings"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// forEachFamilyHistoryScript runs fn on each backend holding the example's
// schema and rows.
func forEachFamilyHistoryScript(t *testing.T, fn func(t *testing.T, s scriptDB)) {
	script, err := os.ReadFile(filepath.Join(familyHistory, "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	forEachScript(t, string(script), fn)
}

// forEachFamilyHistory serves the example over each backend: fn gets the
// facade, and the arguments that name the database to the command line.
func forEachFamilyHistory(t *testing.T, fn func(t *testing.T, e *env, dbArgs []string)) {
	set := familyHistorySet(t)
	forEachFamilyHistoryScript(t, func(t *testing.T, s scriptDB) {
		opts := engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret")}
		fn(t, envOf(demotest.Serve(t, s.db, set, demotest.Config{Engine: opts})), []string{"-adapter", s.adapter, "-dsn", s.dsn})
	})
}

// byMode lists the "Type/id" of a Bundle's entries of a search mode, sorted.
func byMode(t *testing.T, b map[string]any, mode string) []string {
	t.Helper()
	var out []string
	list, _ := b["entry"].([]any)
	for _, en := range list {
		en := en.(map[string]any)
		if s, _ := en["search"].(map[string]any); s["mode"] != mode {
			continue
		}
		r := en["resource"].(map[string]any)
		out = append(out, fmt.Sprint(r["resourceType"], "/", r["id"]))
	}
	sort.Strings(out)
	return out
}

func TestFamilyHistoryExample(t *testing.T) {
	t.Parallel()
	forEachFamilyHistory(t, func(t *testing.T, e *env, dbArgs []string) {
		// lint, against the database: the mappings, every table and
		// column, the sample rows rendered (no Care Connect profile to
		// check them against: noted, not failed).
		var out, errb bytes.Buffer
		if code := cli.Run(context.Background(), append([]string{"lint", "-mappings", filepath.Join(familyHistory, "mappings")}, dbArgs...), &out, &errb); code != 0 ||
			!strings.Contains(out.String(), "ok: 3 mapping(s); every table and column exists") {
			t.Errorf("lint: exit %d\n%s%s", code, out.String(), errb.String())
		}

		// Every resource, read and searched, is valid STU3 to google/fhir's
		// validator and to FHIR.js, as JSON and as XML.
		docs := map[string][]byte{}
		for typ, n := range map[string]int{"FamilyMemberHistory": 6, "ProcedureRequest": 4, "Patient": 3} {
			b := get(t, e.base+"/"+typ+"?_count=100")
			validate(t, typ+" search", b.body)
			if got := len(entries(t, b.json(t))); got != n {
				t.Errorf("%s: %d resources, want %d", typ, got, n)
			}
			for i := 1; i <= n; i++ {
				r := get(t, fmt.Sprintf("%s/%s/%d", e.base, typ, i))
				if r.status != 200 {
					t.Fatalf("%s/%d: %d %s", typ, i, r.status, r.body)
				}
				validate(t, fmt.Sprintf("%s/%d", typ, i), r.body)
				docs[fmt.Sprintf("%s/%d", typ, i)] = r.body
			}
		}
		validateFHIRJS(t, docs)
		xmlRoundTrip(t, []string{e.base + "/FamilyMemberHistory/1", e.base + "/ProcedureRequest/2", e.base + "/FamilyMemberHistory?patient=1"})

		// The values, from the rows of schema.sql.
		fmh := get(t, e.base+"/FamilyMemberHistory/1").json(t)
		for path, want := range map[string]string{
			"status": "completed", "patient": "map[reference:Patient/1]", "date": "2019-03-01", "name": "Ann Smith", "gender": "female",
			"relationship": "map[coding:[map[code:MTH display:mother system:http://hl7.org/fhir/v3/RoleCode]]]", "deceasedBoolean": "false",
			"condition": "[map[code:map[coding:[map[code:254837009 display:Breast cancer system:http://snomed.info/sct]]] onsetAge:map[code:a system:http://unitsofmeasure.org unit:years value:44]] " +
				"map[code:map[coding:[map[code:44054006 display:Type 2 diabetes mellitus system:http://snomed.info/sct]]]]]",
		} {
			if got := fmt.Sprint(fmh[path]); got != want {
				t.Errorf("FamilyMemberHistory/1 %s: %s, want %s", path, got, want)
			}
		}
		if _, ok := fmh["meta"]; ok {
			t.Errorf("FamilyMemberHistory/1 has meta %v: the mapping names no profile", fmh["meta"])
		}
		fmh5 := get(t, e.base+"/FamilyMemberHistory/5").json(t)
		if fmh5["status"] != "health-unknown" || fmh5["condition"] != nil || fmh5["deceasedBoolean"] != nil {
			t.Errorf("FamilyMemberHistory/5: %v", fmh5)
		}
		pr := get(t, e.base+"/ProcedureRequest/2").json(t)
		if got := fmt.Sprint(pr["status"], " ", pr["intent"], " ", pr["priority"], " ", pr["subject"], " ", pr["authoredOn"]); got != "active order urgent map[reference:Patient/2] 2020-11-27" {
			t.Errorf("ProcedureRequest/2: %s", got)
		}

		// Searches by the STU3 parameters, and in the Patient compartment,
		// find exactly the rows.
		findsIDs(t, e.base, map[string]string{
			"FamilyMemberHistory?patient=1":                                                       "1 2 3",
			"FamilyMemberHistory?patient=Patient/2":                                               "4 5",
			"FamilyMemberHistory?patient:Patient=3":                                               "6",
			"FamilyMemberHistory?date=2019-03-01":                                                 "1 2",
			"FamilyMemberHistory?date=ge2020":                                                     "3 4 5 6",
			"FamilyMemberHistory?date=lt2020-11-21&date=gt2019":                                   "4 5",
			"FamilyMemberHistory?relationship=MTH":                                                "1 4",
			"FamilyMemberHistory?relationship=http://hl7.org/fhir/v3/RoleCode|FTH":                "2 6",
			"FamilyMemberHistory?status=completed":                                                "1 3 4",
			"FamilyMemberHistory?status=partial,health-unknown":                                   "2 5",
			"FamilyMemberHistory?status:not=completed":                                            "2 5 6",
			"FamilyMemberHistory?code=http://snomed.info/sct|254837009":                           "1 4",
			"FamilyMemberHistory?code=22298006":                                                   "2 6",
			"FamilyMemberHistory?code:missing=true":                                               "5",
			"FamilyMemberHistory?gender=female":                                                   "1 4 5",
			"FamilyMemberHistory?identifier=https://example.org/gp-system/relative-id|3":          "3",
			"FamilyMemberHistory?_id=2,5":                                                         "2 5",
			"FamilyMemberHistory?patient=1&code=44054006":                                         "1",
			"FamilyMemberHistory?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9434765870": "4 5",
			"ProcedureRequest?subject=2":                                                          "2 3",
			"ProcedureRequest?subject:Patient.family=nguyen":                                      "4",
			"ProcedureRequest?status=active":                                                      "2 4",
			"ProcedureRequest?priority=urgent":                                                    "2",
			"ProcedureRequest?code=http://snomed.info/sct|29303009":                               "4",
			"ProcedureRequest?authored=2020":                                                      "2 3",
			"ProcedureRequest?intent=order&_sort=-authored":                                       "4 3 2 1",
			"Patient/1/FamilyMemberHistory":                                                       "1 2 3",
			"Patient/2/FamilyMemberHistory?relationship=MTH":                                      "4",
			"Patient/2/ProcedureRequest":                                                          "2 3",
			"Patient/3/ProcedureRequest?status=active":                                            "4",
		})

		// definition is an STU3 parameter the mapping does not declare.
		if r := get(t, e.base+"/FamilyMemberHistory?definition=Questionnaire/1"); r.status != 400 {
			t.Errorf("an undeclared parameter: %d", r.status)
		}
		searchOracle(t, e.base, nil)

		// _include and _revinclude follow the patient.
		b := get(t, e.base+"/FamilyMemberHistory?relationship=MTH&_include=FamilyMemberHistory:patient").json(t)
		if got := fmt.Sprint(byMode(t, b, "match"), byMode(t, b, "include")); got != "[FamilyMemberHistory/1 FamilyMemberHistory/4] [Patient/1 Patient/2]" {
			t.Errorf("_include=FamilyMemberHistory:patient: %s", got)
		}
		b = get(t, e.base+"/ProcedureRequest?status=active&_include=ProcedureRequest:subject").json(t)
		if got := fmt.Sprint(byMode(t, b, "include")); got != "[Patient/2 Patient/3]" {
			t.Errorf("_include=ProcedureRequest:subject: %s", got)
		}
		b = get(t, e.base+"/Patient?_id=2&_revinclude=FamilyMemberHistory:patient&_revinclude=ProcedureRequest:subject").json(t)
		if got := fmt.Sprint(byMode(t, b, "include")); got != "[FamilyMemberHistory/4 FamilyMemberHistory/5 ProcedureRequest/2 ProcedureRequest/3]" {
			t.Errorf("_revinclude: %s", got)
		}

		// $everything.
		r := get(t, e.base+"/Patient/2/$everything")
		validate(t, "Patient/2/$everything", r.body)
		if got := fmt.Sprint(byMode(t, r.json(t), "match")); got != "[FamilyMemberHistory/4 FamilyMemberHistory/5 Patient/2 ProcedureRequest/2 ProcedureRequest/3]" {
			t.Errorf("Patient/2/$everything: %d %s", r.status, got)
		}

		// _elements keeps the patient reference and marks the resource
		// SUBSETTED (it has no meta of its own: the tag makes one).
		b = get(t, e.base+"/FamilyMemberHistory?_id=1&_elements=relationship").json(t)
		sub := entries(t, b)[0]
		if _, ok := sub["condition"]; ok || sub["patient"] == nil || sub["relationship"] == nil || !strings.Contains(fmt.Sprint(sub["meta"]), "SUBSETTED") {
			t.Errorf("_elements=relationship: %v", sub)
		}
		validateFHIRJS(t, map[string][]byte{"FamilyMemberHistory/1 subsetted": get(t, e.base+"/FamilyMemberHistory?_id=1&_elements=relationship").body})

		// The CapabilityStatement lists both types with their parameters
		// and their STU3 definitions, the includes, and $everything.
		caps := get(t, e.base+"/metadata")
		validate(t, "metadata", caps.body)
		stated := map[string]map[string]any{}
		for _, res := range caps.json(t)["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
			res := res.(map[string]any)
			stated[res["type"].(string)] = res
		}
		for typ, want := range map[string]string{
			"FamilyMemberHistory": "_id:token:Resource-id code:token:clinical-code date:date:clinical-date gender:token:FamilyMemberHistory-gender identifier:token:clinical-identifier patient:reference:clinical-patient relationship:token:FamilyMemberHistory-relationship status:token:FamilyMemberHistory-status",
			"ProcedureRequest":    "_id:token:Resource-id authored:date:ProcedureRequest-authored code:token:clinical-code intent:token:ProcedureRequest-intent priority:token:ProcedureRequest-priority status:token:ProcedureRequest-status subject:reference:ProcedureRequest-subject",
		} {
			var got []string
			for _, p := range stated[typ]["searchParam"].([]any) {
				p := p.(map[string]any)
				got = append(got, fmt.Sprint(p["name"], ":", p["type"], ":", strings.TrimPrefix(fmt.Sprint(p["definition"]), "http://hl7.org/fhir/SearchParameter/")))
			}
			sort.Strings(got)
			if strings.Join(got, " ") != want {
				t.Errorf("CapabilityStatement %s: %s\nwant %s", typ, strings.Join(got, " "), want)
			}
		}
		if got := fmt.Sprint(stated["FamilyMemberHistory"]["searchInclude"], stated["Patient"]["searchRevInclude"]); got != "[FamilyMemberHistory:patient *] [FamilyMemberHistory:patient ProcedureRequest:subject]" {
			t.Errorf("CapabilityStatement includes: %s", got)
		}
		if !strings.Contains(string(caps.body), `"name":"everything"`) {
			t.Error("CapabilityStatement: no $everything")
		}
	})
}

// A token for one patient reaches that patient's family history and
// requests only: the ProcedureRequests through subject, the parameter
// STU3 puts them in the Patient compartment by.
func TestFamilyHistoryPatientToken(t *testing.T) {
	t.Parallel()
	keys := authtest.New(t)
	v, err := auth.New(context.Background(), auth.Config{JWKSURL: keys.URL, Issuers: []string{authtest.Issuer}, Audiences: []string{authtest.Audience}})
	if err != nil {
		t.Fatal(err)
	}
	set := familyHistorySet(t)
	forEachFamilyHistoryScript(t, func(t *testing.T, s scriptDB) {
		base := demotest.Serve(t, s.db, set, demotest.Config{Server: server.Options{Verifier: v}}).Base
		tok := "Bearer " + authtest.Sign(t, keys.RSA, jwa.RS256, "patient/*.read", "2", nil)
		for q, want := range map[string]string{
			"FamilyMemberHistory": "FamilyMemberHistory/4 FamilyMemberHistory/5",
			"ProcedureRequest":    "ProcedureRequest/2 ProcedureRequest/3",
			"ProcedureRequest?_include=ProcedureRequest:subject":      "Patient/2 ProcedureRequest/2 ProcedureRequest/3",
			"Patient/2/$everything":                                   "FamilyMemberHistory/4 FamilyMemberHistory/5 Patient/2 ProcedureRequest/2 ProcedureRequest/3",
			"Patient?_revinclude=ProcedureRequest:subject":            "Patient/2 ProcedureRequest/2 ProcedureRequest/3",
			"FamilyMemberHistory?code=" + url.QueryEscape("22298006"): "",
		} {
			r := get(t, base+"/"+q, "Authorization", tok)
			if r.status != 200 {
				t.Errorf("%s: %d %s", q, r.status, truncate(string(r.body), 300))
				continue
			}
			b := r.json(t)
			got := append(byMode(t, b, "match"), byMode(t, b, "include")...)
			slices.Sort(got)
			if strings.Join(got, " ") != want {
				t.Errorf("%s: %v, want %s", q, got, want)
			}
		}
		for _, q := range []string{"FamilyMemberHistory/1", "ProcedureRequest/4", "Patient/1/ProcedureRequest"} {
			if r := get(t, base+"/"+q, "Authorization", tok); r.status != 403 && r.status != 404 {
				t.Errorf("%s with the token of Patient/2: %d", q, r.status)
			}
		}
	})
}

// FHIR.js, the second validator, rejects what STU3 does not allow: a
// required element missing, an element STU3 does not define.
func TestFHIRJSValidatorRejects(t *testing.T) {
	t.Parallel()
	errs := fhirJSErrors(t, map[string][]byte{
		"good":     []byte(`{"resourceType": "FamilyMemberHistory", "status": "completed", "patient": {"reference": "Patient/1"}, "relationship": {"text": "mother"}}`),
		"required": []byte(`{"resourceType": "FamilyMemberHistory", "status": "completed", "patient": {"reference": "Patient/1"}}`),
		"unknown":  []byte(`{"resourceType": "FamilyMemberHistory", "status": "completed", "patient": {"reference": "Patient/1"}, "relationship": {"text": "mother"}, "relative": "x"}`),
	})
	if len(errs["good"]) > 0 || len(errs["required"]) == 0 || len(errs["unknown"]) == 0 {
		t.Errorf("FHIR.js: %v", errs)
	}
}

// docs/mapping.md shows the example's FamilyMemberHistory mapping as it
// is.
func TestFamilyHistoryDocsShowTheMapping(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/mapping.md")
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(familyHistory, "mappings", "familymemberhistory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```yaml\n"+string(file)+"```\n") {
		t.Error("docs/mapping.md does not show docs/examples/familyhistory/mappings/familymemberhistory.yaml as it is")
	}
}

// findsIDs checks that each query (a path under base) answers with
// exactly the resources of the ids want lists: sorted, but for a query
// with _sort, in its order.
func findsIDs(t *testing.T, base string, queries map[string]string) {
	t.Helper()
	for q, want := range queries {
		r := get(t, base+"/"+q)
		if r.status != 200 {
			t.Errorf("%s: %d %s", q, r.status, truncate(string(r.body), 300))
			continue
		}
		var got []string
		for _, res := range entries(t, r.json(t)) {
			got = append(got, fmt.Sprint(res["id"]))
		}
		if !strings.Contains(q, "_sort") {
			sort.Strings(got)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s: %v, want %s", q, got, want)
		}
	}
}

// A type outside the demo's under a profile: a List claiming Care
// Connect's List profile, beside the family-history example, on each
// backend. lint (which renders sample rows and runs the profile checker)
// passes; each List is valid STU3, passes the profile checker, claims the
// profile, and holds exactly the FamilyMemberHistory resources the same
// facade finds by patient; searches by its STU3 parameters find it.
func TestProfiledTypeOutsideTheDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, src := range []string{filepath.Join(familyHistory, "mappings", "patient.yaml"), filepath.Join(familyHistory, "mappings", "familymemberhistory.yaml"), "testdata/listprofile/list.yaml"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(src)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := mapping.LoadDir(dir, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join(familyHistory, "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	const listProfile = "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-List-1"
	forEachScript(t, string(script), func(t *testing.T, s scriptDB) {
		var out, errb bytes.Buffer
		if code := cli.Run(context.Background(), []string{"lint", "-mappings", dir, "-adapter", s.adapter, "-dsn", s.dsn}, &out, &errb); code != 0 ||
			!strings.Contains(out.String(), "conform to their profiles") {
			t.Errorf("lint: exit %d\n%s%s", code, out.String(), errb.String())
		}
		e := envOf(demotest.Serve(t, s.db, set, demotest.Config{Engine: engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret")}}))
		lists := walk(t, e.base+"/List?_count=5")
		patients := walk(t, e.base+"/Patient?_count=5")
		if len(lists) == 0 || len(lists) != len(patients) {
			t.Fatalf("%d Lists for %d patients", len(lists), len(patients))
		}
		withEntries := 0
		for _, l := range lists {
			id := l["id"].(string)
			validate(t, "List/"+id, get(t, e.base+"/List/"+id).body)
			for _, p := range profile.Builtin().Check(l) {
				t.Errorf("List/%s: %s", id, p)
			}
			if prof, _ := l["meta"].(map[string]any)["profile"].([]any); len(prof) != 1 || prof[0] != listProfile {
				t.Errorf("List/%s claims %v", id, prof)
			}
			var items []string
			entries, _ := l["entry"].([]any)
			for _, en := range entries {
				items = append(items, en.(map[string]any)["item"].(map[string]any)["reference"].(string))
			}
			var want []string
			for _, f := range walk(t, e.base+"/FamilyMemberHistory?patient="+id+"&_count=5") {
				want = append(want, "FamilyMemberHistory/"+f["id"].(string))
			}
			slices.Sort(items)
			slices.Sort(want)
			if !slices.Equal(items, want) {
				t.Errorf("List/%s holds %v; the patient's FamilyMemberHistory resources are %v", id, items, want)
			}
			if len(items) > 0 {
				withEntries++
			}
			for _, q := range []string{"patient=" + id, "subject=Patient/" + id, "subject:Patient=" + id} {
				found := walk(t, e.base+"/List?"+q)
				if len(found) != 1 || found[0]["id"] != id {
					t.Errorf("List?%s found %d", q, len(found))
				}
			}
		}
		if withEntries == 0 {
			t.Error("no List has an entry: the example's rows hold relatives")
		}
	})
}
