package test

import (
	"net/url"
	"strings"
	"testing"
)

// clinicalCases are searches over the clinical resources, with the expected
// number of results computed from the generator's rows.
func TestClinicalSearch(t *testing.T) {
	t.Parallel()
	patients := demoRows(t, "PATIENT")
	obs := demoRows(t, "OBSERVATION")
	allergies := demoRows(t, "ALLERGY")
	problems := demoRows(t, "PROBLEM")
	// A patient with observations and an NHS number.
	nhsOf := map[string]string{}
	for _, p := range patients {
		if p["NHS_NUMBER"] != nil {
			nhsOf[str(p["PATIENT_ID"])] = strings.ReplaceAll(str(p["NHS_NUMBER"]), " ", "")
		}
	}
	var pid string
	for _, o := range obs {
		if id := str(o["PATIENT_ID"]); nhsOf[id] != "" && o["OBS_CODE"] == "BPS" && str(o["OBS_DATETIME"]) >= "2020" {
			pid = id
			break
		}
	}
	if pid == "" {
		t.Fatal("no patient with recent blood pressures in the demo data")
	}
	nhs := nhsOf[pid]
	vital := map[string]bool{"BPS": true, "BPD": true, "PULSE": true, "WT": true, "HT": true, "BMI": true, "TEMP": true}
	count := func(rows []map[string]any, pred func(r map[string]any) bool) int {
		n := 0
		for _, r := range rows {
			if pred(r) {
				n++
			}
		}
		return n
	}
	ofPatient := func(r map[string]any) bool { return str(r["PATIENT_ID"]) == pid }
	q := url.QueryEscape
	cases := []struct {
		query string
		want  int
	}{
		// The issue's acceptance request.
		{"Observation?patient.identifier=" + q("https://fhir.nhs.uk/Id/nhs-number|"+nhs) + "&category=vital-signs&date=ge2020", count(obs, func(r map[string]any) bool {
			return ofPatient(r) && vital[str(r["OBS_CODE"])] && str(r["OBS_DATETIME"]) >= "2020"
		})},
		{"Observation?patient=" + pid, count(obs, ofPatient)},
		{"Observation?patient=Patient/" + pid, count(obs, ofPatient)},
		{"Observation?subject:Patient=" + pid, count(obs, ofPatient)},
		{"Observation?patient.identifier=" + nhs, count(obs, ofPatient)},
		{"Observation?patient=" + pid + "&code=http://loinc.org|8480-6", count(obs, func(r map[string]any) bool { return ofPatient(r) && r["OBS_CODE"] == "BPS" })},
		{"Observation?patient=" + pid + "&code=http://snomed.info/sct|271649006,http://snomed.info/sct|271650006", count(obs, func(r map[string]any) bool {
			return ofPatient(r) && (r["OBS_CODE"] == "BPS" || r["OBS_CODE"] == "BPD")
		})},
		{"Observation?code=http://loinc.org|271649006", 0},
		{"Observation?category=laboratory&date=lt2015", count(obs, func(r map[string]any) bool {
			lab := map[string]bool{"HBA1C": true, "CHOL": true, "LIPID": true, "HDL": true, "TRIG": true} // the laboratory's tests and groups
			return lab[str(r["OBS_CODE"])] && str(r["OBS_DATETIME"]) < "2015"
		})},
		{"Observation?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9999999998&category=vital-signs", -1}, // invalid NHS number: 400
		{"AllergyIntolerance?patient=" + pid, count(allergies, ofPatient)},
		{"AllergyIntolerance?clinical-status=active", count(allergies, func(r map[string]any) bool { return r["STATUS"] == "Active" })},
		{"AllergyIntolerance?date=ge2020", count(allergies, func(r map[string]any) bool {
			d := str(r["RECORDED_DATE"])
			return d[6:] >= "2020"
		})},
		{"Condition?category=problem-list-item", len(problems)},
		{"Condition?category=https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-ConditionCategory-1|problem-list-item&clinical-status=active", count(problems, func(r map[string]any) bool { return r["STATUS"] == "A" })},
		{"Condition?category=encounter-diagnosis", 0},
		// Care Connect code systems in their older spellings.
		{"Condition?category=https://fhir.hl7.org.uk/STU3/CareConnect-ConditionCategory-1|problem-list-item", len(problems)},
		{"Condition?category=https://fhir.hl7.org.uk/CareConnect-ConditionCategory-1|problem-list-item", len(problems)},
		{"Condition?code=http://snomed.info/sct|59621000", count(problems, func(r map[string]any) bool { return r["READ_CODE"] == "G20.." })},
		// The Read coding the resource shows finds it too.
		{"Condition?code=http://read.info/readv2|G20..", count(problems, func(r map[string]any) bool { return r["READ_CODE"] == "G20.." })},
		{"Condition?code=G20..", count(problems, func(r map[string]any) bool { return r["READ_CODE"] == "G20.." })},
		{"Condition?code=http://read.info/readv2|", count(problems, func(r map[string]any) bool { return r["READ_CODE"] != nil })},
		{"Condition?code=http://read.info/readv2|59621000", 0},
		{"Condition?code=http://snomed.info/sct|G20..", 0},
		{"Condition?asserted-date=ge2020-01-01", count(problems, func(r map[string]any) bool { return str(r["RECORDED_DATE"]) >= "2020-01-01" })},
	}
	repeats := demoRows(t, "REPEAT_MED")
	issues := demoRows(t, "MED_ISSUE")
	procs := demoRows(t, "CLIN_PROCEDURE")
	imms := demoRows(t, "IMMUNISATION")
	encs := demoRows(t, "CONSULTATION")
	drugCode := map[string]string{}
	for _, d := range demoRows(t, "DRUG") {
		drugCode[str(d["DRUG_ID"])] = str(d["DMD_CODE"])
	}
	// The combinations the Care Connect API names.
	cases = append(cases, []struct {
		query string
		want  int
	}{
		{"Condition?patient=" + pid + "&clinical-status=active", count(problems, func(r map[string]any) bool { return ofPatient(r) && r["STATUS"] == "A" })},
		{"Condition?patient=" + pid + "&category=problem-list-item", count(problems, ofPatient)},
		{"Procedure?patient=" + pid + "&date=ge2018", count(procs, func(r map[string]any) bool { return ofPatient(r) && str(r["PROC_DATE"]) >= "2018" })},
		{"Procedure?subject:Patient=" + pid, count(procs, ofPatient)},
		{"MedicationRequest?patient=" + pid + "&code=http://snomed.info/sct|322236009", count(issues, func(r map[string]any) bool {
			return ofPatient(r) && drugCode[str(r["DRUG_ID"])] == "322236009"
		})},
		{"MedicationRequest?medication=Medication/3&authoredon=ge2020-01", count(issues, func(r map[string]any) bool {
			return str(r["DRUG_ID"]) == "3" && str(r["ISSUE_DATE"]) >= "20200101"
		})},
		{"MedicationRequest?status=cancelled", count(issues, func(r map[string]any) bool { return r["STATUS"] == "X" })},
		{"MedicationStatement?patient=" + pid + "&status=active", count(repeats, func(r map[string]any) bool { return ofPatient(r) && r["STATUS"] == "C" })},
		{"MedicationStatement?effective=lt2016", count(repeats, func(r map[string]any) bool { return str(r["START_DATE"]) < "2016" })},
		{"Immunization?patient=" + pid + "&date=ge2019", count(imms, func(r map[string]any) bool { return ofPatient(r) && str(r["GIVEN_DATE"]) >= "2019" })},
		{"Immunization?status=completed", len(imms)},
		{"Encounter?patient=" + pid + "&date=ge2020-06", count(encs, func(r map[string]any) bool { return ofPatient(r) && str(r["START_DT"]) >= "2020-06" })},
		{"Medication?code=http://snomed.info/sct|322236009", 1},
		{"Observation?patient=" + pid + "&code:text=systolic", count(obs, func(r map[string]any) bool { return ofPatient(r) && r["OBS_CODE"] == "BPS" })},
		{"Condition?code:text=ASTH", count(problems, func(r map[string]any) bool { return r["READ_CODE"] == "H33.." })},
		{"Procedure?subject:Patient.identifier=" + nhs, count(procs, ofPatient)},
		{"Observation?patient=" + pid + "&category:not=vital-signs", count(obs, func(r map[string]any) bool { return ofPatient(r) && !vital[str(r["OBS_CODE"])] })},
		{"Condition?code:not=http://snomed.info/sct|59621000", count(problems, func(r map[string]any) bool { return r["READ_CODE"] != "G20.." })},
		{"Observation?patient=" + pid + "&code:missing=true", 0},
		{"MedicationRequest?patient=" + pid + "&code:missing=false", count(issues, ofPatient)},
	}...)
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, c := range cases {
			if c.want < 0 {
				if r := get(t, e.base+"/"+c.query); r.status != 400 {
					t.Errorf("%s: %d, want 400", c.query, r.status)
				}
				continue
			}
			res := walk(t, e.base+"/"+c.query+"&_count=100")
			if len(res) != c.want {
				t.Errorf("%s: %d results, want %d", c.query, len(res), c.want)
			}
		}
	})
}
