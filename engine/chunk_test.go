package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/engine"
)

// limited is SQLite with a bound on the parameters of a statement, as SQL
// Server has.
type limited struct {
	adapters.Adapter
	max int
}

func (l limited) MaxParams() int { return l.max }

func (l limited) Exec(ctx context.Context, script string) error {
	return l.Adapter.(adapters.Loader).Exec(ctx, script)
}

func (l limited) Load(ctx context.Context, table string, columns []string, next func(row []any) bool) error {
	return l.Adapter.(adapters.Loader).Load(ctx, table, columns, next)
}

// A page of many resources loads its child rows and its includes a bounded
// number of keys to a statement; a request that would still bind more
// parameters than the database takes gets a 400, not a database error.
func TestKeysPerStatement(t *testing.T) {
	var script strings.Builder
	script.WriteString("CREATE TABLE org (id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE pat (id INTEGER PRIMARY KEY, org_id INTEGER);\nCREATE TABLE pat_tel (pat_id INTEGER, tel TEXT);\n")
	const pats, orgs = 2500, 1200
	for i := 1; i <= orgs; i++ {
		fmt.Fprintf(&script, "INSERT INTO org VALUES (%d, 'Org %d');\n", i, i)
	}
	for i := 1; i <= pats; i++ {
		fmt.Fprintf(&script, "INSERT INTO pat VALUES (%d, %d);\nINSERT INTO pat_tel VALUES (%d, '0113 %06d');\n", i, (i-1)%orgs+1, i, i)
	}
	most := 0
	trace := func(_ string, args []any) { most = max(most, len(args)) }
	eng := newEngine(t, limited{sqliteDB(t), 2100}, script.String(), engine.Options{MaxCount: 5000, MaxIncluded: 5000, Trace: trace}, patientOrgMapping("org_id", "pat_id"), orgMapping)
	body, err := search(t, eng, "Patient", "_count=5000&_include=Patient:organization")
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Entry []struct {
			Resource struct {
				ResourceType string
				Telecom      []struct{ Value string }
			}
			Search struct{ Mode string }
		}
	}
	if err := json.Unmarshal([]byte(body), &bundle); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range bundle.Entry {
		n[e.Search.Mode]++
		if e.Resource.ResourceType == "Patient" && len(e.Resource.Telecom) != 1 {
			t.Fatalf("a patient without its telecom: %+v", e.Resource)
		}
	}
	if n["match"] != pats || n["include"] != orgs {
		t.Errorf("%d matches and %d includes, want %d and %d", n["match"], n["include"], pats, orgs)
	}
	if most > 1000 {
		t.Errorf("a statement bound %d parameters", most)
	}

	// 2,200 alternatives of one parameter: more than a search takes.
	vals := make([]string, 2200)
	for i := range vals {
		vals[i] = fmt.Sprint(i + 1)
	}
	_, err = search(t, eng, "Patient", "organization="+strings.Join(vals, ","))
	if ee, ok := engine.AsError(err); !ok || ee.Kind != engine.KindInvalid || !strings.Contains(ee.Msg, "2200 alternatives (values separated by commas); at most 1000 are taken") {
		t.Errorf("2,200 values: %v", err)
	}
}

// A key held by two rows of a table without a unique key finds both; the
// second is the same resource and is included once, and neither pushes
// another key's resource out. The include budget counts the resources
// added: one fewer than there are to include cuts the list, with the
// outcome that says so.
func TestIncludeOfADuplicatedKey(t *testing.T) {
	script := `CREATE TABLE org (id INTEGER, name TEXT);
CREATE TABLE pat (id INTEGER PRIMARY KEY, org_id INTEGER);
INSERT INTO org VALUES (1, 'A'), (1, 'A again'), (2, 'B');
INSERT INTO pat VALUES (1, 1), (2, 2);
`
	patient := patientOrgMapping("org_id", "")
	for _, c := range []struct {
		budget  int
		want    string
		outcome bool
	}{{2, "Organization/1,Organization/2", false}, {1, "Organization/1", true}} {
		eng := newEngine(t, sqliteDB(t), script, engine.Options{MaxIncluded: c.budget}, patient, orgMapping)
		body, err := search(t, eng, "Patient", "_include=Patient:organization")
		if err != nil {
			t.Fatal(err)
		}
		var bundle struct {
			Entry []struct {
				Resource struct{ ResourceType, ID string }
				Search   struct{ Mode string }
			}
		}
		if err := json.Unmarshal([]byte(body), &bundle); err != nil {
			t.Fatal(err)
		}
		var included []string
		outcome := false
		for _, e := range bundle.Entry {
			switch e.Search.Mode {
			case "include":
				included = append(included, e.Resource.ResourceType+"/"+e.Resource.ID)
			case "outcome":
				outcome = true
			}
		}
		if got := strings.Join(included, ","); got != c.want || outcome != c.outcome {
			t.Errorf("budget %d: included %s (outcome %v), want %s (outcome %v)", c.budget, got, outcome, c.want, c.outcome)
		}
	}
}
