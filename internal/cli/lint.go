package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/adapters/registry"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/mapping"
)

func lint(ctx context.Context, fs *flag.FlagSet, src *sourceFlags, args []string, stdout, stderr io.Writer) error {
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	withDB := src.config != "" || src.dsn != ""
	s, err := src.open(ctx, withDB, quietLog())
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
	for _, e := range s.set.R4Problems() {
		fmt.Fprintf(stdout, "%s: note: %s: not served as R4 (UK Core): %s\n", e.Pos, e.Path, e.Msg)
	}
	for _, line := range portability(s.set) {
		fmt.Fprintln(stdout, line)
	}
	if withDB {
		rep, err := sampleAndCheck(ctx, s, src.sample)
		if err != nil {
			return err
		}
		rep.print(stdout, stderr)
		if rep.failed() {
			return rep.err()
		}
		folding, err := collationWarnings(ctx, s)
		if err != nil {
			return err
		}
		for _, w := range folding {
			fmt.Fprintln(stdout, w)
		}
		if s.cfg.GPConnect.Enabled {
			g, err := lintGPConnect(ctx, s, src.sample)
			if err != nil {
				return err
			}
			for _, p := range g.problems {
				fmt.Fprintln(stderr, p)
			}
			if len(g.problems) > 0 {
				return fmt.Errorf("gpconnect: %d problem(s) in the records of %d sample patient(s); see above", len(g.problems), g.records)
			}
			fmt.Fprintf(stdout, "ok: GP Connect: the records (every area) of %d sample patient(s), %d resource(s), conform to the GP Connect profiles; %d sample patient(s) not served\n", g.records, g.resources, g.notServed)
		}
		fmt.Fprintf(stdout, "ok: %d mapping(s); every table and column exists in the %s database; %d sample resource(s) conform to their profiles, and their %d R4 form(s) to UK Core\n", len(s.set.Mappings), s.cfg.Database.Adapter, rep.rendered, rep.renderedR4)
	} else {
		fmt.Fprintf(stdout, "ok: %d mapping(s) (not checked against a database: give -config, or -adapter and -dsn)\n", len(s.set.Mappings))
	}
	return nil
}

// portability says which adapters the set's raw SQL ties it to: a note
// for each piece that uses constructs not every adapter accepts, and a
// summary line when there is raw SQL at all.
func portability(set *mapping.Set) []string {
	raw := set.RawSQL()
	if len(raw) == 0 {
		return nil
	}
	var out []string
	all := registry.Names()
	runsOn := all
	for _, r := range raw {
		on, tied := registry.Portable(r.SQL)
		if len(tied) == 0 {
			continue
		}
		runsOn = slices.DeleteFunc(slices.Clone(runsOn), func(n string) bool { return !slices.Contains(on, n) })
		where := "no adapter accepts all of them"
		if len(on) > 0 {
			where = "only " + strings.Join(on, " and ") + " accept"
			if len(on) == 1 {
				where += "s"
			}
			where += " it"
		}
		out = append(out, fmt.Sprintf("%s: note: %s uses %s: %s", r.Pos, r.What, strings.Join(tied, ", "), where))
	}
	switch {
	case len(out) == 0:
		out = append(out, fmt.Sprintf("note: %d piece(s) of raw SQL use no construct lint knows to differ between databases (%s); lint cannot check them further", len(raw), strings.Join(all, ", ")))
	case len(runsOn) == 0:
		out = append(out, "note: the raw SQL above ties the set to no single adapter: each adapter rejects some of it")
	default:
		out = append(out, fmt.Sprintf("note: the raw SQL above ties the set to %s", strings.Join(runsOn, " and ")))
	}
	return out
}

// indexRe matches the list indexes of a path (name[2]).
var indexRe = regexp.MustCompile(`\[\d+\]`)

// sampleReport is what rendering sample rows found.
type sampleReport struct {
	// rendered counts the STU3 resources, renderedR4 the R4 ones;
	// failing those of either with a problem.
	rendered, renderedR4, failing int
	// problems are profile failures, each once with the rows it was found in.
	problems []string
	// lost are elements that showed none of the values their column held
	// in the sampled rows, and search parameters whose format matches
	// none of them: errors. losing are those that lost most: warnings.
	lost, losing []string
}

// failed tells whether the sample found errors.
func (r *sampleReport) failed() bool { return len(r.problems) > 0 || len(r.lost) > 0 }

// print writes the report's errors to stderr and its warnings and notes
// to stdout.
func (r *sampleReport) print(stdout, stderr io.Writer) {
	for _, w := range r.losing {
		fmt.Fprintln(stdout, w)
	}
	for _, p := range r.lost {
		fmt.Fprintln(stderr, p)
	}
	for _, p := range r.problems {
		fmt.Fprintln(stderr, p)
	}
}

// err is the summary error of a failed sample.
func (r *sampleReport) err() error {
	var parts []string
	if len(r.lost) > 0 {
		parts = append(parts, fmt.Sprintf("%d mapped value(s) lost in every sampled row that holds them", len(r.lost)))
	}
	if len(r.problems) > 0 {
		parts = append(parts, fmt.Sprintf("%d resource(s) of %d rendered from sample rows do not conform to their profiles (%d problem(s))", r.failing, r.rendered+r.renderedR4, len(r.problems)))
	}
	return fmt.Errorf("%s; see above", strings.Join(parts, "; "))
}

// sampleAndCheck renders up to n rows of every mapping, checks them
// against their profiles, and counts which column values reached them.
func sampleAndCheck(ctx context.Context, s *setup, n int) (*sampleReport, error) {
	cov := mapping.NewCoverage()
	eng, err := engine.New(s.cat, s.db, engine.Options{Logger: quietLog(), Coverage: cov})
	if err != nil {
		return nil, err
	}
	rep := &sampleReport{}
	if err := checkSample(ctx, eng, s.set, s.set.Profiles, "", n, rep); err != nil {
		return nil, err
	}
	// The R4 form of each mapping served as R4, against UK Core. An engine
	// of its own, so the R4 rendering counts in no coverage.
	r4eng, err := engine.New(s.cat, s.db, engine.Options{Logger: quietLog()})
	if err != nil {
		return nil, err
	}
	if err := checkSample(ctx, r4eng.In(mapping.R4), s.set, s.set.ProfilesR4, "R4 (UK Core) ", n, rep); err != nil {
		return nil, err
	}
	lossReport(s.set, cov, rep)
	return rep, nil
}

// checkSample renders up to n rows of every mapping the engine serves and
// checks them with reg, adding what it finds to rep; label heads each
// problem (the release, when not STU3).
func checkSample(ctx context.Context, eng *engine.Engine, set *mapping.Set, reg *profile.Registry, label string, n int, rep *sampleReport) error {
	r4 := eng.Version() == mapping.R4
	for _, m := range set.Mappings {
		if !m.Serves(eng.Version()) {
			continue // lint notes why above
		}
		// The same problem in many sampled rows is reported once, with the
		// rows it was found in.
		type seen struct {
			at   string
			ids  []string
			line string
		}
		var order []string
		byKey := map[string]*seen{}
		typ := m.ResourceIn(eng.Version())
		b, err := eng.Search(ctx, engine.SearchRequest{Type: typ, Mapping: m, Params: url.Values{"_count": {strconv.Itoa(n)}}, Base: "http://lint"})
		if err != nil {
			return fmt.Errorf("%s%s: %w", label, typ, err)
		}
		entries, _ := b.Get("entry").(fhir.Array)
		for _, e := range entries {
			res, _ := e.(*fhir.Object).Get("resource").(*fhir.Object)
			if res == nil || res.GetString("resourceType") != typ {
				continue
			}
			if r4 {
				rep.renderedR4++
			} else {
				rep.rendered++
			}
			var decoded map[string]any
			if err := json.Unmarshal(fhir.AppendJSON(nil, res), &decoded); err != nil {
				return err
			}
			ps := reg.Check(decoded)
			if len(ps) > 0 {
				rep.failing++
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
			rows := typ + "/" + p.ids[0]
			if len(p.ids) > 1 {
				rows = fmt.Sprintf("%s/%s and %d more of the %d sampled", typ, p.ids[0], len(p.ids)-1, len(entries))
			}
			rep.problems = append(rep.problems, fmt.Sprintf("%s: %s%s: %s", p.at, label, rows, p.line))
		}
	}
	return nil
}

// lossReport adds to rep the elements that lost all (an error) or most
// (a warning) of the values their column held in the sampled rows, and
// the date search parameters whose format matches none (or few) of the
// values their column holds.
func lossReport(set *mapping.Set, cov *mapping.Coverage, rep *sampleReport) {
	for _, x := range cov.Results() {
		if x.Lost == 0 || x.Lost*2 <= x.Had {
			continue
		}
		why := ""
		if x.Why != "" {
			why = ": " + x.Why
		}
		line := fmt.Sprintf("%s: %s: %d of the %d sampled row(s) with a value in %s show nothing here (e.g. %q%s)",
			x.Expr.Pos, x.Expr.Path, x.Lost, x.Had, x.Expr.Column, x.Sample, why)
		if x.Lost == x.Had {
			rep.lost = append(rep.lost, line)
		} else {
			rep.losing = append(rep.losing, "warning: "+line)
		}
	}
	for _, m := range set.Mappings {
		for _, p := range m.Search {
			for _, src := range p.Sources() {
				if src.ColumnFormat == "" || src.Rows != nil || src.SQL != "" || len(src.Columns) != 1 {
					continue
				}
				values := cov.Values(m, src.Columns[0])
				layout, _, err := mapping.GoLayout(src.ColumnFormat)
				if len(values) == 0 || err != nil {
					continue
				}
				bad := []string{}
				for _, v := range values {
					if _, err := time.Parse(layout, v); err != nil {
						bad = append(bad, v)
					}
				}
				if len(bad)*2 <= len(values) {
					continue
				}
				line := fmt.Sprintf("%s: %s search %s: format %s does not fit %d of %d sampled value(s) of %s (e.g. %q): a search compares them wrongly",
					src.Pos, m.Resource, p.Name, src.ColumnFormat, len(bad), len(values), src.Columns[0], bad[0])
				if len(bad) == len(values) {
					rep.lost = append(rep.lost, line)
				} else {
					rep.losing = append(rep.losing, "warning: "+line)
				}
			}
		}
	}
}
