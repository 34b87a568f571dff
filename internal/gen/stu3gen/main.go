// Command stu3gen writes fhir/stu3/types_gen.go: every FHIR STU3 (3.0.1)
// resource, data type and backbone element with its elements in FHIR order,
// their cardinality, types, reference targets and required codes. The source
// of truth is the STU3 protocol buffers published by google/fhir, whose
// field order follows the specification's element order.
//
// Run from the repository root: go run ./internal/gen/stu3gen
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"os"
	"sort"
	"strings"

	apb "github.com/google/fhir/go/proto/google/fhir/proto/annotations_go_proto"
	d3 "github.com/google/fhir/go/proto/google/fhir/proto/stu3/datatypes_go_proto"
	r3 "github.com/google/fhir/go/proto/google/fhir/proto/stu3/resources_go_proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

type element struct {
	Name    string
	Min     int
	Max     string
	Types   []string
	Targets []string
	Codes   []string
}

type typ struct {
	Name     string
	Kind     string
	Elements []element
}

var (
	types   = map[string]*typ{}
	names   = map[protoreflect.FullName]string{} // message → FHIR type name
	pending []protoreflect.MessageDescriptor
)

func main() {
	// Resources, from the ContainedResource oneof.
	contained := (&r3.ContainedResource{}).ProtoReflect().Descriptor()
	for i := 0; i < contained.Fields().Len(); i++ {
		md := contained.Fields().Get(i).Message()
		name := string(md.Name())
		names[md.FullName()] = name
		types[name] = &typ{Name: name, Kind: "Resource"}
		pending = append(pending, md)
	}
	// Data types: every message of the datatypes file with a structure
	// definition url.
	fd := d3.File_proto_google_fhir_proto_stu3_datatypes_proto
	for i := 0; i < fd.Messages().Len(); i++ {
		md := fd.Messages().Get(i)
		url, _ := proto.GetExtension(md.Options(), apb.E_FhirStructureDefinitionUrl).(string)
		if url == "" {
			continue
		}
		name := url[strings.LastIndex(url, "/")+1:]
		kind := "Complex"
		if proto.GetExtension(md.Options(), apb.E_StructureDefinitionKind).(apb.StructureDefinitionKindValue) == apb.StructureDefinitionKindValue_KIND_PRIMITIVE_TYPE {
			kind = "Primitive"
		}
		if _, dup := types[name]; dup {
			continue
		}
		names[md.FullName()] = name
		types[name] = &typ{Name: name, Kind: kind}
		if kind == "Complex" {
			pending = append(pending, md)
		}
	}
	for len(pending) > 0 {
		md := pending[0]
		pending = pending[1:]
		fill(md)
	}
	write()
}

func fieldType(f protoreflect.FieldDescriptor, parent string) (string, []string) {
	md := f.Message()
	if md == nil {
		return "", nil
	}
	if n, ok := names[md.FullName()]; ok {
		return n, nil
	}
	opts := md.Options()
	if vs, _ := proto.GetExtension(opts, apb.E_FhirValuesetUrl).(string); vs != "" {
		return "code", enumCodes(md)
	}
	if md.FullName() == "google.fhir.stu3.proto.ContainedResource" {
		return "Resource", nil
	}
	// A backbone element nested in the type being filled.
	name := parent + "." + f.JSONName()
	names[md.FullName()] = name
	types[name] = &typ{Name: name, Kind: "Backbone"}
	pending = append(pending, md)
	return name, nil
}

func enumCodes(md protoreflect.MessageDescriptor) []string {
	vf := md.Fields().ByName("value")
	if vf == nil || vf.Enum() == nil {
		return nil
	}
	var out []string
	vals := vf.Enum().Values()
	for i := 0; i < vals.Len(); i++ {
		v := vals.Get(i)
		if v.Number() == 0 {
			continue
		}
		code, _ := proto.GetExtension(v.Options(), apb.E_FhirOriginalCode).(string)
		if code == "" {
			code = strings.ReplaceAll(strings.ToLower(string(v.Name())), "_", "-")
		}
		out = append(out, code)
	}
	return out
}

func targets(f protoreflect.FieldDescriptor) []string {
	t, _ := proto.GetExtension(f.Options(), apb.E_ValidReferenceType).([]string)
	return t
}

func fill(md protoreflect.MessageDescriptor) {
	t := types[names[md.FullName()]]
	fs := md.Fields()
	for i := 0; i < fs.Len(); i++ {
		f := fs.Get(i)
		el := element{Name: f.JSONName(), Max: "1"}
		if f.Cardinality() == protoreflect.Repeated {
			el.Max = "*"
		}
		if proto.GetExtension(f.Options(), apb.E_ValidationRequirement).(apb.Requirement) == apb.Requirement_REQUIRED_BY_FHIR {
			el.Min = 1
		}
		if f.Message() != nil && proto.GetExtension(f.Message().Options(), apb.E_IsChoiceType).(bool) {
			el.Name += "[x]"
			cm := f.Message()
			for j := 0; j < cm.Fields().Len(); j++ {
				cf := cm.Fields().Get(j)
				ct, codes := fieldType(cf, t.Name)
				el.Types = append(el.Types, ct)
				el.Targets = append(el.Targets, targets(cf)...)
				el.Codes = append(el.Codes, codes...)
			}
		} else {
			ct, codes := fieldType(f, t.Name)
			if ct == "" {
				continue // the value field of a primitive
			}
			el.Types = []string{ct}
			el.Targets = targets(f)
			el.Codes = codes
			if ct == "Reference" && len(el.Targets) == 0 {
				el.Targets = nil
			}
		}
		t.Elements = append(t.Elements, el)
	}
	// In FHIR every element type starts with id and extension; the protos
	// put Extension's own extension list last.
	if t.Kind != "Resource" {
		for i, e := range t.Elements {
			if e.Name == "extension" && i > 1 && t.Elements[0].Name == "id" {
				ext := e
				copy(t.Elements[2:i+1], t.Elements[1:i])
				t.Elements[1] = ext
				break
			}
		}
	}
}

func quoteList(l []string) string {
	if len(l) == 0 {
		return "nil"
	}
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

func write() {
	var b bytes.Buffer
	b.WriteString("// Code generated by internal/gen/stu3gen from the google/fhir STU3 protocol buffers. DO NOT EDIT.\n\npackage stu3\n\n")
	b.WriteString("var table = map[string]*Type{\n")
	keys := make([]string, 0, len(types))
	for k := range types {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// Share identical lists to keep the file small.
	lists := map[string]string{}
	var listDecl bytes.Buffer
	listVar := func(l []string) string {
		if len(l) == 0 {
			return "nil"
		}
		k := strings.Join(l, "\x00")
		if v, ok := lists[k]; ok {
			return v
		}
		v := fmt.Sprintf("l%d", len(lists))
		lists[k] = v
		fmt.Fprintf(&listDecl, "\t%s = %s\n", v, quoteList(l))
		return v
	}
	for _, k := range keys {
		t := types[k]
		fmt.Fprintf(&b, "\t%q: {Name: %q, Kind: %s, Elements: []Element{\n", k, k, t.Kind)
		for _, e := range t.Elements {
			fmt.Fprintf(&b, "\t\t{%q, %d, %q, %s, %s, %s},\n", e.Name, e.Min, e.Max, listVar(e.Types), listVar(e.Targets), listVar(e.Codes))
		}
		b.WriteString("\t}},\n")
	}
	b.WriteString("}\n\nvar (\n")
	b.Write(listDecl.Bytes())
	b.WriteString(")\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("fhir/stu3/types_gen.go", src, 0o644); err != nil {
		log.Fatal(err)
	}
	n := 0
	for _, t := range types {
		if t.Kind == "Resource" {
			n++
		}
	}
	fmt.Printf("wrote fhir/stu3/types_gen.go: %d types, %d resources\n", len(types), n)
}
