package gpconnect_test

import (
	"net/http"
	"slices"
	"sort"
	"testing"

	"github.com/ccfacade/ccfacade/internal/demotest"
)

// demoProblem is a PROBLEM row: its id, STATUS and SIGNIFICANCE.
type demoProblem struct{ id, status, significance string }

func problemRows(t *testing.T) map[string][]demoProblem {
	t.Helper()
	return rowsByPatient(t, "PROBLEM", func(r map[string]any) demoProblem {
		return demoProblem{demotest.Str(r["PROBLEM_ID"]), demotest.Str(r["STATUS"]), demotest.Str(r["SIGNIFICANCE"])}
	})
}

// The problems area (SPEC §6.2): the list "Problems" (SNOMED
// 717711000000103) holds the patient's PROBLEM rows as ProblemHeader
// Conditions, each in the bundle with its identifier, clinicalStatus
// active or inactive (resolved is inactive), the problem-list-item
// category and the significance extension; filterStatus and
// filterSignificance keep the rows whose STATUS and SIGNIFICANCE match,
// includeProblems given twice returns what either keeps, a filter that
// keeps nothing leaves the list empty with its reason, and a patient
// without problems has it empty too. Bad filter values are 422
// INVALID_PARAMETER naming the part.
func TestRecordProblems(t *testing.T) {
	e := serve(t, nil)
	rows := problemRows(t)
	p := find(t, func(p demoPatient) bool {
		st := map[string]bool{}
		sig := map[string]bool{}
		for _, r := range rows[p.id] {
			st[r.status], sig[r.significance] = true, true
		}
		return st["A"] && (st["I"] || st["R"]) && sig["MAJ"] && sig["MIN"]
	})
	status := map[string]string{"A": "active", "I": "inactive", "R": "inactive"}
	significance := map[string]string{"MAJ": "major", "MIN": "minor"}
	want := func(st, sig []string) []string {
		var out []string
		for _, r := range rows[p.id] {
			if (st == nil || slices.Contains(st, status[r.status])) && (sig == nil || slices.Contains(sig, significance[r.significance])) {
				out = append(out, "Condition/"+r.id)
			}
		}
		sort.Strings(out)
		return out
	}
	problems := func(parts ...string) string {
		if len(parts) == 0 {
			return `{"name":"includeProblems"}`
		}
		s := `{"name":"includeProblems","part":[`
		for i, x := range parts {
			if i > 0 {
				s += ","
			}
			s += x
		}
		return s + `]}`
	}
	fs := func(code string) string { return `{"name":"filterStatus","valueCode":"` + code + `"}` }
	fg := func(code string) string { return `{"name":"filterSignificance","valueCode":"` + code + `"}` }
	for _, c := range []struct {
		name   string
		params []string
		want   []string
	}{
		{"every problem", []string{problems()}, want(nil, nil)},
		{"active", []string{problems(fs("active"))}, want([]string{"active"}, nil)},
		{"inactive", []string{problems(fs("inactive"))}, want([]string{"inactive"}, nil)},
		{"major", []string{problems(fg("major"))}, want(nil, []string{"major"})},
		{"active and minor", []string{problems(fs("active"), fg("minor"))}, want([]string{"active"}, []string{"minor"})},
		{"active or minor (given twice)", []string{problems(fs("active")), problems(fg("minor"))}, func() []string {
			a, m := want([]string{"active"}, nil), want(nil, []string{"minor"})
			out := append(a, m...)
			sort.Strings(out)
			return slices.Compact(out)
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := okRecord(t, e, params(p.nhs, c.params...), "a record of problems")
			l := listsByCode(t, b)["717711000000103"]
			if l == nil || l["title"] != "Problems" {
				t.Fatalf("no Problems list: %v", l)
			}
			got := listedItems(t, l)
			if !slices.Equal(got, c.want) {
				t.Errorf("list %v, want %v", got, c.want)
			}
			have := map[string]map[string]any{}
			n := 0
			for _, r := range resources(t, b) {
				if r["resourceType"] == "Condition" {
					n++
					have["Condition/"+r["id"].(string)] = r
				}
			}
			if n != len(c.want) {
				t.Errorf("%d Conditions in the bundle, want %d", n, len(c.want))
			}
			for _, ref := range got {
				r := have[ref]
				if r == nil {
					t.Errorf("%s is not in the bundle", ref)
					continue
				}
				if profileOf(r) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ProblemHeader-Condition-1" ||
					at(r, "identifier", 0, "system") != "https://fhir.nhs.uk/Id/cross-care-setting-identifier" ||
					(r["clinicalStatus"] != "active" && r["clinicalStatus"] != "inactive") || at(r, "category", 0, "coding", 0, "code") != "problem-list-item" {
					t.Errorf("%s: %v", ref, r)
				}
				if sig := extByURL(r, "Extension-CareConnect-ProblemSignificance-1"); sig == nil || (sig["valueCode"] != "major" && sig["valueCode"] != "minor") {
					t.Errorf("%s: significance %v", ref, sig)
				}
			}
		})
	}
	q := find(t, func(q demoPatient) bool { return len(rows[q.id]) == 0 })
	res := record(t, e, params(q.nhs, problems()))
	if l := listsByCode(t, res.JSON(t))["717711000000103"]; l == nil || l["entry"] != nil || at(l, "note", 0, "text") != "Information not available" {
		t.Errorf("a patient without problems: list %v", l)
	}
	for name, c := range map[string]struct{ part, names string }{
		"resolved":      {fs("resolved"), "includeProblems.filterStatus"},
		"junk status":   {fs("nonsense"), "includeProblems.filterStatus"},
		"no status":     {`{"name":"filterStatus"}`, "includeProblems.filterStatus"},
		"significance":  {fg("moderate"), "includeProblems.filterSignificance"},
		"status string": {`{"name":"filterStatus","valueString":"active"}`, "includeProblems.filterStatus"},
	} {
		t.Run(name, func(t *testing.T) {
			outcome(t, record(t, e, params(p.nhs, problems(c.part))), http.StatusUnprocessableEntity, "INVALID_PARAMETER", c.names)
		})
	}
	t.Run("filter with consultations", func(t *testing.T) {
		outcome(t, record(t, e, params(p.nhs, problems(fg("major")), `{"name":"includeConsultations"}`)), http.StatusUnprocessableEntity, "INVALID_PARAMETER", "includeProblems.filterSignificance")
	})
}
