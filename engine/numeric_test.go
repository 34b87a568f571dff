package engine_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/postgres"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/internal/pgtest"
	"github.com/ccfacade/ccfacade/mapping"
)

// A token over a numeric column compares numbers: an integer, a decimal,
// and nothing for a value that is no number.
func TestMain(m *testing.M) { pgtest.Main(m) }

func TestTokenOnNumericColumn(t *testing.T) {
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, "file:"+filepath.Join(t.TempDir(), "num.db"), adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := postgres.Open(ctx, pgtest.FreshDB(t), adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for _, db := range []adapters.Adapter{lite, pg} {
		t.Run(db.Name(), func(t *testing.T) { tokenOnNumeric(t, db) })
	}
}

func tokenOnNumeric(t *testing.T, db adapters.Adapter) {
	ctx := context.Background()
	if err := db.(adapters.Loader).Exec(ctx, `CREATE TABLE site (id INTEGER PRIMARY KEY, site_no DECIMAL(8,1), ods INTEGER, name TEXT);
INSERT INTO site VALUES (1, 12, 7, 'Twelve'), (2, 12.5, 8, 'Twelve and a half'), (3, NULL, NULL, 'None');`); err != nil {
		t.Fatal(err)
	}
	set, err := mapping.Load([]mapping.File{{Name: "org.yaml", Data: []byte(`
resource: Organization
from: { table: site, key: id }
element:
  name: { column: name }
search:
  identifier:
    type: token
    column: site_no
    system: https://example.org/site-number
  ods:
    type: token
    column: ods
`)}}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if err := set.CheckDatabase(ctx, db); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(set, db, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		query string
		want  int
	}{
		{"identifier=12", 1}, {"identifier=12.5", 1}, {"identifier=12.50", 1}, {"identifier=12.0", 1},
		{"identifier=13", 0}, {"identifier=twelve", 0}, {"identifier=1e400", 0}, {"identifier=NaN", 0},
		{"ods=7", 1}, {"ods=7.0", 0}, {"ods=7.5", 0}, {"ods=seven", 0}, {"ods=7,8", 2},
	} {
		params, _ := url.ParseQuery(c.query)
		b, err := eng.Search(ctx, engine.SearchRequest{Type: "Organization", Params: params, Base: "http://x"})
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		var bundle struct{ Entry []json.RawMessage }
		if err := json.Unmarshal(fhir.AppendJSON(nil, b), &bundle); err != nil {
			t.Fatal(err)
		}
		if got := len(bundle.Entry); got != c.want {
			t.Errorf("%s: %d matches, want %d", c.query, got, c.want)
		}
	}
}
