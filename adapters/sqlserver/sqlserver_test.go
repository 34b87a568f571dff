package sqlserver

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/adaptertest"
	"github.com/ccfacade/ccfacade/internal/mssqltest"
	"github.com/golang-sql/civil"
	mssql "github.com/microsoft/go-mssqldb"
)

func TestDialect(t *testing.T) {
	var d Dialect
	adaptertest.CheckQuote(t, d.Quote, "testdata/quote.json")
	checks := []struct{ got, want string }{
		{d.Placeholder(7), "@p7"},
		{d.Limit(21), "OFFSET 0 ROWS FETCH NEXT 21 ROWS ONLY"},
		{d.ILike("t0.SURNAME", "@p1"), `t0.SURNAME LIKE @p1 ESCAPE '\'`},
		{Dialect{CICollation: "Latin1_General_100_CI_AS"}.ILike("t0.SURNAME", "@p1"), `t0.SURNAME COLLATE Latin1_General_100_CI_AS LIKE @p1 ESCAPE '\'`},
		{d.Like("t0.SURNAME", "@p2"), `t0.SURNAME COLLATE Latin1_General_100_BIN2 LIKE @p2 ESCAPE '\'`},
		{d.Exact("t0.SURNAME", "@p3"), `(t0.SURNAME = @p3 AND t0.SURNAME COLLATE Latin1_General_100_BIN2 = @p3)`},
		{d.ExactIn("t0.CODE", []string{"@p1", "@p2"}), `(t0.CODE IN (@p1, @p2) AND t0.CODE COLLATE Latin1_General_100_BIN2 IN (@p1, @p2))`},
		{d.Name(), "sqlserver"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

func TestBind(t *testing.T) {
	var d Dialect
	if got, ok := d.Bind("smith%").(mssql.VarChar); !ok || string(got) != "smith%" {
		t.Errorf("an ASCII string is bound as %#v, want VARCHAR", d.Bind("smith%"))
	}
	for _, s := range []string{"Zoë", "日本", strings.Repeat("a", maxVarChar+1)} {
		if got, ok := d.Bind(s).(string); !ok || got != s {
			t.Errorf("Bind(%.20q) = %#v, want the string itself (NVARCHAR)", s, d.Bind(s))
		}
	}
	// Read back from a VARCHAR column, any text is VARCHAR again.
	if got, ok := d.BindFor("Ní Bhriain", "VARCHAR").(mssql.VarChar); !ok || string(got) != "Ní Bhriain" {
		t.Errorf("BindFor(VARCHAR) = %#v", d.BindFor("Ní Bhriain", "VARCHAR"))
	}
	if got, ok := d.BindFor("Ní Bhriain", "NVARCHAR").(string); !ok || got != "Ní Bhriain" {
		t.Errorf("BindFor(NVARCHAR) = %#v", d.BindFor("Ní Bhriain", "NVARCHAR"))
	}
	if got := d.BindFor(int64(5), "VARCHAR"); got != int64(5) {
		t.Errorf("BindFor(5) = %#v", got)
	}
	if got := d.Bind(int64(5)); got != int64(5) {
		t.Errorf("Bind(5) = %#v", got)
	}
	at := time.Date(2020, 3, 4, 10, 5, 6, 7000, time.FixedZone("UTC+5", 5*3600))
	want := civil.DateTime{Date: civil.Date{Year: 2020, Month: 3, Day: 4}, Time: civil.Time{Hour: 10, Minute: 5, Second: 6, Nanosecond: 7000}}
	if got := d.TimeArg(at); got != want {
		t.Errorf("TimeArg(%s) = %#v, want the wall clock %s as datetime2", at, got, want)
	}
}

func TestNormalize(t *testing.T) {
	// 6F9619FF-8B86-D011-B42D-00C04FC964FF as SQL Server sends it.
	wire := []byte{0xFF, 0x19, 0x96, 0x6F, 0x86, 0x8B, 0x11, 0xD0, 0xB4, 0x2D, 0x00, 0xC0, 0x4F, 0xC9, 0x64, 0xFF}
	const canonical = "6F9619FF-8B86-D011-B42D-00C04FC964FF"
	d := &DB{}
	if got := d.Normalize(wire, "UNIQUEIDENTIFIER"); got != canonical {
		t.Errorf("uniqueidentifier: %v, want %s", got, canonical)
	}
	converted := &DB{guidConverted: true} // the driver already reordered them
	if got := converted.Normalize([]byte{0x6F, 0x96, 0x19, 0xFF, 0x8B, 0x86, 0xD0, 0x11, 0xB4, 0x2D, 0x00, 0xC0, 0x4F, 0xC9, 0x64, 0xFF}, "UNIQUEIDENTIFIER"); got != canonical {
		t.Errorf("uniqueidentifier with guid conversion: %v, want %s", got, canonical)
	}
	// DECIMAL and MONEY arrive as exact text, even 16 characters long.
	for typ, text := range map[string]string{"DECIMAL": "1234567890123.45", "MONEY": "12.5000", "SMALLMONEY": "-0.0100"} {
		if got := d.Normalize([]byte(text), typ); got != text {
			t.Errorf("%s %s: %#v", typ, text, got)
		}
	}
	for _, v := range []any{nil, int64(3), 2.5, true, "x", time.Unix(0, 0)} {
		if got := d.Normalize(v, ""); got != v {
			t.Errorf("Normalize(%#v) = %#v", v, got)
		}
	}
}

func TestSessionInit(t *testing.T) {
	for _, c := range []struct {
		opts     adapters.Options
		snapshot bool
		want     string
	}{
		{adapters.Options{}, true, ""},
		{adapters.Options{ReadOnly: true}, true, "SET TRANSACTION ISOLATION LEVEL SNAPSHOT;"},
		{adapters.Options{ReadOnly: true}, false, ""},
		{adapters.Options{ReadOnly: true, StatementTimeout: 1500 * time.Millisecond}, true, "SET TRANSACTION ISOLATION LEVEL SNAPSHOT; SET LOCK_TIMEOUT 1500;"},
		{adapters.Options{StatementTimeout: time.Microsecond}, false, "SET LOCK_TIMEOUT 1;"},
	} {
		if got := sessionInit(c.opts, c.snapshot); got != c.want {
			t.Errorf("sessionInit(%+v, snapshot %v) = %q, want %q", c.opts, c.snapshot, got, c.want)
		}
	}
	for coll, want := range map[string]string{
		"SQL_Latin1_General_CP1_CI_AS":     "",
		"Latin1_General_100_CI_AI_SC_UTF8": "",
		"Latin1_General_CS_AS":             "Latin1_General_CI_AS",
		"SQL_Latin1_General_CP1_CS_AS":     "SQL_Latin1_General_CP1_CI_AS",
		"Latin1_General_100_BIN2":          "Latin1_General_100_CI_AS",
		"Japanese_XJIS_140_CS_AS_KS_WS":    "Japanese_XJIS_140_CI_AS_KS_WS",
		"Cyrillic_General_BIN":             "Cyrillic_General_CI_AS",
	} {
		if got := ciCollation(coll); got != want {
			t.Errorf("ciCollation(%s) = %q, want %q", coll, got, want)
		}
	}
}

// The shared adapter conformance suite, on a database of its own on the
// server of CCFACADE_TEST_MSSQL_DSN.
func TestConformance(t *testing.T) {
	dsn := mssqltest.FreshDB(t)
	adaptertest.Run(t, adaptertest.OpenerOf(Open, dsn, adapters.Options{StatementTimeout: 30 * time.Second}), adaptertest.TimestampType("DATETIME2"),
		adaptertest.ReadOnlyByPermissions("SQL Server has no read-only session: a deployment's login is given SELECT only (see the README)"))
}

// The types the issue names, against a live server: uniqueidentifier,
// DECIMAL, MONEY, datetime2, datetimeoffset, date, and a VARCHAR column
// compared with both kinds of string parameter.
func TestTypes(t *testing.T) {
	ctx := context.Background()
	a := adaptertest.OpenerOf(Open, mssqltest.FreshDB(t), adapters.Options{})(t, false)
	db := a.(*DB)
	if err := db.Exec(ctx, `CREATE TABLE CCF_TY (
    ID   UNIQUEIDENTIFIER NOT NULL PRIMARY KEY,
    AMT  DECIMAL(18,4),
    M    MONEY,
    D2   DATETIME2,
    DTO  DATETIMEOFFSET,
    D    DATE,
    NAME VARCHAR(20)
);
INSERT INTO CCF_TY VALUES ('6F9619FF-8B86-D011-B42D-00C04FC964FF', 12345678901234.5678, 12.5, '2020-03-04 10:05:06.1234567', '2020-03-04 10:05:06 +05:00', '2020-03-04', 'Zoe');
`); err != nil {
		t.Fatal(err)
	}
	cols, err := db.Columns(ctx, "CCF_TY")
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range []adapters.Kind{adapters.KindOther, adapters.KindDecimal, adapters.KindDecimal, adapters.KindTimestamp, adapters.KindTimestampTZ, adapters.KindDate, adapters.KindText} {
		if got := db.Kind(cols[i].Type); got != k {
			t.Errorf("Kind(%q) for column %s = %s, want %s", cols[i].Type, cols[i].Name, got, k)
		}
	}
	rows := adaptertest.Query(t, ctx, db, "SELECT ID, AMT, M, D2, DTO, D FROM CCF_TY WHERE NAME = "+db.Placeholder(1)+" AND ID = "+db.Placeholder(2),
		db.Bind("Zoe"), "6F9619FF-8B86-D011-B42D-00C04FC964FF")
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	vals := rows[0]
	if vals[0] != "6F9619FF-8B86-D011-B42D-00C04FC964FF" || vals[1] != "12345678901234.5678" || vals[2] != "12.5000" {
		t.Errorf("uniqueidentifier, DECIMAL, MONEY: %#v", vals[:3])
	}
	if d2, ok := vals[3].(time.Time); !ok || d2.Format("2006-01-02 15:04:05.0000000") != "2020-03-04 10:05:06.1234567" {
		t.Errorf("datetime2: %#v", vals[3])
	}
	if dto, ok := vals[4].(time.Time); !ok || !dto.Equal(time.Date(2020, 3, 4, 5, 5, 6, 0, time.UTC)) {
		t.Errorf("datetimeoffset: %#v", vals[4])
	}
	if d, ok := vals[5].(time.Time); !ok || d.Format("2006-01-02") != "2020-03-04" {
		t.Errorf("date: %#v", vals[5])
	}
	var n int
	if err := db.DB().GetContext(ctx, &n, "SELECT COUNT(*) FROM CCF_TY WHERE D2 >= "+db.Placeholder(1)+" AND D2 < "+db.Placeholder(2),
		db.TimeArg(time.Date(2020, 3, 4, 10, 5, 6, 0, time.FixedZone("X", -7*3600))), db.TimeArg(time.Date(2020, 3, 4, 10, 5, 7, 0, time.UTC))); err != nil || n != 1 {
		t.Errorf("datetime2 compared by wall clock: %d, %v", n, err)
	}
	if err := db.DB().GetContext(ctx, &n, "SELECT COUNT(*) FROM CCF_TY WHERE DTO = "+db.Placeholder(1),
		db.TimeArg(time.Date(2020, 3, 4, 5, 5, 6, 0, time.UTC))); err != nil || n != 1 {
		t.Errorf("datetimeoffset compared with the instant in UTC: %d, %v", n, err)
	}
}

func TestTimeArgFor(t *testing.T) {
	var d Dialect
	at := time.Date(2020, 3, 4, 10, 5, 6, 3000000, time.UTC)
	if got, ok := d.TimeArgFor(at, "DATETIME").(mssql.DateTime1); !ok || !time.Time(got).Equal(at) {
		t.Errorf("DATETIME: %#v", d.TimeArgFor(at, "DATETIME"))
	}
	if _, ok := d.TimeArgFor(at, "smalldatetime").(mssql.DateTime1); !ok {
		t.Errorf("SMALLDATETIME: %#v", d.TimeArgFor(at, "smalldatetime"))
	}
	if got := d.TimeArgFor(at, "DATE"); got != (civil.Date{Year: 2020, Month: 3, Day: 4}) {
		t.Errorf("DATE: %#v", got)
	}
	if got, ok := d.TimeArgFor(at, "DATETIMEOFFSET").(time.Time); !ok || !got.Equal(at) {
		t.Errorf("DATETIMEOFFSET: %#v", d.TimeArgFor(at, "DATETIMEOFFSET"))
	}
	for _, typ := range []string{"DATETIME2", "TIMESTAMP", ""} {
		if _, ok := d.TimeArgFor(at, typ).(civil.DateTime); !ok {
			t.Errorf("%q: %#v", typ, d.TimeArgFor(at, typ))
		}
	}
}

// Load's statements: every value a parameter, strings bound as Bind does
// (so the server converts text into the column's code page), times as
// they are (a datetime2 column keeps the wall clock, datetimeoffset the
// instant).
func TestInsertSQL(t *testing.T) {
	var d Dialect
	at := time.Date(2020, 3, 4, 10, 0, 0, 0, time.FixedZone("UTC+5", 5*3600))
	q, args := d.insertSQL("pas.Mixed Case", []string{"ID", "select", "AT"}, [][]any{{int64(1), "Zoë", at}, {int64(2), "plain", nil}})
	if want := "INSERT INTO pas.[Mixed Case] (ID, [select], AT) VALUES (@p1, @p2, @p3), (@p4, @p5, @p6)"; q != want {
		t.Errorf("got %s\nwant %s", q, want)
	}
	if len(args) != 6 || args[0] != int64(1) || args[1] != "Zoë" || args[2] != at || args[4] != mssql.VarChar("plain") || args[5] != nil {
		t.Errorf("args %#v", args)
	}
	// A batch stays under SQL Server's parameter limit.
	cols := make([]string, 30)
	for i := range cols {
		cols[i] = fmt.Sprintf("C%d", i)
	}
	rows := make([][]any, rowsPerInsert(len(cols)))
	for i := range rows {
		rows[i] = make([]any, len(cols))
	}
	if _, args := d.insertSQL("T", cols, rows); len(args) >= MaxParams || rowsPerInsert(1) != 1000 {
		t.Errorf("%d parameters in one statement", len(args))
	}
}
