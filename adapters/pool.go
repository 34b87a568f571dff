package adapters

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Pool is what SizePool sets on a database handle (*sql.DB, *sqlx.DB).
type Pool interface {
	SetMaxOpenConns(int)
	SetMaxIdleConns(int)
	SetConnMaxLifetime(time.Duration)
}

// SizePool sizes a connection pool by the options: MaxOpenConns (open when
// unset), MaxIdleConns (as many as may be open when unset or more), and
// ConnMaxLifetime.
func SizePool(db Pool, opts Options, open int) {
	if opts.MaxOpenConns > 0 {
		open = opts.MaxOpenConns
	}
	idle := opts.MaxIdleConns
	if idle <= 0 || idle > open {
		idle = open
	}
	db.SetMaxOpenConns(open)
	db.SetMaxIdleConns(idle)
	db.SetConnMaxLifetime(opts.ConnMaxLifetime)
}

// Querier runs a query (*sql.DB, *sqlx.DB, a connection).
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ReadColumns runs a query that lists a table's columns, one row a column,
// and reads each row with scan; no row is ErrNoTable. Errors name the
// adapter and the table.
func ReadColumns(ctx context.Context, db Querier, adapter, table, query string, args []any, scan func(*sql.Rows, *Column) error) ([]Column, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: columns of %s: %w", adapter, table, err)
	}
	defer rows.Close()
	var out []Column
	for rows.Next() {
		var c Column
		if err := scan(rows, &c); err != nil {
			return nil, fmt.Errorf("%s: columns of %s: %w", adapter, table, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: columns of %s: %w", adapter, table, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %s: %w", adapter, table, ErrNoTable)
	}
	return out, nil
}

// ScanColumn reads a row of name, type and nullability.
func ScanColumn(rows *sql.Rows, c *Column) error { return rows.Scan(&c.Name, &c.Type, &c.Nullable) }
