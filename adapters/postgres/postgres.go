package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// DB is an open PostgreSQL connection pool. Its Normalize (from
// adapters.Conn) turns []byte into string: lib/pq returns NUMERIC (and
// MONEY) as the server's exact text, e.g. "12.50". Integers arrive as
// int64, floating point as float64, booleans as bool, dates and timestamps
// as time.Time.
type DB struct {
	adapters.Conn
	unaccent bool // the unaccent extension is installed
}

var (
	_ adapters.Adapter       = (*DB)(nil)
	_ adapters.Loader        = (*DB)(nil)
	_ adapters.Analyzer      = (*DB)(nil)
	_ adapters.Opener        = Open
	_ adapters.AccentFolder  = (*DB)(nil)
	_ adapters.AccentAdvisor = (*DB)(nil)
)

// Open connects to PostgreSQL. dsn is a postgres:// URL or a key=value
// string, as lib/pq takes them. opts.ReadOnly and opts.StatementTimeout
// become the session parameters default_transaction_read_only and
// statement_timeout, sent when each connection starts, and jit is always
// off (see below); lib/pq's binary_parameters is on unless the DSN says
// otherwise (one round trip a statement).
func Open(ctx context.Context, dsn string, opts adapters.Options) (adapters.Adapter, error) {
	// JIT compilation is off in every session, whatever the server's
	// default or the DSN says. PostgreSQL's JIT compiler neither checks
	// statement_timeout nor answers a cancel while it compiles: a
	// statement with a long condition (hundreds of alternatives) was seen
	// to spend minutes and a gigabyte in it, holding its connection long
	// past the timeout. The facade's statements are short and indexed
	// lookups, which JIT does not speed up anyway. (jit exists from
	// PostgreSQL 11.)
	params := map[string]string{"jit": "off"}
	if opts.ReadOnly {
		params["default_transaction_read_only"] = "on"
	}
	if opts.StatementTimeout > 0 {
		params["statement_timeout"] = strconv.FormatInt(max(1, opts.StatementTimeout.Milliseconds()), 10)
	}
	// One round trip a statement: without binary_parameters, lib/pq first
	// asks the server to describe every statement that has arguments and
	// waits for the answer before it sends them. The facade's statements
	// are one-off texts, so nothing is lost by not preparing them. A DSN
	// that sets binary_parameters itself is left as it is.
	if !strings.Contains(strings.ToLower(dsn), "binary_parameters") {
		params["binary_parameters"] = "yes"
	}
	full, err := withParams(dsn, params)
	if err != nil {
		return nil, adapters.OpenError("postgres", "open", dsn, err)
	}
	db, err := sqlx.Open("postgres", full)
	if err != nil {
		return nil, adapters.OpenError("postgres", "open", dsn, err)
	}
	adapters.SizePool(db, opts, 16)
	d := &DB{Conn: adapters.NewConn(db)}
	if err := db.GetContext(ctx, &d.unaccent, "SELECT to_regprocedure('unaccent(text)') IS NOT NULL"); err != nil {
		db.Close()
		return nil, adapters.OpenError("postgres", "connect to", dsn, err)
	}
	return d, nil
}

// withParams adds run-time parameters to a DSN in either form; lib/pq sends
// keys it does not know itself to the server as session parameters.
func withParams(dsn string, params map[string]string) (string, error) {
	if len(params) == 0 {
		return dsn, nil
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", errors.New("invalid URL (special characters in the password must be percent-encoded)")
		}
		q := u.Query()
		for k, v := range params {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	var b strings.Builder
	b.WriteString(dsn)
	for k, v := range params {
		fmt.Fprintf(&b, " %s=%s", k, v)
	}
	return b.String(), nil
}

// Name is "postgres".
func (d *DB) Name() string { return "postgres" }

// Placeholder is "$n".
func (d *DB) Placeholder(n int) string { return "$" + strconv.Itoa(n) }

// Quote leaves a plain name unquoted, so that PostgreSQL folds it to lower
// case just as it did when the unquoted name was used in the DDL (PATIENT
// finds patient). A reserved word or a name with other characters is
// double-quoted and taken exactly as written.
func (d *DB) Quote(ident string) string { return adapters.QuoteIdent(ident, '"', '"', reserved) }

// Limit is "LIMIT n".
func (d *DB) Limit(n int) string { return "LIMIT " + strconv.Itoa(n) }

// ILike is lower(expr) LIKE lower($n) rather than ILIKE because an
// expression index on lower(column) can serve it: with the C collation, or
// when the index is built with text_pattern_ops, a pattern with a fixed
// prefix ('smi%') becomes an index range scan. ILIKE can use no ordinary
// index.
//
// When the unaccent extension is installed (checked at Open), accents are
// ignored too: lower(unaccent(expr)) LIKE lower(unaccent($n)). unaccent is
// not IMMUTABLE, so such a predicate can use an index only where the DBA
// has declared it so and indexed lower(unaccent(column)). Without the
// extension accents count ('Zoe' does not match 'Zoë').
func (d *DB) ILike(expr, ph string) string {
	if d.unaccent {
		return "lower(unaccent(" + expr + ")) LIKE lower(unaccent(" + ph + `)) ESCAPE '\'`
	}
	return "lower(" + expr + ") LIKE lower(" + ph + `) ESCAPE '\'`
}

// FoldsAccents reports whether ILike ignores accents: when the unaccent
// extension is installed (CREATE EXTENSION unaccent).
func (d *DB) FoldsAccents() bool { return d.unaccent }

// AccentAdvice is how to make ILike ignore accents: install unaccent,
// which Open looks for.
func (d *DB) AccentAdvice() string {
	return "run CREATE EXTENSION unaccent; in this database as a superuser, and restart the facade"
}

// Like is expr LIKE $n, case-sensitive.
func (d *DB) Like(expr, ph string) string { return expr + " LIKE " + ph + ` ESCAPE '\'` }

// TimeArg binds the time with its zone: a timestamp without time zone
// column compares with its wall clock (the engine passes times in the zone
// the database's date-times are kept in), a timestamptz column with the
// instant.
func (d *DB) TimeArg(t time.Time) any { return t }

// BindArray binds a list of integers or of texts as one array parameter.
func (d *DB) BindArray(vals []any) (any, bool) {
	switch vals[0].(type) {
	case int64:
		if ns, ok := allOf[int64](vals); ok {
			return pq.Int64Array(ns), true
		}
	case string:
		if ss, ok := allOf[string](vals); ok {
			return pq.StringArray(ss), true
		}
	}
	return nil, false
}

// allOf is vals as a []T, when every value is a T.
func allOf[T any](vals []any) ([]T, bool) {
	out := make([]T, len(vals))
	for i, v := range vals {
		t, ok := v.(T)
		if !ok {
			return nil, false
		}
		out[i] = t
	}
	return out, true
}

// AnyOf is x = ANY(ph): x equals an element of the array bound at ph.
func (d *DB) AnyOf(x, ph string) string { return x + " = ANY(" + ph + ")" }

// fold applies PostgreSQL's folding of an unquoted name: a name Quote would
// leave unquoted is lower-cased; any other is taken as written.
func fold(name string) string {
	if adapters.QuoteIdent(name, '"', '"', reserved) == name {
		return strings.ToLower(name)
	}
	return name
}

// qualified is table as a PostgreSQL qualified name with every part quoted
// after folding.
func qualified(table string) string {
	parts := strings.Split(table, ".")
	for i, p := range parts {
		parts[i] = pq.QuoteIdentifier(fold(p))
	}
	return strings.Join(parts, ".")
}

// Columns lists the columns of a table, view or materialised view. An
// unqualified name is looked up through the search path, as a query would.
// Type is the SQL type name without modifiers, upper case
// ("CHARACTER VARYING", "INTEGER", "NUMERIC", "TIMESTAMP WITHOUT TIME ZONE").
func (d *DB) Columns(ctx context.Context, table string) ([]adapters.Column, error) {
	const q = `SELECT a.attname, upper(format_type(a.atttypid, NULL)), NOT a.attnotnull
		FROM pg_attribute a
		WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`
	return adapters.ReadColumns(ctx, d.DB(), "postgres", table, q, []any{qualified(table)}, adapters.ScanColumn)
}

// Exec runs a script of statements separated by ";" at line ends, one by
// one, so that an error names its statement.
func (d *DB) Exec(ctx context.Context, script string) error {
	return adapters.ExecScript(ctx, d.DB(), "postgres", script)
}

// Load streams rows in with COPY, in one transaction. Names are folded as
// Quote would have them resolved. Times are sent with their zone (see TimeArg).
func (d *DB) Load(ctx context.Context, table string, columns []string, next func(row []any) bool) error {
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = fold(c)
	}
	var copySQL string
	if i := strings.LastIndex(table, "."); i >= 0 {
		copySQL = pq.CopyInSchema(fold(table[:i]), fold(table[i+1:]), cols...)
	} else {
		copySQL = pq.CopyIn(fold(table), cols...)
	}
	err := adapters.InTx(ctx, d.DB(), func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, copySQL)
		if err != nil {
			return err
		}
		defer stmt.Close()
		row := make([]any, len(columns))
		for next(row) {
			for i, v := range row {
				if t, ok := v.(time.Time); ok {
					row[i] = t
				}
			}
			if _, err := stmt.ExecContext(ctx, row...); err != nil {
				return err
			}
		}
		if _, err := stmt.ExecContext(ctx); err != nil { // flushes the COPY
			return err
		}
		return stmt.Close()
	})
	if err != nil {
		return fmt.Errorf("postgres: load %s: %w", table, err)
	}
	return nil
}

// Analyze runs ANALYZE on the tables, names folded as Quote would have
// them resolved.
func (d *DB) Analyze(ctx context.Context, tables []string) error {
	if len(tables) == 0 {
		return nil
	}
	if _, err := d.DB().ExecContext(ctx, "ANALYZE "+adapters.QuotedList(qualified, tables)); err != nil {
		return fmt.Errorf("postgres: analyze: %w", err)
	}
	return nil
}

// reserved are PostgreSQL's reserved key words and those that cannot be a
// column or table name (pg_get_keywords() categories R and T); Quote
// quotes a name that is one of them.
var reserved = adapters.WordSet(`ALL ANALYSE ANALYZE AND ANY ARRAY AS ASC ASYMMETRIC AUTHORIZATION BINARY
BOTH CASE CAST CHECK COLLATE COLLATION COLUMN CONCURRENTLY CONSTRAINT CREATE CROSS CURRENT_CATALOG
CURRENT_DATE CURRENT_ROLE CURRENT_SCHEMA CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DEFAULT
DEFERRABLE DESC DISTINCT DO ELSE END EXCEPT FALSE FETCH FOR FOREIGN FREEZE FROM FULL GRANT GROUP
HAVING ILIKE IN INITIALLY INNER INTERSECT INTO IS ISNULL JOIN LATERAL LEADING LEFT LIKE LIMIT
LOCALTIME LOCALTIMESTAMP NATURAL NOT NOTNULL NULL OFFSET ON ONLY OR ORDER OUTER OVERLAPS PLACING
PRIMARY REFERENCES RETURNING RIGHT SELECT SESSION_USER SIMILAR SOME SYMMETRIC TABLE TABLESAMPLE
THEN TO TRAILING TRUE UNION UNIQUE USER USING VARIADIC VERBOSE WHEN WHERE WINDOW WITH`)

var _ adapters.Estimator = (*DB)(nil)

// Estimate asks the planner (EXPLAIN) how many rows the query returns.
func (d *DB) Estimate(ctx context.Context, query string, args []any) (int64, error) {
	var plan string
	if err := d.DB().QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+query, args...).Scan(&plan); err != nil {
		return 0, err
	}
	var out []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(plan), &out); err != nil || len(out) == 0 {
		return 0, fmt.Errorf("postgres: cannot read the plan: %v", err)
	}
	return int64(out[0].Plan.Rows + 0.5), nil
}

var _ adapters.ScanChecker = (*DB)(nil)

// FullScans reads EXPLAIN's plan for sequential scans.
func (d *DB) FullScans(ctx context.Context, query string, args []any) ([]string, error) {
	rows, err := d.DB().QueryContext(ctx, "EXPLAIN "+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if i := strings.Index(line, "Seq Scan on "); i >= 0 {
			f := strings.Fields(line[i+len("Seq Scan on "):])
			if len(f) > 0 {
				out = append(out, f[0])
			}
		}
	}
	return out, rows.Err()
}

// Kind classifies PostgreSQL's type names: format_type's (Columns: "CHARACTER
// VARYING", "TIMESTAMP WITH TIME ZONE") and the wire protocol's (a
// result's column types: "VARCHAR", "TIMESTAMPTZ").
func (d *DB) Kind(dbType string) adapters.Kind { return kindOf(dbType) }

func kindOf(dbType string) adapters.Kind {
	switch strings.ToUpper(strings.TrimSpace(dbType)) {
	case "TEXT", "CHARACTER VARYING", "VARCHAR", "CHARACTER", "CHAR", "BPCHAR", "NAME", "CITEXT":
		return adapters.KindText
	case "SMALLINT", "INTEGER", "BIGINT", "INT2", "INT4", "INT8", "SMALLSERIAL", "SERIAL", "BIGSERIAL":
		return adapters.KindInteger
	case "NUMERIC", "DECIMAL", "REAL", "DOUBLE PRECISION", "FLOAT4", "FLOAT8", "MONEY":
		return adapters.KindDecimal
	case "DATE":
		return adapters.KindDate
	case "TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP":
		return adapters.KindTimestamp
	case "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ":
		return adapters.KindTimestampTZ
	case "BOOLEAN", "BOOL":
		return adapters.KindBool
	}
	return adapters.KindOther
}

// CastText is CAST(expr AS TEXT), or for a number VARCHAR(40) (always
// enough for its digits).
func (d *DB) CastText(expr string, from adapters.Kind) string {
	if from.Numeric() {
		return "CAST(" + expr + " AS VARCHAR(40))"
	}
	return "CAST(" + expr + " AS TEXT)"
}

var _ adapters.ChildAggregator = (*DB)(nil)

// Aggregates is true for every kind but KindOther (uuid, bytea, arrays…).
func (d *DB) Aggregates(types []string) bool { return adapters.KnownKinds(kindOf, types) }

// AggregateRows is a correlated json_agg of json_build_array.
func (d *DB) AggregateRows(cols []string, from, where string, order []string) string {
	return adapters.AggregateJSONRows("json_agg", "json_build_array", cols, from, where, order)
}

// jsonTimeLayouts are how json_agg writes dates and timestamps.
var jsonTimeLayouts = map[adapters.Kind][]string{
	adapters.KindDate:        {"2006-01-02"},
	adapters.KindTimestamp:   {"2006-01-02T15:04:05.999999999"},
	adapters.KindTimestampTZ: {"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z07"},
}

// ReadRows reads json_agg's text: numbers as lib/pq gives them (integers
// as int64, floats as float64, NUMERIC as its exact text), dates and
// timestamps (ISO 8601 in JSON) as time.Time.
func (d *DB) ReadRows(v any, types []string) ([][]any, error) {
	isFloat := func(t string) bool {
		return t == "REAL" || t == "DOUBLE PRECISION" || t == "FLOAT4" || t == "FLOAT8"
	}
	return adapters.DecodeTypedJSONRows(v, types, kindOf, isFloat, func(k adapters.Kind, s string) (any, error) {
		for _, l := range jsonTimeLayouts[k] {
			if t, err := time.Parse(l, s); err == nil {
				return t, nil
			}
		}
		return s, nil
	})
}

// ReusesStatements is true: a prepared statement skips PostgreSQL's parse
// and plan (which for a statement with aggregated child rows costs more
// than running it). Behind a connection pooler in transaction mode that
// does not carry prepared statements (PgBouncer before 1.21), turn the
// engine's statement cache off (database.statement_cache: 0).
func (d *DB) ReusesStatements() bool { return true }

var _ adapters.StatsWatcher = (*DB)(nil)

// StatsVersion sums what ANALYZE gathers for the tables and their
// expression indexes, as pg_stats shows it: how many columns have
// statistics, their null fractions, distinct counts and correlations.
// Summed as numeric, the value is exact, so it changes only when the
// statistics do (ANALYZE of a table too small to be sampled finds the same
// statistics again and changes nothing). pg_stats is read, not
// pg_stat_user_tables' analyze counts, because it is replicated: on a
// standby, where the primary's ANALYZE arrives through the WAL, the
// counts do not move. Only the columns the session may read are
// counted; a mapping over a view or a query watches no table under it.
// The names' list, known before pg_stats is read, lets the server check
// read privileges on those columns alone, not on every column of the
// database.
func (d *DB) StatsVersion(ctx context.Context, tables []string) (string, error) {
	const q = `WITH t AS (SELECT to_regclass(name) AS oid FROM unnest($1::text[]) name),
		r AS (SELECT oid FROM t WHERE oid IS NOT NULL
			UNION SELECT i.indexrelid FROM pg_index i JOIN t ON i.indrelid = t.oid)
		SELECT count(*) || ':' || coalesce(sum(s.null_frac::numeric), 0) || ':' ||
			coalesce(sum(s.n_distinct::numeric), 0) || ':' || coalesce(sum(s.correlation::numeric), 0)
		FROM pg_stats s
		JOIN pg_namespace n ON n.nspname = s.schemaname
		JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename
		WHERE s.tablename = ANY (ARRAY(SELECT relname FROM pg_class WHERE oid IN (SELECT oid FROM r)))
			AND c.oid IN (SELECT oid FROM r)`
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = qualified(t)
	}
	var v string
	if err := d.DB().QueryRowContext(ctx, q, pq.StringArray(names)).Scan(&v); err != nil {
		return "", fmt.Errorf("postgres: statistics of the tables: %w", err)
	}
	return v, nil
}

// TextFunction spells the mapping language's text functions in
// PostgreSQL: INITCAP, SPLIT_PART and STRPOS, REGEXP_REPLACE (the
// replacement's backslashes escaped, so it is literal) and ~.
func (d *DB) TextFunction(fn, x string, vals []string, bind func(any) string) (string, bool) {
	switch fn {
	case "title":
		return "INITCAP(" + x + ")", true
	case "before":
		return "SPLIT_PART(" + x + ", " + bind(vals[0]) + "::text, 1)", true
	case "after":
		at := "STRPOS(" + x + ", " + bind(vals[0]) + "::text)"
		return adapters.TextAfter(at, vals[0], func(from string) string { return "SUBSTR(" + x + ", " + from + ")" }), true
	case "replace":
		return "REGEXP_REPLACE(" + x + ", " + bind(vals[0]) + "::text, " + bind(strings.ReplaceAll(vals[1], `\`, `\\`)) + "::text, 'g')", true
	case "matches":
		return "(" + x + " ~ " + bind(vals[0]) + "::text)", true
	}
	return "", false
}

var _ adapters.TextFunctions = (*DB)(nil)

// Accepted are the constructs of adapters.Constructs that PostgreSQL
// accepts.
var Accepted = []string{"||", "::", "ILIKE", "CURRENT_DATE", "LIMIT", "SPLIT_PART(", "INITCAP(", "STRPOS(", "REGEXP_REPLACE(",
	"DATE_TRUNC(", "TO_CHAR(", "TO_DATE(", "NOW(", "AGE(", "SUBSTRING(x FROM y)", "POSITION(x IN y)", "LENGTH(", "SUBSTR(", "DATE(",
	"STRING_AGG(", "FORMAT("}
