package catalog_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/adapters/sqlserver"
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
		// Comparisons are checked against the columns' kinds.
		{"when: { column: flag }", "when: { column: name, lt: today }", "it is compared with a date but holds text: give the format its dates are written in (format: yyyyMMdd)"},
		{"when: { column: flag }", "when: { column: born, format: yyyyMMdd, lt: today }", `"format" is for dates kept as text`},
		{"when: { column: flag }", "when: { column: id, lt: today }", "it is compared with a date but is not a date"},
		{"when: { column: flag }", "when: { column: name, gt: 0 }", "it is compared with a number but is not a number"},
		{"when: { column: flag }", "when: { column: flag, lt: { column: name } }", "two columns are compared only as dates or numbers"},
		{"when: { column: flag }", "when: { column: id, matches: '^1' }", `"matches" tests text`},
		{"when: { column: flag }", "when: { any: [ { column: flag }, { column: nope } ] }", `column "nope" not in pt`},
		{"when: { column: flag }", "when: { column: seen, ge: { column: nope } }", `column "nope" not in pt`},
		// Tables that are not there.
		{"table: pt,", "table: ptx,", `Patient: table "ptx" does not exist`},
		{"table: tel,", "table: telx,", `table "telx" does not exist`},
	} {
		_, _, err := load(t, strings.Replace(ok, bad.from, bad.to, 1))
		if err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), "p.yaml:") {
			t.Errorf("%s → %s: %v, want an error with %q and its position", bad.from, bad.to, err, bad.want)
		}
	}
}

// A comparison the column's kind allows passes.
func TestComparisonsPass(t *testing.T) {
	_, _, err := load(t, `
resource: Patient
from: { table: pt, key: id }
element:
  active:
    first:
      - { value: false, when: { column: born, lt: today } }
      - { value: false, when: { column: seen, ge: { column: born } } }
      - { value: false, when: { column: name, format: yyyyMMdd, le: 2020-01-01 } }
      - { value: false, when: { all: [ { column: id, gt: 10 }, { column: name, matches: "^[A-Z]" } ] } }
      - { value: true }
`)
	if err != nil {
		t.Fatal(err)
	}
}

// sqlServerText is SQLite with SQL Server's text functions: no title
// case, no regular expressions.
type sqlServerText struct{ adapters.Adapter }

func (sqlServerText) Name() string { return "sqlserver" }
func (sqlServerText) TextFunction(fn, x string, vals []string, bind func(any) string) (string, bool) {
	return sqlserver.Dialect{}.TextFunction(fn, x, vals, bind)
}

// A search through a transform, or a condition, the database cannot
// compute in SQL is refused, naming the parameter and the transform;
// rendering alone needs no SQL, so the same mapping without the search
// passes.
func TestSearchNeedsTheDatabasesFunctions(t *testing.T) {
	const m = `
resource: Patient
from: { table: pt, key: id }
element:
  name:
    - family: { column: name, transform: [ { before: "," }, title ] }
  telecom:
    - system: phone
      value: { column: name }
      when: { column: flag, matches: "^[YN]$" }
search:
  family: {}
  phone: {}
`
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, "file:"+filepath.Join(t.TempDir(), "c.db"), adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if err := lite.(adapters.Loader).Exec(ctx, `CREATE TABLE pt (id INTEGER PRIMARY KEY, name VARCHAR(20), flag CHAR(1))`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mapping string
		want    []string
	}{
		{m, []string{`p.yaml:12:3: Patient search family: family searches the value through the transform "title", which sqlserver cannot compute in SQL`,
			`p.yaml:10:13: Patient search phone: phone is searched where a value matches a regular expression, which sqlserver cannot test in SQL`}},
		{strings.Replace(m, "search:\n  family: {}\n  phone: {}\n", "", 1), nil},
	} {
		set, err := mapping.Load([]mapping.File{{Name: "p.yaml", Data: []byte(c.mapping)}}, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := catalog.Load(ctx, set, lite); err != nil {
			t.Fatalf("SQLite computes both: %v", err)
		}
		_, err = catalog.Load(ctx, set, sqlServerText{lite})
		if c.want == nil {
			if err != nil {
				t.Errorf("without the search: %v", err)
			}
			continue
		}
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("got %v\nwant %s", err, w)
			}
		}
	}
}

// A joined table and the columns taken from it or joined on are checked,
// each error at the join with the alias the mapping uses.
func TestJoinsChecked(t *testing.T) {
	const ok = `
resource: Patient
from:
  table: tel
  key: pid
  join:
    - { table: pt, as: p, on: { id: pid } }
element:
  birthDate: { column: p.born }
  active: { value: true, when: { column: p.flag, equals: "Y" } }
search:
  birthdate: {}
`
	cat, set, err := load(t, ok)
	if err != nil {
		t.Fatal(err)
	}
	m := set.Lookup("Patient")
	if got := cat.Column(m, nil, "p__born").Kind; got != adapters.KindDate {
		t.Errorf("p.born: kind %s", got)
	}
	for _, bad := range []struct{ from, to, want string }{
		{"column: p.born", "column: p.bornx", `p.yaml:7:7: Patient from join p: column "bornx" not in pt (the mapping writes it p.bornx)`},
		{"{ id: pid }", "{ idx: pid }", `column "idx" not in pt (joined as p)`},
		{"{ id: pid }", "{ id: pidx }", `column "pidx" not in tel`},
		{"table: pt, as", "table: ptx, as", `table "ptx" does not exist`},
		{"column: p.born", "column: q.born", `column "q.born" not in tel with its joins (a joined table's column is written ALIAS.COLUMN, with the alias declared under from: join)`},
	} {
		_, _, err := load(t, strings.Replace(ok, bad.from, bad.to, 1))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s → %s: %v, want %q", bad.from, bad.to, err, bad.want)
		}
	}
}

// A concept map read from a table: its table and columns are checked, its
// codes against the element's required value set (naming the table), and
// RefreshConcepts puts a new version in place at once.
func TestConceptMapFromTable(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, "file:"+filepath.Join(t.TempDir(), "c.db"), adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(sql string) {
		t.Helper()
		if err := db.(adapters.Loader).Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE TABLE pt (id INTEGER PRIMARY KEY, sex CHAR(1));
CREATE TABLE sexes (loc CHAR(1), fhir VARCHAR(10), label VARCHAR(10));
INSERT INTO sexes VALUES ('M', 'male', 'Male'), ('F', 'female', 'Female'), (NULL, 'other', 'x'), ('X', NULL, 'y')`)
	const m = `
resource: Patient
from: { table: pt, key: id }
element:
  gender: { column: sex, concept: sexes }
concepts:
  sexes:
    system: http://hl7.org/fhir/administrative-gender
    from: { table: sexes, local: loc, code: fhir, display: label }
    refresh: 1h
`
	load := func(yaml string) (*mapping.Set, error) {
		set, err := mapping.Load([]mapping.File{{Name: "p.yaml", Data: []byte(yaml)}}, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		_, err = catalog.Load(ctx, set, db)
		return set, err
	}
	set, err := load(m)
	if err != nil {
		t.Fatal(err)
	}
	cm := set.Concepts["sexes"]
	if got, ok := cm.Lookup("F"); !ok || got.Code != "female" || got.Display != "Female" || got.System != "http://hl7.org/fhir/administrative-gender" || cm.Len() != 2 {
		t.Errorf("F: %+v %v; %d entries (rows without a local or target code are left out)", got, ok, cm.Len())
	}
	exec(`UPDATE sexes SET fhir = 'unknown' WHERE loc = 'M'`)
	if err := catalog.RefreshConcepts(ctx, db, cm); err != nil {
		t.Fatal(err)
	}
	if got, _ := cm.Lookup("M"); got.Code != "unknown" {
		t.Errorf("after a refresh M is %q", got.Code)
	}
	// A refresh that would serve a code the element does not allow, or
	// that finds the table empty, keeps the entries the map had.
	exec(`INSERT INTO sexes VALUES ('Q', 'mail', 'typo')`)
	if err := catalog.RefreshConcepts(ctx, db, cm); err == nil || !strings.Contains(err.Error(), `keeps its entries: concept map "sexes" translates "Q" to "mail"`) {
		t.Errorf("a refresh with a code gender does not allow: %v", err)
	}
	if _, ok := cm.Lookup("Q"); ok || cm.Len() != 2 {
		t.Errorf("the refused refresh took effect: %d entries", cm.Len())
	}
	exec(`DELETE FROM sexes`)
	if err := catalog.RefreshConcepts(ctx, db, cm); err == nil || cm.Len() != 2 {
		t.Errorf("an emptied table: %v, %d entries", err, cm.Len())
	}
	exec(`INSERT INTO sexes VALUES ('M', 'male', 'Male'), ('F', 'female', 'Female')`)
	for _, bad := range []struct{ from, to, want string }{
		{"table: sexes,", "table: sexs,", `p.yaml:9:11: concepts.sexes from: table "sexs" does not exist`},
		{"code: fhir,", "code: fhirx,", `column "fhirx" not in sexes`},
	} {
		if _, err := load(strings.Replace(m, bad.from, bad.to, 1)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s → %s: %v, want %q", bad.from, bad.to, err, bad.want)
		}
	}
	exec(`INSERT INTO sexes VALUES ('Q', 'mail', 'typo')`)
	if _, err := load(m); err == nil || !strings.Contains(err.Error(), `p.yaml:5:11: Patient.gender: concept map "sexes" translates "Q" to "mail", which is not an allowed code (one of: male, female, other, unknown) (read from sexes)`) {
		t.Errorf("a code the value set does not allow: %v", err)
	}
}
