package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
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
		n, failing, problems, err := sampleAndCheck(ctx, s, *sample)
		if err != nil {
			return err
		}
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		if len(problems) > 0 {
			return fmt.Errorf("%d resource(s) of %d rendered from sample rows do not conform to their Care Connect profile (%d problem(s) above)", failing, n, len(problems))
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
// indexRe matches the list indexes of a path (name[2]).
var indexRe = regexp.MustCompile(`\[\d+\]`)

// sampleAndCheck renders up to n rows of every mapping and checks them
// against their profiles: how many it rendered, how many failed, and the
// problems (each once, with the rows it was found in).
func sampleAndCheck(ctx context.Context, s *setup, n int) (int, int, []string, error) {
	eng, err := engine.New(s.cat, s.db, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return 0, 0, nil, err
	}
	var problems []string
	count, failing := 0, 0
	for _, m := range s.set.Mappings {
		// The same problem in many sampled rows is reported once, with the
		// rows it was found in.
		type seen struct {
			at   string
			ids  []string
			line string
		}
		var order []string
		byKey := map[string]*seen{}
		b, err := eng.Search(ctx, engine.SearchRequest{Type: m.Resource, Params: url.Values{"_count": {strconv.Itoa(n)}}, Base: "http://lint"})
		if err != nil {
			return 0, 0, nil, fmt.Errorf("%s: %w", m.Resource, err)
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
				return 0, 0, nil, err
			}
			ps := profile.Check(decoded)
			if len(ps) > 0 {
				failing++
			}
			for _, p := range ps {
				key := indexRe.ReplaceAllString(p.Path, "") + "\x00" + p.Msg
				if byKey[key] == nil {
					byKey[key] = &seen{at: m.PosOf(p.Path).String(), line: p.Path + ": " + p.Msg}
					order = append(order, key)
				}
				byKey[key].ids = append(byKey[key].ids, res.GetString("id"))
			}
		}
		for _, k := range order {
			p := byKey[k]
			rows := m.Resource + "/" + p.ids[0]
			if len(p.ids) > 1 {
				rows = fmt.Sprintf("%s/%s and %d more of the %d sampled", m.Resource, p.ids[0], len(p.ids)-1, len(entries))
			}
			problems = append(problems, fmt.Sprintf("%s: %s: %s", p.at, rows, p.line))
		}
	}
	return count, failing, problems, nil
}
