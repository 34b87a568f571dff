package test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Hostile values in every search parameter of every type, and in its
// modifiers, are bound as data: the answer is 200 or 400, never a database
// error, and the tables are unchanged.
func TestHostileParameterValues(t *testing.T) {
	t.Parallel()
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

// FuzzSearchValues sends fuzzed values through every search parameter of
// the demo mappings: the answer is 200 or 400, never a database error.
func FuzzSearchValues(f *testing.F) {
	for _, s := range []string{"' OR 1=1 --", "ge2020", "http://x|y", "Patient/1", "%_\\", "\x00", "9434765919"} {
		f.Add(uint8(0), s)
		f.Add(uint8(7), s)
	}
	e := sqliteEnv(&testing.T{})
	set := mustDemoSet(&testing.T{})
	type target struct{ typ, name string }
	var targets []target
	for _, m := range set.Mappings {
		targets = append(targets, target{m.Resource, "_id"})
		for _, p := range m.Search {
			targets = append(targets, target{m.Resource, p.Name})
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, v string) {
		tg := targets[int(which)%len(targets)]
		res, err := http.Get(e.base + "/" + tg.typ + "?" + url.QueryEscape(tg.name) + "=" + url.QueryEscape(v))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 && res.StatusCode != 400 {
			t.Fatalf("%s?%s=%q: %d %s", tg.typ, tg.name, v, res.StatusCode, b)
		}
	})
}
