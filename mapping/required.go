package mapping

import (
	"fmt"
	"strings"
)

// The elements STU3 requires (min 1) that a mapping can leave absent, told
// by reading its plan without a database: an element the mapping never
// builds, one built only when a condition holds, one from a concept map
// that drops the codes it does not translate (unless an alternative gives
// a fixed value), a list whose items all come from child rows (a row may
// have none). A column that may be NULL is not told here: without the
// database nothing says which columns are optional (lint with a database
// renders sample rows, where an absent required element shows as a
// problem). At run time each resource that lacks one is logged and
// counted (renderer.checkNeeds).

// requiredWarnings are lint's warnings for the mapping's required
// elements that it can leave absent, in document order.
func (m *Mapping) requiredWarnings() []string {
	var out []string
	m.plan.root.walk(func(s *step) {
		for _, nd := range s.needs {
			if nd.unchecked {
				continue
			}
			why := ""
			given := false
			for j, f := range s.fields {
				if j >= 64 || nd.fields&(1<<j) == 0 {
					continue
				}
				given = true
				w := f.mayLack()
				if w == "" {
					why = ""
					break
				}
				if why == "" {
					why = w
				}
			}
			pos, whole := s.node.Pos, s.node.Path
			if s == m.plan.root {
				pos = m.Pos
			}
			switch {
			case !given:
				out = append(out, fmt.Sprintf("%s: warning: %s is required (min 1 in STU3) and the mapping does not build it: every %s written lacks it", pos, nd.path, whole))
			case why != "":
				out = append(out, fmt.Sprintf("%s: warning: %s is required (min 1 in STU3) and can be absent: %s", pos, nd.path, why))
			}
		}
	})
	return out
}

// mayLack says why an element can be absent from a row whose columns all
// hold values, or "" when it cannot.
func (s *step) mayLack() string {
	if s.when != nil {
		return fmt.Sprintf("%s is built only when its condition holds", s.node.Path)
	}
	switch s.kind {
	case stepList:
		why := ""
		for _, it := range s.items {
			w := it.mayLack()
			if w == "" && it.rows < 0 {
				return ""
			}
			if w == "" {
				w = fmt.Sprintf("%s comes from child rows (%s), and a row may have none", s.node.Path, it.node.Rows.Table)
			}
			if why == "" {
				why = w
			}
		}
		return why
	case stepObject:
		why := ""
		for _, f := range s.fields {
			if f.required {
				if w := f.mayLack(); w != "" {
					return w
				}
			}
		}
		for _, f := range s.fields {
			w := f.mayLack()
			if w == "" && (f.dynamic || !s.dynamic) {
				return ""
			}
			if why == "" {
				why = w
			}
		}
		if why == "" {
			why = fmt.Sprintf("%s has no value of the row that is always there", s.node.Path)
		}
		return why
	}
	return s.expr.mayLack()
}

// mayLack says why an expression can give nothing for a row whose columns
// all hold values, or "" when it cannot.
func (e *Expr) mayLack() string {
	if e.When != nil {
		return fmt.Sprintf("%s is built only when its condition holds", e.Path)
	}
	if len(e.First) > 0 {
		fallback, conds := false, 0
		e.Walk(func(alt *Expr) {
			if alt == e {
				return
			}
			if alt.When != nil {
				conds++
			} else if alt.HasLiteral {
				fallback = true
			}
		})
		if !fallback && conds == len(e.First) {
			return fmt.Sprintf("%s is built only when a condition of one of its alternatives holds", e.Path)
		}
		if fallback && e.Concept == nil {
			return ""
		}
	}
	if e.Concept != nil && e.Concept.Unmapped != "error" {
		var d strings.Builder
		fmt.Fprintf(&d, "%s comes through concept map %q, which leaves out a code it does not translate (add an entry for every code, or unmapped: error)", e.Path, e.Concept.Name)
		return d.String()
	}
	return ""
}
