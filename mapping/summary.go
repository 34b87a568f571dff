package mapping

import "fmt"

// Summary describes a set in one line per mapping, for logs and lint.
func (s *Set) Summary() []string {
	var out []string
	for _, m := range s.Mappings {
		src := m.From.Table
		if src == "" {
			src = "query"
		}
		out = append(out, fmt.Sprintf("%s: %s from %s (%d search parameters, %d child collections)", m.File, m.Resource, src, len(m.Search), len(m.Children)))
	}
	return out
}

// RawSQL is a piece of SQL a mapping author wrote, sent to the database
// as written: a query, a search parameter's or system's sql, a child
// table's where.
type RawSQL struct {
	Pos  Pos
	What string
	SQL  string
}

// RawSQL lists the set's raw SQL, mapping by mapping.
func (s *Set) RawSQL() []RawSQL {
	var out []RawSQL
	for _, m := range s.Mappings {
		if m.From.Query != "" {
			out = append(out, RawSQL{m.From.Pos, m.Resource + " from query", m.From.Query})
		}
		seen := map[*Rows]bool{}
		rows := func(r *Rows) {
			if r != nil && r.Where != "" && !seen[r] {
				seen[r] = true
				out = append(out, RawSQL{r.Pos, r.Path + " rows where", r.Where})
			}
		}
		for _, r := range m.Children {
			rows(r)
		}
		for _, p := range m.Search {
			if p.SQL != "" {
				out = append(out, RawSQL{p.Pos, m.Resource + " search " + p.Name + " sql", p.SQL})
			}
			if p.SystemFrom != nil && p.SystemFrom.SQL != "" {
				out = append(out, RawSQL{p.SystemFrom.Pos, m.Resource + " search " + p.Name + " system sql", p.SystemFrom.SQL})
			}
			rows(p.Rows)
		}
	}
	return out
}
