package mysql

import (
	"context"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/adaptertest"
	"github.com/ccfacade/ccfacade/internal/mysqltest"
)

// opener opens the adapter on dsn for the conformance suite.
func opener(dsn string) adaptertest.Opener {
	return func(t *testing.T, readOnly bool) adapters.Adapter {
		db, err := Open(context.Background(), dsn, adapters.Options{ReadOnly: readOnly, StatementTimeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}

// The shared adapter conformance suite, on a database of its own.
func TestConformance(t *testing.T) {
	dsn := mysqltest.FreshDB(t)
	schema := schemaFor(t, dsn)
	adaptertest.Run(t, opener(dsn), adaptertest.TimestampType("DATETIME(6)"), adaptertest.SchemaName(schema),
		adaptertest.CaseSensitiveTables("MySQL and MariaDB on Linux compare table names with case counting (lower_case_table_names=0)"))
}

// schemaFor is a name for the suite's schema, a database of the server:
// the test database's name with a suffix, dropped when the test ends.
func schemaFor(t *testing.T, dsn string) string {
	db, err := Open(context.Background(), dsn, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	if err := db.DB().Get(&name, "SELECT DATABASE()"); err != nil {
		t.Fatal(err)
	}
	schema := name + "_s"
	base := mysqltest.DSN(t)
	t.Cleanup(func() { _ = mysqltest.Exec(base, "DROP DATABASE IF EXISTS `"+schema+"`") })
	return schema
}

// The suite again with statements prepared on the server.
func TestConformancePrepared(t *testing.T) {
	dsn := mysqltest.FreshDB(t) + "?interpolateParams=false"
	db, err := Open(context.Background(), dsn, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !db.(*DB).ReusesStatements() {
		t.Error("interpolateParams=false: ReusesStatements is false")
	}
	db.Close()
	adaptertest.Run(t, opener(dsn), adaptertest.TimestampType("DATETIME(6)"), adaptertest.SchemaName(schemaFor(t, dsn)),
		adaptertest.CaseSensitiveTables("MySQL and MariaDB on Linux compare table names with case counting (lower_case_table_names=0)"))
}
