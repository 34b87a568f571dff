package gpconnect_test

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// demoObservation is an OBSERVATION row: its id and the day of
// OBS_DATETIME.
type demoObservation struct{ id, day string }

// observationRows are the OBSERVATION rows that are uncategorised data:
// not the results of a laboratory report (REPORT_ID), nor a diastolic
// blood pressure sent within its systolic's Observation (bloodPressures).
func observationRows(t *testing.T) map[string][]demoObservation {
	t.Helper()
	_, joined := bloodPressures(t)
	out := map[string][]demoObservation{}
	for p, os := range rowsByPatient(t, "OBSERVATION", func(r map[string]any) *demoObservation {
		if demotest.Str(r["REPORT_ID"]) != "" || joined[demotest.Str(r["OBS_ID"])] {
			return nil
		}
		return &demoObservation{demotest.Str(r["OBS_ID"]), demotest.Str(r["OBS_DATETIME"])[:10]}
	}) {
		for _, o := range os {
			if o != nil {
				out[p] = append(out[p], *o)
			}
		}
	}
	return out
}

// The uncategorised data area (SPEC §6.2): the list "Uncategorised data"
// (SNOMED 826501000000100, display "Miscellaneous record") holds the
// patient's OBSERVATION rows but the laboratory results, each an Observation of the bundle in its
// GP Connect profile with the business identifier and issued, and no
// category; uncategorisedDataSearchPeriod keeps those of the days it
// covers (both bounds, the start alone); a period that holds none, or a
// patient with none, leaves the list empty with its reason; a period
// given wrong is 422 INVALID_PARAMETER naming it.
func TestRecordUncategorised(t *testing.T) {
	e := serve(t, nil)
	rows := observationRows(t)
	p := findOnDays(t, rows, func(o demoObservation) string { return o.day }, 3)
	var days []string
	for _, o := range rows[p.id] {
		days = append(days, o.day)
	}
	sort.Strings(days)
	days = slices.Compact(days)
	mid := days[len(days)/2]
	want := func(start, end string) []string {
		var out []string
		for _, o := range rows[p.id] {
			if (start == "" || o.day >= start) && (end == "" || o.day <= end) {
				out = append(out, "Observation/"+o.id)
			}
		}
		sort.Strings(out)
		return out
	}
	period := func(start, end string) string {
		v := `{`
		if start != "" {
			v += `"start":"` + start + `"`
		}
		if end != "" {
			if start != "" {
				v += ","
			}
			v += `"end":"` + end + `"`
		}
		return `{"name":"includeUncategorisedData","part":[{"name":"uncategorisedDataSearchPeriod","valuePeriod":` + v + `}}]}`
	}
	for _, c := range []struct {
		name, param string
		want        []string
	}{
		{"every observation", `{"name":"includeUncategorisedData"}`, want("", "")},
		{"one day", period(mid, mid), want(mid, mid)},
		{"from a day", period(mid, ""), want(mid, "")},
		{"before the first", period("1900-01-01", "1900-12-31"), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := okRecord(t, e, params(p.nhs, c.param), "a record of uncategorised data")
			l := listsByCode(t, b)["826501000000100"]
			if l == nil || l["title"] != "Uncategorised data" || at(l, "code", "coding", 0, "display") != "Miscellaneous record" {
				t.Fatalf("list %v: want title Uncategorised data, display Miscellaneous record", l)
			}
			got := listedItems(t, l)
			if !slices.Equal(got, c.want) {
				t.Errorf("list %v, want %v", got, c.want)
			}
			n := 0
			for _, r := range resources(t, b) {
				if r["resourceType"] != "Observation" {
					continue
				}
				n++
				if profileOf(r) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Observation-1" || r["issued"] == nil || r["category"] != nil ||
					at(r, "identifier", 0, "system") != "https://fhir.nhs.uk/Id/cross-care-setting-identifier" {
					t.Errorf("Observation %v", r)
				}
			}
			if n != len(c.want) {
				t.Errorf("%d Observations in the bundle, want %d", n, len(c.want))
			}
		})
	}
	q := find(t, func(q demoPatient) bool { return len(rows[q.id]) == 0 })
	res := record(t, e, params(q.nhs, `{"name":"includeUncategorisedData"}`))
	if l := listsByCode(t, res.JSON(t))["826501000000100"]; l == nil || l["entry"] != nil || at(l, "note", 0, "text") != "Information not available" {
		t.Errorf("a patient without observations: list %v", l)
	}
	future := time.Now().UTC().AddDate(0, 0, 3).Format(time.DateOnly)
	for name, param := range map[string]string{
		"start after end": period("2020-02-01", "2020-01-01"),
		"future end":      period("2020-01-01", future),
		"partial start":   period("2020-01", ""),
		"with problems":   period("2020-01-01", ""),
	} {
		t.Run(name, func(t *testing.T) {
			ps := []string{param}
			if name == "with problems" {
				ps = append(ps, `{"name":"includeProblems"}`)
			}
			outcome(t, record(t, e, params(p.nhs, ps...)), http.StatusUnprocessableEntity, "INVALID_PARAMETER", "includeUncategorisedData.uncategorisedDataSearchPeriod")
		})
	}
}

// bloodPressure is a systolic and a diastolic OBSERVATION row of one
// patient, time and consultation, with their values.
type bloodPressure struct{ systolic, diastolic, sysValue, diaValue string }

// bloodPressures are the demo's blood pressures by the systolic row's
// OBS_ID, and the OBS_IDs of their diastolic rows: a pair is one BPS and
// one BPD row, both with a value, of one PATIENT_ID, OBS_DATETIME and
// CONSULT_ID, neither a laboratory result.
func bloodPressures(t *testing.T) (map[string]bloodPressure, map[string]bool) {
	t.Helper()
	type key struct{ patient, at, consult string }
	rows := map[key]map[string][]map[string]any{}
	for _, r := range demotest.Rows(t, "OBSERVATION") {
		code := demotest.Str(r["OBS_CODE"])
		if (code != "BPS" && code != "BPD") || demotest.Str(r["REPORT_ID"]) != "" || demotest.Str(r["VALUE_NUM"]) == "" {
			continue
		}
		k := key{demotest.Str(r["PATIENT_ID"]), demotest.Str(r["OBS_DATETIME"]), demotest.Str(r["CONSULT_ID"])}
		if rows[k] == nil {
			rows[k] = map[string][]map[string]any{}
		}
		rows[k][code] = append(rows[k][code], r)
	}
	bps, joined := map[string]bloodPressure{}, map[string]bool{}
	for _, byCode := range rows {
		if len(byCode["BPS"]) != 1 || len(byCode["BPD"]) != 1 {
			continue
		}
		s, d := byCode["BPS"][0], byCode["BPD"][0]
		bps[demotest.Str(s["OBS_ID"])] = bloodPressure{demotest.Str(s["OBS_ID"]), demotest.Str(d["OBS_ID"]), demotest.Str(s["VALUE_NUM"]), demotest.Str(d["VALUE_NUM"])}
		joined[demotest.Str(d["OBS_ID"])] = true
	}
	return bps, joined
}

// A blood pressure is one Observation (SPEC §6.2): the systolic row's,
// coded SNOMED 75367002 "Blood pressure", with no value of its own and
// two components, the systolic then the diastolic reading, each with
// its code and its row's value in mm[Hg]; the diastolic row is not sent.
func TestBloodPressureIsOneObservation(t *testing.T) {
	e := serve(t, nil)
	bps, joined := bloodPressures(t)
	if len(bps) == 0 {
		t.Fatal("the demo has no blood pressure")
	}
	seen := 0
	for _, p := range patients(t) {
		if seen >= 3 || p.status != "01" || p.died != "" || p.standing != "" || !validNHS(p.nhs) {
			continue
		}
		b := okRecord(t, e, params(p.nhs, `{"name":"includeUncategorisedData"}`), "a record of uncategorised data")
		for _, r := range resources(t, b) {
			if r["resourceType"] != "Observation" {
				continue
			}
			id := r["id"].(string)
			if joined[id] {
				t.Errorf("Observation/%s, a diastolic reading, is sent on its own", id)
			}
			bp, ok := bps[id]
			if !ok {
				if r["component"] != nil {
					t.Errorf("Observation/%s has components: %v", id, r["component"])
				}
				continue
			}
			seen++
			if at(r, "code", "coding", 0, "system") != "http://snomed.info/sct" || at(r, "code", "coding", 0, "code") != "75367002" || r["valueQuantity"] != nil {
				t.Errorf("Observation/%s: code %v, value %v", id, r["code"], r["valueQuantity"])
			}
			cs, _ := r["component"].([]any)
			if len(cs) != 2 {
				t.Errorf("Observation/%s: components %v", id, r["component"])
				continue
			}
			for i, want := range []struct{ code, value string }{{"271649006", bp.sysValue}, {"271650006", bp.diaValue}} {
				c := cs[i].(map[string]any)
				var codes []string
				for _, cd := range c["code"].(map[string]any)["coding"].([]any) {
					codes = append(codes, cd.(map[string]any)["code"].(string))
				}
				if !slices.Contains(codes, want.code) || !sameNumber(at(c, "valueQuantity", "value"), want.value) || at(c, "valueQuantity", "unit") == nil {
					t.Errorf("Observation/%s component %d: %v, want %s = %s", id, i, c, want.code, want.value)
				}
			}
		}
	}
	if seen == 0 {
		t.Error("no blood pressure in the records asked for")
	}
}

// sameNumber reports whether a JSON number is the number a row's text
// gives.
func sameNumber(v any, text string) bool {
	f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	n, ok := v.(float64)
	return err == nil && ok && n == f
}

// An observation of unknown date (a row whose OBS_DATETIME is blank, in a
// copy of the demo database) is returned alongside those within
// uncategorisedDataSearchPeriod (SPEC §3), whatever the period; those of
// known dates outside it are not.
func TestUndatedObservationWithinAnyPeriod(t *testing.T) {
	rows := observationRows(t)
	withheld, _ := withheldRows(t)
	p := findOnDays(t, rows, func(o demoObservation) string { return o.day }, 3)
	var undated, last string
	for _, o := range rows[p.id] {
		if withheld["Observation/"+o.id].patient != "" {
			continue
		}
		if undated == "" {
			undated = o.id
		}
		last = max(last, o.day)
	}
	dsn, db := demoCopy(t)
	if _, err := db.Exec(`UPDATE OBSERVATION SET OBS_DATETIME = '' WHERE OBS_ID = ?`, undated); err != nil {
		t.Fatal(err)
	}
	e := demotest.Open(t, "sqlite", sqlite.Open, dsn, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
	after, err := time.Parse(time.DateOnly, last)
	if err != nil {
		t.Fatal(err)
	}
	start := after.AddDate(0, 0, 1).Format(time.DateOnly) // after every dated one
	b := okRecord(t, e, params(p.nhs, `{"name":"includeUncategorisedData","part":[{"name":"uncategorisedDataSearchPeriod","valuePeriod":{"start":"`+start+`"}}]}`), "uncategorised data since "+start)
	if got := itemRefs(listsByCode(t, b)["826501000000100"]); !slices.Equal(got, []string{"Observation/" + undated}) {
		t.Errorf("since %s: %v, want the undated Observation/%s alone", start, got, undated)
	}
}

// Uncategorised data is sent final, as GP Connect fixes it (SPEC §6.2),
// whatever its row's status, and a row entered in error or cancelled is
// not sent at all, nor referred to. In a copy of the demo whose
// obs-status map knows E (entered-in-error) and X (cancelled), three of a
// patient's rows are made preliminary, E and X, and one of the patient's
// problems is linked to each. The Care Connect Observation of each shows
// its row's status (the rows are read); every GP Connect record that
// could hold them (uncategorised data, consultations, problems) sends the
// preliminary one final, and the problem's link to it, and neither the
// other two nor any reference to them.
func TestUncategorisedStatus(t *testing.T) {
	rows := observationRows(t)
	withheld, _ := withheldRows(t)
	pairs, _ := bloodPressures(t)
	problemOf := sharedProblems(t) // PATIENT_ID → a PROBLEM_ID, not withheld
	// Three observations of the patient's, neither withheld nor a part of
	// a blood pressure.
	chosen := func(p demoPatient) []string {
		var ids []string
		for _, o := range rows[p.id] {
			if _, bp := pairs[o.id]; withheld["Observation/"+o.id].patient == "" && !bp && len(ids) < 3 {
				ids = append(ids, o.id)
			}
		}
		return ids
	}
	p := find(t, func(p demoPatient) bool { return problemOf[p.id] != "" && len(chosen(p)) == 3 })
	ids := chosen(p)
	dsn, db := demoCopy(t)
	for i, st := range []string{"P", "E", "X"} {
		if _, err := db.Exec(`UPDATE OBSERVATION SET STATUS = ? WHERE OBS_ID = ?`, st, ids[i]); err != nil {
			t.Fatal(err)
		}
		linkProblem(t, db, problemOf[p.id], "OBSERVATION", ids[i])
	}
	set := demotest.EditedDemoSet(t, "clinical-concepts.yaml", "      C: corrected\n", "      C: corrected\n      E: entered-in-error\n      X: cancelled\n")
	e := demotest.Serve(t, demotest.OpenReadOnly(t, "sqlite", sqlite.Open, dsn), set,
		demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
	for i, want := range []string{"preliminary", "entered-in-error", "cancelled"} {
		if got := demotest.Get(t, e.Base+"/Observation/"+ids[i]).JSON(t)["status"]; got != want {
			t.Errorf("Care Connect Observation/%s status %v, want %s", ids[i], got, want)
		}
	}
	consulted := false
	for _, r := range demotest.Rows(t, "OBSERVATION") {
		consulted = consulted || demotest.Str(r["OBS_ID"]) == ids[0] && demotest.Str(r["CONSULT_ID"]) != ""
	}
	for _, q := range []string{`{"name":"includeUncategorisedData"}`, `{"name":"includeConsultations"}`, `{"name":"includeProblems"}`} {
		res := record(t, e, params(p.nhs, q))
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", q, res.Status, demotest.Truncate(string(res.Body), 500))
		}
		have := map[string]map[string]any{}
		for _, r := range resources(t, res.JSON(t)) {
			have[fmt.Sprint(r["resourceType"], "/", r["id"])] = r
		}
		if q != `{"name":"includeConsultations"}` || consulted {
			if o := have["Observation/"+ids[0]]; o == nil || o["status"] != "final" {
				t.Errorf("%s: Observation/%s (a preliminary row) %v, want it sent final", q, ids[0], o)
			}
		}
		if q == `{"name":"includeProblems"}` && !strings.Contains(fmt.Sprint(have["Condition/"+problemOf[p.id]]), "Observation/"+ids[0]) {
			t.Errorf("%s: Condition/%s does not link Observation/%s", q, problemOf[p.id], ids[0])
		}
		for _, id := range ids[1:] {
			if strings.Contains(string(res.Body), `"Observation/`+id+`"`) {
				t.Errorf("%s: Observation/%s (entered in error or cancelled) is sent or referred to", q, id)
			}
		}
	}
}

// An item entered in error is never sent, in any area, nor referred to
// (GP Connect), whichever areas the record holds: in a copy of the demo
// whose obs-status map knows E (entered-in-error), a patient's
// uncategorised observation, a status record of a vaccination and a
// laboratory result are entered in error, and a problem of each of the
// first two patients is linked to it and to another of their
// observations, sent (the first's to a vaccination too). The Care Connect
// Observations show the status (the rows are read). Uncategorised data,
// immunisations, consultations and problems (the problem a linked one or
// asked for) neither send nor refer to them, while the problem keeps its
// link to the other observation, also where the record searches no
// Observation (immunisations without their status); the report is sent
// without the result.
func TestEnteredInErrorNeverSent(t *testing.T) {
	rows := observationRows(t)
	withheld, _ := withheldRows(t)
	pairs, _ := bloodPressures(t)
	status := statusRows(t)
	problemOf := sharedProblems(t)           // PATIENT_ID → a PROBLEM_ID, not withheld
	shared := func(p demoPatient) []string { // uncategorised, neither withheld nor a blood pressure
		var ids []string
		for _, o := range rows[p.id] {
			if _, bp := pairs[o.id]; withheld["Observation/"+o.id].patient == "" && !bp && !slices.ContainsFunc(status[p.id], func(s map[string]string) bool { return s["id"] == o.id }) {
				ids = append(ids, o.id)
			}
		}
		return ids
	}
	vaccinations := immunisationRows(t)
	repeats := map[string]string{} // PATIENT_ID → a REPEAT_ID
	for _, r := range demotest.Rows(t, "REPEAT_MED") {
		repeats[demotest.Str(r["PATIENT_ID"])] = demotest.Str(r["REPEAT_ID"])
	}
	p := find(t, func(p demoPatient) bool {
		return problemOf[p.id] != "" && len(shared(p)) >= 2 && len(status[p.id]) == 0 && len(vaccinations[p.id]) > 0 && repeats[p.id] != ""
	})
	q := find(t, func(q demoPatient) bool { return problemOf[q.id] != "" && len(shared(q)) >= 1 && len(status[q.id]) > 0 })
	var result, report, rnhs string
	served := map[string]string{}
	for _, x := range patients(t) {
		if x.served() {
			served[x.id] = x.nhs
		}
	}
	for _, r := range demotest.Rows(t, "OBSERVATION") {
		if id, nhs := demotest.Str(r["REPORT_ID"]), served[demotest.Str(r["PATIENT_ID"])]; id != "" && nhs != "" && withheld["Observation/"+demotest.Str(r["OBS_ID"])].patient == "" && result == "" {
			result, report, rnhs = demotest.Str(r["OBS_ID"]), id, nhs
		}
	}
	if result == "" {
		t.Fatal("no served patient has a laboratory result")
	}
	wrong := map[string]string{ // NHS number → the Observation entered in error
		p.nhs: shared(p)[0], q.nhs: status[q.id][0]["id"], rnhs: result}
	kept := map[string]string{p.nhs: shared(p)[1], q.nhs: shared(q)[0]}
	dsn, db := demoCopy(t)
	for _, id := range []string{wrong[p.nhs], wrong[q.nhs], result} {
		if _, err := db.Exec(`UPDATE OBSERVATION SET STATUS = 'E' WHERE OBS_ID = ?`, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range []demoPatient{p, q} {
		for _, id := range []string{wrong[x.nhs], kept[x.nhs]} {
			linkProblem(t, db, problemOf[x.id], "OBSERVATION", id)
		}
	}
	// p's problem is linked to a vaccination too, and to a repeat
	// entered in error: an immunisations query, which searches neither
	// Observations nor MedicationStatements, sends it as a linked problem.
	vaccination := vaccinations[p.id][0]["id"]
	if _, err := db.Exec(`UPDATE REPEAT_MED SET STATUS = 'E' WHERE REPEAT_ID = ?`, repeats[p.id]); err != nil {
		t.Fatal(err)
	}
	for table, id := range map[string]string{"IMMUNISATION": vaccination, "REPEAT_MED": repeats[p.id]} {
		linkProblem(t, db, problemOf[p.id], table, id)
	}
	inError := []string{"      C: corrected\n", "      C: corrected\n      E: entered-in-error\n", "      S: stopped\n", "      S: stopped\n      E: entered-in-error\n"}
	set := demotest.EditedDemoSet(t, "clinical-concepts.yaml", inError...)
	e := demotest.Serve(t, demotest.OpenReadOnly(t, "sqlite", sqlite.Open, dsn), set,
		demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
	for _, id := range []string{wrong[p.nhs], wrong[q.nhs], result} {
		if got := demotest.Get(t, e.Base+"/Observation/"+id).JSON(t)["status"]; got != "entered-in-error" {
			t.Errorf("Care Connect Observation/%s status %v, want entered-in-error", id, got)
		}
	}
	queries := []string{`{"name":"includeUncategorisedData"}`, `{"name":"includeImmunisations"}`, `{"name":"includeConsultations"}`, `{"name":"includeProblems"}`,
		`{"name":"includeInvestigations"}`, `{"name":"includeUncategorisedData"},{"name":"includeImmunisations"}`}
	for _, x := range []demoPatient{p, q} {
		for _, qy := range queries {
			res := record(t, e, params(x.nhs, qy))
			if res.Status != http.StatusOK {
				t.Fatalf("%s %s: %d %s", x.nhs, qy, res.Status, demotest.Truncate(string(res.Body), 500))
			}
			if strings.Contains(string(res.Body), `"Observation/`+wrong[x.nhs]+`"`) {
				t.Errorf("%s %s: Observation/%s (entered in error) is sent or referred to", x.nhs, qy, wrong[x.nhs])
			}
			// The problem is sent (asked for, or linked to the observation
			// kept, which uncategorised data sends) with its link to that.
			if qy == `{"name":"includeProblems"}` || strings.HasPrefix(qy, `{"name":"includeUncategorisedData"}`) {
				var cond map[string]any
				for _, r := range resources(t, res.JSON(t)) {
					if r["resourceType"] == "Condition" && r["id"] == problemOf[x.id] {
						cond = r
					}
				}
				if !strings.Contains(fmt.Sprint(cond), "Observation/"+kept[x.nhs]+"]") {
					t.Errorf("%s %s: Condition/%s %v: want it sent, linked to Observation/%s", x.nhs, qy, problemOf[x.id], cond, kept[x.nhs])
				}
			}
		}
	}
	imm := record(t, e, params(p.nhs, `{"name":"includeImmunisations","part":[{"name":"includeStatus","valueBoolean":false}]}`))
	if body := string(imm.Body); imm.Status != http.StatusOK || !strings.Contains(body, `"Immunization/`+vaccination+`"`) || !strings.Contains(body, `"Condition/`+problemOf[p.id]+`"`) ||
		strings.Contains(body, `"Observation/`+wrong[p.nhs]+`"`) || strings.Contains(body, `"MedicationStatement/`+repeats[p.id]+`"`) {
		t.Errorf("immunisations of %s: want Condition/%s, linked to Immunization/%s, as a linked problem, with no reference to Observation/%s or MedicationStatement/%s (entered in error): %d %s",
			p.nhs, problemOf[p.id], vaccination, wrong[p.nhs], repeats[p.id], imm.Status, demotest.Truncate(body, 400))
	}
	// The repeat entered in error is not sent as medication, nor its
	// plan or issues; what is sent stands together.
	med := record(t, e, params(p.nhs, `{"name":"includeMedication"}`))
	if med.Status != http.StatusOK || strings.Contains(string(med.Body), `"MedicationStatement/`+repeats[p.id]+`"`) {
		t.Errorf("medication of %s: MedicationStatement/%s (entered in error) is sent or referred to: %d %s", p.nhs, repeats[p.id], med.Status, demotest.Truncate(string(med.Body), 400))
	}
	medicationRules(med.JSON(t), "medication of "+p.nhs, func(msg, where string) { t.Errorf("%s: %s", where, msg) })
	res := record(t, e, params(rnhs, `{"name":"includeInvestigations"}`))
	if res.Status != http.StatusOK || strings.Contains(string(res.Body), `"Observation/`+result+`"`) || !strings.Contains(string(res.Body), `"DiagnosticReport/`+report+`"`) {
		t.Errorf("investigations of %s: want DiagnosticReport/%s without its result Observation/%s (entered in error): %d %s", rnhs, report, result, res.Status, demotest.Truncate(string(res.Body), 400))
	}
}
