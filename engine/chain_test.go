package engine_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
)

// Patients whose practices are in a child table: several per patient.
const chainSchema = `CREATE TABLE pat (id INTEGER PRIMARY KEY, sex TEXT);
CREATE TABLE org (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE pat_gp (pat_id INTEGER, org_id INTEGER);
INSERT INTO pat VALUES (1, 'male'), (2, 'female'), (3, 'female'), (4, 'male');
INSERT INTO org VALUES (10, 'Acme Surgery'), (11, 'Brook Practice'), (12, 'Acorn Health');
INSERT INTO pat_gp VALUES (1, 10), (1, 11), (2, 11), (3, 12), (3, 10);`

var chainMappings = []mapping.File{
	{Name: "patient.yaml", Data: []byte(`
resource: Patient
from: { table: pat, key: id }
element:
  gender: { column: sex }
search:
  general-practitioner:
    type: reference
    column: org_id
    target: [Organization]
    rows: { table: pat_gp, link: pat_id }
`)},
	{Name: "organization.yaml", Data: []byte(`
resource: Organization
from: { table: org, key: id }
element:
  name: { column: name }
search:
  name:
    type: string
    column: name
`)},
}

// A chain through a reference held in a child table matches a patient
// when any of its rows points to a matching organization.
func TestChainThroughChildRows(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, "file:"+filepath.Join(t.TempDir(), "chain.db"), adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.(adapters.Loader).Exec(ctx, chainSchema); err != nil {
		t.Fatal(err)
	}
	set, err := mapping.Load(chainMappings, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if err := set.CheckDatabase(ctx, db); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(set, db, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{
		"general-practitioner.name=ac":                                   "1,3",
		"general-practitioner.name=brook":                                "1,2",
		"general-practitioner.name=acorn":                                "3",
		"general-practitioner.name=nobody":                               "",
		"general-practitioner:Organization.name=acme":                    "1,3",
		"general-practitioner=Organization/11":                           "1,2",
		"general-practitioner.name=brook,acorn":                          "1,2,3",
		"general-practitioner.name=acme&general-practitioner.name=brook": "1", // one row each
		"general-practitioner.name=acme&general-practitioner.name=acorn": "3",
	} {
		params, err := url.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		b, err := eng.Search(ctx, engine.SearchRequest{Type: "Patient", Params: params, Base: "http://x"})
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		var bundle struct {
			Entry []struct {
				Resource struct{ ID string } `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(fhir.AppendJSON(nil, b), &bundle); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range bundle.Entry {
			ids = append(ids, e.Resource.ID)
		}
		sort.Strings(ids)
		if got := strings.Join(ids, ","); got != want {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
}
