package postgres

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// DB is an open PostgreSQL connection pool.
type DB struct {
	db *sqlx.DB
}

var (
	_ adapters.Adapter = (*DB)(nil)
	_ adapters.Loader  = (*DB)(nil)
)

// Open connects to PostgreSQL. dsn is a postgres:// URL or a key=value
// string.
func Open(ctx context.Context, dsn string, opts adapters.Options) (adapters.Adapter, error) {
	params := map[string]string{}
	if opts.ReadOnly {
		params["default_transaction_read_only"] = "on"
	}
	if opts.StatementTimeout > 0 {
		params["statement_timeout"] = fmt.Sprint(opts.StatementTimeout.Milliseconds())
	}
	full, err := withParams(dsn, params)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", adapters.Redact(dsn), err)
	}
	db, err := sqlx.Open("postgres", full)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", adapters.Redact(dsn), err)
	}
	n := opts.MaxOpenConns
	if n <= 0 {
		n = 16
	}
	db.SetMaxOpenConns(n)
	idle := opts.MaxIdleConns
	if idle <= 0 {
		idle = n
	}
	db.SetMaxIdleConns(idle)
	if opts.ConnMaxLifetime > 0 {
		db.SetConnMaxLifetime(opts.ConnMaxLifetime)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w", adapters.Redact(dsn), err)
	}
	return &DB{db: db}, nil
}

// withParams adds run-time parameters to a DSN in either form.
func withParams(dsn string, params map[string]string) (string, error) {
	if len(params) == 0 {
		return dsn, nil
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("invalid URL")
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

func (d *DB) Name() string             { return "postgres" }
func (d *DB) Placeholder(n int) string { return fmt.Sprintf("$%d", n) }
func (d *DB) Quote(ident string) string {
	return adapters.QuoteIdent(ident, '"', '"', adapters.SQLReserved)
}
func (d *DB) Limit(n int) string { return fmt.Sprintf("LIMIT %d", n) }
func (d *DB) ILike(expr, ph string) string {
	return "lower(" + expr + ") LIKE lower(" + ph + `) ESCAPE '\'`
}
func (d *DB) Like(expr, ph string) string { return expr + " LIKE " + ph + ` ESCAPE '\'` }

// TimeArg binds the time as is: for a timestamp without time zone the
// server takes its wall clock, for timestamptz the instant.
func (d *DB) TimeArg(t time.Time) any { return t }

func (d *DB) DB() *sqlx.DB { return d.db }
func (d *DB) Close() error { return d.db.Close() }

// Normalize keeps NUMERIC exact: lib/pq returns it (and text) as []byte.
func (d *DB) Normalize(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

// fold applies PostgreSQL's folding of an unquoted name.
func fold(name string) string {
	if adapters.QuoteIdent(name, '"', '"', adapters.SQLReserved) == name {
		return strings.ToLower(name)
	}
	return name
}

// Columns reads information_schema for a table or view, resolving an
// unqualified name through the search path.
func (d *DB) Columns(ctx context.Context, table string) ([]adapters.Column, error) {
	var schema, name string
	if i := strings.LastIndex(table, "."); i >= 0 {
		schema, name = fold(table[:i]), fold(table[i+1:])
	} else {
		name = fold(table)
	}
	q := `SELECT a.attname, upper(format_type(a.atttypid, NULL)), NOT a.attnotnull
		FROM pg_attribute a
		WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`
	qualified := pq.QuoteIdentifier(name)
	if schema != "" {
		qualified = pq.QuoteIdentifier(schema) + "." + qualified
	}
	rows, err := d.db.QueryContext(ctx, q, qualified)
	if err != nil {
		return nil, fmt.Errorf("postgres: columns of %s: %w", table, err)
	}
	defer rows.Close()
	var out []adapters.Column
	for rows.Next() {
		var c adapters.Column
		if err := rows.Scan(&c.Name, &c.Type, &c.Nullable); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("postgres: %s: %w", table, adapters.ErrNoTable)
	}
	return out, nil
}

// Exec runs a script of statements.
func (d *DB) Exec(ctx context.Context, script string) error {
	for _, stmt := range adapters.SplitScript(script) {
		if _, err := d.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("postgres: %w in: %s", err, strings.SplitN(stmt, "\n", 2)[0])
		}
	}
	return nil
}

// Load copies rows in with COPY, in one transaction.
func (d *DB) Load(ctx context.Context, table string, columns []string, next func(row []any) bool) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = fold(c)
	}
	var stmtSQL string
	if i := strings.LastIndex(table, "."); i >= 0 {
		stmtSQL = pq.CopyInSchema(fold(table[:i]), fold(table[i+1:]), cols...)
	} else {
		stmtSQL = pq.CopyIn(fold(table), cols...)
	}
	stmt, err := tx.PrepareContext(ctx, stmtSQL)
	if err != nil {
		return fmt.Errorf("postgres: load %s: %w", table, err)
	}
	row := make([]any, len(columns))
	for next(row) {
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			stmt.Close()
			return fmt.Errorf("postgres: load %s: %w", table, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		stmt.Close()
		return fmt.Errorf("postgres: load %s: %w", table, err)
	}
	if err := stmt.Close(); err != nil {
		return err
	}
	return tx.Commit()
}
