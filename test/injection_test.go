package test

import (
	"net/url"
	"strings"
	"testing"
)

// Hostile values in every search parameter of every type, and in its
// modifiers, are bound as data: the answer is 200 or 400, never a database
// error, and the tables are unchanged.
func TestHostileParameterValues(t *testing.T) {
	payloads := []string{
		"' OR '1'='1", "1; DROP TABLE PATIENT; --", "x' UNION SELECT * FROM PATIENT --", `\'`, "%", "_", `\`,
		"ge2020' OR 1=1 --", "Patient/1' OR '1'='1", "http://x|' OR 1=1 --", strings.Repeat("9", 400), "\x00", "ﬀ\u202e",
		"eq2020-13-45", "1e309", "-1", "$", "|", ",,,", "Patient/", "../../etc/passwd",
	}
	set := mustDemoSet(t)
	forEachBackend(t, func(t *testing.T, e *env) {
		before := get(t, e.base+"/Patient?_summary=count").json(t)["total"]
		for _, m := range set.Mappings {
			names := []string{"_id", "_lastUpdated"}
			for _, p := range m.Search {
				names = append(names, p.Name)
				if p.Type == "string" {
					names = append(names, p.Name+":exact", p.Name+":contains")
				}
				if p.Type == "token" {
					names = append(names, p.Name+":not")
				}
				if p.Type == "reference" {
					names = append(names, p.Name+".identifier", p.Name+":missing")
				}
			}
			for _, n := range names {
				for _, v := range payloads {
					r := get(t, e.base+"/"+m.Resource+"?"+url.QueryEscape(n)+"="+url.QueryEscape(v))
					if r.status != 200 && r.status != 400 {
						t.Errorf("%s?%s=%q: %d %s", m.Resource, n, v, r.status, truncate(string(r.body), 200))
					}
					if strings.Contains(strings.ToLower(string(r.body)), "syntax error") || strings.Contains(string(r.body), "pq:") || strings.Contains(string(r.body), "SQL logic") {
						t.Errorf("%s?%s=%q: a database message leaked: %s", m.Resource, n, v, truncate(string(r.body), 200))
					}
				}
			}
		}
		if after := get(t, e.base+"/Patient?_summary=count").json(t)["total"]; after != before {
			t.Errorf("PATIENT changed: %v → %v", before, after)
		}
	})
}
