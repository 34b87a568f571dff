package catalog_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/catalog"
	"github.com/ccfacade/ccfacade/mapping"
)

func load(t *testing.T, yaml string) (*catalog.Catalog, *mapping.Set, error) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, "file:"+filepath.Join(t.TempDir(), "c.db"), adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.(adapters.Loader).Exec(ctx, `CREATE TABLE pt (id INTEGER PRIMARY KEY, born DATE, seen TIMESTAMP, name VARCHAR(20), flag CHAR(1));
CREATE TABLE tel (pid INTEGER, v VARCHAR(20), pref CHAR(1))`); err != nil {
		t.Fatal(err)
	}
	set, err := mapping.Load([]mapping.File{{Name: "p.yaml", Data: []byte(yaml)}}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(ctx, set, db)
	return cat, set, err
}

// Every column a mapping names is checked, a condition on one value
// included, and the catalog keeps each column's kind as the adapter
// classifies it.
func TestLoad(t *testing.T) {
	const ok = `
resource: Patient
from: { table: pt, key: id, updated: seen }
element:
  birthDate: { column: born }
  telecom:
    - rows: { table: tel, link: { pid: id } }
      value: { column: v }
      rank: { value: 1, when: { column: pref, equals: "Y" } }
  active: { value: true, when: { column: flag } }
`
	cat, set, err := load(t, ok)
	if err != nil {
		t.Fatal(err)
	}
	m := set.Lookup("Patient")
	for name, want := range map[string]adapters.Kind{"id": adapters.KindInteger, "born": adapters.KindDate, "seen": adapters.KindTimestamp, "flag": adapters.KindText} {
		if got := cat.Column(m, nil, name).Kind; got != want {
			t.Errorf("%s: kind %s, want %s", name, got, want)
		}
	}
	if got := cat.Column(nil, m.Children[0], "PREF").Kind; got != adapters.KindText {
		t.Errorf("tel.pref (named only by a condition): kind %s", got)
	}
	if k := cat.Key(m); len(k) != 1 || k[0].Kind != adapters.KindInteger {
		t.Errorf("key: %+v", k)
	}

	for _, bad := range []struct{ from, to, want string }{
		{"column: pref, equals", "column: prefx, equals", `column "prefx" not in tel`},
		{"when: { column: flag }", "when: { column: flagx }", `column "flagx" not in pt`},
		{"updated: seen", "updated: name", "the last-updated column must be a timestamp"},
		{"birthDate: { column: born }", "birthDate: { column: id }", "a date needs a date or timestamp column"},
	} {
		_, _, err := load(t, strings.Replace(ok, bad.from, bad.to, 1))
		if err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), "p.yaml:") {
			t.Errorf("%s → %s: %v, want an error with %q and its position", bad.from, bad.to, err, bad.want)
		}
	}
}
