package mapping

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/fhir/spec"
	"github.com/ccfacade/ccfacade/fhir/stu3"
	"github.com/ccfacade/ccfacade/textfn"
	"gopkg.in/yaml.v3"
)

// File is one mapping file's name (as shown in errors) and content.
type File struct {
	Name string
	Data []byte
}

// Config is what loading a set of mappings takes besides its files.
type Config struct {
	// Location is the zone of date-times stored without one (nil: UTC).
	Location *time.Location
	// Profiles holds the definitions a mapping's profile must name (nil:
	// the built-in ones, STU3's and Care Connect's).
	Profiles *profile.Registry
	// ProfilesR4 holds the R4 definitions a mapping's r4 profile may name
	// besides UK Core's (nil: the built-in ones, R4's and UK Core's).
	ProfilesR4 *profile.Registry
}

// LoadDir loads every *.yaml and *.yml file in dir.
func LoadDir(dir string, loc *time.Location) (*Set, error) {
	return Config{Location: loc}.LoadDir(dir)
}

// LoadFS loads every *.yaml and *.yml file in dir of fsys; file names in
// errors are prefixed with display.
func LoadFS(fsys fs.FS, dir, display string, loc *time.Location) (*Set, error) {
	return Config{Location: loc}.LoadFS(fsys, dir, display)
}

// Load parses, checks and compiles mapping files. On any problem it returns
// Errors listing all of them, sorted.
func Load(files []File, loc *time.Location) (*Set, error) {
	return Config{Location: loc}.Load(files)
}

// LoadDir loads every *.yaml and *.yml file in dir.
func (c Config) LoadDir(dir string) (*Set, error) {
	return c.LoadFS(os.DirFS(dir), ".", dir)
}

// LoadFS loads every *.yaml and *.yml file in dir of fsys; file names in
// errors are prefixed with display.
func (c Config) LoadFS(fsys fs.FS, dir, display string) (*Set, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read mappings: %w", err)
	}
	var files []File
	for _, e := range entries {
		ext := path.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read mappings: %w", err)
		}
		files = append(files, File{Name: filepath.Join(display, e.Name()), Data: data})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("read mappings: no *.yaml files in %s", display)
	}
	return c.Load(files)
}

// Load parses, checks and compiles mapping files. On any problem it returns
// Errors listing all of them, sorted.
func (c Config) Load(files []File) (*Set, error) {
	loc, profiles := c.Location, c.Profiles
	if loc == nil {
		loc = time.UTC
	}
	if profiles == nil {
		profiles = profile.Builtin()
	}
	profilesR4 := c.ProfilesR4
	if profilesR4 == nil {
		profilesR4 = profile.BuiltinR4()
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	l := &loader{rel: stu3.Release, set: &Set{Concepts: map[string]*ConceptMap{}, Location: loc, Profiles: profiles, ProfilesR4: profilesR4, byType: map[string]*Mapping{}}}
	type parsed struct {
		name string
		root *yaml.Node
	}
	var docs []parsed
	for _, f := range files {
		var doc yaml.Node
		if err := yaml.Unmarshal(f.Data, &doc); err != nil {
			l.add(Pos{File: f.Name, Line: yamlErrLine(err), Col: 1}, "", "invalid YAML: %s", cleanYAMLErr(err))
			l.unparsed++
			continue
		}
		if len(doc.Content) == 0 {
			l.add(Pos{File: f.Name, Line: 1, Col: 1}, "", "empty mapping file")
			continue
		}
		docs = append(docs, parsed{f.Name, doc.Content[0]})
	}
	// Concepts first: they are shared by every mapping of the set.
	for _, d := range docs {
		l.file = d.name
		if v := l.field(d.root, "concepts"); v != nil {
			l.concepts(v)
		}
	}
	for _, d := range docs {
		l.file = d.name
		l.document(d.root)
	}
	l.crossCheck()
	if len(l.errs) > 0 {
		return nil, l.errs.Err()
	}
	for _, m := range l.set.Mappings {
		m.compile()
		l.set.Warnings = append(l.set.Warnings, m.requiredWarnings()...)
		l.errs = append(l.errs, m.deriveR4(l)...)
	}
	l.servedTypes()
	if len(l.errs) > 0 {
		return nil, l.errs.Err()
	}
	return l.set, nil
}

// mappingsOf are the mappings of an STU3 type, in the order of the set.
func (l *loader) mappingsOf(typ string) []*Mapping {
	var out []*Mapping
	for _, m := range l.set.Mappings {
		if m.Resource == typ {
			out = append(out, m)
		}
	}
	return out
}

// servedTypes indexes the mappings by the type each serves in each
// release. Mappings served as one type (on R4, ServiceRequest from
// ReferralRequest and ProcedureRequest) must keep their ids apart: each
// has an id-prefix, and none starts another's.
func (l *loader) servedTypes() {
	s := l.set
	s.served = map[Version]map[string][]*Mapping{}
	for _, m := range s.Mappings {
		for _, sp := range m.Search {
			for _, t := range sp.Target {
				if n := len(l.mappingsOf(t)); sp.Type == "reference" && n > 1 {
					l.add(sp.Pos, m.Resource+" search "+sp.Name, "%s is mapped %d times: a reference parameter to it cannot tell from its column which mapping's resource it names (not supported yet)", t, n)
				}
			}
		}
	}
	for _, v := range Versions {
		byType := map[string][]*Mapping{}
		for _, m := range s.Mappings {
			if m.Serves(v) {
				t := m.ResourceIn(v)
				byType[t] = append(byType[t], m)
			}
		}
		s.served[v] = byType
		for t, ms := range byType {
			if len(ms) < 2 {
				continue
			}
			for _, m := range ms {
				for _, o := range ms {
					if m != o && (m.IDPrefix == "" || strings.HasPrefix(o.IDPrefix, m.IDPrefix)) {
						l.add(m.Pos, m.Resource+" id-prefix", "%s (here) and %s (%s) are both served as %s on %s: each needs an id-prefix (id-prefix: %s-), and neither may start the other's (here %q, there %q)",
							m.Resource, o.Resource, o.Pos, t, v, strings.ToLower(m.Resource), m.IDPrefix, o.IDPrefix)
						break
					}
				}
			}
		}
	}
}

type loader struct {
	collector
	unparsed int // files that are not valid YAML
	set      *Set
	// rel is the release elements are checked against: STU3 for a
	// mapping's element section, R4 for its r4 section (r4.go).
	rel  *spec.Release
	file string
	m    *Mapping
	// refs to check once all mappings are known
	refs []*refUse
}

type refUse struct {
	pos  Pos
	path string
	ref  *RefExpr
}

func (l *loader) pos(n *yaml.Node) Pos { return Pos{File: l.file, Line: n.Line, Col: n.Column} }

// pairs returns the key/value pairs of a mapping node, reporting duplicate
// keys and keys not in allowed (nil allows any).
func (l *loader) pairs(n *yaml.Node, path string, allowed ...string) [][2]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		l.add(l.pos(n), path, "expected a mapping (key: value), found %s", kindName(n))
		return nil
	}
	seen := map[string]bool{}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			l.add(l.pos(k), path, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			l.add(l.pos(k), path, "unknown key %q (expected one of: %s)", k.Value, strings.Join(allowed, ", "))
			continue
		}
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out
}

func (l *loader) field(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func (l *loader) str(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.add(l.pos(n), path, "expected a text value, found %s", kindName(n))
		return "", false
	}
	return n.Value, true
}

// strFields reads a mapping of text values, whose keys are keys, into the
// fields dsts: the value of keys[i] into *dsts[i].
func (l *loader) strFields(n *yaml.Node, path string, keys []string, dsts ...*string) {
	for _, p := range l.pairs(n, path, keys...) {
		if s, ok := l.str(p[1], path); ok {
			*dsts[slices.Index(keys, p[0].Value)] = s
		}
	}
}

// strs accepts a scalar or a sequence of scalars.
func (l *loader) strs(n *yaml.Node, path string) []string {
	if n.Kind == yaml.SequenceNode {
		var out []string
		for _, item := range n.Content {
			if s, ok := l.str(item, path); ok {
				out = append(out, s)
			}
		}
		return out
	}
	if s, ok := l.str(n, path); ok {
		return []string{s}
	}
	return nil
}

func (l *loader) document(root *yaml.Node) {
	pairs := l.pairs(root, "", "resource", "profile", "description", "id-prefix", "from", "element", "search", "concepts", "r4")
	var res, from, elem, search, prof, r4sec, prefix *yaml.Node
	m := &Mapping{File: l.file, Pos: l.pos(root), Cols: newColumnSet(), set: l.set}
	for _, p := range pairs {
		switch p[0].Value {
		case "resource":
			res = p[1]
		case "profile":
			prof = p[1]
			m.Profile, _ = l.str(p[1], "profile")
		case "description":
			m.Description, _ = l.str(p[1], "description")
		case "id-prefix":
			prefix = p[1]
		case "from":
			from = p[1]
		case "element":
			elem = p[1]
		case "search":
			search = p[1]
		case "r4":
			r4sec = p[1]
		}
	}
	if res == nil {
		if from != nil || elem != nil || search != nil {
			l.add(l.pos(root), "", "missing key \"resource\" (the FHIR resource type this file maps)")
		}
		return // a file of shared concept maps
	}
	name, ok := l.str(res, "resource")
	if !ok {
		return
	}
	t := stu3.Lookup(name)
	if t == nil || t.Kind != stu3.Resource {
		l.add(l.pos(res), name, "unknown FHIR STU3 resource type %q%s", name, suggestResource(name))
		return
	}
	if m.Profile != "" {
		if err := l.set.Profiles.CheckProfile(m.Profile, name); err != nil {
			l.add(l.pos(prof), name, "profile %v", err)
		}
	}
	m.Resource = name
	m.Pos = l.pos(res)
	l.m = m
	if prefix != nil {
		if v, ok := l.str(prefix, name+" id-prefix"); ok {
			if !idPrefixRE.MatchString(v) {
				l.add(l.pos(prefix), name+" id-prefix", "%q is not an id prefix: 1 to 32 letters, digits, '-' or '.', starting with a letter or digit", v)
			} else {
				m.IDPrefix = v
			}
		}
	}
	if l.set.byType[name] == nil {
		l.set.byType[name] = m // the first: several mappings of a type keep apart by their id-prefix (servedTypes)
	}
	l.set.Mappings = append(l.set.Mappings, m)
	if from == nil {
		l.add(l.pos(root), name, "missing key \"from\" (the table or query the rows come from)")
	} else {
		l.source(from, m)
	}
	if elem == nil {
		l.add(l.pos(root), name, "missing key \"element\" (how the resource's elements are built)")
		m.Root = &Node{Path: name, Type: name}
	} else {
		m.Root = l.object(elem, name, name, t, m.Cols, true)
	}
	if search != nil {
		l.searchParams(search, m)
	}
	if r4sec != nil {
		l.r4Section(r4sec, m)
	}
}

func (l *loader) source(n *yaml.Node, m *Mapping) {
	path := m.Resource + " from"
	m.From.Pos = l.pos(n)
	for _, p := range l.pairs(n, path, "table", "query", "key", "updated", "join", "distinct") {
		switch p[0].Value {
		case "table":
			m.From.Table, _ = l.str(p[1], path)
		case "join":
			l.joins(p[1], m)
		case "distinct":
			if p[1].Value != "true" && p[1].Value != "false" {
				l.add(l.pos(p[1]), path, "\"distinct\" is true or false")
			}
			m.From.Distinct = p[1].Value == "true"
		case "query":
			q, _ := l.str(p[1], path)
			m.From.Query = strings.TrimSpace(q)
			if !isSelect(m.From.Query) {
				l.add(l.pos(p[1]), path, "query must be a single read-only SELECT statement%s", whyNotSelect(m.From.Query))
			}
		case "key":
			m.From.Key = l.strs(p[1], path)
			m.From.KeyPos = l.pos(p[1])
		case "updated":
			m.From.Updated, _ = l.str(p[1], path)
		}
	}
	switch {
	case m.From.Table == "" && m.From.Query == "":
		l.add(m.From.Pos, path, "one of \"table\" or \"query\" is required")
	case m.From.Table != "" && m.From.Query != "":
		l.add(m.From.Pos, path, "give \"table\" or \"query\", not both")
	}
	if len(m.From.Key) == 0 {
		l.add(m.From.Pos, path, "\"key\" is required: the column(s) whose values make the resource id")
	}
	if m.From.Query != "" && (len(m.From.Joins) > 0 || m.From.Distinct) {
		l.add(m.From.Pos, path, "\"join\" and \"distinct\" go with \"table\"; a query makes its own joins")
	}
	if m.From.Distinct && len(m.From.Joins) > 0 {
		l.add(m.From.Pos, path, "a distinct source takes no joins")
	}
	if m.From.Distinct && m.From.Updated != "" {
		l.add(m.From.Pos, path, "a distinct source has no last-updated column (its rows are made from many)")
	}
	for _, k := range append(append([]string(nil), m.From.Key...), m.From.Updated) {
		if k != "" && m.Cols.Canon(k) != k {
			l.add(m.From.Pos, path, "the key and the last-updated column are the table's own, not a joined table's (%s)", k)
		}
	}
	for _, k := range m.From.Key {
		m.Cols.Add(k)
	}
	if m.From.Updated != "" {
		m.Cols.Add(m.From.Updated)
	}
}

// joins reads from.join: a list of {table, as, on: {joined column: main
// column}}.
func (l *loader) joins(n *yaml.Node, m *Mapping) {
	path := m.Resource + " from join"
	if n.Kind != yaml.SequenceNode {
		l.add(l.pos(n), path, "\"join\" is a list of {table, as, on}")
		return
	}
	if m.Cols.joins == nil {
		m.Cols.joins = map[string]*Join{}
	}
	for _, item := range n.Content {
		j := &Join{Pos: l.pos(item)}
		for _, p := range l.pairs(item, path, "table", "as", "on") {
			switch p[0].Value {
			case "table":
				j.Table, _ = l.str(p[1], path)
			case "as":
				j.As, _ = l.str(p[1], path)
			case "on":
				for _, q := range l.pairs(p[1], path+" on") {
					if mc, ok := l.str(q[1], path); ok {
						j.On = append(j.On, [2]string{q[0].Value, mc})
					}
				}
			}
		}
		switch {
		case j.Table == "" || j.As == "" || len(j.On) == 0:
			l.add(j.Pos, path, "a join needs \"table\", \"as\" (the alias its columns are written with: AS.COLUMN) and \"on\" (joined column: main column)")
			continue
		case !paramName.MatchString(strings.ToLower(j.As)) || strings.Contains(j.As, "-"):
			l.add(j.Pos, path, "the alias %q is letters, digits and '_'", j.As)
			continue
		case m.Cols.joins[strings.ToLower(j.As)] != nil:
			l.add(j.Pos, path, "the alias %q is used twice", j.As)
			continue
		}
		for _, on := range j.On {
			if m.Cols.Canon(on[1]) != on[1] {
				l.add(j.Pos, path, "a join is on a column of the main table (%s)", on[1])
			}
		}
		m.Cols.joins[strings.ToLower(j.As)] = j
		m.From.Joins = append(m.From.Joins, j)
	}
}

// Directive keys of an object node; they are directives only where the FHIR
// type has no element of that name.
var objectDirectives = []string{"when", "rows"}
var exprDirectives = []string{"column", "first", "concat", "transform", "concept", "resource", "key", "value"}

// object builds an object node of FHIR type t.
func (l *loader) object(n *yaml.Node, path, typ string, t *spec.Type, cols *ColumnSet, isRoot bool) *Node {
	node := &Node{Pos: l.pos(n), Path: path, Type: typ}
	if n.Kind != yaml.MappingNode {
		l.add(l.pos(n), path, "expected the elements of %s as a mapping, found %s", typ, kindName(n))
		return node
	}
	for _, p := range l.pairs(n, path) {
		key, val := p[0].Value, p[1]
		el, elType, ok := t.Element(key)
		if !ok {
			if base, cut := strings.CutPrefix(key, "_"); cut && hasElement(t, base) {
				if child := l.companion(val, path, key, base, t, cols, isRoot); child != nil {
					node.Fields = append(node.Fields, child)
				}
				continue
			}
			if !isRoot && key == "when" {
				node.When = l.cond(val, path, cols)
				continue
			}
			if !isRoot && key == "rows" {
				// handled by the list item that owns this object
				continue
			}
			l.add(l.pos(p[0]), path, "%s has no element %q%s", typ, key, suggest(t, key))
			continue
		}
		if isRoot && key == "id" {
			l.add(l.pos(p[0]), path+"."+key, "%s is set by the facade (from the key and the profile); remove it", key)
			continue
		}
		if isRoot && key == "meta" && !l.metaLabels(val, path+".meta") {
			continue
		}
		child := l.element(val, path+"."+key, key, el, elType, cols)
		if child != nil {
			node.Fields = append(node.Fields, child)
		}
	}
	sort.SliceStable(node.Fields, func(i, j int) bool {
		a, b := node.Fields[i].Name, node.Fields[j].Name
		if ia, ib := t.Index(a), t.Index(b); ia != ib {
			return ia < ib
		}
		// a primitive's companion (_birthDate) follows its value
		return !strings.HasPrefix(a, "_") && strings.HasPrefix(b, "_")
	})
	return node
}

// metaLabels checks a resource's meta: a mapping gives only its security
// labels and tags (meta.security, meta.tag), the facade the rest
// (lastUpdated from the updated column, profile from the mapping's).
func (l *loader) metaLabels(n *yaml.Node, path string) bool {
	if n.Kind != yaml.MappingNode {
		l.add(l.pos(n), path, "expected meta's security or tag as a mapping, found %s", kindName(n))
		return false
	}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "security" && k != "tag" {
			l.add(l.pos(n.Content[i]), path+"."+k, "meta.%s is set by the facade (lastUpdated from the updated column, profile from the mapping's); a mapping gives only meta.security and meta.tag", k)
			ok = false
		}
	}
	return ok
}

// companion builds the JSON companion of a primitive element (_family,
// _birthDate): its id and extensions, such as a data-absent-reason
// extension where a profile requires an element the source does not hold.
func (l *loader) companion(n *yaml.Node, path, key, base string, t *spec.Type, cols *ColumnSet, isRoot bool) *Node {
	el, typ, _ := t.Element(base)
	pt := l.rel.Lookup(typ)
	switch {
	case isRoot && base == "id":
		l.add(l.pos(n), path+"."+key, "id is set by the facade; it takes no extensions here")
		return nil
	case pt == nil || pt.Kind != spec.Primitive:
		l.add(l.pos(n), path+"."+key, "%s is of type %s, not a primitive: give its extensions inside it", base, typ)
		return nil
	case el.Max != "1":
		l.add(l.pos(n), path+"."+key, "extensions of a repeating primitive (%s) are not supported", base)
		return nil
	}
	child := l.object(n, path+"."+key, typ, pt, cols, false)
	child.Name = key
	return child
}

func (l *loader) element(n *yaml.Node, path, name string, el *spec.Element, typ string, cols *ColumnSet) *Node {
	if el.Max == "0" {
		l.add(l.pos(n), path, "element is not allowed (max 0)")
		return nil
	}
	if el.Max != "1" {
		if n.Kind != yaml.SequenceNode {
			l.add(l.pos(n), path, "%s repeats (max %s): write it as a list", name, el.Max)
			return nil
		}
		list := &Node{Pos: l.pos(n), Path: path, Name: name, Type: typ, List: true}
		for _, item := range n.Content {
			if it := l.item(item, path, name, el, typ, cols); it != nil {
				list.Items = append(list.Items, it)
			}
		}
		return list
	}
	if n.Kind == yaml.SequenceNode {
		l.add(l.pos(n), path, "%s does not repeat (max 1): give one value, not a list", name)
		return nil
	}
	v := l.value(n, path, typ, el, cols)
	if v != nil {
		v.Name = name
	}
	return v
}

// item is one entry of a list; it may repeat over child rows.
func (l *loader) item(n *yaml.Node, path, name string, el *spec.Element, typ string, cols *ColumnSet) *Node {
	var rows *Rows
	if n.Kind == yaml.MappingNode {
		if r := l.field(n, "rows"); r != nil {
			if t := l.rel.Lookup(typ); t == nil || !hasElement(t, "rows") {
				if cols != l.m.Cols {
					l.add(l.pos(r), path, "rows inside rows are not supported: a repeating element's child rows come from one table linked to the resource's own row")
				} else {
					rows = l.rows(r, path)
					cols = rows.Cols
				}
			}
		}
	}
	v := l.value(n, path, typ, el, cols)
	if v == nil {
		return nil
	}
	v.Name = name
	v.Rows = rows
	return v
}

// value builds a node of FHIR type typ from a scalar, an expression map or
// an object map.
func (l *loader) value(n *yaml.Node, path, typ string, el *spec.Element, cols *ColumnSet) *Node {
	t := l.rel.Lookup(typ)
	if t == nil {
		l.add(l.pos(n), path, "unknown FHIR type %q", typ)
		return nil
	}
	if t.Kind == spec.Primitive {
		e := l.expr(n, path, typ, cols)
		if e == nil {
			return nil
		}
		if e.HasLiteral && len(el.Codes) > 0 {
			if s, ok := e.Literal.(string); ok && !slices.Contains(el.Codes, s) {
				l.add(e.Pos, path, "%q is not an allowed code (one of: %s)", s, strings.Join(el.Codes, ", "))
			}
		}
		if e.Concept != nil && !conceptPrimitive(typ) {
			l.add(e.Pos, path, "\"concept\" makes a code, uri, string, Coding or CodeableConcept, not a %s", typ)
		}
		if e.Concept != nil && len(el.Codes) > 0 {
			// Checked here for the map's own entries, and by the catalog
			// for entries read from a table.
			e.Concept.Uses = append(e.Concept.Uses, ConceptUse{Pos: e.Pos, Path: path, Codes: el.Codes})
			for _, err := range e.Concept.Disallowed() {
				if err.Pos == e.Pos {
					l.errs = append(l.errs, err)
				}
			}
		}
		return &Node{Pos: e.Pos, Path: path, Type: typ, Expr: e}
	}
	if n.Kind == yaml.MappingNode && isExprMap(n, t) {
		e := l.expr(n, path, typ, cols)
		if e == nil {
			return nil
		}
		if e.conceptRef == "" && e.Ref == nil {
			l.add(e.Pos, path, "%s is a complex type: build it with its elements, or with \"concept\" (Coding, CodeableConcept)", typ)
			return nil
		}
		if e.Concept != nil && typ != "Coding" && typ != "CodeableConcept" {
			l.add(e.Pos, path, "\"concept\" makes a code, uri, string, Coding or CodeableConcept, not a %s", typ)
			return nil
		}
		return &Node{Pos: e.Pos, Path: path, Type: typ, Expr: e}
	}
	if n.Kind != yaml.MappingNode {
		l.add(l.pos(n), path, "%s is a complex type: give its elements as a mapping", typ)
		return nil
	}
	node := l.object(n, path, typ, t, cols, false)
	if typ == "Reference" && len(el.Targets) > 0 && !slices.Contains(el.Targets, "Resource") {
		// Each type the reference may take is one the element allows, as
		// R4's are checked when the mapping's R4 form is made.
		if ref := fieldOf(node, "reference"); ref != nil && ref.Expr != nil {
			for _, a := range ref.Expr.Refs() {
				if !slices.Contains(el.Targets, a.Ref.Resource) {
					l.add(a.Pos, path, "%s cannot point to %s (STU3 takes %s)", path, a.Ref.Resource, strings.Join(el.Targets, ", "))
				}
			}
		}
	}
	return node
}

// conceptPrimitive reports whether a concept map can give a primitive of
// type typ: the entry's code, which for a uri or string can be any text
// (a map from local vocabulary names to code system URIs).
func conceptPrimitive(typ string) bool {
	return typ == "code" || typ == "uri" || typ == "string"
}

func isExprMap(n *yaml.Node, t *spec.Type) bool {
	for i := 0; i < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if _, _, ok := t.Element(k); ok {
			continue
		}
		if k == "column" || k == "first" || k == "concat" || k == "concept" {
			return true
		}
	}
	return false
}

func hasElement(t *spec.Type, name string) bool {
	_, _, ok := t.Element(name)
	return ok
}

// expr parses a value expression for an element of FHIR type typ.
func (l *loader) expr(n *yaml.Node, path, typ string, cols *ColumnSet) *Expr {
	e := &Expr{Pos: l.pos(n), Path: path, scope: cols, col: -1}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			l.add(e.Pos, path, "empty value: leave the element out instead")
			return nil
		}
		e.HasLiteral = true
		e.Literal = literal(n, typ)
		if err := checkLiteral(e.Literal, typ); err != "" {
			l.add(e.Pos, path, "%s", err)
		}
		return e
	case yaml.MappingNode:
	default:
		l.add(e.Pos, path, "expected a value or an expression (column, value, first, transform, concept, when), found %s", kindName(n))
		return nil
	}
	var resource, key *yaml.Node
	var prefix *yaml.Node
	for _, p := range l.pairs(n, path, "column", "value", "first", "concat", "transform", "concept", "resource", "key", "id-prefix", "when", "required") {
		switch p[0].Value {
		case "required":
			if p[1].Value != "true" && p[1].Value != "false" {
				l.add(l.pos(p[1]), path, "\"required\" is true or false")
			}
			e.Required = p[1].Value == "true"
		case "value":
			if p[1].Kind != yaml.ScalarNode || p[1].Tag == "!!null" {
				l.add(l.pos(p[1]), path, "\"value\" is a fixed value (text, number or true/false)")
				continue
			}
			e.HasLiteral = true
			e.Literal = literal(p[1], typ)
			if err := checkLiteral(e.Literal, typ); err != "" {
				l.add(l.pos(p[1]), path, "%s", err)
			}
		case "column":
			if s, ok := l.str(p[1], path); ok {
				e.Column = cols.Canon(s)
				e.col = cols.Add(s)
			}
		case "first":
			if p[1].Kind != yaml.SequenceNode || len(p[1].Content) < 2 {
				l.add(l.pos(p[1]), path, "\"first\" takes a list of two or more expressions; the first present one is used")
				continue
			}
			refs := 0
			for _, item := range p[1].Content {
				if sub := l.expr(item, path, typ, cols); sub != nil {
					if sub.Ref != nil && (sub.Concept != nil || len(sub.Transforms) > 0 || sub.Required) {
						l.add(sub.Pos, path, "a reference inside \"first\" takes \"resource\", \"key\", \"id-prefix\" and \"when\" (a reference has no \"concept\", \"transform\" or \"required\" of its own)")
						continue
					}
					if len(sub.First) > 0 {
						l.add(sub.Pos, path, "\"first\" cannot hold another \"first\": list its alternatives in the outer one")
						continue
					}
					if sub.Concept != nil {
						l.add(sub.Pos, path, "an expression inside \"first\" takes \"column\" or \"value\", \"transform\" and \"when\" (or, on a reference, \"resource\", \"key\", \"id-prefix\" and \"when\"); put \"concept\" on the expression that holds \"first\"")
						continue
					}
					if sub.Ref != nil {
						refs++
					}
					e.First = append(e.First, sub)
				}
			}
			if refs > 0 && refs != len(e.First) {
				l.add(l.pos(p[1]), path, "\"first\" of a reference takes references alone ({resource, key, when}): the first whose condition holds and whose key is not NULL is used")
			}
		case "concat":
			if p[1].Kind != yaml.SequenceNode || len(p[1].Content) < 2 {
				l.add(l.pos(p[1]), path, "\"concat\" takes a list of two or more parts: expressions ({column: C, transform: …}) and fixed text")
				continue
			}
			for _, item := range p[1].Content {
				if item.Kind == yaml.ScalarNode {
					e.Concat = append(e.Concat, &Expr{Pos: l.pos(item), Path: path, HasLiteral: true, Literal: item.Value, col: -1, scope: cols})
					continue
				}
				if sub := l.expr(item, path, "string", cols); sub != nil {
					if sub.Column == "" || sub.Concept != nil || sub.Ref != nil || len(sub.First) > 0 || len(sub.Concat) > 0 || sub.When != nil {
						l.add(sub.Pos, path, "a part of \"concat\" is fixed text or {column, transform}")
						continue
					}
					e.Concat = append(e.Concat, sub)
				}
			}
		case "transform":
			e.Transforms = l.transforms(p[1], path)
		case "concept":
			if s, ok := l.str(p[1], path); ok {
				e.conceptRef = s
				e.Concept = l.concept(p[1], s, path)
			}
		case "resource":
			resource = p[1]
		case "key":
			key = p[1]
		case "when":
			e.When = l.cond(p[1], path, cols)
		case "id-prefix":
			prefix = p[1]
		}
	}
	if len(e.First) > 0 && e.First[0].Ref != nil && (e.conceptRef != "" || len(e.Transforms) > 0 || prefix != nil) {
		l.add(e.Pos, path, "a reference chosen by the row takes no \"concept\", \"transform\" or \"id-prefix\" beside its \"first\": give each alternative its \"resource\", \"key\", \"id-prefix\" and \"when\"")
		return nil
	}
	if resource != nil || key != nil || prefix != nil {
		if resource == nil || key == nil {
			l.add(e.Pos, path, "a reference needs both \"resource\" and \"key\"")
			return nil
		}
		r := &RefExpr{}
		r.Resource, _ = l.str(resource, path)
		if prefix != nil {
			r.prefix, _ = l.str(prefix, path)
			r.byPrefix = true
		}
		r.Key = l.strs(key, path)
		for i, k := range r.Key {
			r.Key[i] = cols.Canon(k)
			r.cols = append(r.cols, cols.Add(k))
		}
		e.Ref = r
		if !strings.HasSuffix(path, ".reference") {
			l.add(e.Pos, path, "\"resource\"/\"key\" make a reference: use them on a Reference's \"reference\" element")
		}
		l.refs = append(l.refs, &refUse{pos: e.Pos, path: path, ref: r})
		if e.Column != "" || len(e.First) > 0 {
			l.add(e.Pos, path, "a reference takes its id from \"key\"; drop \"column\"/\"first\"")
		}
		return e
	}
	sources := 0
	if e.HasLiteral {
		sources++
	}
	if e.Column != "" {
		sources++
	}
	if len(e.First) > 0 {
		sources++
	}
	if len(e.Concat) > 0 {
		sources++
	}
	if sources != 1 {
		l.add(e.Pos, path, "an expression needs exactly one of \"column\", \"value\", \"first\" or \"concat\"")
		return nil
	}
	return e
}

// concept is the concept map called name, named at n; an unknown name is
// reported and gives nil.
func (l *loader) concept(n *yaml.Node, name, path string) *ConceptMap {
	c := l.set.Concepts[name]
	if c == nil {
		l.add(l.pos(n), path, "unknown concept map %q%s", name, l.knownConcepts())
	}
	return c
}

// sqlExpr reads the text of an "sql" key: a plain SQL expression, without
// ';' or comments.
func (l *loader) sqlExpr(n *yaml.Node, path string) string {
	s, _ := l.str(n, path)
	if !safeFragment(s) {
		l.add(l.pos(n), path, "\"sql\" must be a plain SQL expression (no ';' or comments)")
	}
	return s
}

func (l *loader) knownConcepts() string {
	if l.unparsed > 0 {
		return " (a mapping file could not be read; fix it first, it may define the map)"
	}
	if len(l.set.Concepts) == 0 {
		return " (no concept maps are defined)"
	}
	names := make([]string, 0, len(l.set.Concepts))
	for n := range l.set.Concepts {
		names = append(names, n)
	}
	sort.Strings(names)
	return " (known: " + strings.Join(names, ", ") + ")"
}

func (l *loader) cond(n *yaml.Node, path string, cols *ColumnSet) *Cond {
	c := &Cond{Pos: l.pos(n), col: -1}
	var than *yaml.Node
	for _, p := range l.pairs(n, path+" when", "column", "equals", "in", "not", "concept", "lt", "le", "gt", "ge", "format", "matches", "any", "all") {
		switch k := p[0].Value; k {
		case "column":
			if s, ok := l.str(p[1], path); ok {
				c.Column = cols.Canon(s)
				c.col = cols.Add(s)
			}
		case "equals", "in":
			c.Equals = append(c.Equals, l.strs(p[1], path)...)
		case "concept":
			if name, ok := l.str(p[1], path); ok {
				c.Concept = l.concept(p[1], name, path)
			}
		case "not":
			c.Not = p[1].Value == "true"
			if p[1].Value != "true" && p[1].Value != "false" {
				l.add(l.pos(p[1]), path, "\"not\" is true or false")
			}
		case "lt", "le", "gt", "ge":
			if c.Op != "" {
				l.add(l.pos(p[0]), path, "\"when\" takes one comparison (it has %q and %q); combine several with \"all\"", c.Op, k)
				continue
			}
			c.Op, than = k, p[1]
		case "format":
			c.Format, _ = l.str(p[1], path)
		case "matches":
			if s, ok := l.str(p[1], path); ok {
				re, err := textfn.Compile(s)
				if err != nil {
					l.add(l.pos(p[1]), path, "\"matches\": %v", err)
					continue
				}
				c.Matches, c.re = s, re
			}
		case "any", "all":
			if p[1].Kind != yaml.SequenceNode || len(p[1].Content) == 0 {
				l.add(l.pos(p[1]), path, "%q takes a list of conditions", k)
				continue
			}
			for _, item := range p[1].Content {
				if sub := l.cond(item, path, cols); sub != nil {
					if k == "any" {
						c.Any = append(c.Any, sub)
					} else {
						c.All = append(c.All, sub)
					}
				}
			}
		}
	}
	if len(c.Any) > 0 || len(c.All) > 0 {
		if c.Column != "" || len(c.Any) > 0 && len(c.All) > 0 {
			l.add(c.Pos, path, "\"any\" and \"all\" combine conditions: write the column's own condition as one of them")
			return nil
		}
		return c
	}
	if c.Column == "" {
		l.add(c.Pos, path, "\"when\" needs a \"column\" (or \"any\"/\"all\" of conditions)")
		return nil
	}
	tests := 0
	for _, t := range []bool{c.Concept != nil, len(c.Equals) > 0, c.Op != "", c.Matches != ""} {
		if t {
			tests++
		}
	}
	if tests > 1 {
		l.add(c.Pos, path, "\"when\" takes one test of its column: \"equals\"/\"in\", \"concept\", a comparison (lt, le, gt, ge) or \"matches\"; combine several with \"all\"")
	}
	if c.Format != "" {
		lay, sortable, err := parseLayout(c.Format)
		switch {
		case c.Op == "":
			l.add(c.Pos, path, "\"format\" is the text format of dates compared with a date; this condition compares nothing")
		case err != nil:
			l.add(c.Pos, path, "format %q: %v", c.Format, err)
		case !sortable || lay.precision < 3:
			l.add(c.Pos, path, "format %q does not sort as text down to the day, so it cannot be compared with a date; compare a column in a format such as yyyyMMdd", c.Format)
		default:
			c.layout = lay.goLayout
		}
	}
	if c.Op != "" {
		c.Than = l.operand(than, path, cols)
		if c.Than == nil {
			return nil
		}
	}
	return c
}

// operand reads what a comparison compares with: today, a date
// (YYYY-MM-DD), a number, or {column: NAME}.
func (l *loader) operand(n *yaml.Node, path string, cols *ColumnSet) *Operand {
	switch {
	case n.Kind == yaml.MappingNode:
		o := &Operand{col: -1}
		for _, p := range l.pairs(n, path+" comparison", "column") {
			if s, ok := l.str(p[1], path); ok {
				o.Column, o.col = cols.Canon(s), cols.Add(s)
			}
		}
		if o.Column == "" {
			l.add(l.pos(n), path, "a comparison with another column is written {column: NAME}")
			return nil
		}
		return o
	case n.Kind == yaml.ScalarNode && n.Value == "today":
		return &Operand{Today: true, col: -1}
	case n.Kind == yaml.ScalarNode && todayPlus.MatchString(n.Value):
		m := todayPlus.FindStringSubmatch(n.Value)
		k, _ := strconv.Atoi(m[2])
		if m[1] == "-" {
			k = -k
		}
		o := &Operand{Today: true, col: -1}
		switch m[3] {
		case "d":
			o.Days = k
		case "m":
			o.Months = k
		case "y":
			o.Years = k
		}
		return o
	case n.Kind == yaml.ScalarNode && isoDate.MatchString(n.Value):
		d, err := time.Parse("2006-01-02", n.Value)
		if err != nil {
			l.add(l.pos(n), path, "%q is not a date", n.Value)
			return nil
		}
		return &Operand{Date: n.Value, date: d, col: -1}
	case n.Kind == yaml.ScalarNode && numberLit.MatchString(n.Value):
		return &Operand{Number: n.Value, col: -1}
	}
	l.add(l.pos(n), path, "a comparison is with today (or today-30d, today+1m, today-18y), a date (2020-01-31), a number, or {column: NAME}")
	return nil
}

func (l *loader) rows(n *yaml.Node, path string) *Rows {
	r := &Rows{Pos: l.pos(n), Path: path, Cols: newColumnSet()}
	var link *yaml.Node
	for _, p := range l.pairs(n, path+" rows", "table", "link", "where", "order") {
		switch p[0].Value {
		case "table":
			r.Table, _ = l.str(p[1], path)
		case "link":
			link = p[1]
		case "where":
			r.Where, _ = l.str(p[1], path)
		case "order":
			r.Order = l.strs(p[1], path)
		}
	}
	if r.Table == "" {
		l.add(r.Pos, path, "rows need a \"table\"")
	}
	switch {
	case link == nil:
		l.add(r.Pos, path, "rows need a \"link\": the child column(s) holding the parent's key, or a mapping child column: parent column")
	case link.Kind == yaml.MappingNode:
		for _, p := range l.pairs(link, path) {
			if pc, ok := l.str(p[1], path); ok {
				r.Link = append(r.Link, p[0].Value)
				r.ParentName = append(r.ParentName, pc)
			}
		}
	default:
		r.Link = l.strs(link, path)
		if len(r.Link) != len(l.m.From.Key) {
			l.add(l.pos(link), path, "link has %d column(s) but the key has %d; write link as a mapping (child column: parent column)", len(r.Link), len(l.m.From.Key))
		}
		r.ParentName = append(r.ParentName, l.m.From.Key...)
	}
	for i, c := range r.Link {
		r.Cols.Add(c)
		if i < len(r.ParentName) {
			r.ParentName[i] = l.m.Cols.Canon(r.ParentName[i])
			r.ParentCols = append(r.ParentCols, l.m.Cols.Add(r.ParentName[i]))
		}
	}
	if r.Where != "" && !safeFragment(r.Where) {
		l.add(r.Pos, path, "\"where\" must be a plain SQL condition (no ';' or comments)")
	}
	r.Index = len(l.m.Children)
	l.m.Children = append(l.m.Children, r)
	return r
}

func (l *loader) transforms(n *yaml.Node, path string) []Transform {
	var items []*yaml.Node
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	} else {
		items = []*yaml.Node{n}
	}
	var out []Transform
	for _, it := range items {
		var name string
		var args []string
		switch it.Kind {
		case yaml.ScalarNode:
			name = it.Value
		case yaml.MappingNode:
			if len(it.Content) != 2 {
				l.add(l.pos(it), path, "a transform with arguments is written {name: argument}")
				continue
			}
			name = it.Content[0].Value
			args = l.strs(it.Content[1], path)
		default:
			l.add(l.pos(it), path, "expected a transform name or {name: argument}")
			continue
		}
		tr, err := newTransform(name, args, l.set.Location)
		if err != nil {
			l.add(l.pos(it), path, "%v", err)
			continue
		}
		out = append(out, tr)
	}
	return out
}

func (l *loader) concepts(n *yaml.Node) {
	for _, p := range l.pairs(n, "concepts") {
		name := p[0].Value
		path := "concepts." + name
		c := &ConceptMap{Pos: l.pos(p[0]), Name: name, Unmapped: "drop"}
		if prev := l.set.Concepts[name]; prev != nil {
			l.add(c.Pos, path, "concept map %q is already defined at %s", name, prev.Pos)
			continue
		}
		var entries, from *yaml.Node
		for _, q := range l.pairs(p[1], path, "system", "unmapped", "map", "from", "refresh") {
			switch q[0].Value {
			case "system":
				c.System, _ = l.str(q[1], path)
			case "unmapped":
				c.Unmapped, _ = l.str(q[1], path)
				if c.Unmapped != "drop" && c.Unmapped != "error" {
					l.add(l.pos(q[1]), path, "unmapped is \"drop\" (leave the element out and log a warning) or \"error\" (the read fails)")
				}
			case "map":
				entries = q[1]
			case "from":
				from = q[1]
			case "refresh":
				s, _ := l.str(q[1], path)
				d, err := time.ParseDuration(s)
				if err != nil || d < time.Minute {
					l.add(l.pos(q[1]), path, "refresh is a duration of a minute or more (30m, 6h)")
				}
				c.Refresh = d
			}
		}
		switch {
		case entries == nil && from == nil:
			l.add(c.Pos, path, "a concept map needs \"map\" (local code → code) or \"from\" (a table of them)")
		case entries != nil && from != nil:
			l.add(c.Pos, path, "give \"map\" or \"from\", not both")
		case from != nil:
			c.From = l.conceptSource(from, path)
		default:
			var locals []string
			var targets []Coding
			for _, e := range l.pairs(entries, path) {
				local := strings.TrimSpace(e[0].Value)
				t := Coding{System: c.System}
				if e[1].Kind == yaml.ScalarNode {
					t.Code = e[1].Value
				} else {
					l.strFields(e[1], path+"."+local, []string{"system", "code", "display"}, &t.System, &t.Code, &t.Display)
				}
				if t.Code == "" {
					l.add(l.pos(e[1]), path+"."+local, "target code is empty")
				}
				locals, targets = append(locals, local), append(targets, t)
			}
			c.SetEntries(locals, targets)
		}
		if c.Refresh > 0 && c.From == nil {
			l.add(c.Pos, path, "\"refresh\" is for a map read \"from\" a table")
		}
		l.set.Concepts[name] = c
	}
}

// conceptSource reads a concept map's from: {table, local, code, display,
// system}.
func (l *loader) conceptSource(n *yaml.Node, path string) *ConceptSource {
	s := &ConceptSource{Pos: l.pos(n)}
	l.strFields(n, path+" from", []string{"table", "local", "code", "display", "system"}, &s.Table, &s.Local, &s.Code, &s.Display, &s.System)
	if s.Table == "" || s.Local == "" || s.Code == "" {
		l.add(s.Pos, path, "a concept map read from a table needs \"table\", \"local\" (the column of local codes) and \"code\" (the column of target codes); \"display\" and \"system\" are optional")
		return nil
	}
	return s
}

func (l *loader) crossCheck() {
	for _, r := range l.refs {
		target := l.set.byType[r.ref.Resource]
		if ms := l.mappingsOf(r.ref.Resource); len(ms) > 1 || r.ref.byPrefix {
			target = nil
			var prefixes []string
			for _, m := range ms {
				prefixes = append(prefixes, fmt.Sprintf("%q", m.IDPrefix))
				if r.ref.byPrefix && m.IDPrefix == r.ref.prefix {
					target = m
				}
			}
			if target == nil {
				l.add(r.pos, r.path, "%s is mapped %d time(s), with id prefixes %s: name the one referenced with its id-prefix", r.ref.Resource, len(ms), strings.Join(prefixes, ", "))
				continue
			}
		}
		if stu3.Lookup(r.ref.Resource) == nil || !stu3.IsResource(r.ref.Resource) {
			l.add(r.pos, r.path, "unknown resource type %q", r.ref.Resource)
			continue
		}
		if target == nil {
			l.add(r.pos, r.path, "references %s, which no mapping serves", r.ref.Resource)
			continue
		}
		r.ref.target = target
		if len(target.From.Key) != len(r.ref.Key) {
			l.add(r.pos, r.path, "%s's key has %d column(s), this reference gives %d", r.ref.Resource, len(target.From.Key), len(r.ref.Key))
		}
	}
}

func literal(n *yaml.Node, typ string) any {
	switch typ {
	case "boolean":
		if n.Value == "true" {
			return true
		}
		if n.Value == "false" {
			return false
		}
	case "integer", "positiveInt", "unsignedInt", "decimal":
		return n.Value
	}
	return n.Value
}

func checkLiteral(v any, typ string) string {
	s, _ := v.(string)
	switch typ {
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Sprintf("%q is not a boolean (true or false)", s)
		}
	case "integer", "positiveInt", "unsignedInt":
		if !isInteger(s) {
			return fmt.Sprintf("%q is not an integer", s)
		}
	case "decimal":
		if !isDecimal(s) {
			return fmt.Sprintf("%q is not a decimal", s)
		}
	case "date", "dateTime", "instant":
		if !validDateText(typ, s) {
			return fmt.Sprintf("%q is not a valid FHIR %s", s, typ)
		}
	}
	return ""
}

func isSelect(q string) bool {
	u := strings.ToUpper(strings.TrimSpace(q))
	return (strings.HasPrefix(u, "SELECT") || strings.HasPrefix(u, "WITH")) && safeFragment(q)
}

// whyNotSelect names what keeps a query from being one SELECT.
func whyNotSelect(q string) string {
	u := strings.ToUpper(strings.TrimSpace(q))
	switch {
	case strings.Contains(q, "--") || strings.Contains(q, "/*"):
		return ": it holds an SQL comment (-- or /* */), which is not allowed here; write comments in YAML (#) beside the query"
	case strings.Contains(q, ";"):
		return ": it holds a ';' (a second statement, or a trailing one: remove it)"
	case !strings.HasPrefix(u, "SELECT") && !strings.HasPrefix(u, "WITH"):
		return ": it must start with SELECT or WITH"
	}
	return ""
}

// safeFragment rejects statement separators and comments in SQL the mapping
// author writes, so a fragment cannot smuggle a second statement.
func safeFragment(s string) bool {
	return !strings.Contains(s, ";") && !strings.Contains(s, "--") && !strings.Contains(s, "/*")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	return fmt.Sprintf("%q", n.Value)
}

func suggest(t *spec.Type, key string) string {
	best, bestD := "", 3
	for _, el := range t.Elements {
		name := strings.TrimSuffix(el.Name, "[x]")
		if d := textfn.EditDistance(strings.ToLower(name), strings.ToLower(key)); d < bestD {
			best, bestD = el.Name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// suggestResource offers the resource type a mistyped name most likely
// meant.
func suggestResource(name string) string {
	best, bestD := "", 3
	for _, r := range stu3.Resources() {
		if d := textfn.EditDistance(strings.ToLower(r), strings.ToLower(name)); d < bestD {
			best, bestD = r, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func yamlErrLine(err error) int {
	var line int
	if _, e := fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d:", &line); e == nil {
		return line
	}
	return 1
}

func cleanYAMLErr(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, "line ") {
		return s[i+2:]
	}
	return s
}
