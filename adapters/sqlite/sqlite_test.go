package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/adaptertest"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
)

func TestConformance(t *testing.T) {
	dsn := "file:" + filepath.Join(t.TempDir(), "conformance.db")
	adaptertest.Run(t, func(t *testing.T, readOnly bool) adapters.Adapter {
		db, err := sqlite.Open(context.Background(), dsn, adapters.Options{ReadOnly: readOnly})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
