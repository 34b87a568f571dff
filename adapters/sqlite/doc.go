// Package sqlite is the embedded default adapter: SQLite through
// modernc.org/sqlite (pure Go, no cgo). It serves the built-in demo EPR and
// any SQLite file. TIMESTAMP columns hold text 'YYYY-MM-DD HH:MM:SS', so
// times are bound in that form and compare as text.
package sqlite
