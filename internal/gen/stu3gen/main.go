// Command stu3gen writes the table of a FHIR release's types: every
// resource, data type and backbone element with its elements in FHIR order,
// their cardinality, types, reference targets and the codes of required
// bindings. By default it writes fhir/stu3/types_gen.go for STU3 (3.0.1);
// with -fhir r4, fhir/r4/types_gen.go for R4 (4.0.1).
//
// The source of truth is the protocol buffers published by google/fhir
// (github.com/google/fhir/go), generated from the structure definitions of
// each release: message field order follows the specification's element
// order (but for R4's Reference, see fill), JSON names are in the
// descriptors, choice elements are messages marked is_choice_type,
// required elements carry validation_requirement, references carry
// valid_reference_type and required codes are messages wrapping an enum
// whose values spell the FHIR code (fhir_original_code, or the enum name
// lower-cased with "_" as "-"). The protos do not say which elements are
// summary elements (isSummary): that comes from the StructureDefinitions,
// through summary.txt (summary-r4.txt) beside this file.
//
// It also writes search_gen.go beside the table: the search parameters of
// every resource type, translated from the SearchParameter definitions of
// the specification, kept in searchparams.txt (searchparams-r4.txt) beside
// this file (see search.go for the translation and what is left out); and
// compartment_gen.go: the resource types of each compartment (Patient,
// Encounter, RelatedPerson, Practitioner, Device) with the search
// parameters that put a resource in it, from the CompartmentDefinitions,
// kept in compartments.txt (compartments-r4.txt); and release_gen.go: the
// package's Release (a spec.Release over those tables) and its functions.
//
// Run from the repository root: go run ./internal/gen/stu3gen [-fhir r4]
// (or go generate ./fhir/stu3 ./fhir/r4); that needs no copy of the
// specification. With -spec DIR, DIR being the package folder of the
// release's core package (CC0-1.0): hl7.fhir.core 3.0.1 or
// hl7.fhir.r4.core 4.0.1, from packages.fhir.org, or
// spec/hl7.fhir.core/3.0.1/package and spec/hl7.fhir.core/4.0.1/package in
// the google/fhir repository, it first rewrites the lists from the
// StructureDefinition-*.json, SearchParameter-*.json and
// CompartmentDefinition-*.json there. Run the tests of this package
// with CCFACADE_STU3_SPEC=DIR and CCFACADE_R4_SPEC=DIR to check the
// committed lists against them.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode"

	apb "github.com/google/fhir/go/proto/google/fhir/proto/annotations_go_proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

const hl7 = "http://hl7.org/fhir/StructureDefinition/"

type element struct {
	Name    string
	Min     int
	Max     string
	Types   []string
	Targets []string
	Codes   []string
	Summary bool
}

type typ struct {
	Name     string
	Kind     string // Resource, Complex, Primitive, Backbone
	Elements []element
}

// gen is one run of the generator over one release: the types it found
// and what went wrong.
type gen struct {
	rel   *release
	types map[string]*typ
	names map[protoreflect.FullName]string // message → FHIR type name
	// messages of the named types, filled once all names are known
	todo []protoreflect.MessageDescriptor
	// problems found while walking; any of them fails the run
	problems []string
	// summary holds the paths of the summary elements ("Patient.name",
	// "Observation.value[x]"); each is crossed off when its element is met.
	summary map[string]bool
	// added holds the choice elements given their missing types.
	added map[string]bool
	// search is the search table generateSearch built, by resource type.
	search map[string][]searchParam
}

func newGen(rel *release) *gen {
	return &gen{rel: rel, types: map[string]*typ{}, names: map[protoreflect.FullName]string{}, added: map[string]bool{}}
}

func (g *gen) problem(format string, args ...any) {
	g.problems = append(g.problems, fmt.Sprintf(format, args...))
}

func main() {
	fhir := flag.String("fhir", "stu3", "the FHIR release: stu3 or r4")
	out := flag.String("o", "", "output file (default: fhir/RELEASE/types_gen.go)")
	searchOut := flag.String("search-o", "", "the search table's output file (default: search_gen.go beside -o)")
	compartmentOut := flag.String("compartment-o", "", "the compartment table's output file (default: compartment_gen.go beside -o)")
	releaseOut := flag.String("release-o", "", "the package's functions' output file (default: release_gen.go beside -o)")
	spec := flag.String("spec", "", "the package folder of the release's core package (hl7.fhir.core 3.0.1, hl7.fhir.r4.core 4.0.1): rewrite the lists from its StructureDefinition-*.json, SearchParameter-*.json and CompartmentDefinition-*.json first")
	lists := flag.String("lists", "internal/gen/stu3gen", "the folder of the lists -spec writes")
	flag.Parse()
	log.SetFlags(0)
	rel, err := releaseNamed(*fhir)
	if err != nil {
		log.Fatal(err)
	}
	if *out == "" {
		*out = filepath.Join("fhir", rel.Name, "types_gen.go")
	}
	if *searchOut == "" {
		*searchOut = filepath.Join(filepath.Dir(*out), "search_gen.go")
	}
	if *compartmentOut == "" {
		*compartmentOut = filepath.Join(filepath.Dir(*out), "compartment_gen.go")
	}
	if *releaseOut == "" {
		*releaseOut = filepath.Join(filepath.Dir(*out), "release_gen.go")
	}
	if *spec != "" {
		if err := rewriteLists(rel, *spec, *lists); err != nil {
			log.Fatal(err)
		}
	}
	g := newGen(rel)
	src, err := g.generate()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
	writeTable(*searchOut, g.generateSearch)
	writeTable(*compartmentOut, g.generateCompartment)
	writeTable(*releaseOut, g.generateRelease)
	count := map[string]int{}
	for _, t := range g.types {
		count[t.Kind]++
	}
	fmt.Printf("wrote %s (%d bytes): %d types: %d resources, %d complex, %d primitive, %d backbone\n",
		*out, len(src), len(g.types), count["Resource"], count["Complex"], count["Primitive"], count["Backbone"])
}

// rewriteLists writes the release's lists in the folder lists from the
// specification files in spec, and has the release use them.
func rewriteLists(rel *release, spec, lists string) error {
	list, err := summaryFromSpec(rel, spec)
	if err := saveList(lists, rel.SummaryFile, list, err); err != nil {
		return err
	}
	rel.Summary = list
	fmt.Printf("wrote %s: %d summary elements\n", rel.SummaryFile, len(parseSummary(list)))
	slist, experimental, err := searchFromSpec(rel, spec)
	if err := saveList(lists, rel.SearchFile, slist, err); err != nil {
		return err
	}
	rel.Search = slist
	defs, _ := parseSearchList(slist)
	fmt.Printf("wrote %s: %d search parameter definitions (%d experimental ones left out)\n", rel.SearchFile, len(defs), experimental)
	clist, err := compartmentFromSpec(rel, spec)
	if err := saveList(lists, rel.CompartmentFile, clist, err); err != nil {
		return err
	}
	rel.Compartment = clist
	cdefs, _ := parseCompartmentList(clist)
	fmt.Printf("wrote %s: %d resource types of compartments\n", rel.CompartmentFile, len(cdefs))
	return nil
}

// generate walks the protos and returns the source of types_gen.go. It is
// called once.
func (g *gen) generate() ([]byte, error) {
	g.summary = parseSummary(g.rel.Summary)
	if len(g.summary) == 0 {
		return nil, fmt.Errorf("stu3gen: the %s summary list is empty", g.rel.Title)
	}
	// Primitive and complex data types. The abstract Element and
	// BackboneElement, and google's own Coding profiles, are left out.
	for _, fd := range g.rel.Datatypes() {
		for i := 0; i < fd.Messages().Len(); i++ {
			md := fd.Messages().Get(i)
			url := sdURL(md)
			if !strings.HasPrefix(url, hl7) || abstract(md) {
				continue
			}
			kind := "Complex"
			if proto.GetExtension(md.Options(), apb.E_StructureDefinitionKind).(apb.StructureDefinitionKindValue) == apb.StructureDefinitionKindValue_KIND_PRIMITIVE_TYPE {
				kind = "Primitive"
			}
			g.register(md, strings.TrimPrefix(url, hl7), kind)
		}
	}
	// Resources: the message of "any resource" has one field per
	// concrete resource. The abstract Resource and DomainResource are not
	// among them: their elements head every resource.
	contained := g.rel.Contained()
	for i := 0; i < contained.Fields().Len(); i++ {
		md := contained.Fields().Get(i).Message()
		if md == nil || !strings.HasPrefix(sdURL(md), hl7) || abstract(md) {
			g.problem("%s has %s, which is not a resource", contained.FullName(), contained.Fields().Get(i).Name())
			continue
		}
		g.register(md, strings.TrimPrefix(sdURL(md), hl7), "Resource")
	}

	for _, md := range g.todo {
		t := g.types[g.names[md.FullName()]]
		if t.Kind == "Primitive" {
			// The value itself is not an element: a primitive's JSON
			// companion (_name) holds only id and extension.
			t.Elements = []element{
				{Name: "id", Max: "1", Types: []string{"string"}},
				{Name: "extension", Max: "*", Types: []string{"Extension"}},
			}
			continue
		}
		g.fill(md, t)
	}
	for p := range g.rel.MissingChoices {
		if !g.added[p] {
			g.problem("%s, which misses types, is not in the table", p)
		}
	}
	// Every summary element must be one of the table: a path that is not
	// means the list and the protos disagree.
	left := make([]string, 0, len(g.summary))
	for p := range g.summary {
		left = append(left, p)
	}
	sort.Strings(left)
	for _, p := range left {
		g.problem("summary element %s is not in the table", p)
	}
	if len(g.problems) > 0 {
		return nil, fmt.Errorf("stu3gen: %s:\n  %s", g.rel.Title, strings.Join(g.problems, "\n  "))
	}
	return g.write()
}

func sdURL(md protoreflect.MessageDescriptor) string {
	s, _ := proto.GetExtension(md.Options(), apb.E_FhirStructureDefinitionUrl).(string)
	return s
}

func abstract(md protoreflect.MessageDescriptor) bool {
	b, _ := proto.GetExtension(md.Options(), apb.E_IsAbstractType).(bool)
	return b
}

func (g *gen) register(md protoreflect.MessageDescriptor, name, kind string) {
	if _, dup := g.types[name]; dup {
		g.problem("type %s defined twice", name)
		return
	}
	g.names[md.FullName()] = name
	g.types[name] = &typ{Name: name, Kind: kind}
	g.todo = append(g.todo, md)
}

// fill lists the elements of the type t, message md, depth first so that a
// backbone element is named by the path where the specification defines
// it: elements that reuse it (contentReference, e.g. Questionnaire.item.item)
// come later in FHIR order and name the same type.
func (g *gen) fill(md protoreflect.MessageDescriptor, t *typ) {
	fs := md.Fields()
	for i := 0; i < fs.Len(); i++ {
		f := fs.Get(i)
		if f.Message() == nil {
			g.problem("%s.%s: not a message field", t.Name, f.Name())
			continue
		}
		if t.Name == "Reference" {
			// The proto splits Reference.reference into a uri, a
			// fragment and one typed id per resource type; FHIR has the
			// one string element "reference" (json name of uri).
			if f.Name() == "fragment" || f.ContainingOneof() != nil && f.JSONName() != "reference" {
				continue
			}
		}
		el := element{Name: f.JSONName(), Max: "1"}
		if f.Cardinality() == protoreflect.Repeated {
			el.Max = "*"
		}
		if proto.GetExtension(f.Options(), apb.E_ValidationRequirement).(apb.Requirement) == apb.Requirement_REQUIRED_BY_FHIR {
			el.Min = 1
		}
		path := t.Name + "." + el.Name
		if cm := f.Message(); proto.GetExtension(cm.Options(), apb.E_IsChoiceType).(bool) {
			el.Name += "[x]"
			el.Summary = g.take(path + "[x]")
			for j := 0; j < cm.Fields().Len(); j++ {
				cf := cm.Fields().Get(j)
				ct, codes := g.fieldType(cf, path)
				if want := jsonSuffix(ct); upperFirst(cf.JSONName()) != want {
					g.problem("%s[x]: option %s has type %s, whose JSON suffix is %s", path, cf.JSONName(), ct, want)
				}
				el.Types = append(el.Types, ct)
				if ct == "Reference" {
					el.Targets = append(el.Targets, g.targets(cf, path)...)
				}
				el.Codes = append(el.Codes, codes...)
			}
			for _, ct := range g.rel.MissingChoices[path+"[x]"] {
				if slices.Contains(el.Types, ct) || g.types[ct] == nil {
					g.problem("%s[x]: the missing type %s is there already, or no type", path, ct)
				}
				el.Types = append(el.Types, ct)
				g.added[path+"[x]"] = true
			}
		} else {
			el.Summary = g.take(path)
			ct, codes := g.fieldType(f, path)
			el.Types = []string{ct}
			el.Codes = codes
			if ct == "Reference" {
				el.Targets = g.targets(f, path)
			}
		}
		t.Elements = append(t.Elements, el)
	}
	// Every element type starts with id and extension (and a backbone
	// element with modifierExtension next); a resource has extension after
	// contained. The proto puts Extension's own extension list last.
	if t.Kind != "Resource" {
		for i, e := range t.Elements {
			if e.Name == "extension" && i > 1 && t.Elements[0].Name == "id" {
				moveTo(t, i, 1)
				break
			}
		}
	}
	// R4's proto puts Reference.type (new in R4) before the reference,
	// which FHIR has first.
	if t.Name == "Reference" {
		for i, e := range t.Elements {
			if e.Name == "reference" && i > 2 {
				moveTo(t, i, 2)
				break
			}
		}
	}
	g.checkHead(t)
}

// moveTo moves the element at from to the position to (< from), after
// the elements before it.
func moveTo(t *typ, from, to int) {
	e := t.Elements[from]
	copy(t.Elements[to+1:from+1], t.Elements[to:from])
	t.Elements[to] = e
}

// take reports whether the element of the path is a summary element, and
// crosses it off the list.
func (g *gen) take(path string) bool {
	if !g.summary[path] {
		return false
	}
	delete(g.summary, path)
	return true
}

// checkHead verifies the elements every type of its kind starts with.
func (g *gen) checkHead(t *typ) {
	var head []string
	switch t.Kind {
	case "Resource":
		head = []string{"id", "meta", "implicitRules", "language"}
		if len(t.Elements) > 4 && t.Elements[4].Name == "text" {
			head = append(head, "text", "contained", "extension", "modifierExtension")
		}
	case "Backbone":
		head = []string{"id", "extension", "modifierExtension"}
		if !g.isResourceName(t.Name[:strings.Index(t.Name, ".")]) {
			// the parts of a data type are Elements, without
			// modifierExtension
			head = head[:2]
		}
	default:
		head = []string{"id", "extension"}
	}
	for i, h := range head {
		if i >= len(t.Elements) || t.Elements[i].Name != h {
			g.problem("%s does not start with %v: %v", t.Name, head, elementNames(t))
			return
		}
	}
	for _, e := range t.Elements[len(head):] {
		for _, h := range head {
			if e.Name == h {
				g.problem("%s has %s twice", t.Name, h)
			}
		}
	}
}

func (g *gen) isResourceName(n string) bool {
	t := g.types[n]
	return t != nil && t.Kind == "Resource"
}

func elementNames(t *typ) []string {
	var n []string
	for _, e := range t.Elements {
		n = append(n, e.Name)
	}
	return n
}

// fieldType gives the FHIR type of a field, and for a code with a required
// binding its codes. A message that is neither a named type nor a code is a
// backbone element, named by its path.
func (g *gen) fieldType(f protoreflect.FieldDescriptor, path string) (string, []string) {
	md := f.Message()
	if n, ok := g.names[md.FullName()]; ok {
		if t := g.types[n]; t.Kind == "Backbone" && !strings.HasPrefix(path, n[:strings.Index(n, ".")]+".") {
			g.problem("%s reuses %s from another type", path, n)
		}
		return n, nil
	}
	// A contained resource: STU3's protos type it as the message of any
	// resource, R4's as a google.protobuf.Any.
	if md.FullName() == g.rel.Contained().FullName() || md.FullName() == "google.protobuf.Any" {
		return "Resource", nil
	}
	if proto.HasExtension(md.Options(), apb.E_FhirValuesetUrl) {
		return "code", g.enumCodes(md, path)
	}
	if _, nested := md.Parent().(protoreflect.MessageDescriptor); !nested || sdURL(md) != "" {
		g.problem("%s: unexpected type %s", path, md.FullName())
		return string(md.Name()), nil
	}
	g.names[md.FullName()] = path
	t := &typ{Name: path, Kind: "Backbone"}
	g.types[path] = t
	g.fill(md, t)
	return path, nil
}

// enumCodes lists the codes of a code message whose value is an enum, in
// the order of the value set; nil when the value is a free string.
func (g *gen) enumCodes(md protoreflect.MessageDescriptor, path string) []string {
	vf := md.Fields().ByName("value")
	if vf == nil {
		g.problem("%s: code %s has no value", path, md.FullName())
		return nil
	}
	if vf.Enum() == nil {
		return nil
	}
	var out []string
	vals := vf.Enum().Values()
	for i := 0; i < vals.Len(); i++ {
		v := vals.Get(i)
		if v.Number() == 0 {
			continue // INVALID_UNINITIALIZED
		}
		code, _ := proto.GetExtension(v.Options(), apb.E_FhirOriginalCode).(string)
		if code == "" {
			code = strings.ReplaceAll(strings.ToLower(string(v.Name())), "_", "-")
		}
		out = append(out, code)
	}
	return out
}

// targets lists the resource types a Reference may point to. A Reference
// the specification does not restrict (Linkage.item.resource, the Reference
// of an open type such as Extension.value[x]) points to any: "Resource".
func (g *gen) targets(f protoreflect.FieldDescriptor, path string) []string {
	t, _ := proto.GetExtension(f.Options(), apb.E_ValidReferenceType).([]string)
	if len(t) == 0 {
		return []string{"Resource"}
	}
	for _, r := range t {
		if r != "Resource" && !g.isResourceName(r) {
			g.problem("%s: reference target %q is not a resource", path, r)
		}
	}
	return t
}

// jsonSuffix is what a type adds to a choice element's name in JSON:
// valueQuantity, deceasedBoolean. SimpleQuantity and MoneyQuantity are
// profiles of Quantity and spelled as such.
func jsonSuffix(t string) string {
	if t == "SimpleQuantity" || t == "MoneyQuantity" {
		return "Quantity"
	}
	return upperFirst(t)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// ---- output

// minShared is how many types must have an element for it to be written
// once, as a variable.
const minShared = 10

func (g *gen) write() ([]byte, error) {
	keys := make([]string, 0, len(g.types))
	for k := range g.types {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	// Lists used more than once are shared variables; the rest are
	// written in place.
	uses := map[string]int{}
	key := func(l []string) string { return strings.Join(l, "|") }
	for _, k := range keys {
		for _, e := range g.types[k].Elements {
			for _, l := range [][]string{e.Types, e.Targets, e.Codes} {
				if len(l) > 0 {
					uses[key(l)]++
				}
			}
		}
	}
	shared := map[string]string{}
	var decls []string
	seq := map[byte]int{}
	ref := func(l []string, prefix byte) string {
		if len(l) == 0 {
			return "nil"
		}
		k := key(l)
		if uses[k] < 2 {
			return quoteList(l)
		}
		if v, ok := shared[k]; ok {
			return v
		}
		var v string
		if len(l) == 1 {
			v = "l" + ident(l[0])
		} else {
			v = fmt.Sprintf("%c%d", prefix, seq[prefix])
			seq[prefix]++
		}
		shared[k] = v
		decls = append(decls, fmt.Sprintf("\t%s = %s\n", v, quoteList(l)))
		return v
	}

	elem := func(e element) string {
		tp := ref(e.Types, 't')
		if len(e.Types) > 1 {
			tp = ref(e.Types, 'x')
		}
		// Keyed fields (the struct is fhir/spec's), zero values left out.
		f := []string{fmt.Sprintf("Name: %q", e.Name)}
		if e.Min != 0 {
			f = append(f, fmt.Sprintf("Min: %d", e.Min))
		}
		f = append(f, fmt.Sprintf("Max: %q", e.Max), "Types: "+tp)
		if len(e.Targets) > 0 {
			f = append(f, "Targets: "+ref(e.Targets, 'r'))
		}
		if len(e.Codes) > 0 {
			f = append(f, "Codes: "+ref(e.Codes, 'c'))
		}
		if e.Summary {
			f = append(f, "Summary: true")
		}
		return "{" + strings.Join(f, ", ") + "}"
	}

	// Elements found in many types (id, extension, the head of every
	// resource, identifier...) are shared variables too.
	ekey := func(e element) string {
		return fmt.Sprintf("%s %d %s %s %s %s %t", e.Name, e.Min, e.Max, key(e.Types), key(e.Targets), key(e.Codes), e.Summary)
	}
	ecount := map[string]int{}
	efirst := map[string]element{}
	for _, k := range keys {
		for _, e := range g.types[k].Elements {
			ek := ekey(e)
			if ecount[ek] == 0 {
				efirst[ek] = e
			}
			ecount[ek]++
		}
	}
	var common []string
	for ek, n := range ecount {
		if n >= minShared {
			common = append(common, ek)
		}
	}
	sort.Slice(common, func(i, j int) bool {
		if ecount[common[i]] != ecount[common[j]] {
			return ecount[common[i]] > ecount[common[j]]
		}
		return common[i] < common[j]
	})
	// A shared element is named after it (eIdentifier); one that differs
	// from a more common element of the same name says how (eIdId,
	// eNameRequired, eIdentifierSingle).
	evar := map[string]string{}
	taken := map[string]bool{}
	firstOf := map[string]element{}
	var edecls []string
	for _, ek := range common {
		e := efirst[ek]
		v := "e" + upperFirst(e.Name)
		if f, ok := firstOf[e.Name]; ok {
			if key(f.Types) != key(e.Types) {
				v += ident(strings.Join(e.Types, "Or"))
			}
			if f.Min != e.Min {
				v += map[int]string{0: "Optional", 1: "Required"}[e.Min]
			}
			if f.Max != e.Max {
				v += map[string]string{"1": "Single", "*": "List"}[e.Max]
			}
			if f.Summary != e.Summary {
				v += map[bool]string{false: "Detail", true: "Summary"}[e.Summary]
			}
		} else {
			firstOf[e.Name] = e
		}
		for n, base := 2, v; taken[v]; n++ {
			v = fmt.Sprintf("%s%d", base, n)
		}
		taken[v] = true
		evar[ek] = v
		edecls = append(edecls, fmt.Sprintf("\t%s = Element%s // in %d types\n", v, elem(e), ecount[ek]))
	}

	var body bytes.Buffer
	var resources []string
	for _, k := range keys {
		t := g.types[k]
		if t.Kind == "Resource" {
			resources = append(resources, k)
		}
		fmt.Fprintf(&body, "\t%q: {Name: %q, Kind: %s, Elements: []Element{", k, k, t.Kind)
		run := false // on a line of shared elements
		for _, e := range t.Elements {
			if v, ok := evar[ekey(e)]; ok {
				if !run {
					body.WriteString("\n\t\t")
				} else {
					body.WriteString(" ")
				}
				body.WriteString(v + ",")
				run = true
				continue
			}
			body.WriteString("\n\t\t" + elem(e) + ",")
			run = false
		}
		body.WriteString("\n\t}},\n")
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by internal/gen/stu3gen from the google/fhir %[1]s protocol buffers and the summary flags of the %[1]s StructureDefinitions. DO NOT EDIT.\n\npackage %[2]s\n\n", g.rel.Title, g.rel.Name)
	b.WriteString("// resources lists the resource types in order.\nvar resources = " + quoteList(resources) + "\n\n")
	b.WriteString("var table = map[string]*Type{\n")
	b.Write(body.Bytes())
	b.WriteString("}\n\n// Elements shared by many types.\nvar (\n")
	for _, d := range edecls {
		b.WriteString(d)
	}
	b.WriteString(")\n\n// Lists shared by several elements.\nvar (\n")
	for _, d := range decls {
		b.WriteString(d)
	}
	b.WriteString(")\n")
	return format.Source(b.Bytes())
}

// ident makes a Go identifier part of a type name: "Patient.contact" →
// "PatientContact".
func ident(s string) string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		parts[i] = upperFirst(p)
	}
	return strings.Join(parts, "")
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

// saveList writes a list made from the specification to its file in the
// folder lists, unless making it failed (err).
func saveList(lists, file string, list []byte, err error) error {
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(lists, file), list, 0o644)
}

// writeTable writes the source a generator gives to a file, and says so
// with the generator's figures; it stops the program on an error.
func writeTable(path string, generate func() ([]byte, string, error)) {
	src, stats, err := generate()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %s (%d bytes): %s\n", path, len(src), stats)
}
