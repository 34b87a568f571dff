package adapters

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Conn holds an adapter's connection pool; an adapter's DB type embeds it
// for the DB, Close and Normalize methods of Adapter.
type Conn struct{ pool *sqlx.DB }

// NewConn holds db.
func NewConn(db *sqlx.DB) Conn { return Conn{pool: db} }

// DB is the pool.
func (c Conn) DB() *sqlx.DB { return c.pool }

// Close closes the pool.
func (c Conn) Close() error { return c.pool.Close() }

// Normalize turns []byte into string and leaves every other value as the
// driver gave it: for drivers that give exact numerics as their text in a
// []byte and everything else as one of the types Adapter.Normalize
// allows. An adapter whose driver gives other bytes (SQL Server's
// uniqueidentifier) defines its own Normalize.
func (Conn) Normalize(v any, _ string) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

// InTx runs f in a transaction of db and commits it when f returns nil;
// otherwise, or when the commit fails, the transaction is rolled back and
// the error returned.
func InTx(ctx context.Context, db *sqlx.DB, f func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// OpenError is the error of adapter when it cannot do what (open, connect
// to) with the database of dsn: it names the database with its password
// hidden, and hides the password in err too.
func OpenError(adapter, what, dsn string, err error) error {
	return fmt.Errorf("%s: %s %s: %w", adapter, what, Redact(dsn), RedactError(err, dsn))
}
