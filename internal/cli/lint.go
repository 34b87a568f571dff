package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

func lint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("lint", stderr)
	var src sourceFlags
	src.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	withDB := src.config != "" || src.dsn != ""
	s, err := src.open(ctx, withDB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer s.Close()
	for _, line := range s.set.Summary() {
		fmt.Fprintln(stdout, line)
	}
	if withDB {
		fmt.Fprintf(stdout, "ok: %d mapping(s); every table and column exists in the %s database\n", len(s.set.Mappings), s.cfg.Database.Adapter)
	} else {
		fmt.Fprintf(stdout, "ok: %d mapping(s) (not checked against a database: give -config, or -adapter and -dsn)\n", len(s.set.Mappings))
	}
	return nil
}
