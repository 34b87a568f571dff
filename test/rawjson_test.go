package test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// Searches and reads answered in compact JSON render their resources
// straight to JSON, without a value tree. Every resource of every type of the demo
// set, on each database, and the resources _include and _revinclude add,
// must be byte for byte what the tree renders: the same engine options
// but TreeOnly, on the same database, page by page.
func TestRenderedJSONIsTheTree(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		log := demotest.Silent()
		opts := engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret"), Logger: log}
		raw := serveDB(t, e.db, opts)
		opts.TreeOnly = true
		tree := serveDB(t, e.db, opts)
		compareRendered(t, raw.base, tree.base, demoQueries)
	})
}

// demoQueries are the searches compared: every type in full, and searches
// with includes.
var demoQueries = []string{
	"Patient?_count=100", "Practitioner?_count=100", "Organization?_count=100", "Location?_count=100",
	"PractitionerRole?_count=100", "Encounter?_count=100", "Condition?_count=100", "Observation?_count=100",
	"AllergyIntolerance?_count=100", "Procedure?_count=100", "Immunization?_count=100", "Medication?_count=100",
	"MedicationRequest?_count=100", "MedicationStatement?_count=100",
	"MedicationRequest?_count=50&_include=MedicationRequest:medication&_include=MedicationRequest:patient",
	"Patient?_count=20&_revinclude=Observation:patient&_include=Patient:general-practitioner",
}

// compareRendered walks each query on both services and compares every
// entry's bytes.
func compareRendered(t *testing.T, rawBase, treeBase string, queries []string) {
	t.Helper()
	type page struct {
		Entry []json.RawMessage `json:"entry"`
		Link  []struct{ Relation, URL string }
	}
	read := func(url string) page {
		r := get(t, url)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", url, r.status, truncate(string(r.body), 300))
		}
		var p page
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	entries := 0
	for _, q := range queries {
		next := q
		for pages := 0; next != "" && pages < 200; pages++ {
			rp, tp := read(rawBase+"/"+next), read(treeBase+"/"+next)
			if len(rp.Entry) != len(tp.Entry) {
				t.Fatalf("%s: %d entries rendered straight, %d from the tree", next, len(rp.Entry), len(tp.Entry))
			}
			for i := range rp.Entry {
				entries++
				if i < 3 { // and the read of it
					var en struct{ FullURL string }
					if err := json.Unmarshal(tp.Entry[i], &en); err != nil {
						t.Fatal(err)
					}
					path := en.FullURL[strings.Index(en.FullURL, "/fhir/")+len("/fhir/"):]
					rr, tr := get(t, rawBase+"/"+path), get(t, treeBase+"/"+path)
					if rr.status != tr.status || !bytes.Equal(rr.body, tr.body) || rr.header.Get("ETag") != tr.header.Get("ETag") || rr.header.Get("Last-Modified") != tr.header.Get("Last-Modified") {
						t.Errorf("read %s differs: %d %s\n%d %s", path, rr.status, truncate(string(rr.body), 300), tr.status, truncate(string(tr.body), 300))
					}
				}
				// The two services differ only in their address.
				if !bytes.Equal(bytes.ReplaceAll(rp.Entry[i], []byte(rawBase), []byte(treeBase)), tp.Entry[i]) {
					t.Errorf("%s entry %d differs:\n straight: %s\n     tree: %s", next, i, truncate(string(rp.Entry[i]), 600), truncate(string(tp.Entry[i]), 600))
				}
			}
			next = ""
			for _, l := range tp.Link {
				if l.Relation == "next" {
					next = l.URL[strings.Index(l.URL, "/fhir/")+len("/fhir/"):]
				}
			}
		}
	}
	if entries < 20 {
		t.Fatalf("only %d entries compared", entries)
	}
	t.Logf("%d entries compared", entries)
}
