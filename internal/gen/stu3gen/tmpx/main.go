package main

import (
	"fmt"
	"os"

	_ "github.com/google/fhir/go/proto/google/fhir/proto/annotations_go_proto"
	_ "github.com/google/fhir/go/proto/google/fhir/proto/stu3/resources_go_proto"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

func dump(md protoreflect.MessageDescriptor, ind string) {
	fmt.Printf("%sMSG %s opts{%s}\n", ind, md.FullName(), prototext.MarshalOptions{}.Format(md.Options()))
	for i := 0; i < md.Fields().Len(); i++ {
		f := md.Fields().Get(i)
		t := f.Kind().String()
		if f.Message() != nil {
			t = string(f.Message().FullName())
		}
		if f.Enum() != nil {
			t = string(f.Enum().FullName())
		}
		oo := ""
		if f.ContainingOneof() != nil {
			oo = " oneof=" + string(f.ContainingOneof().Name())
		}
		fmt.Printf("%s  %d %s json=%s %s %s%s opts{%s}\n", ind, f.Number(), f.Name(), f.JSONName(), f.Cardinality(), t, oo, prototext.MarshalOptions{}.Format(f.Options()))
	}
	for i := 0; i < md.Enums().Len(); i++ {
		e := md.Enums().Get(i)
		fmt.Printf("%s  ENUM %s opts{%s}\n", ind, e.FullName(), prototext.MarshalOptions{}.Format(e.Options()))
		for j := 0; j < e.Values().Len(); j++ {
			v := e.Values().Get(j)
			fmt.Printf("%s    %s=%d {%s}\n", ind, v.Name(), v.Number(), prototext.MarshalOptions{}.Format(v.Options()))
		}
	}
	if len(os.Args) > 2 {
		for i := 0; i < md.Messages().Len(); i++ {
			dump(md.Messages().Get(i), ind+"    ")
		}
	}
}

func main() {
	if os.Args[1] == "list" {
		list(os.Args[2])
		return
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(os.Args[1]))
	if err != nil {
		panic(err)
	}
	dump(d.(protoreflect.MessageDescriptor), "")
}
