package test

import (
	"fmt"
	"net/url"
	"testing"
	"time"
)

// An independent oracle for date search: the STU3 rules for a search range
// [S, E) against a target range [ts, te), applied in Go to the generator's
// rows, for every prefix and several precisions, compared with what the
// facade counts in SQL.
func TestDateSearchOracle(t *testing.T) {
	t.Parallel()
	type target struct{ ts, te time.Time }
	day := func(s string) target { // YYYYMMDD
		d, _ := time.Parse("20060102", s)
		return target{d, d.AddDate(0, 0, 1)}
	}
	minute := func(s string) target { // YYYY-MM-DD HH:MM, rendered (and compared) to the second
		d, _ := time.Parse("2006-01-02 15:04", s)
		return target{d, d.Add(time.Second)}
	}
	var births, obs, encs []target
	for _, c := range demoRows(t, "CONSULTATION") {
		s, end := minute(str(c["START_DT"])), minute(str(c["END_DT"]))
		encs = append(encs, target{s.ts, end.te})
	}
	for _, p := range demoRows(t, "PATIENT") {
		births = append(births, day(str(p["DATE_OF_BIRTH"])))
	}
	for _, o := range demoRows(t, "OBSERVATION") {
		obs = append(obs, minute(str(o["OBS_DATETIME"])))
	}
	match := func(prefix string, S, E time.Time, x target) bool {
		eq := !x.ts.Before(S) && !x.te.After(E)
		switch prefix {
		case "eq":
			return eq
		case "ne":
			return !eq
		case "gt":
			return x.te.After(E)
		case "lt":
			return x.ts.Before(S)
		case "ge":
			return x.te.After(E) || eq
		case "le":
			return x.ts.Before(S) || eq
		case "sa":
			return !x.ts.Before(E)
		case "eb":
			return !x.te.After(S)
		}
		panic(prefix)
	}
	type value struct {
		text string
		S, E time.Time
	}
	values := func(anchor time.Time) []value {
		y, m, d := anchor.Date()
		return []value{
			{fmt.Sprintf("%04d", y), time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)},
			{fmt.Sprintf("%04d-%02d", y, m), time.Date(y, m, 1, 0, 0, 0, 0, time.UTC), time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)},
			{anchor.Format("2006-01-02"), time.Date(y, m, d, 0, 0, 0, 0, time.UTC), time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)},
			{anchor.Format("2006-01-02T15:04Z"), anchor, anchor.Add(time.Minute)},
			{anchor.Add(90 * time.Second).Format("2006-01-02T15:04:05Z"), anchor.Add(90 * time.Second), anchor.Add(91 * time.Second)},
		}
	}
	prefixes := []string{"eq", "ne", "lt", "gt", "le", "ge", "sa", "eb"}
	type job struct {
		path  string
		rows  []target
		want  int
		query string
	}
	var jobs []job
	for _, src := range []struct {
		typ, param string
		rows       []target
		anchors    []int
	}{
		{"Patient", "birthdate", births, []int{0, 17, 123}},
		{"Observation", "date", obs, []int{0, 500, 1500}},
		{"Encounter", "date", encs, []int{3, 77, 400}},
	} {
		for _, a := range src.anchors {
			anchor := src.rows[a%len(src.rows)].ts
			for _, v := range values(anchor) {
				for _, p := range prefixes {
					n := 0
					for _, x := range src.rows {
						if match(p, v.S, v.E, x) {
							n++
						}
					}
					jobs = append(jobs, job{path: src.typ, want: n, query: src.param + "=" + url.QueryEscape(p+v.text)})
				}
			}
		}
	}
	if len(jobs) < 200 {
		t.Fatalf("only %d cases", len(jobs))
	}
	forEachBackend(t, func(t *testing.T, e *env) {
		failed := 0
		for _, j := range jobs {
			b := get(t, e.base+"/"+j.path+"?"+j.query+"&_summary=count")
			if b.status != 200 {
				t.Errorf("%s?%s: %d %s", j.path, j.query, b.status, truncate(string(b.body), 200))
				continue
			}
			if got := int(b.json(t)["total"].(float64)); got != j.want {
				failed++
				if failed <= 15 {
					u, _ := url.QueryUnescape(j.query)
					t.Errorf("%s?%s: %d, oracle says %d", j.path, u, got, j.want)
				}
			}
		}
		if failed > 0 {
			t.Errorf("%d of %d date cases differ from the oracle", failed, len(jobs))
		}
	})
}
