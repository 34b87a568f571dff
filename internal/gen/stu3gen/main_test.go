package main

import (
	"bytes"
	"os"
	"testing"
)

// The committed table must be what the generator writes from the protos
// of the google/fhir version in go.mod.
func TestGeneratedFileIsCurrent(t *testing.T) {
	src, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile("../../../fhir/stu3/types_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(src, have) {
		t.Fatal("fhir/stu3/types_gen.go is stale: run go generate ./fhir/stu3")
	}
}
