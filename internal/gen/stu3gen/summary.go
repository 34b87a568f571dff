package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// summary.txt lists the elements FHIR STU3 marks isSummary. The protocol
// buffers do not carry the flag, so it is read from the snapshots of the
// base StructureDefinitions of the hl7.fhir.core 3.0.1 package (CC0-1.0)
// and kept here, one element path a line ("MedicationRequest.medication[x]").
// Rewrite it with: go run ./internal/gen/stu3gen -spec DIR, DIR holding the
// package's StructureDefinition-*.json.
//
//go:embed summary.txt
var summaryList []byte

const summaryHeader = `# Elements FHIR STU3 (3.0.1) marks isSummary: the snapshot elements of the
# base StructureDefinitions (resources and complex data types) of the
# hl7.fhir.core 3.0.1 package (CC0-1.0), one path a line.
# Written by: go run ./internal/gen/stu3gen -spec DIR (DIR holds the
# package's StructureDefinition-*.json). Do not edit.
`

// parseSummary reads a summary list into a set of element paths.
func parseSummary(data []byte) map[string]bool {
	set := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[line] = true
	}
	return set
}

// summaryFromSpec reads the StructureDefinitions in dir and returns the
// summary list: the elements marked isSummary in the snapshot of every
// concrete resource and complex data type the specification defines
// (derivation specialization; profiles and primitive types are left out).
func summaryFromSpec(dir string) ([]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, "StructureDefinition-*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no StructureDefinition-*.json", dir)
	}
	var paths []string
	types := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var sd struct {
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
		if err := json.Unmarshal(data, &sd); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if sd.Kind != "resource" && sd.Kind != "complex-type" || sd.Derivation != "specialization" || sd.Abstract {
			continue
		}
		if sd.FHIR != "3.0.1" {
			return nil, fmt.Errorf("%s: fhirVersion %q, not 3.0.1", f, sd.FHIR)
		}
		types++
		for _, e := range sd.Snapshot.Element {
			if e.IsSummary {
				paths = append(paths, e.Path)
			}
		}
	}
	if types == 0 {
		return nil, fmt.Errorf("%s: no resource or data type definitions", dir)
	}
	sort.Strings(paths)
	var b bytes.Buffer
	b.WriteString(summaryHeader)
	for _, p := range paths {
		b.WriteString(p + "\n")
	}
	return b.Bytes(), nil
}
