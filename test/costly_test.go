package test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// costlyValues are n alternatives that match nothing, then the given ones.
func costlyValues(n int, last ...string) string {
	vals := make([]string, 0, n)
	for i := 0; len(vals) < n-len(last); i++ {
		vals = append(vals, fmt.Sprintf("x%d", i))
	}
	return strings.Join(append(vals, last...), ",")
}

// Searches whose conditions cost the database most are refused with a
// 400 that names the parameter and the bound, before any statement runs:
// :contains (a pattern no index serves) takes at most 20 alternatives in a
// search, a chained parameter (a subquery over another table) at most 100.
// At the bounds they are served.
func TestCostlySearchesAreBounded(t *testing.T) {
	t.Parallel()
	pat := demoRows(t, "PATIENT")[0]
	family := strings.TrimSpace(str(pat["SURNAME"]))
	hospitalNo := "https://fhir.example.nhs.uk/Id/hospital-number|" + str(pat["HOSPITAL_NO"])
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, c := range []struct {
			query string
			param string // named in the refusal
			bound string
		}{
			{"Observation?_count=1000&patient.name:contains=" + costlyValues(999), "patient.name:contains", "at most 20"},
			{"Patient?_total=accurate&family:contains=" + costlyValues(999), "family:contains", "at most 20"},
			{"Patient?family:contains=" + costlyValues(21), "family:contains", "at most 20"},
			{"Patient?family:contains=" + costlyValues(10) + "&given:contains=" + costlyValues(11), "given:contains", "at most 20"},
			{"Observation?patient.family=" + costlyValues(101), "patient.family", "at most 100"},
			{"Observation?patient.identifier=" + costlyValues(60) + "&patient.family=" + costlyValues(41), "patient.identifier", "at most 100"},
		} {
			r := get(t, e.base+"/"+c.query)
			if r.status != 400 {
				t.Errorf("%.80s…: %d, want 400", c.query, r.status)
				continue
			}
			msg := issueText(t, r)
			if !strings.Contains(msg, `"`+c.param+`"`) || !strings.Contains(msg, c.bound) {
				t.Errorf("%.80s…: %q, want it to name %q and say %q", c.query, msg, c.param, c.bound)
			}
		}
		for _, q := range []string{
			"Patient?_total=accurate&family:contains=" + url.QueryEscape(costlyValues(20, family)),
			"Observation?patient.name:contains=" + url.QueryEscape(costlyValues(20, family)),
			"Observation?patient.identifier=" + url.QueryEscape(costlyValues(100, hospitalNo)),
			"Observation?patient.family:contains=" + url.QueryEscape(costlyValues(20, family)) + "&patient.identifier=" + url.QueryEscape(costlyValues(80, hospitalNo)),
		} {
			r := get(t, e.base+"/"+q)
			if r.status != 200 {
				t.Errorf("%.80s…: %d %s", q, r.status, truncate(string(r.body), 300))
				continue
			}
			if entries, _ := r.json(t)["entry"].([]any); len(entries) == 0 {
				t.Errorf("%.80s…: nothing found", q)
			}
		}
	})
}
