package main

import (
	"fmt"

	_ "github.com/google/fhir/go/proto/google/fhir/proto/stu3/metadatatypes_go_proto"
	_ "github.com/google/fhir/go/proto/google/fhir/proto/stu3/codes_go_proto"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

func list(path string) {
	fd, err := protoregistry.GlobalFiles.FindFileByPath(path)
	if err != nil {
		panic(err)
	}
	for i := 0; i < fd.Messages().Len(); i++ {
		md := fd.Messages().Get(i)
		fmt.Printf("%s %d {%s}\n", md.Name(), md.Fields().Len(), prototext.MarshalOptions{}.Format(md.Options()))
	}
}

var _ protoreflect.FullName
