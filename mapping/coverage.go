package mapping

import (
	"slices"
	"strings"
	"sync"
)

// Coverage counts, over the rows rendered with it, how often each
// expression that reads a column found a value there and how often that
// value was lost: left out by a transform that rejected it, a code no
// concept map entry translates, a value the element's type cannot hold,
// or a transform that turned it blank. Expressions whose condition did
// not hold are not counted. Lint uses it to catch a mapping that silently
// drops what the database holds.
type Coverage struct {
	mu    sync.Mutex
	exprs map[*Expr]*ExprCoverage
	order []*ExprCoverage
	// values are up to maxSamples values seen in each column of a
	// mapping's own row, by mapping and upper-cased column name.
	values map[*Mapping]map[string][]string
}

// ExprCoverage is the count for one expression.
type ExprCoverage struct {
	Mapping *Mapping
	Expr    *Expr
	Had     int    // rendered rows whose column held a (non-blank) value
	Lost    int    // of those, the rows whose value did not reach the resource
	Sample  string // a value that was lost
	Why     string // why it was lost, where a problem was reported
}

const maxSamples = 25

// NewCoverage starts a count.
func NewCoverage() *Coverage {
	return &Coverage{exprs: map[*Expr]*ExprCoverage{}, values: map[*Mapping]map[string][]string{}}
}

// Results are the counts, in the order the expressions were first seen.
func (c *Coverage) Results() []*ExprCoverage {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*ExprCoverage, len(c.order))
	for i, x := range c.order {
		cp := *x
		out[i] = &cp
	}
	return out
}

// Values are up to 25 non-blank values seen in a column of a mapping's row
// (the main table or query, not a child table).
func (c *Coverage) Values(m *Mapping, column string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.values[m][strings.ToUpper(column)]...)
}

// note counts one evaluation of an expression node.
func (c *Coverage) note(r *renderer, e *Expr, vals []any, lost bool, problems []Problem) {
	if e.Column == "" || e.Ref != nil || e.col < 0 || e.col >= len(vals) {
		return
	}
	if e.When != nil && !e.When.holds(vals, r.today) {
		return
	}
	raw := strings.TrimSpace(toStringOrEmpty(vals[e.col]))
	if raw == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.exprs[e]
	if x == nil {
		x = &ExprCoverage{Mapping: r.m, Expr: e}
		c.exprs[e] = x
		c.order = append(c.order, x)
	}
	x.Had++
	if lost {
		x.Lost++
		if x.Sample == "" {
			x.Sample = raw
			for _, p := range problems {
				if p.Pos == e.Pos {
					x.Why = p.Msg
				}
			}
		}
	}
	if e.scope == r.m.Cols {
		byCol := c.values[r.m]
		if byCol == nil {
			byCol = map[string][]string{}
			c.values[r.m] = byCol
		}
		k := strings.ToUpper(e.Column)
		if len(byCol[k]) < maxSamples && !slices.Contains(byCol[k], raw) {
			byCol[k] = append(byCol[k], raw)
		}
	}
}
