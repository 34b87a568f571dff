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
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
)

// A token over a numeric column compares numbers: an integer, a decimal,
// and nothing for a value that is no number.
func TestTokenOnNumericColumn(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, "file:"+filepath.Join(t.TempDir(), "num.db"), adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.(adapters.Loader).Exec(ctx, `CREATE TABLE site (id INTEGER PRIMARY KEY, site_no DECIMAL(8,1), name TEXT);
INSERT INTO site VALUES (1, 12, 'Twelve'), (2, 12.5, 'Twelve and a half'), (3, NULL, 'None');`); err != nil {
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
	for v, want := range map[string]int{"12": 1, "12.5": 1, "12.50": 1, "12.0": 1, "13": 0, "twelve": 0, "1e400": 0, "NaN": 0} {
		b, err := eng.Search(ctx, engine.SearchRequest{Type: "Organization", Params: url.Values{"identifier": {v}}, Base: "http://x"})
		if err != nil {
			t.Errorf("identifier=%s: %v", v, err)
			continue
		}
		var bundle struct{ Entry []json.RawMessage }
		if err := json.Unmarshal(fhir.AppendJSON(nil, b), &bundle); err != nil {
			t.Fatal(err)
		}
		if got := len(bundle.Entry); got != want {
			t.Errorf("identifier=%s: %d matches, want %d", v, got, want)
		}
	}
}
