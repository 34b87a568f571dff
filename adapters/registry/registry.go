package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/postgres"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/adapters/sqlserver"
)

// list is every adapter the binary knows.
var list = []struct {
	name string
	open adapters.Opener
}{
	{"sqlite", sqlite.Open},
	{"postgres", postgres.Open},
	{"sqlserver", sqlserver.Open},
}

// Names lists the known adapters' names, sorted.
func Names() []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.name
	}
	slices.Sort(out)
	return out
}

// Open opens the named adapter on dsn. The error of an unknown name lists
// the known ones; no error shows the DSN's password.
func Open(ctx context.Context, name, dsn string, opts adapters.Options) (adapters.Adapter, error) {
	for _, a := range list {
		if a.name == name {
			db, err := a.open(ctx, dsn, opts)
			if err != nil {
				return nil, adapters.RedactError(err, dsn)
			}
			return db, nil
		}
	}
	return nil, fmt.Errorf("unknown database adapter %q (known: %s)", name, strings.Join(Names(), ", "))
}
