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
