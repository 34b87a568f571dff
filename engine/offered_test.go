package engine_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/engine"
)

// What a search offers and what an unknown parameter's error lists come
// from the same names: the parameters the facade implements for every
// mapping (mapping.ReservedParams) that this mapping has, then its own.
// Without a last-updated column there is no _lastUpdated in either.
func TestOfferedParamsAreTheSupportedOnes(t *testing.T) {
	eng := newEngine(t, sqliteDB(t), "CREATE TABLE org (id INTEGER PRIMARY KEY, name TEXT)", engine.Options{}, orgMapping)
	m := eng.Set().Lookup("Organization")
	var offered []string
	for _, p := range eng.Offered(m).Params {
		offered = append(offered, p.Name)
	}
	if !slices.Equal(offered, []string{"_id", "name"}) {
		t.Errorf("offered %v, want [_id name]", offered)
	}
	_, err := eng.Search(context.Background(), engine.SearchRequest{Type: "Organization", Params: url.Values{"colour": {"blue"}}, Base: "http://x"})
	var ee *engine.Error
	if !errors.As(err, &ee) || !strings.Contains(ee.Msg, "(supported: _id, name)") {
		t.Errorf("unknown parameter: %v", err)
	}
}
