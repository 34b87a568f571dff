package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/mapping"
)

// check is what a vendor runs first at a new site: the mappings against
// the live database (tables, columns, column types), sample resources
// against their profiles, where the database can show plans the search
// parameters no index supports, and how far string search ignores
// accents (and, where each column's collation decides, the columns whose
// collation counts case or accents).
func check(ctx context.Context, fs *flag.FlagSet, src *sourceFlags, args []string, stdout, stderr io.Writer) error {
	s, err := src.parseAndOpen(ctx, fs, args, true, quietLog())
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, "ok: %d mapping(s); every table and column exists in the %s database, with types that fit\n", len(s.set.Mappings), s.cfg.Database.Adapter)

	rep, err := sampleAndCheck(ctx, s, src.sample)
	if err != nil {
		return err
	}
	warnings, err := indexWarnings(ctx, s)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(stdout, w)
	}
	if len(warnings) > 0 {
		fmt.Fprintln(stdout, "note: a planner reads small tables in full whatever their indexes; judge these warnings on production-sized data")
	}
	if _, ok := s.db.(adapters.ScanChecker); !ok {
		fmt.Fprintf(stdout, "note: the %s adapter cannot show query plans, so indexes were not checked\n", s.cfg.Database.Adapter)
	}
	folding, err := collationWarnings(ctx, s)
	if err != nil {
		return err
	}
	for _, w := range folding {
		fmt.Fprintln(stdout, w)
	}
	if note := accentNote(s.db, len(folding)); note != "" {
		fmt.Fprintln(stdout, note)
	}
	rep.print(stdout, stderr)
	if rep.failed() {
		return rep.err()
	}
	fmt.Fprintf(stdout, "ok: %d sample resource(s) conform to their profiles; %d search parameter(s) without a supporting index\n", rep.rendered, len(warnings))
	return nil
}

// indexWarnings runs each search parameter once with a sample value and
// asks the database whether the query reads the mapping's table in full.
func indexWarnings(ctx context.Context, s *setup) ([]string, error) {
	sc, ok := s.db.(adapters.ScanChecker)
	if !ok {
		return nil, nil
	}
	var captured []struct {
		sql  string
		args []any
	}
	eng, err := engine.New(s.cat, s.db, engine.Options{Logger: quietLog(), Trace: func(q string, a []any) {
		captured = append(captured, struct {
			sql  string
			args []any
		}{q, a})
	}, Sequential: true})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range s.set.Mappings {
		table := m.From.Table
		for _, p := range m.Search {
			v := sampleValue(p)
			captured = captured[:0]
			if _, err := eng.Search(ctx, engine.SearchRequest{Type: m.Resource, Params: url.Values{p.Name: {v}, "_count": {"1"}}, Base: "http://check"}); err != nil {
				out = append(out, fmt.Sprintf("%s: warning: %s: search parameter %s=%s fails: %v", p.Pos, m.Resource, p.Name, v, err))
				continue
			}
			if len(captured) == 0 {
				continue
			}
			scans, err := sc.FullScans(ctx, captured[0].sql, captured[0].args)
			if err != nil {
				return nil, err
			}
			for _, t := range scans {
				switch {
				case table == "":
					out = append(out, fmt.Sprintf("%s: warning: %s: no index supports search parameter %s (the database reads %s in full, a table of the mapping's query: the scan may be the query's own join rather than the parameter's)", p.Pos, m.Resource, p.Name, t))
				case strings.EqualFold(t, lastPart(table)) || (p.Rows != nil && strings.EqualFold(t, lastPart(p.Rows.Table))):
					out = append(out, fmt.Sprintf("%s: warning: %s: no index supports search parameter %s (the database reads %s in full)", p.Pos, m.Resource, p.Name, t))
				default:
					continue // a joined table: its join, not this parameter
				}
				break
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func lastPart(name string) string { return name[strings.LastIndex(name, ".")+1:] }

// sampleValue is a plausible value to search a parameter with.
func sampleValue(p *mapping.SearchParam) string {
	switch p.Type {
	case "date":
		return "ge2020-01-01"
	case "reference":
		return "1"
	case "token":
		if len(p.Concepts) > 0 {
			for _, c := range p.Concepts {
				if codes := c.InSystem(c.System); len(codes) > 0 {
					t, _ := c.Lookup(codes[0])
					return t.Code
				}
			}
		}
		if hasNHS(p) {
			return "9434765919"
		}
		return "A1"
	}
	return "a"
}

func hasNHS(p *mapping.SearchParam) bool {
	for _, t := range p.Transforms {
		if t.Name == "nhs-number" {
			return true
		}
	}
	return false
}
