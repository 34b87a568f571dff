package gpconnect_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// demoReport is a TEST_REPORT row: its id, the day of ISSUED_DT, its
// TEST_CODE, and the
// Observations of its results and the Specimens taken for it (Type/id,
// sorted).
type demoReport struct {
	id, day, code      string
	results, specimens []string
	comment            string              // FILING_COMMENT
	members            map[string][]string // of each test group header among the results
}

// reportRows are the demo's laboratory reports by PATIENT_ID, with the
// OBSERVATION rows that name them and their SPECIMEN rows.
func reportRows(t *testing.T) map[string][]demoReport {
	t.Helper()
	results, specimens := map[string][]string{}, map[string][]string{}
	members := map[string][]string{} // by group header
	for _, r := range demotest.Rows(t, "OBSERVATION") {
		if parent := demotest.Str(r["PARENT_OBS_ID"]); parent != "" {
			members["Observation/"+parent] = append(members["Observation/"+parent], "Observation/"+demotest.Str(r["OBS_ID"]))
			continue
		}
		if id := demotest.Str(r["REPORT_ID"]); id != "" {
			results[id] = append(results[id], "Observation/"+demotest.Str(r["OBS_ID"]))
		}
	}
	for _, r := range demotest.Rows(t, "SPECIMEN") {
		id := demotest.Str(r["REPORT_ID"])
		specimens[id] = append(specimens[id], "Specimen/"+demotest.Str(r["SPECIMEN_ID"]))
	}
	return rowsByPatient(t, "TEST_REPORT", func(r map[string]any) demoReport {
		id := demotest.Str(r["REPORT_ID"])
		rs, ss := slices.Clone(results[id]), slices.Clone(specimens[id])
		sort.Strings(rs)
		sort.Strings(ss)
		ms := map[string][]string{}
		for _, res := range rs {
			if m := members[res]; len(m) > 0 {
				ms[res] = slices.Sorted(slices.Values(m))
			}
		}
		return demoReport{id, demotest.Str(r["ISSUED_DT"])[:10], demotest.Str(r["TEST_CODE"]), rs, ss, demotest.Str(r["FILING_COMMENT"]), ms}
	})
}

// The investigations area (SPEC §6.2): the list "Investigations and
// results" (SNOMED 887191000000108) holds the patient's TEST_REPORT rows
// as DiagnosticReports (CareConnect-GPC-DiagnosticReport-1, business
// identifier, issued), each in the bundle with the Observations of its
// results (CareConnect-GPC-Observation-1, issued with the report), its Specimens
// (CareConnect-GPC-Specimen-1) and the test request it answers (basedOn:
// a ProcedureRequest of the second ProcedureRequest mapping, active, an
// order, CareConnect-GPC-ProcedureRequest-1), every one of them referred
// to by its report; investigationSearchPeriod keeps the reports issued on the days
// it covers; a period that keeps none, or a patient without reports,
// leaves the list empty with its reason, and no report, result or
// specimen in the bundle. The results are never uncategorised data, even
// when both areas are asked for. A period given wrong is 422
// INVALID_PARAMETER naming it. Every resource of every bundle conforms to
// the GP Connect profile it claims.
func TestRecordInvestigations(t *testing.T) {
	e := serve(t, nil)
	reg := profile.GPConnect()
	rows := reportRows(t)
	p := findOnDays(t, rows, func(r demoReport) string { return r.day }, 2)
	rs := slices.Clone(rows[p.id])
	sort.Slice(rs, func(i, j int) bool { return rs[i].day < rs[j].day })
	if !slices.ContainsFunc(rs, func(r demoReport) bool { return r.comment != "" }) || !slices.ContainsFunc(rs, func(r demoReport) bool { return r.comment == "" }) ||
		!slices.ContainsFunc(rs, func(r demoReport) bool { return len(r.members) > 0 }) {
		t.Fatalf("patient %s's reports %v: want one filed with a comment, one without, and a test group", p.id, rs)
	}
	first, last := rs[0].day, rs[len(rs)-1].day
	keep := func(start, end string) []demoReport {
		var out []demoReport
		for _, r := range rs {
			if (start == "" || r.day >= start) && (end == "" || r.day <= end) {
				out = append(out, r)
			}
		}
		return out
	}
	period := func(start, end string) string {
		v := map[string]string{}
		if start != "" {
			v["start"] = start
		}
		if end != "" {
			v["end"] = end
		}
		b, _ := json.Marshal(v)
		return `{"name":"includeInvestigations","part":[{"name":"investigationSearchPeriod","valuePeriod":` + string(b) + `}]}`
	}
	check := func(t *testing.T, b map[string]any, want []demoReport) {
		t.Helper()
		for _, r := range resources(t, b) {
			for _, pr := range reg.Check(r) {
				t.Errorf("%s/%v: %s", r["resourceType"], r["id"], pr)
			}
		}
		l := listsByCode(t, b)["887191000000108"]
		if l == nil || l["title"] != "Investigations and results" || at(l, "code", "coding", 0, "display") != "Investigations and results" {
			t.Fatalf("no list Investigations and results: %v", l)
		}
		var wantReports, wantResults, wantSpecimens []string
		for _, r := range want {
			wantReports = append(wantReports, "DiagnosticReport/"+r.id)
			wantResults = append(wantResults, r.results...)
			wantSpecimens = append(wantSpecimens, r.specimens...)
			for _, m := range r.members {
				wantResults = append(wantResults, m...)
			}
		}
		sort.Strings(wantReports)
		if got := listedItems(t, l); !slices.Equal(got, wantReports) {
			t.Errorf("list %v, want %v", got, wantReports)
		}
		byID := map[string]demoReport{}
		for _, r := range want {
			byID[r.id] = r
		}
		var gotResults, gotSpecimens, gotRequests, wantRequests []string
		issuedAt := map[string]string{}     // results' issued
		wantSpecimen := map[string]string{} // result → its report's one specimen
		specimens := 0
		reportIssued := map[string]string{}
		comments, gotComments := map[string]string{}, map[string]string{} // the filing comments' texts, by Observation
		wantGroups, gotGroups := map[string][]string{}, map[string][]string{}
		n := 0
		for _, r := range resources(t, b) {
			ref := r["resourceType"].(string) + "/" + demotest.Str(r["id"])
			switch r["resourceType"] {
			case "DiagnosticReport":
				n++
				d, ok := byID[demotest.Str(r["id"])]
				if !ok {
					t.Errorf("%s is in the bundle, not in the list", ref)
					continue
				}
				if profileOf(r) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-DiagnosticReport-1" || r["issued"] == nil ||
					at(r, "identifier", 0, "system") != "https://fhir.nhs.uk/Id/cross-care-setting-identifier" || at(r, "meta", "lastUpdated") != nil ||
					at(r, "subject", "reference") == nil {
					t.Errorf("%s: %v", ref, r)
				}
				for _, res := range d.results {
					if len(d.specimens) == 1 { // its one specimen is its results' (and their members')
						wantSpecimen[res] = d.specimens[0]
						for _, m := range d.members[res] {
							wantSpecimen[m] = d.specimens[0]
						}
					}
					reportIssued[res] = demotest.Str(r["issued"])
					for _, m := range d.members[res] {
						reportIssued[m] = demotest.Str(r["issued"])
					}
					if len(d.members[res]) > 0 {
						wantGroups[res] = d.members[res]
					}
				}
				got := refsOf(r, "result")
				// The comment the report was filed with: its first result,
				// a Comment note Observation, status unknown (SPEC §6.2).
				if d.comment != "" {
					first, _ := at(r, "result", 0, "reference").(string)
					comments[first] = d.comment
					reportIssued[first] = demotest.Str(r["issued"])
					got = slices.DeleteFunc(got, func(s string) bool { return s == first })
				}
				if !slices.Equal(got, d.results) {
					t.Errorf("%s: results %v, want %v and the filing comment %q", ref, refsOf(r, "result"), d.results, d.comment)
				}
				if r["conclusion"] != nil {
					t.Errorf("%s: a conclusion %v beside the filing comment", ref, r["conclusion"])
				}
				if got := refsOf(r, "specimen"); !slices.Equal(got, d.specimens) {
					t.Errorf("%s: specimens %v, want %v", ref, got, d.specimens)
				}
				// The test request it answers: the report row's, by its prefix.
				if got, want := refsOf(r, "basedOn"), []string{"ProcedureRequest/test-" + d.id}; !slices.Equal(got, want) {
					t.Errorf("%s: basedOn %v, want %v", ref, got, want)
				}
				wantRequests = append(wantRequests, "ProcedureRequest/test-"+d.id)
				// Its code is SNOMED's Diagnostic studies report: the test's
				// name is its results' (GP Connect's guidance).
				if c := at(r, "code", "coding", 0); at(c, "system") != "http://snomed.info/sct" || at(c, "code") != "721981007" ||
					at(c, "display") != "Diagnostic studies report" || len(r["code"].(map[string]any)["coding"].([]any)) != 1 {
					t.Errorf("%s: code %v, want SNOMED 721981007 Diagnostic studies report alone", ref, r["code"])
				}
			case "Observation":
				if at(r, "code", "coding", 0, "code") == "37331000000100" {
					gotComments[ref] = demotest.Str(r["comment"])
					if r["status"] != "unknown" || at(r, "code", "coding", 0, "system") != "http://snomed.info/sct" || at(r, "code", "coding", 0, "display") != "Comment note" ||
						at(r, "subject", "reference") == nil {
						t.Errorf("%s: a filing comment %v", ref, r)
					}
					issuedAt[ref] = demotest.Str(r["issued"])
					continue
				}
				gotResults = append(gotResults, ref)
				// A test group header: its members, by related has-member.
				var members []string
				rel, _ := r["related"].([]any)
				for _, x := range rel {
					if at(x, "type") != "has-member" {
						t.Errorf("%s: a related %v", ref, x)
					}
					members = append(members, demotest.Str(at(x, "target", "reference")))
				}
				if len(members) > 0 {
					sort.Strings(members)
					gotGroups[ref] = members
				}
				if profileOf(r) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Observation-1" || r["issued"] == nil {
					t.Errorf("%s: %v", ref, r)
				}
				if got := at(r, "specimen", "reference"); got != nil || wantSpecimen[ref] != "" {
					specimens++
					if got != wantSpecimen[ref] {
						t.Errorf("%s: specimen %v, want %q (its report's one specimen)", ref, got, wantSpecimen[ref])
					}
				}
				issuedAt[ref] = demotest.Str(r["issued"])
			case "ProcedureRequest":
				// A test request: active, an order, in its GP Connect profile;
				// never in the diary entries' list.
				gotRequests = append(gotRequests, ref)
				if profileOf(r) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ProcedureRequest-1" ||
					r["status"] != "active" || r["intent"] != "order" || at(r, "subject", "reference") == nil || at(r, "requester", "agent", "reference") == nil {
					t.Errorf("%s: %v", ref, r)
				}
				// (The elements not in use: TestRecordsConformToGPConnectProfiles.)
			case "Specimen":
				gotSpecimens = append(gotSpecimens, ref)
				if profileOf(r) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Specimen-1" ||
					at(r, "identifier", 0, "system") != "https://fhir.nhs.uk/Id/cross-care-setting-identifier" {
					t.Errorf("%s: %v", ref, r)
				}
			}
		}
		if n != len(want) {
			t.Errorf("%d DiagnosticReports in the bundle, want %d", n, len(want))
		}
		if len(wantSpecimen) > 0 && specimens == 0 {
			t.Errorf("no result names its report's specimen (%d should)", len(wantSpecimen))
		}
		if fmt.Sprint(gotComments) != fmt.Sprint(comments) {
			t.Errorf("filing comments %v in the bundle, want %v", gotComments, comments)
		}
		if fmt.Sprint(gotGroups) != fmt.Sprint(wantGroups) {
			t.Errorf("test groups %v in the bundle, want %v", gotGroups, wantGroups)
		}
		// A result was issued with its report (the demo's OBSERVATION
		// rows keep no time of their own).
		for ref, got := range issuedAt {
			if got != reportIssued[ref] {
				t.Errorf("%s issued %s, its report %s", ref, got, reportIssued[ref])
			}
		}
		sort.Strings(gotResults)
		sort.Strings(gotSpecimens)
		sort.Strings(wantResults)
		sort.Strings(wantSpecimens)
		sort.Strings(gotRequests)
		sort.Strings(wantRequests)
		if !slices.Equal(gotRequests, wantRequests) {
			t.Errorf("test requests %v in the bundle, want %v", gotRequests, wantRequests)
		}
		if !slices.Equal(gotResults, wantResults) || !slices.Equal(gotSpecimens, wantSpecimens) {
			t.Errorf("results %v and specimens %v in the bundle, want %v and %v", gotResults, gotSpecimens, wantResults, wantSpecimens)
		}
	}
	for _, c := range []struct {
		name, param string
		want        []demoReport
	}{
		{"every report", `{"name":"includeInvestigations"}`, rs},
		{"from the last", period(last, ""), keep(last, "")},
		{"until the first", period("", first), keep("", first)},
		{"the first day", period(first, first), keep(first, first)},
		{"between", period(first, last), keep(first, last)},
		{"before them all", period("1990-01-01", "1999-12-31"), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			check(t, okRecord(t, e, params(p.nhs, c.param), "a record of investigations"), c.want)
		})
	}
	t.Run("beside uncategorised data", func(t *testing.T) {
		b := okRecord(t, e, params(p.nhs, `{"name":"includeInvestigations"}`, `{"name":"includeUncategorisedData"}`), "a record of investigations and uncategorised data")
		uncategorised := listedItems(t, listsByCode(t, b)["826501000000100"])
		var want []string
		for _, o := range observationRows(t)[p.id] {
			want = append(want, "Observation/"+o.id)
		}
		sort.Strings(want)
		if !slices.Equal(uncategorised, want) {
			t.Errorf("uncategorised data %v, want %v (no investigation result)", uncategorised, want)
		}
		for _, r := range rs {
			for _, ref := range r.results {
				if slices.Contains(uncategorised, ref) {
					t.Errorf("the result %s is uncategorised data", ref)
				}
			}
		}
	})
	t.Run("no reports", func(t *testing.T) {
		q := find(t, func(q demoPatient) bool { return len(rows[q.id]) == 0 })
		check(t, okRecord(t, e, params(q.nhs, `{"name":"includeInvestigations"}`), "a record without investigations"), nil)
	})
	future := time.Now().UTC().AddDate(0, 0, 3).Format(time.DateOnly)
	for name, param := range map[string]string{
		"start after end": period("2020-02-01", "2020-01-01"),
		"future start":    period(future, ""),
		"partial end":     period("", "2020-01"),
		"no bound":        period("", ""),
	} {
		t.Run(name, func(t *testing.T) {
			outcome(t, record(t, e, params(p.nhs, param)), http.StatusUnprocessableEntity, "INVALID_PARAMETER", "includeInvestigations.investigationSearchPeriod")
		})
	}
	// GP Connect allows the period beside consultations and problems.
	t.Run("beside consultations and problems", func(t *testing.T) {
		okRecord(t, e, params(p.nhs, period(first, ""), `{"name":"includeConsultations"}`, `{"name":"includeProblems"}`), "investigations beside consultations and problems")
	})
}

// refsOf are the references of a repeating element, sorted.
func refsOf(r map[string]any, element string) []string {
	var out []string
	items, _ := r[element].([]any)
	for _, x := range items {
		if s, ok := at(x, "reference").(string); ok {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// A report's references to results or specimens the mappings do not give
// are left out of it (every reference of the bundle resolves), and the
// results of reports are not uncategorised data even when investigations
// are not offered (left out of the configuration's areas).
func TestInvestigationsPartlyServed(t *testing.T) {
	rows := reportRows(t)
	// A patient with an HbA1c report (a blood specimen) and a lipid one
	// (serum).
	p := find(t, func(p demoPatient) bool {
		codes := map[string]bool{}
		for _, r := range rows[p.id] {
			codes[r.code] = true
		}
		return codes["HBA1C"] && codes["LIPID"]
	})
	t.Run("specimens not served", func(t *testing.T) {
		dsn, err := demotest.SQLiteDSN()
		if err != nil {
			t.Fatal(err)
		}
		db := demotest.OpenReadOnly(t, "sqlite", sqlite.Open, dsn)
		// The Specimen mapping gives serum specimens only.
		set := demotest.EditedDemoSet(t, "specimen.yaml", "  table: SPECIMEN\n", "  query: SELECT * FROM SPECIMEN WHERE SPEC_TYPE <> 'BLD'\n")
		e := demotest.Serve(t, db, set, demotest.Config{Engine: engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret")},
			GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
		b := okRecord(t, e, params(p.nhs, `{"name":"includeInvestigations"}`), "a record of investigations, some specimens not served")
		have := map[string]bool{}
		for _, r := range resources(t, b) {
			if id, ok := r["id"].(string); ok {
				have[r["resourceType"].(string)+"/"+id] = true
			}
		}
		served, left := 0, 0
		for _, r := range resources(t, b) {
			if r["resourceType"] != "DiagnosticReport" {
				continue
			}
			for _, ref := range append(refsOf(r, "specimen"), refsOf(r, "result")...) {
				if !have[ref] {
					t.Errorf("DiagnosticReport/%v refers to %s, not in the bundle", r["id"], ref)
				}
			}
			if r["specimen"] == nil {
				left++
			} else {
				served++
			}
		}
		lipids := 0
		for _, r := range rows[p.id] {
			if r.code == "LIPID" {
				lipids++
			}
		}
		if served != lipids || served+left != len(rows[p.id]) {
			t.Errorf("%d reports with their specimen, %d without; want %d lipid reports with theirs, of %d", served, left, lipids, len(rows[p.id]))
		}
	})
	t.Run("investigations not offered", func(t *testing.T) {
		e := serve(t, []gpconnect.Area{gpconnect.Uncategorised})
		b := okRecord(t, e, params(p.nhs, `{"name":"includeUncategorisedData"}`, `{"name":"includeInvestigations"}`), "uncategorised data, investigations not offered")
		got := listedItems(t, listsByCode(t, b)["826501000000100"])
		for _, r := range rows[p.id] {
			for _, ref := range r.results {
				if slices.Contains(got, ref) {
					t.Errorf("the result %s is uncategorised data", ref)
				}
			}
		}
		if listsByCode(t, b)["887191000000108"] != nil {
			t.Error("a list of investigations, which are not offered")
		}
	})
}
