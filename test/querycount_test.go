package test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// Child rows come inside the parent's statement where the dialect can
// aggregate them (SQLite, PostgreSQL), else in one batched query per
// collection per page: a page of 50 patients costs 1 statement, or 1 + 3,
// never one per patient.
func TestQueriesPerPage(t *testing.T) {
	t.Parallel()
	t.Run("aggregated", func(t *testing.T) { queriesPerPage(t, false) })
	t.Run("batched", func(t *testing.T) { queriesPerPage(t, true) })
}

// batchedOnly hides an adapter's ChildAggregator.
type batchedOnly struct{ adapters.Adapter }

func queriesPerPage(t *testing.T, batched bool) {
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, sqliteDSN(t), adapters.Options{ReadOnly: true})
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
	e := serveDB(t, db, engine.Options{Logger: demotest.Silent(), Trace: func(q string, _ []any) {
		mu.Lock()
		queries = append(queries, q)
		mu.Unlock()
	}})
	children := 3    // Patient's child collections: names, telecoms, addresses
	obsChildren := 1 // Observation's: a test group's members
	if !batched {
		children, obsChildren = 0, 0
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
		{"/Patient?_count=50&_revinclude=Observation:patient", 2 + children + obsChildren, -1},
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

// A record read to its end costs one statement for the Patient, one for
// each compartment type and one for each type its resources reference: a
// page that ends where a type's resources end looks for the next type
// with any before it gives a next link, so no empty page follows (and
// costs a Patient statement again). Both with the sections run a few at a
// time and one after another.
func TestEverythingQueriesPerRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, sqliteDSN(t), adapters.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	for _, sequential := range []bool{false, true} {
		var mu sync.Mutex
		queries := 0
		e := serveDB(t, lite, engine.Options{Sequential: sequential, MaxCount: 100, Logger: demotest.Silent(),
			Trace: func(string, []any) { mu.Lock(); queries++; mu.Unlock() }})
		// The record of Patient/114 is 20 resources; a Patient with no
		// other resources is one.
		var alone string
		for id := 1; id <= demoPatients && alone == ""; id++ {
			if es := entryModes(t, get(t, fmt.Sprintf("%s/Patient/%d/$everything?_count=100", e.base, id)).json(t))["match"]; len(es) == 1 {
				alone = fmt.Sprint(id)
			}
		}
		if alone == "" {
			t.Fatal("the demo has no Patient without other resources")
		}
		for _, c := range []struct{ id, count string }{{"114", "20"}, {alone, "1"}} {
			start := e.base + "/Patient/" + c.id + "/$everything?_count=" + c.count
			queries = 0
			pages := 0
			referenced := map[string]bool{}
			for next := start; next != ""; pages++ {
				b := get(t, next).json(t)
				for _, k := range entryModes(t, b)["include"] {
					referenced[strings.SplitN(k, "/", 2)[0]] = true
				}
				next = link(b, "next")
			}
			if want := 1 + len(e.eng.Compartment()) + len(referenced); pages != 1 || queries != want {
				t.Errorf("sequential=%v %s: %d page(s), %d statements; want 1 page, %d statements", sequential, start, pages, queries, want)
			}
		}
	}
}
