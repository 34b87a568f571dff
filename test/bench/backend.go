package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/postgres"
)

// backend is a database the benchmark runs the demo on: how it is loaded,
// how the facade opens it, how the floors reach it bare, and the
// one-statement floors in its SQL.
type backend struct {
	name string // as -backends names it
	// label names the server in the report ("PostgreSQL",
	// "MariaDB 10.11.19"); heading is appended to the headings of its
	// sections ("" for PostgreSQL, whose headings stay as they were
	// before there was another backend).
	label, heading string
	// version is the server's (or its client's) version, for the set-up.
	version string
	// driver is the Go driver the floors use, for the set-up.
	driver string
	// notes tell the reader what differs on this backend (set-up).
	notes string
	// ensure makes sure the demo of the given size is loaded and returns
	// the DSN of its database and a sentence about how it was loaded.
	ensure func(ctx context.Context, patients int) (dsn, loaded string, err error)
	// open opens the facade's adapter on dsn.
	open func(ctx context.Context, dsn string) (adapters.Adapter, error)
	// raw opens the floors' pool: the driver alone, with the facade's
	// session settings.
	raw func(dsn string) (*sql.DB, error)
	// bare is a statement the facade issued as the driver is handed it.
	bare func(s stmt) (stmt, error)
	// patientJSON and observationJSON are the one-statement floors (a
	// WHERE follows); ph is the driver's placeholder for argument n.
	patientJSON, observationJSON string
	ph                           func(n int) string
}

// facadeOptions are the facade's pool settings on every backend.
var facadeOptions = adapters.Options{ReadOnly: true, MaxOpenConns: 64, MaxIdleConns: 64}

// postgresBackend is PostgreSQL through lib/pq.
func postgresBackend(maint string) *backend {
	return &backend{
		name: "postgres", label: "PostgreSQL", version: pgVersion(), driver: "lib/pq",
		ensure: func(ctx context.Context, patients int) (string, string, error) {
			return ensureDemo(ctx, maint, fmt.Sprintf("ccfacade_bench_%d", patients), patients)
		},
		open: func(ctx context.Context, dsn string) (adapters.Adapter, error) {
			return postgres.Open(ctx, dsn, facadeOptions)
		},
		raw: func(dsn string) (*sql.DB, error) {
			return sql.Open("postgres", dsn+"&binary_parameters=yes&jit=off") // the facade's session settings
		},
		bare:        func(s stmt) (stmt, error) { return s, nil },
		patientJSON: patientJSON, observationJSON: observationJSON,
		ph: func(n int) string { return fmt.Sprintf("$%d", n) },
	}
}

// backendsNamed are the backends of a -backends list, in its order.
func backendsNamed(ctx context.Context, list, pgDSN, mysqlDSN string) ([]*backend, error) {
	var out []*backend
	seen := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		switch name {
		case "postgres":
			out = append(out, postgresBackend(pgDSN))
		case "mysql":
			b, err := mysqlBackend(ctx, mysqlDSN)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		default:
			return nil, fmt.Errorf("-backends: unknown backend %q (known: postgres, mysql)", name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-backends: no backend named (known: postgres, mysql)")
	}
	return out, nil
}
