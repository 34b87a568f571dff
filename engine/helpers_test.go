package engine_test

import (
	"context"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/pgtest"
	"github.com/ccfacade/ccfacade/mapping"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// sqliteDB is an empty SQLite database of the test's own.
func sqliteDB(t *testing.T) adapters.Adapter { return demotest.EmptySQLite(t) }

// databases are an empty PostgreSQL and an empty SQLite database, for
// tests that run on both.
func databases(t *testing.T) []adapters.Adapter {
	t.Helper()
	pg := demotest.EmptyPostgres(t)
	return []adapters.Adapter{demotest.EmptySQLite(t), pg}
}

// newEngine runs schema on db, loads the mapping files, checks them
// against db and returns an engine over them (logging nowhere unless
// opts says).
func newEngine(t *testing.T, db adapters.Adapter, schema string, opts engine.Options, files ...mapping.File) *engine.Engine {
	t.Helper()
	if err := db.(adapters.Loader).Exec(context.Background(), schema); err != nil {
		t.Fatal(err)
	}
	set, err := mapping.Load(files, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return demotest.Engine(t, db, set, opts)
}

// yamlFile is a mapping file from its text.
func yamlFile(name, text string) mapping.File { return mapping.File{Name: name, Data: []byte(text)} }

// patientOrgMapping maps the table pat (key id) to Patient, whose
// managingOrganization references an Organization (orgMapping) by the
// column orgKey, searchable as organization; with telLink, its telecom
// is the phone numbers (tel) of the rows of pat_tel linked to it by that
// column.
func patientOrgMapping(orgKey, telLink string) mapping.File {
	tel := ""
	if telLink != "" {
		tel = "  telecom:\n    - rows: { table: pat_tel, link: " + telLink + " }\n      system: phone\n      value: { column: tel }\n"
	}
	return yamlFile("p.yaml", "resource: Patient\nfrom: { table: pat, key: id }\nelement:\n"+tel+
		"  managingOrganization:\n    reference: { resource: Organization, key: "+orgKey+" }\n"+
		"search:\n  organization:\n    type: reference\n    column: "+orgKey+"\n    target: [Organization]\n")
}

// orgMapping maps the table org (id, name) to Organization, searchable by
// name.
var orgMapping = yamlFile("organization.yaml", `
resource: Organization
from: { table: org, key: id }
element:
  name: { column: name }
search:
  name:
    type: string
    column: name
`)

// search runs a search given as a query string and returns its Bundle as
// JSON.
func search(t *testing.T, eng *engine.Engine, typ, query string) (string, error) {
	t.Helper()
	params, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	b, err := eng.Search(context.Background(), engine.SearchRequest{Type: typ, Params: params, Base: "http://x"})
	if err != nil {
		return "", err
	}
	return string(fhir.AppendJSON(nil, b)), nil
}

// searchIDs returns the ids of a search's entries, sorted and joined by
// commas; an error fails the test.
func searchIDs(t *testing.T, eng *engine.Engine, typ, query string) string {
	t.Helper()
	body, err := search(t, eng, typ, query)
	if err != nil {
		t.Fatalf("%s?%s: %v", typ, query, err)
	}
	var bundle struct {
		Entry []struct {
			Resource struct{ ID string } `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(body), &bundle); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range bundle.Entry {
		ids = append(ids, e.Resource.ID)
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}
