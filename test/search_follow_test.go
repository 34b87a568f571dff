package test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// serveDemoWith serves db with the demo mappings, one file changed
// (replace pairs old, new), and returns the base URL.
func serveDemoWith(t *testing.T, db adapters.Adapter, file string, replace ...string) string {
	t.Helper()
	set := demotest.EditedDemoSet(t, file, replace...)
	return demotest.Serve(t, db, set, demotest.Config{Engine: engine.Options{MaxCount: 1000, DefaultCount: 50}}).Base
}

func ids(t *testing.T, b map[string]any, typ string) []string {
	var out []string
	for _, r := range entries(t, b) {
		if r["resourceType"] == typ {
			out = append(out, r["id"].(string))
		}
	}
	return out
}

// The cases of search that did not find what the resources show, each
// shown through HTTP on both databases.
func TestSearchFollowsTheElement(t *testing.T) {
	t.Parallel()
	// A patient with a previous name, a hospital number, a GP and a practice.
	var pat map[string]any
	alias := map[string]string{}
	for _, a := range demoRows(t, "PATIENT_ALIAS") {
		alias[str(a["PATIENT_ID"])] = strings.TrimSpace(str(a["SURNAME"]))
	}
	for _, p := range demoRows(t, "PATIENT") {
		id := str(p["PATIENT_ID"])
		if alias[id] != "" && !strings.EqualFold(alias[id], strings.TrimSpace(str(p["SURNAME"]))) && str(p["HOSPITAL_NO"]) != "" && p["GP_ID"] != nil && p["PRACTICE_CODE"] != nil {
			pat = p
			break
		}
	}
	if pat == nil {
		t.Fatal("the demo has no patient with a previous name, a hospital number, a GP and a practice")
	}
	id := str(pat["PATIENT_ID"])
	var gmp, gmpStaff string
	for _, c := range demoRows(t, "CLINICIAN") {
		if str(c["GP_CODE"]) != "" {
			gmp, gmpStaff = strings.TrimSpace(str(c["GP_CODE"])), str(c["STAFF_ID"])
			break
		}
	}
	forEachBackend(t, func(t *testing.T, e *env) {
		find := func(q string) map[string]any {
			t.Helper()
			r := get(t, e.base+"/"+q)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", q, r.status, truncate(string(r.body), 300))
			}
			return r.json(t)
		}
		one := func(q, typ, want string) {
			t.Helper()
			if got := ids(t, find(q), typ); len(got) != 1 || got[0] != want {
				t.Errorf("%s: %v, want %s/%s", q, got, typ, want)
			}
		}
		// 1. Names the resource shows: the previous name of PATIENT_ALIAS.
		one("Patient?family="+url.QueryEscape(alias[id])+"&_id="+id, "Patient", id)
		one("Patient?name="+url.QueryEscape(alias[id])+"&_id="+id, "Patient", id)
		// 2. Identifiers of every system the resource shows.
		one("Patient?identifier="+url.QueryEscape("https://fhir.example.nhs.uk/Id/hospital-number|"+strings.TrimSpace(str(pat["HOSPITAL_NO"]))), "Patient", id)
		one("Practitioner?identifier="+url.QueryEscape("https://fhir.hl7.org.uk/Id/gmp-number|"+gmp), "Practitioner", gmpStaff)
		// 4. A reference over two typed columns: each with its own type.
		practice := str(pat["PRACTICE_CODE"])
		one("Patient?general-practitioner="+url.QueryEscape("Organization/"+practice)+"&_id="+id, "Patient", id)
		one("Patient?general-practitioner:Organization="+url.QueryEscape(practice)+"&_id="+id, "Patient", id)
		one("Patient?general-practitioner="+url.QueryEscape("Practitioner/"+str(pat["GP_ID"]))+"&_id="+id, "Patient", id)
		if got := ids(t, find("Patient?general-practitioner="+url.QueryEscape("Practitioner/"+practice)+"&_id="+id), "Patient"); len(got) != 0 {
			t.Errorf("a practice code searched as a Practitioner found %v", got)
		}
		inc := find("Patient?_id=" + id + "&_include=Patient:general-practitioner")
		if o, p := ids(t, inc, "Organization"), ids(t, inc, "Practitioner"); len(o) != 1 || o[0] != practice || len(p) != 1 || p[0] != str(pat["GP_ID"]) {
			t.Errorf("_include=Patient:general-practitioner: Organization %v, Practitioner %v", o, p)
		}
		// 6. Case and accents, on every database.
		for _, v := range []string{"Seán", "SEÁN", "sean", "SEAN", "seÁn"} {
			b := find("Patient?given=" + url.QueryEscape(v) + "&_count=1000")
			if len(ids(t, b, "Patient")) == 0 {
				t.Errorf("given=%s finds nobody; the demo has patients named Seán", v)
			}
		}
	})
}

// 3. Codes: a vaccine shown with two codings (a local one from the row, a
// SNOMED CT one through a map) is found by either.
func TestSearchEveryCoding(t *testing.T) {
	t.Parallel()
	var code, vacc string
	for _, r := range demoRows(t, "IMMUNISATION") {
		if str(r["VACCINE_CODE"]) == "FLU" {
			code, vacc = "FLU", str(r["IMM_ID"])
			break
		}
	}
	if vacc == "" {
		t.Fatal("the demo has no FLU vaccination")
	}
	e := sqliteEnv(t)
	base := serveDemoWith(t, e.db, "immunization.yaml",
		"      - { column: VACCINE_CODE, concept: vaccine-snomed }   # SHING has no entry: text only\n",
		"      - { column: VACCINE_CODE, concept: vaccine-snomed }   # SHING has no entry: text only\n      - { system: https://fhir.example.nhs.uk/CodeSystem/local-vaccine, code: { column: VACCINE_CODE } }\n",
		"search:\n", "search:\n  vaccine-code: {}\n")
	for _, q := range []string{
		"vaccine-code=" + url.QueryEscape("http://snomed.info/sct|46233009"),
		"vaccine-code=" + url.QueryEscape("https://fhir.example.nhs.uk/CodeSystem/local-vaccine|"+code),
		"vaccine-code=" + code,
	} {
		r := get(t, base+"/Immunization?"+q+"&_id="+vacc)
		if got := ids(t, r.json(t), "Immunization"); len(got) != 1 {
			t.Errorf("%s: %d %v", q, r.status, got)
		}
	}
	if got := ids(t, get(t, base+"/Immunization?vaccine-code="+url.QueryEscape("http://snomed.info/sct|"+code)+"&_id="+vacc).json(t), "Immunization"); len(got) != 0 {
		t.Errorf("the local code searched as SNOMED CT found %v", got)
	}
}
