package test

import (
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// On PostgreSQL a list of keys is bound as one array (x = ANY($1)): the
// statement that fetches a page's included resources has the same text
// whatever the number of keys, so one prepared statement serves them all.
// The resources included are those the page references, as many as there
// are different keys.
func TestKeyListsAreOneParameter(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		var mu sync.Mutex
		var stmts []string
		opts := engine.Options{DefaultCount: 20, MaxCount: 100, Logger: demotest.Silent(),
			Trace: func(q string, _ []any) {
				mu.Lock()
				defer mu.Unlock()
				stmts = append(stmts, q)
			}}
		s := serveDB(t, e.db, opts)
		texts := map[string]bool{}
		included := map[int]bool{}
		for _, n := range []string{"2", "6", "15", "40"} {
			mu.Lock()
			stmts = nil
			mu.Unlock()
			r := get(t, s.base+"/MedicationRequest?_count="+n+"&_include=MedicationRequest:medication")
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, truncate(string(r.body), 300))
			}
			b := r.json(t)
			modes := entryModes(t, b)
			// The oracle: the medications the matches reference.
			want := map[string]bool{}
			for _, en := range b["entry"].([]any) {
				em := en.(map[string]any)
				if em["search"].(map[string]any)["mode"] != "match" {
					continue
				}
				for _, ref := range references(em["resource"]) {
					if strings.HasPrefix(ref, "Medication/") {
						want[ref] = true
					}
				}
			}
			if len(modes["include"]) != len(want) {
				t.Errorf("_count=%s: %d included, %d referenced", n, len(modes["include"]), len(want))
			}
			for _, inc := range modes["include"] {
				if !want[inc] {
					t.Errorf("_count=%s: %s included but not referenced", n, inc)
				}
			}
			included[len(want)] = true
			mu.Lock()
			if len(stmts) != 2 {
				t.Fatalf("_count=%s: %d statements: %q", n, len(stmts), stmts)
			}
			texts[stmts[1]] = true
			mu.Unlock()
		}
		if len(included) < 3 {
			t.Fatalf("the pages should reference different numbers of medications: %v", included)
		}
		if e.name == "postgres" && len(texts) != 1 {
			t.Errorf("PostgreSQL: %d texts for the include statement, want one:\n%s", len(texts), strings.Join(sortedKeys(texts), "\n"))
		}
		if e.name != "postgres" && len(texts) == 1 {
			t.Errorf("%s: one text for %d numbers of keys: binds arrays?", e.name, len(included))
		}
	})
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
