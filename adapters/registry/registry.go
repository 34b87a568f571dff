// Package registry is the one list of database adapters the binary knows.
// Adding an adapter means adding one line here (see package adapters).
package registry

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/postgres"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
)

var known = map[string]adapters.Opener{
	"sqlite":   sqlite.Open,
	"postgres": postgres.Open,
}

// Names lists the known adapters, sorted.
func Names() []string {
	out := make([]string, 0, len(known))
	for n := range known {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Open opens the named adapter.
func Open(ctx context.Context, name, dsn string, opts adapters.Options) (adapters.Adapter, error) {
	open, ok := known[name]
	if !ok {
		return nil, fmt.Errorf("unknown database adapter %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return open(ctx, dsn, opts)
}
