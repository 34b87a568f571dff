package test

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/adapters/sqlserver"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/tabletest"
	"github.com/golang-sql/civil"
	"github.com/jmoiron/sqlx"
	mssql "github.com/microsoft/go-mssqldb"
)

// The exact T-SQL the SQL Server adapter's dialect makes the engine send,
// for every query shape, is kept in testdata/tsql (make golden rewrites
// it). No SQL Server runs here, so each statement is also translated back
// into SQLite (placeholders, brackets, OFFSET … FETCH, the binary
// collation of :exact) and run on the demo database: every response must equal the
// one the SQLite adapter gives for the same request. That shows the
// statements are complete and mean what the SQLite ones mean; whether SQL
// Server accepts them is for the conformance suite against a live server
// (CCFACADE_TEST_MSSQL_DSN).
func TestTSQLGolden(t *testing.T) {
	t.Parallel()
	lite := sqliteEnv(t)
	rec := &recorder{arg: func(n int, a any) string { return fmt.Sprintf("@p%d = %s", n, tsqlLiteral(a)) }}
	ts := tsqlEnv(t, rec)

	// Ids and values from the demo data.
	pats := demoRows(t, "PATIENT")
	p0 := str(pats[0]["PATIENT_ID"])
	nhs := strings.ReplaceAll(str(pats[0]["NHS_NUMBER"]), " ", "")
	// The requests, by name, in testdata/tsql-cases.json: {p0} is the
	// first patient's id, {nhs} its NHS number, {family0} its surname.
	vars := strings.NewReplacer("{p0}", p0, "{nhs}", nhs, "{family0}", rtrim(pats[0]["SURNAME"]))
	var cases []struct{ name, path string }
	for _, c := range tabletest.Rows(t, "testdata/tsql-cases.json", 2) {
		cases = append(cases, struct{ name, path string }{c[0], vars.Replace(c[1])})
	}
	// Each search is followed to its next page, and that page back to
	// its previous, so keyset paging is recorded too.
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec.start()
			var sb strings.Builder
			want := get(t, lite.base+c.path)
			got := get(t, ts.base+c.path)
			sb.WriteString("-- GET " + c.path + "\n" + rec.take())
			same(t, c.path, lite.base, ts.base, want, got)
			if b := want.json(t); want.status != 200 || b["resourceType"] == "Bundle" && len(entries(t, b)) == 0 && b["total"] == nil {
				t.Fatalf("%s: status %d with nothing in it: pick a request that finds something", c.path, want.status)
			}
			for _, rel := range []string{"next", "previous"} {
				if got.status != 200 || !bytes.Contains(got.body, []byte(`"Bundle"`)) {
					break
				}
				nw, ng := link(want.json(t), rel), link(got.json(t), rel)
				if (nw == "") != (ng == "") {
					t.Fatalf("%s: %s link on SQLite %q, on T-SQL %q", c.path, rel, nw, ng)
				}
				if nw == "" {
					break
				}
				want, got = get(t, nw), get(t, ng)
				sb.WriteString("\n-- " + rel + " page\n" + rec.take())
				same(t, c.path+" ("+rel+" page)", lite.base, ts.base, want, got)
			}
			noRepeatedOrder(t, sb.String())
			checkGolden(t, filepath.Join("testdata", "tsql", c.name+".sql"), []byte(sb.String()))
		})
	}
}

var orderByRE = regexp.MustCompile(`ORDER BY (.*?)(?: OFFSET|;)`)

// noRepeatedOrder fails on an ORDER BY that names an expression twice,
// which SQL Server refuses (error 169) and SQLite allows.
func noRepeatedOrder(t *testing.T, sqlText string) {
	t.Helper()
	for _, m := range orderByRE.FindAllStringSubmatch(sqlText, -1) {
		seen := map[string]bool{}
		for _, item := range strings.Split(m[1], ", ") {
			e := strings.TrimSuffix(item, " DESC")
			if seen[e] {
				t.Errorf("ORDER BY names %s twice: %s", e, m[1])
			}
			seen[e] = true
		}
	}
}

func rtrim(v any) string { return strings.TrimRight(str(v), " ") }

var (
	cursorRE = regexp.MustCompile(`_cursor=[A-Za-z0-9_%-]+`)
	volatile = regexp.MustCompile(`"(lastUpdated|id)":"[0-9a-f]{32}"`)
)

// same checks that the T-SQL facade answered as the SQLite one did.
func same(t *testing.T, what, liteBase, tsBase string, want, got response) {
	t.Helper()
	norm := func(b []byte, base string) string {
		s := strings.ReplaceAll(string(b), base, "BASE")
		s = cursorRE.ReplaceAllString(s, "_cursor=C")
		return volatile.ReplaceAllString(s, `"$1":"X"`)
	}
	if want.status != got.status {
		t.Fatalf("%s: status %d on SQLite, %d through T-SQL\n%s", what, want.status, got.status, truncate(string(got.body), 600))
	}
	if w, g := norm(want.body, liteBase), norm(got.body, tsBase); w != g {
		t.Fatalf("%s: the T-SQL answer differs from SQLite's\n got: %s\nwant: %s", what, truncate(g, 1500), truncate(w, 1500))
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	want := goldenFile(t, path, got)
	if !bytes.Equal(got, want) {
		t.Errorf("the T-SQL differs from %s (run make golden if the change is intended)\n got:\n%s\nwant:\n%s", path, truncate(string(got), 3000), truncate(string(want), 3000))
	}
}

// recorder keeps the statements the engine traces, each with its
// arguments as arg writes them (the n-th, from 1).
type recorder struct {
	mu  sync.Mutex
	buf strings.Builder
	arg func(n int, a any) string
}

func (r *recorder) start() { r.mu.Lock(); r.buf.Reset(); r.mu.Unlock() }

func (r *recorder) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.buf.String()
	r.buf.Reset()
	return s
}

func (r *recorder) trace(q string, args []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf.WriteString(q + ";\n")
	if len(args) > 0 {
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = r.arg(i+1, a)
		}
		r.buf.WriteString("--   " + strings.Join(parts, ", ") + "\n")
	}
}

func tsqlLiteral(a any) string {
	switch v := a.(type) {
	case mssql.VarChar:
		return "'" + strings.ReplaceAll(string(v), "'", "''") + "' (varchar)"
	case string:
		return "N'" + strings.ReplaceAll(v, "'", "''") + "' (nvarchar)"
	case civil.DateTime:
		return "'" + v.String() + "' (datetime2)"
	case int64, int:
		return fmt.Sprintf("%d (bigint)", v)
	case float64:
		return fmt.Sprintf("%v (float)", v)
	case nil:
		return "NULL"
	}
	return fmt.Sprintf("%#v (%T)", a, a)
}

// tsqlEnv serves the demo through the SQL Server dialect over the
// SQLite demo database, each statement translated on its way.
func tsqlEnv(t *testing.T, rec *recorder) *env {
	t.Helper()
	lite, err := sqlite.Open(context.Background(), sqliteDSN(t), adapters.Options{ReadOnly: true, MaxOpenConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	db := &tsqlDB{lite: lite, db: sqlx.NewDb(sql.OpenDB(tsqlConnector{lite.DB().DB}), "sqlserver")}
	log := demotest.Silent()
	e := serveDB(t, db, engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret"), Logger: log, Trace: rec.trace, Sequential: true})
	e.name = "tsql"
	return e
}

// tsqlDB is the SQL Server dialect over a translating connection to the
// SQLite demo; values and columns are SQLite's.
type tsqlDB struct {
	sqlserver.Dialect
	lite adapters.Adapter
	db   *sqlx.DB
}

func (d *tsqlDB) DB() *sqlx.DB                    { return d.db }
func (d *tsqlDB) Normalize(v any, typ string) any { return d.lite.Normalize(v, typ) }
func (d *tsqlDB) Close() error                    { return d.db.Close() }
func (d *tsqlDB) Columns(ctx context.Context, table string) ([]adapters.Column, error) {
	cols, err := d.lite.Columns(ctx, table)
	for i := range cols {
		cols[i].Type = tsqlType(cols[i].Type)
	}
	return cols, err
}

// Kind classifies a type as SQL Server would name it.
func (d *tsqlDB) Kind(t string) adapters.Kind { return d.Dialect.Kind(tsqlType(t)) }

// tsqlType is the SQL Server type the demo's SQLite column type stands for
// (the demo schema's INTEGER and TIMESTAMP are INT and DATETIME2 there).
func tsqlType(t string) string {
	switch strings.ToUpper(t) {
	case "INTEGER":
		return "INT"
	case "TIMESTAMP", "DATETIME":
		return "DATETIME2"
	}
	return t
}

type tsqlConnector struct{ lite *sql.DB }

func (c tsqlConnector) Connect(context.Context) (driver.Conn, error) { return &tsqlConn{c.lite}, nil }
func (c tsqlConnector) Driver() driver.Driver                        { return tsqlDriver{} }

type tsqlDriver struct{}

func (tsqlDriver) Open(string) (driver.Conn, error) { return nil, errors.New("use the connector") }

type tsqlConn struct{ lite *sql.DB }

func (c *tsqlConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("not supported") }
func (c *tsqlConn) Close() error                        { return nil }
func (c *tsqlConn) Begin() (driver.Tx, error)           { return nil, errors.New("read only") }

// CheckNamedValue takes the SQL Server driver's own types as they are.
func (c *tsqlConn) CheckNamedValue(*driver.NamedValue) error { return nil }

func (c *tsqlConn) QueryContext(ctx context.Context, q string, nargs []driver.NamedValue) (driver.Rows, error) {
	args := make([]any, len(nargs))
	for i, a := range nargs {
		switch v := a.Value.(type) {
		case mssql.VarChar:
			args[i] = string(v)
		case civil.DateTime:
			args[i] = v.In(time.UTC).Format("2006-01-02 15:04:05.999999999")
		default:
			args[i] = v
		}
	}
	rs, err := c.lite.QueryContext(ctx, toSQLite(q), args...)
	if err != nil {
		return nil, fmt.Errorf("%w\nT-SQL: %s\nSQLite: %s", err, q, toSQLite(q))
	}
	cts, err := rs.ColumnTypes()
	if err != nil {
		rs.Close()
		return nil, err
	}
	return &liteRows{rs: rs, cts: cts}, nil
}

type liteRows struct {
	rs  *sql.Rows
	cts []*sql.ColumnType
}

func (r *liteRows) Columns() []string {
	out := make([]string, len(r.cts))
	for i, c := range r.cts {
		out[i] = c.Name()
	}
	return out
}
func (r *liteRows) Close() error                            { return r.rs.Close() }
func (r *liteRows) ColumnTypeDatabaseTypeName(i int) string { return r.cts[i].DatabaseTypeName() }
func (r *liteRows) Next(dest []driver.Value) error {
	if !r.rs.Next() {
		if err := r.rs.Err(); err != nil {
			return err
		}
		return io.EOF
	}
	vals := make([]any, len(dest))
	ptrs := make([]any, len(dest))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := r.rs.Scan(ptrs...); err != nil {
		return err
	}
	for i, v := range vals {
		dest[i] = v
	}
	return nil
}

var (
	tsqlParam   = regexp.MustCompile(`@p([0-9]+)`)
	tsqlBracket = regexp.MustCompile(`\[((?:[^\]]|\]\])*)\]`)
	tsqlFetch   = regexp.MustCompile(`OFFSET 0 ROWS FETCH NEXT ([0-9]+) ROWS ONLY`)
	tsqlBinEq   = regexp.MustCompile(` COLLATE Latin1_General_100_BIN2 (=|IN) `)
)

// toSQLite translates the T-SQL the dialect writes into SQLite's SQL.
func toSQLite(q string) string {
	q = tsqlParam.ReplaceAllString(q, "?$1")
	q = tsqlBracket.ReplaceAllStringFunc(q, func(m string) string {
		name := strings.ReplaceAll(m[1:len(m)-1], "]]", "]")
		return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
	})
	q = tsqlFetch.ReplaceAllString(q, "LIMIT $1")
	q = tsqlBinEq.ReplaceAllString(q, " $1 ") // SQLite's = is binary
	return q
}
