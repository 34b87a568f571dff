package test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/engine"
)

// Child rows come inside the parent's statement where the dialect can
// aggregate them (SQLite, PostgreSQL), else in one batched query per
// collection per page: a page of 50 patients costs 1 statement, or 1 + 3,
// never one per patient.
func TestQueriesPerPage(t *testing.T) {
	t.Run("aggregated", func(t *testing.T) { queriesPerPage(t, false) })
	t.Run("batched", func(t *testing.T) { queriesPerPage(t, true) })
}

// batchedOnly hides an adapter's ChildAggregator.
type batchedOnly struct{ adapters.Adapter }

func queriesPerPage(t *testing.T, batched bool) {
	sqliteEnv(t) // loads the demo database
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, sqliteDSN, adapters.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	db := lite
	if batched {
		db = batchedOnly{lite}
	}
	var mu sync.Mutex
	var queries []string
	e := serveDB(t, db, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Trace: func(q string, _ []any) {
		mu.Lock()
		queries = append(queries, q)
		mu.Unlock()
	}})
	children := 3 // Patient's child collections: names, telecoms, addresses
	if !batched {
		children = 0
	}
	for _, c := range []struct {
		path    string
		queries int
		entries int
	}{
		{"/Patient?_count=50", 1 + children, 50},
		{"/Patient/3", 1 + children, -1},
		{"/Practitioner?_count=50", 1, -1},
		{"/Patient?gender=male&_count=0", 1, 0}, // the total alone: one count
		{"/Patient?_count=50&_include=Patient:general-practitioner&_include=Patient:organization", 3 + children, -1},
		{"/Patient?_count=50&_revinclude=Observation:patient", 2 + children, -1},
	} {
		queries = nil
		r := get(t, e.base+c.path)
		if r.status != 200 {
			t.Fatalf("%s: %d", c.path, r.status)
		}
		if len(queries) != c.queries {
			t.Errorf("%s: %d queries, want %d:\n%s", c.path, len(queries), c.queries, strings.Join(queries, "\n"))
		}
		if c.entries >= 0 {
			if n := len(entries(t, r.json(t))); n != c.entries {
				t.Errorf("%s: %d entries", c.path, n)
			}
		}
		for _, q := range queries[min(1, len(queries)):] {
			if !strings.Contains(q, " IN (") {
				t.Errorf("child query is not batched: %s", q)
			}
		}
		if !batched && strings.HasPrefix(c.path, "/Patient?_count=50") && !strings.Contains(queries[0], "json_group_array") {
			t.Errorf("%s: the child collections are not in the statement: %s", c.path, queries[0])
		}
	}
}
