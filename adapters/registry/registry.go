package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/mysql"
	"github.com/ccfacade/ccfacade/adapters/postgres"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/adapters/sqlserver"
)

// list is every adapter the binary knows.
var list = []struct {
	name     string
	open     adapters.Opener
	accepted []string // of adapters.Constructs
}{
	{"sqlite", sqlite.Open, sqlite.Accepted},
	{"postgres", postgres.Open, postgres.Accepted},
	{"sqlserver", sqlserver.Open, sqlserver.Accepted},
	{"mysql", mysql.Open, mysql.Accepted},
}

// Accepting names the adapters (sorted) whose dialect accepts a construct
// of adapters.Constructs.
func Accepting(construct string) []string {
	var out []string
	for _, a := range list {
		if slices.Contains(a.accepted, construct) {
			out = append(out, a.name)
		}
	}
	slices.Sort(out)
	return out
}

// Portable says which adapters run a piece of raw SQL as far as its
// constructs tell: the adapters that accept every construct it uses
// (sorted), and the constructs not every adapter accepts.
func Portable(sql string) (runsOn []string, tied []string) {
	runsOn = Names()
	for _, c := range adapters.Uses(sql) {
		acc := Accepting(c)
		if len(acc) == len(list) {
			continue
		}
		tied = append(tied, c)
		runsOn = slices.DeleteFunc(runsOn, func(n string) bool { return !slices.Contains(acc, n) })
	}
	return runsOn, tied
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
