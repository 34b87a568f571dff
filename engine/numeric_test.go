package engine_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
)

// A token over a numeric column compares numbers: an integer, a decimal,
// and nothing for a value that is no number.
func TestTokenOnNumericColumn(t *testing.T) {
	for _, db := range databases(t) {
		t.Run(db.Name(), func(t *testing.T) { tokenOnNumeric(t, db) })
	}
}

func tokenOnNumeric(t *testing.T, db adapters.Adapter) {
	eng := newEngine(t, db, `CREATE TABLE site (id INTEGER PRIMARY KEY, site_no DECIMAL(8,1), ods INTEGER, name TEXT);
INSERT INTO site VALUES (1, 12, 7, 'Twelve'), (2, 12.5, 8, 'Twelve and a half'), (3, NULL, NULL, 'None');`, engine.Options{}, yamlFile("org.yaml", `
resource: Organization
from: { table: site, key: id }
element:
  name: { column: name }
search:
  identifier:
    type: token
    column: site_no
    system: https://example.org/site-number
  ods:
    type: token
    column: ods
`))
	for _, c := range []struct {
		query string
		want  int
	}{
		{"identifier=12", 1}, {"identifier=12.5", 1}, {"identifier=12.50", 1}, {"identifier=12.0", 1},
		{"identifier=13", 0}, {"identifier=twelve", 0}, {"identifier=1e400", 0}, {"identifier=NaN", 0},
		{"ods=7", 1}, {"ods=7.0", 0}, {"ods=7.5", 0}, {"ods=seven", 0}, {"ods=7,8", 2},
	} {
		got := searchIDs(t, eng, "Organization", c.query)
		if n := len(strings.FieldsFunc(got, func(r rune) bool { return r == ',' })); n != c.want {
			t.Errorf("%s: %d matches (%s), want %d", c.query, n, got, c.want)
		}
	}
}

// A key with a date-time column: every resource is read back by its id,
// and paging one at a time walks through them all, on each database.
func TestDateTimeKey(t *testing.T) {
	ctx := context.Background()
	dbs := databases(t)
	timed := &timedAdapter{Adapter: dbs[0]}
	for _, db := range []adapters.Adapter{timed, dbs[1]} {
		t.Run(db.Name(), func(t *testing.T) {
			eng := newEngine(t, db, `CREATE TABLE reading (pat_id INTEGER NOT NULL, taken TIMESTAMP NOT NULL, val VARCHAR(10), PRIMARY KEY (pat_id, taken));
INSERT INTO reading VALUES (1, '2020-03-04 10:00:00', 'a'), (1, '2020-03-04 10:00:01', 'b'), (1, '2021-12-31 23:59:59', 'c'), (2, '2020-03-04 10:00:00', 'd');`, engine.Options{}, yamlFile("obs.yaml", `
resource: Observation
from: { table: reading, key: [pat_id, taken] }
element:
  status: final
  code: { text: { column: val } }
  effectiveDateTime: { column: taken }
search:
  code:
    type: token
    column: val
`))
			type page struct {
				Link []struct {
					Relation, URL string
				}
				Entry []struct {
					Resource struct {
						ID   string
						Code struct{ Text string }
					}
				}
			}
			walk := func(query string) string {
				var seen []string
				for i := 0; i < 10; i++ {
					body, err := search(t, eng, "Observation", query)
					if err != nil {
						t.Fatalf("%s: %v", query, err)
					}
					var p page
					if err := json.Unmarshal([]byte(body), &p); err != nil {
						t.Fatal(err)
					}
					for _, e := range p.Entry {
						seen = append(seen, e.Resource.Code.Text)
						r, err := eng.Read(ctx, "Observation", e.Resource.ID)
						if err != nil || !strings.Contains(string(fhir.AppendJSON(nil, r)), `"text":"`+e.Resource.Code.Text+`"`) {
							t.Errorf("read %s: %v", e.Resource.ID, err)
						}
					}
					next := ""
					for _, l := range p.Link {
						if l.Relation == "next" {
							next = l.URL
						}
					}
					if next == "" {
						break
					}
					u, _ := url.Parse(next)
					query = u.RawQuery
				}
				return strings.Join(seen, ",")
			}
			if got := walk("_count=1"); got != "a,b,c,d" {
				t.Errorf("paged through %s, want a,b,c,d", got)
			}
			if got := walk("_count=1&_sort=-code"); got != "d,c,b,a" {
				t.Errorf("paged by -code through %s, want d,c,b,a", got)
			}
			if db == timed && timed.types["VARCHAR"] == 0 {
				t.Errorf("the cursor's text was not bound as its column's type: %v", timed.types)
			}
			if db == timed && timed.types["TIMESTAMP"] == 0 {
				t.Errorf("the date-time key was not bound as a time of its column's type: %v", timed.types)
			}
		})
	}
}

// timedAdapter binds times by column type, as SQL Server's dialect does,
// and counts the types asked for.
type timedAdapter struct {
	adapters.Adapter
	types map[string]int
}

func (a *timedAdapter) Exec(ctx context.Context, script string) error {
	return a.Adapter.(adapters.Loader).Exec(ctx, script)
}

func (a *timedAdapter) Load(ctx context.Context, table string, columns []string, next func(row []any) bool) error {
	return a.Adapter.(adapters.Loader).Load(ctx, table, columns, next)
}

func (a *timedAdapter) TimeArgFor(t time.Time, colType string) any {
	if a.types == nil {
		a.types = map[string]int{}
	}
	a.types[colType]++
	return a.TimeArg(t)
}

func (a *timedAdapter) BindFor(v any, colType string) any {
	if a.types == nil {
		a.types = map[string]int{}
	}
	a.types[colType]++
	return v
}

// Keys that cross columns of different types: a text reference column
// whose values are numbers (and one that is not) pointing at an integer
// key, and an integer key linked to a text column of child rows. The
// values are converted to the other column's type; one that cannot be is
// left out, not sent to the database to fail the request.
func TestKeysAcrossColumnTypes(t *testing.T) {
	for _, db := range databases(t) {
		t.Run(db.Name(), func(t *testing.T) {
			var childArgs []any
			trace := func(q string, args []any) {
				if strings.Contains(q, "pat_tel") {
					childArgs = append(childArgs, args...)
				}
			}
			eng := newEngine(t, db, `CREATE TABLE org (id INTEGER PRIMARY KEY, name VARCHAR(20));
CREATE TABLE pat (id INTEGER PRIMARY KEY, org_ref VARCHAR(10));
CREATE TABLE pat_tel (pat_ref VARCHAR(10), tel VARCHAR(20));
INSERT INTO org VALUES (10, 'Ten'), (11, 'Eleven');
INSERT INTO pat VALUES (1, '10'), (2, 'N/A'), (3, NULL), (4, '11');
INSERT INTO pat_tel VALUES ('1', '0113 1'), ('x', '0113 x'), ('4', '0113 4');`, engine.Options{Trace: trace}, patientOrgMapping("org_ref", "pat_ref"), orgMapping)
			body := func(typ, query string) string {
				b, err := search(t, eng, typ, query)
				if err != nil {
					t.Fatalf("%s?%s: %v", typ, query, err)
				}
				return b
			}
			all := body("Patient", "_include=Patient:organization")
			for _, want := range []string{`"name":"Ten"`, `"name":"Eleven"`, `"value":"0113 1"`, `"value":"0113 4"`} {
				if !strings.Contains(all, want) {
					t.Errorf("Patient?_include=Patient:organization lacks %s: %s", want, all)
				}
			}
			if strings.Contains(all, "0113 x") {
				t.Errorf("a child row linked to no patient was given to one: %s", all)
			}
			for _, a := range childArgs {
				if _, ok := a.(string); !ok {
					t.Errorf("a key bound against the text link column as %T", a)
				}
			}
			chained := body("Patient", "organization.name=ele")
			if strings.Count(chained, `"resourceType":"Patient"`) != 1 || !strings.Contains(chained, `"reference":"Organization/11"`) {
				t.Errorf("Patient?organization.name=ele: %s", chained)
			}
			rev := body("Organization", "_revinclude=Patient:organization")
			if strings.Count(rev, `"resourceType":"Patient"`) != 2 {
				t.Errorf("Organization?_revinclude=Patient:organization: %s", rev)
			}
		})
	}
}
