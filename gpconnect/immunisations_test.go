package gpconnect_test

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/fhirvalid"
)

// immunisationRows are the demo's IMMUNISATION rows of vaccinations given
// by PATIENT_ID: each row's IMM_ID, GIVEN_DATE and VACCINE_CODE.
func immunisationRows(t *testing.T) map[string][]map[string]string {
	t.Helper()
	all := rowsByPatient(t, "IMMUNISATION", func(r map[string]any) map[string]string {
		return map[string]string{"id": demotest.Str(r["IMM_ID"]), "date": demotest.Str(r["GIVEN_DATE"]), "vaccine": demotest.Str(r["VACCINE_CODE"]),
			"notGiven": demotest.Str(r["NOT_GIVEN"])}
	})
	for p, rows := range all {
		all[p] = slices.DeleteFunc(rows, func(r map[string]string) bool { return r["notGiven"] != "" })
	}
	return all
}

// The immunisations area: the Immunisations list (SNOMED 1102181000000102)
// holding exactly the patient's IMMUNISATION rows, each Immunization in
// the bundle in its GP Connect profile with the business identifier, no
// meta.lastUpdated, status completed, the recorded date (the date given)
// and the vaccination procedure (SNOMED from the vaccine, the vaccine's
// name where the vaccine is not coded), its practitioners in the bundle;
// a patient with none gets the list empty with its reason; the bundle is
// valid STU3.
func TestRecordImmunisations(t *testing.T) {
	e := serve(t, nil)
	rows := immunisationRows(t)
	p := find(t, func(p demoPatient) bool {
		coded, uncoded := false, false
		for _, r := range rows[p.id] {
			coded = coded || r["vaccine"] != "SHING"
			uncoded = uncoded || r["vaccine"] == "SHING"
		}
		return coded && uncoded
	})
	res := record(t, e, params(p.nhs, `{"name":"includeImmunisations","part":[{"name":"includeNotGiven","valueBoolean":false}]}`))
	if res.Status != http.StatusOK {
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	fhirvalid.Validate(t, "a record of immunisations", res.Body)
	b := res.JSON(t)
	have := map[string]map[string]any{}
	for _, r := range resources(t, b) {
		if id, ok := r["id"].(string); ok {
			have[r["resourceType"].(string)+"/"+id] = r
		}
	}
	l := listsByCode(t, b)["1102181000000102"]
	if l == nil {
		t.Fatalf("no Immunisations list: %s", demotest.Truncate(string(res.Body), 800))
	}
	if l["title"] != "Immunisations" || at(l, "code", "coding", 0, "system") != "http://snomed.info/sct" || at(l, "code", "coding", 0, "display") != "Immunisations" ||
		at(l, "subject", "reference") != "Patient/"+p.id || l["status"] != "current" || l["mode"] != "snapshot" || l["id"] != nil {
		t.Errorf("list %v", l)
	}
	var want, got []string
	byID := map[string]map[string]string{}
	for _, r := range rows[p.id] {
		want = append(want, "Immunization/"+r["id"])
		byID["Immunization/"+r["id"]] = r
	}
	got = itemRefs(l)
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Fatalf("list entries %v, want the patient's rows %v", got, want)
	}
	for _, ref := range got {
		im := have[ref]
		if im == nil {
			t.Errorf("%s is listed and not in the bundle", ref)
			continue
		}
		row := byID[ref]
		if profileOf(im) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Immunization-1" || at(im, "meta", "lastUpdated") != nil {
			t.Errorf("%s meta %v", ref, im["meta"])
		}
		if at(im, "identifier", 0, "system") != "https://fhir.nhs.uk/Id/cross-care-setting-identifier" || at(im, "identifier", 0, "value") == nil {
			t.Errorf("%s identifier %v", ref, im["identifier"])
		}
		if im["status"] != "completed" || im["notGiven"] != false {
			t.Errorf("%s status %v notGiven %v", ref, im["status"], im["notGiven"])
		}
		exts := map[string]any{}
		ex, _ := im["extension"].([]any)
		for _, x := range ex {
			exts[at(x, "url").(string)] = x
		}
		if v := at(exts["https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-DateRecorded-1"], "valueDateTime"); v != row["date"] {
			t.Errorf("%s recorded date %v, want the date given %s", ref, v, row["date"])
		}
		proc := at(exts["https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-VaccinationProcedure-1"], "valueCodeableConcept")
		if row["vaccine"] == "SHING" {
			if text, _ := at(proc, "text").(string); at(proc, "coding") != nil || !strings.Contains(text, "Shingles") {
				t.Errorf("%s (shingles, not coded) procedure %v: want the vaccine's name as text", ref, proc)
			}
		} else if at(proc, "coding", 0, "system") != "http://snomed.info/sct" || at(proc, "coding", 0, "code") == nil || at(proc, "coding", 0, "display") == nil {
			t.Errorf("%s (%s) procedure %v: want a SNOMED coding", ref, row["vaccine"], proc)
		}
		prs, _ := im["practitioner"].([]any)
		for _, pr := range prs {
			if r, _ := at(pr, "actor", "reference").(string); have[r] == nil {
				t.Errorf("%s: practitioner %s is not in the bundle", ref, r)
			}
		}
	}
	// A patient without immunisations: the list, empty, with its reason.
	q := find(t, func(p demoPatient) bool { return len(rows[p.id]) == 0 })
	res = record(t, e, params(q.nhs, `{"name":"includeImmunisations"}`))
	fhirvalid.Validate(t, "an empty immunisations list", res.Body)
	l = listsByCode(t, res.JSON(t))["1102181000000102"]
	if l == nil || l["entry"] != nil || at(l, "emptyReason", "coding", 0, "code") != "no-content-recorded" || at(l, "note", 0, "text") != "Information not available" {
		t.Errorf("empty immunisations list %v", l)
	}
}

// A vaccination not given (the demo's IMMUNISATION row with NOT_GIVEN, the
// patient having declined) is sent only with includeNotGiven true (SPEC
// §6.2): then listed with the others, notGiven true, the reason it was
// not given (HL7's PATOBJ, patient objection) and, as its vaccination
// procedure, the "declined" code of its vaccine (the demo's overlay:
// pneumococcal, SNOMED 401086001); without it, or with it false, neither
// listed nor in the bundle. Every Bundle is valid STU3 and passes the
// GP Connect profile checker.
func TestNotGivenImmunisations(t *testing.T) {
	declined := map[string]map[string]string{} // PATIENT_ID → the row
	for _, r := range demotest.Rows(t, "IMMUNISATION") {
		if demotest.Str(r["NOT_GIVEN"]) != "" {
			declined[demotest.Str(r["PATIENT_ID"])] = map[string]string{"id": demotest.Str(r["IMM_ID"]), "vaccine": demotest.Str(r["VACCINE_CODE"]), "why": demotest.Str(r["NOT_GIVEN"])}
		}
	}
	if len(declined) == 0 {
		t.Fatal("the demo records no vaccination not given")
	}
	e := serve(t, nil)
	given := immunisationRows(t)
	p := find(t, func(p demoPatient) bool { return declined[p.id] != nil })
	row := declined[p.id]
	ref := "Immunization/" + row["id"]
	var wantGiven []string
	for _, r := range given[p.id] {
		wantGiven = append(wantGiven, "Immunization/"+r["id"])
	}
	for _, c := range []struct {
		name, parts string
		sent        bool
	}{
		{"by default", `{"name":"includeImmunisations"}`, false},
		{"includeNotGiven false", `{"name":"includeImmunisations","part":[{"name":"includeNotGiven","valueBoolean":false}]}`, false},
		{"includeNotGiven true", `{"name":"includeImmunisations","part":[{"name":"includeNotGiven","valueBoolean":true}]}`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := okRecord(t, e, params(p.nhs, c.parts), "a record of immunisations "+c.name)
			have := map[string]map[string]any{}
			for _, r := range resources(t, b) {
				if id, ok := r["id"].(string); ok {
					have[r["resourceType"].(string)+"/"+id] = r
				}
			}
			want := slices.Clone(wantGiven)
			if c.sent {
				want = append(want, ref)
			}
			got := slices.DeleteFunc(itemRefs(listsByCode(t, b)["1102181000000102"]), func(ref string) bool {
				return !strings.HasPrefix(ref, "Immunization/") // its status records: TestImmunisationStatus
			})
			if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
				t.Errorf("listed %v, want %v", got, want)
			}
			im := have[ref]
			if !c.sent {
				if im != nil {
					t.Errorf("%s, not given, is in the bundle", ref)
				}
				return
			}
			if im == nil {
				t.Fatalf("%s is not in the bundle", ref)
			}
			if im["notGiven"] != true || im["status"] != "completed" || at(im, "explanation", "reasonNotGiven", 0, "coding", 0, "code") != "PATOBJ" ||
				at(im, "explanation", "reasonNotGiven", 0, "coding", 0, "system") != "http://hl7.org/fhir/v3/ActReason" {
				t.Errorf("%s: notGiven %v, status %v, explanation %v", ref, im["notGiven"], im["status"], im["explanation"])
			}
			var proc any
			for _, x := range im["extension"].([]any) {
				if at(x, "url") == "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-VaccinationProcedure-1" {
					proc = at(x, "valueCodeableConcept")
				}
			}
			if row["vaccine"] != "PNEU" || at(proc, "coding", 0, "code") != "401086001" || at(proc, "coding", 0, "display") != "Pneumococcal vaccination declined" {
				t.Errorf("%s (%s, not given): vaccination procedure %v", ref, row["vaccine"], proc)
			}
			for _, pr := range profile.GPConnect().Check(im) {
				t.Errorf("%s: %s", ref, pr)
			}
			for _, r := range given[p.id] {
				if im := have["Immunization/"+r["id"]]; im == nil || im["notGiven"] != false {
					t.Errorf("Immunization/%s, given: %v", r["id"], im)
				}
			}
		})
	}
}

// statusRows are the demo's OBSERVATION rows that record the status of a
// patient's vaccinations, by PATIENT_ID: consent given (OBS_CODE IMMCON,
// SNOMED 310375005) and vaccine refused (VACREF, 591000119102); each
// row's OBS_ID, CONSULT_ID and SNOMED code.
func statusRows(t *testing.T) map[string][]map[string]string {
	t.Helper()
	snomed := map[string]string{"IMMCON": "310375005", "VACREF": "591000119102"}
	out := map[string][]map[string]string{}
	for _, r := range demotest.Rows(t, "OBSERVATION") {
		if c := snomed[demotest.Str(r["OBS_CODE"])]; c != "" {
			p := demotest.Str(r["PATIENT_ID"])
			out[p] = append(out[p], map[string]string{"id": demotest.Str(r["OBS_ID"]), "consult": demotest.Str(r["CONSULT_ID"]), "code": c})
		}
	}
	return out
}

// The status of a patient's vaccinations (SPEC §6.2: consent, dissent,
// invitation; GP Connect names the SNOMED concepts of consent and
// refusal) comes with the immunisations: with includeStatus true or
// absent, each of the patient's status rows is an Observation of the
// immunisations list, after the vaccinations, sent as uncategorised data
// is (its GP Connect profile, status final); with includeStatus false
// none is sent. Never as uncategorised data, asked for alone or with
// immunisations; recorded in a consultation, it is one of its
// immunisations ("Consultations - immunisations contained in
// consultations", its Topic's Immunisation heading). Where immunisations
// are not offered, it is uncategorised data. Every Bundle is valid STU3.
func TestImmunisationStatus(t *testing.T) {
	rows := statusRows(t)
	p := find(t, func(p demoPatient) bool {
		in, out := false, false
		for _, r := range rows[p.id] {
			in, out = in || r["consult"] != "", out || r["consult"] == ""
		}
		return in && out
	})
	var want []string
	for _, r := range rows[p.id] {
		want = append(want, "Observation/"+r["id"])
	}
	e := serve(t, nil)
	read := func(t *testing.T, e *demotest.Env, q string) (map[string]map[string]any, map[string]map[string]any) {
		res := record(t, e, params(p.nhs, q))
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", q, res.Status, demotest.Truncate(string(res.Body), 500))
		}
		fhirvalid.Validate(t, q, res.Body)
		b := res.JSON(t)
		have := map[string]map[string]any{}
		for _, r := range resources(t, b) {
			if id, ok := r["id"].(string); ok {
				have[r["resourceType"].(string)+"/"+id] = r
			}
		}
		return have, listsByCode(t, b)
	}
	titled := func(lists map[string]map[string]any, have map[string]map[string]any, title string) []string {
		for _, r := range have {
			if r["resourceType"] == "List" && r["title"] == title {
				return itemRefs(r)
			}
		}
		for _, l := range lists {
			if l["title"] == title {
				return itemRefs(l)
			}
		}
		return nil
	}
	for _, q := range []string{`{"name":"includeImmunisations"}`, `{"name":"includeImmunisations","part":[{"name":"includeStatus","valueBoolean":true}]}`} {
		have, lists := read(t, e, q)
		got := itemRefs(lists["1102181000000102"])
		if len(got) < len(want) || !slices.Equal(got[len(got)-len(want):], want) {
			t.Errorf("%s: listed %v, want it to end with the status records %v", q, got, want)
		}
		for _, r := range rows[p.id] {
			o := have["Observation/"+r["id"]]
			if o == nil {
				t.Errorf("%s: Observation/%s is not in the bundle", q, r["id"])
				continue
			}
			if profileOf(o) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Observation-1" || o["status"] != "final" ||
				at(o, "code", "coding", 0, "system") != "http://snomed.info/sct" || at(o, "code", "coding", 0, "code") != r["code"] {
				t.Errorf("%s: Observation/%s %v", q, r["id"], o)
			}
			for _, pr := range profile.GPConnect().Check(o) {
				t.Errorf("%s: Observation/%s: %s", q, r["id"], pr)
			}
		}
	}
	have, lists := read(t, e, `{"name":"includeImmunisations","part":[{"name":"includeStatus","valueBoolean":false}]}`)
	for _, ref := range want {
		if have[ref] != nil || slices.Contains(itemRefs(lists["1102181000000102"]), ref) {
			t.Errorf("includeStatus false: %s is sent", ref)
		}
	}
	for _, q := range []string{`{"name":"includeUncategorisedData"}`, `{"name":"includeUncategorisedData"},{"name":"includeImmunisations","part":[{"name":"includeStatus","valueBoolean":false}]}`} {
		have, lists := read(t, e, q)
		un := itemRefs(lists["826501000000100"])
		if len(un) == 0 {
			t.Errorf("%s: no uncategorised data", q)
		}
		for _, ref := range want {
			if slices.Contains(un, ref) || have[ref] != nil {
				t.Errorf("%s: %s is sent as uncategorised data", q, ref)
			}
		}
	}
	have, lists = read(t, e, `{"name":"includeConsultations"}`)
	inConsult := titled(lists, have, "Consultations - immunisations contained in consultations")
	for _, r := range rows[p.id] {
		ref := "Observation/" + r["id"]
		if r["consult"] == "" {
			continue
		}
		if !slices.Contains(inConsult, ref) || slices.Contains(titled(lists, have, "Consultations - uncategorised data contained in consultations"), ref) {
			t.Errorf("consultations: %s is not one of the immunisations contained in consultations (%v)", ref, inConsult)
		}
		if !slices.Contains(titled(lists, have, "Immunisation"), ref) {
			t.Errorf("consultations: %s is not under its Topic's Immunisation heading", ref)
		}
	}
	// Immunisations not offered: the status records are uncategorised
	// data.
	others := []gpconnect.Area{gpconnect.Allergies, gpconnect.Medication, gpconnect.Consultations, gpconnect.Problems,
		gpconnect.Uncategorised, gpconnect.Investigations, gpconnect.Referrals, gpconnect.DiaryEntries, gpconnect.Documents}
	off := serve(t, others)
	have, lists = read(t, off, `{"name":"includeUncategorisedData"}`)
	for _, ref := range want {
		if !slices.Contains(itemRefs(lists["826501000000100"]), ref) || have[ref]["status"] != "final" {
			t.Errorf("immunisations not offered: %s is not uncategorised data, final", ref)
		}
	}
	// Nor a disabled immunisation in a consultation: uncategorised data
	// there too, and no warning of immunisations switched off when the
	// consultation holds no vaccination.
	vaccinated := false
	for _, r := range demotest.Rows(t, "IMMUNISATION") {
		vaccinated = vaccinated || demotest.Str(r["PATIENT_ID"]) == p.id && demotest.Str(r["CONSULT_ID"]) != ""
	}
	res := record(t, off, params(p.nhs, `{"name":"includeConsultations"}`))
	have, lists = read(t, off, `{"name":"includeConsultations"}`)
	for _, r := range rows[p.id] {
		ref := "Observation/" + r["id"]
		if r["consult"] == "" {
			continue
		}
		if got := titled(lists, have, "Consultations - uncategorised data contained in consultations"); !slices.Contains(got, ref) {
			t.Errorf("immunisations not offered, consultations: %s is not among the uncategorised data contained in consultations (%v)", ref, got)
		}
		if got := titled(lists, have, "Consultations - immunisations contained in consultations"); got != nil {
			t.Errorf("immunisations not offered, consultations: immunisations contained in consultations %v", got)
		}
	}
	if strings.Contains(string(res.Body), "includeImmunisations has been disabled") != vaccinated {
		t.Errorf("immunisations not offered, consultations (a vaccination in one: %v): warnings %v", vaccinated, warnings(t, res))
	}
}
