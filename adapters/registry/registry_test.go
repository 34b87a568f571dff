package registry

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
)

func TestNames(t *testing.T) {
	if got := strings.Join(Names(), ","); got != "mysql,postgres,sqlite,sqlserver" {
		t.Errorf("Names() = %s", got)
	}
}

func TestUnknown(t *testing.T) {
	_, err := Open(context.Background(), "oracle", "u/secret@h", adapters.Options{})
	if err == nil || !strings.Contains(err.Error(), `"oracle"`) || !strings.Contains(err.Error(), "mysql, postgres, sqlite, sqlserver") {
		t.Errorf("unknown adapter: %v", err)
	}
}

func TestOpenSQLite(t *testing.T) {
	db, err := Open(context.Background(), "sqlite", "file:"+filepath.Join(t.TempDir(), "r.db"), adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Name() != "sqlite" {
		t.Errorf("Name() = %s", db.Name())
	}
}

// No error shows the password, however the DSN is malformed or wherever
// the server is.
func TestErrorsHidePassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct{ adapter, dsn string }{
		{"postgres", "postgres://u:Sekrit99@127.0.0.1:1/db?sslmode=disable&connect_timeout=2"},
		{"postgres", "postgres://u:Sek/rit99@127.0.0.1:1/db"},
		{"postgres", "postgres://u:Sekrit99@127.0.0.1:1/db?sslmode=bogus"},
		{"postgres", "host=127.0.0.1 port=1 user=u password=Sekrit99 sslmode=disable connect_timeout=2"},
		{"postgres", "host=127.0.0.1 port=1 user=u password='Sekrit99 sslmode=disable"},
		{"sqlite", "file:/nonexistent-dir/x.db?password=Sekrit99"},
		{"sqlserver", "sqlserver://u:Sekrit99@127.0.0.1:1?database=epr&dial+timeout=2"},
		{"sqlserver", "sqlserver://u:Sekrit99@127.0.0.1:1?encrypt=bogus"},
		{"sqlserver", "server=127.0.0.1;port=1;user id=u;password=Sekrit99;dial timeout=2"},
		{"sqlserver", "server=127.0.0.1;port=1;user id=u;password={Sek;rit99};dial timeout=2"},
		{"mysql", "u:Sekrit99@tcp(127.0.0.1:1)/epr?timeout=2s"},
		{"mysql", "u:Sekrit99@tcp(127.0.0.1:1/epr"},
		{"mysql", "u:Sekrit99@tcp(127.0.0.1:1)/epr?tls=bogus"},
	} {
		_, err := Open(ctx, tc.adapter, tc.dsn, adapters.Options{ReadOnly: true})
		if err == nil {
			t.Errorf("%s: no error", tc.dsn)
			continue
		}
		t.Log(err)
		if strings.Contains(err.Error(), "Sekrit99") || strings.Contains(err.Error(), "rit99") {
			t.Errorf("password in error: %v", err)
		}
	}
}

// Every construct some adapter accepts is one lint looks for, and raw SQL
// is tied to the adapters that accept all of its constructs.
func TestPortable(t *testing.T) {
	for _, a := range list {
		for _, c := range a.accepted {
			if !slices.Contains(adapters.Constructs, c) {
				t.Errorf("%s accepts %q, which is not in adapters.Constructs", a.name, c)
			}
		}
	}
	for _, c := range []struct{ sql, runs, tied string }{
		{"CASE WHEN d.end_date < CURRENT_DATE THEN 'completed' END", "mysql,postgres,sqlite", "CURRENT_DATE"},
		{"SPLIT_PART(name, ',', 1)", "postgres", "SPLIT_PART("},
		{"split_part (name, ',', 1) || 'x'", "postgres", "||,SPLIT_PART("},
		{"COALESCE(a, b) = 'CURRENT_DATE || x'", "mysql,postgres,sqlite,sqlserver", ""}, // in a string literal
		{`"LEN"(x) + my_len(y) + t.len`, "mysql,postgres,sqlite,sqlserver", ""},         // a quoted name, another function, a column
		{"ISNULL(a, b) + LEN(c)", "sqlserver", "ISNULL(,LEN("},
		{"SUBSTR(a, 1, 2) + ISNULL(b, c)", "", "SUBSTR(,ISNULL("},
		{"CONCAT(SUBSTRING(d, 7, 4), NULLIF(x, ''))", "mysql,postgres,sqlite,sqlserver", ""},
		{"REGEXP_REPLACE(a, '[^0-9]', '') || IFNULL(b, '')", "mysql", "||,REGEXP_REPLACE(,IFNULL("},
		{"SUBSTRING(nhs_no FROM 1 FOR 3)", "mysql,postgres", "SUBSTRING(x FROM y)"},
		{"POSITION(',' IN name) > 0", "mysql,postgres", "POSITION(x IN y)"},
		{"LENGTH(name) > 3", "postgres,sqlite", "LENGTH("},
		{"LEN(name) + length_cm", "sqlserver", "LEN("},
	} {
		runs, tied := Portable(c.sql)
		if strings.Join(runs, ",") != c.runs || strings.Join(tied, ",") != c.tied {
			t.Errorf("%s: runs on %v, tied by %v; want %s and %s", c.sql, runs, tied, c.runs, c.tied)
		}
	}
}
