package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The summary list takes the isSummary elements of the base definitions of
// resources and data types, not those of profiles, abstract types or
// primitive types, sorted, behind its header.
func TestSummaryFromSpec(t *testing.T) {
	dir := t.TempDir()
	sd := func(name, kind, derivation string, abstract bool, paths ...string) {
		var els []string
		for _, p := range paths {
			summary, _ := strings.CutPrefix(p, "*")
			els = append(els, `{"path": "`+summary+`", "isSummary": `+map[bool]string{true: "true", false: "false"}[summary != p]+`}`)
		}
		abs := "false"
		if abstract {
			abs = "true"
		}
		doc := `{"resourceType": "StructureDefinition", "kind": "` + kind + `", "derivation": "` + derivation + `", "abstract": ` + abs +
			`, "fhirVersion": "3.0.1", "snapshot": {"element": [` + strings.Join(els, ", ") + `]}}`
		if err := os.WriteFile(filepath.Join(dir, "StructureDefinition-"+name+".json"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sd("Thing", "resource", "specialization", false, "Thing", "*Thing.id", "*Thing.value[x]", "Thing.note", "*Thing.part.code")
	sd("Money", "complex-type", "specialization", false, "Money", "*Money.value", "Money.id")
	sd("DomainResource", "resource", "specialization", true, "DomainResource", "*DomainResource.id")
	sd("vitalsigns", "resource", "constraint", false, "Observation", "*Observation.status")
	sd("string", "primitive-type", "specialization", false, "string", "*string.value")
	stu3, _ := releaseNamed("stu3")
	got, err := summaryFromSpec(stu3, dir)
	if err != nil {
		t.Fatal(err)
	}
	body, ok := strings.CutPrefix(string(got), summaryHeader(stu3))
	if !ok {
		t.Fatalf("no header:\n%s", got)
	}
	if want := "Money.value\nThing.id\nThing.part.code\nThing.value[x]\n"; body != want {
		t.Errorf("list:\n%s\nwant:\n%s", body, want)
	}
	if set := parseSummary(got); len(set) != 4 || !set["Thing.value[x]"] {
		t.Errorf("parsed: %v", set)
	}
	r4, _ := releaseNamed("r4")
	if _, err := summaryFromSpec(r4, dir); err == nil || !strings.Contains(err.Error(), `fhirVersion "3.0.1", not 4.0.1`) {
		t.Errorf("STU3 definitions read as R4: %v", err)
	}
	if _, err := summaryFromSpec(stu3, t.TempDir()); err == nil {
		t.Error("an empty folder gives a list")
	}
}
