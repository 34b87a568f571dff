package adapters

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // the driver, registered as "sqlite"
)

func TestConnNormalize(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct{ in, want any }{
		{[]byte("12.50"), "12.50"},
		{int64(7), int64(7)},
		{"x", "x"},
		{now, now},
		{nil, nil},
	} {
		if got := (Conn{}).Normalize(tc.in, "NUMERIC"); got != tc.want {
			t.Errorf("Normalize(%#v) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestOpenError(t *testing.T) {
	dsn := "postgres://u:s3cret@h/db"
	err := OpenError("postgres", "connect to", dsn, fmt.Errorf("login s3cret refused: %w", errBase))
	if want := "postgres: connect to postgres://u:xxxxx@h/db: login xxxxx refused"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("OpenError = %q, want it to start %q", err, want)
	}
	if !errors.Is(err, errBase) {
		t.Error("OpenError does not wrap the driver's error")
	}
}

func TestInTx(t *testing.T) {
	db, err := sqlx.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "tx.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	insert := func(v int) func(*sql.Tx) error {
		return func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO t VALUES (?)", v)
			return err
		}
	}
	if err := InTx(ctx, db, insert(1)); err != nil {
		t.Fatal(err)
	}
	err = InTx(ctx, db, func(tx *sql.Tx) error {
		if err := insert(2)(tx); err != nil {
			return err
		}
		return errBase
	})
	if !errors.Is(err, errBase) {
		t.Fatalf("InTx = %v, want f's error", err)
	}
	var vs []int
	if err := db.SelectContext(ctx, &vs, "SELECT v FROM t ORDER BY v"); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(vs) != "[1]" {
		t.Errorf("rows %v, want [1]: the first transaction committed, the failed one rolled back", vs)
	}
}

func TestInsertInto(t *testing.T) {
	quote := func(s string) string { return "[" + s + "]" }
	if got, want := InsertInto(quote, "t", []string{"a", "b"}), "INSERT INTO [t] ([a], [b]) VALUES "; got != want {
		t.Errorf("InsertInto = %q, want %q", got, want)
	}
	if got, want := QuotedList(quote, []string{"x"}), "[x]"; got != want {
		t.Errorf("QuotedList = %q, want %q", got, want)
	}
}
