package mapping

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ccfacade/ccfacade/fhir/r4"
	"github.com/ccfacade/ccfacade/fhir/spec"
	"github.com/ccfacade/ccfacade/fhir/stu3"
	"gopkg.in/yaml.v3"
)

// A mapping's R4 (UK Core) form, derived once when the mapping loads from
// its STU3 element tree: the rules of r4rules.go rename, retype, move and
// drop elements, move extensions and code systems, and the mapping's r4
// section adds what only the source can decide. The derived tree is then
// checked against the R4 table (fhir/r4): every element it writes must
// exist in R4, with that type and cardinality, every fixed code must be
// one a required binding allows, every reference must point to a type
// the element takes. It is compiled into a plan of its own, which the
// same renderer executes (render.go): R4 has no renderer of its own.
//
// A mapping whose R4 form cannot be derived (an element R4 does not have
// and no rule covers, a Care Connect extension with no UK Core
// counterpart) is served as STU3 only: R4Problems says why, lint lists it
// and the R4 base does not offer the type. A mistake in the r4 section
// itself is an error of the mapping, at its line.

// r4Form is a mapping's R4 form.
type r4Form struct {
	root    *Node
	plan    *plan // nil when the mapping is not served as R4
	profile string
	// params are the mapping's search parameters offered on R4, by their
	// R4 names, in the order of Mapping.Search.
	params []r4Param
	// problems say why the mapping is not served as R4.
	problems []*Error
}

// r4Param is a search parameter under its R4 name.
type r4Param struct {
	name string
	sp   *SearchParam
}

// r4Section is what a mapping's r4 section says.
type r4Section struct {
	pos        Pos
	profile    string
	profilePos Pos
	omit       []*omission
	// root holds the elements it builds, checked against R4; each
	// replaces the derived element of its name or is added.
	root *Node
}

// omission is an STU3 element (by its path below the resource) or
// extension (by its URL) left out of the R4 form.
type omission struct {
	pos  Pos
	what string
	used bool
}

// r4Section loads a mapping's r4 section (after its elements, so that it
// shares their columns and joins).
func (l *loader) r4Section(n *yaml.Node, m *Mapping) {
	path := m.Resource + " r4"
	s := &r4Section{pos: l.pos(n)}
	m.r4src = s
	pairs := l.pairs(n, path, "profile", "omit", "element")
	typ := r4TypeOf(m.Resource)
	for _, p := range pairs {
		switch p[0].Value {
		case "profile":
			s.profilePos = l.pos(p[1])
			if v, ok := l.str(p[1], path+".profile"); ok {
				s.profile = v
				if !isUKCoreProfileOf(v, typ) {
					if err := l.set.ProfilesR4.CheckProfile(v, typ); err != nil {
						l.add(l.pos(p[1]), path+".profile", "%q is not a UK Core profile of %s (known: %s), nor one of the R4 definitions (profiles_r4): %v", v, typ, strings.Join(ukCoreProfilesOf(typ), ", "), err)
					}
				}
			}
		case "omit":
			items := []*yaml.Node{p[1]}
			if p[1].Kind == yaml.SequenceNode {
				items = p[1].Content
			}
			for _, it := range items {
				if v, ok := l.str(it, path+".omit"); ok {
					s.omit = append(s.omit, &omission{pos: l.pos(it), what: v})
				}
			}
		case "element":
			t := r4.Lookup(typ)
			if t == nil || t.Kind != r4.Resource {
				l.add(l.pos(p[1]), path, "%s is not an R4 resource type (the r4 section's resource names the type it is served as)", typ)
				continue
			}
			prev := l.rel
			l.rel = r4.Release
			s.root = l.object(p[1], typ, typ, t, m.Cols, true)
			l.rel = prev
		}
	}
}

func isUKCoreProfileOf(url, typ string) bool {
	return slices.Contains(ukCoreProfilesOf(typ), url)
}

func ukCoreProfilesOf(typ string) []string {
	var out []string
	for _, p := range ukCoreProfiles {
		if p.Type == typ {
			out = append(out, p.URL)
		}
	}
	return out
}

// The rule tables, indexed.
var (
	elementRuleOf = func() map[string]*elementRule {
		out := map[string]*elementRule{}
		for i := range r4Elements {
			out[r4Elements[i].Key] = &r4Elements[i]
		}
		return out
	}()
	extensionRuleOf = func() map[string]*extensionRule {
		out := map[string]*extensionRule{}
		for i := range r4Extensions {
			out[r4Extensions[i].STU3] = &r4Extensions[i]
		}
		return out
	}()
	systemRulesOf = func() map[string][]systemRule {
		out := map[string][]systemRule{}
		for _, r := range r4Systems {
			out[r.STU3] = append(out[r.STU3], r)
		}
		return out
	}()
)

// R4System is the system an STU3 code's system has in R4 (itself when it
// did not move).
func R4System(system, code string) string {
	for _, r := range systemRulesOf[system] {
		if r.Codes == nil || slices.Contains(r.Codes, code) {
			return r.R4
		}
	}
	return system
}

// STU3Systems are the systems an R4 system's code has in STU3, for a
// token search on R4: those a rule moved it from (a rule of some codes
// only when code is one of them; any, for a search by system alone,
// code ""), "" (no system) when an STU3 code without one becomes a Coding
// of it (the clinical statuses), else the system itself.
func STU3Systems(system, code string) []string {
	var out []string
	for _, r := range r4Systems {
		if r.R4 == system && (r.Codes == nil || code == "" || slices.Contains(r.Codes, code)) && !slices.Contains(out, r.STU3) {
			out = append(out, r.STU3)
		}
	}
	for _, r := range r4Elements {
		if r.System == system && !slices.Contains(out, "") {
			out = append(out, "")
		}
	}
	if len(out) == 0 {
		return []string{system}
	}
	return out
}

// r4Deriver derives a mapping's R4 form.
type r4Deriver struct {
	m        *Mapping
	typ      string // the R4 type the mapping is served as
	sec      *r4Section
	problems []*Error
	// depth is how deep the object being derived is; lifted are the
	// extensions an Up rule moves to the object above their holder's,
	// with the depth of that holder.
	depth  int
	lifted []liftedExtension
	// onto are the extensions an On rule puts on an element of their
	// holder, by the holder (the R4 object being derived).
	onto map[*Node][]ontoExtension
	// placed are the values of extension parts a rule makes elements of
	// their holder, by the holder.
	placed map[*Node][]*Node
}

type ontoExtension struct {
	on   string
	item *Node
}

type liftedExtension struct {
	depth int
	item  *Node
}

func (d *r4Deriver) problem(pos Pos, path, format string, args ...any) {
	d.problems = append(d.problems, &Error{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// omitted tells whether the r4 section leaves out an element (by its
// STU3 path) or an extension (by its URL).
func (d *r4Deriver) omitted(what string) bool {
	if d.sec == nil {
		return false
	}
	for _, o := range d.sec.omit {
		if o.what == what {
			o.used = true
			return true
		}
	}
	return false
}

// deriveR4 derives the mapping's R4 form; the errors it returns are
// mistakes in the mapping's r4 section. l is the loader of the mapping's
// set (for parameters derived again from the R4 form).
func (m *Mapping) deriveR4(l *loader) []*Error {
	d := &r4Deriver{m: m, typ: r4TypeOf(m.Resource), sec: m.r4src}
	form := &r4Form{}
	m.r4 = form
	root := d.object(m.Root)
	root.Type = d.typ
	for _, l := range d.lifted {
		d.problem(l.item.Pos, m.Resource+".extension", "UK Core moves this extension one level up, and %s has none above it", m.Resource)
	}
	var errs []*Error
	if s := d.sec; s != nil && s.root != nil {
		for _, f := range s.root.Fields {
			root.Fields = slices.DeleteFunc(root.Fields, func(g *Node) bool { return g.Name == f.Name })
			root.Fields = append(root.Fields, f)
		}
	}
	if s := d.sec; s != nil {
		for _, o := range s.omit {
			if !o.used {
				errs = append(errs, &Error{Pos: o.pos, Path: m.Resource + " r4.omit",
					Msg: fmt.Sprintf("%q is neither an element the mapping builds (its path below %s: name.family) nor the URL of an extension it writes", o.what, m.Resource)})
			}
		}
	}
	d.checkObject(root, r4.Lookup(d.typ), d.typ)
	form.root = root
	form.profile = d.profile()
	form.params = d.params(root)
	d.rederive(l, root, form.params)
	d.translateCodes(form.params)
	form.problems = d.problems
	if len(d.problems) == 0 {
		rootStep, meta := compileResource(root, r4.Release)
		form.plan = &plan{root: rootStep, meta: meta, resource: d.typ, ver: R4, lastUpdatedPath: d.typ + ".meta.lastUpdated",
			profile: form.profile, moveSystems: true}
		if form.profile == ukCore+"UKCore-Observation" && (d.sec == nil || d.sec.profile == "") {
			if codes := laboratoryCodes(root); len(codes) > 0 {
				form.plan.labProfile, form.plan.labCodes = ukCore+"UKCore-Observation-Lab", codes
			}
		}
	}
	return errs
}

// laboratoryCodes are the expressions that compute an Observation's
// category codes in the observation-category system (a concept map into
// it, or a code beside its fixed system), of categories shown once per
// resource (not per child row, nor under a condition of their own). A
// row whose category is laboratory claims UKCore-Observation-Lab on R4,
// by the rule that UK Core's laboratory profile is for laboratory
// results; a mapping whose r4 section names a profile claims that one
// for every row.
func laboratoryCodes(root *Node) []*Expr {
	var out []*Expr
	plain := func(n *Node) bool { return n.When == nil && n.Rows == nil }
	for _, cat := range root.Fields {
		if cat.Name != "category" || !plain(cat) {
			continue
		}
		items := cat.Items
		if !cat.List {
			items = []*Node{cat}
		}
		for _, it := range items {
			if !plain(it) {
				continue
			}
			for _, cod := range it.Fields {
				if cod.Name != "coding" || !plain(cod) {
					continue
				}
				for _, c := range cod.Items {
					switch {
					case !plain(c):
					case c.Expr != nil && c.Expr.Concept != nil && isObservationCategory(c.Expr.Concept.System):
						out = append(out, c.Expr)
					case c.Expr == nil:
						sys, code := fieldOf(c, "system"), fieldOf(c, "code")
						if sys != nil && code != nil && code.Expr != nil && code.When == nil && isObservationCategory(fixedText(sys)) {
							out = append(out, code.Expr)
						}
					}
				}
			}
		}
	}
	return out
}

// isObservationCategory tells whether a system is FHIR's observation
// category system, by its STU3 or R4 URI.
func isObservationCategory(system string) bool {
	return system == "http://hl7.org/fhir/observation-category" || system == hl7CS+"observation-category"
}

// profile is the profile the R4 form claims: the r4 section's, else UK
// Core's profile of the type when the mapping names a profile, else none.
func (d *r4Deriver) profile() string {
	if d.sec != nil && d.sec.profile != "" {
		return d.sec.profile
	}
	if d.m.Profile == "" {
		return ""
	}
	if ps := ukCoreProfilesOf(d.typ); len(ps) > 0 {
		return ps[0]
	}
	return ""
}

// params are the mapping's search parameters under their R4 names: an
// STU3 parameter R4 renamed under its new name, one R4 does not have (or
// has with another type) left out.
func (d *r4Deriver) params(root *Node) []r4Param {
	m := d.m
	var out []r4Param
	for _, sp := range m.Search {
		name := sp.Name
		for _, r := range r4Params {
			if r.Resource == m.Resource && r.STU3 == sp.Name {
				if r.Element != "" && !slices.ContainsFunc(root.Fields, func(f *Node) bool { return f.Name == r.Element }) {
					name = ""
				} else {
					name = r.R4
				}
			}
		}
		if name == "" {
			continue
		}
		_, standard := stu3.LookupSearchParameter(m.Resource, sp.Name)
		def, inR4 := r4.LookupSearchParameter(d.typ, name)
		if standard && !inR4 || inR4 && def.Type != sp.Type {
			continue
		}
		out = append(out, r4Param{name: name, sp: sp})
	}
	return out
}

// rederive makes a token parameter that follows its element follow the
// R4 element where the mapping's r4 section writes it: such an element
// says what R4 says otherwise (Immunization.status not-done where STU3
// had notGiven, MedicationStatement.status not-taken where STU3 had
// taken), so the parameter on R4 is derived again, from the R4 form and
// by R4's definition of the parameter, and finds what the R4 resource
// shows. Other parameters search as on STU3 (their codes' systems moved
// by the system rules, in the engine).
func (d *r4Deriver) rederive(l *loader, root *Node, params []r4Param) {
	if l == nil || d.sec == nil || d.sec.root == nil {
		return
	}
	m := d.m
	for i, p := range params {
		if p.sp.Path == "" || p.sp.Type != "token" {
			continue
		}
		def, ok := r4.LookupSearchParameter(d.typ, p.name)
		if !ok || !slices.ContainsFunc(d.sec.root.Fields, func(f *Node) bool { return writesPath(f.Name, def.Paths) }) {
			continue
		}
		sp := &SearchParam{Pos: p.sp.Pos, Name: p.sp.Name, Documentation: p.sp.Documentation, Col: -1}
		sub := &loader{set: l.set, file: l.file, rel: r4.Release, m: m}
		stu3Root := m.Root
		m.Root = root
		sub.derive(sp, m, def)
		m.Root = stu3Root
		if len(sub.errs) > 0 {
			for _, e := range sub.errs {
				d.problem(e.Pos, m.Resource+" search "+p.name, "on R4, where the r4 section writes its element: %s", e.Msg)
			}
			continue
		}
		if sp.Type == "" {
			sp.Type = def.Type
		}
		params[i].sp = sp
	}
}

// translateCodes gives a token parameter offered on R4 as on STU3 the
// translation of its element's codes where a rule translates them: an R4
// code is searched as the STU3 codes it stands for. The parameter on R4
// is a copy (the STU3 one is unchanged).
func (d *r4Deriver) translateCodes(params []r4Param) {
	m := d.m
	for i, p := range params {
		if p.sp.Type != "token" || m.SearchParam(p.sp.Name) != p.sp {
			continue // not a token, or derived again from the R4 form
		}
		def, ok := stu3.LookupSearchParameter(m.Resource, p.sp.Name)
		if !ok || len(def.Paths) != 1 || strings.ContainsAny(def.Paths[0], ".[|") {
			continue
		}
		rule := elementRuleOf[m.Resource+"."+def.Paths[0]]
		if rule == nil || rule.Codes == nil {
			continue
		}
		codes := map[string][]string{}
		for from, to := range rule.Codes {
			if codes[from] == nil {
				codes[from] = []string{}
			}
			if to != "" {
				if len(codes[to]) == 0 {
					codes[to] = []string{to}
				}
				codes[to] = append(codes[to], from)
			}
		}
		for _, c := range codes {
			sort.Strings(c)
		}
		sp := *p.sp
		sp.R4Codes = codes
		params[i].sp = &sp
	}
}

// writesPath tells whether an element of a resource (its JSON name) is
// the first step of one of a parameter's paths.
func writesPath(field string, paths []string) bool {
	for _, p := range paths {
		first, _, _ := strings.Cut(p, ".")
		name, choice, isChoice := strings.Cut(strings.TrimSuffix(first, "]"), "[")
		if stepMatches(field, name, choice, isChoice) {
			return true
		}
	}
	return false
}

// copyNode is a shallow copy of a node: the derived tree never changes
// the STU3 one.
func copyNode(n *Node) *Node {
	c := *n
	c.Fields, c.Items = nil, nil
	return &c
}

// value derives a node of any kind.
func (d *r4Deriver) value(n *Node) *Node {
	switch {
	case n.List:
		c := copyNode(n)
		for _, it := range n.Items {
			c.Items = append(c.Items, d.value(it))
		}
		return c
	case n.Expr != nil:
		return copyNode(n)
	}
	return d.object(n)
}

// object derives an object node, field by field, by the element rules of
// its STU3 type.
func (d *r4Deriver) object(n *Node) *Node {
	c := copyNode(n)
	d.depth++
	for _, f := range n.Fields {
		d.field(c, n.Type, f)
		d.land(c, f)
	}
	d.depth--
	d.place(c)
	d.putOnto(c)
	d.moveSystem(c)
	return c
}

// place puts the values a part rule made elements of c at their paths
// below c (each value's Path ends in its path), making the objects on the
// way that the mapping does not build.
func (d *r4Deriver) place(c *Node) {
	for _, v := range d.placed[c] {
		names := strings.Split(strings.TrimPrefix(v.Path, c.Path+"."), ".")
		at, typ := c, r4.Lookup(c.Type)
		for i, name := range names {
			var el *spec.Element
			if typ != nil {
				el, _, _ = typ.Element(name)
			}
			if el == nil {
				d.problem(v.Pos, v.Path, "R4's %s has no element %q", at.Path, name)
				break
			}
			f := fieldOf(at, name)
			if i == len(names)-1 {
				if f != nil {
					d.problem(v.Pos, v.Path, "the mapping builds %s, which UK Core fills from this extension: omit one in the r4 section", v.Path)
					break
				}
				at.Fields = append(at.Fields, v)
				break
			}
			if f == nil {
				f = &Node{Pos: v.Pos, Path: at.Path + "." + name, Name: name, Type: el.Types[0]}
				at.Fields = append(at.Fields, f)
			} else if f.Expr != nil || f.List {
				d.problem(v.Pos, v.Path, "%s is not one object the mapping builds: omit the extension in the r4 section and state its R4 form there", f.Path)
				break
			}
			at, typ = f, r4.Lookup(f.Type)
		}
	}
	delete(d.placed, c)
}

// extensionParts derives a complex extension by its part rules into the
// holder's extension list (list) and elements (holder).
func (d *r4Deriver) extensionParts(holder, list, it *Node, rule *extensionRule, url string) {
	var kept []*Node
	for _, part := range fieldOf(it, "extension").itemsOrNil() {
		name := fixedText(fieldOf(part, "url"))
		pr, ok := rule.Parts[name]
		if !ok {
			d.problem(part.Pos, it.Path, "part %q of extension %s has no R4 home in the rules: omit the extension in the r4 section and state its R4 form there", name, url)
			continue
		}
		var v *Node
		for _, x := range part.Fields {
			if strings.HasPrefix(x.Name, "value") {
				v = x
			}
		}
		if v == nil || part.Rows != nil || it.Rows != nil {
			d.problem(part.Pos, it.Path, "part %q of extension %s needs one value and no rows", name, url)
			continue
		}
		g := d.value(v)
		if pr.Type != "" {
			g.Name, g.Type = "value"+strings.ToUpper(pr.Type[:1])+pr.Type[1:], pr.Type
		}
		when := andCond(it.When, part.When)
		switch {
		case pr.Element != "":
			g.Name = pr.Element[strings.LastIndex(pr.Element, ".")+1:]
			g.Path, g.When = holder.Path+"."+pr.Element, andCond(when, g.When)
			if d.placed == nil {
				d.placed = map[*Node][]*Node{}
			}
			d.placed[holder] = append(d.placed[holder], g)
		case pr.Ext != "":
			list.Items = append(list.Items, &Node{Pos: part.Pos, Path: it.Path, Type: "Extension", When: when,
				Fields: []*Node{fixedNode(part.Pos, it.Path+".url", "url", "uri", pr.Ext), g}})
		default:
			to := name
			if pr.To != "" {
				to = pr.To
			}
			kept = append(kept, &Node{Pos: part.Pos, Path: part.Path, Type: "Extension", When: part.When,
				Fields: []*Node{fixedNode(part.Pos, part.Path+".url", "url", "uri", to), g}})
		}
	}
	if rule.R4 != "" && len(kept) > 0 {
		ext := &Node{Pos: it.Pos, Path: it.Path + ".extension", Name: "extension", Type: "Extension", List: true, Items: kept}
		list.Items = append(list.Items, &Node{Pos: it.Pos, Path: it.Path, Type: "Extension", When: it.When,
			Fields: []*Node{ext, fixedNode(it.Pos, it.Path+".url", "url", "uri", rule.R4)}})
	}
}

// fixedNode is an element of a fixed text value.
func fixedNode(pos Pos, path, name, typ, text string) *Node {
	return &Node{Pos: pos, Path: path, Name: name, Type: typ, Expr: &Expr{Pos: pos, Path: path, Literal: text, HasLiteral: true}}
}

// putOnto writes the extensions an On rule moved onto an element of c
// into that element: inside the CodeableConcept R4 makes of an STU3 code,
// or into an object's extension list.
func (d *r4Deriver) putOnto(c *Node) {
	for _, o := range d.onto[c] {
		el := fieldOf(c, o.on)
		switch {
		case el != nil && el.Expr != nil && el.r4System != "" && !el.List:
			if el.r4Ext == nil {
				el.r4Ext = &Node{Pos: o.item.Pos, Path: el.Path + ".extension", Name: "extension", Type: "Extension", List: true}
			}
			d.checkObject(o.item, r4.Lookup("Extension"), el.Path+".extension")
			el.r4Ext.Items = append(el.r4Ext.Items, o.item)
		case el != nil && el.Expr == nil && !el.List:
			ext := fieldOf(el, "extension")
			if ext == nil {
				ext = &Node{Pos: o.item.Pos, Path: el.Path + ".extension", Name: "extension", Type: "Extension", List: true}
				el.Fields = append([]*Node{ext}, el.Fields...)
			}
			ext.Items = append(ext.Items, o.item)
		default:
			d.problem(o.item.Pos, c.Path+".extension", "UK Core puts this extension on %s.%s, which the mapping does not build as one value: build %s, or omit the extension in the r4 section", c.Path, o.on, o.on)
		}
	}
	delete(d.onto, c)
}

// land adds to c's extensions those an Up rule lifted from the object
// of its field f.
func (d *r4Deriver) land(c, f *Node) {
	kept := d.lifted[:0]
	for _, l := range d.lifted {
		if l.depth != d.depth+1 {
			kept = append(kept, l)
			continue
		}
		if f.List || f.Rows != nil || f.When != nil {
			d.problem(l.item.Pos, f.Path, "UK Core moves this extension from %s to %s, which holds one %s: build %s once, without a condition", f.Name, c.Path, f.Name, f.Name)
			continue
		}
		ext := fieldOf(c, "extension")
		if ext == nil {
			ext = &Node{Pos: l.item.Pos, Path: c.Path + ".extension", Name: "extension", Type: "Extension", List: true}
			c.Fields = append(c.Fields, ext)
		}
		ext.Items = append(ext.Items, l.item)
	}
	d.lifted = kept
}

// field derives one field of an object into parent.
func (d *r4Deriver) field(parent *Node, stu3Type string, f *Node) {
	if d.omitted(strings.TrimPrefix(f.Path, d.m.Resource+".")) {
		return
	}
	if f.Name == "extension" || f.Name == "modifierExtension" {
		d.extensions(parent, f)
		return
	}
	rule := elementRuleOf[stu3Type+"."+f.Name]
	if rule == nil {
		parent.Fields = append(parent.Fields, d.value(f))
		return
	}
	switch {
	case rule.Drop:
		return
	case rule.DropFixed != nil:
		if f.Expr != nil && f.Expr.HasLiteral && f.When == nil && f.Expr.When == nil && f.Expr.Literal == rule.DropFixed {
			return
		}
		d.problem(f.Pos, f.Path, "R4 has no %s; it is left out when it is fixed to %v, and otherwise the mapping's r4 section must say what it becomes (omit it, and state the R4 element)", f.Name, rule.DropFixed)
		return
	}
	g := d.value(f)
	switch {
	case rule.Spread != nil:
		d.spread(parent, stu3Type, f, g, rule)
		return
	case rule.ByType != nil:
		d.byType(parent, f, g, rule)
		return
	}
	if rule.Hoist != "" {
		var child *Node
		if !f.List {
			for _, x := range g.Fields {
				if x.Name == rule.Hoist {
					child = x
				}
			}
		}
		if child == nil || len(g.Fields) != 1 {
			d.problem(f.Pos, f.Path, "R4's %s is its %s alone: build only %s.%s, or say in the r4 section what the rest becomes", f.Name, rule.Hoist, f.Name, rule.Hoist)
			return
		}
		child.Name = f.Name
		child.When = andCond(g.When, child.When)
		g = child
	}
	if rule.Single && g.List {
		if len(g.Items) != 1 || g.Rows != nil {
			d.problem(f.Pos, f.Path, "R4's %s holds one value: build one item of %s, or say in the r4 section what it becomes", rule.To, f.Name)
			return
		}
		it := g.Items[0]
		it.Name, it.Path, it.When = g.Name, g.Path, andCond(g.When, it.When)
		g = it
	}
	if rule.To != "" && rule.Into == "" {
		g.Name = rule.To
	}
	if rule.System != "" || rule.Codes != nil {
		if !d.recode(g, rule) {
			return
		}
	}
	if rule.Into != "" {
		g.Name = rule.Into
		for _, x := range parent.Fields {
			if x.Name == rule.To && x.r4Into {
				x.Fields = append(x.Fields, g)
				return
			}
		}
		parent.Fields = append(parent.Fields, &Node{Pos: g.Pos, Path: parent.Path + "." + rule.To, Name: rule.To, Fields: []*Node{g}, r4Into: true})
		return
	}
	parent.Fields = append(parent.Fields, g)
}

// spread moves the children of a backbone element g (derived from f) to
// R4 elements of parent, by the rule's Spread.
func (d *r4Deriver) spread(parent *Node, stu3Type string, f, g *Node, rule *elementRule) {
	if f.List || g.Rows != nil {
		d.problem(f.Pos, f.Path, "R4 spreads %s over elements of its own (%s): build it once, not as a list", f.Name, spreadNames(rule.Spread))
		return
	}
	t := r4.Lookup(stu3Type)
	for _, x := range g.Fields {
		to, ok := rule.Spread[x.Name]
		if !ok {
			d.problem(x.Pos, x.Path, "R4 has no element for %s.%s (it spreads %s over %s): omit it in the r4 section", f.Name, x.Name, f.Name, spreadNames(rule.Spread))
			continue
		}
		x.Name = to
		x.When = andCond(g.When, x.When)
		if el, _, ok := t.Element(to); ok && el.Max == "1" && x.List {
			if len(x.Items) != 1 || x.Items[0].Rows != nil {
				d.problem(x.Pos, x.Path, "R4's %s is one value: build one item of %s.%s", to, f.Name, strings.TrimPrefix(x.Path, f.Path+"."))
				continue
			}
			item := x.Items[0]
			item.Name, item.List, item.When = to, false, andCond(x.When, item.When)
			x = item
		}
		parent.Fields = append(parent.Fields, x)
	}
}

func spreadNames(m map[string]string) string {
	var out []string
	for from, to := range m {
		out = append(out, from+" → "+to)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// byType splits a list of links g (derived from f) by their fixed type
// into R4 elements of parent, each link its target, by the rule's ByType.
func (d *r4Deriver) byType(parent *Node, f, g *Node, rule *elementRule) {
	items := g.Items
	if !g.List {
		items = []*Node{g}
	}
	lists := map[string]*Node{}
	for _, it := range items {
		typ, target := fieldOf(it, "type"), fieldOf(it, "target")
		kind := fixedText(typ)
		if kind == "" || target == nil {
			d.problem(it.Pos, f.Path, "R4 splits %s by its type (%s): each item needs a fixed type and a target", f.Name, spreadNames(rule.ByType))
			continue
		}
		to, ok := rule.ByType[kind]
		if !ok {
			d.problem(typ.Pos, f.Path, "R4 has no element for a %s link of type %s (it has %s): omit %s in the r4 section", f.Name, kind, spreadNames(rule.ByType), f.Name)
			continue
		}
		target.Name, target.When, target.Rows = to, andCond(it.When, target.When), it.Rows
		if lists[to] == nil {
			lists[to] = &Node{Pos: g.Pos, Path: parent.Path + "." + to, Name: to, Type: target.Type, List: true}
			parent.Fields = append(parent.Fields, lists[to])
		}
		lists[to].Items = append(lists[to].Items, target)
	}
}

// recode applies a rule's code system and code translation to a code
// element; false when the element is left out (a fixed code R4 does not
// have).
func (d *r4Deriver) recode(g *Node, rule *elementRule) bool {
	if g.Expr == nil || g.List {
		d.problem(g.Pos, g.Path, "a code is expected here (the rule makes it a %s)", "CodeableConcept")
		return false
	}
	if rule.System != "" {
		g.r4System = rule.System
		g.Type = "CodeableConcept"
	}
	g.r4Codes = rule.Codes
	if e := g.Expr; e.HasLiteral && rule.Codes != nil {
		s, _ := e.Literal.(string)
		if to, ok := rule.Codes[s]; ok {
			if to == "" {
				return false
			}
			c := *e
			c.Literal = to
			g.Expr = &c
		}
	}
	return true
}

// extensions derives an extension list: each extension by its rule.
func (d *r4Deriver) extensions(parent *Node, f *Node) {
	list := copyNode(f)
	for _, it := range f.Items {
		url := fixedText(fieldOf(it, "url"))
		if url != "" && d.omitted(url) {
			continue
		}
		rule := extensionRuleOf[url]
		switch {
		case rule == nil && strings.HasPrefix(url, careConn):
			d.problem(it.Pos, f.Path, "extension %s has no UK Core counterpart in the rules: omit it in the r4 section (r4: {omit: [%s]}) and state there what R4 element, if any, holds it", url, url)
		case rule == nil:
			list.Items = append(list.Items, d.value(it))
		case rule.Drop:
		case rule.Parts != nil:
			d.extensionParts(parent, list, it, rule, url)
		case rule.Element != "":
			// src holds the value: the extension, or its part Sub.
			src, when := it, it.When
			if rule.Sub != "" {
				src = nil
				for _, part := range fieldOf(it, "extension").itemsOrNil() {
					if fixedText(fieldOf(part, "url")) == rule.Sub {
						src = part
					}
				}
				if src == nil {
					continue // the part R4 keeps is not built: nothing to move
				}
				when = andCond(it.When, src.When)
			}
			var v *Node
			for _, x := range src.Fields {
				if strings.HasPrefix(x.Name, "value") {
					v = x
				}
			}
			if v == nil || it.Rows != nil || src.Rows != nil {
				d.problem(it.Pos, f.Path, "extension %s becomes R4's %s: it needs one value and no rows", url, rule.Element)
				continue
			}
			g := d.value(v)
			g.Name = rule.Element
			g.When = andCond(when, g.When)
			parent.Fields = append(parent.Fields, g)
		default:
			c := d.object(it)
			for i, x := range c.Fields {
				if x.Name == "url" {
					y := copyNode(x)
					e := *x.Expr
					e.Literal = rule.R4
					y.Expr = &e
					c.Fields[i] = y
				}
			}
			if rule.Up {
				d.lifted = append(d.lifted, liftedExtension{depth: d.depth, item: c})
				continue
			}
			if rule.On != "" {
				if d.onto == nil {
					d.onto = map[*Node][]ontoExtension{}
				}
				d.onto[parent] = append(d.onto[parent], ontoExtension{on: rule.On, item: c})
				continue
			}
			list.Items = append(list.Items, c)
		}
	}
	if len(list.Items) > 0 {
		parent.Fields = append(parent.Fields, list)
	}
}

// itemsOrNil are a list node's items (none for nil).
func (n *Node) itemsOrNil() []*Node {
	if n == nil {
		return nil
	}
	return n.Items
}

// moveSystem gives a fixed system (of a Coding, an Identifier, a
// Quantity) its R4 URI, by the fixed code beside it where the rule
// depends on the code.
func (d *r4Deriver) moveSystem(obj *Node) {
	for i, f := range obj.Fields {
		if f.Name != "system" || f.Expr == nil || !f.Expr.HasLiteral {
			continue
		}
		sys := fixedText(f)
		rules := systemRulesOf[sys]
		if len(rules) == 0 {
			continue
		}
		code := fixedText(fieldOf(obj, "code"))
		split := false
		for _, r := range rules {
			split = split || r.Codes != nil
		}
		if split && code == "" && fieldOf(obj, "code") != nil {
			d.problem(f.Pos, f.Path, "in R4 the codes of %s are in several systems, and this code is not fixed: state the R4 Coding in the r4 section", sys)
			continue
		}
		if to := R4System(sys, code); to != sys {
			g := copyNode(f)
			e := *f.Expr
			e.Literal = to
			g.Expr = &e
			obj.Fields[i] = g
		}
	}
}

// fieldOf is an object node's field of a name, or nil.
func fieldOf(n *Node, name string) *Node {
	if n == nil {
		return nil
	}
	for _, f := range n.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// fixedText is the fixed text of a node, or "".
func fixedText(n *Node) string {
	if n == nil || n.Expr == nil || !n.Expr.HasLiteral || n.When != nil || n.Expr.When != nil {
		return ""
	}
	s, _ := n.Expr.Literal.(string)
	return s
}

// andCond is the condition that both hold (either may be nil).
func andCond(a, b *Cond) *Cond {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &Cond{Pos: a.Pos, All: []*Cond{a, b}}
}

// sameValueTypes are the STU3 primitive types whose values R4 takes in an
// element of another type (its lexical space is a subset of the other's).
var sameValueTypes = map[[2]string]bool{
	{"string", "markdown"}:         true,
	{"positiveInt", "unsignedInt"}: true,
	{"uri", "canonical"}:           true,
	{"uri", "url"}:                 true,
}

// checkObject checks an object node of the derived tree against its R4
// type: each field an element of the type, with its type and
// cardinality; fields are put in R4 order and paths and types made R4's.
func (d *r4Deriver) checkObject(n *Node, t *spec.Type, path string) {
	n.Path = path
	if t == nil {
		d.problem(n.Pos, path, "R4 has no type %s", n.Type)
		return
	}
	n.Type = t.Name
	kept := n.Fields[:0]
	for _, f := range n.Fields {
		fpath := path + "." + f.Name
		if base, ok := strings.CutPrefix(f.Name, "_"); ok {
			_, typ, found := t.Element(base)
			pt := r4.Lookup(typ)
			if !found || pt == nil || pt.Kind != spec.Primitive {
				d.problem(f.Pos, fpath, "R4's %s has no primitive element %s", t.Name, base)
				continue
			}
			d.checkObject(f, pt, fpath)
			f.Type = typ
			kept = append(kept, f)
			continue
		}
		el, typ, ok := t.Element(f.Name)
		if !ok {
			d.problem(f.Pos, fpath, "R4's %s has no element %q, and no rule says what it becomes: omit it or state its R4 form in the mapping's r4 section", t.Name, f.Name)
			continue
		}
		switch {
		case el.Max != "1" && !f.List:
			f = &Node{Pos: f.Pos, Name: f.Name, List: true, Items: []*Node{f}}
		case el.Max == "1" && f.List:
			if len(f.Items) != 1 || f.Items[0].Rows != nil {
				d.problem(f.Pos, fpath, "%s repeats in STU3 and not in R4 (max 1): give it one value in the r4 section", f.Name)
				continue
			}
			f = f.Items[0]
		}
		f.Path = fpath
		if f.List {
			f.Type = typ
			for _, it := range f.Items {
				it.Name = f.Name
				d.checkValue(it, el, typ, fpath)
			}
		} else {
			d.checkValue(f, el, typ, fpath)
		}
		kept = append(kept, f)
	}
	n.Fields = kept
	sort.SliceStable(n.Fields, func(i, j int) bool {
		a, b := n.Fields[i].Name, n.Fields[j].Name
		if ia, ib := t.Index(a), t.Index(b); ia != ib {
			return ia < ib
		}
		return !strings.HasPrefix(a, "_") && strings.HasPrefix(b, "_")
	})
}

// checkValue checks one value (a single element or a list item) of R4
// type typ.
func (d *r4Deriver) checkValue(f *Node, el *spec.Element, typ, path string) {
	f.Path = path
	t := r4.Lookup(typ)
	if t == nil {
		d.problem(f.Pos, path, "R4 has no type %s", typ)
		return
	}
	if f.Expr == nil {
		if t.Kind == spec.Primitive {
			d.problem(f.Pos, path, "R4's %s is a %s, not an object", f.Name, typ)
			return
		}
		d.checkObject(f, t, path)
		if typ == "Reference" {
			if ref := fieldOf(f, "reference"); ref != nil && ref.Expr != nil {
				for _, a := range ref.Expr.Refs() {
					target := r4TypeOf(a.Ref.Resource)
					if el.Targets != nil && !slices.Contains(el.Targets, target) && !slices.Contains(el.Targets, "Resource") {
						d.problem(a.Pos, path, "R4's %s cannot point to %s (it takes %s)", f.Name, target, strings.Join(el.Targets, ", "))
					}
				}
			}
		}
		return
	}
	e := f.Expr
	switch {
	case f.Type == typ:
	case f.r4System != "" && typ == "CodeableConcept":
	case sameValueTypes[[2]string{f.Type, typ}]:
	default:
		d.problem(f.Pos, path, "R4's %s is a %s, not a %s, and no rule turns the one into the other", f.Name, typ, f.Type)
		return
	}
	f.Type = typ
	if len(el.Codes) == 0 || typ != "code" {
		return
	}
	if s, ok := e.Literal.(string); e.HasLiteral && ok && !slices.Contains(el.Codes, s) {
		d.problem(f.Pos, path, "%q is not an R4 code of %s (one of: %s)", s, f.Name, strings.Join(el.Codes, ", "))
	}
	if c := e.Concept; c != nil && c.From == nil {
		for _, local := range c.Locals() {
			t, _ := c.Lookup(local)
			code := t.Code
			if to, ok := f.r4Codes[code]; ok {
				code = to
			}
			if code != "" && !slices.Contains(el.Codes, code) {
				d.problem(f.Pos, path, "concept map %q translates %q to %q, which is not an R4 code of %s (one of: %s)", c.Name, local, code, f.Name, strings.Join(el.Codes, ", "))
			}
		}
	}
}

// Serves tells whether the mapping is served in a release: always as
// STU3, as R4 when its R4 form could be derived (R4Problems says why not).
func (m *Mapping) Serves(v Version) bool {
	if v == R4 {
		return m.r4 != nil && m.r4.plan != nil
	}
	return true
}

// R4Problems say why the mapping is not served as R4: each element or
// extension its R4 form cannot have, at its line.
func (m *Mapping) R4Problems() []*Error {
	if m.r4 == nil {
		return nil
	}
	return m.r4.problems
}

// ProfileIn is the profile the mapping's resources claim in a release.
func (m *Mapping) ProfileIn(v Version) string {
	if v == R4 {
		if m.r4 == nil {
			return ""
		}
		return m.r4.profile
	}
	return m.Profile
}

// SupportedProfilesIn are the profiles some of the mapping's resources
// claim in a release besides ProfileIn: on R4, UKCore-Observation-Lab for
// an Observation mapping whose laboratory rows claim it.
func (m *Mapping) SupportedProfilesIn(v Version) []string {
	if v == R4 && m.r4 != nil && m.r4.plan != nil && m.r4.plan.labProfile != "" {
		return []string{m.r4.plan.labProfile}
	}
	return nil
}

// RootIn is the mapping's element tree in a release (paths, types and
// order of that release).
func (m *Mapping) RootIn(v Version) *Node {
	if v == R4 && m.r4 != nil {
		return m.r4.root
	}
	return m.Root
}

// SearchParamIn looks up a search parameter by its name in a release.
func (m *Mapping) SearchParamIn(v Version, name string) *SearchParam {
	if v != R4 {
		return m.SearchParam(name)
	}
	if m.r4 != nil {
		for _, p := range m.r4.params {
			if p.name == name {
				return p.sp
			}
		}
	}
	return nil
}

// SearchNamesIn are the names of the mapping's search parameters in a
// release, in the mapping's order.
func (m *Mapping) SearchNamesIn(v Version) []string {
	var out []string
	if v != R4 {
		for _, p := range m.Search {
			out = append(out, p.Name)
		}
		return out
	}
	if m.r4 != nil {
		for _, p := range m.r4.params {
			out = append(out, p.name)
		}
	}
	return out
}

// ParamNameIn is a search parameter's name in a release ("" when the
// release does not offer it).
func (m *Mapping) ParamNameIn(v Version, sp *SearchParam) string {
	if v != R4 {
		return sp.Name
	}
	if m.r4 != nil {
		for _, p := range m.r4.params {
			if p.sp == sp {
				return p.name
			}
		}
	}
	return ""
}

// R4Problems lists, mapping by mapping, why a mapping of the set is not
// served as R4.
func (s *Set) R4Problems() []*Error {
	var out []*Error
	for _, m := range s.Mappings {
		out = append(out, m.R4Problems()...)
	}
	return out
}

// ResourceIn is the type the mapping's resources have in a release: on R4
// the type that replaced an STU3 type R4 does not have (ServiceRequest
// for ReferralRequest and ProcedureRequest), else its own.
func (m *Mapping) ResourceIn(v Version) string {
	if v == R4 {
		return r4TypeOf(m.Resource)
	}
	return m.Resource
}
