package adaptertest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/internal/tabletest"
	"github.com/ccfacade/ccfacade/textfn"
)

// Opener opens the adapter under test on the suite's database, empty when
// Run starts. readOnly asks for a read-only pool (adapters.Options.ReadOnly);
// the suite checks that such a pool cannot write. The adapter is closed by
// the Opener's own t.Cleanup.
type Opener func(t *testing.T, readOnly bool) adapters.Adapter

// OpenerOf is the Opener of the database of dsn, opened with open and
// opts (ReadOnly as the suite asks).
func OpenerOf(open adapters.Opener, dsn string, opts adapters.Options) Opener {
	return func(t *testing.T, readOnly bool) adapters.Adapter {
		opts := opts
		opts.ReadOnly = readOnly
		db, err := open(context.Background(), dsn, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}

// Load opens the database of dsn with open and runs script in it (the
// adapter must be an adapters.Loader), failing the test where either
// fails. The adapter returned is closed when the test ends.
func Load(t *testing.T, open adapters.Opener, dsn, script string) adapters.Adapter {
	t.Helper()
	db := OpenerOf(open, dsn, adapters.Options{})(t, false)
	l, ok := db.(adapters.Loader)
	if !ok {
		t.Fatalf("%s does not implement adapters.Loader", db.Name())
	}
	if err := l.Exec(context.Background(), script); err != nil {
		t.Fatal(err)
	}
	return db
}

// CheckQuote checks a dialect's Quote against a table of names and how
// they must be quoted (a JSON list of [name, quoted] in the file at path).
func CheckQuote(t *testing.T, quote func(string) string, path string) {
	t.Helper()
	tabletest.CheckFunc(t, path, "Quote", quote)
}

// ScanRow scans the current row of rs, of n columns, into values as the
// driver gives them, failing the test where it cannot.
func ScanRow(t testing.TB, rs *sql.Rows, n int) []any {
	t.Helper()
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rs.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	return vals
}

// WithoutLoader opens what open opens with its adapters.Loader hidden, to
// run the suite as it runs for an adapter without one.
func WithoutLoader(open Opener) Opener {
	return func(t *testing.T, readOnly bool) adapters.Adapter { return noLoader{open(t, readOnly)} }
}

type noLoader struct{ adapters.Adapter }

// schema is the suite's DDL, in the SQL every adapter's database takes.
// Unquoted names are upper case, as in a legacy schema; the quoted ones
// need quoting.
const schema = `
-- the suite's tables
CREATE TABLE CCF_T (
    ID            INTEGER       NOT NULL PRIMARY KEY,
    NAME          VARCHAR(40),
    AMOUNT        DECIMAL(12,2),
    CREATED       TIMESTAMP,
    "select"      VARCHAR(10),
    "Mixed Case"  VARCHAR(10),
    "we""ird"     VARCHAR(10)
);

CREATE TABLE "group" (
    ID       INTEGER NOT NULL PRIMARY KEY,
    "order"  VARCHAR(10)
);
CREATE VIEW CCF_V AS SELECT ID, NAME FROM CCF_T;
`

var base = time.Date(2020, 3, 4, 10, 0, 0, 0, time.UTC)

// row is one row of CCF_T.
type row struct {
	id     int64
	name   any // string or nil
	amount string
}

var rows = []row{
	{1, "Smith", "12.50"},
	{2, "smithson", "12345678.90"},
	{3, "SMYTH", "0.05"},
	{4, "50% off", "4.00"},
	{5, "under_score", "5.50"},
	{6, `back\slash`, "6.50"},
	{7, "O'Brien", "7.50"},
	{8, "Zoë", "8.50"},
	{9, "x'; DROP TABLE CCF_T; --", "9.50"},
	{10, nil, "10.50"},
	{11, "underXscore", "11.50"},
	{12, "500 off", "12.50"},
	{13, "backslash", "13.50"},
	{14, "[br]acket", "14.50"},
}

const injection = "x'; DROP TABLE CCF_T; --"

// created is row id's CREATED: base plus id-1 hours. Odd rows are given in
// another time zone; the instant is what counts.
// created is row id's CREATED: wall clocks an hour apart, some given in
// another zone (a column without a zone keeps the wall clock).
func created(id int64) time.Time {
	t := base.Add(time.Duration(id-1) * time.Hour)
	if id%2 == 1 {
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone("UTC+5", 5*3600))
	}
	return t
}

// Run runs the suite. It needs an empty database: open is called with
// readOnly false to make the tables, then by the subtests.
func Run(t *testing.T, open Opener, opts ...Option) {
	ctx := context.Background()
	db := open(t, false)
	loader, hasLoader := db.(adapters.Loader)
	s := &suite{ctx: ctx, db: db, timestamp: "TIMESTAMP", schema: "CCF_S"}
	for _, o := range opts {
		o(s)
	}
	schema := s.ddl(schema)

	// Make and fill the tables, through the Loader when there is one.
	if hasLoader {
		if err := loader.Exec(ctx, schema); err != nil {
			t.Fatalf("Loader.Exec(schema): %v", err)
		}
		i := 0
		err := loader.Load(ctx, "CCF_T", []string{"ID", "NAME", "AMOUNT", "CREATED", "select", "Mixed Case", `we"ird`}, func(dst []any) bool {
			if i == len(rows) {
				return false
			}
			r := rows[i]
			dst[0], dst[1], dst[2], dst[3], dst[4], dst[5], dst[6] = r.id, r.name, r.amount, created(r.id), "s", "m", "w"
			i++
			return true
		})
		if err != nil {
			t.Fatalf("Loader.Load: %v", err)
		}
	} else {
		for _, stmt := range adapters.SplitScript(schema) {
			s.exec(t, stmt)
		}
		ph := make([]string, 7)
		for i := range ph {
			ph[i] = db.Placeholder(i + 1)
		}
		insert := "INSERT INTO " + db.Quote("CCF_T") + " VALUES (" + strings.Join(ph, ", ") + ")"
		for _, r := range rows {
			s.exec(t, insert, r.id, r.name, r.amount, db.TimeArg(created(r.id)), "s", "m", "w")
		}
	}
	s.exec(t, "INSERT INTO "+db.Quote("group")+" VALUES (1, 'o')")

	for _, c := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"placeholders", s.placeholders}, {"quote", s.quote}, {"limit", s.limit}, {"ilike", s.ilike},
		{"like", s.like}, {"time", s.time}, {"normalize", s.normalize}, {"injection", s.injection},
		{"columns", s.columns}, {"kinds", s.kinds}, {"text-functions", s.textFunctions}, {"schemas", s.schemas},
	} {
		t.Run(c.name, c.run)
	}
	t.Run("loader", func(t *testing.T) {
		if !hasLoader {
			t.Skipf("%s does not implement adapters.Loader", db.Name())
		}
		s.loader(t, loader)
	})
	t.Run("read-only", func(t *testing.T) {
		if s.readOnlyReason != "" {
			t.Skip(s.readOnlyReason)
		}
		s.readOnly(t, open(t, true))
	})
}

// Option adapts the suite to a database.
type Option func(*suite)

// TimestampType names the type of a date-time column without a zone in
// the suite's DDL, where it is not TIMESTAMP (SQL Server: DATETIME2, as
// its TIMESTAMP is a row version).
func TimestampType(name string) Option { return func(s *suite) { s.timestamp = name } }

// ReadOnlyByPermissions says the database has no read-only session, so
// that a read-only pool can write unless the login may not: the
// read-only subtest is skipped with the reason given.
func ReadOnlyByPermissions(reason string) Option { return func(s *suite) { s.readOnlyReason = reason } }

// CaseSensitiveTables says the database compares table and schema names
// with case counting (MySQL and MariaDB on Linux, lower_case_table_names
// = 0), so that a table is found only by the name it was created with:
// the checks that find an upper-case table by its lower-case name are
// skipped, with the reason given. Column names must still be found in
// any case.
func CaseSensitiveTables(reason string) Option { return func(s *suite) { s.caseReason = reason } }

// SchemaName names the schema the schemas subtest creates, where it is not
// CCF_S: where a schema is a database of the server (MySQL), a name of
// the test's own, which the test drops when it ends.
func SchemaName(name string) Option { return func(s *suite) { s.schema = name } }

type suite struct {
	ctx            context.Context
	db             adapters.Adapter
	timestamp      string
	readOnlyReason string
	caseReason     string
	schema         string
}

// ddl is DDL of the suite's with the database's type names.
func (s *suite) ddl(sql string) string {
	return strings.ReplaceAll(sql, " TIMESTAMP", " "+s.timestamp)
}

func (s *suite) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := s.db.DB().ExecContext(s.ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// query runs sql on the suite's database (see Query).
func (s *suite) query(t *testing.T, sql string, args ...any) [][]any {
	t.Helper()
	return Query(t, s.ctx, s.db, sql, args...)
}

// Query runs sql on db and returns its rows, every value normalised (by
// the column's database type name) and checked to be of a type Normalize
// may return.
func Query(t *testing.T, ctx context.Context, db adapters.Adapter, sql string, args ...any) [][]any {
	t.Helper()
	rs, err := db.DB().QueryContext(ctx, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rs.Close()
	cts, err := rs.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	cols := make([]string, len(cts))
	for i, ct := range cts {
		cols[i] = ct.DatabaseTypeName()
	}
	var out [][]any
	for rs.Next() {
		vals := ScanRow(t, rs, len(cols))
		for i, v := range vals {
			vals[i] = db.Normalize(v, cols[i])
			switch vals[i].(type) {
			case nil, string, int64, float64, bool, time.Time:
			default:
				t.Errorf("%s: Normalize(%#v) gave %T", sql, v, vals[i])
			}
		}
		out = append(out, vals)
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// ids joins the first column of rows.
func ids(rows [][]any) string {
	var s []string
	for _, r := range rows {
		s = append(s, fmt.Sprint(r[0]))
	}
	return strings.Join(s, ",")
}

func (s *suite) tbl() string { return s.db.Quote("CCF_T") }

// names are a table's names: as created, then in other cases where the
// database finds a table so.
func (s *suite) names(asCreated string, otherCases ...string) []string {
	if s.caseReason != "" {
		return []string{asCreated}
	}
	return append([]string{asCreated}, otherCases...)
}

func (s *suite) placeholders(t *testing.T) {
	db := s.db
	var phs []string
	var args []any
	for n := 1; n <= 1500; n++ {
		phs = append(phs, db.Placeholder(n))
		args = append(args, int64(n*2))
	}
	got := s.query(t, "SELECT ID FROM "+s.tbl()+" WHERE ID IN ("+strings.Join(phs, ", ")+") ORDER BY ID", args...)
	if ids(got) != "2,4,6,8,10,12,14" {
		t.Errorf("IN with 1500 placeholders: %s", ids(got))
	}
	got = s.query(t, "SELECT ID FROM "+s.tbl()+" WHERE NAME = "+db.Placeholder(1)+" AND ID > "+db.Placeholder(2)+
		" AND CREATED < "+db.Placeholder(3), "smithson", int64(1), db.TimeArg(base.Add(24*time.Hour)))
	if ids(got) != "2" {
		t.Errorf("text, integer and time arguments: %s", ids(got))
	}
}

func (s *suite) quote(t *testing.T) {
	db := s.db
	for _, plain := range []string{"PATIENT", "patient", "_x1", "pas.PATIENT", "Pas.Patient_2"} {
		if got := db.Quote(plain); got != plain {
			t.Errorf("Quote(%q) = %s: a plain name must stay unquoted, for the database to fold it", plain, got)
		}
	}
	for _, odd := range []string{"select", "SELECT", "Mixed Case", `we"ird`, "1abc", "a-b", "naïve"} {
		if got := db.Quote(odd); got == odd {
			t.Errorf("Quote(%q) left it unquoted", odd)
		}
	}
	if got := db.Quote("pas.Mixed Case"); !strings.HasPrefix(got, "pas.") || got == "pas.Mixed Case" {
		t.Errorf("Quote(%q) = %s: dotted names are quoted part by part", "pas.Mixed Case", got)
	}
	got := s.query(t, "SELECT "+db.Quote("select")+", "+db.Quote("Mixed Case")+", "+db.Quote(`we"ird`)+
		" FROM "+s.tbl()+" WHERE "+db.Quote("ID")+" = "+db.Placeholder(1), int64(1))
	if len(got) != 1 || got[0][0] != "s" || got[0][1] != "m" || got[0][2] != "w" {
		t.Errorf("reserved, mixed-case and quote-holding column names: %v", got)
	}
	// An upper-case name in the DDL is found written in any case.
	if s.caseReason == "" {
		if got := s.query(t, "SELECT id FROM "+db.Quote("ccf_t")+" WHERE id = 1"); ids(got) != "1" {
			t.Errorf("lower-case name of an upper-case table: %v", got)
		}
	} else {
		t.Log("a table by its lower-case name: not checked: " + s.caseReason)
	}
	if got := s.query(t, "SELECT id FROM "+s.tbl()+" WHERE id = 1"); ids(got) != "1" {
		t.Errorf("lower-case name of an upper-case column: %v", got)
	}
	if got := s.query(t, "SELECT "+db.Quote("order")+" FROM "+db.Quote("group")); len(got) != 1 || got[0][0] != "o" {
		t.Errorf("reserved table and column names: %v", got)
	}
	// A hostile name stays one name.
	evil := "x\"`] FROM " + s.tbl() + "; DROP TABLE CCF_T; --"
	rows, err := db.DB().QueryContext(s.ctx, "SELECT 1 AS "+db.Quote(evil))
	if err != nil {
		t.Fatalf("quoted hostile alias: %v", err)
	}
	cols, _ := rows.Columns()
	rows.Close()
	if len(cols) != 1 || cols[0] != evil {
		t.Errorf("quoted hostile alias came back as %q", cols)
	}
	s.query(t, "SELECT COUNT(*) FROM "+s.tbl())
}

func (s *suite) limit(t *testing.T) {
	if got := s.query(t, "SELECT ID FROM "+s.tbl()+" ORDER BY ID "+s.db.Limit(3)); ids(got) != "1,2,3" {
		t.Errorf("Limit(3): %s", ids(got))
	}
	if got := s.query(t, "SELECT ID FROM "+s.tbl()+" WHERE ID > "+s.db.Placeholder(1)+" ORDER BY ID DESC "+s.db.Limit(1), int64(2)); ids(got) != "14" {
		t.Errorf("Limit(1) after WHERE with a placeholder: %s", ids(got))
	}
}

// match checks which rows' NAME matches pattern under pred.
func (s *suite) match(t *testing.T, pred func(expr, ph string) string, pattern, want string) {
	t.Helper()
	got := s.query(t, "SELECT ID FROM "+s.tbl()+" WHERE "+pred(s.db.Quote("NAME"), s.db.Placeholder(1))+" ORDER BY ID", pattern)
	if ids(got) != want {
		t.Errorf("pattern %q: rows %q, want %q", pattern, ids(got), want)
	}
}

func (s *suite) ilike(t *testing.T) {
	for _, tc := range []struct{ pattern, want string }{
		{"smi%", "1,2"},             // starts with, any case
		{"SM%", "1,2,3"},            //
		{"%TH%", "1,2,3"},           // contains
		{"smith", "1"},              // whole value
		{`50\%%`, "4"},              // '%' literal: not 500 off
		{`%0\% O%`, "4"},            // contains a literal '%'
		{`under\_%`, "5"},           // '_' literal: not underXscore
		{`%R\_S%`, "5"},             //
		{"un_er%", "5,11"},          // '_' any one character
		{`back\\%`, "6"},            // '\' literal: not backslash
		{`%K\\S%`, "6"},             //
		{"o'b%", "7"},               // a quote is data
		{"%drop table ccf_t%", "9"}, //
		{`\[br]%`, "14"},            // '[' literal (a character class in SQL Server)
		{`%\[B%`, "14"},             //
		{"nobody%", ""},
		{"ZOË", "8"}, // Unicode case, not ASCII only
		{"zoë%", "8"},
	} {
		s.match(t, s.db.ILike, tc.pattern, tc.want)
	}
	// Accents, where the dialect says it folds them.
	if af, ok := s.db.(adapters.AccentFolder); ok && af.FoldsAccents() {
		s.match(t, s.db.ILike, "zoe", "8")
		s.match(t, s.db.ILike, "ZOE%", "8")
	}
}

func (s *suite) like(t *testing.T) {
	for _, tc := range []struct{ pattern, want string }{
		{"Smi%", "1"},
		{"smi%", "2"},
		{"SMI%", ""},
		{"%th%", "1,2"},
		{"Smith", "1"},
		{"smith", ""},
		{`50\%%`, "4"},
		{`%\_s%`, "5"},
		{`back\\%`, "6"},
		{"%Brien", "7"},
		{"Zo_", "8"},
		{`\[br]a%`, "14"},
		{`\[BR]%`, ""},
	} {
		s.match(t, s.db.Like, tc.pattern, tc.want)
	}
}

func (s *suite) time(t *testing.T) {
	db := s.db
	sql := "SELECT ID FROM " + s.tbl() + " WHERE CREATED >= " + db.Placeholder(1) + " AND CREATED < " + db.Placeholder(2) + " ORDER BY ID"
	from, to := base.Add(2*time.Hour), base.Add(4*time.Hour)
	if got := s.query(t, sql, db.TimeArg(from), db.TimeArg(to)); ids(got) != "3,4" {
		t.Errorf("[%s, %s): %s", from, to, ids(got))
	}
	// A column without a zone holds a wall clock: a time is compared by
	// its wall clock, whatever zone it is given in.
	zone := time.FixedZone("UTC-7", -7*3600)
	wall := func(x time.Time) time.Time {
		return time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), zone)
	}
	if got := s.query(t, sql, db.TimeArg(wall(from)), db.TimeArg(wall(to))); ids(got) != "3,4" {
		t.Errorf("[%s, %s): %s", wall(from), wall(to), ids(got))
	}
	eq := "SELECT ID FROM " + s.tbl() + " WHERE CREATED = " + db.Placeholder(1)
	if got := s.query(t, eq, db.TimeArg(base.Add(time.Hour))); ids(got) != "2" {
		t.Errorf("= %s: %s", base.Add(time.Hour), ids(got))
	}
	gt := "SELECT ID FROM " + s.tbl() + " WHERE CREATED > " + db.Placeholder(1) + " ORDER BY ID"
	if got := s.query(t, gt, db.TimeArg(base.Add(11*time.Hour+time.Second/2))); ids(got) != "13,14" {
		t.Errorf("> a time with a fraction of a second: %s", ids(got))
	}
}

func (s *suite) normalize(t *testing.T) {
	got := s.query(t, "SELECT ID, NAME, AMOUNT, CREATED FROM "+s.tbl()+" WHERE ID IN (1, 2, 3, 10) ORDER BY ID")
	if len(got) != 4 {
		t.Fatalf("rows %v", got)
	}
	if got[0][0] != int64(1) || got[0][1] != "Smith" || got[1][1] != "smithson" {
		t.Errorf("integer and text: %#v", got[0])
	}
	// DECIMAL is its exact text, or, where the database keeps it as binary
	// floating point (SQLite), the nearest float64.
	for i, want := range []string{"12.50", "12345678.90", "0.05"} {
		switch v := got[i][2].(type) {
		case string:
			if v != want {
				t.Errorf("DECIMAL %s came back as %q", want, v)
			}
		case float64:
			if strconv.FormatFloat(v, 'f', -1, 64) != strings.TrimRight(strings.TrimRight(want, "0"), ".") {
				t.Errorf("DECIMAL %s came back as %v", want, v)
			}
		default:
			t.Errorf("DECIMAL %s came back as %#v", want, v)
		}
	}
	// A TIMESTAMP (without zone) comes back with the wall clock it was
	// given, as a time in UTC.
	for i, id := range []int64{1, 2, 3} {
		const f = "2006-01-02 15:04:05.999999999"
		if ts, ok := got[i][3].(time.Time); !ok || ts.Format(f) != created(id).Format(f) {
			t.Errorf("TIMESTAMP %s came back as %#v", created(id), got[i][3])
		}
	}
	if got[3][1] != nil {
		t.Errorf("NULL came back as %#v", got[3][1])
	}
	if n := s.query(t, "SELECT COUNT(*) FROM "+s.tbl()); n[0][0] != int64(len(rows)) {
		t.Errorf("COUNT(*) came back as %#v", n[0][0])
	}
}

func (s *suite) injection(t *testing.T) {
	db := s.db
	if got := s.query(t, "SELECT ID FROM "+s.tbl()+" WHERE NAME = "+db.Placeholder(1), injection); ids(got) != "9" {
		t.Errorf("bound injection text: %s", ids(got))
	}
	if got := s.query(t, "SELECT ID FROM "+s.tbl()+" WHERE "+db.ILike("NAME", db.Placeholder(1)), "x'; DROP%"); ids(got) != "9" {
		t.Errorf("bound injection pattern: %s", ids(got))
	}
	if got := s.query(t, "SELECT ID FROM "+s.tbl()+" WHERE NAME = "+db.Placeholder(1), "' OR '1'='1"); len(got) != 0 {
		t.Errorf("' OR '1'='1 matched rows %s", ids(got))
	}
	if n := s.query(t, "SELECT COUNT(*) FROM "+s.tbl()); n[0][0] != int64(len(rows)) {
		t.Errorf("the table changed: %v rows", n[0][0])
	}
}

func (s *suite) columns(t *testing.T) {
	ctx, db := s.ctx, s.db
	for _, name := range s.names("CCF_T", "ccf_t") {
		cols, err := db.Columns(ctx, name)
		if err != nil {
			t.Fatalf("Columns(%s): %v", name, err)
		}
		var names []string
		for _, c := range cols {
			names = append(names, c.Name)
			if c.Type != strings.ToUpper(c.Type) {
				t.Errorf("Columns(%s): type %q is not upper case", name, c.Type)
			}
		}
		if got := strings.ToUpper(strings.Join(names, ",")); got != `ID,NAME,AMOUNT,CREATED,SELECT,MIXED CASE,WE"IRD` {
			t.Errorf("Columns(%s): %s", name, strings.Join(names, ","))
			continue
		}
		if names[5] != "Mixed Case" || names[4] != "select" {
			t.Errorf("Columns(%s): a quoted name's case changed: %q", name, names)
		}
		typ := func(i int, want ...string) {
			for _, w := range want {
				if strings.Contains(cols[i].Type, w) {
					return
				}
			}
			t.Errorf("Columns(%s): %s has type %q, want one containing %q", name, cols[i].Name, cols[i].Type, want)
		}
		typ(0, "INT")
		typ(1, "CHAR")
		typ(2, "DEC", "NUMERIC")
		typ(3, "TIMESTAMP", "DATETIME")
		if cols[0].Nullable || !cols[1].Nullable {
			t.Errorf("Columns(%s): nullability %+v %+v", name, cols[0], cols[1])
		}
	}
	if cols, err := db.Columns(ctx, "CCF_V"); err != nil || len(cols) != 2 || !strings.EqualFold(cols[1].Name, "NAME") {
		t.Errorf("Columns of a view: %v, %v", cols, err)
	}
	for _, missing := range []string{"NO_SUCH_TABLE", "no_such_schema.CCF_T", "Mixed Case"} {
		if _, err := db.Columns(ctx, missing); !errors.Is(err, adapters.ErrNoTable) {
			t.Errorf("Columns(%s): %v, want an error wrapping ErrNoTable", missing, err)
		}
	}
}

// kinds checks that the adapter classifies its own type names, as Columns
// and a result's column types report them, into the kinds the engine
// binds and compares by.
func (s *suite) kinds(t *testing.T) {
	db := s.db
	CheckKinds(t, db, "CCF_T", adapters.KindInteger, adapters.KindText, adapters.KindDecimal, adapters.KindTimestamp)
	for _, tc := range []struct {
		typ  string
		want adapters.Kind
	}{{"DATE", adapters.KindDate}, {"NO SUCH TYPE", adapters.KindOther}} {
		if got := db.Kind(tc.typ); got != tc.want {
			t.Errorf("Kind(%q) = %s, want %s", tc.typ, got, tc.want)
		}
	}
	// A number cast to text compares equal to its digits.
	rows := s.query(t, "SELECT ID FROM "+s.tbl()+" WHERE "+db.CastText("ID", adapters.KindInteger)+" = "+db.Placeholder(1), "2")
	if len(rows) != 1 {
		t.Errorf("CastText: %d rows for ID as text = '2', want 1", len(rows))
	}
	rows = s.query(t, "SELECT ID FROM "+s.tbl()+" WHERE "+db.CastText("NAME", adapters.KindText)+" = "+db.Placeholder(1), "Smith")
	if len(rows) != 1 {
		t.Errorf("CastText: %d rows for NAME as text = 'Smith', want 1", len(rows))
	}
}

// CheckKinds checks the kinds db gives the first columns of a table, as
// Columns and as a result's column types name them (where the driver says).
func CheckKinds(t *testing.T, db adapters.Adapter, table string, want ...adapters.Kind) {
	t.Helper()
	ctx := context.Background()
	cols, err := db.Columns(ctx, table)
	if err != nil || len(cols) < len(want) {
		t.Fatalf("Columns(%s): %v, %v", table, cols, err)
	}
	rs, err := db.DB().QueryContext(ctx, "SELECT * FROM "+db.Quote(table))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	cts, err := rs.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range want {
		if got := db.Kind(cols[i].Type); got != k {
			t.Errorf("Kind(%q) of column %s = %s, want %s", cols[i].Type, cols[i].Name, got, k)
		}
		if name := strings.ToUpper(cts[i].DatabaseTypeName()); name != "" && db.Kind(name) != k {
			t.Errorf("Kind(%q) of result column %s = %s, want %s", name, cts[i].Name(), db.Kind(name), k)
		}
	}
}

// schemas checks dotted names against a schema of the suite's own, where
// the database has schemas.
func (s *suite) schemas(t *testing.T) {
	ctx, db := s.ctx, s.db
	sch := s.schema
	if _, err := db.DB().ExecContext(ctx, "CREATE SCHEMA "+sch); err != nil {
		t.Skipf("%s has no CREATE SCHEMA (%v); dotted names are left to the adapter's own tests", db.Name(), err)
	}
	s.exec(t, "CREATE TABLE "+sch+`.CCF_Q (ID INTEGER NOT NULL, "Given Name" VARCHAR(10))`)
	s.exec(t, "CREATE TABLE "+sch+`."Odd Table" (ID INTEGER NOT NULL)`)
	if l, ok := db.(adapters.Loader); ok {
		done := false
		err := l.Load(ctx, sch+".CCF_Q", []string{"ID", "Given Name"}, func(dst []any) bool {
			dst[0], dst[1] = int64(1), "in schema"
			done = !done
			return done
		})
		if err != nil {
			t.Fatalf("Load into %s.CCF_Q: %v", sch, err)
		}
	} else {
		s.exec(t, "INSERT INTO "+sch+".CCF_Q VALUES (1, 'in schema')")
	}
	got := s.query(t, "SELECT "+db.Quote("Given Name")+" FROM "+db.Quote(sch+".CCF_Q"))
	if len(got) != 1 || got[0][0] != "in schema" {
		t.Errorf("SELECT from %s: %v", db.Quote(sch+".CCF_Q"), got)
	}
	for _, name := range s.names(sch+".CCF_Q", strings.ToLower(sch)+".ccf_q") {
		if cols, err := db.Columns(ctx, name); err != nil || len(cols) != 2 || cols[1].Name != "Given Name" {
			t.Errorf("Columns(%s): %v, %v", name, cols, err)
		}
	}
	if got := s.query(t, "SELECT COUNT(*) FROM "+db.Quote(sch+".Odd Table")); got[0][0] != int64(0) {
		t.Errorf("SELECT from %s: %v", db.Quote(sch+".Odd Table"), got)
	}
	for _, name := range s.names(sch+".Odd Table", strings.ToLower(sch)+".Odd Table") {
		if cols, err := db.Columns(ctx, name); err != nil || len(cols) != 1 {
			t.Errorf("Columns(%s): %v, %v", name, cols, err)
		}
	}
	if _, err := db.Columns(ctx, sch+".CCF_T"); !errors.Is(err, adapters.ErrNoTable) {
		t.Errorf("Columns(%s.CCF_T): %v, want ErrNoTable", sch, err)
	}
}

func (s *suite) loader(t *testing.T, l adapters.Loader) {
	ctx, db := s.ctx, s.db
	script := `-- a comment-only chunk;
-- another
CREATE TABLE CCF_L (
    ID      INTEGER NOT NULL PRIMARY KEY, -- trailing comment;
    TXT     VARCHAR(100),
    AT      TIMESTAMP
);
INSERT INTO CCF_L (ID, TXT) VALUES (0, 'a; b');

-- done
`
	if err := l.Exec(ctx, s.ddl(script)); err != nil {
		t.Fatalf("Exec: %v", err)
	}
	if got := s.query(t, "SELECT TXT FROM CCF_L WHERE ID = 0"); len(got) != 1 || got[0][0] != "a; b" {
		t.Errorf("Exec: %v", got)
	}
	if err := l.Exec(ctx, "SELECT * FROM CCF_NO_SUCH_TABLE;"); err == nil {
		t.Error("Exec of a bad statement: no error")
	}
	const n = 5000
	odd := "tab\there, quote ' \" back\\slash\nnew line, ünïcödé, \\N"
	i := 0
	err := l.Load(ctx, "CCF_L", []string{"ID", "TXT", "AT"}, func(dst []any) bool {
		if i == n {
			return false
		}
		i++
		dst[0], dst[1], dst[2] = int64(i), fmt.Sprintf("row %d", i), base.Add(time.Duration(i)*time.Minute)
		switch {
		case i%7 == 0:
			dst[1], dst[2] = nil, nil
		case i == 40:
			dst[1] = odd
		}
		return true
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := s.query(t, "SELECT COUNT(*), COUNT(TXT), COUNT(AT) FROM CCF_L"); fmt.Sprint(got[0]) != fmt.Sprint([]any{int64(n + 1), int64(n - n/7 + 1), int64(n - n/7)}) {
		t.Errorf("after Load: count, non-null TXT, non-null AT = %v", got[0])
	}
	got := s.query(t, "SELECT TXT, AT FROM CCF_L WHERE ID = "+db.Placeholder(1), int64(40))
	if len(got) != 1 || got[0][0] != odd {
		t.Errorf("Load changed text: %q", got)
	}
	if ts, ok := got[0][1].(time.Time); !ok || !ts.Equal(base.Add(40*time.Minute)) {
		t.Errorf("Load changed a time: %#v", got[0][1])
	}
	if err := l.Load(ctx, "CCF_L", []string{"ID"}, func([]any) bool { return false }); err != nil {
		t.Errorf("Load of no rows: %v", err)
	}
	// A failing Load leaves nothing behind.
	i = 0
	err = l.Load(ctx, "CCF_L", []string{"ID"}, func(dst []any) bool {
		i++
		dst[0] = int64(n + 1000 + i%2) // the third row repeats the first's key
		return i <= 3
	})
	if err == nil {
		t.Error("Load of a duplicate key: no error")
	}
	if got := s.query(t, "SELECT COUNT(*) FROM CCF_L"); got[0][0] != int64(n+1) {
		t.Errorf("a failed Load left rows: %v", got[0][0])
	}
}

func (s *suite) readOnly(t *testing.T, ro adapters.Adapter) {
	ctx := s.ctx
	if got := Query(t, ctx, ro, "SELECT COUNT(*) FROM "+s.tbl()); got[0][0] != int64(len(rows)) {
		t.Errorf("read through a read-only pool: %v", got)
	}
	for _, sql := range []string{
		"UPDATE " + s.tbl() + " SET NAME = 'x'",
		"INSERT INTO " + s.db.Quote("group") + " VALUES (2, 'x')",
		"CREATE TABLE CCF_RO (ID INTEGER)",
	} {
		if _, err := ro.DB().ExecContext(ctx, sql); err == nil {
			t.Errorf("a read-only pool ran %s", sql)
		}
	}
	if got := s.query(t, "SELECT COUNT(*) FROM "+s.tbl()+" WHERE NAME = 'x'"); got[0][0] != int64(0) {
		t.Error("the write went through")
	}
}

// textSamples are the strings the text functions are held to textfn on.
var textSamples = []string{"SMITH, John", "o'BRIEN-smith, mary ann", "NGUYEN", "", "  ,x", "3RD floor", "élise ZOË, Anne",
	"01632-960 001", "+44 (0)1632", `a\b, c`, "12345", "de la cruz,  pedro, jr", "x,", "ÅSA", "a\nb"}

// textFunctions holds each text function the dialect spells (see
// adapters.TextFunctions) to what package textfn computes, on columns of
// text; a function the dialect lacks is skipped (the catalog refuses a
// mapping set that searches through it).
func (s *suite) textFunctions(t *testing.T) {
	tf, ok := s.db.(adapters.TextFunctions)
	if !ok {
		t.Skip("the dialect spells no text functions")
	}
	tbl := s.db.Quote("CCF_TXT")
	s.exec(t, "CREATE TABLE "+tbl+" (ID INTEGER PRIMARY KEY, S VARCHAR(100))")
	for i, v := range textSamples {
		s.exec(t, "INSERT INTO "+tbl+" VALUES ("+s.db.Placeholder(1)+", "+s.db.Placeholder(2)+")", int64(i), v)
	}
	digits, _ := textfn.Compile("[^0-9+]")
	word, _ := textfn.Compile("^[0-9]+$")
	dot, _ := textfn.Compile("^a.b$")
	for _, c := range []struct {
		fn   string
		vals []string
		want func(string) string
	}{
		{"title", nil, textfn.Title},
		{"before", []string{","}, func(x string) string { return textfn.Before(x, ",") }},
		{"after", []string{","}, func(x string) string { return textfn.After(x, ",") }},
		{"before", []string{", "}, func(x string) string { return textfn.Before(x, ", ") }},
		{"after", []string{", "}, func(x string) string { return textfn.After(x, ", ") }},
		{"replace", []string{"[^0-9+]", ""}, func(x string) string { return textfn.Replace(digits, x, "") }},
		{"replace", []string{"[^0-9+]", `\&`}, func(x string) string { return textfn.Replace(digits, x, `\&`) }},
		{"matches", []string{"^[0-9]+$"}, func(x string) string { return fmt.Sprint(word.MatchString(x)) }},
		{"matches", []string{"^a.b$"}, func(x string) string { return fmt.Sprint(dot.MatchString(x)) }},
	} {
		var args []any
		bind := func(v any) string { args = append(args, v); return s.db.Placeholder(len(args)) }
		x := s.db.Quote("S")
		expr, ok := tf.TextFunction(c.fn, x, c.vals, bind)
		if !ok {
			t.Logf("%s: not in this dialect", c.fn)
			continue
		}
		if c.fn == "matches" {
			expr = "CASE WHEN " + expr + " THEN 'true' ELSE 'false' END"
		}
		rows := s.query(t, "SELECT ID, "+expr+" FROM "+tbl+" ORDER BY ID", args...)
		if len(rows) != len(textSamples) {
			t.Fatalf("%s: %d rows", c.fn, len(rows))
		}
		for _, r := range rows {
			in := textSamples[r[0].(int64)]
			got := fmt.Sprint(r[1])
			if b, ok := r[1].([]byte); ok {
				got = string(b)
			}
			if r[1] == nil {
				got = "" // SQL Server keeps '' but some dialects give NULL for an empty result
			}
			if want := c.want(in); got != want {
				t.Errorf("%s%q of %q: %q, want %q", c.fn, c.vals, in, got, want)
			}
		}
	}
}
