package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
)

func preview(ctx context.Context, fs *flag.FlagSet, src *sourceFlags, args []string, stdout, stderr io.Writer) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		return &usageError{"give a resource type and, optionally, ids (default: the first row)"}
	}
	s, err := src.open(ctx, true, quietLog())
	if err != nil {
		return err
	}
	defer s.Close()
	typ := fs.Arg(0)
	eng, err := engine.New(s.cat, s.db, engine.Options{
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Trace: func(sql string, args []any) {
			fmt.Fprintf(stdout, "-- SQL\n%s\n", sql)
			if len(args) > 0 {
				fmt.Fprintf(stdout, "-- arguments: %v\n", args)
			}
		},
		Sequential: true,
	})
	if err != nil {
		return err
	}
	if fs.NArg() == 1 {
		b, err := eng.Search(ctx, engine.SearchRequest{Type: typ, Params: url.Values{"_count": {"1"}}, Base: "http://127.0.0.1:8080/fhir"})
		if err != nil {
			return err
		}
		entries, _ := b.Get("entry").(fhir.Array)
		if len(entries) == 0 {
			return fmt.Errorf("no %s rows", typ)
		}
		fmt.Fprintf(stdout, "-- %s\n%s\n", typ, fhir.AppendIndentedJSON(nil, entries[0].(*fhir.Object).Get("resource")))
		return nil
	}
	// Each id in turn, on one engine: the statements, then the resource.
	for _, id := range fs.Args()[1:] {
		r, err := eng.Read(ctx, typ, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "-- %s/%s\n%s\n", typ, id, fhir.AppendIndentedJSON(nil, r))
	}
	return nil
}
