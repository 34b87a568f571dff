// Package postgres is the PostgreSQL adapter, through github.com/lib/pq and
// sqlx. Sessions can be made read-only (default_transaction_read_only) and
// bounded by statement_timeout; the demo loader uses COPY.
//
// Case-insensitive matching is written lower(expr) LIKE lower($n), a form
// an expression index on lower(column) can serve.
package postgres
