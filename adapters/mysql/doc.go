// Package mysql is the adapter for MySQL 8 and MariaDB 10.6 and later, on
// github.com/go-sql-driver/mysql. Its sessions read SQL as the standard
// does (ANSI_QUOTES, PIPES_AS_CONCAT, NO_BACKSLASH_ESCAPES added to the
// server's sql_mode) with time_zone at UTC; the engine's numbered
// placeholders are rewritten into MySQL's bare "?" by the pool's
// connections, which also spell a CAST's type as MySQL 8 takes it (CHAR
// for VARCHAR, SIGNED for INTEGER). It is tested live on MariaDB only.
// Case-insensitive search follows each column's collation
// (DB.Folding asks the server what one ignores). Table names follow the
// server's lower_case_table_names: on Linux (0) a mapping names a table
// exactly as it was created.
package mysql
