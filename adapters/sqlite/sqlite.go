package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // the driver, registered as "sqlite"
)

// DB is an open SQLite database.
type DB struct {
	db *sqlx.DB
}

var (
	_ adapters.Adapter = (*DB)(nil)
	_ adapters.Loader  = (*DB)(nil)
)

// Open opens a SQLite database. dsn is a file path or a "file:" URI; WAL
// mode and a busy timeout are set so that readers run side by side.
func Open(ctx context.Context, dsn string, opts adapters.Options) (adapters.Adapter, error) {
	if err := registerFunctions(); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	full := dsn
	sep := "?"
	if strings.Contains(full, "?") {
		sep = "&"
	}
	full += sep + "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(0)"
	if opts.ReadOnly {
		full += "&_pragma=query_only(1)"
	}
	db, err := sqlx.Open("sqlite", full)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", adapters.Redact(dsn), err)
	}
	n := opts.MaxOpenConns
	if n <= 0 {
		n = 8
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if opts.ConnMaxLifetime > 0 {
		db.SetConnMaxLifetime(opts.ConnMaxLifetime)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", adapters.Redact(dsn), err)
	}
	return &DB{db: db}, nil
}

func (d *DB) Name() string             { return "sqlite" }
func (d *DB) Placeholder(n int) string { return "?" + strconv.Itoa(n) }
func (d *DB) Quote(ident string) string {
	return adapters.QuoteIdent(ident, '"', '"', adapters.SQLReserved)
}
func (d *DB) Limit(n int) string { return fmt.Sprintf("LIMIT %d", n) }

// ILike: SQLite's LIKE ignores case for ASCII letters.
func (d *DB) ILike(expr, ph string) string { return expr + " LIKE " + ph + ` ESCAPE '\'` }

// Like is case-sensitive: SQLite's LIKE (which can use an index) narrows
// the rows and the registered ccf_like_cs confirms the exact case.
func (d *DB) Like(expr, ph string) string {
	return "(" + expr + " LIKE " + ph + ` ESCAPE '\' AND ccf_like_cs(` + expr + ", " + ph + "))"
}

// TimeArg binds the wall-clock text that TIMESTAMP columns hold.
func (d *DB) TimeArg(t time.Time) any { return t.Format("2006-01-02 15:04:05") }

func (d *DB) DB() *sqlx.DB { return d.db }

func (d *DB) Close() error { return d.db.Close() }

// Normalize converts driver values: text arrives as string (or []byte for
// BLOB), INTEGER as int64, REAL as float64, TIMESTAMP columns as time.Time.
func (d *DB) Normalize(v any) any {
	switch t := v.(type) {
	case []byte:
		return string(t)
	}
	return v
}

// Columns lists a table's columns with PRAGMA table_info.
func (d *DB) Columns(ctx context.Context, table string) ([]adapters.Column, error) {
	schema, name := "main", table
	if i := strings.LastIndex(table, "."); i >= 0 {
		schema, name = table[:i], table[i+1:]
	}
	rows, err := d.db.QueryContext(ctx, "SELECT name, type, \"notnull\" FROM pragma_table_info(?, ?)", name, schema)
	if err != nil {
		return nil, fmt.Errorf("sqlite: columns of %s: %w", table, err)
	}
	defer rows.Close()
	var out []adapters.Column
	for rows.Next() {
		var c adapters.Column
		var notNull int
		if err := rows.Scan(&c.Name, &c.Type, &notNull); err != nil {
			return nil, err
		}
		c.Type = strings.ToUpper(c.Type)
		c.Nullable = notNull == 0
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sqlite: %s: %w", table, adapters.ErrNoTable)
	}
	return out, nil
}

// Exec runs a script of statements.
func (d *DB) Exec(ctx context.Context, script string) error {
	for _, stmt := range adapters.SplitScript(script) {
		if _, err := d.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("sqlite: %w in: %s", err, firstLine(stmt))
		}
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// Load inserts rows with multi-row INSERTs in one transaction. Times are
// stored as 'YYYY-MM-DD HH:MM:SS' text.
func (d *DB) Load(ctx context.Context, table string, columns []string, next func(row []any) bool) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const perStmt = 100
	rowPH := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")"
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = d.Quote(c)
	}
	head := "INSERT INTO " + d.Quote(table) + " (" + strings.Join(quoted, ", ") + ") VALUES "
	stmts := map[int]string{}
	stmtFor := func(n int) string {
		if s, ok := stmts[n]; ok {
			return s
		}
		s := head + strings.TrimSuffix(strings.Repeat(rowPH+", ", n), ", ")
		stmts[n] = s
		return s
	}
	row := make([]any, len(columns))
	args := make([]any, 0, perStmt*len(columns))
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, stmtFor(len(args)/len(columns)), args...)
		args = args[:0]
		return err
	}
	for next(row) {
		for _, v := range row {
			if t, ok := v.(time.Time); ok {
				v = t.Format("2006-01-02 15:04:05")
			}
			args = append(args, v)
		}
		if len(args) >= perStmt*len(columns) {
			if err := flush(); err != nil {
				return fmt.Errorf("sqlite: load %s: %w", table, err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("sqlite: load %s: %w", table, err)
	}
	return tx.Commit()
}
