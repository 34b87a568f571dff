// Command stu3gen writes fhir/stu3/types_gen.go: every FHIR STU3 (3.0.1)
// resource, data type and backbone element with its elements in FHIR order,
// their cardinality, types, reference targets and the codes of required
// bindings.
//
// The source of truth is the STU3 protocol buffers published by google/fhir
// (github.com/google/fhir/go), generated from the 3.0.1 structure
// definitions: message field order follows the specification's element
// order, JSON names are in the descriptors, choice elements are messages
// marked is_choice_type, required elements carry validation_requirement,
// references carry valid_reference_type and required codes are messages
// wrapping an enum whose values spell the FHIR code (fhir_original_code, or
// the enum name lower-cased with "_" as "-"). The protos do not say which
// elements are summary elements (isSummary): that comes from the STU3
// StructureDefinitions, through summary.txt beside this file.
//
// It also writes fhir/stu3/search_gen.go: the search parameters of every
// resource type, translated from the SearchParameter definitions of the
// STU3 specification, kept in searchparams.txt beside this file (see
// search.go for the translation and what is left out); and
// fhir/stu3/compartment_gen.go: the resource types of each compartment
// (Patient, Encounter, RelatedPerson, Practitioner, Device) with the
// search parameters that put a resource in it, from the
// CompartmentDefinitions, kept in compartments.txt beside this file.
//
// Run from the repository root: go run ./internal/gen/stu3gen
// (or go generate ./fhir/stu3); that needs no copy of the specification.
// With -spec DIR, DIR being the package folder of hl7.fhir.core 3.0.1
// (CC0-1.0; the npm package hl7.fhir.core@3.0.1 from packages.fhir.org,
// or spec/hl7.fhir.core/3.0.1/package in the google/fhir repository), it
// first rewrites summary.txt from the StructureDefinition-*.json,
// searchparams.txt from the SearchParameter-*.json and compartments.txt
// from the CompartmentDefinition-*.json there. Run the tests
// of this package with CCFACADE_STU3_SPEC=DIR to check the committed
// lists against it.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	apb "github.com/google/fhir/go/proto/google/fhir/proto/annotations_go_proto"
	d3 "github.com/google/fhir/go/proto/google/fhir/proto/stu3/datatypes_go_proto"
	m3 "github.com/google/fhir/go/proto/google/fhir/proto/stu3/metadatatypes_go_proto"
	r3 "github.com/google/fhir/go/proto/google/fhir/proto/stu3/resources_go_proto"
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

var (
	types = map[string]*typ{}
	names = map[protoreflect.FullName]string{} // message → FHIR type name
	// messages of the named types, filled once all names are known
	todo []protoreflect.MessageDescriptor
	// problems found while walking; any of them fails the run
	problems []string
	// summary holds the paths of the summary elements ("Patient.name",
	// "Observation.value[x]"); each is crossed off when its element is met.
	summary map[string]bool
	// summarySrc is the summary list generate reads.
	summarySrc = summaryList
	// searchSrc is the search list generateSearch reads.
	searchSrc = searchList
)

func problem(format string, args ...any) {
	problems = append(problems, fmt.Sprintf(format, args...))
}

func main() {
	out := flag.String("o", "fhir/stu3/types_gen.go", "output file")
	searchOut := flag.String("search-o", "", "the search table's output file (default: search_gen.go beside -o)")
	compOut := flag.String("compartments-o", "", "the compartment table's output file (default: compartment_gen.go beside -o)")
	spec := flag.String("spec", "", "the package folder of hl7.fhir.core 3.0.1: rewrite the summary and search lists from its StructureDefinition-*.json and SearchParameter-*.json first")
	summaryOut := flag.String("summary", "internal/gen/stu3gen/summary.txt", "the summary list -spec writes")
	searchListOut := flag.String("search", "internal/gen/stu3gen/searchparams.txt", "the search list -spec writes")
	compListOut := flag.String("compartments", "internal/gen/stu3gen/compartments.txt", "the compartment list -spec writes")
	flag.Parse()
	log.SetFlags(0)
	if *searchOut == "" {
		*searchOut = filepath.Join(filepath.Dir(*out), "search_gen.go")
	}
	if *compOut == "" {
		*compOut = filepath.Join(filepath.Dir(*out), "compartment_gen.go")
	}
	if *spec != "" {
		list, err := summaryFromSpec(*spec)
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(*summaryOut, list, 0o644); err != nil {
			log.Fatal(err)
		}
		summarySrc = list
		fmt.Printf("wrote %s: %d summary elements\n", *summaryOut, len(parseSummary(list)))
		slist, experimental, err := searchFromSpec(*spec)
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(*searchListOut, slist, 0o644); err != nil {
			log.Fatal(err)
		}
		searchSrc = slist
		defs, _ := parseSearchList(slist)
		fmt.Printf("wrote %s: %d search parameter definitions (%d experimental ones left out)\n", *searchListOut, len(defs), experimental)
		clist, err := compartmentFromSpec(*spec)
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(*compListOut, clist, 0o644); err != nil {
			log.Fatal(err)
		}
		compartmentSrc = clist
		cdefs, _ := parseCompartmentList(clist)
		fmt.Printf("wrote %s: %d resource types of compartments\n", *compListOut, len(cdefs))
	}
	src, err := generate()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
	ssrc, stats, err := generateSearch()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*searchOut, ssrc, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %s (%d bytes): %s\n", *searchOut, len(ssrc), stats)
	csrc, cstats, err := generateCompartments(searchTab)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*compOut, csrc, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %s (%d bytes): %s\n", *compOut, len(csrc), cstats)
	count := map[string]int{}
	for _, t := range types {
		count[t.Kind]++
	}
	fmt.Printf("wrote %s (%d bytes): %d types: %d resources, %d complex, %d primitive, %d backbone\n",
		*out, len(src), len(types), count["Resource"], count["Complex"], count["Primitive"], count["Backbone"])
}

// generate walks the protos and returns the source of types_gen.go. It is
// called once.
func generate() ([]byte, error) {
	summary = parseSummary(summarySrc)
	if len(summary) == 0 {
		return nil, fmt.Errorf("stu3gen: the summary list is empty")
	}
	// Primitive and complex data types. The abstract Element and
	// BackboneElement, and google's own Coding profiles, are left out.
	for _, fd := range []protoreflect.FileDescriptor{
		d3.File_proto_google_fhir_proto_stu3_datatypes_proto,
		m3.File_proto_google_fhir_proto_stu3_metadatatypes_proto,
	} {
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
			register(md, strings.TrimPrefix(url, hl7), kind)
		}
	}
	// Resources: every concrete resource message. The abstract Resource
	// and DomainResource are left out: their elements head every resource.
	fd := r3.File_proto_google_fhir_proto_stu3_resources_proto
	for i := 0; i < fd.Messages().Len(); i++ {
		md := fd.Messages().Get(i)
		url := sdURL(md)
		if !strings.HasPrefix(url, hl7) || abstract(md) {
			continue
		}
		register(md, strings.TrimPrefix(url, hl7), "Resource")
	}
	// ContainedResource, the proto of "any resource", has one field per
	// concrete resource: none may be missing from the table.
	contained := (&r3.ContainedResource{}).ProtoReflect().Descriptor()
	nres := 0
	for _, t := range types {
		if t.Kind == "Resource" {
			nres++
		}
	}
	for i := 0; i < contained.Fields().Len(); i++ {
		if md := contained.Fields().Get(i).Message(); !isResourceName(names[md.FullName()]) {
			problem("ContainedResource has %s, which is not in the table", md.FullName())
		}
	}
	if contained.Fields().Len() != nres {
		problem("%d resources but ContainedResource has %d", nres, contained.Fields().Len())
	}

	for _, md := range todo {
		t := types[names[md.FullName()]]
		if t.Kind == "Primitive" {
			// The value itself is not an element: a primitive's JSON
			// companion (_name) holds only id and extension.
			t.Elements = []element{
				{Name: "id", Max: "1", Types: []string{"string"}},
				{Name: "extension", Max: "*", Types: []string{"Extension"}},
			}
			continue
		}
		fill(md, t)
	}
	// Every summary element must be one of the table: a path that is not
	// means the list and the protos disagree.
	left := make([]string, 0, len(summary))
	for p := range summary {
		left = append(left, p)
	}
	sort.Strings(left)
	for _, p := range left {
		problem("summary element %s is not in the table", p)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("stu3gen:\n  %s", strings.Join(problems, "\n  "))
	}
	return write()
}

func sdURL(md protoreflect.MessageDescriptor) string {
	s, _ := proto.GetExtension(md.Options(), apb.E_FhirStructureDefinitionUrl).(string)
	return s
}

func abstract(md protoreflect.MessageDescriptor) bool {
	b, _ := proto.GetExtension(md.Options(), apb.E_IsAbstractType).(bool)
	return b
}

func register(md protoreflect.MessageDescriptor, name, kind string) {
	if _, dup := types[name]; dup {
		problem("type %s defined twice", name)
		return
	}
	names[md.FullName()] = name
	types[name] = &typ{Name: name, Kind: kind}
	todo = append(todo, md)
}

// fill lists the elements of the type t, message md, depth first so that a
// backbone element is named by the path where the specification defines
// it: elements that reuse it (contentReference, e.g. Questionnaire.item.item)
// come later in FHIR order and name the same type.
func fill(md protoreflect.MessageDescriptor, t *typ) {
	fs := md.Fields()
	for i := 0; i < fs.Len(); i++ {
		f := fs.Get(i)
		if f.Message() == nil {
			problem("%s.%s: not a message field", t.Name, f.Name())
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
			el.Summary = take(path + "[x]")
			for j := 0; j < cm.Fields().Len(); j++ {
				cf := cm.Fields().Get(j)
				ct, codes := fieldType(cf, path)
				if want := jsonSuffix(ct); upperFirst(cf.JSONName()) != want {
					problem("%s[x]: option %s has type %s, whose JSON suffix is %s", path, cf.JSONName(), ct, want)
				}
				el.Types = append(el.Types, ct)
				if ct == "Reference" {
					el.Targets = append(el.Targets, targets(cf, path)...)
				}
				el.Codes = append(el.Codes, codes...)
			}
		} else {
			el.Summary = take(path)
			ct, codes := fieldType(f, path)
			el.Types = []string{ct}
			el.Codes = codes
			if ct == "Reference" {
				el.Targets = targets(f, path)
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
				copy(t.Elements[2:i+1], t.Elements[1:i])
				t.Elements[1] = e
				break
			}
		}
	}
	checkHead(t)
}

// take reports whether the element of the path is a summary element, and
// crosses it off the list.
func take(path string) bool {
	if !summary[path] {
		return false
	}
	delete(summary, path)
	return true
}

// checkHead verifies the elements every type of its kind starts with.
func checkHead(t *typ) {
	var head []string
	switch t.Kind {
	case "Resource":
		head = []string{"id", "meta", "implicitRules", "language"}
		if len(t.Elements) > 4 && t.Elements[4].Name == "text" {
			head = append(head, "text", "contained", "extension", "modifierExtension")
		}
	case "Backbone":
		head = []string{"id", "extension", "modifierExtension"}
		if !isResourceName(t.Name[:strings.Index(t.Name, ".")]) {
			// the parts of a data type are Elements, without
			// modifierExtension
			head = head[:2]
		}
	default:
		head = []string{"id", "extension"}
	}
	for i, h := range head {
		if i >= len(t.Elements) || t.Elements[i].Name != h {
			problem("%s does not start with %v: %v", t.Name, head, elementNames(t))
			return
		}
	}
	for _, e := range t.Elements[len(head):] {
		for _, h := range head {
			if e.Name == h {
				problem("%s has %s twice", t.Name, h)
			}
		}
	}
}

func isResourceName(n string) bool {
	t := types[n]
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
func fieldType(f protoreflect.FieldDescriptor, path string) (string, []string) {
	md := f.Message()
	if n, ok := names[md.FullName()]; ok {
		if t := types[n]; t.Kind == "Backbone" && !strings.HasPrefix(path, n[:strings.Index(n, ".")]+".") {
			problem("%s reuses %s from another type", path, n)
		}
		return n, nil
	}
	if md.FullName() == "google.fhir.stu3.proto.ContainedResource" {
		return "Resource", nil
	}
	if proto.HasExtension(md.Options(), apb.E_FhirValuesetUrl) {
		return "code", enumCodes(md, path)
	}
	if _, nested := md.Parent().(protoreflect.MessageDescriptor); !nested || sdURL(md) != "" {
		problem("%s: unexpected type %s", path, md.FullName())
		return string(md.Name()), nil
	}
	names[md.FullName()] = path
	t := &typ{Name: path, Kind: "Backbone"}
	types[path] = t
	fill(md, t)
	return path, nil
}

// enumCodes lists the codes of a code message whose value is an enum, in
// the order of the value set; nil when the value is a free string.
func enumCodes(md protoreflect.MessageDescriptor, path string) []string {
	vf := md.Fields().ByName("value")
	if vf == nil {
		problem("%s: code %s has no value", path, md.FullName())
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
func targets(f protoreflect.FieldDescriptor, path string) []string {
	t, _ := proto.GetExtension(f.Options(), apb.E_ValidReferenceType).([]string)
	if len(t) == 0 {
		return []string{"Resource"}
	}
	for _, r := range t {
		if r != "Resource" && !isResourceName(r) {
			problem("%s: reference target %q is not a resource", path, r)
		}
	}
	return t
}

// jsonSuffix is what a type adds to a choice element's name in JSON:
// valueQuantity, deceasedBoolean. SimpleQuantity is a profile of Quantity
// and spelled as such.
func jsonSuffix(t string) string {
	if t == "SimpleQuantity" {
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

func write() ([]byte, error) {
	keys := make([]string, 0, len(types))
	for k := range types {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	// Lists used more than once are shared variables; the rest are
	// written in place.
	uses := map[string]int{}
	key := func(l []string) string { return strings.Join(l, "|") }
	for _, k := range keys {
		for _, e := range types[k].Elements {
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
		return fmt.Sprintf("{%q, %d, %q, %s, %s, %s, %t}", e.Name, e.Min, e.Max, tp, ref(e.Targets, 'r'), ref(e.Codes, 'c'), e.Summary)
	}

	// Elements found in many types (id, extension, the head of every
	// resource, identifier...) are shared variables too.
	ekey := func(e element) string {
		return fmt.Sprintf("%s %d %s %s %s %s %t", e.Name, e.Min, e.Max, key(e.Types), key(e.Targets), key(e.Codes), e.Summary)
	}
	ecount := map[string]int{}
	efirst := map[string]element{}
	for _, k := range keys {
		for _, e := range types[k].Elements {
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
		t := types[k]
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
	b.WriteString("// Code generated by internal/gen/stu3gen from the google/fhir STU3 protocol buffers and the summary flags of the STU3 StructureDefinitions. DO NOT EDIT.\n\npackage stu3\n\n")
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
