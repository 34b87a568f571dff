package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/mapping"
)

// collationWarnings names, where string search ignores case and accents
// as each column's collation does (MySQL), the columns of string search
// parameters whose collation counts case or some accents, which a FHIR
// string search ignores: the parameter, the column, its collation, what
// a search then misses and the collation to give the column instead.
// Columns whose collation the database does not report (those of a
// mapping's query, SQL expressions) are not judged.
func collationWarnings(ctx context.Context, s *setup) ([]string, error) {
	cf, ok := s.db.(adapters.CollationFolder)
	if !ok {
		return nil, nil
	}
	// The columns of a parameter in one table and collation, where it is
	// declared, make one warning.
	type group struct {
		src         *mapping.SearchParam
		table, coll string
		columns     []string
	}
	var out []string
	for _, m := range s.set.Mappings {
		for _, p := range m.Search {
			if p.Type != "string" {
				continue
			}
			var groups []*group
			seen := map[string]bool{}
			for _, src := range p.Sources() {
				if src.SQL != "" || src.PresenceOnly {
					continue
				}
				for _, name := range searchedColumns(src) {
					col := s.cat.Column(m, src.Rows, name)
					table, column := tableOf(m, src, name)
					key := strings.ToUpper(src.Pos.String() + "\x00" + table + "\x00" + column)
					if col.Collation == "" || seen[key] {
						continue
					}
					seen[key] = true
					var g *group
					for _, x := range groups {
						if x.src.Pos == src.Pos && x.table == table && x.coll == col.Collation {
							g = x
						}
					}
					if g == nil {
						g = &group{src: src, table: table, coll: col.Collation}
						groups = append(groups, g)
					}
					g.columns = append(g.columns, column)
				}
			}
			for _, g := range groups {
				f, err := cf.Folding(ctx, g.coll)
				if err != nil {
					return nil, fmt.Errorf("%s: %s search %s: %w", g.src.Pos, m.Resource, p.Name, err)
				}
				if w := foldingWarning(m, p, g.src, g.table, g.columns, g.coll, f, cf.FoldingCollation()); w != "" {
					out = append(out, w)
				}
			}
		}
	}
	return out, nil
}

// searchedColumns are the columns a source of a string parameter
// compares: its columns, or the columns of its concat.
func searchedColumns(src *mapping.SearchParam) []string {
	names := append([]string(nil), src.Columns...)
	for _, part := range src.Concat {
		if part.Text == nil {
			names = append(names, part.Column)
		}
	}
	return names
}

// tableOf is the table a source's column is of, and the column's name in
// it: the child table's, a joined table's (a column written ALIAS.COLUMN)
// or the mapping's own ("" for a query).
func tableOf(m *mapping.Mapping, src *mapping.SearchParam, name string) (table, column string) {
	if src.Rows != nil {
		return src.Rows.Table, name
	}
	for _, j := range m.From.Joins {
		if prefix := mapping.JoinedName(j.As, ""); strings.HasPrefix(strings.ToUpper(name), strings.ToUpper(prefix)) {
			return j.Table, name[len(prefix):]
		}
	}
	return m.From.Table, name
}

// foldingWarning is the warning for the columns of table, of collation
// coll, which folds as f, that src of p compares; "" when it ignores case
// and every accent tested.
func foldingWarning(m *mapping.Mapping, p, src *mapping.SearchParam, table string, columns []string, coll string, f adapters.Folding, better string) string {
	var misses, ignores []string
	if !f.Case {
		misses = append(misses, fmt.Sprintf("case counts (%s=smith does not find Smith)", p.Name))
		ignores = append(ignores, "case")
	}
	if len(f.Kept) > 0 {
		letters := make([]string, len(f.Kept))
		for i, a := range f.Kept {
			letters[i] = a.Letter
		}
		a := f.Kept[0]
		misses = append(misses, fmt.Sprintf("accents count on %s (%s=%s does not find %s)", strings.Join(letters, " "), p.Name, a.Without, a.With))
		ignores = append(ignores, "accents")
	}
	if len(misses) == 0 {
		return ""
	}
	what, has, them := "column "+columns[0], "has", "the column"
	if len(columns) > 1 {
		what, has, them = "columns "+strings.Join(columns, ", "), "have", "them"
	}
	if table != "" {
		what += " of " + table
	}
	cs, _, _ := strings.Cut(coll, "_")
	betterCS, _, _ := strings.Cut(better, "_")
	if !strings.EqualFold(cs, betterCS) {
		better += " (character set " + betterCS + ")"
	}
	return fmt.Sprintf("%s: warning: %s search %s: %s %s collation %s, under which %s, where FHIR string search ignores %s; give %s the collation %s",
		src.Pos, m.Resource, p.Name, what, has, coll, strings.Join(misses, " and "), strings.Join(ignores, " and "), them, better)
}

// accentNote says, for check, how far string search ignores accents on
// this database and, where it does not, what would make it: each
// column's collation where that decides (MySQL), the adapter's advice
// where the database as a whole decides (PostgreSQL's unaccent); ""
// where it ignores them, or the adapter cannot say.
func accentNote(db adapters.Adapter, columnWarnings int) string {
	if cf, ok := db.(adapters.CollationFolder); ok {
		note := fmt.Sprintf("note: string search ignores case and accents as far as the collation of each column it compares does (%s ignores both throughout Unicode)", cf.FoldingCollation())
		if columnWarnings > 0 {
			return note + fmt.Sprintf(": the %d warning(s) above name the columns of string search parameters whose collation does not", columnWarnings)
		}
		return note + ": every column of a string search parameter whose collation the database reports has one that does"
	}
	af, ok := db.(adapters.AccentFolder)
	if !ok || af.FoldsAccents() {
		return ""
	}
	note := "note: string search ignores case but not accents (Siobhan does not find Siobhán)"
	if aa, ok := db.(adapters.AccentAdvisor); ok {
		note += ": to ignore accents too, " + aa.AccentAdvice()
	}
	return note
}
