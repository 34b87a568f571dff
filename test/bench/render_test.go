package main

import (
	"strings"
	"testing"
	"time"
)

// runsOf are made-up measurements of one backend at two sizes.
func runsOf(be *backend) []*run {
	var runs []*run
	for _, n := range []int{100000, 1000000} {
		its := []*interaction{{name: "Patient read by id", variants: [][]stmt{{{"SELECT 1 FROM PATIENT WHERE ID = " + be.ph(1), []any{1}}}}}}
		r := &run{be: be, patients: n, interactions: its, allocs: map[string][4]float64{}, rss: map[string]float64{}, loaded: "Loaded."}
		r.rows = append(r.rows, row{name: "Patient read by id", conc: 1, facade: cell{rps: 1000, p50: time.Millisecond, p99: 3 * time.Millisecond}, prepared: cell{rps: 2000}})
		runs = append(runs, r)
	}
	return runs
}

// Each backend has its sections, PostgreSQL's headed as they were before
// there was another backend; a second backend is set beside the first.
func TestRenderBackends(t *testing.T) {
	pg := postgresBackend("postgres://x")
	my := &backend{name: "mysql", label: "MariaDB 10.11.19", heading: " on MariaDB 10.11.19", driver: "go-sql-driver/mysql", notes: "On MariaDB …", ph: func(int) string { return "?" }}
	alone := render(runsOf(pg), []*backend{pg}, time.Second)
	both := render(append(runsOf(pg), runsOf(my)...), []*backend{pg, my}, time.Second)
	for _, want := range []string{"\n## 100000 patients\n", "\n## From 100000 to 1000000 patients\n", "(100000 patients):\n", "over the `postgres` adapter", "lib/pq"} {
		if !strings.Contains(alone, want) || !strings.Contains(both, want) {
			t.Errorf("PostgreSQL's report lacks %q", want)
		}
	}
	if strings.Contains(alone, "MariaDB") || strings.Contains(alone, "beside") {
		t.Error("a PostgreSQL-only report speaks of another backend")
	}
	for _, want := range []string{"\n## 100000 patients on MariaDB 10.11.19\n", "\n## 1000000 patients on MariaDB 10.11.19\n", "\n## From 100000 to 1000000 patients on MariaDB 10.11.19\n",
		"(100000 patients, MariaDB 10.11.19):\n", "`SELECT 1 FROM PATIENT WHERE ID = ?`", "**MariaDB 10.11.19** (", "On MariaDB …",
		"\n## MariaDB 10.11.19 beside PostgreSQL\n", "| Patient read by id | 1000000 | 1 | 1000 (1.00, 3.00) | 1000 (1.00, 3.00) | 1.00 | 2000 (0.00) | 2000 (0.00) | 1.00 |"} {
		if !strings.Contains(both, want) {
			t.Errorf("the report of both lacks %q", want)
		}
	}
	if i, j := strings.Index(both, "## From 100000 to 1000000 patients\n"), strings.Index(both, "## 100000 patients on MariaDB"); i < 0 || j < i {
		t.Error("MariaDB's sections do not follow PostgreSQL's")
	}
}
