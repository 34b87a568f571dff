package postgres_test

import (
	"context"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/adaptertest"
	"github.com/ccfacade/ccfacade/adapters/postgres"
	"github.com/ccfacade/ccfacade/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestConformance(t *testing.T) {
	dsn := pgtest.FreshDB(t)
	adaptertest.Run(t, func(t *testing.T, readOnly bool) adapters.Adapter {
		db, err := postgres.Open(context.Background(), dsn, adapters.Options{ReadOnly: readOnly})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
