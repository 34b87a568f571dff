package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/registry"
	"github.com/ccfacade/ccfacade/demo"
)

func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "load" {
		return &usageError{"usage: ccfacade demo load -adapter name -dsn dsn [-patients n] [-seed n]"}
	}
	fs := newFlags("demo load", stderr)
	adapter := fs.String("adapter", "", "database adapter: sqlite, postgres, sqlserver or mysql")
	dsn := fs.String("dsn", "", "database connection string (the database must be empty)")
	patients := fs.Int("patients", 200, "number of patients")
	seed := fs.Uint64("seed", 1, "generator seed (same seed and size, same data)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *adapter == "" || *dsn == "" {
		return &usageError{"-adapter and -dsn are required"}
	}
	if *patients < 1 {
		return &usageError{"-patients must be at least 1"}
	}
	db, err := registry.Open(ctx, *adapter, *dsn, adapters.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	loader, ok := db.(adapters.Loader)
	if !ok {
		return fmt.Errorf("the %s adapter cannot load data", *adapter)
	}
	start := time.Now()
	if err := demo.Load(ctx, loader, demo.Options{Patients: *patients, Seed: *seed}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo EPR loaded: %d patients in %s\n", *patients, time.Since(start).Round(time.Millisecond))
	return nil
}
