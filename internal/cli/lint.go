package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/profile"
)

func lint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("lint", stderr)
	var src sourceFlags
	src.register(fs)
	sample := fs.Int("sample", 25, "rows per mapping rendered and checked against the profile (with a database)")
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
	for _, w := range s.set.Warnings {
		fmt.Fprintln(stdout, w)
	}
	if withDB {
		n, problems, err := sampleAndCheck(ctx, s, *sample)
		if err != nil {
			return err
		}
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		if len(problems) > 0 {
			return fmt.Errorf("%d resource(s) of %d rendered from sample rows do not conform to their Care Connect profile", len(problems), n)
		}
		fmt.Fprintf(stdout, "ok: %d mapping(s); every table and column exists in the %s database; %d sample resource(s) conform to their profiles\n", len(s.set.Mappings), s.cfg.Database.Adapter, n)
	} else {
		fmt.Fprintf(stdout, "ok: %d mapping(s) (not checked against a database: give -config, or -adapter and -dsn)\n", len(s.set.Mappings))
	}
	return nil
}

// sampleAndCheck renders the first rows of every mapping and runs the Care
// Connect profile checker on them; each problem names the mapping's
// file:line:col, the resource and the FHIR path.
func sampleAndCheck(ctx context.Context, s *setup, n int) (int, []string, error) {
	eng, err := engine.New(s.set, s.db, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return 0, nil, err
	}
	var problems []string
	count := 0
	for _, m := range s.set.Mappings {
		b, err := eng.Search(ctx, engine.SearchRequest{Type: m.Resource, Params: url.Values{"_count": {strconv.Itoa(n)}}, Base: "http://lint"})
		if err != nil {
			return 0, nil, fmt.Errorf("%s: %w", m.Resource, err)
		}
		entries, _ := b.Get("entry").(fhir.Array)
		for _, e := range entries {
			res, _ := e.(*fhir.Object).Get("resource").(*fhir.Object)
			if res == nil || res.GetString("resourceType") != m.Resource {
				continue
			}
			count++
			var decoded map[string]any
			if err := json.Unmarshal(fhir.AppendJSON(nil, res), &decoded); err != nil {
				return 0, nil, err
			}
			for _, p := range profile.Check(decoded) {
				problems = append(problems, fmt.Sprintf("%s: %s/%s: %s: %s", m.PosOf(p.Path), m.Resource, res.GetString("id"), p.Path, p.Msg))
			}
		}
	}
	return count, problems, nil
}
