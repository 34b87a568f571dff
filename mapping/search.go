package mapping

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ccfacade/ccfacade/fhir/stu3"
	"gopkg.in/yaml.v3"
)

// searchTypes are the FHIR search parameter types a mapping can bind:
// the one list of them. The engine implements each (engine/params.go
// keys its table by these names, and refuses to start when the two
// differ).
var searchTypes = []string{"string", "token", "date", "reference"}

// SearchTypes returns the search parameter types a mapping can bind.
func SearchTypes() []string { return slices.Clone(searchTypes) }

var paramName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// reservedParams are the parameters the facade implements itself for every
// mapping (_lastUpdated where it has a last-updated column).
var reservedParams = []string{"_id", "_lastUpdated"}

// ReservedParams returns the parameters the facade implements itself for
// every mapping: a mapping cannot declare them, and the engine answers
// them (and states them in the CapabilityStatement) before the mapping's
// own.
func ReservedParams() []string { return slices.Clone(reservedParams) }

func (l *loader) searchParams(n *yaml.Node, m *Mapping) {
	for _, p := range l.pairs(n, m.Resource+" search") {
		name := p[0].Value
		path := m.Resource + " search " + name
		sp := &SearchParam{Pos: l.pos(p[0]), Name: name, Col: -1}
		if slices.Contains(reservedParams, name) {
			l.add(sp.Pos, path, "%s is provided for every mapping; do not declare it", name)
			continue
		}
		if !paramName.MatchString(name) {
			l.add(sp.Pos, path, "search parameter names are lower case letters, digits and '-'")
			continue
		}
		var rows *yaml.Node
		for _, q := range l.pairs(p[1], path, "type", "column", "columns", "sql", "value", "to", "system", "transform", "concept", "rows", "format", "target", "documentation") {
			switch q[0].Value {
			case "type":
				sp.Type, _ = l.str(q[1], path)
				if !slices.Contains(searchTypes, sp.Type) {
					l.add(l.pos(q[1]), path, "unknown search type %q (expected one of: %s)", sp.Type, strings.Join(searchTypes, ", "))
				}
			case "column", "columns":
				sp.Columns = append(sp.Columns, l.strs(q[1], path)...)
			case "sql":
				sp.SQL = l.sqlExpr(q[1], path)
			case "value":
				if v, ok := l.str(q[1], path); ok {
					sp.Constant = &v
				}
			case "system":
				if q[1].Kind == yaml.MappingNode {
					sp.SystemFrom = l.systemSource(q[1], path)
				} else {
					sp.System, _ = l.str(q[1], path)
				}
			case "transform":
				sp.Transforms = l.transforms(q[1], path)
			case "concept":
				for _, name := range l.strs(q[1], path) {
					if c := l.concept(q[1], name, path); c != nil {
						sp.Concepts = append(sp.Concepts, c)
					}
				}
			case "rows":
				rows = q[1]
			case "format":
				sp.Format, _ = l.str(q[1], path)
			case "to":
				sp.To, _ = l.str(q[1], path)
			case "target":
				sp.Target = l.strs(q[1], path)
				for _, t := range sp.Target {
					if !stu3.IsResource(t) {
						l.add(l.pos(q[1]), path, "unknown target resource type %q", t)
					}
				}
			case "documentation":
				sp.Documentation, _ = l.str(q[1], path)
			}
		}
		def, isSTU3 := stu3.LookupSearchParameter(m.Resource, name)
		if sp.Constant != nil {
			// The same value for every row: compared once, in the engine.
			switch {
			case sp.Type != "token":
				l.add(sp.Pos, path, "\"value\" (a value every row shows) is for token parameters")
			case len(sp.Columns) > 0 || sp.SQL != "" || rows != nil || sp.SystemFrom != nil || len(sp.Concepts) > 0:
				l.add(sp.Pos, path, "\"value\" is a value every row shows: it takes \"system\" and \"documentation\", not columns, sql, rows or concepts")
			default:
				m.Search = append(m.Search, sp)
			}
			continue
		}
		if len(sp.Columns) == 0 && sp.SQL == "" {
			// Derived from the element it searches.
			switch {
			case !isSTU3:
				l.add(sp.Pos, path, "%s is not an STU3 search parameter of %s, so it cannot follow an element: bind it with \"column\" or \"sql\" and \"type\"", name, m.Resource)
			case sp.Type != "" && sp.Type != def.Type:
				l.add(sp.Pos, path, "%s is a %s parameter in STU3, not %s", name, def.Type, sp.Type)
			case !slices.Contains(searchTypes, def.Type):
				l.add(sp.Pos, path, "%s is a %s parameter in STU3, a type the facade does not search (it searches %s)", name, def.Type, strings.Join(searchTypes, ", "))
			case rows != nil || sp.System != "" || sp.SystemFrom != nil || len(sp.Transforms) > 0 || len(sp.Concepts) > 0 || sp.Format != "" || sp.To != "" || len(sp.Target) > 0:
				l.add(sp.Pos, path, "a parameter that follows its element takes only \"documentation\": the element says the rest (or bind it with \"column\" or \"sql\")")
			default:
				l.derive(sp, m, def)
				if sp.Type == "" {
					sp.Type = def.Type
				}
				m.Search = append(m.Search, sp)
			}
			continue
		}
		if sp.Type == "" {
			l.add(sp.Pos, path, "\"type\" is required (one of: %s)", strings.Join(searchTypes, ", "))
		}
		if len(sp.Columns) > 0 && sp.SQL != "" {
			l.add(sp.Pos, path, "give \"column\" (or \"columns\") or \"sql\", one of them")
		}
		if rows != nil {
			sp.Rows = l.searchRows(rows, path, m)
		} else {
			// Columns of the mapping's rows: a joined table's are ALIAS.COLUMN.
			for i, c := range sp.Columns {
				sp.Columns[i] = m.Cols.Canon(c)
			}
			sp.To = m.Cols.Canon(sp.To)
			if sp.SystemFrom != nil {
				sp.SystemFrom.Column = m.Cols.Canon(sp.SystemFrom.Column)
			}
		}
		if sp.Format != "" {
			sp.ColumnFormat = sp.Format
			if sp.Type != "date" {
				l.add(sp.Pos, path, "\"format\" applies to date parameters only")
			} else if lay, sortable, err := parseLayout(sp.Format); err != nil {
				l.add(sp.Pos, path, "%v", err)
			} else if sp.DateGrain = renderedGrain(lay.precision); !sortable {
				// A fixed-width format is compared rearranged into one
				// that sorts (dd/MM/yyyy as yyyyMMdd).
				form, to, ok := rearrangeForm(sp.Format)
				if ok && sp.SQL == "" && sp.To == "" {
					sp.ColumnForms = append(sp.ColumnForms, form)
					sp.Format = to
				} else {
					l.add(sp.Pos, path, "format %q does not sort as text (it must run from year to second, zero-padded, like yyyyMMdd or yyyy-MM-dd HH:mm:ss), and it cannot be rearranged here (month names, an sql expression, or a period's \"to\"); give \"sql\" that yields a sortable value instead", sp.Format)
				}
			}
		}
		if sp.To != "" && (sp.Type != "date" || len(sp.Columns) != 1 || sp.Rows != nil) {
			l.add(sp.Pos, path, "\"to\" makes a period (column to column): it needs a date parameter on one column")
		}
		if sp.Type == "date" && sp.DateGrain == 0 {
			sp.DateGrain = 5
		}
		// An STU3 reference parameter points where its definition says:
		// a target it allows alone is the default, and a target it does
		// not allow is an error.
		var allowed []string
		if isSTU3 && def.Type == "reference" && sp.Type == "reference" {
			allowed = stu3.Targets(m.Resource, def)
			anyType := slices.Contains(allowed, "Resource")
			if len(sp.Target) == 0 && len(allowed) == 1 && !anyType {
				sp.Target = allowed
			}
			for _, t := range sp.Target {
				if !anyType && len(allowed) > 0 && !slices.Contains(allowed, t) {
					l.add(sp.Pos, path, "STU3's %s of %s points to %s, not %s (give a parameter of your own another name)", name, m.Resource, strings.Join(allowed, ", "), t)
				}
			}
		}
		if sp.Type == "reference" && len(sp.Target) > 1 {
			l.add(sp.Pos, path, "a parameter bound to columns points to one resource type: with several, a search for one type would match ids of another. Declare it without columns to follow the element (each reference keeps its own type), or bind one parameter per type")
		}
		if sp.Type == "reference" && len(sp.Columns) == 1 && sp.SQL == "" && sp.Rows == nil {
			sp.Col = m.Cols.Add(sp.Columns[0])
		}
		if sp.Type == "reference" && len(sp.Target) == 0 {
			stu3Says := ""
			if len(allowed) > 0 {
				stu3Says = fmt.Sprintf(" (STU3's %s points to %s)", name, strings.Join(allowed, ", "))
			}
			l.add(sp.Pos, path, "a reference parameter needs \"target\": the resource type(s) it points to%s", stu3Says)
		}
		if len(sp.Concepts) > 0 && sp.Type != "token" {
			l.add(sp.Pos, path, "\"concept\" applies to token parameters only")
		}
		if sp.SystemFrom != nil {
			switch {
			case sp.Type != "token":
				l.add(sp.SystemFrom.Pos, path, "\"system\" applies to token parameters only")
			case len(sp.Concepts) > 0:
				l.add(sp.SystemFrom.Pos, path, "give \"concept\" (codes translated through a map) or a \"system\" column, not both")
			}
		}
		l.coverage(sp, m)
		m.Search = append(m.Search, sp)
	}
}

// systemSource parses a token parameter's per-row code system:
// {column: C} or {sql: E}, with an optional concept map from the column's
// values to system URIs.
func (l *loader) systemSource(n *yaml.Node, path string) *SystemSource {
	s := &SystemSource{Pos: l.pos(n)}
	for _, p := range l.pairs(n, path+" system", "column", "sql", "concept") {
		switch p[0].Value {
		case "column":
			s.Column, _ = l.str(p[1], path)
		case "sql":
			s.SQL = l.sqlExpr(p[1], path)
		case "concept":
			if name, ok := l.str(p[1], path); ok {
				s.Concept = l.concept(p[1], name, path)
			}
		}
	}
	if (s.Column == "") == (s.SQL == "") {
		l.add(s.Pos, path, "a system taken from the rows needs \"column\" or \"sql\", one of them (or give the system's URI as text)")
	}
	return s
}

// searchRows parses the child table a search parameter looks in; it is not
// added to the mapping's child fetches.
func (l *loader) searchRows(n *yaml.Node, path string, m *Mapping) *Rows {
	saved := len(m.Children)
	r := l.rows(n, path)
	m.Children = m.Children[:saved]
	r.Index = -1
	return r
}

// renderedGrain is the precision a date parameter compares at: that of the
// values as the facade renders them. A date-time with minutes is rendered
// with seconds (17:50:00), so it is compared to the second; otherwise the
// format's own precision.
func renderedGrain(precision int) int {
	if precision == 4 {
		return 5
	}
	return precision
}
