package engine_test

import (
	"testing"

	"github.com/ccfacade/ccfacade/engine"
)

// An engine is built only with a catalog: without one it could not know
// how the database holds the columns it compares.
func TestNewNeedsCatalog(t *testing.T) {
	if _, err := engine.New(nil, sqliteDB(t), engine.Options{}); err == nil {
		t.Fatal("engine.New without a catalog: no error")
	}
}
