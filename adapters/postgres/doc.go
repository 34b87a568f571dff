// Package postgres is the PostgreSQL adapter, through github.com/lib/pq
// over sqlx. Sessions are made read-only (default_transaction_read_only)
// and bounded (statement_timeout, with jit off, since the JIT compiler
// heeds no timeout) by parameters sent when each connection starts. Plain names stay unquoted so that PostgreSQL folds them to lower
// case as it did in the DDL; Columns and the loader resolve names the same
// way. Case-insensitive matching is lower(expr) LIKE lower($n), a form an
// expression index on lower(column) can serve; accents are ignored too when
// the unaccent extension is installed. NUMERIC values keep their exact
// text. The Loader runs scripts, loads rows with COPY in one transaction
// and analyses what it loaded. StatsVersion tells the engine when ANALYZE
// has changed the statistics its prepared statements were planned from.
package postgres
