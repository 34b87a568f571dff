package test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/internal/cli"
)

// The end-to-end tests of the OMOP CDM 5.4 mapping set (mappingsets/omop)
// on PostgreSQL: the OHDSI DDL, the Synthea27Nj sample loaded from its CSV
// files, served over HTTP. Every expected value is computed from the CSV
// rows (omopRows), not from the database.

// omopConcepts indexes the concept table by concept_id.
func omopConcepts(t *testing.T) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, c := range omopRows(t, "concept") {
		out[c["concept_id"]] = c
	}
	return out
}

// omopWant is what the OMOP test data should give: the ids of every
// resource type, from the source rows.
func omopWant(t *testing.T) map[string][]string {
	t.Helper()
	concepts := omopConcepts(t)
	ids := func(table, col, prefix string, keep func(map[string]string) bool) []string {
		var out []string
		for _, r := range omopRows(t, table) {
			if keep == nil || keep(r) {
				out = append(out, prefix+r[col])
			}
		}
		return out
	}
	isVaccine := func(r map[string]string) bool { return concepts[r["drug_concept_id"]]["vocabulary_id"] == "CVX" }
	meds := map[string]bool{}
	for _, r := range omopRows(t, "drug_exposure") {
		if c := concepts[r["drug_concept_id"]]; c != nil && !isVaccine(r) && r["drug_concept_id"] != "0" {
			meds[r["drug_concept_id"]] = true
		}
	}
	var medIDs []string
	for id := range meds {
		medIDs = append(medIDs, id)
	}
	return map[string][]string{
		"Patient":             ids("person", "person_id", "", nil),
		"Practitioner":        ids("provider", "provider_id", "", nil),
		"Organization":        ids("care_site", "care_site_id", "", nil),
		"Location":            ids("location", "location_id", "", nil),
		"Encounter":           ids("visit_occurrence", "visit_occurrence_id", "", nil),
		"Condition":           ids("condition_occurrence", "condition_occurrence_id", "", nil),
		"Procedure":           ids("procedure_occurrence", "procedure_occurrence_id", "", nil),
		"Observation":         append(ids("measurement", "measurement_id", "measurement.", nil), ids("observation", "observation_id", "observation.", nil)...),
		"MedicationStatement": ids("drug_exposure", "drug_exposure_id", "", func(r map[string]string) bool { return !isVaccine(r) }),
		"Immunization":        ids("drug_exposure", "drug_exposure_id", "", isVaccine),
		"Medication":          medIDs,
	}
}

// The conformance sweep: every resource of every type is paged through,
// each page checked by the STU3 validator, each resource by the Care
// Connect profile checker and read back by id; the ids are exactly those
// of the source rows; every reference resolves; nothing was logged as a
// value that could not be rendered.
func TestOMOPEveryResourceValidAndCounted(t *testing.T) {
	t.Parallel()
	want := omopWant(t)
	if n := len(omopSet(t).Mappings); len(want) != n {
		t.Fatalf("the sweep covers %d types, the OMOP set maps %d", len(want), n)
	}
	for typ, ids := range want {
		if len(ids) == 0 {
			t.Fatalf("the test data give no %s", typ)
		}
	}
	forEachOMOP(t, func(t *testing.T, e *env, logs *logBuffer) {
		refs := map[string]bool{}
		problems := map[string]bool{}
		for typ, wantIDs := range want {
			res := walk(t, e.base+"/"+typ+"?_count=100")
			var got []string
			for _, r := range res {
				got = append(got, r["id"].(string))
				collectRefs(r, refs)
				for _, p := range profile.Check(r) {
					problems[typ+"/"+r["id"].(string)+": "+p.String()] = true
				}
			}
			sort.Strings(got)
			sort.Strings(wantIDs)
			if !reflect.DeepEqual(got, wantIDs) {
				t.Errorf("%s: served %d resources, the source has %d rows (first served %v, first rows %v)",
					typ, len(got), len(wantIDs), got[:min(len(got), 5)], wantIDs[:min(len(wantIDs), 5)])
			}
			// Each resource is read back by id on one of the three
			// backends, a third of them on each (the read's SQL is each
			// backend's; its rendering, the same code on all).
			part, ok := omopBackendIndex[e.name]
			if !ok {
				t.Fatalf("%s is not an OMOP backend", e.name)
			}
			readBackShare(t, e, typ, res, part, len(omopBackends))
		}
		reportProblems(t, problems)
		profileCheckerIsLive(t, e)
		// Every kind of reference the mappings make is present, and resolves.
		kinds := map[string]bool{}
		for ref := range refs {
			kinds[strings.SplitN(ref, "/", 2)[0]] = true
			if r := get(t, e.base+"/"+ref); r.status != http.StatusOK {
				t.Errorf("reference %s does not resolve: %d", ref, r.status)
			}
		}
		for _, k := range []string{"Patient", "Practitioner", "Organization", "Location", "Encounter", "Medication"} {
			if !kinds[k] {
				t.Errorf("no reference to a %s was served", k)
			}
		}
		if l := logs.String(); l != "" {
			t.Errorf("the facade logged problems:\n%s", truncate(l, 3000))
		}
	})
}

// The resources carry the source rows' values: codes resolved through the
// concept table to their systems, genders, dates, links.
func TestOMOPResourceContent(t *testing.T) {
	t.Parallel()
	concepts := omopConcepts(t)
	forEachOMOP(t, func(t *testing.T, e *env, _ *logBuffer) {
		read := func(ref string) map[string]any {
			t.Helper()
			r := get(t, e.base+"/"+ref)
			if r.status != http.StatusOK {
				t.Fatalf("%s: %d %s", ref, r.status, truncate(string(r.body), 300))
			}
			return r.json(t)
		}
		deaths := map[string]string{}
		for _, d := range omopRows(t, "death") {
			deaths[d["person_id"]] = d["death_date"]
		}
		gender := map[string]string{"8507": "male", "8532": "female"}
		for _, p := range omopRows(t, "person") {
			id := p["person_id"]
			res := read("Patient/" + id)
			if res["gender"] != gender[p["gender_concept_id"]] {
				t.Errorf("Patient/%s gender %v, gender_concept_id %s", id, res["gender"], p["gender_concept_id"])
			}
			want := p["year_of_birth"]
			if p["month_of_birth"] != "" {
				want += fmt.Sprintf("-%02s", p["month_of_birth"])
				if p["day_of_birth"] != "" {
					want += fmt.Sprintf("-%02s", p["day_of_birth"])
				}
			}
			if p["birth_datetime"] != "" {
				want = p["birth_datetime"][:10]
			}
			if res["birthDate"] != want {
				t.Errorf("Patient/%s birthDate %v, want %s (birth_datetime %s)", id, res["birthDate"], want, p["birth_datetime"])
			}
			if dig(res, "identifier", 0, "value") != p["person_source_value"] {
				t.Errorf("Patient/%s identifier %v", id, res["identifier"])
			}
			if got, want := res["deceasedDateTime"], deaths[id]; (want == "" && got != nil) || (want != "" && got != want) {
				t.Errorf("Patient/%s deceasedDateTime %v, death_date %q", id, got, want)
			}
			if dig(res, "name", 0, "use") != "official" || dig(res, "name", 0, "_family", "extension", 0, "valueCode") != "masked" {
				t.Errorf("Patient/%s name %v", id, res["name"])
			}
			if p["location_id"] != "" {
				var loc map[string]string
				for _, l := range omopRows(t, "location") {
					if l["location_id"] == p["location_id"] {
						loc = l
					}
				}
				if dig(res, "address", 0, "postalCode") != loc["zip"] || dig(res, "address", 0, "city") != loc["city"] {
					t.Errorf("Patient/%s address %v, location %v", id, res["address"], loc)
				}
				if dig(res, "managingOrganization", "reference") != "Organization/"+p["care_site_id"] {
					t.Errorf("Patient/%s managingOrganization %v", id, res["managingOrganization"])
				}
			} else if res["address"] != nil || res["managingOrganization"] != nil {
				t.Errorf("Patient/%s has an address or organisation the source does not: %v", id, res)
			}
		}

		// A Coding from the concept table: system by vocabulary, code, name.
		// Concept 0, or one missing from the vocabulary, gives no coding.
		coding := func(conceptID string) any {
			c := concepts[conceptID]
			sys := map[string]string{"SNOMED": "http://snomed.info/sct", "LOINC": "http://loinc.org", "RxNorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
				"CVX": "http://hl7.org/fhir/sid/cvx", "UCUM": "http://unitsofmeasure.org"}[c["vocabulary_id"]]
			if c == nil || conceptID == "0" || sys == "" {
				return nil
			}
			return map[string]any{"system": sys, "code": c["concept_code"], "display": c["concept_name"]}
		}
		for i, co := range omopRows(t, "condition_occurrence") {
			if i%10 != 0 {
				continue
			}
			res := read("Condition/" + co["condition_occurrence_id"])
			if got := dig(res, "code", "coding", 0); !reflect.DeepEqual(got, coding(co["condition_concept_id"])) {
				t.Errorf("Condition/%s coding %v, want %v", co["condition_occurrence_id"], got, coding(co["condition_concept_id"]))
			}
			status := "active"
			if co["condition_end_date"] != "" {
				status = "resolved"
			}
			if res["clinicalStatus"] != status || res["onsetDateTime"] != co["condition_start_date"] {
				t.Errorf("Condition/%s status %v onset %v, row %v", co["condition_occurrence_id"], res["clinicalStatus"], res["onsetDateTime"], co)
			}
			if dig(res, "subject", "reference") != "Patient/"+co["person_id"] {
				t.Errorf("Condition/%s subject %v", co["condition_occurrence_id"], res["subject"])
			}
		}
		// observation reads the Observation of a row of table (measurement
		// or observation), and checks its coding.
		observation := func(table string, r map[string]string) (string, map[string]any) {
			id := table + "." + r[table+"_id"]
			res := read("Observation/" + id)
			if got, want := dig(res, "code", "coding", 0), coding(r[table+"_concept_id"]); !reflect.DeepEqual(got, want) {
				t.Errorf("Observation/%s coding %v, want %v", id, got, want)
			}
			return id, res
		}
		vitals := regexp.MustCompile(`^(8867-4|9279-1|8310-5|8302-2|29463-7|39156-5|8480-6|8462-4|85354-9|59408-5|2708-6|9843-4)$`)
		for i, m := range omopRows(t, "measurement") {
			if i%50 != 0 {
				continue
			}
			id, res := observation("measurement", m)
			if m["value_as_number"] != "" {
				q := res["valueQuantity"].(map[string]any)
				if v, _ := strconv.ParseFloat(m["value_as_number"], 64); q["value"] != v || q["unit"] != m["unit_source_value"] {
					t.Errorf("Observation/%s valueQuantity %v, row %v", id, q, m)
				}
				if u := concepts[m["unit_concept_id"]]; u != nil && u["vocabulary_id"] == "UCUM" && (q["system"] != "http://unitsofmeasure.org" || q["code"] != u["concept_code"]) {
					t.Errorf("Observation/%s unit %v, unit concept %v", id, q, u)
				} else if (u == nil || u["vocabulary_id"] != "UCUM") && (q["system"] != nil || q["code"] != nil) {
					t.Errorf("Observation/%s unit %v: a code without a known system, unit concept %v", id, q, u)
				}
			} else if m["value_source_value"] != "" && res["valueString"] != m["value_source_value"] {
				t.Errorf("Observation/%s valueString %v, value_source_value %q", id, res["valueString"], m["value_source_value"])
			}
			isVital := concepts[m["measurement_concept_id"]]["vocabulary_id"] == "LOINC" && vitals.MatchString(concepts[m["measurement_concept_id"]]["concept_code"])
			if (dig(res, "category", 0, "coding", 0, "code") == "vital-signs") != isVital {
				t.Errorf("Observation/%s category %v for %v", id, res["category"], concepts[m["measurement_concept_id"]])
			}
		}
		for i, o := range omopRows(t, "observation") {
			if i%50 != 0 {
				continue
			}
			id, res := observation("observation", o)
			if res["effectiveDateTime"] != o["observation_date"] || dig(res, "context", "reference") != "Encounter/"+o["visit_occurrence_id"] {
				t.Errorf("Observation/%s effective %v context %v", id, res["effectiveDateTime"], res["context"])
			}
		}
		for _, d := range omopRows(t, "drug_exposure") {
			c := concepts[d["drug_concept_id"]]
			if c["vocabulary_id"] == "CVX" {
				res := read("Immunization/" + d["drug_exposure_id"])
				if got := dig(res, "vaccineCode", "coding", 0); !reflect.DeepEqual(got, coding(d["drug_concept_id"])) {
					t.Errorf("Immunization/%s vaccineCode %v", d["drug_exposure_id"], got)
				}
				if res["primarySource"] != (d["drug_type_concept_id"] != "32865") || res["date"] != d["drug_exposure_start_date"] {
					t.Errorf("Immunization/%s primarySource %v date %v, row %v", d["drug_exposure_id"], res["primarySource"], res["date"], d)
				}
				continue
			}
			if n, _ := strconv.Atoi(d["drug_exposure_id"]); n > 40 {
				continue // a few are enough
			}
			res := read("MedicationStatement/" + d["drug_exposure_id"])
			if dig(res, "medicationReference", "reference") != "Medication/"+d["drug_concept_id"] || dig(res, "medicationReference", "display") != c["concept_name"] {
				t.Errorf("MedicationStatement/%s medication %v", d["drug_exposure_id"], res["medicationReference"])
			}
			status := "active"
			if d["drug_exposure_end_date"] < time.Now().Format("2006-01-02") {
				status = "completed"
			}
			if res["status"] != status || dig(res, "effectivePeriod", "start") != d["drug_exposure_start_date"] {
				t.Errorf("MedicationStatement/%s status %v period %v, row %v", d["drug_exposure_id"], res["status"], res["effectivePeriod"], d)
			}
			med := read("Medication/" + d["drug_concept_id"])
			if dig(med, "code", "text") != c["concept_name"] || dig(med, "code", "coding") != nil {
				t.Errorf("Medication/%s code %v: RxNorm has no place in the dm+d binding, the name does", d["drug_concept_id"], med["code"])
			}
		}
		classes := map[string]string{"9201": "IMP", "9202": "AMB", "9203": "EMER"}
		for i, v := range omopRows(t, "visit_occurrence") {
			if i%25 != 0 && v["care_site_id"] == "" {
				continue
			}
			id := v["visit_occurrence_id"]
			res := read("Encounter/" + id)
			if dig(res, "class", "code") != classes[v["visit_concept_id"]] || dig(res, "period", "start") != v["visit_start_date"] || dig(res, "period", "end") != v["visit_end_date"] {
				t.Errorf("Encounter/%s class %v period %v, row %v", id, res["class"], res["period"], v)
			}
			if v["care_site_id"] != "" {
				loc := map[string]string{"1": "3", "2": "4"}[v["care_site_id"]] // extra/CARE_SITE.csv
				if dig(res, "serviceProvider", "reference") != "Organization/"+v["care_site_id"] || dig(res, "location", 0, "location", "reference") != "Location/"+loc {
					t.Errorf("Encounter/%s serviceProvider %v location %v", id, res["serviceProvider"], res["location"])
				}
			}
		}
		for _, p := range omopRows(t, "provider")[:5] {
			res := read("Practitioner/" + p["provider_id"])
			if dig(res, "name", 0, "text") != p["provider_name"] || res["gender"] != gender[p["gender_concept_id"]] {
				t.Errorf("Practitioner/%s name %v gender %v, row %v", p["provider_id"], res["name"], res["gender"], p)
			}
		}
	})
}

// Searches, with expected results counted in the CSV rows.
func TestOMOPSearches(t *testing.T) {
	t.Parallel()
	concepts := omopConcepts(t)
	count := func(table string, pred func(r map[string]string) bool) int {
		n := 0
		for _, r := range omopRows(t, table) {
			if pred(r) {
				n++
			}
		}
		return n
	}
	// mostFrequent is the value of col most frequent in the rows of table
	// that keep takes (of values as frequent, the least).
	mostFrequent := func(table, col string, keep func(r map[string]string) bool) string {
		freq := map[string]int{}
		for _, r := range omopRows(t, table) {
			if keep(r) {
				freq[r[col]]++
			}
		}
		most := ""
		for c, n := range freq {
			if most == "" || n > freq[most] || n == freq[most] && c < most {
				most = c
			}
		}
		return most
	}
	// The most frequent condition, and patient 1's most frequent LOINC
	// measurement.
	condition := mostFrequent("condition_occurrence", "condition_concept_id", func(map[string]string) bool { return true })
	conditionCode := concepts[condition]["concept_code"]
	const pid = "1"
	loinc := mostFrequent("measurement", "measurement_concept_id", func(r map[string]string) bool {
		return r["person_id"] == pid && concepts[r["measurement_concept_id"]]["vocabulary_id"] == "LOINC"
	})
	loincCode := concepts[loinc]["concept_code"]
	codeIs := func(col, vocab, code string) func(map[string]string) bool {
		return func(r map[string]string) bool {
			c := concepts[r[col]]
			return c["concept_code"] == code && (vocab == "" || c["vocabulary_id"] == vocab)
		}
	}
	and := func(ps ...func(map[string]string) bool) func(map[string]string) bool {
		return func(r map[string]string) bool {
			for _, p := range ps {
				if !p(r) {
					return false
				}
			}
			return true
		}
	}
	person := func(id string) func(map[string]string) bool {
		return func(r map[string]string) bool { return r["person_id"] == id }
	}
	snomedMeasurement := ""
	for _, r := range omopRows(t, "measurement") {
		if c := concepts[r["measurement_concept_id"]]; c["vocabulary_id"] == "SNOMED" {
			snomedMeasurement = c["concept_code"]
			break
		}
	}
	inYear := func(start, end, year string) func(map[string]string) bool {
		return func(r map[string]string) bool { return r[start] >= year+"-01-01" && r[end] <= year+"-12-31" }
	}
	cases := []struct {
		query string
		want  int
	}{
		{"Patient?gender=female", count("person", func(r map[string]string) bool { return r["gender_concept_id"] == "8532" })},
		{"Patient?gender=http://hl7.org/fhir/administrative-gender|male", count("person", func(r map[string]string) bool { return r["gender_concept_id"] == "8507" })},
		{"Patient?birthdate=lt2000", count("person", func(r map[string]string) bool { return r["birth_datetime"] < "2000" })},
		{"Patient?address-postalcode=07102", count("person", func(r map[string]string) bool { return r["location_id"] == "1" })},
		{"Patient?organization=Organization/1", count("person", func(r map[string]string) bool { return r["care_site_id"] == "1" })},
		{"Patient?identifier=https://fhir.example.org/Id/omop-person-source-value|" + omopRows(t, "person")[4]["person_source_value"], 1},
		{"Condition?code=http://snomed.info/sct|" + conditionCode, count("condition_occurrence", codeIs("condition_concept_id", "SNOMED", conditionCode))},
		{"Condition?code=" + conditionCode, count("condition_occurrence", codeIs("condition_concept_id", "", conditionCode))},
		{"Condition?code=http://loinc.org|" + conditionCode, 0},
		{"Condition?code=http://snomed.info/sct|" + conditionCode + "&patient=" + pid, count("condition_occurrence", and(person(pid), codeIs("condition_concept_id", "SNOMED", conditionCode)))},
		{"Condition?patient.identifier=" + url.QueryEscape("https://fhir.example.org/Id/omop-person-source-value|"+omopRows(t, "person")[0]["person_source_value"]),
			count("condition_occurrence", person(omopRows(t, "person")[0]["person_id"]))},
		{"Condition?clinical-status=active", count("condition_occurrence", func(r map[string]string) bool { return r["condition_end_date"] == "" })},
		{"Observation?patient=" + pid + "&code=http://loinc.org|" + loincCode,
			count("measurement", and(person(pid), codeIs("measurement_concept_id", "LOINC", loincCode))) + count("observation", and(person(pid), codeIs("observation_concept_id", "LOINC", loincCode)))},
		{"Observation?code=http://snomed.info/sct|" + snomedMeasurement,
			count("measurement", codeIs("measurement_concept_id", "SNOMED", snomedMeasurement)) + count("observation", codeIs("observation_concept_id", "SNOMED", snomedMeasurement))},
		{"Observation?patient=" + pid + "&category=vital-signs&code=http://loinc.org|8867-4", count("measurement", and(person(pid), codeIs("measurement_concept_id", "LOINC", "8867-4")))},
		{"Observation?subject=Patient/" + pid + "&date=2022", count("measurement", and(person(pid), func(r map[string]string) bool { return strings.HasPrefix(r["measurement_date"], "2022") })) +
			count("observation", and(person(pid), func(r map[string]string) bool { return strings.HasPrefix(r["observation_date"], "2022") }))},
		{"Encounter?patient=" + pid + "&date=2021", count("visit_occurrence", and(person(pid), inYear("visit_start_date", "visit_end_date", "2021")))},
		{"Encounter?class=AMB", count("visit_occurrence", func(r map[string]string) bool {
			return r["visit_concept_id"] == "9202" || r["visit_concept_id"] == "581477" || r["visit_concept_id"] == "32036"
		})},
		{"Encounter?service-provider=2", count("visit_occurrence", func(r map[string]string) bool { return r["care_site_id"] == "2" })},
		{"Procedure?patient=" + pid + "&date=ge2015", count("procedure_occurrence", and(person(pid), func(r map[string]string) bool { return r["procedure_date"] >= "2015" }))},
		{"MedicationStatement?code=http://www.nlm.nih.gov/research/umls/rxnorm|310798", count("drug_exposure", codeIs("drug_concept_id", "RxNorm", "310798"))},
		{"MedicationStatement?medication=19078106&patient=" + pid, count("drug_exposure", and(person(pid), func(r map[string]string) bool { return r["drug_concept_id"] == "19078106" }))},
		{"Medication?code=http://www.nlm.nih.gov/research/umls/rxnorm|310798", 1},
		{"Medication?code=http://snomed.info/sct|310798", 0},
		{"Immunization?vaccine-code=http://hl7.org/fhir/sid/cvx|140", count("drug_exposure", codeIs("drug_concept_id", "CVX", "140"))},
		{"Immunization?patient=1", count("drug_exposure", and(person("1"), func(r map[string]string) bool { return concepts[r["drug_concept_id"]]["vocabulary_id"] == "CVX" }))},
		{"Practitioner?name=" + url.QueryEscape(strings.Fields(omopRows(t, "provider")[0]["provider_name"])[0]), count("provider", func(r map[string]string) bool {
			return strings.HasPrefix(strings.ToLower(r["provider_name"]), strings.ToLower(strings.Fields(omopRows(t, "provider")[0]["provider_name"])[0]))
		})},
	}
	e, logs := omopEnv(t)
	defer func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	}()
	nonZero := 0
	for _, c := range cases {
		if c.want > 0 {
			nonZero++
		}
		res := walk(t, e.base+"/"+c.query+"&_count=100")
		if len(res) != c.want {
			t.Errorf("%s: %d results, want %d", c.query, len(res), c.want)
		}
	}
	if nonZero < len(cases)-3 {
		t.Errorf("only %d of %d searches expect results: the cases do not test much", nonZero, len(cases))
	}
}

// $everything returns the person's whole record: every row of theirs in
// the clinical tables, once.
func TestOMOPEverything(t *testing.T) {
	t.Parallel()
	concepts := omopConcepts(t)
	const pid = "3"
	var want []string
	add := func(typ, table, idCol, prefix string, keep func(map[string]string) bool) {
		for _, r := range omopRows(t, table) {
			if r["person_id"] == pid && (keep == nil || keep(r)) {
				want = append(want, typ+"/"+prefix+r[idCol])
			}
		}
	}
	isVaccine := func(r map[string]string) bool { return concepts[r["drug_concept_id"]]["vocabulary_id"] == "CVX" }
	add("Condition", "condition_occurrence", "condition_occurrence_id", "", nil)
	add("Procedure", "procedure_occurrence", "procedure_occurrence_id", "", nil)
	add("Observation", "measurement", "measurement_id", "measurement.", nil)
	add("Observation", "observation", "observation_id", "observation.", nil)
	add("Encounter", "visit_occurrence", "visit_occurrence_id", "", nil)
	add("MedicationStatement", "drug_exposure", "drug_exposure_id", "", func(r map[string]string) bool { return !isVaccine(r) })
	add("Immunization", "drug_exposure", "drug_exposure_id", "", isVaccine)
	want = append(want, "Patient/"+pid)
	sort.Strings(want)
	var source string
	for _, p := range omopRows(t, "person") {
		if p["person_id"] == pid {
			source = p["person_source_value"]
		}
	}
	e, _ := omopEnv(t)
	record := func(start string) (match, include []string) {
		for next, pages := start, 0; next != ""; pages++ {
			if pages > 500 {
				t.Fatal("$everything does not stop paging")
			}
			r := get(t, next)
			if r.status != http.StatusOK {
				t.Fatalf("%s: %d %s", next, r.status, truncate(string(r.body), 300))
			}
			validate(t, "$everything page", r.body)
			b := r.json(t)
			modes := entryModes(t, b)
			match = append(match, modes["match"]...)
			include = append(include, modes["include"]...)
			next = link(b, "next")
		}
		sort.Strings(match)
		return match, include
	}
	got, included := record(e.base + "/Patient/" + pid + "/$everything?_count=100")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("record of Patient/%s: %d entries, want %d", pid, len(got), len(want))
	}
	kinds := map[string]bool{}
	for _, ref := range included {
		kinds[strings.SplitN(ref, "/", 2)[0]] = true
	}
	for _, k := range []string{"Practitioner", "Organization", "Location", "Medication"} {
		if !kinds[k] {
			t.Errorf("the record includes no %s (included: %v)", k, kinds)
		}
	}
	// By the person's source identifier: the same record.
	byID, _ := record(e.base + "/Patient/$everything?_count=100&identifier=" + url.QueryEscape("https://fhir.example.org/Id/omop-person-source-value|"+source))
	if !reflect.DeepEqual(byID, want) {
		t.Errorf("record by identifier: %d entries, want %d", len(byID), len(want))
	}
}

// ccfacade check passes on the OMOP database with the OMOP set, named as a
// built-in set and as a folder: every table and column exists, sample
// resources conform to their profiles (index warnings are allowed).
func TestOMOPCheckCommand(t *testing.T) {
	t.Parallel()
	dsn := omopDB(t)
	for _, mappings := range []string{"builtin:omop", "../mappingsets/omop"} {
		var out, errb bytes.Buffer
		code := cli.Run(context.Background(), []string{"check", "-mappings", mappings, "-adapter", "postgres", "-dsn", dsn, "-sample", "100"}, &out, &errb)
		if code != 0 {
			t.Fatalf("check -mappings %s: exit %d\n%s\n%s", mappings, code, out.String(), errb.String())
		}
		if !strings.Contains(out.String(), "ok: 11 mapping(s); every table and column exists in the postgres database") ||
			!regexp.MustCompile(`ok: \d+ sample resource\(s\) conform to their profiles`).MatchString(out.String()) {
			t.Errorf("check -mappings %s:\n%s", mappings, out.String())
		}
	}
	// check can fail here: a mapping naming a column OMOP does not have.
	dir := t.TempDir()
	entries, err := mappingsetsOMOPFiles()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range entries {
		if name == "practitioner.yaml" {
			b = bytes.Replace(b, []byte("column: npi,"), []byte("column: npi_number,"), 1)
		}
		writeFile(t, dir, name, b)
	}
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), []string{"check", "-mappings", dir, "-adapter", "postgres", "-dsn", dsn}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), `practitioner.yaml:`) || !strings.Contains(errb.String(), `column "npi_number" not in provider`) {
		t.Errorf("check with a missing column: %d\n%s", code, errb.String())
	}
}

// The CapabilityStatement lists every parameter of the OMOP set, and the
// database answers each one, in each of its forms.
func TestOMOPEverySearchParameterRuns(t *testing.T) {
	t.Parallel()
	e, _ := omopEnv(t)
	r := get(t, e.base+"/metadata")
	if r.status != http.StatusOK {
		t.Fatalf("metadata: %d", r.status)
	}
	validate(t, "CapabilityStatement", r.body)
	listed := map[string]bool{}
	for _, res := range r.json(t)["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
		rm := res.(map[string]any)
		for _, sp := range rm["searchParam"].([]any) {
			listed[rm["type"].(string)+"?"+sp.(map[string]any)["name"].(string)] = true
		}
	}
	for _, m := range e.eng.Set().Mappings {
		for _, p := range m.Search {
			if !listed[m.Resource+"?"+p.Name] {
				t.Errorf("%s?%s is not in the CapabilityStatement", m.Resource, p.Name)
			}
			var values []string
			switch p.Type {
			case "date":
				values = []string{"2020", "ge2019-06-01", "lt2021-01-01T10:00:00Z"}
			case "reference":
				values = []string{"1", "x"}
			case "token":
				values = []string{"1", "http://snomed.info/sct|1", "|1", "http://loinc.org|", "a,b"}
			case "string":
				values = []string{"a", "A b"}
			}
			for _, v := range values {
				q := url.Values{p.Name: {v}}
				if r := get(t, e.base+"/"+m.Resource+"?"+q.Encode()); r.status != http.StatusOK {
					t.Errorf("%s?%s: %d %s", m.Resource, q.Encode(), r.status, truncate(string(r.body), 300))
				}
			}
			for _, v := range []string{"true", "false"} {
				if r := get(t, e.base+"/"+m.Resource+"?"+p.Name+":missing="+v); r.status != http.StatusOK {
					t.Errorf("%s?%s:missing=%s: %d %s", m.Resource, p.Name, v, r.status, truncate(string(r.body), 300))
				}
			}
		}
	}
}

// The rows the sample lacks (extra/): a concept 0 or one missing from the
// vocabulary keeps the source's own code as text and shows no coding, and
// no token finds a coding the resource does not show; a measurement
// recorded as "<5" keeps its comparator; a unit without a known system
// shows no code; a person with only a year and month of birth is found by
// birthdate; an Office Visit is ambulatory.
func TestOMOPEdgeRows(t *testing.T) {
	t.Parallel()
	e, _ := omopEnv(t)
	read := func(ref string) map[string]any {
		t.Helper()
		r := get(t, e.base+"/"+ref)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", ref, r.status, truncate(string(r.body), 300))
		}
		validate(t, ref, r.body)
		return r.json(t)
	}
	obj := func(v any, k string) map[string]any { m, _ := v.(map[string]any)[k].(map[string]any); return m }

	for ref, text := range map[string]string{
		"Observation/measurement.900001": "LOCAL-HBA1C", // concept 0
		"Observation/measurement.900002": "LOCAL-X",     // a concept missing from the vocabulary
		"Condition/900001":               "LOCAL-COND",
	} {
		code := obj(read(ref), "code")
		if code["text"] != text || code["coding"] != nil {
			t.Errorf("%s code %v, want the text %s and no coding", ref, code, text)
		}
	}
	if q := obj(read("Observation/measurement.900001"), "valueQuantity"); q["value"] != 5.5 || q["unit"] != "mmol/mol" || q["code"] != nil || q["system"] != nil {
		t.Errorf("a unit without a known system: %v", q)
	}
	if q := obj(read("Observation/measurement.900003"), "valueQuantity"); q["comparator"] != "<" || q["value"] != 5.0 || q["code"] != "kg" || q["system"] != "http://unitsofmeasure.org" {
		t.Errorf("a measurement recorded as <5: %v", q)
	}
	ms := read("MedicationStatement/900010")
	if m := obj(ms, "medicationReference"); m["display"] != "Local drug X" || m["reference"] != nil {
		t.Errorf("a drug exposure of concept 0: medicationReference %v", m)
	}
	if p := read("Patient/9001"); p["birthDate"] != "1960-05" {
		t.Errorf("Patient/9001 birthDate %v", p["birthDate"])
	}
	if c := obj(read("Encounter/900001"), "class"); c["code"] != "AMB" {
		t.Errorf("an Office Visit: class %v", c)
	}
	ids := func(query string) []string {
		t.Helper()
		var out []string
		for _, r := range walk(t, e.base+"/"+query) {
			out = append(out, fmt.Sprint(r["id"]))
		}
		sort.Strings(out)
		return out
	}
	for query, want := range map[string]string{
		"Patient?birthdate=1960-05":                                 "9001",
		"Patient?birthdate=1960":                                    "9001",
		"Patient?birthdate=1960-05-01&_count=100":                   "9001",
		"Patient?birthdate=1960-06":                                 "",
		"Condition?code=" + url.QueryEscape("|No matching concept"): "",
		"Condition?code=" + url.QueryEscape("No matching concept"):  "",
		"Observation?code=LOCAL-HBA1C":                              "",
		"Encounter?class=AMB&patient=1&date=2020-03":                "900001",
	} {
		if got := strings.Join(ids(query), ","); got != want {
			t.Errorf("%s: %q, want %q", query, got, want)
		}
	}
}
