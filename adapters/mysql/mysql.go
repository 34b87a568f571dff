package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	driver "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

// DB is an open MySQL or MariaDB connection pool.
type DB struct {
	Dialect
	db *sqlx.DB
	// lowerNames is the server's lower_case_table_names: 0 when table
	// and database names are compared as written (Linux), 1 or 2 when
	// without regard to case.
	lowerNames int
	// aggregates is set when the server has JSON_ARRAYAGG with ORDER BY
	// (MariaDB 10.5 and later).
	aggregates bool
	// accents is whether the database's default collation ignores accents.
	accents bool
	// foldingCollation is the server's collation that ignores case and
	// every accent (FoldingCollation).
	foldingCollation string
	// folds are the foldings of the collations asked about (Folding).
	foldMu sync.Mutex
	folds  map[string]adapters.Folding
	// prepared is set when values are bound to statements prepared on the
	// server (the DSN's interpolateParams=false), clear when the driver
	// writes them into the statement's text.
	prepared bool
}

var (
	_ adapters.Adapter         = (*DB)(nil)
	_ adapters.Opener          = Open
	_ adapters.Loader          = (*DB)(nil)
	_ adapters.Analyzer        = (*DB)(nil)
	_ adapters.ScanChecker     = (*DB)(nil)
	_ adapters.Estimator       = (*DB)(nil)
	_ adapters.ChildAggregator = (*DB)(nil)
	_ adapters.StatementReuser = (*DB)(nil)
	_ adapters.AccentFolder    = (*DB)(nil)
	_ adapters.CollationFolder = (*DB)(nil)
	_ adapters.ColumnTimer     = (*DB)(nil)
)

// sqlMode is added to the server's sql_mode in every session, so that the
// SQL of mappings and of the engine reads as standard SQL: "name" is a
// name (as `name` is), || joins text, and a backslash in a string literal
// is only a backslash.
const sqlMode = "ANSI_QUOTES,PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES"

// Open connects to MySQL 8 or MariaDB 10.6 and later. dsn is the
// driver's: user:password@tcp(host:3306)/database?tls=true&… (see the
// README). Values are written into each statement's text by the driver,
// unless the DSN sets interpolateParams=false (statements prepared on the
// server, kept by the engine). Whatever the DSN says, values are read with parseTime on and
// times in UTC, and every session sets time_zone to UTC and adds
// ANSI_QUOTES, PIPES_AS_CONCAT and NO_BACKSLASH_ESCAPES to sql_mode.
//
// opts.ReadOnly runs SET SESSION TRANSACTION READ ONLY on every
// connection: the server then refuses any write or DDL. opts.
// StatementTimeout sets max_statement_time (MariaDB, every statement) or
// max_execution_time (MySQL, SELECT statements).
func Open(ctx context.Context, dsn string, opts adapters.Options) (adapters.Adapter, error) {
	fail := func(what string, err error) error {
		return fmt.Errorf("mysql: %s %s: %w", what, adapters.Redact(dsn), adapters.RedactError(err, dsn))
	}
	cfg, err := driverConfig(dsn)
	if err != nil {
		return nil, fail("open", err)
	}

	// What the server is decides the session settings: ask first.
	probeConn, err := driver.NewConnector(cfg.Clone())
	if err != nil {
		return nil, fail("open", err)
	}
	probe := sql.OpenDB(probeConn)
	var version, collation string
	var lower int
	err = probe.QueryRowContext(ctx, "SELECT VERSION(), @@lower_case_table_names, @@collation_database").Scan(&version, &lower, &collation)
	probe.Close()
	if err != nil {
		return nil, fail("connect to", err)
	}
	d := &DB{lowerNames: lower, prepared: !cfg.InterpolateParams, folds: map[string]adapters.Folding{}}
	d.MariaDB = strings.Contains(strings.ToLower(version), "mariadb")
	d.aggregates = d.MariaDB && atLeast(version, 10, 5)
	d.foldingCollation = foldingCollation(d.MariaDB, version)

	setParams(cfg, sessionParams(d.MariaDB, opts))
	inner, err := driver.NewConnector(cfg)
	if err != nil {
		return nil, fail("open", err)
	}
	var init []string
	if opts.ReadOnly {
		init = append(init, "SET SESSION TRANSACTION READ ONLY")
	}
	db := sqlx.NewDb(sql.OpenDB(&connector{inner: inner, init: init}), "mysql")
	adapters.SizePool(db, opts, 16)
	// The session settings are made as each connection opens; a failure
	// there would show only as a bad connection later, so one is opened
	// now, where its error can be told.
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fail("session settings on", err)
	}
	d.db = db
	// What the default collation ignores only tunes a test and a note:
	// a server that cannot say is taken to count accents.
	f, err := d.Folding(ctx, collation)
	d.accents = err == nil && !f.Keeps("ë")
	return d, nil
}

// driverConfig is the driver's configuration for dsn: values read with
// parseTime on and times in UTC, and written into the statement's text
// by the driver (escaped for the session's sql_mode) unless the DSN says
// otherwise: one round trip a statement, and the optimiser sees the
// values. MariaDB does not push a prepared statement's parameters into a
// derived table (a mapping's query), and reads all of it for every
// statement; neither server keeps a prepared statement's plan.
func driverConfig(dsn string) (*driver.Config, error) {
	cfg, err := driver.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if !strings.Contains(strings.ToLower(dsn), "interpolateparams=") {
		cfg.InterpolateParams = true
	}
	return cfg, nil
}

func setParams(cfg *driver.Config, p map[string]string) {
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	for k, v := range p {
		cfg.Params[k] = v
	}
}

// SessionDSN is dsn as the adapter gives it to the driver, with the
// settings every session of the adapter makes as it connects (sql_mode,
// time_zone, group_concat_max_len; see Open): a plain connection of the
// driver on it reads SQL as the adapter's connections do, with the
// statements of DriverStatement. Only the read-only setting and the
// statement time limit are left out. The benchmark's floors use it.
func SessionDSN(dsn string) (string, error) {
	cfg, err := driverConfig(dsn)
	if err != nil {
		return "", fmt.Errorf("mysql: %s: %w", adapters.Redact(dsn), adapters.RedactError(err, dsn))
	}
	setParams(cfg, sessionParams(false, adapters.Options{}))
	return cfg.FormatDSN(), nil
}

// DriverStatement is a statement as the adapter's connections hand it to
// the driver: "?n" marks made bare "?" with the arguments in the order of
// the marks, and CONCAT read as CONCAT_WS with an empty separator (see
// rewrite).
func DriverStatement(query string, args []any) (string, []any, error) {
	r, err := rewrite(query)
	if err != nil {
		return "", nil, err
	}
	if r.order == nil {
		return r.query, args, nil
	}
	if len(args) != r.n {
		return "", nil, fmt.Errorf("mysql: %d arguments for %d placeholders", len(args), r.n)
	}
	out := make([]any, len(r.order))
	for i, n := range r.order {
		out[i] = args[n-1]
	}
	return r.query, out, nil
}

// foldingCollation is the utf8mb4 collation of the server that ignores
// case and every accent, after the Unicode Collation Algorithm 5.2 or
// later: MariaDB 10.10's utf8mb4_uca1400_ai_ci (UCA 14), before it
// utf8mb4_unicode_520_ci, MySQL 8's utf8mb4_0900_ai_ci (UCA 9). The
// older utf8mb4_unicode_ci (UCA 4) and utf8mb4_general_ci keep letters
// such as ø and ł apart from o and l.
func foldingCollation(mariaDB bool, version string) string {
	switch {
	case !mariaDB:
		return "utf8mb4_0900_ai_ci"
	case atLeast(version, 10, 10):
		return "utf8mb4_uca1400_ai_ci"
	}
	return "utf8mb4_unicode_520_ci"
}

// sessionParams are the system variables every session sets (the driver
// sends them in one SET as it connects).
func sessionParams(mariaDB bool, opts adapters.Options) map[string]string {
	p := map[string]string{
		"sql_mode":  "CONCAT(@@sql_mode, '," + sqlMode + "')",
		"time_zone": "'+00:00'",
	}
	// GROUP_CONCAT (title case) and MariaDB's JSON_ARRAYAGG are cut at
	// group_concat_max_len (1 KB by default in MySQL, 1 MB in MariaDB),
	// which would shorten a name or leave JSON unfinished.
	p["group_concat_max_len"] = strconv.Itoa(1 << 30)
	if t := opts.StatementTimeout; t > 0 {
		if mariaDB {
			p["max_statement_time"] = strconv.FormatFloat(max(0.001, t.Seconds()), 'f', 3, 64)
		} else {
			p["max_execution_time"] = strconv.FormatInt(max(1, t.Milliseconds()), 10)
		}
	}
	return p
}

// atLeast tells whether a VERSION() text ("10.11.19-MariaDB-0+deb12u1",
// "8.0.36") is major.minor or later.
func atLeast(version string, major, minor int) bool {
	f := strings.FieldsFunc(version, func(r rune) bool { return r == '.' || r == '-' })
	if len(f) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(f[0])
	mi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

// DB is the pool.
func (d *DB) DB() *sqlx.DB { return d.db }

// Close closes the pool.
func (d *DB) Close() error { return d.db.Close() }

// FoldsAccents tells whether the database's default collation ignores
// accents such as Zoë's (utf8mb4_general_ci, utf8mb4_unicode_ci,
// utf8mb4_0900_ai_ci, utf8mb4_uca1400_ai_ci do, the _as, _cs and _bin
// collations and latin1_general_ci do not). A column of another collation
// follows its own: see Folding.
func (d *DB) FoldsAccents() bool { return d.accents }

// FoldingCollation is the collation of this server that ignores case and
// every accent (see foldingCollation).
func (d *DB) FoldingCollation() string { return d.foldingCollation }

// collationName is what a collation's name is made of.
var collationName = regexp.MustCompile(`^[A-Za-z0-9]+(_[A-Za-z0-9]+)*$`)

// Folding asks the server what a LIKE under collation ignores: whether
// "E" is like "e", and which letters of adapters.Accents (of those the
// collation's character set holds) are not like their base letter. The
// names alone do not tell: utf8mb4_general_ci ignores é's accent but
// keeps ø apart from o, latin1_general_ci ignores no accent at all, the
// collations of one language keep the letters of its alphabet (å in
// Swedish). Each collation is asked about once.
func (d *DB) Folding(ctx context.Context, collation string) (adapters.Folding, error) {
	d.foldMu.Lock()
	f, ok := d.folds[collation]
	d.foldMu.Unlock()
	if ok {
		return f, nil
	}
	if !collationName.MatchString(collation) {
		return f, fmt.Errorf("mysql: %q is not a collation's name", collation)
	}
	// A collation's name begins with its character set's.
	cs, _, _ := strings.Cut(collation, "_")
	conv := func(s string) string { return "CONVERT(_utf8mb4'" + s + "' USING " + cs + ")" }
	like := func(a, b string) string { return conv(a) + " COLLATE " + collation + " LIKE " + conv(b) }
	held := func(s string) string {
		return "CONVERT(" + conv(s) + " USING utf8mb4) = _utf8mb4'" + s + "' COLLATE utf8mb4_bin"
	}
	cols := []string{like("E", "e")}
	for _, a := range adapters.Accents {
		cols = append(cols, like(a.Letter, a.Base), held(a.Letter))
	}
	got := make([]bool, len(cols))
	ptrs := make([]any, len(cols))
	for i := range got {
		ptrs[i] = &got[i]
	}
	if err := d.db.QueryRowContext(ctx, "SELECT "+strings.Join(cols, ", ")).Scan(ptrs...); err != nil {
		return f, fmt.Errorf("mysql: collation %s: %w", collation, err)
	}
	f.Case = got[0]
	for i, a := range adapters.Accents {
		if folds, holds := got[1+2*i], got[2+2*i]; holds && !folds {
			f.Kept = append(f.Kept, a)
		}
	}
	d.foldMu.Lock()
	d.folds[collation] = f
	d.foldMu.Unlock()
	return f, nil
}

// TimeArgFor binds a time compared with a TIMESTAMP column as the instant
// (in UTC, the sessions' time zone), and with any other as its wall clock.
func (d *DB) TimeArgFor(t time.Time, colType string) any {
	if kindOf(colType) == adapters.KindTimestampTZ {
		return t.UTC()
	}
	return wallClock(t)
}

// Normalize converts the driver's values: text, DECIMAL (its exact text)
// and the other byte values become strings; every integer type int64 (an
// unsigned BIGINT beyond int64, its decimal text); FLOAT float64 (by its
// shortest text, so that 0.1 stays 0.1); dates and date-times arrive as
// time.Time in UTC.
func (d *DB) Normalize(v any, _ string) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case int8, int16, int32, int:
		return reflect.ValueOf(x).Int()
	case uint8, uint16, uint32:
		return int64(reflect.ValueOf(x).Uint())
	case uint64:
		if x > math.MaxInt64 {
			return strconv.FormatUint(x, 10)
		}
		return int64(x)
	case float32:
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return f
	}
	return v
}

// splitName is a table name's database (or "") and table.
func splitName(name string) (schema, table string) {
	if i := strings.Index(name, "."); i >= 0 {
		return name[:i], name[i+1:]
	}
	return "", name
}

// Columns lists the columns of a table or view from information_schema,
// in the current database or the one a dotted name gives. Names are
// compared as the server compares them (lower_case_table_names). Type is
// DATA_TYPE, upper case ("VARCHAR", "INT", "DECIMAL", "DATETIME",
// "TIMESTAMP"); Collation a text column's collation.
func (d *DB) Columns(ctx context.Context, table string) ([]adapters.Column, error) {
	schema, name := splitName(table)
	eq := "CAST(TABLE_NAME AS BINARY) = CAST(?1 AS BINARY)"
	sch := "CAST(TABLE_SCHEMA AS BINARY) = CAST(COALESCE(?2, DATABASE()) AS BINARY)"
	if d.lowerNames != 0 {
		eq, sch = "TABLE_NAME = LOWER(?1)", "TABLE_SCHEMA = LOWER(COALESCE(?2, DATABASE()))"
	}
	var schemaArg any
	if schema != "" {
		schemaArg = schema
	}
	q := `SELECT COLUMN_NAME, UPPER(DATA_TYPE), IS_NULLABLE = 'YES', COALESCE(COLLATION_NAME, '')
		FROM information_schema.COLUMNS
		WHERE ` + eq + ` AND ` + sch + `
		ORDER BY ORDINAL_POSITION`
	rows, err := d.db.QueryContext(ctx, q, name, schemaArg)
	if err != nil {
		return nil, fmt.Errorf("mysql: columns of %s: %w", table, err)
	}
	defer rows.Close()
	var out []adapters.Column
	for rows.Next() {
		var c adapters.Column
		if err := rows.Scan(&c.Name, &c.Type, &c.Nullable, &c.Collation); err != nil {
			return nil, fmt.Errorf("mysql: columns of %s: %w", table, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mysql: columns of %s: %w", table, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("mysql: %s: %w%s", table, adapters.ErrNoTable, d.caseHint(ctx, schemaArg, name))
	}
	return out, nil
}

// caseHint names the tables that differ from a missing one only in case,
// where the server compares table names as written.
func (d *DB) caseHint(ctx context.Context, schema any, name string) string {
	if d.lowerNames != 0 {
		return ""
	}
	var found []string
	err := d.db.SelectContext(ctx, &found, `SELECT DISTINCT TABLE_NAME FROM information_schema.COLUMNS
		WHERE LOWER(TABLE_NAME) = LOWER(?1) AND LOWER(TABLE_SCHEMA) = LOWER(COALESCE(?2, DATABASE())) ORDER BY 1`, name, schema)
	if err != nil || len(found) == 0 {
		return ""
	}
	return fmt.Sprintf(" (this server compares table names with case counting, lower_case_table_names=0: it has %s)", strings.Join(found, ", "))
}

// Exec runs a script of statements separated by ";" at line ends, one by
// one, so that an error names its statement.
func (d *DB) Exec(ctx context.Context, script string) error {
	return adapters.ExecScript(ctx, d.db, "mysql", script)
}

// maxParams is the most parameters MySQL takes in one statement.
const maxParams = 65535

// rowsPerInsert is how many rows of ncols columns one INSERT takes.
func rowsPerInsert(ncols int) int { return min(1000, (maxParams-100)/max(1, ncols)) }

// Load inserts rows with multi-row INSERT statements in one transaction.
// A time is stored as its wall clock in a DATETIME or DATE column, and as
// its instant in a TIMESTAMP column.
func (d *DB) Load(ctx context.Context, table string, columns []string, next func(row []any) bool) error {
	fail := func(err error) error { return fmt.Errorf("mysql: load %s: %w", table, err) }
	instant := make([]bool, len(columns))
	if cols, err := d.Columns(ctx, table); err == nil {
		kinds := map[string]adapters.Kind{}
		for _, c := range cols {
			kinds[strings.ToLower(c.Name)] = kindOf(c.Type)
		}
		for i, c := range columns {
			instant[i] = kinds[strings.ToLower(c)] == adapters.KindTimestampTZ
		}
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	per := rowsPerInsert(len(columns))
	var full *sql.Stmt
	var batch []any
	rowsIn := 0
	flush := func() error {
		if rowsIn == 0 {
			return nil
		}
		var err error
		if rowsIn == per {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, d.insertSQL(table, columns, per)); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, batch...)
		} else {
			_, err = tx.ExecContext(ctx, d.insertSQL(table, columns, rowsIn), batch...)
		}
		batch, rowsIn = batch[:0], 0
		return err
	}
	row := make([]any, len(columns))
	for next(row) {
		for i, v := range row {
			if t, ok := v.(time.Time); ok {
				if instant[i] {
					v = t.UTC()
				} else {
					v = wallClock(t)
				}
			}
			batch = append(batch, v)
		}
		if rowsIn++; rowsIn == per {
			if err := flush(); err != nil {
				return fail(err)
			}
		}
	}
	if err := flush(); err != nil {
		return fail(err)
	}
	if full != nil {
		full.Close()
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return nil
}

// Analyze runs ANALYZE TABLE on the tables, so that the optimiser's
// statistics (InnoDB's, which it would otherwise recalculate some time
// after a load, in the background) describe the rows just loaded. Its
// result rows tell of a table it could not analyse.
func (d *DB) Analyze(ctx context.Context, tables []string) error {
	if len(tables) == 0 {
		return nil
	}
	rows, err := d.db.QueryContext(ctx, "ANALYZE TABLE "+adapters.QuotedList(d.Quote, tables))
	if err != nil {
		return fmt.Errorf("mysql: analyze: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var table, op, typ, msg string
		if err := rows.Scan(&table, &op, &typ, &msg); err != nil {
			return fmt.Errorf("mysql: analyze: %w", err)
		}
		if strings.EqualFold(typ, "error") {
			problems = append(problems, table+": "+msg)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("mysql: analyze: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("mysql: analyze: %s", strings.Join(problems, "; "))
	}
	return nil
}

// insertSQL is an INSERT of n rows, with bare "?" marks.
func (d Dialect) insertSQL(table string, columns []string, n int) string {
	var sb strings.Builder
	sb.WriteString(adapters.InsertInto(d.Quote, table, columns))
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")"
	for r := 0; r < n; r++ {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(one)
	}
	return sb.String()
}

// FullScans reads EXPLAIN's plan for tables read in full (type ALL). The
// plan names a table by its alias in the statement; the statement's text
// gives the table's name.
func (d *DB) FullScans(ctx context.Context, query string, args []any) ([]string, error) {
	rows, err := d.db.QueryxContext(ctx, "EXPLAIN "+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		m := map[string]any{}
		if err := rows.MapScan(m); err != nil {
			return nil, err
		}
		typ, tbl := text(m["type"]), text(m["table"])
		if strings.EqualFold(typ, "ALL") && tbl != "" && !strings.HasPrefix(tbl, "<") {
			out = append(out, tableOfAlias(query, tbl))
		}
	}
	return out, rows.Err()
}

// Estimate is the optimiser's estimate of the query's rows, EXPLAIN's
// rows (times filtered, where the server shows it), when the plan reads
// one table and tests no condition beyond the index it reads it by: the
// whole table (InnoDB's estimate of its rows, from its statistics), or
// the rows of a key or a range of an index. For any other plan it returns
// adapters.ErrNoEstimate, and the engine counts: MySQL and MariaDB take a
// condition on a column without an index (or on an expression of one,
// as most searches are) to hold for every row, so their estimate of a
// search by name would be the whole table; and a join's or a subquery's
// rows are not the query's.
func (d *DB) Estimate(ctx context.Context, query string, args []any) (int64, error) {
	rows, err := d.db.QueryxContext(ctx, "EXPLAIN "+query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var plan []map[string]any
	for rows.Next() {
		m := map[string]any{}
		if err := rows.MapScan(m); err != nil {
			return 0, err
		}
		plan = append(plan, m)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n, ok := planRows(plan)
	if !ok {
		return 0, adapters.ErrNoEstimate
	}
	return n, nil
}

// planRows reads an EXPLAIN's rows: those of its one table when it tests
// no condition beyond its index (Extra empty or "Using index").
func planRows(plan []map[string]any) (int64, bool) {
	if len(plan) != 1 {
		return 0, false
	}
	m := plan[0]
	if extra := text(m["Extra"]); text(m["select_type"]) != "SIMPLE" || extra != "" && extra != "Using index" {
		return 0, false
	}
	rows, ok := number(m["rows"])
	if !ok {
		return 0, false
	}
	if f, ok := number(m["filtered"]); ok {
		rows *= f / 100
	}
	return int64(rows + 0.5), true
}

// number reads a numeric column of EXPLAIN, as text or as a number.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case []byte, string:
		f, err := strconv.ParseFloat(text(x), 64)
		return f, err == nil
	}
	return 0, false
}

// lastPart is a dotted name's last part, unquoted.
func lastPart(name string) string {
	if strings.HasSuffix(name, "`") {
		i := len(name) - 2
		for i >= 0 {
			if name[i] == '`' {
				if i > 0 && name[i-1] == '`' {
					i -= 2
					continue
				}
				break
			}
			i--
		}
		return strings.ReplaceAll(name[i+1:len(name)-1], "``", "`")
	}
	return name[strings.LastIndex(name, ".")+1:]
}

func text(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	}
	return ""
}

// tableName is a (quoted or plain, dotted) table name.
const tableName = "(?:`(?:[^`]|``)*`|[A-Za-z0-9_$]+)(?:\\.(?:`(?:[^`]|``)*`|[A-Za-z0-9_$]+))?"

// tableOfAlias is the table that query names under alias, its last part
// unquoted, or alias itself when the text does not say.
func tableOfAlias(query, alias string) string {
	re, err := regexp.Compile("(?i)(?:FROM|JOIN|,)\\s+(" + tableName + ")\\s+(?:AS\\s+)?" + regexp.QuoteMeta(alias) + "(?:[^A-Za-z0-9_$]|$)")
	if err != nil {
		return alias
	}
	if m := re.FindStringSubmatch(query); m != nil {
		return lastPart(m[1])
	}
	return alias
}

// Aggregates is true on MariaDB 10.5 and later (JSON_ARRAYAGG with ORDER
// BY) for columns of every kind but KindOther. MySQL's JSON_ARRAYAGG
// takes no ORDER BY: there child rows are read with statements of their
// own.
func (d *DB) Aggregates(types []string) bool {
	return d.aggregates && adapters.KnownKinds(kindOf, types)
}

// AggregateRows is a correlated JSON_ARRAYAGG of JSON_ARRAY.
func (d *DB) AggregateRows(cols []string, from, where string, order []string) string {
	return adapters.AggregateJSONRows("JSON_ARRAYAGG", "JSON_ARRAY", cols, from, where, order)
}

// ReadRows reads JSON_ARRAYAGG's text: integers as int64, FLOAT and
// DOUBLE as float64, DECIMAL as its exact text, dates and date-times
// (text in JSON) as time.Time in UTC.
func (d *DB) ReadRows(v any, types []string) ([][]any, error) {
	isFloat := func(t string) bool { return t == "FLOAT" || t == "DOUBLE" || t == "REAL" || t == "DOUBLE PRECISION" }
	return adapters.DecodeTypedJSONRows(v, types, kindOf, isFloat, func(k adapters.Kind, s string) (any, error) {
		if k == adapters.KindDate {
			return time.Parse("2006-01-02", s)
		}
		return time.Parse("2006-01-02 15:04:05.999999", s)
	})
}

// ReusesStatements is true when values are bound to statements prepared
// on the server (a DSN with interpolateParams=false): the engine then
// keeps its statements prepared on each connection, within the server's
// max_prepared_stmt_count for all clients together. By default the
// driver writes values into each statement's text, and nothing is
// prepared.
func (d *DB) ReusesStatements() bool { return d.prepared }
