package main

import (
	"fmt"
	"sort"
	"strings"
)

// summary.txt (summary-r4.txt) lists the elements FHIR STU3 (R4) marks
// isSummary. The protocol buffers do not carry the flag, so it is read
// from the snapshots of the base StructureDefinitions of the release's
// core package (CC0-1.0) and kept here, one element path a line
// ("MedicationRequest.medication[x]"). Rewrite it with:
// go run ./internal/gen/stu3gen [-fhir r4] -spec DIR, DIR holding the
// package's StructureDefinition-*.json.

// summaryHeader is the header of a release's summary list.
func summaryHeader(r *release) string {
	return fmt.Sprintf(`# Elements FHIR %s (%s) marks isSummary: the snapshot elements of the
# base StructureDefinitions (resources and complex data types) of the
# %s package (CC0-1.0), one path a line.
# Written by: %s (DIR holds the
# package's StructureDefinition-*.json). Do not edit.
`, r.Title, r.Version, r.Core, r.command())
}

// parseSummary reads a summary list into a set of element paths.
func parseSummary(data []byte) map[string]bool {
	set := map[string]bool{}
	for _, line := range listLines(data) {
		set[strings.TrimSpace(line)] = true
	}
	return set
}

// summaryFromSpec reads the StructureDefinitions in dir and returns the
// summary list: the elements marked isSummary in the snapshot of every
// concrete resource and complex data type the specification defines
// (derivation specialization; profiles and primitive types are left out).
func summaryFromSpec(r *release, dir string) ([]byte, error) {
	type structureDefinition struct {
		Kind       string `json:"kind"`
		Abstract   bool   `json:"abstract"`
		Derivation string `json:"derivation"`
		FHIR       string `json:"fhirVersion"`
		Snapshot   struct {
			Element []struct {
				Path      string `json:"path"`
				IsSummary bool   `json:"isSummary"`
			} `json:"element"`
		} `json:"snapshot"`
	}
	var paths []string
	types := 0
	err := eachSpecFile(dir, "StructureDefinition-*.json", func(f string, sd *structureDefinition) error {
		if sd.Kind != "resource" && sd.Kind != "complex-type" || sd.Derivation != "specialization" || sd.Abstract {
			return nil
		}
		if sd.FHIR != r.Version {
			return fmt.Errorf("%s: fhirVersion %q, not %s", f, sd.FHIR, r.Version)
		}
		types++
		for _, e := range sd.Snapshot.Element {
			if e.IsSummary {
				paths = append(paths, e.Path)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if types == 0 {
		return nil, fmt.Errorf("%s: no resource or data type definitions", dir)
	}
	sort.Strings(paths)
	return writeList(summaryHeader(r), paths), nil
}
