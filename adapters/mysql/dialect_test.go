package mysql

import (
	"database/sql/driver"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/adaptertest"
	gomysql "github.com/go-sql-driver/mysql"
)

func TestDialect(t *testing.T) {
	var d Dialect
	adaptertest.CheckQuote(t, d.Quote, "testdata/quote.json")
	maria := Dialect{MariaDB: true}
	for _, c := range []struct{ got, want string }{
		{d.Placeholder(7), "?7"},
		{d.Limit(21), "LIMIT 21"},
		{d.ILike("t0.SURNAME", "?1"), `t0.SURNAME LIKE ?1 ESCAPE '\'`},
		{d.Like("t0.SURNAME", "?2"), `t0.SURNAME LIKE ?2 COLLATE utf8mb4_0900_bin ESCAPE '\'`},
		{maria.Like("t0.SURNAME", "?2"), `t0.SURNAME LIKE ?2 COLLATE utf8mb4_nopad_bin ESCAPE '\'`},
		{maria.Exact("t0.CODE", "?3"), `(t0.CODE = ?3 AND t0.CODE = ?3 COLLATE utf8mb4_nopad_bin)`},
		{maria.ExactIn("t0.CODE", []string{"?1", "?2"}), `(t0.CODE IN (?1, ?2) AND t0.CODE IN (?1 COLLATE utf8mb4_nopad_bin, ?2 COLLATE utf8mb4_nopad_bin))`},
		{d.CastText("t0.ID", adapters.KindInteger), "CAST(t0.ID AS CHAR)"},
		{d.Name(), "mysql"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
	var args []any
	bind := func(v any) string { args = append(args, v); return d.Placeholder(len(args)) }
	if got, _ := d.TextFunction("replace", "x", []string{"[^0-9]", `\$1`}, bind); got != "REGEXP_REPLACE(x, ?1, ?2)" || args[0] != "(?s-i)[^0-9]" || args[1] != `\\\$1` {
		t.Errorf("MySQL replace: %s %q", got, args)
	}
	args = nil
	if _, _ = maria.TextFunction("replace", "x", []string{"[^0-9]", `\$1`}, bind); args[1] != `\\$1` {
		t.Errorf("MariaDB replace: the replacement %q", args[1])
	}
	if got, ok := d.TextFunction("title", "x", nil, bind); !ok || !strings.Contains(got, "JSON_TABLE") {
		t.Errorf("title case: %s", got)
	}
}

func TestKind(t *testing.T) {
	for typ, want := range map[string]adapters.Kind{
		"VARCHAR": adapters.KindText, "LONGTEXT": adapters.KindText, "ENUM": adapters.KindText,
		"INT": adapters.KindInteger, "UNSIGNED BIGINT": adapters.KindInteger, "TINYINT": adapters.KindInteger,
		"DECIMAL": adapters.KindDecimal, "DOUBLE": adapters.KindDecimal,
		"DATE": adapters.KindDate, "DATETIME": adapters.KindTimestamp, "TIMESTAMP": adapters.KindTimestampTZ,
		"JSON": adapters.KindOther, "BLOB": adapters.KindOther, "TIME": adapters.KindOther, "BIT": adapters.KindOther,
	} {
		if got := kindOf(typ); got != want {
			t.Errorf("Kind(%s) = %s, want %s", typ, got, want)
		}
	}
}

func TestFoldingCollation(t *testing.T) {
	for _, c := range []struct {
		mariaDB bool
		version string
		want    string
	}{
		{false, "8.0.36", "utf8mb4_0900_ai_ci"},
		{true, "10.11.19-MariaDB-0+deb12u1", "utf8mb4_uca1400_ai_ci"},
		{true, "11.4.2-MariaDB", "utf8mb4_uca1400_ai_ci"},
		{true, "10.6.18-MariaDB", "utf8mb4_unicode_520_ci"},
	} {
		if got := foldingCollation(c.mariaDB, c.version); got != c.want {
			t.Errorf("foldingCollation(%v, %s) = %s, want %s", c.mariaDB, c.version, got, c.want)
		}
	}
}

func TestRewrite(t *testing.T) {
	for _, c := range []struct {
		in, want string
		order    []int
	}{
		{"SELECT 1", "SELECT 1", nil},
		{"SELECT ?1, ?2", "SELECT ?, ?", []int{1, 2}},
		{"SELECT ?2 FROM t WHERE a = ?1 AND b = ?2", "SELECT ? FROM t WHERE a = ? AND b = ?", []int{2, 1, 2}},
		{"SELECT '?1', \"?2\", `?3`, 'it''s ?4' FROM t WHERE x = ?10", "SELECT '?1', \"?2\", `?3`, 'it''s ?4' FROM t WHERE x = ?", []int{10}},
		{"SELECT ?1 -- ?2\n, ?3 # ?4\n /* ?5 */", "SELECT ? -- ?2\n, ? # ?4\n /* ?5 */", []int{1, 3}},
		{"INSERT INTO t VALUES (?, ?)", "INSERT INTO t VALUES (?, ?)", nil},
		{`SELECT 'back\' , ?1`, `SELECT 'back\' , ?`, []int{1}}, // NO_BACKSLASH_ESCAPES: \ ends nothing
		{"SELECT a--?1\n", "SELECT a--?\n", []int{1}},           // -- without a space is not a comment
		{"SELECT CONCAT(a, ?1), concat (b), GROUP_CONCAT(c), x.CONCAT(d), 'CONCAT(e)', CONCAT_WS(',', f), CONCATX(g)",
			"SELECT CONCAT_WS('', a, ?), CONCAT_WS('', b), GROUP_CONCAT(c), x.CONCAT(d), 'CONCAT(e)', CONCAT_WS(',', f), CONCATX(g)", []int{1}},
		{"SELECT NULLIF(CONCAT(a), '')", "SELECT NULLIF(CONCAT_WS('', a), '')", nil},
		// A CAST's type as MySQL 8 spells it.
		{"SELECT CAST(a AS VARCHAR(4)), cast (b as varchar (2)), CAST( c AS Integer ), CAST(d AS INT), CAST(e AS VARCHAR)",
			"SELECT CAST(a AS CHAR(4)), cast (b as CHAR (2)), CAST( c AS SIGNED ), CAST(d AS SIGNED), CAST(e AS CHAR)", nil},
		{"SELECT CAST(e AS SIGNED INTEGER), CAST(f AS CHAR(3)), CAST(g AS UNSIGNED INT), CAST(h AS DECIMAL(5,2)), CAST(i AS INTEGER UNSIGNED)",
			"SELECT CAST(e AS SIGNED INTEGER), CAST(f AS CHAR(3)), CAST(g AS UNSIGNED INT), CAST(h AS DECIMAL(5,2)), CAST(i AS INTEGER UNSIGNED)", nil},
		{"SELECT CONCAT(CAST(CAST(x AS INTEGER) + 1 AS VARCHAR(9)), '-'), CAST((SELECT MAX(v) AS INT_V FROM t) AS INTEGER), 'CAST(a AS VARCHAR(2))', x.CAST(a AS INT)",
			"SELECT CONCAT_WS('', CAST(CAST(x AS SIGNED) + 1 AS CHAR(9)), '-'), CAST((SELECT MAX(v) AS INT_V FROM t) AS SIGNED), 'CAST(a AS VARCHAR(2))', x.CAST(a AS INT)", nil},
		{"SELECT CAST(?1 AS VARCHAR(3)) FROM t AS u WHERE (u.a AS INT)", "SELECT CAST(? AS CHAR(3)) FROM t AS u WHERE (u.a AS INT)", []int{1}},
	} {
		r, err := rewrite(c.in)
		if err != nil {
			t.Errorf("rewrite(%q): %v", c.in, err)
			continue
		}
		if r.query != c.want || fmt.Sprint(r.order) != fmt.Sprint(c.order) {
			t.Errorf("rewrite(%q) = %q %v, want %q %v", c.in, r.query, r.order, c.want, c.order)
		}
	}
	if _, err := rewrite("SELECT ?, ?1"); err == nil {
		t.Error("bare and numbered marks mixed: no error")
	}
	r, _ := rewrite("SELECT ?2, ?1, ?2")
	got, err := r.args([]driver.NamedValue{{Ordinal: 1, Value: "a"}, {Ordinal: 2, Value: "b"}})
	if err != nil || len(got) != 3 || got[0].Value != "b" || got[1].Value != "a" || got[2].Value != "b" || got[2].Ordinal != 3 {
		t.Errorf("args: %v, %v", got, err)
	}
	if _, err := r.args([]driver.NamedValue{{Ordinal: 1, Value: "a"}}); err == nil {
		t.Error("too few arguments: no error")
	}
}

func TestNormalize(t *testing.T) {
	d := &DB{}
	at := time.Date(2020, 3, 4, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct{ in, want any }{
		{[]byte("12.50"), "12.50"}, {int8(-3), int64(-3)}, {uint8(200), int64(200)}, {int32(7), int64(7)},
		{uint32(math.MaxUint32), int64(math.MaxUint32)}, {uint64(5), int64(5)}, {uint64(math.MaxUint64), "18446744073709551615"},
		{float32(0.1), 0.1}, {2.5, 2.5}, {nil, nil}, {int64(1), int64(1)}, {at, at},
	} {
		if got := d.Normalize(c.in, ""); got != c.want {
			t.Errorf("Normalize(%#v) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestSessionParams(t *testing.T) {
	p := sessionParams(true, adapters.Options{StatementTimeout: 1500 * time.Millisecond})
	if p["max_statement_time"] != "1.500" || p["max_execution_time"] != "" || !strings.Contains(p["sql_mode"], "ANSI_QUOTES") || p["time_zone"] != "'+00:00'" {
		t.Errorf("MariaDB: %v", p)
	}
	p = sessionParams(false, adapters.Options{StatementTimeout: 1500 * time.Millisecond})
	if p["max_execution_time"] != "1500" || p["max_statement_time"] != "" || p["group_concat_max_len"] == "" {
		t.Errorf("MySQL: %v", p)
	}
	if p := sessionParams(false, adapters.Options{}); p["max_execution_time"] != "" {
		t.Errorf("no time limit: %v", p)
	}
	for v, want := range map[string]bool{"10.11.19-MariaDB-0+deb12u1": true, "10.5.0-MariaDB": true, "10.4.32-MariaDB": false, "8.0.36": false, "11.4.2-MariaDB": true, "x": false} {
		if got := atLeast(v, 10, 5); got != want {
			t.Errorf("atLeast(%s, 10.5) = %v", v, got)
		}
	}
}

func TestTableOfAlias(t *testing.T) {
	q := "SELECT t0.ID FROM PATIENT t0 LEFT JOIN pas.`Odd ``Name` j1 ON j1.ID = t0.ID JOIN epr.ALLERGY AS a2 ON 1 = 1 WHERE EXISTS (SELECT 1 FROM `PATIENT_ALIAS` c1 WHERE c1.X = t0.ID)"
	for alias, want := range map[string]string{"t0": "PATIENT", "j1": "Odd `Name", "a2": "ALLERGY", "c1": "PATIENT_ALIAS", "zz": "zz"} {
		if got := tableOfAlias(q, alias); got != want {
			t.Errorf("tableOfAlias(%s) = %q, want %q", alias, got, want)
		}
	}
}

func TestInsertSQL(t *testing.T) {
	var d Dialect
	if got, want := d.insertSQL("pas.Mixed Case", []string{"ID", "select"}, 2), "INSERT INTO pas.`Mixed Case` (ID, `select`) VALUES (?, ?), (?, ?)"; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if rowsPerInsert(1) != 1000 || rowsPerInsert(200)*200 >= maxParams {
		t.Errorf("rowsPerInsert: %d, %d", rowsPerInsert(1), rowsPerInsert(200))
	}
}

// DriverStatement hands over what the pool's connections send the driver.
func TestDriverStatement(t *testing.T) {
	q, args, err := DriverStatement("SELECT CONCAT(a, ?2) FROM t WHERE x = ?1 AND y = ?2", []any{"one", int64(2)})
	if err != nil || q != "SELECT CONCAT_WS('', a, ?) FROM t WHERE x = ? AND y = ?" || fmt.Sprint(args) != "[2 one 2]" {
		t.Errorf("got %q %v, %v", q, args, err)
	}
	if q, args, err := DriverStatement("SELECT 1", nil); err != nil || q != "SELECT 1" || args != nil {
		t.Errorf("no marks: %q %v, %v", q, args, err)
	}
	if _, _, err := DriverStatement("SELECT ?2", []any{"a"}); err == nil {
		t.Error("too few arguments: no error")
	}
}

// SessionDSN carries the session settings into the driver's DSN.
func TestSessionDSN(t *testing.T) {
	dsn, err := SessionDSN("u:secret@tcp(db:3306)/epr?tls=true")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ParseTime || !cfg.InterpolateParams || cfg.Loc != time.UTC || cfg.DBName != "epr" || cfg.TLSConfig != "true" ||
		!strings.Contains(cfg.Params["sql_mode"], "ANSI_QUOTES") || cfg.Params["time_zone"] != "'+00:00'" || cfg.Params["group_concat_max_len"] == "" {
		t.Errorf("SessionDSN: %s", dsn)
	}
	if dsn, _ := SessionDSN("u@tcp(db:3306)/epr?interpolateParams=false"); strings.Contains(dsn, "interpolateParams=true") {
		t.Errorf("interpolateParams=false in the DSN: %s", dsn)
	}
	if _, err := SessionDSN("u:secret@tcp(db:3306/epr"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("a bad DSN: %v", err)
	}
}

// The plan's rows are an estimate only for one table read by an index or
// whole, with no condition tested row by row.
func TestPlanRows(t *testing.T) {
	row := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	for _, c := range []struct {
		name string
		plan []map[string]any
		want int64
		ok   bool
	}{
		{"MariaDB, whole table", []map[string]any{row("select_type", []byte("SIMPLE"), "type", []byte("index"), "rows", []byte("9859"), "Extra", []byte("Using index"))}, 9859, true},
		{"MySQL, filtered", []map[string]any{row("select_type", "SIMPLE", "type", "ALL", "rows", int64(1000), "filtered", []byte("50.00"), "Extra", nil)}, 500, true},
		{"key", []map[string]any{row("select_type", []byte("SIMPLE"), "type", []byte("const"), "rows", []byte("1"), "Extra", []byte(""))}, 1, true},
		{"a condition tested row by row", []map[string]any{row("select_type", []byte("SIMPLE"), "rows", []byte("9859"), "Extra", []byte("Using where"))}, 0, false},
		{"an index condition", []map[string]any{row("select_type", []byte("SIMPLE"), "rows", []byte("20"), "Extra", []byte("Using index condition"))}, 0, false},
		{"a join", []map[string]any{row("select_type", []byte("SIMPLE"), "rows", []byte("10"), "Extra", nil), row("select_type", []byte("SIMPLE"), "rows", []byte("4"), "Extra", nil)}, 0, false},
		{"a subquery", []map[string]any{row("select_type", []byte("PRIMARY"), "rows", []byte("10"), "Extra", nil)}, 0, false},
		{"no rows", []map[string]any{row("select_type", []byte("SIMPLE"), "rows", nil, "Extra", []byte("Impossible WHERE"))}, 0, false},
	} {
		if got, ok := planRows(c.plan); got != c.want || ok != c.ok {
			t.Errorf("%s: %d, %v; want %d, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
