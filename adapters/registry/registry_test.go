package registry

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
)

func TestNames(t *testing.T) {
	if got := strings.Join(Names(), ","); got != "postgres,sqlite,sqlserver" {
		t.Errorf("Names() = %s", got)
	}
}

func TestUnknown(t *testing.T) {
	_, err := Open(context.Background(), "oracle", "u/secret@h", adapters.Options{})
	if err == nil || !strings.Contains(err.Error(), `"oracle"`) || !strings.Contains(err.Error(), "postgres, sqlite, sqlserver") {
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
