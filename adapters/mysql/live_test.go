package mysql

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/adaptertest"
	"github.com/ccfacade/ccfacade/adapters/sqlgen"
	"github.com/ccfacade/ccfacade/internal/mysqltest"
)

// live opens the adapter on a fresh database holding the script's tables.
func live(t *testing.T, script string, opts adapters.Options) *DB {
	t.Helper()
	dsn := mysqltest.FreshDB(t)
	adaptertest.Load(t, Open, dsn, script).Close()
	a := adaptertest.OpenerOf(Open, dsn, opts)(t, opts.ReadOnly)
	return a.(*DB)
}

const liveSchema = `
CREATE TABLE P (ID INTEGER PRIMARY KEY, CODE VARCHAR(10), A VARCHAR(10), B VARCHAR(10),
    L VARCHAR(20) CHARACTER SET latin1, BIN VARCHAR(20) COLLATE utf8mb4_bin,
    AT TIMESTAMP(3) NULL, W DATETIME(3), D DATE, AMT DECIMAL(10,2), F DOUBLE, FL FLOAT, U BIGINT UNSIGNED);
CREATE TABLE C (ID INTEGER PRIMARY KEY, P_ID INTEGER, TXT VARCHAR(40), AMT DECIMAL(10,2), W DATETIME(6), D DATE, F DOUBLE);
INSERT INTO P VALUES (1, 'abc', 'x', NULL, 'Zoë', 'Smith', '2020-03-04 10:00:00.5', '2020-03-04 10:00:00.5', '2020-03-04', 12.50, 0.1, 0.1, 18446744073709551615);
INSERT INTO P VALUES (2, 'ABC', NULL, NULL, 'Zoe', 'smith', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO P VALUES (3, 'abc ', 'y', 'z', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO C VALUES (1, 1, 'first "quoted" \ back', 1.10, '2020-01-02 03:04:05.123456', '2020-01-02', 1.5);
INSERT INTO C VALUES (2, 1, 'Zoë', NULL, NULL, NULL, NULL);
`

func ids(t *testing.T, db *DB, where string, args ...any) string {
	t.Helper()
	var got []int64
	if err := db.DB().Select(&got, "SELECT ID FROM P WHERE "+where+" ORDER BY ID", args...); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return strings.Trim(fmt.Sprint(got), "[]")
}

// Codes compare with case and trailing spaces counting, under a _ci
// collation; ILike follows each column's collation, Like counts case
// whatever the column's character set.
func TestLiveMatching(t *testing.T) {
	db := live(t, liveSchema, adapters.Options{ReadOnly: true})
	if got := ids(t, db, db.Exact("CODE", "?1"), "abc"); got != "1" {
		t.Errorf("Exact abc: %s", got)
	}
	if got := ids(t, db, db.ExactIn("CODE", []string{"?1", "?2"}), "ABC", "x"); got != "2" {
		t.Errorf("ExactIn ABC: %s", got)
	}
	if got := ids(t, db, "CODE = ?1", "abc"); got != "1 2 3" {
		t.Errorf("plain = under utf8mb4_general_ci: %s (what Exact must narrow)", got)
	}
	if got := ids(t, db, db.ILike("L", "?1"), "zoe"); got != "1 2" {
		t.Errorf("ILike on a latin1 column: %s", got)
	}
	if got := ids(t, db, db.Like("L", "?1"), "Zo_"); got != "1 2" {
		t.Errorf("Like on a latin1 column: %s", got)
	}
	if got := ids(t, db, db.Like("L", "?1"), "zo%"); got != "" {
		t.Errorf("Like counts case: %s", got)
	}
	if got := ids(t, db, db.ILike("BIN", "?1"), "smith"); got != "2" {
		t.Errorf("ILike under utf8mb4_bin counts case: %s", got)
	}
	cols, err := db.Columns(context.Background(), "P")
	if err != nil {
		t.Fatal(err)
	}
	coll := map[string]string{}
	for _, c := range cols {
		coll[c.Name] = c.Collation
	}
	if coll["BIN"] != "utf8mb4_bin" || !strings.HasPrefix(coll["L"], "latin1_") || coll["ID"] != "" {
		t.Errorf("collations: %v", coll)
	}
	if f, err := db.Folding(context.Background(), coll["BIN"]); err != nil || f.Case {
		t.Errorf("Folding(utf8mb4_bin) ignores case (%v)", err)
	}
}

// Folding is what the server does: the letters each collation keeps apart
// from their base letter, of those its character set holds.
func TestLiveFolding(t *testing.T) {
	db := live(t, "", adapters.Options{ReadOnly: true})
	ctx := context.Background()
	kept := func(f adapters.Folding) string {
		var s []string
		for _, a := range f.Kept {
			s = append(s, a.Letter)
		}
		return strings.Join(s, " ")
	}
	for coll, want := range map[string]struct {
		caseless bool
		kept     string
	}{
		db.FoldingCollation():         {true, ""},
		"utf8mb4_unicode_520_ci":      {true, ""},
		"utf8mb4_uca1400_nopad_ai_ci": {true, ""},
		"utf8mb4_general_ci":          {true, "ø ł"},
		"utf8mb4_unicode_ci":          {true, "ø ł"},
		"utf8mb4_swedish_ci":          {true, "ü ö å ø ł"},
		"utf8mb4_uca1400_as_ci":       {true, "é ë á ü ö å ñ ç ø ł"},
		// = ignores accents under it, but LIKE (what search uses) does not.
		"utf8mb4_uca1400_ai_cs": {false, "é ë á ü ö å ñ ç ø ł"},
		"utf8mb4_bin":           {false, "é ë á ü ö å ñ ç ø ł"},
		"latin1_swedish_ci":     {true, "ü ö å ø"}, // latin1 has no ł
		"latin1_general_ci":     {true, "é ë á ü ö å ñ ç ø"},
		"latin1_general_cs":     {false, "é ë á ü ö å ñ ç ø"},
	} {
		f, err := db.Folding(ctx, coll)
		if err != nil {
			t.Errorf("%s: %v", coll, err)
			continue
		}
		if f.Case != want.caseless || kept(f) != want.kept {
			t.Errorf("%s: ignores case %v, keeps %q; want %v, %q", coll, f.Case, kept(f), want.caseless, want.kept)
		}
	}
	if _, err := db.Folding(ctx, "utf8mb4_bin; DROP TABLE P"); err == nil {
		t.Error("a name that is no collation's is taken")
	}
	if !db.FoldsAccents() {
		t.Error("the test database's utf8mb4_general_ci ignores Zoë's accent, yet FoldsAccents is false")
	}
}

// CONCAT skips a NULL part, as on every other database.
func TestLiveConcat(t *testing.T) {
	db := live(t, liveSchema, adapters.Options{ReadOnly: true})
	var got []any
	if err := db.DB().Select(&got, "SELECT "+sqlgen.Concat([]string{"A", "B"})+" FROM P ORDER BY ID"); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i] = db.Normalize(got[i], "")
	}
	if fmt.Sprint(got) != "[x <nil> yz]" {
		t.Errorf("concat of A and B: %s", got)
	}
}

// A CAST to VARCHAR(n) or INTEGER, spelt as MySQL 8 has it, means on
// MariaDB what it meant there.
func TestLiveCast(t *testing.T) {
	db := live(t, liveSchema, adapters.Options{ReadOnly: true})
	var s, pad string
	var n, m int64
	err := db.DB().QueryRow("SELECT CAST(ID * 12345 AS VARCHAR(3)), CAST('7' AS INTEGER), CAST(-ID AS INT), CONCAT('-0', CAST(ID + 4 AS VARCHAR(2))) FROM P WHERE ID = 1").Scan(&s, &n, &m, &pad)
	if err != nil || s != "123" || n != 7 || m != -1 || pad != "-05" {
		t.Errorf("casts: %q %d %d %q, %v", s, n, m, pad, err)
	}
}

// Values come back as Normalize and Kind say, TIMESTAMP as an instant in
// UTC, DATETIME as a wall clock.
func TestLiveValues(t *testing.T) {
	db := live(t, liveSchema, adapters.Options{ReadOnly: true})
	rs, err := db.DB().Query("SELECT AT, W, D, AMT, F, FL, U FROM P WHERE ID = ?1", int64(1))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	cts, _ := rs.ColumnTypes()
	rs.Next()
	vals := adaptertest.ScanRow(t, rs, len(cts))
	for i := range vals {
		vals[i] = db.Normalize(vals[i], cts[i].DatabaseTypeName())
	}
	at := time.Date(2020, 3, 4, 10, 0, 0, 5e8, time.UTC)
	if v, ok := vals[0].(time.Time); !ok || !v.Equal(at) || db.Kind(cts[0].DatabaseTypeName()) != adapters.KindTimestampTZ {
		t.Errorf("TIMESTAMP: %#v (%s)", vals[0], cts[0].DatabaseTypeName())
	}
	if v, ok := vals[1].(time.Time); !ok || !v.Equal(at) {
		t.Errorf("DATETIME: %#v", vals[1])
	}
	if v, ok := vals[2].(time.Time); !ok || v.Format(time.DateOnly) != "2020-03-04" {
		t.Errorf("DATE: %#v", vals[2])
	}
	if vals[3] != "12.50" || vals[4] != 0.1 || vals[5] != 0.1 || vals[6] != "18446744073709551615" {
		t.Errorf("DECIMAL, DOUBLE, FLOAT, BIGINT UNSIGNED: %#v", vals[3:])
	}
	// A TIMESTAMP is compared as the instant, a DATETIME as the wall clock.
	plus5 := time.FixedZone("UTC+5", 5*3600)
	if got := ids(t, db, "AT = ?1", db.TimeArgFor(at.In(plus5), "TIMESTAMP")); got != "1" {
		t.Errorf("TIMESTAMP = the instant given in another zone: %s", got)
	}
	if got := ids(t, db, "W = ?1", db.TimeArgFor(time.Date(2020, 3, 4, 10, 0, 0, 5e8, plus5), "DATETIME")); got != "1" {
		t.Errorf("DATETIME = the wall clock: %s", got)
	}
}

// Child rows travel as JSON and come back as Normalize gives them.
func TestLiveAggregate(t *testing.T) {
	db := live(t, liveSchema, adapters.Options{ReadOnly: true})
	if !db.MariaDB {
		if db.Aggregates([]string{"INT"}) {
			t.Error("MySQL: JSON_ARRAYAGG takes no ORDER BY, yet Aggregates is true")
		}
		t.Skip("child rows are aggregated on MariaDB only")
	}
	types := []string{"INT", "VARCHAR", "DECIMAL", "DATETIME", "DATE", "DOUBLE"}
	if !db.Aggregates(types) || db.Aggregates([]string{"BLOB"}) {
		t.Fatal("Aggregates")
	}
	agg := db.AggregateRows([]string{"c.ID", "c.TXT", "c.AMT", "c.W", "c.D", "c.F"}, "C c", "c.P_ID = p.ID", []string{"c.ID DESC"})
	var raw []any
	if err := db.DB().Select(&raw, "SELECT "+agg+" FROM P p ORDER BY p.ID"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.ReadRows(db.Normalize(raw[0], ""), types)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint([][]any{{int64(2), "Zoë", nil, nil, nil, nil},
		{int64(1), `first "quoted" \ back`, "1.10", time.Date(2020, 1, 2, 3, 4, 5, 123456000, time.UTC), time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), 1.5}})
	if fmt.Sprint(rows) != want {
		t.Errorf("rows\n got %v\nwant %s", rows, want)
	}
	if rows, err := db.ReadRows(db.Normalize(raw[1], ""), types); err != nil || len(rows) != 0 {
		t.Errorf("no child rows: %v, %v", rows, err)
	}
}

// EXPLAIN shows a table read in full by its name, not its alias.
func TestLiveFullScans(t *testing.T) {
	db := live(t, liveSchema+"CREATE INDEX C_P_IX ON C (P_ID);\n", adapters.Options{ReadOnly: true})
	ctx := context.Background()
	scans, err := db.FullScans(ctx, "SELECT 1 FROM P t0 WHERE t0.A = ?1", []any{"x"})
	if err != nil || fmt.Sprint(scans) != "[P]" {
		t.Errorf("unindexed column: %v, %v", scans, err)
	}
	scans, err = db.FullScans(ctx, "SELECT 1 FROM P t0 WHERE t0.ID = ?1", []any{int64(1)})
	if err != nil || len(scans) != 0 {
		t.Errorf("primary key: %v, %v", scans, err)
	}
}

// Estimate gives the optimiser's rows for a table read whole or by its
// key, values written in or bound to a prepared statement, and leaves a
// condition on a column without an index to a count.
func TestLiveEstimate(t *testing.T) {
	db := live(t, liveSchema, adapters.Options{ReadOnly: true})
	var dsn string
	if err := db.DB().Get(&dsn, "SELECT DATABASE()"); err != nil {
		t.Fatal(err)
	}
	base, err := mysqltest.WithDatabase(mysqltest.DSN(t), dsn)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), base+"?interpolateParams=false", adapters.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	for _, d := range []*DB{db, a.(*DB)} {
		if n, err := d.Estimate(ctx, "SELECT 1 FROM P t0", nil); err != nil || n < 2 || n > 6 {
			t.Errorf("prepared %v, the whole table (3 rows): %d, %v", d.prepared, n, err)
		}
		if n, err := d.Estimate(ctx, "SELECT 1 FROM P t0 WHERE t0.ID = ?1", []any{int64(2)}); err != nil || n != 1 {
			t.Errorf("prepared %v, by key: %d, %v", d.prepared, n, err)
		}
		if _, err := d.Estimate(ctx, "SELECT 1 FROM P t0 WHERE t0.A = ?1", []any{"x"}); !errors.Is(err, adapters.ErrNoEstimate) {
			t.Errorf("prepared %v, a column without an index: %v", d.prepared, err)
		}
	}
}

// A read-only pool cannot write; a statement time limit ends a long
// statement.
func TestLiveSession(t *testing.T) {
	db := live(t, liveSchema, adapters.Options{ReadOnly: true, StatementTimeout: 200 * time.Millisecond})
	if _, err := db.DB().Exec("DELETE FROM P"); err == nil {
		t.Error("a read-only pool deleted rows")
	}
	var x int
	err := db.DB().Get(&x, "SELECT SLEEP(30) FROM P WHERE ID = 1")
	if err == nil && x == 0 {
		t.Error("SLEEP(30) ran to its end under a 200ms limit")
	}
}

// A missing table's error names the tables differing only in case.
func TestLiveCaseHint(t *testing.T) {
	db := live(t, liveSchema, adapters.Options{ReadOnly: true})
	_, err := db.Columns(context.Background(), "p")
	if db.lowerNames == 0 && (err == nil || !strings.Contains(err.Error(), "it has P")) {
		t.Errorf("Columns(p): %v", err)
	}
}

// A mapping's query of a UNION, read by key: the key's rows are found
// through the tables' keys, not by reading the whole UNION (which MariaDB
// does when the key is a prepared statement's parameter).
func TestLiveDerivedUnionByKey(t *testing.T) {
	db := live(t, liveSchema, adapters.Options{ReadOnly: true})
	if db.ReusesStatements() {
		t.Error("by default nothing is prepared on the server")
	}
	q := "SELECT t0.ID FROM (SELECT 'p' AS SRC, ID FROM P UNION ALL SELECT 'c', ID FROM C) t0 WHERE t0.SRC = ?1 AND t0.ID = ?2"
	scans, err := db.FullScans(context.Background(), q, []any{"c", int64(2)})
	if err != nil || len(scans) != 0 {
		t.Errorf("full scans %v, %v", scans, err)
	}
	var got []int64
	if err := db.DB().Select(&got, q, "c", int64(2)); err != nil || fmt.Sprint(got) != "[2]" {
		t.Errorf("rows %v, %v", got, err)
	}
}

// Analyze gathers the optimiser's statistics, and names a table it could
// not analyse.
func TestLiveAnalyze(t *testing.T) {
	db := live(t, liveSchema, adapters.Options{})
	ctx := context.Background()
	if err := db.Analyze(ctx, []string{"P", "C"}); err != nil {
		t.Errorf("Analyze(P, C): %v", err)
	}
	if err := db.Analyze(ctx, []string{"P", "NOPE"}); err == nil || !strings.Contains(err.Error(), "NOPE") {
		t.Errorf("Analyze of a missing table: %v", err)
	}
}
