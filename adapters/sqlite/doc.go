// Package sqlite is the embedded default adapter: SQLite through
// modernc.org/sqlite (pure Go, no cgo), over sqlx. It serves the built-in
// demo EPR from a temporary file and any SQLite file a deployment names.
// Each connection runs in WAL mode with a busy timeout so readers share the
// file, and a read-only pool is query_only. Placeholders are numbered
// ("?3"); plain names stay unquoted and others go between backticks;
// TIMESTAMP columns hold UTC text 'YYYY-MM-DD HH:MM:SS', so times are bound
// in that form and compare as text, and the driver reads them back as
// time.Time. Like is made case-sensitive by a registered SQL function,
// ccf_like_cs. The Loader runs scripts and loads rows with prepared
// multi-row INSERTs in one transaction.
package sqlite
