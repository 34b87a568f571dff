package main

import (
	_ "embed"
	"fmt"
	"strings"

	d3 "github.com/google/fhir/go/proto/google/fhir/proto/stu3/datatypes_go_proto"
	m3 "github.com/google/fhir/go/proto/google/fhir/proto/stu3/metadatatypes_go_proto"
	r3 "github.com/google/fhir/go/proto/google/fhir/proto/stu3/resources_go_proto"

	d4 "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	b4 "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/bundle_and_contained_resource_go_proto"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// A release is a FHIR version the generator writes the tables of: where
// its protocol buffers are, which version its specification files must
// carry, and the lists kept beside this file for it.
type release struct {
	Name    string // the -fhir flag and the Go package of the tables: "stu3"
	Title   string // as comments name it: "STU3"
	Version string // the fhirVersion of its definitions: "3.0.1"
	Core    string // the npm package of its definitions: "hl7.fhir.core 3.0.1"

	// Datatypes are the files of its data type messages; Contained is
	// its message of "any resource", which has one field per concrete
	// resource type.
	Datatypes func() []protoreflect.FileDescriptor
	Contained func() protoreflect.MessageDescriptor

	// MissingChoices are the types of choice elements that the protos
	// leave out, by the element's path: they are added after the others.
	MissingChoices map[string][]string

	// The lists, by the names of their files beside this one.
	SummaryFile, SearchFile, CompartmentFile string
	Summary, Search, Compartment             []byte
}

var (
	//go:embed summary.txt
	stu3Summary []byte
	//go:embed searchparams.txt
	stu3Search []byte
	//go:embed compartments.txt
	stu3Compartment []byte
	//go:embed summary-r4.txt
	r4Summary []byte
	//go:embed searchparams-r4.txt
	r4Search []byte
	//go:embed compartments-r4.txt
	r4Compartment []byte
)

var releases = []*release{
	{
		Name: "stu3", Title: "STU3", Version: "3.0.1", Core: "hl7.fhir.core 3.0.1",
		Datatypes: func() []protoreflect.FileDescriptor {
			return []protoreflect.FileDescriptor{
				d3.File_proto_google_fhir_proto_stu3_datatypes_proto,
				m3.File_proto_google_fhir_proto_stu3_metadatatypes_proto,
			}
		},
		Contained:   func() protoreflect.MessageDescriptor { return (&r3.ContainedResource{}).ProtoReflect().Descriptor() },
		SummaryFile: "summary.txt", Summary: stu3Summary,
		SearchFile: "searchparams.txt", Search: stu3Search,
		CompartmentFile: "compartments.txt", Compartment: stu3Compartment,
	},
	{
		Name: "r4", Title: "R4", Version: "4.0.1", Core: "hl7.fhir.r4.core 4.0.1",
		Datatypes: func() []protoreflect.FileDescriptor {
			return []protoreflect.FileDescriptor{d4.File_proto_google_fhir_proto_r4_core_datatypes_proto}
		},
		Contained:   func() protoreflect.MessageDescriptor { return (&b4.ContainedResource{}).ProtoReflect().Descriptor() },
		SummaryFile: "summary-r4.txt", Summary: r4Summary,
		SearchFile: "searchparams-r4.txt", Search: r4Search,
		CompartmentFile: "compartments-r4.txt", Compartment: r4Compartment,
		// The R4 protos of google/fhir leave Meta, the last of the 50
		// types of the specification, out of Extension.value[x].
		MissingChoices: map[string][]string{"Extension.value[x]": {"Meta"}},
	},
}

// releaseNamed finds a release by its name.
func releaseNamed(name string) (*release, error) {
	var known []string
	for _, r := range releases {
		if r.Name == name {
			return r, nil
		}
		known = append(known, r.Name)
	}
	return nil, fmt.Errorf("no FHIR release %q (known: %s)", name, strings.Join(known, ", "))
}

// command is how the lists of the release are rewritten; STU3 is the
// default release.
func (r *release) command() string {
	flag := ""
	if r != releases[0] {
		flag = " -fhir " + r.Name
	}
	return "go run ./internal/gen/stu3gen" + flag + " -spec DIR"
}
