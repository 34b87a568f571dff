package main

import (
	"bytes"
	"fmt"
	"go/format"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// The search table: every search parameter of every resource type, from
// the definitions of the search list, its FHIRPath expression translated
// into the path syntax of the SearchParameter of fhir/stu3 and fhir/r4
// against the element table.

// generateSearch returns the source of search_gen.go, and a summary of
// what it holds, from the search list and the element table generate
// built.
func (g *gen) generateSearch() ([]byte, string, error) {
	defs, err := parseSearchList(g.rel.Search)
	if err != nil {
		return nil, "", err
	}
	table, skips, err := g.searchTable(defs)
	if err != nil {
		return nil, "", err
	}
	g.search = table
	src, err := g.writeSearch(table, skips)
	if err != nil {
		return nil, "", err
	}
	n := 0
	for _, ps := range table {
		n += len(ps)
	}
	kinds := map[string]int{}
	for _, s := range skips {
		kinds[s.Kind]++
	}
	var ks []string
	for k, c := range kinds {
		ks = append(ks, fmt.Sprintf("%d %s", c, k))
	}
	sort.Strings(ks)
	return src, fmt.Sprintf("%d definitions: %d parameters of %d resource types; left out by base type: %s", len(defs), n, len(table), strings.Join(ks, ", ")), nil
}

// searchParam is one parameter of one resource type.
type searchParam struct {
	Name, Type, ID string
	Paths, Target  []string
}

// skipped is a definition, for one of its base types, left out of the
// table, and why.
type skipped struct {
	Base, ID, Kind, Why string
}

// Kinds of skipped definitions.
const (
	skipResource  = "resource-wide"
	skipComposite = "composite"
	skipSpecial   = "special"
	skipUntrans   = "not translatable"
	skipNoBase    = "base not in the table"
)

// searchTable translates the definitions against the element table.
func (g *gen) searchTable(defs []searchDef) (map[string][]searchParam, []skipped, error) {
	table := map[string][]searchParam{}
	var skips []skipped
	for _, d := range defs {
		for _, base := range d.Base {
			skip := func(kind, why string) { skips = append(skips, skipped{base, d.ID, kind, why}) }
			switch {
			case base == "Resource" || base == "DomainResource":
				skip(skipResource, "")
				continue
			case !g.isResourceName(base):
				skip(skipNoBase, "")
				continue
			case d.Type == "composite":
				skip(skipComposite, "")
				continue
			case d.Type == "special":
				skip(skipSpecial, "")
				continue
			}
			p, err := g.translate(d, base)
			if err != nil {
				skip(skipUntrans, err.Error())
				continue
			}
			table[base] = append(table[base], p)
		}
	}
	var problems []string
	for base, ps := range table {
		sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
		for i := 1; i < len(ps); i++ {
			if ps[i].Name == ps[i-1].Name {
				problems = append(problems, fmt.Sprintf("%s has two parameters %s: %s and %s", base, ps[i].Name, ps[i-1].ID, ps[i].ID))
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, nil, fmt.Errorf("stu3gen: %s search parameters:\n  %s", g.rel.Title, strings.Join(problems, "\n  "))
	}
	sort.Slice(skips, func(i, j int) bool {
		a, b := skips[i], skips[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Base != b.Base {
			return a.Base < b.Base
		}
		return a.ID < b.ID
	})
	return table, skips, nil
}

// translate turns the part of a definition's expression about one base
// type into paths, and its targets into the types the parameter limits
// references to.
//
// Each alternative (a | b) that starts at the base is a path of element
// names; a definition of one base may leave the base out (R4's
// InsurancePlan-name is "name | alias"). A choice element is "x[x]", or
// "x[T]" after .as(T) or "as T" (the type matched without regard to case:
// the definitions write DateTime for dateTime), which may go on:
// "(Observation.value as CodeableConcept).text" is value[CodeableConcept].text.
// A ContactPoint's .where(system='v') is the filter "|system=v", and a
// Reference's .where(resolve() is T) limits the targets to T. A reference
// parameter may search canonical elements (R4's instantiates-canonical),
// which may point to any resource. Anything else (other functions, indexes,
// a where inside a path) cannot be written as a path, and the definition
// is skipped for that base.
func (g *gen) translate(d searchDef, base string) (searchParam, error) {
	p := searchParam{Name: d.Code, Type: d.Type, ID: d.ID}
	if d.Expression == "" {
		return p, fmt.Errorf("no expression")
	}
	var elTargets []string // what the elements at the paths may point to
	var limit []string     // a where(resolve() is T) on every path
	limited := true
	for _, alt := range splitTop(d.Expression, '|') {
		alt = strings.TrimSpace(alt)
		for strings.HasPrefix(alt, "(") && strings.HasSuffix(alt, ")") && len(splitTop(alt[1:len(alt)-1], '|')) == 1 {
			alt = strings.TrimSpace(alt[1 : len(alt)-1])
		}
		if m := infixAs.FindStringSubmatch(alt); m != nil {
			alt = m[1] + ".as(" + m[2] + ")"
		}
		if end := closing(alt); end > 0 && strings.HasPrefix(alt[end+1:], ".") {
			if m := infixAs.FindStringSubmatch(strings.TrimSpace(alt[1:end])); m != nil {
				alt = m[1] + ".as(" + m[2] + ")" + alt[end+1:]
			}
		}
		steps := splitTop(alt, '.')
		if fhirName.MatchString(steps[0]) && len(d.Base) == 1 {
			steps = append([]string{base}, steps...)
		}
		if steps[0] != base {
			if !g.isResourceName(steps[0]) {
				return p, fmt.Errorf("%s: does not start at a resource type", alt)
			}
			continue // a path of another base type
		}
		path, targets, only, err := g.walk(base, steps[1:])
		if err != nil {
			return p, fmt.Errorf("%s: %v", alt, err)
		}
		p.Paths = append(p.Paths, path)
		elTargets = union(elTargets, targets)
		if only == nil {
			limited = false
		} else {
			limit = union(limit, only)
		}
	}
	if len(p.Paths) == 0 {
		return p, fmt.Errorf("no path starts at %s", base)
	}
	if d.Type == "reference" {
		target := d.Target
		if d.Code == "patient" {
			// A parameter named patient finds a patient's records:
			// clinical-patient lists Group beside Patient as a target
			// (R4 narrows its paths with where(resolve() is Patient)).
			target = []string{"Patient"}
		}
		t, err := referenceTargets(target, limit, limited, elTargets)
		if err != nil {
			return p, err
		}
		p.Target = t
	}
	return p, nil
}

var infixAs = regexp.MustCompile(`^(.*\S)\s+as\s+([A-Za-z]+)$`)

// referenceTargets gives a reference parameter's Target: the types of the
// definition's target (all the elements may point to, if it has none),
// narrowed by a where(resolve() is T) on every path, that the elements may
// point to; nil where that is all they may point to, so that a Target
// always leaves some out.
func referenceTargets(target, limit []string, limited bool, elTargets []string) ([]string, error) {
	t := append([]string(nil), target...)
	if len(t) == 0 {
		t = append(t, elTargets...)
	}
	if limited {
		if slices.Contains(t, "Resource") {
			t = append([]string(nil), limit...)
		} else {
			t = intersect(t, limit)
		}
	}
	if !slices.Contains(elTargets, "Resource") {
		t = intersect(t, elTargets)
	}
	if len(elTargets) == 0 {
		return nil, fmt.Errorf("a reference parameter, but no path ends at a Reference or canonical")
	}
	if len(t) == 0 {
		return nil, fmt.Errorf("its targets %v are none of the types its elements point to (%v)", target, elTargets)
	}
	if sameSet(t, elTargets) {
		return nil, nil
	}
	return t, nil
}

// walk follows the steps of one path (after the base type) through the
// element table. It returns the path, what a Reference there may point to,
// and the types a where(resolve() is T) limits it to (nil if none).
func (g *gen) walk(base string, steps []string) (string, []string, []string, error) {
	typ := g.types[base]
	var out []string
	var el *element   // the element of the last name step
	var elType string // its type, "" for a choice of types
	var only []string
	for i, s := range steps {
		last := i == len(steps)-1
		switch {
		case fhirName.MatchString(s):
			if typ == nil && elType == "" {
				return "", nil, nil, fmt.Errorf("%s: inside %s, a choice of types", s, el.Name)
			}
			if typ == nil {
				return "", nil, nil, fmt.Errorf("%s: inside a %s, which has no elements", s, elType)
			}
			el = nil
			for j := range typ.Elements {
				if e := &typ.Elements[j]; e.Name == s || e.Name == s+"[x]" {
					el = e
				}
			}
			if el == nil {
				return "", nil, nil, fmt.Errorf("%s has no element %s", typ.Name, s)
			}
			if strings.HasSuffix(el.Name, "[x]") {
				out = append(out, s+"[x]")
				elType, typ = "", nil
			} else {
				out = append(out, s)
				elType, typ = el.Types[0], g.types[el.Types[0]]
			}
		case asCall.MatchString(s) && el != nil:
			want := asCall.FindStringSubmatch(s)[1]
			t := ""
			for _, et := range el.Types {
				if strings.EqualFold(et, want) {
					t = et
				}
			}
			switch {
			case t == "":
				return "", nil, nil, fmt.Errorf("%s: %s is not a %s", s, el.Name, want)
			case strings.HasSuffix(el.Name, "[x]"):
				out[len(out)-1] = strings.TrimSuffix(el.Name, "[x]") + "[" + t + "]"
			}
			elType, typ = t, g.types[t]
		case whereSystem.MatchString(s) && last && elType == "ContactPoint":
			out[len(out)-1] += "|system=" + whereSystem.FindStringSubmatch(s)[1]
		case whereResolve.MatchString(s) && last && elType == "Reference":
			only = strings.Split(whereResolve.FindStringSubmatch(s)[1], " or resolve() is ")
		default:
			return "", nil, nil, fmt.Errorf("%s cannot be written as a path", s)
		}
	}
	var targets []string
	if el != nil && (elType == "Reference" || elType == "" && slices.Contains(el.Types, "Reference")) {
		targets = el.Targets
	}
	if el != nil && (elType == "canonical" || elType == "" && slices.Contains(el.Types, "canonical")) {
		targets = union(targets, []string{"Resource"})
	}
	return strings.Join(out, "."), targets, only, nil
}

var (
	fhirName     = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
	asCall       = regexp.MustCompile(`^as\(([A-Za-z]+)\)$`)
	whereSystem  = regexp.MustCompile(`^where\(system\s*=\s*'([a-z]+)'\)$`)
	whereResolve = regexp.MustCompile(`^where\(resolve\(\) is ([A-Z][A-Za-z]*(?: or resolve\(\) is [A-Z][A-Za-z]*)*)\)$`)
)

// closing gives the index of the parenthesis that closes the one s starts
// with, or -1.
func closing(s string) int {
	if !strings.HasPrefix(s, "(") {
		return -1
	}
	depth, quote := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quote = !quote
		case quote:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// splitTop splits s at sep outside parentheses and quotes.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, quote, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quote = !quote
		case quote:
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func union(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

func intersect(a, b []string) []string {
	var out []string
	for _, s := range a {
		if slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && len(intersect(a, b)) == len(a)
}

// writeSearch returns the source of search_gen.go.
func (g *gen) writeSearch(table map[string][]searchParam, skips []skipped) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by internal/gen/stu3gen from the SearchParameter definitions of the %s package (internal/gen/stu3gen/%s). DO NOT EDIT.\n\npackage %s\n\n", g.rel.Core, g.rel.SearchFile, g.rel.Name)
	n := 0
	for _, ps := range table {
		n += len(ps)
	}
	fmt.Fprintf(&b, "// searchParameters are the %s search parameters of every resource\n// type: %d parameters of %d types.\n//\n", g.rel.Title, n, len(table))
	b.WriteString("// Definitions left out, by base type (the engine provides _id and\n// _lastUpdated itself for every resource type):\n")
	kinds := map[string][]skipped{}
	var order []string
	for _, s := range skips {
		if kinds[s.Kind] == nil {
			order = append(order, s.Kind)
		}
		kinds[s.Kind] = append(kinds[s.Kind], s)
	}
	for _, k := range order {
		fmt.Fprintf(&b, "//\n//   - %s (%d):\n", k, len(kinds[k]))
		for _, s := range kinds[k] {
			if s.Why != "" {
				fmt.Fprintf(&b, "//     %s %s: %s\n", s.Base, s.ID, s.Why)
			} else {
				fmt.Fprintf(&b, "//     %s %s\n", s.Base, s.ID)
			}
		}
	}
	b.WriteString("var searchParameters = map[string][]SearchParameter{\n")
	for _, base := range slices.Sorted(maps.Keys(table)) {
		fmt.Fprintf(&b, "\t%q: {\n", base)
		for _, p := range table[base] {
			target := ""
			if len(p.Target) > 0 {
				target = ", Target: " + quoteList(p.Target)
			}
			fmt.Fprintf(&b, "\t\t{Name: %q, Type: %q, Paths: %s%s, ID: %q},\n", p.Name, p.Type, quoteList(p.Paths), target, p.ID)
		}
		b.WriteString("\t},\n")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
