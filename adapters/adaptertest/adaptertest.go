// Package adaptertest is the conformance suite every database adapter must
// pass against a real database: placeholders, quoting, limits,
// case-insensitive and case-sensitive matching, time binding, value
// normalisation, column introspection, injection-safe binding and read-only
// sessions. An adapter's own test calls Run with a function that opens it.
package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
)

// Opener opens the adapter under test; readOnly asks for a read-only pool.
type Opener func(t *testing.T, readOnly bool) adapters.Adapter

const script = `
CREATE TABLE CCF_T (
    ID        INTEGER      NOT NULL PRIMARY KEY,
    NAME      VARCHAR(40),
    AMOUNT    DECIMAL(10,2),
    CREATED   TIMESTAMP,
    "select"  VARCHAR(10),
    "Mixed Case" VARCHAR(10)
);
`

// Run runs the suite.
func Run(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, false)
	loader, ok := db.(adapters.Loader)
	if !ok {
		t.Skip("the adapter has no Loader: the suite needs one to create its tables")
	}
	if err := loader.Exec(ctx, script); err != nil {
		t.Fatalf("create tables: %v", err)
	}
	base := time.Date(2020, 3, 4, 10, 0, 0, 0, time.UTC)
	names := []string{"Smith", "smithson", "SMYTH", "50% off", "under_score", `back\slash`, "O'Brien", "Zoë", "x'; DROP TABLE CCF_T; --", ""}
	i := 0
	err := loader.Load(ctx, "CCF_T", []string{"ID", "NAME", "AMOUNT", "CREATED", "select", "Mixed Case"}, func(row []any) bool {
		if i >= len(names) {
			return false
		}
		var name any = names[i]
		if names[i] == "" {
			name = nil
		}
		row[0], row[1], row[2], row[3], row[4], row[5] = int64(i+1), name, fmt.Sprintf("%d.50", i), base.Add(time.Duration(i)*time.Hour), "s", "m"
		i++
		return true
	})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	q := func(t *testing.T, sql string, args ...any) [][]any {
		t.Helper()
		rows, err := db.DB().QueryContext(ctx, sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out [][]any
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i := range vals {
				vals[i] = db.Normalize(vals[i])
			}
			out = append(out, vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	ids := func(rows [][]any) string {
		var s []string
		for _, r := range rows {
			s = append(s, fmt.Sprint(r[0]))
		}
		return strings.Join(s, ",")
	}
	tbl := db.Quote("CCF_T")

	t.Run("placeholders", func(t *testing.T) {
		var phs []string
		var args []any
		for n := 1; n <= 1500; n++ {
			phs = append(phs, db.Placeholder(n))
			args = append(args, int64(n))
		}
		got := q(t, "SELECT ID FROM "+tbl+" WHERE ID IN ("+strings.Join(phs, ", ")+") ORDER BY ID", args...)
		if len(got) != len(names) {
			t.Errorf("IN with 1500 parameters: %d rows", len(got))
		}
	})
	t.Run("quote", func(t *testing.T) {
		if db.Quote("PATIENT") != "PATIENT" || db.Quote("pas.PATIENT") != "pas.PATIENT" {
			t.Errorf("plain names must stay unquoted: %s, %s", db.Quote("PATIENT"), db.Quote("pas.PATIENT"))
		}
		got := q(t, "SELECT "+db.Quote("select")+", "+db.Quote("Mixed Case")+" FROM "+tbl+" WHERE ID = "+db.Placeholder(1), int64(1))
		if len(got) != 1 || got[0][0] != "s" || got[0][1] != "m" {
			t.Errorf("reserved and mixed-case names: %v", got)
		}
	})
	t.Run("limit", func(t *testing.T) {
		if got := q(t, "SELECT ID FROM "+tbl+" ORDER BY ID "+db.Limit(3)); ids(got) != "1,2,3" {
			t.Errorf("limit 3: %s", ids(got))
		}
	})
	like := func(t *testing.T, fn func(expr, ph string) string, pattern, want string) {
		t.Helper()
		got := q(t, "SELECT ID FROM "+tbl+" WHERE "+fn("NAME", db.Placeholder(1))+" ORDER BY ID", pattern)
		if ids(got) != want {
			t.Errorf("pattern %q: ids %s, want %s", pattern, ids(got), want)
		}
	}
	t.Run("ilike", func(t *testing.T) {
		like(t, db.ILike, "smi%", "1,2")
		like(t, db.ILike, "SM%", "1,2,3")
		like(t, db.ILike, "%TH%", "1,2,3")
		like(t, db.ILike, `50\%%`, "4")
		like(t, db.ILike, `under\_%`, "5")
		like(t, db.ILike, `un_er%`, "5")
		like(t, db.ILike, `back\\%`, "6")
		like(t, db.ILike, "o'b%", "7")
	})
	t.Run("like is case-sensitive", func(t *testing.T) {
		like(t, db.Like, "Smi%", "1")
		like(t, db.Like, "smi%", "2")
		like(t, db.Like, "SMI%", "")
	})
	t.Run("time", func(t *testing.T) {
		got := q(t, "SELECT ID FROM "+tbl+" WHERE CREATED >= "+db.Placeholder(1)+" AND CREATED < "+db.Placeholder(2)+" ORDER BY ID",
			db.TimeArg(base.Add(2*time.Hour)), db.TimeArg(base.Add(4*time.Hour)))
		if ids(got) != "3,4" {
			t.Errorf("time range: %s", ids(got))
		}
	})
	t.Run("normalize", func(t *testing.T) {
		got := q(t, "SELECT ID, NAME, AMOUNT, CREATED FROM "+tbl+" WHERE ID IN (2, 10) ORDER BY ID")
		if got[0][0] != int64(2) || got[0][1] != "smithson" {
			t.Errorf("integer and text: %#v", got[0])
		}
		if a := fmt.Sprint(got[0][2]); a != "1.50" && a != "1.5" {
			t.Errorf("decimal %#v", got[0][2])
		}
		if ts, ok := got[0][3].(time.Time); !ok || !ts.Equal(base.Add(time.Hour)) {
			t.Errorf("timestamp %#v", got[0][3])
		}
		if got[1][1] != nil {
			t.Errorf("NULL became %#v", got[1][1])
		}
	})
	t.Run("injection is data", func(t *testing.T) {
		got := q(t, "SELECT ID FROM "+tbl+" WHERE NAME = "+db.Placeholder(1), names[8])
		if ids(got) != "9" {
			t.Errorf("bound injection text: %s", ids(got))
		}
		if n := q(t, "SELECT COUNT(*) FROM "+tbl); fmt.Sprint(n[0][0]) != fmt.Sprint(len(names)) {
			t.Errorf("table changed: %v", n)
		}
	})
	t.Run("columns", func(t *testing.T) {
		cols, err := db.Columns(ctx, "CCF_T")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cols {
			got = append(got, strings.ToUpper(c.Name))
		}
		if strings.Join(got, ",") != "ID,NAME,AMOUNT,CREATED,SELECT,MIXED CASE" {
			t.Errorf("columns %v", got)
		}
		if !strings.Contains(cols[0].Type, "INT") || cols[0].Nullable || !cols[1].Nullable {
			t.Errorf("column info %+v %+v", cols[0], cols[1])
		}
		if _, err := db.Columns(ctx, "NO_SUCH_TABLE"); !errors.Is(err, adapters.ErrNoTable) {
			t.Errorf("missing table: %v", err)
		}
	})
	t.Run("read-only", func(t *testing.T) {
		ro := open(t, true)
		if _, err := ro.DB().ExecContext(ctx, "UPDATE "+tbl+" SET NAME = 'x'"); err == nil {
			t.Error("a read-only pool wrote to the database")
		}
		if got := q(t, "SELECT COUNT(*) FROM "+tbl+" WHERE NAME = 'x'"); fmt.Sprint(got[0][0]) != "0" {
			t.Error("the write went through")
		}
	})
}
