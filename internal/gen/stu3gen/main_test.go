package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// run is one generator run over a release, made once for the tests.
type run struct {
	once                       sync.Once
	g                          *gen
	types, search, compartment []byte
	err                        error
}

var runs = map[string]*run{}

func init() {
	for _, r := range releases {
		runs[r.Name] = &run{}
	}
}

// generated runs the generator once over the release of the name for the
// tests of the package: it fills the element table, which the search table
// is translated against, and the search table, which the compartments are
// checked against.
func generated(t *testing.T, name string) *run {
	t.Helper()
	rn := runs[name]
	rn.once.Do(func() {
		rel, err := releaseNamed(name)
		if err != nil {
			rn.err = err
			return
		}
		rn.g = newGen(rel)
		if rn.types, rn.err = rn.g.generate(); rn.err != nil {
			return
		}
		if rn.search, _, rn.err = rn.g.generateSearch(); rn.err != nil {
			return
		}
		rn.compartment, _, rn.err = rn.g.generateCompartment()
	})
	if rn.err != nil {
		t.Fatal(rn.err)
	}
	return rn
}

// The committed tables must be what the generator writes from the protos
// of the google/fhir version in go.mod and the committed lists.
func TestGeneratedFileIsCurrent(t *testing.T) {
	for _, rel := range releases {
		rn := generated(t, rel.Name)
		for file, src := range map[string][]byte{"types_gen.go": rn.types, "search_gen.go": rn.search, "compartment_gen.go": rn.compartment} {
			path := filepath.Join("../../../fhir", rel.Name, file)
			have, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(src, have) {
				t.Errorf("%s is stale: run go generate ./fhir/%s", path, rel.Name)
			}
		}
	}
}

// With CCFACADE_STU3_SPEC (CCFACADE_R4_SPEC) naming the package folder of
// hl7.fhir.core 3.0.1 (hl7.fhir.r4.core 4.0.1), the committed lists must be
// what -spec writes from it.
func TestListsMatchSpec(t *testing.T) {
	for _, rel := range releases {
		env := "CCFACADE_" + map[string]string{"stu3": "STU3", "r4": "R4"}[rel.Name] + "_SPEC"
		t.Run(rel.Name, func(t *testing.T) {
			dir := os.Getenv(env)
			if dir == "" {
				t.Skip(env + " is not set")
			}
			summary, err := summaryFromSpec(rel, dir)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(summary, rel.Summary) {
				t.Errorf("%s differs from the specification's: run %s", rel.SummaryFile, rel.command())
			}
			search, _, err := searchFromSpec(rel, dir)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(search, rel.Search) {
				t.Errorf("%s differs from the specification's: run %s", rel.SearchFile, rel.command())
			}
			compartment, err := compartmentFromSpec(rel, dir)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(compartment, rel.Compartment) {
				t.Errorf("%s differs from the specification's: run %s", rel.CompartmentFile, rel.command())
			}
		})
	}
}

// A release is chosen by name; an unknown name lists the known ones.
func TestReleaseNamed(t *testing.T) {
	if r, err := releaseNamed("r4"); err != nil || r.Version != "4.0.1" || r.command() != "go run ./internal/gen/stu3gen -fhir r4 -spec DIR" {
		t.Errorf("r4: %+v %v", r, err)
	}
	if r, _ := releaseNamed("stu3"); r.command() != "go run ./internal/gen/stu3gen -spec DIR" {
		t.Errorf("stu3: %s", r.command())
	}
	if _, err := releaseNamed("r5"); err == nil || err.Error() != `no FHIR release "r5" (known: stu3, r4)` {
		t.Errorf("r5: %v", err)
	}
}
