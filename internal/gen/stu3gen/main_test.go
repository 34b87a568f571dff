package main

import (
	"bytes"
	"os"
	"sync"
	"testing"
)

var (
	genOnce         sync.Once
	genTypes        []byte
	genSearch       []byte
	genCompartments []byte
	genErr          error
)

// generated runs the generator once for the tests of the package: it
// fills the element table, which the search table is translated against,
// and the search table, which the compartments are checked against.
func generated(t *testing.T) (types, search, compartments []byte) {
	t.Helper()
	genOnce.Do(func() {
		if genTypes, genErr = generate(); genErr != nil {
			return
		}
		if genSearch, _, genErr = generateSearch(); genErr != nil {
			return
		}
		genCompartments, _, genErr = generateCompartments(searchTab)
	})
	if genErr != nil {
		t.Fatal(genErr)
	}
	return genTypes, genSearch, genCompartments
}

// The committed tables must be what the generator writes from the protos
// of the google/fhir version in go.mod and the committed lists.
func TestGeneratedFileIsCurrent(t *testing.T) {
	types, search, compartments := generated(t)
	for file, src := range map[string][]byte{"types_gen.go": types, "search_gen.go": search, "compartment_gen.go": compartments} {
		have, err := os.ReadFile("../../../fhir/stu3/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(src, have) {
			t.Errorf("fhir/stu3/%s is stale: run go generate ./fhir/stu3", file)
		}
	}
}

// With CCFACADE_STU3_SPEC naming the package folder of hl7.fhir.core
// 3.0.1, the committed lists must be what -spec writes from it.
func TestListsMatchSpec(t *testing.T) {
	dir := os.Getenv("CCFACADE_STU3_SPEC")
	if dir == "" {
		t.Skip("CCFACADE_STU3_SPEC is not set")
	}
	summary, err := summaryFromSpec(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(summary, summaryList) {
		t.Error("summary.txt differs from the specification's: run go run ./internal/gen/stu3gen -spec DIR")
	}
	search, _, err := searchFromSpec(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(search, searchList) {
		t.Error("searchparams.txt differs from the specification's: run go run ./internal/gen/stu3gen -spec DIR")
	}
	comps, err := compartmentFromSpec(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(comps, compartmentList) {
		t.Error("compartments.txt differs from the specification's: run go run ./internal/gen/stu3gen -spec DIR")
	}
}
