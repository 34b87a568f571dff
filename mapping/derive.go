package mapping

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/ccfacade/ccfacade/fhir/stu3"
)

// A search parameter declared without columns is derived from the element
// it searches: every place in the mapping that renders a value at the
// parameter's STU3 path becomes a source of the parameter (a branch),
// compiled from the same column, transforms, concept map, child rows and
// conditions that render the value. The parameter then finds exactly what
// the resource shows.

// site is one place in the element tree on a parameter's path, with the
// child rows it repeats over and the conditions it is shown under.
type site struct {
	node  *Node
	rows  *Rows
	conds []*Cond
}

// sites walks the element tree along a path of JSON names ("name.family",
// "effective[x]", "medication[Reference]").
func sites(root *Node, path string) []site {
	cur := []site{{node: root}}
	for _, step := range strings.Split(path, ".") {
		name, choice, isChoice := strings.Cut(strings.TrimSuffix(step, "]"), "[")
		var next []site
		for _, s := range cur {
			next = append(next, s.children(func(field string) bool { return stepMatches(field, name, choice, isChoice) })...)
		}
		cur = next
	}
	return cur
}

func stepMatches(field, name, choice string, isChoice bool) bool {
	switch {
	case !isChoice:
		return field == name
	case choice == "x":
		return strings.HasPrefix(field, name) && len(field) > len(name) && unicode.IsUpper(rune(field[len(name)]))
	}
	return field == name+strings.ToUpper(choice[:1])+choice[1:]
}

// enter is the site of a node below s: it inherits s's rows and
// conditions, and adds its own.
func (s site) enter(n *Node) site {
	out := site{node: n, rows: s.rows, conds: append([]*Cond(nil), s.conds...)}
	if n.Rows != nil {
		out.rows = n.Rows
	}
	if n.When != nil {
		out.conds = append(out.conds, n.When)
	}
	return out
}

// field returns the site of a direct child element by JSON name.
func (s site) field(name string) (site, bool) {
	for _, f := range s.node.Fields {
		if f.Name == name && !f.List {
			return s.enter(f), true
		}
	}
	return site{}, false
}

// fieldItems returns the sites of a child element, each item of a list.
func (s site) fieldItems(name string) []site {
	return s.children(func(field string) bool { return field == name })
}

// children returns the sites of the child elements whose JSON name
// matches, each item of a list.
func (s site) children(match func(string) bool) []site {
	var out []site
	for _, f := range s.node.Fields {
		if !match(f.Name) {
			continue
		}
		if f.List {
			for _, it := range f.Items {
				out = append(out, s.enter(it))
			}
		} else {
			out = append(out, s.enter(f))
		}
	}
	return out
}

// deriver builds the branches of one parameter.
type deriver struct {
	l        *loader
	sp       *SearchParam
	def      stu3.SearchParameter
	branches []*SearchParam
	problems []string
}

func (l *loader) derive(sp *SearchParam, m *Mapping, def stu3.SearchParameter) {
	d := &deriver{l: l, sp: sp, def: def}
	for _, path := range def.Paths {
		p, filter, _ := strings.Cut(path, "|")
		for _, s := range sites(m.Root, p) {
			d.site(s, filter)
		}
	}
	where := m.Resource + " search " + sp.Name
	for _, p := range d.problems {
		l.add(sp.Pos, where, "%s", p)
	}
	if len(d.problems) > 0 {
		return
	}
	if len(d.branches) == 0 {
		l.add(sp.Pos, where, "the mapping shows nothing at %s.%s, which %s searches: map the element, or bind the parameter to a column (\"column\" or \"sql\")", m.Resource, strings.Join(def.Paths, " | "+m.Resource+"."), sp.Name)
		return
	}
	sp.Path = m.Resource + "." + strings.Join(def.Paths, " | "+m.Resource+".")
	if len(d.branches) == 1 {
		b := d.branches[0]
		b.Pos, b.Name, b.Documentation, b.Path = sp.Pos, sp.Name, sp.Documentation, sp.Path
		if len(b.Target) == 0 {
			b.Target = sp.Target
		}
		*sp = *b
		if sp.Type == "reference" && len(sp.Columns) == 1 && sp.Rows == nil && sp.Constant == nil && !sp.PresenceOnly {
			sp.Col = m.Cols.Add(sp.Columns[0])
		}
		return
	}
	for _, b := range d.branches {
		b.Pos, b.Name = sp.Pos, sp.Name
		if b.Type == "reference" && len(b.Columns) == 1 && b.Rows == nil && b.Constant == nil && !b.PresenceOnly {
			b.Col = m.Cols.Add(b.Columns[0])
		}
		for _, t := range b.Target {
			if !slices.Contains(sp.Target, t) {
				sp.Target = append(sp.Target, t)
			}
		}
	}
	sp.Branches = d.branches
}

func (d *deriver) problem(pos Pos, format string, args ...any) {
	d.problems = append(d.problems, fmt.Sprintf("%s (at %s)", fmt.Sprintf(format, args...), pos))
}

// branch starts a branch of the parameter at a site.
func (d *deriver) branch(s site) *SearchParam {
	return &SearchParam{Type: d.def.Type, Rows: s.rows, Conds: s.conds, Col: -1, DateGrain: 5}
}

// site adds the branches of one place on the path.
func (d *deriver) site(s site, filter string) {
	n := s.node
	switch d.def.Type {
	case "string":
		switch n.Type {
		case "HumanName":
			for _, f := range []string{"family", "given", "prefix", "suffix", "text"} {
				for _, fs := range s.fieldItems(f) {
					d.site(fs, "")
				}
			}
		case "Address":
			for _, f := range []string{"line", "city", "district", "state", "postalCode", "country", "text"} {
				for _, fs := range s.fieldItems(f) {
					d.site(fs, "")
				}
			}
		default:
			if n.Expr != nil {
				d.expr(s, n.Expr, d.branch(s))
			}
		}
	case "token":
		d.token(s, filter)
	case "reference":
		if r, ok := s.field("reference"); ok && r.node.Expr != nil {
			e := r.node.Expr
			switch {
			case e.Ref != nil && len(e.Ref.Key) == 1:
				if len(d.def.Target) > 0 && !slices.Contains(d.def.Target, e.Ref.Resource) {
					return // a reference to another type: not this parameter's
				}
				b := d.branch(r)
				b.Columns, b.Target = []string{e.Ref.Key[0]}, []string{e.Ref.Resource}
				if e.When != nil {
					b.Conds = append(b.Conds, e.When)
				}
				d.branches = append(d.branches, b)
			case e.Ref != nil:
				d.problem(e.Pos, "a reference made from a key of %d columns cannot be searched; bind %s to a column", len(e.Ref.Key), d.sp.Name)
			case e.Refs() != nil:
				d.problem(e.Pos, "a reference chosen by the row (\"first\" of references) cannot be searched: leave %s out (a parameter on its key column would find the rows of every type the reference may take)", d.sp.Name)
			}
		}
		if disp, ok := s.field("display"); ok && disp.node.Expr != nil && !disp.node.Expr.HasLiteral && len(d.def.Target) == 0 {
			d.presence(disp) // a reference shown by its display alone
		}
	case "date":
		switch n.Type {
		case "Period":
			start, hasStart := s.field("start")
			end, hasEnd := s.field("end")
			switch {
			case hasStart && start.node.Expr != nil && start.node.Expr.Column != "":
				b := d.branch(start)
				if !d.expr(start, start.node.Expr, b) {
					return
				}
				if hasEnd && end.node.Expr != nil && end.node.Expr.Column != "" {
					if f, _ := dateFormat(end.node.Expr.Transforms); f != b.Format {
						d.problem(end.node.Pos, "a period's start and end need the same date format to be searched; bind %s to a column", d.sp.Name)
						return
					}
					d.branches[len(d.branches)-1].To = end.node.Expr.Column
				}
			case hasEnd && end.node.Expr != nil:
				d.expr(end, end.node.Expr, d.branch(end))
			}
		default:
			if n.Expr != nil {
				d.expr(s, n.Expr, d.branch(s))
			}
		}
	default:
		d.problem(n.Pos, "%s parameters cannot be derived from the element; bind %s to a column", d.def.Type, d.sp.Name)
	}
}

// token adds the branches of a place a token parameter searches.
func (d *deriver) token(s site, filter string) {
	n := s.node
	switch n.Type {
	case "Identifier":
		d.withSystem(s, "value")
	case "CodeableConcept":
		if n.Expr != nil {
			d.expr(s, n.Expr, d.branch(s))
			return
		}
		for _, c := range s.fieldItems("coding") {
			d.token(c, "")
		}
		if t, ok := s.field("text"); ok && t.node.Expr != nil && !t.node.Expr.HasLiteral {
			d.presence(t)
		}
	case "Coding":
		if n.Expr != nil {
			d.expr(s, n.Expr, d.branch(s))
			return
		}
		d.withSystem(s, "code")
	case "ContactPoint":
		v, ok := s.field("value")
		if !ok || v.node.Expr == nil {
			return
		}
		b := d.branch(v)
		if want, ok := strings.CutPrefix(filter, "system="); ok {
			sys, ok := s.field("system")
			if !ok || sys.node.Expr == nil {
				return
			}
			e := sys.node.Expr
			switch {
			case e.HasLiteral:
				if fmt.Sprint(e.Literal) != want {
					return
				}
			case e.Column != "" && e.Concept != nil:
				locals := e.Concept.Reverse("", false, want)
				if len(locals) == 0 {
					return
				}
				b.Conds = append(b.Conds, &Cond{Pos: e.Pos, Column: e.Column, Equals: locals})
			case e.Column != "":
				b.Conds = append(b.Conds, &Cond{Pos: e.Pos, Column: e.Column, Equals: []string{want}})
			default:
				d.problem(e.Pos, "the ContactPoint's system cannot be searched; bind %s to a column", d.sp.Name)
				return
			}
		}
		d.expr(v, v.node.Expr, b)
	default:
		if n.Expr != nil {
			d.expr(s, n.Expr, d.branch(s))
		}
	}
}

// presence adds branches that only show whether the element is there (a
// CodeableConcept's text, a Reference's display): they count for :missing.
func (d *deriver) presence(s site) {
	b := d.branch(s)
	b.PresenceOnly = true
	d.expr(s, s.node.Expr, b)
}

// withSystem adds the branch of an Identifier's value or a Coding's code,
// in the system the element gives it.
func (d *deriver) withSystem(s site, field string) {
	v, ok := s.field(field)
	if !ok || v.node.Expr == nil {
		return
	}
	b := d.branch(v)
	if sys, ok := s.field("system"); ok && sys.node.Expr != nil {
		if !d.system(sys, b) {
			return
		}
	}
	d.expr(v, v.node.Expr, b)
}

// system sets a token branch's system from a Coding's or Identifier's
// system element: a fixed URI, or one held per row.
func (d *deriver) system(s site, b *SearchParam) bool {
	e := s.node.Expr
	switch {
	case e.HasLiteral:
		b.System = fmt.Sprint(e.Literal)
	case e.Column != "" && len(e.Transforms) == 0:
		b.SystemFrom = &SystemSource{Pos: e.Pos, Column: e.Column, Concept: e.Concept}
	default:
		d.problem(e.Pos, "this system cannot be searched; bind %s to a column", d.sp.Name)
		return false
	}
	if e.When != nil {
		b.Conds = append(b.Conds, e.When)
	}
	return true
}

// expr completes branch b from the expression that renders the value, and
// adds it (one branch for each alternative of a "first").
func (d *deriver) expr(s site, e *Expr, b *SearchParam) bool {
	if e.When != nil {
		b.Conds = append(append([]*Cond(nil), b.Conds...), e.When)
	}
	switch {
	case e.Ref != nil:
		d.problem(e.Pos, "a reference is not a %s value", d.def.Type)
		return false
	case e.HasLiteral:
		c := fmt.Sprint(e.Literal)
		if e.Concept != nil {
			t, ok := e.Concept.Lookup(strings.TrimSpace(c))
			if !ok {
				return true // renders nothing
			}
			c = t.Code
			if b.System == "" && b.SystemFrom == nil {
				b.System = t.System
			}
		}
		b.Constant = &c
		d.branches = append(d.branches, b)
		return true
	case len(e.First) > 0:
		// An alternative shows only where those before it are absent.
		ok := true
		var absent []*Cond
		for _, sub := range e.First {
			alt := *b
			alt.Conds = append(append([]*Cond(nil), b.Conds...), absent...)
			merged := *sub
			merged.Transforms = append(append([]Transform(nil), sub.Transforms...), e.Transforms...)
			merged.Concept = e.Concept
			ok = d.expr(s, &merged, &alt) && ok
			p := presence(sub)
			if p == nil {
				break // always present: the alternatives after it never show
			}
			absent = append(absent, &Cond{Pos: sub.Pos, All: []*Cond{p}, Not: true})
		}
		return ok
	}
	if len(e.Concat) > 0 {
		for _, part := range e.Concat {
			if part.HasLiteral {
				t := fmt.Sprint(part.Literal)
				b.Concat = append(b.Concat, ConcatPart{Text: &t})
				continue
			}
			pb := &SearchParam{}
			if !d.transforms(part, pb) {
				return false
			}
			for _, t := range part.Transforms {
				if !columnForm(t.Name) {
					d.problem(part.Pos, "a part of concat through the transform %q cannot be searched; bind %s to columns", t.Name, d.sp.Name)
					return false
				}
			}
			b.Concat = append(b.Concat, ConcatPart{Column: part.Column, Forms: pb.ColumnForms})
		}
	} else {
		b.Columns = []string{e.Column}
	}
	if e.Concept != nil {
		b.Concepts = []*ConceptMap{e.Concept}
	}
	if !d.transforms(e, b) {
		return false
	}
	d.branches = append(d.branches, b)
	return true
}

// columnPresence is the test that a column's value shows: not blank after
// the expression's transforms, where SQL computes them all (a transform
// that can reject a value, a date or an NHS number, is left out: such a
// value counts as present).
func columnPresence(e *Expr) *Cond {
	c := &Cond{Pos: e.Pos, Column: e.Column, col: e.col}
	for _, t := range e.Transforms {
		if !columnForm(t.Name) {
			return c
		}
	}
	c.Forms = e.Transforms
	return c
}

// columnForm tells whether a transform is compared as a form of the column
// in SQL (as a part of a concat must be).
func columnForm(name string) bool {
	switch name {
	case "trim", "compact", "upper", "lower", "title", "before", "after", "replace":
		return true
	}
	return false
}

// presence is the condition under which an alternative of a "first" gives
// a value: its column is not blank and its own condition holds; nil when
// it always does (a fixed value). A value a transform turns blank or
// rejects (a date that does not parse) counts as present here.
func presence(e *Expr) *Cond {
	var parts []*Cond
	if e.Column != "" {
		parts = append(parts, columnPresence(e))
	}
	var anyPart []*Cond
	for _, part := range e.Concat {
		switch {
		case part.HasLiteral && strings.TrimSpace(fmt.Sprint(part.Literal)) != "":
			anyPart = nil // fixed text: the concat always shows something
		case part.Column != "":
			anyPart = append(anyPart, columnPresence(part))
			continue
		default:
			continue
		}
		break
	}
	if len(anyPart) > 0 {
		parts = append(parts, &Cond{Pos: e.Pos, Any: anyPart})
	}
	if e.When != nil {
		parts = append(parts, e.When)
	}
	if len(parts) == 0 {
		return nil
	}
	return &Cond{Pos: e.Pos, All: parts}
}

// transforms turns the transforms that render a value into the forms the
// column is compared in (trim, compact, upper, lower, nhs-number) and the
// transforms a search value goes through, or a date parameter's format.
func (d *deriver) transforms(e *Expr, b *SearchParam) bool {
	loc := d.l.set.Location
	boolean, inverted := false, false
	valueT := func(name string) {
		if t, err := newTransform(name, nil, loc); err == nil {
			b.Transforms = append(b.Transforms, t)
		}
	}
	for _, t := range e.Transforms {
		switch t.Name {
		case "trim", "title", "before", "after", "replace":
			b.ColumnForms = append(b.ColumnForms, t)
		case "compact", "upper", "lower":
			b.ColumnForms = append(b.ColumnForms, t)
			valueT(t.Name)
		case "nhs-number":
			b.ColumnForms = append(b.ColumnForms, t)
			valueT("nhs-number")
		case "postcode":
			b.ColumnForms = append(b.ColumnForms, Transform{Name: "compact"}, Transform{Name: "upper"})
			valueT("compact")
			valueT("upper")
		case "boolean", "not":
			if b.PresenceOnly {
				continue // only whether a value is there counts
			}
			if d.def.Type != "token" {
				d.problem(e.Pos, "a %s value cannot be searched as a %s; bind %s to a column", t.Name, d.def.Type, d.sp.Name)
				return false
			}
			boolean = true
			inverted = inverted != (t.Name == "not")
		case "date", "datetime":
			if d.def.Type != "date" || b.PresenceOnly {
				continue
			}
			if len(t.Args) != 1 {
				d.problem(e.Pos, "a date in one of several formats cannot be searched in SQL; bind %s to \"sql\" that yields a sortable value", d.sp.Name)
				return false
			}
			lay, sortable, err := parseLayout(t.Args[0])
			if err != nil {
				d.problem(e.Pos, "%v", err)
				return false
			}
			b.Format, b.ColumnFormat, b.DateGrain = t.Args[0], t.Args[0], renderedGrain(lay.precision)
			if !sortable {
				// Compared rearranged into an order that sorts.
				form, to, ok := rearrangeForm(t.Args[0])
				if !ok {
					d.problem(e.Pos, "format %q has month names, which do not sort as text, so %s cannot search it; bind %s to \"sql\" that yields a sortable value", t.Args[0], d.sp.Name, d.sp.Name)
					return false
				}
				b.ColumnForms = append(b.ColumnForms, form)
				b.Format = to
			}
		}
	}
	if boolean {
		b.Concepts = []*ConceptMap{booleanMap(inverted)}
	}
	return true
}

// dateFormat is the format of a date transform, if any.
func dateFormat(ts []Transform) (string, bool) {
	for _, t := range ts {
		if (t.Name == "date" || t.Name == "datetime") && len(t.Args) == 1 {
			return t.Args[0], true
		}
	}
	return "", false
}

// booleanMap is the concept map of the boolean transform (inverted for
// not): the column values that render true and false.
func booleanMap(inverted bool) *ConceptMap {
	c := &ConceptMap{Name: "(boolean)", Unmapped: "drop"}
	yes, no := "true", "false"
	if inverted {
		yes, no = no, yes
	}
	var locals []string
	var targets []Coding
	for _, v := range []string{"Y", "YES", "T", "TRUE", "1", "y", "yes", "t", "true", "Yes", "True"} {
		locals, targets = append(locals, v), append(targets, Coding{Code: yes})
	}
	for _, v := range []string{"N", "NO", "F", "FALSE", "0", "n", "no", "f", "false", "No", "False"} {
		locals, targets = append(locals, v), append(targets, Coding{Code: no})
	}
	c.SetEntries(locals, targets)
	return c
}

// coverage warns when a parameter bound to columns leaves out values the
// resource shows at the parameter's STU3 path: a search by such a value
// would not find the resource that shows it.
func (l *loader) coverage(sp *SearchParam, m *Mapping) {
	def, ok := stu3.LookupSearchParameter(m.Resource, sp.Name)
	if !ok || def.Type != sp.Type {
		return
	}
	d := &deriver{l: l, sp: &SearchParam{Name: sp.Name, Col: -1}, def: def}
	for _, path := range def.Paths {
		p, filter, _ := strings.Cut(path, "|")
		for _, s := range sites(m.Root, p) {
			d.site(s, filter)
		}
	}
	// A parameter bound to none of the element's columns is a search
	// expression of its own making (a date assembled for sorting, say):
	// it is not second-guessed.
	some := false
	for _, src := range d.branches {
		some = some || len(src.Columns) > 0 && covers(sp, src)
	}
	if !some {
		return
	}
	for _, src := range d.branches {
		if src.Constant != nil || src.PresenceOnly || len(src.Columns) == 0 || covers(sp, src) {
			continue
		}
		where := m.Resource
		if src.Rows != nil {
			where = src.Rows.Table
		}
		l.set.Warnings = append(l.set.Warnings, fmt.Sprintf("%s: warning: %s search %s: the resource also shows a value from %s.%s at %s, which this parameter does not search; declare it without columns to follow the element", sp.Pos, m.Resource, sp.Name, where, src.Columns[0], strings.Join(def.Paths, " | ")))
	}
}

// covers reports whether a parameter bound to columns searches the column
// of a source: the same table, and the column among its columns or named
// in its SQL.
func covers(sp, src *SearchParam) bool {
	if (sp.Rows == nil) != (src.Rows == nil) || sp.Rows != nil && !strings.EqualFold(sp.Rows.Table, src.Rows.Table) {
		return false
	}
	col := src.Columns[0]
	for _, c := range sp.Columns {
		if strings.EqualFold(c, col) {
			return true
		}
	}
	if sp.SQL != "" {
		for _, w := range strings.FieldsFunc(strings.ToUpper(sp.SQL), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' }) {
			if w == strings.ToUpper(col) {
				return true
			}
		}
	}
	return false
}
