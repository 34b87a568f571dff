package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // the driver, registered as "sqlite"
)

// DB is an open SQLite database. The driver gives int64, float64, string,
// []byte (BLOB) and, for columns declared DATE, DATETIME or TIMESTAMP
// whose text parses as a time, time.Time in UTC; Normalize (from
// adapters.Conn) makes BLOBs strings. SQLite keeps DECIMAL columns as
// binary floating point (NUMERIC affinity), so their values arrive as
// float64 or int64: the exact text typed into a legacy system is not
// stored.
type DB struct {
	adapters.Conn
}

var (
	_ adapters.Adapter = (*DB)(nil)
	_ adapters.Loader  = (*DB)(nil)
	_ adapters.Opener  = Open
)

// timeText is how TIMESTAMP columns hold a time: UTC wall-clock text, which
// sorts and compares as text and which the driver reads back as time.Time.
const timeText = "2006-01-02 15:04:05.999999999"

// Open opens a SQLite database. dsn is a file path or a "file:" URI, e.g.
// "file:/tmp/demo.db"; the file is created if missing. Every connection
// gets a busy timeout, WAL journaling and synchronous=NORMAL, so that many
// readers run beside one writer; with opts.ReadOnly it is also
// query_only, so it cannot write. SQLite has no statement timeout: the
// context of each query bounds it. Use a file, not ":memory:", which would
// give each pooled connection a database of its own.
func Open(ctx context.Context, dsn string, opts adapters.Options) (adapters.Adapter, error) {
	if err := registerFunctions(); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	full := dsn + sep + "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	if opts.ReadOnly {
		full += "&_pragma=query_only(1)"
	}
	db, err := sqlx.Open("sqlite", full)
	if err != nil {
		return nil, adapters.OpenError("sqlite", "open", dsn, err)
	}
	adapters.SizePool(db, opts, 8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, adapters.OpenError("sqlite", "open", dsn, err)
	}
	return &DB{Conn: adapters.NewConn(db)}, nil
}

// Name is "sqlite".
func (d *DB) Name() string { return "sqlite" }

// Placeholder is "?n": numbered, so that one argument can be referred to
// twice (Like does).
func (d *DB) Placeholder(n int) string { return "?" + strconv.Itoa(n) }

// Quote leaves a plain name as it is (SQLite matches names without regard
// to ASCII case) and puts any other name, or a keyword, between backticks.
// Backticks rather than double quotes: SQLite reads a double-quoted name
// that matches no column as a string literal, so a misspelt name would
// quietly become text instead of an error.
func (d *DB) Quote(ident string) string { return adapters.QuoteIdent(ident, '`', '`', keywords) }

// Limit is "LIMIT n".
func (d *DB) Limit(n int) string { return "LIMIT " + strconv.Itoa(n) }

// ILike folds both sides with the registered ccf_fold (Unicode case and
// accents: 'Zoë' matches 'ZOË' and 'zoe') before SQLite's LIKE, which by
// itself ignores the case of ASCII letters only.
func (d *DB) ILike(expr, ph string) string {
	return "ccf_fold(" + expr + ") LIKE ccf_fold(" + ph + `) ESCAPE '\'`
}

// FoldsAccents: ILike ignores accents.
func (d *DB) FoldsAccents() bool { return true }

// Like is case-sensitive: the built-in LIKE first narrows the rows cheaply,
// then the registered ccf_like_cs checks the case.
func (d *DB) Like(expr, ph string) string {
	return "(" + expr + " LIKE " + ph + ` ESCAPE '\' AND ccf_like_cs(` + expr + ", " + ph + "))"
}

// TimeArg binds the time's wall clock as the text that TIMESTAMP columns
// hold, so that the comparison is a text comparison in the same form. The
// engine passes times in the zone the database's date-times are kept in
// (the configured timezone). A midnight is written as its date alone
// (2001-07-13): as text it compares with a date kept as text (2001-07-13)
// and with a timestamp kept as text (2001-07-13 00:00:00) as the times
// compare, so a column whose type SQLite does not report (an expression of
// a mapping's query) is searched right whichever it holds.
func (d *DB) TimeArg(t time.Time) any {
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format(timeText)
}

// Columns lists a table's or view's columns with PRAGMA table_info. table
// may be schema-qualified with an attached database's name ("main.PATIENT");
// names are matched without regard to ASCII case, as SQLite does. Type is
// the declared type, upper case, without size ("VARCHAR(40)" is "VARCHAR").
func (d *DB) Columns(ctx context.Context, table string) ([]adapters.Column, error) {
	schema, name := "main", table
	if i := strings.LastIndex(table, "."); i >= 0 {
		schema, name = table[:i], table[i+1:]
		var n int
		if err := d.DB().GetContext(ctx, &n, "SELECT count(*) FROM pragma_database_list WHERE name = ?1 COLLATE NOCASE", schema); err != nil {
			return nil, fmt.Errorf("sqlite: columns of %s: %w", table, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("sqlite: %s: no schema %s: %w", table, schema, adapters.ErrNoTable)
		}
	}
	return adapters.ReadColumns(ctx, d.DB(), "sqlite", table, `SELECT name, type, "notnull" FROM pragma_table_info(?1, ?2) ORDER BY cid`, []any{name, schema},
		func(rows *sql.Rows, c *adapters.Column) error {
			var notNull int
			if err := rows.Scan(&c.Name, &c.Type, &notNull); err != nil {
				return err
			}
			if i := strings.IndexByte(c.Type, '('); i >= 0 {
				c.Type = c.Type[:i]
			}
			c.Type = strings.ToUpper(strings.TrimSpace(c.Type))
			c.Nullable = notNull == 0
			return nil
		})
}

// Exec runs a script of statements separated by ";" at line ends.
func (d *DB) Exec(ctx context.Context, script string) error {
	return adapters.ExecScript(ctx, d.DB(), "sqlite", script)
}

// Load inserts rows with prepared multi-row INSERTs in one transaction.
// Times are stored as their wall-clock text (see TimeArg).
func (d *DB) Load(ctx context.Context, table string, columns []string, next func(row []any) bool) error {
	if len(columns) == 0 {
		return fmt.Errorf("sqlite: load %s: no columns", table)
	}
	// SQLite binds at most 32766 values per statement; 500 rows a statement
	// is past the point where larger batches help.
	perStmt := min(500, 32766/len(columns))
	head := adapters.InsertInto(d.Quote, table, columns)
	rowPH := "(" + strings.TrimSuffix(strings.Repeat("?,", len(columns)), ",") + ")"
	insert := func(rows int) string {
		return head + strings.TrimSuffix(strings.Repeat(rowPH+",", rows), ",")
	}
	err := adapters.InTx(ctx, d.DB(), func(tx *sql.Tx) error {
		full, err := tx.PrepareContext(ctx, insert(perStmt))
		if err != nil {
			return err
		}
		defer full.Close()
		row := make([]any, len(columns))
		args := make([]any, 0, perStmt*len(columns))
		for next(row) {
			for _, v := range row {
				if t, ok := v.(time.Time); ok {
					v = t.Format(timeText)
				}
				args = append(args, v)
			}
			if len(args) == cap(args) {
				if _, err := full.ExecContext(ctx, args...); err != nil {
					return err
				}
				args = args[:0]
			}
		}
		if len(args) == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, insert(len(args)/len(columns)), args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: load %s: %w", table, err)
	}
	return nil
}

// keywords are SQLite's keywords (https://sqlite.org/lang_keywords.html);
// Quote quotes a name that is one of them.
var keywords = adapters.WordSet(`ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC
	ATTACH AUTOINCREMENT BEFORE BEGIN BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT
	CONFLICT CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE
	DEFAULT DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP EACH ELSE END ESCAPE EXCEPT
	EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED
	GLOB GROUP GROUPS HAVING IF IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD
	INTERSECT INTO IS ISNULL JOIN KEY LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT
	NOTHING NOTNULL NULL NULLS OF OFFSET ON OR ORDER OTHERS OUTER OVER PARTITION PLAN PRAGMA
	PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE REFERENCES REGEXP REINDEX RELEASE RENAME REPLACE
	RESTRICT RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES
	TO TRANSACTION TRIGGER UNBOUNDED UNION UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN
	WHERE WINDOW WITH WITHOUT`)

// Kind classifies a declared column type by SQLite's own affinity rules
// (a name containing INT is an integer; CHAR, CLOB or TEXT, text; REAL,
// FLOA or DOUB, a float; NUM or DEC, a number), after the declared types the driver reads as
// times: DATE, and DATETIME or TIMESTAMP (wall clocks).
func (d *DB) Kind(dbType string) adapters.Kind { return kindOf(dbType) }

func kindOf(dbType string) adapters.Kind {
	t := strings.ToUpper(strings.TrimSpace(dbType))
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	switch t {
	case "DATE":
		return adapters.KindDate
	case "DATETIME", "TIMESTAMP":
		return adapters.KindTimestamp
	case "BOOLEAN", "BOOL":
		return adapters.KindBool
	}
	switch {
	case strings.Contains(t, "INT"):
		return adapters.KindInteger
	case strings.Contains(t, "CHAR"), strings.Contains(t, "CLOB"), strings.Contains(t, "TEXT"):
		return adapters.KindText
	case strings.Contains(t, "REAL"), strings.Contains(t, "FLOA"), strings.Contains(t, "DOUB"),
		strings.Contains(t, "NUM"), strings.Contains(t, "DEC"):
		return adapters.KindDecimal
	}
	return adapters.KindOther
}

// CastText is CAST(expr AS TEXT).
func (d *DB) CastText(expr string, _ adapters.Kind) string { return "CAST(" + expr + " AS TEXT)" }

var _ adapters.ChildAggregator = (*DB)(nil)

// Aggregates is false for a column of no known kind (a BLOB, which JSON
// cannot hold, or a column without a declared type).
func (d *DB) Aggregates(types []string) bool { return adapters.KnownKinds(kindOf, types) }

// AggregateRows is a correlated json_group_array of json_array (aggregate
// ORDER BY: SQLite 3.44 and later, which the driver embeds).
func (d *DB) AggregateRows(cols []string, from, where string, order []string) string {
	return adapters.AggregateJSONRows("json_group_array", "json_array", cols, from, where, order)
}

// timeColumns are the declared types whose text the driver reads as a
// time, and timeLayouts the layouts it tries.
var (
	timeColumns = map[string]bool{"DATE": true, "DATETIME": true, "TIMESTAMP": true}
	timeLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05.999999999-07:00",
		"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"}
)

// ReadRows reads json_group_array's text as the driver reads the columns:
// an integer as int64, a real as float64, the text of a DATE, DATETIME or
// TIMESTAMP column as time.Time where it parses.
func (d *DB) ReadRows(v any, types []string) ([][]any, error) {
	return adapters.DecodeJSONRows(v, len(types), func(i int, x any) (any, error) {
		switch t := x.(type) {
		case json.Number:
			if !strings.ContainsAny(t.String(), ".eE") {
				return t.Int64()
			}
			return t.Float64()
		case string:
			typ := strings.ToUpper(strings.TrimSpace(types[i]))
			if j := strings.IndexByte(typ, '('); j >= 0 {
				typ = strings.TrimSpace(typ[:j])
			}
			if timeColumns[typ] {
				s, _ := strings.CutSuffix(t, "Z")
				for _, l := range timeLayouts {
					if tm, err := time.Parse(l, s); err == nil {
						return tm, nil
					}
				}
			}
		}
		return x, nil
	})
}

// ReusesStatements is true: a prepared statement skips SQLite's compile.
func (d *DB) ReusesStatements() bool { return true }

// TextFunction spells the text before or after a separator with INSTR and
// SUBSTR; title case and regular expressions are Go functions registered
// with the driver (ccf_title, ccf_regexp_replace, ccf_regexp), the same
// code that renders the values.
func (d *DB) TextFunction(fn, x string, vals []string, bind func(any) string) (string, bool) {
	switch fn {
	case "title":
		return "ccf_title(" + x + ")", true
	case "before":
		sep := bind(vals[0])
		return "CASE WHEN INSTR(" + x + ", " + sep + ") > 0 THEN SUBSTR(" + x + ", 1, INSTR(" + x + ", " + sep + ") - 1) ELSE " + x + " END", true
	case "after":
		at := "INSTR(" + x + ", " + bind(vals[0]) + ")"
		return adapters.TextAfter(at, vals[0], func(from string) string { return "SUBSTR(" + x + ", " + from + ")" }), true
	case "replace":
		return "ccf_regexp_replace(" + x + ", " + bind(vals[0]) + ", " + bind(vals[1]) + ")", true
	case "matches":
		return "ccf_regexp(" + x + ", " + bind(vals[0]) + ")", true
	}
	return "", false
}

var _ adapters.TextFunctions = (*DB)(nil)

// Accepted are the constructs of adapters.Constructs that SQLite accepts.
var Accepted = []string{"||", "CURRENT_DATE", "LIMIT", "LENGTH(", "SUBSTR(", "INSTR(", "IFNULL(", "STRFTIME(", "JULIANDAY(", "GROUP_CONCAT(", "DATE(", "FORMAT("}
